"""The local server's database setting: URL parsing, the record in the state folder, the environment.

No Label Studio here: tests/test_labelstudio.py and tests/test_postgres.py start the real one.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nerbench.annotate import server
from nerbench.annotate.server import Database
from nerbench.cli import app
from nerbench.errors import NerbenchError

from conftest import FOREIGN_ENV


def test_database_url_gives_label_studio_settings_and_hides_the_password():
    db = Database.from_url("postgresql://ls%40team:s3cr%2Ft@db.example.org:5433/nerbench")
    assert db == Database("nerbench", "ls@team", "s3cr/t", "db.example.org", 5433)
    assert str(db) == "postgresql://ls%40team@db.example.org:5433/nerbench" and "s3cr" not in repr(db)
    assert db.env() == {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "nerbench",
        "POSTGRE_USER": "ls@team",
        "POSTGRE_PASSWORD": "s3cr/t",
        "POSTGRE_HOST": "db.example.org",
        "POSTGRE_PORT": "5433",
    }


def test_database_url_without_password_or_port():
    db = Database.from_url("postgres://labelstudio@127.0.0.1/labelstudio")
    assert (db.port, db.password) == (5432, "")
    assert db.env()["POSTGRE_PASSWORD"] == ""  # empty, so libpq reads PGPASSWORD or ~/.pgpass


@pytest.mark.parametrize(
    "url",
    ["mysql://u:pw@h/db", "postgresql://u:pw@h/", "postgresql://h:5432/db", "postgresql://u:pw@/db", "postgresql://u:pw@h:notaport/db"],
)
def test_bad_database_url_is_refused_without_showing_the_password(url):
    with pytest.raises(NerbenchError, match=r"^database URL ") as info:
        Database.from_url(url)
    assert "pw" not in str(info.value)


def test_cli_refuses_a_bad_database_url_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["labelstudio", "start", "--state-dir", str(tmp_path)], env={"NERBENCH_DATABASE_URL": "mysql://u:pw@h/db"})
    assert result.exit_code == 1
    assert result.stderr == "Error: database URL mysql://u:***@h/db: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE (only PostgreSQL is supported)\n"
    assert list(tmp_path.iterdir()) == []


def test_state_folder_keeps_its_database(tmp_path):
    db = Database("ls", "ls", "pw", "127.0.0.1", 5432)
    assert server.choose_database(tmp_path, db, first_start=True) == db
    server.save_database(tmp_path, db)
    assert stat.S_IMODE(server.database_path(tmp_path).stat().st_mode) == 0o600
    assert server.choose_database(tmp_path, None, first_start=False) == db  # later starts reuse it
    new_password = Database("ls", "ls", "new", "127.0.0.1", 5432)
    assert server.choose_database(tmp_path, new_password, first_start=False) == new_password
    other = Database("other", "ls", "pw", "127.0.0.1", 5432)
    with pytest.raises(NerbenchError) as info:
        server.choose_database(tmp_path, other, first_start=False)
    assert str(info.value) == (
        f"{tmp_path} was first started with PostgreSQL postgresql://ls@127.0.0.1:5432/ls, not PostgreSQL "
        "postgresql://ls@127.0.0.1:5432/other; use another state folder (--state-dir, LS_STATE) for another database"
    )


def test_sqlite_state_folder_refuses_a_database(tmp_path):
    server.create_credentials(tmp_path, 8080)
    with pytest.raises(NerbenchError, match=f"^{tmp_path} was first started with SQLite in {tmp_path / 'data'}, not PostgreSQL "):
        server.start(tmp_path, database=Database("ls", "ls", "pw", "127.0.0.1", 5432))


@pytest.fixture
def fake_label_studio(tmp_path, monkeypatch):
    """An executable in place of label-studio that records its environment and exits: start() reports it."""
    dump = tmp_path / "env.json"
    script = tmp_path / "label-studio"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\njson.dump(dict(os.environ), open({str(dump)!r}, 'w'))\nsys.exit(3)\n")
    script.chmod(0o755)
    monkeypatch.setenv("LABEL_STUDIO_BIN", str(script))
    return lambda: json.loads(dump.read_text())


def test_database_settings_from_the_shell_never_reach_label_studio(tmp_path, monkeypatch, fake_label_studio):
    for name in ("DJANGO_DB", "LABEL_STUDIO_DJANGO_DB", "POSTGRE_PASSWORD", "HEARTEX_POSTGRE_HOST", "DATABASE_NAME"):
        monkeypatch.setenv(name, "from the shell")
    with pytest.raises(NerbenchError, match="^Label Studio exited with status 3 while starting"):
        server.start(tmp_path / "sqlite", server.free_port())
    env = fake_label_studio()
    assert not [k for k in env if k.removeprefix("LABEL_STUDIO_").removeprefix("HEARTEX_") in server.DATABASE_SETTINGS]
    db = Database("ls", "ls", "pw", "127.0.0.1", 5432)
    with pytest.raises(NerbenchError, match="^Label Studio exited with status 3 while starting"):
        server.start(tmp_path / "postgres", server.free_port(), database=db)
    env = fake_label_studio()
    assert {k: v for k, v in env.items() if k.removeprefix("LABEL_STUDIO_").removeprefix("HEARTEX_") in server.DATABASE_SETTINGS} == db.env()
    assert server.load_database(tmp_path / "postgres") == db and server.load_database(tmp_path / "sqlite") is None


# ---- issue-10 items of the server, through the command line in a process of its own ------------


def nerbench(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`nerbench ...` in a subprocess, with only the given Label Studio settings."""
    clean = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
    clean.update(env or {})
    return subprocess.run([sys.executable, "-m", "nerbench.cli", *args], capture_output=True, text=True, env=clean, timeout=120)


