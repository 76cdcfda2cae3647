"""Agreement, adjudication and the gold diff in the core, on hand-made documents (no server).

Expected values are computed by hand in the comments. The live round trip, where `pull` and
`nerbench gold agree` give the same numbers for the same passes, is in test_labelstudio.py.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from nerbench.agreement import (
    AnnotatedDocument,
    Annotation,
    adjudicate,
    agreement,
    annotator_figures,
    build_gold,
    cohen_kappa,
    conflicts,
    diff_gold,
    krippendorff_alpha,
    token_tags,
    tokens,
)
from nerbench.cli import app
from nerbench.spans import Span

from conftest import find, gold_line

TEXT = "Lou met Ma in Nanjing."
LABELS = ["PERSON", "GPE", "LOC"]


def at(surface: str, label: str, text: str = TEXT) -> Span:
    return Span(*find(text, surface), label)


A = Annotation("a", (at("Lou", "PERSON"), at("Nanjing", "GPE")))
B = Annotation("b", (at("Lou", "PERSON"), at("Ma", "PERSON"), at("Nanjing", "LOC")))
C = Annotation("c", (at("Lou", "PERSON"), at("Nanjing", "GPE")))


def test_tokens_are_word_runs_and_single_other_characters():
    assert tokens(TEXT) == [(0, 3), (4, 7), (8, 10), (11, 13), (14, 21), (21, 22)]
    assert tokens("发布日期:2021-08-09") == [(0, 4), (4, 5), (5, 9), (9, 10), (10, 12), (12, 13), (13, 15)]


def test_bio_tags_mark_the_first_token_of_a_span_and_a_span_cut_inside_a_token_tags_it_whole():
    text = "Fujians and East China"
    offsets = tokens(text)
    spans = [Span(0, 6, "GPE"), Span(12, 22, "LOC")]  # "Fujian" inside "Fujians"
    assert token_tags(spans, offsets) == ["B-GPE", "O", "B-LOC", "I-LOC"]


def test_cohen_kappa_and_krippendorff_alpha_by_hand():
    # p_o = 2/3; p_e = 2/3*1/3 + 1/3*2/3 = 4/9; kappa = (2/9) / (5/9) = 0.4
    assert cohen_kappa(["a", "b", "a"], ["a", "b", "b"]) == pytest.approx(0.4)
    # coincidences: aa 2, bb 2, ab 1, ba 1; n = 6; D_o = 2/6; D_e = 2*3*3/(6*5) = 0.6; alpha = 1 - (1/3)/0.6 = 4/9
    assert krippendorff_alpha([["a", "b", "a"], ["a", "b", "b"]]) == pytest.approx(4 / 9)


def test_measures_are_undefined_when_chance_agreement_is_perfect():
    assert cohen_kappa(["O", "O"], ["O", "O"]) is None
    assert cohen_kappa([], []) is None
    assert krippendorff_alpha([["O", "O"], ["O", "O"]]) is None
    assert krippendorff_alpha([["O", None], [None, "O"]]) is None  # no unit coded twice


def test_pair_agreement_span_f1_token_kappa_confusion_and_alpha():
    result = agreement([AnnotatedDocument("d", TEXT, [A, B])], LABELS)
    (pair,) = result["pairs"]
    # a: 2 spans, b: 3, identical 1 (Lou): F1 = 2*1 / (2 + 3)
    assert (pair["f1"], pair["agreed"], pair["spans"]) == (pytest.approx(0.4), 1, {"a": 2, "b": 3})
    # tags a: B-PER O O O B-GPE O; b: B-PER O B-PER O B-LOC O. p_o = 4/6,
    # p_e = (1*2 + 4*3)/36 = 14/36, kappa = (24 - 14) / (36 - 14) = 5/11
    assert pair["tokens"] == 6 and pair["kappa"] == pytest.approx(5 / 11)
    # PERSON inside or not: a 1 0 0 0 0 0, b 1 0 1 0 0 0: p_o = 5/6, p_e = 22/36, kappa = 8/14
    assert pair["per_label"]["PERSON"]["kappa"] == pytest.approx(4 / 7)
    assert pair["per_label"]["PERSON"]["f1"] == pytest.approx(2 * 1 / (1 + 2))
    # GPE: only a marks a token; p_o = 5/6 = p_e, so kappa 0 (defined: b's tags are all one value, a's are not)
    assert pair["per_label"]["GPE"]["kappa"] == 0.0
    assert pair["per_document"] == {"d": {"f1": pytest.approx(0.4), "kappa": pytest.approx(5 / 11)}}
    assert pair["confusion"] == {
        "labels": ["PERSON", "GPE", "LOC", "(none)"],
        "matrix": [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0]],
    }
    # n = 12 tag values; n_BP 3, n_O 7, n_BG 1, n_BL 1; D_o = 4/12, D_e = (144 - 60)/132: alpha = 1 - 11/21
    assert result["overall"]["alpha"] == pytest.approx(10 / 21)
    assert result["overall"]["documents"] == 1 and result["overall"]["annotators"] == 2


def test_ground_truth_is_not_a_pass_and_documents_with_one_pass_are_not_compared():
    reviewer = Annotation("r", (at("Lou", "PERSON"),), ground_truth=True)
    docs = [AnnotatedDocument("d", TEXT, [A, B, reviewer]), AnnotatedDocument("e", TEXT, [A])]
    result = agreement(docs, LABELS)
    assert result["annotators"] == ["a", "b"]
    assert [p["documents"] for p in result["pairs"]] == [1]
    assert list(result["overall"]["per_document"]) == ["d"]


def test_conflicts_come_as_pairs_of_versions_of_the_same_stretch_of_text():
    text = "East China’s Jiangsu met Ma in Nanjing."
    a = [at("East China", "LOC", text), at("Jiangsu", "GPE", text), at("Nanjing", "GPE", text)]
    b = [at("East China’s Jiangsu", "GPE", text), at("Ma", "PERSON", text), at("Nanjing", "LOC", text)]
    agreed, found = conflicts(text, "d", {"a": a, "b": b})
    assert agreed == set()
    assert [(c["kind"], c["text"], c["start"], c["end"]) for c in found] == [
        ("boundary", "East China’s Jiangsu", 0, 20),
        ("only_some", "Ma", 25, 27),
        ("label", "Nanjing", 31, 38),
    ]
    assert found[0]["versions"] == {
        "a": [{"start": 0, "end": 10, "label": "LOC", "text": "East China"}, {"start": 13, "end": 20, "label": "GPE", "text": "Jiangsu"}],
        "b": [{"start": 0, "end": 20, "label": "GPE", "text": "East China’s Jiangsu"}],
    }
    assert found[1]["versions"] == {"a": [], "b": [{"start": 25, "end": 27, "label": "PERSON", "text": "Ma"}]}


def test_two_annotators_keep_what_they_agree_on_and_the_rest_is_unresolved_and_provisional():
    decision = adjudicate(AnnotatedDocument("d", TEXT, [A, B]), required=2)
    assert decision.rule == "agreement" and decision.spans == (at("Lou", "PERSON"),)
    assert [c["kind"] for c in decision.unresolved] == ["only_some", "label"]
    assert decision.provisional == {"unresolved_conflicts": 2, "annotators": 2, "annotators_required": 2}


def test_three_annotators_resolve_by_majority():
    decision = adjudicate(AnnotatedDocument("d", TEXT, [A, B, C]), required=3)
    # Nanjing: GPE by a and c against LOC by b; Ma: nothing by a and c against PERSON by b
    assert decision.rule == "majority"
    assert decision.spans == (at("Lou", "PERSON"), at("Nanjing", "GPE"))
    assert [c["resolved"] for c in decision.conflicts] == ["majority", "majority"]
    assert decision.unresolved == [] and decision.provisional is None


def test_three_annotators_without_a_majority_stay_unresolved():
    d = Annotation("c", (at("Lou", "PERSON"), at("Nanjing", "ORG")))
    decision = adjudicate(AnnotatedDocument("d", TEXT, [A, B, d]), required=3)
    # Nanjing GPE / LOC / ORG: no version by more than half; Ma: nothing by a and c wins
    assert [c["text"] for c in decision.unresolved] == ["Nanjing"]
    assert decision.spans == (at("Lou", "PERSON"),)
    assert decision.provisional == {"unresolved_conflicts": 1, "annotators": 3, "annotators_required": 3}


def test_ground_truth_wins_and_a_single_pass_is_short_of_the_required_number():
    reviewer = Annotation("r", (at("Ma", "PERSON"),), ground_truth=True)
    decision = adjudicate(AnnotatedDocument("d", TEXT, [A, B, reviewer]), required=2)
    assert (decision.rule, decision.spans, decision.provisional) == ("ground_truth", reviewer.spans, None)
    single = adjudicate(AnnotatedDocument("d", TEXT, [A]), required=2)
    assert single.rule == "single" and single.spans == A.spans
    assert single.provisional == {"unresolved_conflicts": 0, "annotators": 1, "annotators_required": 2}
    assert adjudicate(AnnotatedDocument("d", TEXT, [A]), required=1).provisional is None
    assert adjudicate(AnnotatedDocument("d", TEXT, [])) is None


def test_build_gold_marks_provisional_documents_in_the_gold_itself():
    docs = [AnnotatedDocument("d", TEXT, [A, B]), AnnotatedDocument("e", TEXT, [A, C]), AnnotatedDocument("f", TEXT)]
    gold, decisions, unannotated = build_gold(docs, required=2, meta={"d": {"tasks": [4]}})
    assert [g.id for g in gold] == ["d", "e"] and unannotated == ["f"]
    assert gold[0].provisional == {"unresolved_conflicts": 2, "annotators": 2, "annotators_required": 2}
    assert gold[0].to_dict()["provisional"] == gold[0].provisional
    assert gold[0].meta == {"tasks": [4], "annotations": [None, None], "annotators": ["a", "b"], "rule": "agreement", "conflicts": 2}
    assert gold[1].provisional is None and "provisional" not in gold[1].to_dict()


def test_annotator_figures_count_documents_spans_skips_and_time():
    a1 = Annotation("a", A.spans, lead_time=30.0)
    a2 = Annotation("a", (), lead_time=90.0)
    docs = [AnnotatedDocument("d", TEXT, [a1, B], skipped_by=["c"]), AnnotatedDocument("e", TEXT, [a2])]
    assert annotator_figures(docs) == {
        "a": {"documents": 2, "spans": 2, "ground_truths": 0, "skipped": 0, "seconds_total": 120.0, "seconds_median": 60.0},
        "b": {"documents": 1, "spans": 3, "ground_truths": 0, "skipped": 0, "seconds_total": None, "seconds_median": None},
        "c": {"documents": 0, "spans": 0, "ground_truths": 0, "skipped": 1, "seconds_total": None, "seconds_median": None},
    }


def test_diff_counts_added_removed_and_relabelled():
    old = {"d": [Span(0, 3, "ORG"), Span(5, 8, "GPE"), Span(10, 12, "DATE")]}
    new = {"d": [Span(0, 3, "ORG"), Span(5, 8, "LOC"), Span(14, 16, "CARDINAL")], "e": [Span(0, 1, "ORG")]}
    assert diff_gold(old, new) == {
        "d": {"added": 1, "removed": 1, "relabelled": 1},
        "e": {"added": 1, "removed": 0, "relabelled": 0, "new_document": 1},
    }


def test_gold_agree_compares_pass_files_offline(tmp_path, seeds, root):
    doc = "000_8faa29fe9a578bee"
    text = seeds.text(doc)
    (tmp_path / "a@example.org.jsonl").write_text(gold_line(doc, text, [("Jiangsu", "GPE"), ("Nanjing", "GPE")]) + "\n", encoding="utf-8")
    (tmp_path / "b@example.org.jsonl").write_text(gold_line(doc, text, [("Jiangsu", "GPE"), ("Nanjing", "LOC")]) + "\n", encoding="utf-8")
    args = ["gold", "agree", str(tmp_path / "a@example.org.jsonl"), str(tmp_path / "b@example.org.jsonl"), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    # 2 spans each, 1 identical: F1 = 2*1 / 4
    assert result.stdout.startswith("Agreement a@example.org vs b@example.org: span F1 0.500, Cohen's kappa ")
    data = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    assert data["pairs"][0]["f1"] == 0.5
    assert data["pairs"][0]["confusion"] == {"labels": ["GPE", "LOC", "(none)"], "matrix": [[1, 1, 0], [0, 0, 0], [0, 0, 0]]}


def test_gold_agree_needs_two_passes(tmp_path, root):
    path = tmp_path / "a.jsonl"
    path.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["gold", "agree", str(path)])
    assert result.exit_code == 1
    assert result.stderr == "Error: gold agree: 1 pass given; agreement needs two or more files\n"
