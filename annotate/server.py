"""The embedded local Label Studio server: bound to 127.0.0.1, data in a git-ignored folder.

`start()` creates the admin account with a generated password and API token on first start
(kept in `<state>/credentials.json`, mode 0600), starts `label-studio` in the background,
waits on GET /health and returns. `stop()` ends it; annotations stay in `<state>/data`.

The database is SQLite in `<state>/data`, or, for a team server, a PostgreSQL database given
on the first start (`Database`); it is recorded in `<state>/database.json` (mode 0600), so later
starts use the same one and a state folder never switches databases silently.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from nerbench.errors import NerbenchError
from nerbench.fileio import atomic_write_text

DEFAULT_STATE_DIR = Path(".labelstudio")
DEFAULT_PORT = 8080
HOST = "127.0.0.1"
# Plain variables that Label Studio's settings read too: they must not leak in from the shell.
LEAKING_ENV = ("PORT", "HOST", "USERNAME", "PASSWORD")
# Label Studio's database settings, each also read as LABEL_STUDIO_<name> and HEARTEX_<name>:
# the database is chosen by `start(database=...)` only, never by whatever the shell exports.
DATABASE_SETTINGS = ("DJANGO_DB", "DATABASE_NAME", "POSTGRE_NAME", "POSTGRE_USER", "POSTGRE_PASSWORD", "POSTGRE_HOST", "POSTGRE_PORT")
DATABASE_ENV = tuple(prefix + name for name in DATABASE_SETTINGS for prefix in ("", "LABEL_STUDIO_", "HEARTEX_"))


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    password: str
    token: str


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database for a team server: Label Studio's `DJANGO_DB=default` settings."""

    name: str
    user: str
    password: str
    host: str
    port: int = 5432

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Parse `postgresql://user:password@host:port/name` (libpq's URL form; the password may be omitted).

        Without a password, the PostgreSQL client library looks in PGPASSWORD and ~/.pgpass.
        """
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port or 5432
        except ValueError as e:
            raise NerbenchError(f"database URL {_redact(url)}: {e}") from None
        name = urllib.parse.unquote(parts.path.lstrip("/"))
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.username or not name or "/" in name:
            raise NerbenchError(
                f"database URL {_redact(url)}: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE (only PostgreSQL is supported)"
            )
        password = urllib.parse.unquote(parts.password) if parts.password is not None else ""
        return cls(name, urllib.parse.unquote(parts.username), password, parts.hostname, port)

    def __str__(self) -> str:  # never shows the password
        return f"postgresql://{urllib.parse.quote(self.user)}@{self.host}:{self.port}/{urllib.parse.quote(self.name)}"

    def __repr__(self) -> str:
        return f"Database({str(self)!r})"

    def env(self) -> dict[str, str]:
        """The environment variables that make Label Studio use this database."""
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": self.name,
            "POSTGRE_USER": self.user,
            # Empty, not unset: unset means Label Studio's default password "postgres".
            "POSTGRE_PASSWORD": self.password,
            "POSTGRE_HOST": self.host,
            "POSTGRE_PORT": str(self.port),
        }

    def same_place(self, other: Database) -> bool:
        """Same server, database and user (the password may have changed)."""
        return (self.name, self.user, self.host, self.port) == (other.name, other.user, other.host, other.port)


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "(unparsable URL)"


def database_path(state_dir: Path) -> Path:
    return Path(state_dir) / "database.json"


def _read_private(path: Path, kind: type, what: str, hint: str = ""):
    """A dataclass stored by `_write_private`, or None when the file does not exist."""
    if not path.exists():
        return None
    try:
        return kind(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as e:
        raise NerbenchError(f"{path}: not a {what} ({e}){hint}") from None


def _write_private(path: Path, record) -> None:
    """A dataclass as JSON, readable by its owner only (it holds a password)."""
    atomic_write_text(path, json.dumps(asdict(record), indent=2) + "\n", mode=0o600)


def load_database(state_dir: Path) -> Database | None:
    """The PostgreSQL database recorded on the first start, or None for SQLite."""
    return _read_private(database_path(state_dir), Database, "database file")


def save_database(state_dir: Path, database: Database) -> None:
    _write_private(database_path(state_dir), database)


def choose_database(state_dir: Path, database: Database | None, first_start: bool) -> Database | None:
    """The database for this start: the one recorded on the first start; a different one is an error."""
    recorded = load_database(state_dir)
    if first_start or database is None:
        return database if first_start else recorded
    if recorded is None or not recorded.same_place(database):
        was = f"PostgreSQL {recorded}" if recorded else f"SQLite in {Path(state_dir) / 'data'}"
        raise NerbenchError(
            f"{state_dir} was first started with {was}, not PostgreSQL {database}; "
            "use another state folder (--state-dir, LS_STATE) for another database"
        )
    return database


def credentials_path(state_dir: Path) -> Path:
    return Path(state_dir) / "credentials.json"


def load_credentials(state_dir: Path) -> Credentials | None:
    return _read_private(
        credentials_path(state_dir), Credentials, "credentials file", "; remove it and the data folder to start afresh"
    )


def create_credentials(state_dir: Path, port: int) -> Credentials:
    """A strong generated password and a 40-hex-digit API token, stored readable by the owner only."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    creds = Credentials(
        url=f"http://{HOST}:{port}",
        username="admin@nerbench.local",
        password=secrets.token_urlsafe(18),
        token=secrets.token_hex(20),
    )
    _write_private(credentials_path(state_dir), creds)
    return creds


