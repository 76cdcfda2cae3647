"""Carrying spans to a changed text (nerbench.reanchor) and `nerbench gold carry-over`, offline."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.gold import load_gold
from nerbench.reanchor import _by_context, reanchor
from nerbench.seeds import build_manifest, load_seeds
from nerbench.spans import Span

from conftest import find, gold_line

OLD = "Tencent met Lou in Nanjing. Later, Lou flew to Shenzhen."


def spans(text, *pairs):
    return [Span(*find(text, s, n), label) for s, label, n in pairs]


def texts(text, found):
    return [(text[s.start : s.end], s.label) for s in found]


def test_unchanged_stretches_keep_their_spans_by_position():
    new = "Yesterday, " + OLD.replace("met", "signed with")
    placed, lost = reanchor(OLD, new, spans(OLD, ("Tencent", "ORG", 0), ("Lou", "PERSON", 1), ("Shenzhen", "GPE", 0)))
    assert texts(new, placed) == [("Tencent", "ORG"), ("Lou", "PERSON"), ("Shenzhen", "GPE")]
    assert placed[1] == Span(*find(new, "Lou", 1), "PERSON") and lost == []


def test_a_changed_stretch_is_found_again_by_its_text_and_context():
    new = OLD.replace("in Nanjing. Later", "in Nanjing, the capital. Later")
    # "Nanjing" lies in an edited stretch for the diff, but its text and left context are still there
    placed, lost = reanchor(OLD, new, spans(OLD, ("Nanjing", "GPE", 0)))
    assert texts(new, placed) == [("Nanjing", "GPE")] and lost == []


def test_a_span_whose_text_is_gone_or_ambiguous_is_listed_not_dropped():
    new = OLD.replace("Shenzhen", "Shen-zhen").replace("Lou in", "Lou and Lou in")
    old_spans = spans(OLD, ("Lou", "PERSON", 0), ("Shenzhen", "GPE", 0))
    placed, lost = reanchor(OLD, new, old_spans)
    assert texts(new, placed) == [("Lou", "PERSON")]
    assert lost == [old_spans[1]]


def test_two_places_that_fit_equally_well_leave_the_span_unplaced():
    # The search by text (step 2), on its own: the diff would place a span whose text is unchanged.
    old = "[Lou Qin]"
    assert _by_context(Span(1, 8, "PERSON"), old, "Lou Qin; Lou Qin") is None  # no context matches either place
    assert _by_context(Span(1, 8, "PERSON"), old, "Lou Qin; [Lou Qin") == Span(10, 17, "PERSON")


def test_placed_spans_never_overlap():
    old = "New York City"
    new = "New York"
    placed, lost = reanchor(old, new, [Span(0, 8, "GPE"), Span(4, 13, "GPE")])
    assert placed == [Span(0, 8, "GPE")] and lost == [Span(4, 13, "GPE")]


def test_gold_carry_over_moves_the_gold_to_the_new_seed_and_marks_what_it_could_not_place(tmp_path, seeds, root):
    folder = tmp_path / "seeds"
    shutil.copytree(root / "seeds", folder)
    doc = "002_e205de1bbff1140c"
    old = seeds.text(doc)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line(doc, old, [("Tencent", "ORG"), ("Songjiang", "GPE")], meta={"rule": "agreement"}) + "\n", encoding="utf-8")
    (folder / f"{doc}.txt").write_bytes(("Corrected. " + old).replace("Songjiang", "Sungkiang").encode("utf-8"))
    build_manifest(folder)
    args = ["--gold", str(gold), "--seeds", str(folder), "--labels", str(root / "gold/labels.json")]
    result = CliRunner().invoke(app, ["gold", "carry-over", *args])
    assert result.exit_code == 0, result.output
    start, end = find(old, "Songjiang")
    assert result.stdout.splitlines() == [
        f"{doc}: 1 spans carried to the new text, 1 not placed",
        f"  not placed: [{start}, {end}) GPE 'Songjiang' (offsets in the old text)",
        f"Wrote {gold}; documents with spans not placed are provisional until annotated again",
    ]
    new_seeds = load_seeds(folder)
    (carried,) = load_gold(gold, new_seeds, None).documents
    assert carried.text == new_seeds.text(doc)
    assert [(s.text_in(carried.text), s.label) for s in carried.spans] == [("Tencent", "ORG")]
    assert carried.provisional == {"unplaced_spans": 1}
    assert carried.meta == {"rule": "agreement", "carried_from_sha256": seeds.get(doc).sha256}
    check = CliRunner().invoke(app, ["gold", "check", *args])
    assert check.exit_code == 1
    assert check.stderr == f"Error: {gold}: provisional gold: 1 of 1 documents not final, 0 unresolved conflicts: {doc} (1 spans not carried to the changed text)\n"
    again = CliRunner().invoke(app, ["gold", "carry-over", *args])
    assert again.stdout == f"{gold}: every document's text is its seed's already; nothing to carry\n"
    assert json.loads(gold.read_text(encoding="utf-8"))["text"] == new_seeds.text(doc)