def test_start_refuses_a_port_out_of_range_before_writing_credentials(tmp_path):
    result = nerbench("labelstudio", "start", "--state-dir", str(tmp_path / "state"), "--port", "70000")
    assert (result.returncode, result.stderr) == (1, "Error: --port 70000: not a TCP port (1-65535)\n")
    assert not (tmp_path / "state").exists()


def test_a_bad_port_in_the_credentials_is_one_line_and_a_new_port_replaces_it(tmp_path, fake_label_studio):
    state = tmp_path / "state"
    server.create_credentials(state, 8080)
    creds = json.loads(server.credentials_path(state).read_text())
    server.credentials_path(state).write_text(json.dumps({**creds, "url": "http://127.0.0.1:70000"}))
    result = nerbench("labelstudio", "start", "--state-dir", str(state), env={"LABEL_STUDIO_BIN": os.environ["LABEL_STUDIO_BIN"]})
    assert result.returncode == 1
    assert result.stderr == f"Error: {state}/credentials.json: URL 'http://127.0.0.1:70000' has no valid port; start with --port N (LS_PORT=N) to replace it\n"
    port = server.free_port()
    with pytest.raises(NerbenchError, match="^Label Studio exited with status 3 while starting"):  # the stand-in exits
        server.start(state, port)
    assert server.load_credentials(state) == server.Credentials(f"http://127.0.0.1:{port}", creds["username"], creds["password"], creds["token"])


def test_start_refuses_a_data_folder_whose_credentials_were_removed(tmp_path):
    state = tmp_path / "state"
    (state / "data").mkdir(parents=True)
    (state / "data" / "label_studio.sqlite3").write_bytes(b"SQLite format 3\0")
    result = nerbench("labelstudio", "start", "--state-dir", str(state))
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {state}/data holds a Label Studio database, but {state}/credentials.json is missing: the admin's password and "
        f"API token are in it and cannot be made anew; restore it from a backup, or move {state} away to start afresh "
        f"(its annotations stay in {state}/data)\n"
    )
    assert sorted(p.name for p in state.iterdir()) == ["data"]


