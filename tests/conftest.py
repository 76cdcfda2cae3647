"""Shared fixtures: the real label scheme and seeds, small hand-made gold files, and real servers.

The servers are real and throwaway: Label Studio on a free port of 127.0.0.1 with temporary
data, a PostgreSQL cluster made for the session, and Debian's Chromium driven by Playwright.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from nerbench.labels import load_scheme
from nerbench.seeds import load_seeds

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scheme():
    return load_scheme(ROOT / "gold" / "labels.json")


@pytest.fixture(scope="session")
def seeds():
    return load_seeds(ROOT / "seeds")


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", target)
    return target


def find(text: str, surface: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the nth occurrence of `surface` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def gold_line(doc_id: str, text: str, spans: list[tuple[str, str]] | list[dict], **overrides) -> str:
    """One gold JSONL line; spans given as (surface, label) pairs (first occurrences) or raw dicts."""
    from nerbench.fileio import sha256_text

    raw = []
    for span in spans:
        if isinstance(span, dict):
            raw.append(span)
        else:
            surface, label = span
            start, end = find(text, surface)
            raw.append({"start": start, "end": end, "label": label, "text": surface})
    data = {"id": doc_id, "text": text, "text_sha256": sha256_text(text), "spans": raw}
    data.update(overrides)
    return json.dumps(data, ensure_ascii=False)


# The small hand-made gold used by the loader and end-to-end tests: two seed documents.
SMALL_GOLD = {
    "000_8faa29fe9a578bee": [
        ("East China", "LOC"),
        ("Jiangsu", "GPE"),
        ("Wednesday", "DATE"),
        ("Nanjing", "GPE"),
        ("Lou Qinjian", "PERSON"),
        ("Ma Huateng", "PERSON"),
        ("Tencent", "ORG"),
    ],
    "004_a7989f5d7222c8d0": [],
}


@pytest.fixture
def small_gold(tmp_path: Path, seeds) -> Path:
    lines = []
    for doc_id, spans in SMALL_GOLD.items():
        text = seeds.text(doc_id)
        # Keep spans sorted by offset, as the format requires.
        located = sorted(({"start": s, "end": e, "label": l, "text": t} for t, l in spans for s, e in [find(text, t)]), key=lambda d: d["start"])
        lines.append(gold_line(doc_id, text, located))
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    """A real Label Studio server on a free port of 127.0.0.1, with a fresh SQLite data folder.

    Started by the same code as `make labelstudio`; stopped at the end of the session.
    """
    import os

    from nerbench.annotate import server

    local = ROOT / ".venv-ls" / "bin" / "label-studio"
    if "LABEL_STUDIO_BIN" not in os.environ and local.exists():
        os.environ["LABEL_STUDIO_BIN"] = str(local)
    state = tmp_path_factory.mktemp("labelstudio")
    # the first start migrates a new database: minutes on a busy machine
    creds, started = server.start(state, server.free_port(), timeout=600)
    assert started
    yield state, creds
    server.stop(state)


@pytest.fixture(scope="session")
def ls_accounts(ls_server):
    """Alice and Bob (annotators) and a reviewer: real accounts on the test server, each with their own key.

    Made as `nerbench labelstudio add-user` makes them: signed up through the invitation link.
    """
    from nerbench.annotate import server

    state, _ = ls_server
    return {name: server.create_account(state, f"{name}@example.org") for name in ("alice", "bob", "reviewer")}


# Variables that would point make or the CLI at another server, project or database than the test's.
FOREIGN_ENV = ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "NERBENCH_PROJECT", "NERBENCH_DATABASE_URL", "LS_PORT", "LS_STATE", "GOLD")


def run_make(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `make <args>` in the project, as a user would, without the caller's make or server settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k not in FOREIGN_ENV}
    clean.update(env or {})
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout)


def run_nerbench(*args: str, timeout: float = 300, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run the `nerbench` command in a process of its own, without the caller's server settings.

    `prefix`: a command that runs it, e.g. `setpriv` to take a privilege away.
    """
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
    return subprocess.run([*prefix, sys.executable, "-m", "nerbench.cli", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout)


# ---- PostgreSQL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresCluster:
    """A throwaway cluster: superuser `postgres` over its Unix socket, `labelstudio` over TCP."""

    bindir: Path
    socket_dir: Path
    port: int
    url: str  # postgresql://labelstudio:<password>@127.0.0.1:<port>/labelstudio
    run_as: tuple[str, ...]

    def query(self, sql: str, database: str = "labelstudio") -> str:
        """Run SQL as the superuser and return psql's unaligned output."""
        return _run(
            self.run_as, self.bindir / "psql", "-h", self.socket_dir, "-p", self.port, "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1", "-At", "-c", sql,
        ).strip()  # fmt: skip


def postgres_bindir() -> Path:
    """The server binaries: $PG_BINDIR, the newest /usr/lib/postgresql/<version>/bin (Debian), or the PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    debian = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if debian:
        return max(debian, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    pytest.fail("PostgreSQL's initdb is not installed: `make test` installs Debian's postgresql (or set PG_BINDIR)")


def _run(run_as: tuple[str, ...], *command, timeout: float = 120) -> str:
    # From "/": the postgres user may not be allowed into the caller's folder.
    result = subprocess.run([*run_as, *map(str, command)], cwd="/", capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} exited with {result.returncode}: {result.stderr or result.stdout}")
    return result.stdout


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster of its own on a free port of 127.0.0.1, with a database and user `labelstudio`.

    As root, the cluster runs as the `postgres` OS user (the server refuses to run as root), in
    a folder outside pytest's (which that user cannot enter). Stopped and removed at the end.
    """
    import secrets

    from nerbench.annotate import server

    bindir = postgres_bindir()
    run_as: tuple[str, ...] = ("runuser", "-u", "postgres", "--") if os.geteuid() == 0 else ()
    base = Path(tempfile.mkdtemp(prefix="nerbench-pg-"))
    if run_as:
        shutil.chown(base, "postgres", "postgres")
    data, socket_dir, log = base / "data", base / "socket", base / "server.log"
    port = server.free_port()
    try:
        # Local socket connections are trusted, but the socket lives in a folder only its owner can
        # enter; TCP connections need the password (SCRAM), as Label Studio's will.
        _run(run_as, bindir / "initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        _run(run_as, "mkdir", "-m", "700", socket_dir)
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={socket_dir} -c fsync=off"
        _run(run_as, bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")
        password = secrets.token_hex(16)
        cluster = PostgresCluster(bindir, socket_dir, port, f"postgresql://labelstudio:{password}@127.0.0.1:{port}/labelstudio", run_as)
        cluster.query(f"CREATE ROLE labelstudio LOGIN PASSWORD '{password}'", database="postgres")
        cluster.query("CREATE DATABASE labelstudio OWNER labelstudio", database="postgres")
        yield cluster
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], cwd="/", capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


# ---- The browser -------------------------------------------------------------------------------

CHROMIUM = os.environ.get("NERBENCH_CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium, headless, with nothing that reaches for the network by itself.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_addoption(parser):
    parser.addoption(
        "--labelling-screenshot",
        metavar="PNG",
        help="Also save the browser test's screenshot of the labelling page here (the README's is docs/labelling-page.png).",
    )


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (test tools cannot download a browser here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium (or set NERBENCH_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request, tmp_path):
    """A fresh browser page; when the test fails, a screenshot of it goes into the test's output."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    request.node.screenshot_dir = tmp_path / "screenshots"
    request.node.screenshot_dir.mkdir()
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    folder = getattr(item, "screenshot_dir", None)
    page = getattr(item, "funcargs", {}).get("page")
    if report.when != "call" or not report.failed or folder is None or page is None:
        return
    lines = []
    try:
        final = folder / "at-failure.png"
        page.screenshot(path=str(final), full_page=True)
        lines.append(f"page at failure ({page.url}): {final}")
    except Exception as e:  # the page may be what failed; the earlier screenshots still help
        lines.append(f"no screenshot at failure: {e}")
    lines += [f"step: {p}" for p in sorted(folder.glob("step-*.png"))]
    report.sections.append(("screenshots", "\n".join(lines)))
