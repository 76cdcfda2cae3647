"""Error analysis on a hand-built document: categories, sentences, patterns, confusion matrix, conventions."""

from __future__ import annotations

import pytest

from nerbench.analysis import (
    NONE,
    boundary_notes,
    boundary_pattern,
    confusion_matrix,
    convention,
    conventions,
    document_errors,
    document_spans,
    error_counts,
    error_sample,
    sentence_context,
    summarize,
)
from nerbench.scoring import match_corpus
from nerbench.spans import Span

TEXT = "The Tencent Cloud team met Ma Huateng in Fujian. Fujians economy grew in May. Xu Li spoke."
#       0123456789...


def at(surface: str, label: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(surface, start + 1)
    return Span(start, start + len(surface), label)


GOLD = [at("Tencent Cloud", "ORG"), at("Ma Huateng", "PERSON"), at("Fujian", "GPE"), at("Fujian", "GPE", 1), at("May", "DATE"), at("Xu Li", "PERSON")]
PRED = [
    at("The Tencent Cloud", "ORG"),  # wrong boundary: leading "the"
    at("Ma Huateng", "ORG"),  # wrong label
    at("Fujians", "NORP"),  # both: label and a possessive
    at("May", "DATE"),  # correct
    at("economy", "ORG"),  # spurious
]  # "Fujian" (first) and "Xu Li" are missed
SENTENCES = [0, TEXT.index("Fujians"), TEXT.index("Xu Li")]


def analysed(gold=GOLD, pred=PRED, text=TEXT, sentences=SENTENCES):
    """The matching of one document "d1", its boundary notes and its errors."""
    matching = match_corpus({"d1": sorted(gold)}, {"d1": sorted(pred)})
    notes = boundary_notes(matching, {"d1": text})
    return matching, notes, document_errors(matching, 0, text, sentences, notes)


def test_every_error_has_its_category_document_and_sentence():
    _, _, errors = analysed()
    got = [(e["category"], (e["gold"] or e["predicted"])["text"], e["sentence"]) for e in errors]
    assert got == [
        ("wrong_boundary", "Tencent Cloud", 0),
        ("wrong_label", "Ma Huateng", 0),
        ("missed", "Fujian", 0),
        ("both", "Fujian", 1),
        ("spurious", "economy", 1),
        ("missed", "Xu Li", 2),
    ]
    assert errors[0]["pattern"] == "adds a leading 'the'"
    assert errors[0]["convention"] == "leading 'the'"
    assert errors[3]["pattern"] == "adds 's' on the right" and "convention" not in errors[3]  # a plural, not a possessive
    assert errors[5]["sentence_text"] == "Xu Li spoke."
    assert all(e["document"] == "d1" for e in errors)


def test_confusion_matrix_rows_gold_columns_predicted_with_missed_and_spurious():
    matching, _, _ = analysed()
    result = confusion_matrix(matching, ["PERSON", "NORP", "ORG", "GPE", "DATE", "LAW"])
    assert result["labels"] == ["PERSON", "NORP", "ORG", "GPE", "DATE", NONE]
    m = {(g, p): v for g, row in zip(result["labels"], result["matrix"]) for p, v in zip(result["labels"], row)}
    assert m[("ORG", "ORG")] == 1 and m[("PERSON", "ORG")] == 1 and m[("GPE", "NORP")] == 1 and m[("DATE", "DATE")] == 1
    assert m[("GPE", NONE)] == 1 and m[("PERSON", NONE)] == 1 and m[(NONE, "ORG")] == 1
    assert sum(map(sum, result["matrix"])) == 7  # 4 pairs + 2 missed + 1 spurious


def test_summary_counts_categories_confusions_and_patterns():
    matching, notes, _ = analysed()
    summary = summarize(matching, notes)
    assert summary["categories"] == {"wrong_label": 1, "wrong_boundary": 1, "both": 1, "missed": 2, "spurious": 1}
    assert summary["confusions"] == [{"gold": "PERSON", "predicted": "ORG", "count": 1}, {"gold": "GPE", "predicted": "NORP", "count": 1}]
    assert {"pattern": "adds a leading 'the'", "count": 1} in summary["boundary_patterns"]
    assert summary["missed_by_label"] == {"GPE": 1, "PERSON": 1}


def test_boundary_patterns_on_both_sides():
    text = "the CPC Jiangsu Provincial Committee’s"
    gold = Span(4, 36, "ORG")  # "CPC Jiangsu Provincial Committee"
    assert gold.text_in(text) == "CPC Jiangsu Provincial Committee"
    assert boundary_pattern(text, gold, Span(8, 38, "ORG")) == "drops 1 word on the left; adds a possessive '’s'"
    assert boundary_pattern(text, gold, Span(0, 26, "ORG")) == "adds a leading 'the'; drops 1 word on the right"


def test_summary_spurious_by_label_and_error_counts_per_document():
    matching, notes, errors = analysed()
    assert summarize(matching, notes)["spurious_by_label"] == {"ORG": 1}
    assert error_counts(matching).tolist() == [len(errors)] == [6]


@pytest.mark.parametrize(
    "text,gold,pred,expected,pattern",
    [
        ("the White House said", (4, 15), (0, 15), "leading 'the'", "adds a leading 'the'"),  # the prediction holds "the"
        ("The White House said", (0, 15), (4, 15), "leading 'the'", "drops a leading 'the'"),  # the gold holds "The"
        ("THE\u00a0WHITE HOUSE", (4, 15), (0, 15), "leading 'the'", "adds a leading 'the'"),  # any whitespace after it
        ("Xi’s visit", (0, 2), (0, 4), "possessive", "adds a possessive '’s'"),
        ("the Xi's visit", (0, 8), (4, 6), "leading 'the' and possessive", "drops a leading 'the'; drops a possessive ''s'"),
        ("the Joneses' house", (4, 11), (0, 12), "leading 'the' and possessive", "adds a leading 'the'; adds a possessive '''"),
        ("a White House", (2, 13), (0, 13), None, "adds 1 word on the left"),  # "a" is not forgiven
        ("bathe Tencent", (6, 13), (2, 13), None, "adds 1 word on the left"),  # "the" inside a word
        ("Fujians economy", (0, 6), (0, 7), None, "adds 's' on the right"),  # a plural or other suffix
        ("Xi'sh", (0, 2), (0, 4), None, "adds ''s' on the right"),  # "'s" inside a word
        ("the Tencent Cloud team", (4, 17), (0, 22), None, "adds a leading 'the'; adds 1 word on the right"),  # more than a convention
        ("Tencent Cloud", (0, 7), (0, 13), None, "adds 1 word on the right"),
    ],
)
def test_only_a_leading_the_and_a_possessive_are_conventions(text, gold, pred, expected, pattern):
    assert convention(text, Span(*gold, "ORG"), Span(*pred, "ORG")) == expected
    assert boundary_pattern(text, Span(*gold, "ORG"), Span(*pred, "ORG")) == pattern


def test_conventions_forgive_same_label_pairs_only_and_count_each_kind():
    # "The Tencent Cloud" ORG vs gold "Tencent Cloud" ORG: forgiven; "Fujians" NORP vs "Fujian" GPE: not
    # (other label, and a plural); "East China’s" LOC vs "East China" LOC: a possessive, forgiven.
    text = TEXT + " East China’s plan."
    gold = [*GOLD, Span(len(TEXT) + 1, len(TEXT) + 11, "LOC")]
    pred = [*PRED, Span(len(TEXT) + 1, len(TEXT) + 13, "LOC")]
    matching, notes, _ = analysed(gold, pred, text)
    forgiving, forgiven = conventions(matching, notes)
    assert forgiven == {"leading_the": 1, "possessive": 1, "both": 0}
    before, after = matching.total().tally("strict"), forgiving.total().tally("strict")
    # strict correct: "May" only, then also Tencent Cloud and East China: 1 -> 3 of 7 gold spans
    assert (before.tp, after.tp) == (1, 3) and (before.support, after.support) == (7, 7)
    assert after.precision == pytest.approx(3 / 6)  # 6 predictions


def test_error_sample_takes_the_first_of_each_category_in_corpus_order():
    gold = {"a": [Span(0, 3, "ORG"), Span(10, 13, "ORG")], "b": [Span(0, 3, "GPE")], "c": []}
    pred = {"a": [Span(0, 3, "GPE")], "b": [], "c": [Span(5, 8, "DATE")]}
    texts = {"a": "Abc Def. Ghi jkl.", "b": "Xyz", "c": "12345678"}
    sentences = {"a": [0, 9], "b": [0], "c": [0]}
    matching = match_corpus(gold, pred)
    notes = boundary_notes(matching, texts)
    sample = error_sample(matching, texts, sentences, notes, per_category=1)
    # a: wrong label [0,3) and missed [10,13); b: missed (over the quota); c: spurious
    assert [(e["document"], e["category"], (e["gold"] or e["predicted"])["start"]) for e in sample] == [
        ("a", "wrong_label", 0),
        ("a", "missed", 10),
        ("c", "spurious", 5),
    ]
    assert sample[1]["sentence"] == 1 and sample[1]["sentence_text"] == "Ghi jkl."  # [10, 13) starts in sentence 1
    assert error_sample(matching, texts, sentences, notes, per_category=0) == []


def test_a_long_sentence_is_shown_as_a_window_around_the_span_cut_at_words():
    text = "x" * 500 + " Tencent " + "y" * 500
    start = text.index("Tencent")
    context = sentence_context(text, [0], start, start + 7)
    assert context["sentence"] == 0
    assert context["sentence_text"] == "…" + "x" * 119 + " Tencent " + "y" * 119 + "…"  # 120 characters either side
    words = " ".join(f"w{k:02d}" for k in range(100))  # words of 3 characters and a space: 400 characters
    start = words.index("w50")
    context = sentence_context(words, [0], start, start + 3)["sentence_text"]
    assert context.startswith("…w20 w21") and context.endswith("w79 w80…")  # no word cut in two
    assert sentence_context("Short one. Next.", [0, 11], 11, 15) == {"sentence": 1, "sentence_text": "Next."}


def test_document_spans_carry_the_category_of_their_error():
    matching, _, _ = analysed()
    gold, pred = document_spans(matching, 0, TEXT)
    assert [(s["text"], s["error"]) for s in gold] == [
        ("Tencent Cloud", "wrong_boundary"), ("Ma Huateng", "wrong_label"), ("Fujian", "missed"),
        ("Fujian", "both"), ("May", None), ("Xu Li", "missed"),
    ]  # fmt: skip
    assert [(s["text"], s["error"]) for s in pred] == [
        ("The Tencent Cloud", "wrong_boundary"), ("Ma Huateng", "wrong_label"), ("Fujians", "both"), ("economy", "spurious"), ("May", None),
    ]  # fmt: skip