def test_the_busy_port_advice_no_longer_says_to_remove_the_credentials(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = nerbench("labelstudio", "start", "--state-dir", str(tmp_path / "state"), "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: port {port} on 127.0.0.1 is in use by another program; stop it, or start on another port with --port N "
        "(LS_PORT=N make labelstudio; the port is kept for later starts). Label Studio would silently take the next port\n"
    )


@pytest.fixture
def stranger():
    """A process that is not our server, named like one: `label-studio start` as its argv[0] and [1]."""
    process = subprocess.Popen(["bash", "-c", "exec -a label-studio sleep 300"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


@pytest.mark.parametrize("content", ["{pid}\n", '{{"pid": {pid}, "start_time": 1, "data_dir": "{data}"}}\n', "0\n", "{own}\n", "not a pid\n"])
def test_stop_never_signals_a_process_it_did_not_start(tmp_path, stranger, content):
    state = tmp_path / "state"
    state.mkdir()
    (state / "server.pid").write_text(content.format(pid=stranger.pid, data=state.resolve() / "data", own=os.getpid()))
    result = nerbench("labelstudio", "stop", "--state-dir", str(state))
    assert (result.returncode, result.stdout, result.stderr) == (0, "Label Studio was not running\n", "")
    assert stranger.poll() is None  # still running
    assert not (state / "server.pid").exists()


def test_a_password_in_label_studio_url_is_never_shown(tmp_path, root):
    port = server.free_port()
    env = {"LABEL_STUDIO_URL": f"http://alice:s3cr3t-pw@127.0.0.1:{port}", "LABEL_STUDIO_API_KEY": "k" * 40}
    result = nerbench("pull", "--gold", str(tmp_path / "gold.jsonl"), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: Label Studio at http://alice:***@127.0.0.1:{port} is unreachable while checking the API key (")
    assert "s3cr3t" not in result.stderr + result.stdout and "k" * 40 not in result.stderr


def test_a_malformed_label_studio_url_is_one_line(tmp_path):
    env = {"LABEL_STUDIO_URL": "ftp://u:pw@example.org", "LABEL_STUDIO_API_KEY": "k"}
    result = nerbench("pull", "--gold", str(tmp_path / "gold.jsonl"), env=env)
    assert (result.returncode, result.stderr) == (1, "Error: LABEL_STUDIO_URL ftp://u:***@example.org: expected http://HOST:PORT or https://HOST\n")


def test_the_server_gets_every_setting_that_keeps_it_offline_and_private(tmp_path, monkeypatch, fake_label_studio):
    monkeypatch.setenv("LABEL_STUDIO_COLLECT_ANALYTICS", "true")  # would win over COLLECT_ANALYTICS
    monkeypatch.setenv("HEARTEX_SENTRY_DSN", "https://key@sentry.example/1")
    state = tmp_path / "state"
    (state / "data").mkdir(parents=True)
    server.create_credentials(state, server.free_port())
    for name in ("label_studio.sqlite3", "label_studio.sqlite3-wal"):
        (state / "data" / name).write_bytes(b"")
        (state / "data" / name).chmod(0o644)
    (state / "data").chmod(0o755)
    with pytest.raises(NerbenchError, match="^Label Studio exited with status 3 while starting"):
        server.start(state)
    env = fake_label_studio()
    assert {k: env[k] for k in server.OFFLINE_ENV} == {"LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": ""}
    assert "LABEL_STUDIO_COLLECT_ANALYTICS" not in env and "HEARTEX_SENTRY_DSN" not in env
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [state, state / "data", *(state / "data").iterdir(), state / "server.log", state / "server.pid"]}
    assert modes == {
        "state": 0o700, "data": 0o700, "label_studio.sqlite3": 0o600, "label_studio.sqlite3-wal": 0o600, "server.log": 0o600, "server.pid": 0o600,
    }  # fmt: skip
