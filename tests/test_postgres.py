"""Team mode: the push/pull round trip against a Label Studio that keeps its data in PostgreSQL.

A throwaway PostgreSQL cluster on 127.0.0.1 (the `postgres` fixture), then the README's
commands: `make labelstudio` with NERBENCH_DATABASE_URL, `make push`, annotations entered by
two annotators, `make pull`, a restart that reuses the database, `make labelstudio-stop`.
"""

from __future__ import annotations

import json

import pytest

from nerbench.annotate import server

from conftest import find, gold_line, run_make, run_nerbench

pytestmark = [pytest.mark.postgres, pytest.mark.labelstudio]

PROJECT = "team gold"


def test_team_server_on_postgresql_round_trip(postgres, tmp_path, seeds):
    state = tmp_path / "team"
    port = server.free_port()
    url = f"http://127.0.0.1:{port}"
    where = f"LS_STATE={state}"
    try:
        started = run_make("labelstudio", where, f"LS_PORT={port}", env={"NERBENCH_DATABASE_URL": postgres.url})
        assert started.returncode == 0, started.stderr + started.stdout
        password = postgres.url.split(":")[2].split("@")[0]
        assert f"Database: PostgreSQL postgresql://labelstudio@127.0.0.1:{postgres.port}/labelstudio" in started.stdout
        assert password not in started.stdout + started.stderr
        assert oct(server.database_path(state).stat().st_mode & 0o777) == "0o600"
        # The tables are Label Studio's, in PostgreSQL, owned by the team's user; no SQLite file.
        assert postgres.query("SELECT tableowner FROM pg_tables WHERE tablename = 'task'") == "labelstudio"
        assert not list(state.rglob("*.sqlite3"))

        pushed = run_make("push", where, f"PROJECT={PROJECT}")
        assert pushed.returncode == 0, pushed.stderr
        assert postgres.query("SELECT count(*) FROM task") == "5"

        d0, d1 = "000_8faa29fe9a578bee", "001_c92b095a75020d04"
        passes = {
            "a@example.org": {d0: [("Jiangsu", "GPE"), ("Nanjing", "GPE")], d1: [("Fujian\u00a0Province", "GPE")]},
            "b@example.org": {d0: [("Jiangsu", "GPE"), ("Nanjing", "LOC")]},
        }
        for annotator, docs in passes.items():
            # each annotator has an account of their own and enters their pass with their own key
            made = run_nerbench("labelstudio", "add-user", annotator, "--state-dir", str(state))
            assert made.returncode == 0, made.stderr
            path = tmp_path / f"{annotator}.jsonl"
            path.write_text("\n".join(gold_line(d, seeds.text(d), spans) for d, spans in docs.items()) + "\n", encoding="utf-8")
            entered = run_nerbench("labelstudio", "import-annotations", str(path), "--user", annotator, "--project", PROJECT, "--state-dir", str(state))
            assert entered.returncode == 0, entered.stderr
        assert postgres.query("SELECT count(*) FROM task_completion WHERE NOT was_cancelled") == "3"

        gold = tmp_path / "gold" / "gold.jsonl"
        pulled = run_make("pull", where, f"PROJECT={PROJECT}", f"GOLD={gold}")
        assert pulled.returncode == 0, pulled.stderr
        assert f"Pulled 2 documents, 2 spans from Label Studio project 1 at {url}" in pulled.stdout
        assert "Agreement a@example.org vs b@example.org: span F1 0.500, Cohen's kappa " in pulled.stdout
        assert f"The gold is PROVISIONAL: 2 documents not final ({d0}, {d1})" in pulled.stdout
        lines = {d["id"]: d for d in map(json.loads, gold.read_text(encoding="utf-8").splitlines())}
        start, end = find(seeds.text(d1), "Fujian\u00a0Province")
        assert lines[d1]["spans"] == [{"start": start, "end": end, "label": "GPE", "text": "Fujian\u00a0Province"}]
        assert [(s["text"], s["label"]) for s in lines[d0]["spans"]] == [("Jiangsu", "GPE")]
        assert lines[d0]["meta"]["conflicts"] == 1 and lines[d0]["provisional"]["unresolved_conflicts"] == 1

        # A restart without the URL uses the recorded database: the annotations are still there.
        assert run_make("labelstudio-stop", where).returncode == 0
        assert not server.is_healthy(url)
        again = run_make("labelstudio", where)
        assert again.returncode == 0, again.stderr
        assert f"Label Studio started at {url}" in again.stdout and f"127.0.0.1:{postgres.port}/labelstudio" in again.stdout
        repulled = run_make("pull", where, f"PROJECT={PROJECT}", f"GOLD={gold}")
        assert repulled.returncode == 0, repulled.stderr
        assert "No changes against the previous gold." in repulled.stdout
    finally:
        server.stop(state)

