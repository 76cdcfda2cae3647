"""The embedded local Label Studio server: bound to 127.0.0.1, data in a git-ignored folder.

`start()` creates the admin account with a generated password and API token on first start
(kept in `<state>/credentials.json`, mode 0600), starts `label-studio` in the background,
waits on GET /health and returns. `stop()` ends it; annotations stay in `<state>/data`.

The database is SQLite in `<state>/data`, or, for a team server, a PostgreSQL database given
on the first start (`Database`); it is recorded in `<state>/database.json` (mode 0600), so later
starts use the same one and a state folder never switches databases silently.

Everything the server writes is readable by its owner only (the SQLite file holds every token),
it never reaches the internet by itself (`OFFLINE_ENV`), and `stop()` only signals the process
`start()` started (its pid, start time and data folder are checked in /proc).
"""

from __future__ import annotations

import json
import os
import re
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
# What Label Studio 1.23.2 would send out by itself, each off (read in its sources, checked by the
# browser test): the newest version from pypi.org on start, Google Analytics and a labelstud.io
# tracking frame in its pages, server and page errors to sentry.io (whose script comes from a CDN).
OFFLINE_ENV = {"LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": ""}
OFFLINE_OVERRIDES = tuple(prefix + name for name in OFFLINE_ENV for prefix in ("LABEL_STUDIO_", "HEARTEX_", "") if prefix + name not in OFFLINE_ENV)
SQLITE_NAME = "label_studio.sqlite3"


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
            raise NerbenchError(f"database URL {redact_url(url)}: {e}") from None
        name = urllib.parse.unquote(parts.path.lstrip("/"))
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.username or not name or "/" in name:
            raise NerbenchError(
                f"database URL {redact_url(url)}: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE (only PostgreSQL is supported)"
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


def redact_url(url: str) -> str:
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
    creds = _read_private(credentials_path(state_dir), Credentials, "credentials file", "; restore it from a backup")
    if creds is not None and not all(isinstance(v, str) for v in asdict(creds).values()):
        raise NerbenchError(f"{credentials_path(state_dir)}: not a credentials file (url, username, password and token must be strings); restore it from a backup")
    return creds


def credentials_port(state_dir: Path, creds: Credentials) -> int:
    """The port in the credentials' URL; a bad one (say, written by an older version) is one error line."""
    try:
        port = urllib.parse.urlsplit(creds.url).port
    except ValueError:
        port = None
    if port is None:
        raise NerbenchError(f"{credentials_path(state_dir)}: URL {creds.url!r} has no valid port; start with --port N (LS_PORT=N) to replace it")
    return port


def check_port(port: int, option: str = "--port") -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise NerbenchError(f"{option} {port}: not a TCP port (1-65535)")
    return port


def create_credentials(state_dir: Path, port: int) -> Credentials:
    """A strong generated password and a 40-hex-digit API token, stored readable by the owner only."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    creds = Credentials(
        url=f"http://{HOST}:{check_port(port)}",
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


def token_works(url: str, token: str, timeout: float = 10.0) -> bool:
    """Whether the server takes the token (a server whose admin has another password and token does not)."""
    request = urllib.request.Request(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
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


# ---- the process we started ---------------------------------------------------------------------


def _pid_path(state_dir: Path) -> Path:
    return Path(state_dir) / "server.pid"


def _data_dir(state_dir: Path) -> Path:
    return (Path(state_dir) / "data").resolve()


def _start_time(pid: int) -> int | None:
    """The process's start time (clock ticks after boot, field 22 of /proc/<pid>/stat), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name in parentheses may hold spaces
    return int(fields[19])


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return []


def _record_process(state_dir: Path, pid: int) -> None:
    record = {"pid": pid, "start_time": _start_time(pid), "data_dir": str(_data_dir(state_dir))}
    atomic_write_text(_pid_path(state_dir), json.dumps(record) + "\n", mode=0o600)


def running_pid(state_dir: Path) -> int | None:
    """The pid of the server started from `state_dir` if it still runs; None for a stale or foreign pid file.

    A pid is only trusted when /proc shows the same process: the start time recorded with it,
    and a command line with this state folder's `--data-dir`. A pid file with any other process's
    pid (reused after a reboot, edited, 0, our own) is stale.
    """
    try:
        text = _pid_path(state_dir).read_text()
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if _is_int(record):  # a pid file of an older version: the command line must still match
        record = {"pid": record}
    if not isinstance(record, dict) or not _is_int(record.get("pid")):
        return None
    pid = record["pid"]
    if pid <= 1 or pid == os.getpid() or pid == os.getpgid(0):
        return None
    started = _start_time(pid)
    if started is None or (record.get("start_time") is not None and record["start_time"] != started):
        return None
    command = _command_line(pid)
    data_dir = str(_data_dir(state_dir))
    if not any("label-studio" in part or "label_studio" in part for part in command[:3]) or data_dir not in command:
        return None
    return pid


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_data(state_dir: Path) -> bool:
    return (Path(state_dir) / "data" / SQLITE_NAME).exists()


def _make_private(state_dir: Path) -> None:
    """The state and data folders 0700, the SQLite files 0600 (they hold every account's token)."""
    state_dir = Path(state_dir)
    os.chmod(state_dir, 0o700)
    data_dir = state_dir / "data"
    if data_dir.is_dir():
        os.chmod(data_dir, 0o700)
        for path in data_dir.glob(f"{SQLITE_NAME}*"):
            os.chmod(path, 0o600)


def start(
    state_dir: Path = DEFAULT_STATE_DIR, port: int | None = None, timeout: float = 240.0, database: Database | None = None
) -> tuple[Credentials, bool]:
    """Start the local server (or find it running); return (credentials, whether it was started now).

    `port` is required on the first start only (default 8080); given later, it moves the server
    to that port (it is kept in the credentials). `database` (first start only; later starts reuse
    it) puts the data in PostgreSQL instead of SQLite; the database must exist and belong to its
    user, Label Studio creates the tables.
    """
    state_dir = Path(state_dir)
    if port is not None:
        check_port(port)
    creds = load_credentials(state_dir)
    if creds is None and _has_data(state_dir):
        raise NerbenchError(
            f"{state_dir / 'data'} holds a Label Studio database, but {credentials_path(state_dir)} is missing: the admin's "
            "password and API token are in it and cannot be made anew; restore it from a backup, or move "
            f"{state_dir} away to start afresh (its annotations stay in {state_dir / 'data'})"
        )
    database = choose_database(state_dir, database, first_start=creds is None)
    if creds is not None:
        moved = f"http://{HOST}:{port}" if port is not None else None
        if moved is None:
            credentials_port(state_dir, creds)  # a bad port recorded earlier is an error; a new --port replaces it
        if running_pid(state_dir) and is_healthy(creds.url):
            if moved is not None and moved != creds.url:
                raise NerbenchError(f"Label Studio from {state_dir} is running at {creds.url}; stop it first to move it to port {port}")
            return creds, False
        if moved is not None:
            creds = Credentials(moved, creds.username, creds.password, creds.token)
    target = port or (credentials_port(state_dir, creds) if creds else DEFAULT_PORT)
    if not port_is_free(target):
        raise NerbenchError(
            f"port {target} on {HOST} is in use by another program; stop it, or start on another port with "
            "--port N (LS_PORT=N make labelstudio; the port is kept for later starts). Label Studio would silently take the next port"
        )
    if creds is None:
        creds = create_credentials(state_dir, target)
    else:
        _write_private(credentials_path(state_dir), creds)  # the same, or with the new port
    if database is not None:
        save_database(state_dir, database)  # first start, or a new password for the same database
    else:
        database_path(state_dir).unlink(missing_ok=True)  # no stale record from an earlier state folder
    port = credentials_port(state_dir, creds)
    data_dir = state_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    _make_private(state_dir)
    env = {k: v for k, v in os.environ.items() if k not in LEAKING_ENV and k not in DATABASE_ENV and k not in OFFLINE_OVERRIDES}
    if database is not None:
        env.update(database.env())
    env.update(OFFLINE_ENV)
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
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as log:
        # umask 077: the database, exports and uploads Label Studio makes are its owner's only
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True, umask=0o077
        )
    _record_process(state_dir, process.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NerbenchError(f"Label Studio exited with status {process.returncode} while starting; see {log_path}: {_last_line(log_path)}")
        if is_healthy(creds.url):
            _make_private(state_dir)
            if not token_works(creds.url, creds.token):
                stop(state_dir)
                raise NerbenchError(
                    f"Label Studio started at {creds.url} but refuses the admin token of {credentials_path(state_dir)}: its "
                    "database already has an admin with another password and token; stopped it. Restore the credentials "
                    "file that belongs to this database, or use a fresh database"
                )
            return creds, True
        time.sleep(0.5)
    stop(state_dir)
    raise NerbenchError(f"Label Studio did not answer {creds.url}/health within {timeout:.0f} s; see {log_path}")


def stop(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 30.0) -> bool:
    """Stop the server started from `state_dir`; return whether one was running.

    Only a process `running_pid` recognises is signalled: its process group when it leads one
    (as `start` makes it), else the process alone.
    """
    pid = running_pid(state_dir)
    if pid is None:
        _pid_path(state_dir).unlink(missing_ok=True)
        return False
    group = os.getpgid(pid) == pid

    def signal_it(sig: int) -> None:
        try:
            os.killpg(pid, sig) if group else os.kill(pid, sig)
        except ProcessLookupError:
            pass

    signal_it(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        signal_it(signal.SIGKILL)
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
        lines = [l for l in path.read_text(errors="replace").split("\n") if l.strip()]
    except FileNotFoundError:
        return "(no log)"
    return lines[-1] if lines else "(empty log)"


# ---- accounts of annotators and reviewers --------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A person's account on the local server: they log in with it, and nerbench acts with their own token."""

    email: str
    password: str
    token: str


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def accounts_path(state_dir: Path) -> Path:
    return Path(state_dir) / "accounts"


def account_path(state_dir: Path, email: str) -> Path:
    if not _EMAIL.match(email):
        raise NerbenchError(f"{email!r} is not an e-mail address (an account is named by its e-mail)")
    return accounts_path(state_dir) / f"{email.lower()}.json"


def load_account(state_dir: Path, email: str) -> Account | None:
    return _read_private(account_path(state_dir, email), Account, "account file", "; make it again with a new e-mail")


def create_account(state_dir: Path, email: str, timeout: float = 60.0) -> Account:
    """Sign a person up on the running local server through its invitation link, as they would.

    The account gets a generated password (to log in to the page) and its own API token (read
    after logging in), both kept in `<state>/accounts/<email>.json`, mode 0600. An e-mail that
    already has an account on the server is refused: Label Studio tells people apart by it.
    """
    import httpx

    state_dir = Path(state_dir)
    email = email.strip()
    path = account_path(state_dir, email)
    email = email.lower()
    creds = load_credentials(state_dir)
    if creds is None or not is_healthy(creds.url):
        raise NerbenchError(f"the local Label Studio of {state_dir} is not running: start it with `make labelstudio`")
    if path.exists():
        raise NerbenchError(f"{path} exists: {email} has a local account already")
    admin = {"Authorization": f"Token {creds.token}"}
    try:
        account = _sign_up(creds, admin, email, timeout)
    except httpx.HTTPError as e:
        raise NerbenchError(f"Label Studio at {creds.url} did not sign up {email}: {e}; see {state_dir / 'server.log'}") from None
    _write_private(path, account)
    return account


def _sign_up(creds: Credentials, admin: dict[str, str], email: str, timeout: float) -> Account:
    import httpx

    with httpx.Client(base_url=creds.url, timeout=timeout) as http:
        users = http.get("/api/users/", headers=admin)
        users.raise_for_status()
        if any((u.get("email") or "").lower() == email for u in users.json()):
            raise NerbenchError(f"Label Studio at {creds.url} has an account {email} already; a second one would not be told apart")
        invite = http.get("/api/invite", headers=admin)
        invite.raise_for_status()
        signup = f"/user/signup/?token={urllib.parse.quote(invite.json()['token'])}"
        page = http.get(signup)
        password = secrets.token_urlsafe(18)
        form = {"csrfmiddlewaretoken": http.cookies.get("csrftoken") or "", "email": email, "password": password}
        done = http.post(signup, data=form, headers={"Referer": f"{creds.url}{signup}"})
        if page.status_code != 200 or done.status_code != 302:
            raise NerbenchError(f"Label Studio at {creds.url} did not sign up {email} (HTTP {done.status_code})")
        token = http.get("/api/current-user/token")  # the new account's own session, after signing up
        token.raise_for_status()
        return Account(email, password, token.json()["token"])
