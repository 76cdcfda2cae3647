"""Label Studio tasks out and exports in, through a real Label Studio server (127.0.0.1)."""

from __future__ import annotations

import json
import time

import pytest

from nerbench.annotate.client import Connection, connect
from nerbench.annotate.labelconfig import label_config
from nerbench.annotate.pull import fetch_export
from nerbench.formats.labelstudio import read_tasks
from nerbench.gold import load_gold
from nerbench.labels import load_scheme
from nerbench.seeds import load_seeds

from conftest import ROOT, run_nerbench

pytestmark = pytest.mark.labelstudio


@pytest.fixture(scope="module")
def conn(ls_server):
    _, creds = ls_server
    return Connection(creds.url, creds.token, "test credentials")


def shipped_gold():
    scheme = load_scheme(ROOT / "gold" / "labels.json")
    return scheme, load_gold(ROOT / "gold" / "gold.jsonl", load_seeds(ROOT / "seeds"), scheme)


def server_round_trip(conn, tasks: list, title: str, path, with_predictions: bool = False):
    """Import the tasks into a new project of nerbench's labeling config, export it, save the export.

    Label Studio's quick JSON export lists predictions by id only; with `with_predictions` the
    export is a snapshot that includes them.
    """
    client = connect(conn)
    scheme, _ = shipped_gold()
    project = client.projects.create(title=title, label_config=label_config(scheme))
    client.projects.import_tasks(id=project.id, request=tasks)
    if not with_predictions:
        path.write_bytes(fetch_export(client, conn, project.id))
    else:
        snapshot = client.projects.exports.create(project.id, title="with predictions", serialization_options={"predictions": {"only_id": False}})
        deadline = time.monotonic() + 60
        while client.projects.exports.get(project.id, snapshot.id).status != "completed":
            assert time.monotonic() < deadline, "the snapshot export did not complete within 60 s"
            time.sleep(0.5)
        path.write_bytes(b"".join(client.projects.exports.download(project.id, snapshot.id, export_type="JSON")))
    return json.loads(path.read_text(encoding="utf-8"))


def test_gold_exported_as_annotations_comes_back_from_label_studio_unchanged(conn, tmp_path):
    tasks_file = tmp_path / "tasks.json"
    result = run_nerbench("export", "labelstudio", "--out", str(tasks_file))
    assert result.returncode == 0, result.stderr
    _, gold = shipped_gold()
    assert result.stdout == f"Wrote {tasks_file}: {len(gold.documents)} documents, {gold.n_spans} spans, as annotations\n"
    export = server_round_trip(conn, json.loads(tasks_file.read_text(encoding="utf-8")), "formats annotations", tmp_path / "export.json")
    assert len(export) == 5 and all(len(task["annotations"]) == 1 for task in export)
    out = tmp_path / "corpus"
    result = run_nerbench("import", "labelstudio", str(tmp_path / "export.json"), "--out", str(out), "--labels", "gold/labels.json")
    assert result.returncode == 0, result.stderr
    assert "5 tasks: 5 with a submitted annotation (the gold)" in result.stdout
    scheme, _ = shipped_gold()
    imported = load_gold(out / "gold.jsonl", load_seeds(out / "seeds"), load_scheme(out / "labels.json"))
    assert [(d.id, d.text, d.spans) for d in imported.documents] == [(d.id, d.text, d.spans) for d in gold.documents]
    assert load_scheme(out / "labels.json").labels == scheme.labels


def test_gold_exported_as_predictions_is_imported_by_label_studio_with_its_model_version(conn, tmp_path):
    tasks_file = tmp_path / "tasks.json"
    result = run_nerbench("export", "labelstudio", "--out", str(tasks_file), "--as", "predictions", "--model-version", "gold-v1")
    assert result.returncode == 0 and result.stdout.endswith("as predictions of model version gold-v1\n")
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    # One task also gets an annotation: the export then has a gold for it, and predictions for all.
    _, gold = shipped_gold()
    assert run_nerbench("export", "labelstudio", "--out", str(tmp_path / "a.json")).returncode == 0
    annotated = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    tasks[0]["annotations"] = annotated[0]["annotations"]
    quick = server_round_trip(conn, tasks, "formats predictions", tmp_path / "quick.json")
    assert [t.prediction_ids for t in read_tasks(quick, "quick")] == [1, 1, 1, 1, 1]  # counted, and said when importing
    result = run_nerbench("import", "labelstudio", str(tmp_path / "quick.json"), "--out", str(tmp_path / "q"), "--labels", "gold/labels.json")
    assert "5 predictions listed by id only, without their results: not read" in result.stdout
    export = server_round_trip(conn, tasks, "formats predictions snapshot", tmp_path / "export.json", with_predictions=True)
    read = read_tasks(export, "export")
    assert [t.predictions for t in read] == [{"gold-v1": list(d.spans)} for d in gold.documents]
    assert [t.gold is not None for t in read] == [True, False, False, False, False]
    out = tmp_path / "corpus"
    result = run_nerbench("import", "labelstudio", str(tmp_path / "export.json"), "--out", str(out), "--labels", "gold/labels.json")
    assert result.returncode == 0, result.stderr
    assert "4 tasks without a submitted annotation: seeds only, not in the gold" in result.stdout
    assert "predictions of 'gold-v1' for 1 of the 1 gold documents" in result.stdout
    lines = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(l["id"], l["model"]) for l in lines] == [(gold.documents[0].id, {"name": "gold-v1", "version": ""})]
    assert len(load_seeds(out / "seeds").ids) == 5
