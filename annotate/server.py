"""The embedded local Label Studio server: SQLite, bound to 127.0.0.1, data in a git-ignored folder.

`start()` creates the admin account with a generated password and API token on first start
(kept in `<state>/credentials.json`, mode 0600), starts `label-studio` in the background,
waits on GET /health and returns. `stop()` ends it; annotations stay in `<state>/data`.
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


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    password: str
    token: str


def credentials_path(state_dir: Path) -> Path:
    return Path(state_dir) / "credentials.json"


def load_credentials(state_dir: Path) -> Credentials | None:
    path = credentials_path(state_dir)
    if not path.exists():
        return None
    try:
        return Credentials(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as e:
        raise NerbenchError(f"{path}: not a credentials file ({e}); remove it and the data folder to start afresh") from None


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
    path = credentials_path(state_dir)
    atomic_write_text(path, json.dumps(asdict(creds), indent=2) + "\n")
    os.chmod(path, 0o600)
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


def start(state_dir: Path = DEFAULT_STATE_DIR, port: int = DEFAULT_PORT, timeout: float = 240.0) -> tuple[Credentials, bool]:
    """Start the local server (or find it running); return (credentials, whether it was started now)."""
    state_dir = Path(state_dir)
    creds = load_credentials(state_dir)
    if creds is not None and running_pid(state_dir) and is_healthy(creds.url):
        return creds, False
    if creds is None:
        creds = create_credentials(state_dir, port)
    port = int(creds.url.rsplit(":", 1)[1])
    if not port_is_free(port):
        raise NerbenchError(
            f"port {port} on {HOST} is in use by another program; stop it, or remove {credentials_path(state_dir)} "
            "and run again with LS_PORT=<another port> (Label Studio would silently take the next port)"
        )
    data_dir = state_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in LEAKING_ENV}
    env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] = "true"
    env.setdefault("LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK", "true")
    command = [
        label_studio_command(), "start", "--no-browser",
        "--internal-host", HOST, "--port", str(port), "--data-dir", str(data_dir.resolve()),
        "--username", creds.username, "--password", creds.password,
        "--user-token", creds.token, "--enable-legacy-api-token",
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

