"""Turning a Label Studio export into gold, on an export recorded from a real server (1.23.2).

The recording (tests/fixtures/labelstudio_export_004.json, made by
tests/fixtures/record_labelstudio_export_004.py on a local server after `nerbench labelstudio
add-user` for each person) holds one task, document 004, with: two submitted annotations made
with alice's and bob's own keys (with `lead_time`), a skip by rev, a draft by carol, and dave's
annotation that the admin then saved over (`updated_by` 1). The live round trip is in
test_labelstudio.py; these cases change one field of the recording.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from nerbench.annotate.pull import plan_pull, render_pull, write_pull
from nerbench.errors import NerbenchError
from nerbench.formats.labelstudio import parse_export
from nerbench.gold import Document, load_gold, write_gold
from nerbench.spans import Span

FIXTURE = Path(__file__).parent / "fixtures" / "labelstudio_export_004.json"
DOC = "004_a7989f5d7222c8d0"
USERS = {1: "admin@nerbench.local", 2: "alice@example.org", 3: "bob@example.org", 4: "rev@example.org", 5: "carol@example.org", 6: "dave@example.org"}
SPANS = (Span(32, 40, "GPE"), Span(52, 56, "GPE"), Span(57, 62, "GPE"))  # Shenzhen, Shen, Jiang


@pytest.fixture
def export():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def raw(export) -> bytes:
    return json.dumps(export).encode()


def result(start, end, text, label):
    return {"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def test_recorded_export_parses_with_authors_skips_drafts_and_who_saved_last(export, seeds, scheme):
    (doc,) = parse_export(export, seeds, scheme, USERS).values()
    assert doc.doc_id == DOC and doc.tasks == [16]
    assert [(a.annotator, a.editor, a.lead_time) for a in doc.annotations] == [
        ("alice@example.org", None, 95.5),
        ("bob@example.org", None, 120.25),
        ("dave@example.org", "admin@nerbench.local", 30.0),
    ]
    assert doc.annotations[0].spans == SPANS
    assert (doc.skipped, doc.drafts) == (["rev@example.org"], ["carol@example.org"])
    passes = doc.passes()
    assert [a.annotator for a in passes.annotations] == ["alice@example.org", "bob@example.org"]  # dave's is not his own
    assert passes.skipped_by == ["rev@example.org"]


def bad(export, change):
    broken = copy.deepcopy(export)
    change(broken[0])
    return broken


def set_value(index, **value):
    def change(task):
        task["annotations"][0]["result"][index]["value"].update(value)

    return change


def set_field(key, value, annotation=0):
    def change(task):
        task["annotations"][annotation][key] = value

    return change


@pytest.mark.parametrize(
    "change,message",
    [
        (set_value(0, end=41, text="Shenzhen "), "export: task 16 (document 004_a7989f5d7222c8d0), annotation 16 by alice@example.org: span 0 [32, 41) GPE 'Shenzhen ': span starts or ends with whitespace"),
        (set_value(0, text="Shenzen"), "annotation 16 by alice@example.org: span 0 [32, 40) GPE 'Shenzhen': span text 'Shenzen' differs from the text's slice"),
        (set_value(0, start=5000, end=5008), "span 0 [5000, 5008) GPE: offsets outside the text"),
        (set_value(0, labels=["CITY"]), "span 0 [32, 40) CITY 'Shenzhen': label 'CITY' is not in the label scheme"),
        (set_value(0, labels=["GPE", "LOC"]), "result 0 has labels ['GPE', 'LOC']; a span carries exactly one label"),
        (set_value(1, start=30, end=56, text=None), "overlaps span"),
        (lambda t: t["data"].update(text=t["data"]["text"] + " "), "export: task 16 (document 004_a7989f5d7222c8d0): its text no longer matches the seed"),
        (lambda t: t["data"].update(doc_id="999_gone"), "export: task 16: document '999_gone' is not a seed"),
        (lambda t: t["data"].pop("doc_id"), "export: task 16: data needs a text and a doc_id"),
        (lambda t: t["annotations"][0]["result"].append({"type": "choices", "from_name": "x", "to_name": "text", "value": {}}), "result 3 is a 'choices', not a span"),
        # fields of the wrong type: one line each, never a traceback
        (lambda t: t.update(id="11"), "export: malformed export: item 0 is not a task with an integer id and data"),
        (lambda t: t.update(annotations={"id": 1}), 'export: task 16 (document 004_a7989f5d7222c8d0): "annotations" is dict, expected a list'),
        (set_field("id", "twelve"), 'annotation 0: "id" is \'twelve\', expected an integer'),
        (set_field("completed_by", "alice"), 'annotation 16: "completed_by" is \'alice\', expected a user id'),
        (set_field("ground_truth", "yes"), 'annotation 16: "ground_truth" is \'yes\', expected true or false'),
        (set_field("was_cancelled", 1), 'annotation 16: "was_cancelled" is 1, expected true or false'),
        (set_field("result", {"start": 1}), 'annotation 16 by alice@example.org: "result" is dict, expected a list'),
        (set_field("lead_time", "95 s"), 'annotation 16 by alice@example.org: "lead_time" is \'95 s\', expected seconds'),
        (set_field("updated_by", "admin"), 'annotation 16 by alice@example.org: "updated_by" is \'admin\', expected a user id'),
        (lambda t: t["annotations"][0]["result"][0].update(value=[32, 40]), 'annotation 16 by alice@example.org: result 0: "value" is list, expected an object'),
        (lambda t: t["drafts"][0].update(user=5), 'draft 0: "user" is int, expected the author\'s e-mail'),
    ],
    ids=[
        "whitespace", "text_differs", "outside", "unknown_label", "two_labels", "overlap", "seed_changed", "not_a_seed", "no_doc_id",
        "other_result_type", "task_id_type", "annotations_type", "annotation_id_type", "completed_by_type", "ground_truth_type",
        "was_cancelled_type", "result_type", "lead_time_type", "updated_by_type", "value_type", "draft_user_type",
    ],
)  # fmt: skip
def test_bad_export_names_the_task_and_annotation(export, seeds, scheme, change, message):
    broken = bad(export, change)
    if "overlaps" in message:  # make the overlap valid in every other respect
        text = seeds.text(DOC)
        broken[0]["annotations"][0]["result"][1]["value"]["text"] = text[30:56]
    with pytest.raises(NerbenchError) as info:
        parse_export(broken, seeds, scheme, USERS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_pull_writes_gold_export_and_report_as_one_set(export, tmp_path, seeds, scheme):
    gold = tmp_path / "gold.jsonl"
    pulled = write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl", "labelstudio-export.json", "pull-report.json", "pull-report.md"]
    report = pulled.report
    assert report["rules"] == {DOC: "agreement"} and report["provisional"] == {}
    assert report["unannotated"]["000_8faa29fe9a578bee"] == "no task (push it with `make push`)"
    assert report["not_counted"] == [{"document": DOC, "task": 16, "annotation": 19, "author": "dave@example.org", "saved_by": "admin@nerbench.local"}]
    assert report["annotator_figures"]["alice@example.org"]["seconds_total"] == 95.5
    assert report["annotator_figures"]["rev@example.org"]["skipped"] == 1
    (line,) = gold.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["spans"][0] == {"start": 32, "end": 40, "label": "GPE", "text": "Shenzhen"}
    assert json.loads((tmp_path / "labelstudio-export.json").read_text()) == export
    shown = render_pull(report, tmp_path / "pull-report.md")
    assert "Not counted: annotation 19 of 004_a7989f5d7222c8d0 by dave@example.org was last saved by admin@nerbench.local" in shown
    assert shown.endswith("The gold is final: every document has 2 annotators or a ground truth, and no unresolved conflict.")


def test_conflicts_make_the_gold_provisional_and_are_listed_one_line_each(export, tmp_path, seeds, scheme):
    text = seeds.text(DOC)
    b = export[0]["annotations"][1]["result"]
    b[2]["value"]["labels"] = ["LOC"]  # "Jiang": GPE for alice, LOC for bob
    start = text.index("Jiangmen")
    b.append(result(start, start + 8, "Jiangmen", "GPE"))  # only bob
    pulled = write_pull(raw(export), seeds, scheme, tmp_path / "gold.jsonl", USERS, "export", required=2)
    assert pulled.report["provisional"] == {DOC: {"unresolved_conflicts": 2, "annotators": 2, "annotators_required": 2}}
    gold_line = json.loads((tmp_path / "gold.jsonl").read_text(encoding="utf-8"))
    assert gold_line["provisional"] == {"unresolved_conflicts": 2, "annotators": 2, "annotators_required": 2}
    assert [s["text"] for s in gold_line["spans"]] == ["Shenzhen", "Shen"]
    shown = render_pull(pulled.report, tmp_path / "pull-report.md").splitlines()
    assert shown[3:7] == [
        "Unresolved conflicts: 2 (1 same span, different label, 1 span marked by one side only); their spans stay out of the gold until a reviewer decides:",
        "  004_a7989f5d7222c8d0 [57, 62) 'Jiang': same span, different label: alice@example.org: GPE 'Jiang'; bob@example.org: LOC 'Jiang'",
        f"  004_a7989f5d7222c8d0 [{start}, {start + 8}) 'Jiangmen': span marked by one side only: alice@example.org: nothing; bob@example.org: GPE 'Jiangmen'",
        f"  (also listed in {tmp_path / 'pull-report.md'})",
    ]
    assert "The gold is PROVISIONAL: 1 documents not final (004_a7989f5d7222c8d0)" in shown[-1]
    md = (tmp_path / "pull-report.md").read_text(encoding="utf-8")
    assert "| 004_a7989f5d7222c8d0 | \\[57, 62) | Jiang | same span, different label | GPE 'Jiang' | LOC 'Jiang' | no |" in md


def test_terminal_caps_the_conflicts_and_points_at_the_report(export, tmp_path, seeds, scheme):
    text = seeds.text(DOC)
    b = export[0]["annotations"][1]["result"]
    starts = [i for i in range(len(text) - 1) if text[i].isupper() and (i == 0 or not text[i - 1].isalnum())][:40]
    taken = {(r["value"]["start"], r["value"]["end"]) for r in b}
    added = 0
    for s in starts:
        e = s + 1
        if any(s < te and ts < e for ts, te in taken):
            continue
        b.append(result(s, e, text[s:e], "ORG"))
        taken.add((s, e))
        added += 1
    assert added > 20
    report = plan_pull(raw(export), seeds, scheme, tmp_path / "gold.jsonl", USERS, "export", 2).report
    shown = render_pull(report, "gold/pull-report.md").splitlines()
    listed = [l for l in shown if l.startswith("  004_") and "span marked by one side only" in l]
    assert len(listed) == 20
    assert f"  ... and {added - 20} more: every conflict is listed in gold/pull-report.md" in shown
    assert not (tmp_path / "gold.jsonl").exists()  # planning writes nothing


def previous_gold(tmp_path, seeds, annotation_ids=(16, 17), annotators=("alice@example.org", "bob@example.org")) -> Path:
    gold = tmp_path / "gold.jsonl"
    meta = {"annotations": list(annotation_ids), "annotators": list(annotators), "rule": "agreement"}
    write_gold(gold, [Document(DOC, seeds.text(DOC), SPANS, meta)])
    return gold


@pytest.mark.parametrize(
    "change,cause",
    [
        (lambda e: e[0]["annotations"].pop(1), "004_a7989f5d7222c8d0: annotation 17 by bob@example.org deleted"),
        (lambda e: e[0]["annotations"][1].update(was_cancelled=True), "004_a7989f5d7222c8d0: annotation 17 by bob@example.org skipped"),
        (lambda e: e[0]["annotations"][1].update(updated_by=1), "annotation 17 by bob@example.org last saved by admin@nerbench.local, so not counted as bob@example.org's"),
        (
            lambda e: e[0].update(annotations=[a for a in e[0]["annotations"] if a["id"] not in (16, 17, 19)]),
            "004_a7989f5d7222c8d0: annotation 16 by alice@example.org deleted, annotation 17 by bob@example.org deleted, skipped by rev@example.org, draft by carol@example.org (not submitted)",
        ),
    ],
    ids=["annotation_deleted", "annotation_skipped", "saved_by_someone_else", "skip_and_draft_left"],
)
def test_pull_refuses_to_drop_what_the_previous_gold_was_made_from(export, tmp_path, seeds, scheme, change, cause):
    gold = previous_gold(tmp_path, seeds)
    before = gold.read_bytes()
    change(export)
    with pytest.raises(NerbenchError) as info:
        write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2)
    message = str(info.value)
    assert message.startswith(f"export: pulling now would drop from {gold} what it was made from: ")
    assert cause in message
    assert message.endswith("nothing written (restore it in Label Studio, or pull with --allow-removals to accept the loss)")
    assert gold.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl"]
    if "skipped by" in cause:  # nothing left to pull at all
        with pytest.raises(NerbenchError, match="^export: no document has a submitted annotation yet; nothing written$"):
            write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2, allow_removals=True)
        return
    allowed = write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2, allow_removals=True)
    assert any(cause.split(": ", 1)[-1] in item for item in allowed.report["removals"])


def test_pull_refuses_a_deleted_task_without_allow_removals(export, tmp_path, seeds, scheme):
    gold = tmp_path / "gold.jsonl"
    other = "003_60ae0ecac7092d18"
    write_gold(gold, [Document(other, seeds.text(other), (), {"annotations": [3], "annotators": ["alice@example.org"]}), Document(DOC, seeds.text(DOC), SPANS)])
    with pytest.raises(NerbenchError) as info:
        write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2)
    assert f"what it was made from: {other}: task deleted; nothing written" in str(info.value)
    dry = plan_pull(raw(export), seeds, scheme, gold, USERS, "export", 2, allow_removals=True)
    assert dry.report["removals"] == [f"{other}: task deleted"]
    assert dry.report["changes"][other] == {"added": 0, "removed": 0, "relabelled": 0, "dropped_document": 1}
    assert "Dropped (--allow-removals): 003_60ae0ecac7092d18: task deleted" in render_pull(dry.report, "r.md", dry_run=True)


def test_a_broken_previous_gold_says_it_is_only_read_to_compare(export, tmp_path, seeds, scheme):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(NerbenchError) as info:
        write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2)
    assert str(info.value) == (
        f"the previous gold, read only to report what changes and to catch dropped documents, is not valid: {gold}:1: not valid JSON: "
        f"Expecting property name enclosed in double quotes (line 1, column 2); move {gold} away to pull without comparing"
    )
    assert gold.read_text() == "{not json\n"


def test_a_previous_gold_of_an_older_seed_text_is_compared_not_refused(export, tmp_path, seeds, scheme):
    gold = tmp_path / "gold.jsonl"
    old_text = seeds.text(DOC).replace("Jiangmen", "Kongmoon", 1)
    write_gold(gold, [Document(DOC, old_text, SPANS, {"annotations": [16, 17], "annotators": ["alice@example.org", "bob@example.org"]})])
    pulled = write_pull(raw(export), seeds, scheme, gold, USERS, "export", required=2)
    assert pulled.report["changes"] == {} and load_gold(gold, seeds, scheme).documents[0].text == seeds.text(DOC)


def test_a_reviewers_annotation_is_the_ground_truth_and_an_unnamed_third_person_is_refused(export, tmp_path, seeds, scheme):
    export[0]["annotations"][3]["updated_by"] = 6  # dave saved his own annotation: a third pass
    with pytest.raises(NerbenchError) as info:
        plan_pull(raw(export), seeds, scheme, tmp_path / "gold.jsonl", USERS, "export", 2)
    assert str(info.value) == (
        "export: document 004_a7989f5d7222c8d0 has passes by 3 people (alice@example.org, bob@example.org, dave@example.org) but the "
        "project asks for 2 annotators per task: name a reviewer with --reviewer EMAIL (REVIEWERS=... for make pull), or raise the "
        "overlap with `nerbench push --annotators 3`; nothing written"
    )
    plan = plan_pull(raw(export), seeds, scheme, tmp_path / "gold.jsonl", USERS, "export", 2, reviewers=["dave@example.org"])
    assert plan.report["rules"] == {DOC: "ground_truth"} and plan.report["annotators"] == {DOC: ["dave@example.org"]}
    assert plan.report["agreement"]["annotators"] == ["alice@example.org", "bob@example.org"]  # the reviewer is no annotator


def test_majority_vote_with_three_annotators(export, tmp_path, seeds, scheme):
    export[0]["annotations"][3]["updated_by"] = 6
    export[0]["annotations"][3]["result"] = export[0]["annotations"][0]["result"][:2]  # dave: no "Jiang"
    plan = plan_pull(raw(export), seeds, scheme, tmp_path / "gold.jsonl", USERS, "export", 3)
    assert plan.report["rules"] == {DOC: "majority"} and plan.report["provisional"] == {}
    assert [c["resolved"] for c in plan.report["conflicts"][DOC]] == ["majority"]
    assert plan.report["agreement"]["overall"]["annotators"] == 3


def test_malformed_export_writes_nothing(tmp_path, seeds, scheme):
    gold = tmp_path / "gold" / "gold.jsonl"
    gold.parent.mkdir()
    gold.write_text("previous gold\n")
    for raw_bytes, message in [
        (b"<html>oops</html>", "export: not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"tasks": []}', "malformed export: expected a JSON list of tasks, got dict"),
        (b"[" * 100000 + b"]" * 100000, "export: JSON nested too deeply"),
    ]:
        with pytest.raises(NerbenchError, match=message.replace("(", r"\(").replace(")", r"\)")):
            write_pull(raw_bytes, seeds, scheme, gold, {}, "export")
    assert sorted(p.name for p in gold.parent.iterdir()) == ["gold.jsonl"]
    assert gold.read_text() == "previous gold\n"