def label_studio_command() -> str:
    """The `label-studio` executable: $LABEL_STUDIO_BIN, the project's .venv-ls, or the PATH."""
    candidates = [os.environ.get("LABEL_STUDIO_BIN"), ".venv-ls/bin/label-studio", shutil.which("label-studio")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise NerbenchError("label-studio is not installed: run `make labelstudio` (it installs .venv-ls), or set LABEL_STUDIO_BIN")


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port (connections in TIME_WAIT do not count, as for any server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _pid_path(state_dir: Path) -> Path:
    return Path(state_dir) / "server.pid"


def running_pid(state_dir: Path) -> int | None:
    path = _pid_path(state_dir)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def start(
    state_dir: Path = DEFAULT_STATE_DIR, port: int = DEFAULT_PORT, timeout: float = 240.0, database: Database | None = None
) -> tuple[Credentials, bool]:
    """Start the local server (or find it running); return (credentials, whether it was started now).

    `database` (first start only; later starts reuse it) puts the data in PostgreSQL instead
    of SQLite; the database must exist and belong to its user, Label Studio creates the tables.
    """
    state_dir = Path(state_dir)
    creds = load_credentials(state_dir)
    database = choose_database(state_dir, database, first_start=creds is None)
    if creds is not None and running_pid(state_dir) and is_healthy(creds.url):
        return creds, False
    if creds is None:
        creds = create_credentials(state_dir, port)
    if database is not None:
        save_database(state_dir, database)  # first start, or a new password for the same database
    else:
        database_path(state_dir).unlink(missing_ok=True)  # no stale record from an earlier state folder
    port = int(creds.url.rsplit(":", 1)[1])
    if not port_is_free(port):
        raise NerbenchError(
            f"port {port} on {HOST} is in use by another program; stop it, or remove {credentials_path(state_dir)} "
            "and run again with LS_PORT=<another port> (Label Studio would silently take the next port)"
        )
    data_dir = state_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in LEAKING_ENV and k not in DATABASE_ENV}
    if database is not None:
        env.update(database.env())
    env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] = "true"
    env.setdefault("LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK", "true")
    # The account goes through the environment, not the command line, which any local user can read with `ps`.
    env.update(
        LABEL_STUDIO_USERNAME=creds.username, LABEL_STUDIO_PASSWORD=creds.password, LABEL_STUDIO_USER_TOKEN=creds.token
    )
    command = [
        label_studio_command(), "start", "--no-browser",
        "--internal-host", HOST, "--port", str(port), "--data-dir", str(data_dir.resolve()),
        "--enable-legacy-api-token",
    ]  # fmt: skip
    log_path = state_dir / "server.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    _pid_path(state_dir).write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NerbenchError(f"Label Studio exited with status {process.returncode} while starting; see {log_path}: {_last_line(log_path)}")
        if is_healthy(creds.url):
            return creds, True
        time.sleep(0.5)
    stop(state_dir)
    raise NerbenchError(f"Label Studio did not answer {creds.url}/health within {timeout:.0f} s; see {log_path}")


def stop(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 30.0) -> bool:
    """Stop the server started from `state_dir`; return whether one was running."""
    pid = running_pid(state_dir)
    if pid is None:
        _pid_path(state_dir).unlink(missing_ok=True)
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    _pid_path(state_dir).unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # reaps it when it is our own child
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _last_line(path: Path) -> str:
    try:
        lines = [l for l in path.read_text(errors="replace").splitlines() if l.strip()]
    except FileNotFoundError:
        return "(no log)"
    return lines[-1] if lines else "(empty log)"

