"""Turning a Label Studio export into gold, on an export recorded from a real server (1.23.2).

The live round trip is in test_labelstudio.py; these cases change one field of the recording.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from nerbench.annotate.export import adjudicate, agreement, diff_gold
from nerbench.formats.labelstudio import parse_export
from nerbench.annotate.pull import write_pull
from nerbench.errors import NerbenchError
from nerbench.spans import Span

FIXTURE = Path(__file__).parent / "fixtures" / "labelstudio_export_004.json"
DOC = "004_a7989f5d7222c8d0"
USERS = {3: "a@example.org", 4: "b@example.org"}


@pytest.fixture
def export():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def result(start, end, text, label):
    return {"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def test_recorded_export_parses_with_annotators_by_email(export, seeds, scheme):
    docs = parse_export(export, seeds, scheme, USERS)
    (doc,) = docs.values()
    assert doc.doc_id == DOC and doc.tasks == [7]
    assert [a.annotator for a in doc.annotations] == ["a@example.org", "b@example.org"]
    assert doc.annotations[0].spans == (Span(32, 40, "GPE"), Span(52, 56, "GPE"), Span(57, 62, "GPE"))


def bad(export, change):
    broken = copy.deepcopy(export)
    change(broken[0])
    return broken


def set_value(index, **value):
    def change(task):
        task["annotations"][0]["result"][index]["value"].update(value)

    return change


@pytest.mark.parametrize(
    "change,message",
    [
        (set_value(0, end=41, text="Shenzhen "), "export: task 7 (document 004_a7989f5d7222c8d0), annotation 7 by a@example.org: span 0 [32, 41) GPE 'Shenzhen ': span starts or ends with whitespace"),
        (set_value(0, text="Shenzen"), "annotation 7 by a@example.org: span 0 [32, 40) GPE 'Shenzhen': span text 'Shenzen' differs from the text's slice"),
        (set_value(0, start=5000, end=5008), "span 0 [5000, 5008) GPE: offsets outside the text"),
        (set_value(0, labels=["CITY"]), "span 0 [32, 40) CITY 'Shenzhen': label 'CITY' is not in the label scheme"),
        (set_value(0, labels=["GPE", "LOC"]), "result 0 has labels ['GPE', 'LOC']; a span carries exactly one label"),
        (set_value(1, start=30, end=56, text=None), "overlaps span"),
        (lambda t: t["data"].update(text=t["data"]["text"] + " "), "export: task 7 (document 004_a7989f5d7222c8d0): its text no longer matches the seed"),
        (lambda t: t["data"].update(doc_id="999_gone"), "export: task 7: document '999_gone' is not a seed"),
        (lambda t: t["data"].pop("doc_id"), "export: task 7: data needs a text and a doc_id"),
        (lambda t: t["annotations"][0]["result"].append({"type": "choices", "from_name": "x", "to_name": "text", "value": {}}), "result 3 is a 'choices', not a span"),
    ],
    ids=["whitespace", "text_differs", "outside", "unknown_label", "two_labels", "overlap", "seed_changed", "not_a_seed", "no_doc_id", "other_result_type"],
)
def test_bad_export_names_the_task_and_annotation(export, seeds, scheme, change, message):
    broken = bad(export, change)
    if "overlaps" in message:  # make the overlap valid in every other respect
        text = seeds.text(DOC)
        broken[0]["annotations"][0]["result"][1]["value"]["text"] = text[30:56]
    with pytest.raises(NerbenchError) as info:
        parse_export(broken, seeds, scheme, USERS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cancelled_annotations_are_left_out(export, seeds, scheme):
    export[0]["annotations"][1]["was_cancelled"] = True
    (doc,) = parse_export(export, seeds, scheme, USERS).values()
    assert [a.annotator for a in doc.annotations] == ["a@example.org"]


def test_agreement_and_conflicts_between_two_annotators(export, seeds, scheme):
    text = seeds.text(DOC)
    # b relabels "Jiang" as LOC and adds a span a does not have
    b = export[0]["annotations"][1]["result"]
    b[2]["value"]["labels"] = ["LOC"]
    start = text.index("Jiangmen")
    b.append(result(start, start + 8, "Jiangmen", "GPE"))
    (doc,) = parse_export(export, seeds, scheme, USERS).values()
    decision = adjudicate(doc)
    assert decision.rule == "agreement"
    assert decision.spans == (Span(32, 40, "GPE"), Span(52, 56, "GPE"))
    assert [(c["text"], c["label"], c["marked_by"]) for c in decision.conflicts] == [
        ("Jiang", "GPE", ["a@example.org"]),
        ("Jiang", "LOC", ["b@example.org"]),
        ("Jiangmen", "GPE", ["b@example.org"]),
    ]
    (pair,) = agreement({DOC: doc}, scheme.names)
    # a: 3 GPE; b: 3 GPE + 1 LOC; 2 identical. F1 = 2*2 / (3 + 4)
    assert pair["f1"] == pytest.approx(4 / 7)
    assert pair["per_label"]["GPE"]["f1"] == pytest.approx(2 * 2 / (3 + 3))
    assert pair["per_label"]["LOC"]["f1"] == 0.0
    assert pair["spans"] == {"a@example.org": 3, "b@example.org": 4}


def test_ground_truth_annotation_wins(export, seeds, scheme):
    export[0]["annotations"][1]["ground_truth"] = True
    export[0]["annotations"][1]["result"] = export[0]["annotations"][1]["result"][:1]
    (doc,) = parse_export(export, seeds, scheme, USERS).values()
    decision = adjudicate(doc)
    assert (decision.rule, decision.spans, decision.conflicts) == ("ground_truth", (Span(32, 40, "GPE"),), [])


def test_diff_counts_added_removed_and_relabelled():
    old = {"d": [Span(0, 3, "ORG"), Span(5, 8, "GPE"), Span(10, 12, "DATE")]}
    new = {"d": [Span(0, 3, "ORG"), Span(5, 8, "LOC"), Span(14, 16, "CARDINAL")], "e": [Span(0, 1, "ORG")]}
    assert diff_gold(old, new) == {
        "d": {"added": 1, "removed": 1, "relabelled": 1},
        "e": {"added": 1, "removed": 0, "relabelled": 0, "new_document": 1},
    }


def test_malformed_export_writes_nothing(tmp_path, seeds, scheme):
    gold = tmp_path / "gold" / "gold.jsonl"
    gold.parent.mkdir()
    gold.write_text("previous gold\n")
    for raw, message in [(b"<html>oops</html>", "malformed export: not JSON"), (b'{"tasks": []}', "malformed export: expected a JSON list of tasks, got dict")]:
        with pytest.raises(NerbenchError, match=message):
            write_pull(raw, seeds, scheme, gold, {}, "export")
    assert sorted(p.name for p in gold.parent.iterdir()) == ["gold.jsonl"]
    assert gold.read_text() == "previous gold\n"


def test_pull_writes_gold_export_and_report(export, tmp_path, seeds, scheme):
    gold = tmp_path / "gold.jsonl"
    result = write_pull(json.dumps(export).encode(), seeds, scheme, gold, USERS, "export")
    assert result.report["unannotated"] == [d for d in seeds.ids if d != DOC]
    assert result.report["rules"] == {DOC: "agreement"}
    lines = gold.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["spans"][0] == {"start": 32, "end": 40, "label": "GPE", "text": "Shenzhen"}
    assert json.loads((tmp_path / "labelstudio-export.json").read_text()) == export
