"""The local server's database setting: URL parsing, the record in the state folder, the environment.

No Label Studio here: tests/test_labelstudio.py and tests/test_postgres.py start the real one.
"""

from __future__ import annotations

import json
import stat
import sys

import pytest
from typer.testing import CliRunner

from nerbench.annotate import server
from nerbench.annotate.server import Database
from nerbench.cli import app
from nerbench.errors import NerbenchError


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
