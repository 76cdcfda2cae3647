"""Error analysis on a hand-built document: categories, sentences, patterns, confusion matrix."""

from __future__ import annotations

from nerbench.analysis import NONE, boundary_pattern, confusion_matrix, document_errors, summarize
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


def test_every_error_has_its_category_document_and_sentence():
    errors, _ = document_errors("d1", TEXT, sorted(GOLD), sorted(PRED), SENTENCES)
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
    assert errors[3]["pattern"] == "adds a possessive 's'"
    assert errors[5]["sentence_text"] == "Xu Li spoke."
    assert all(e["document"] == "d1" for e in errors)


def test_confusion_matrix_rows_gold_columns_predicted_with_missed_and_spurious():
    _, pairs = document_errors("d1", TEXT, sorted(GOLD), sorted(PRED), SENTENCES)
    result = confusion_matrix(pairs, ["PERSON", "NORP", "ORG", "GPE", "DATE", "LAW"])
    assert result["labels"] == ["PERSON", "NORP", "ORG", "GPE", "DATE", NONE]
    m = {(g, p): v for g, row in zip(result["labels"], result["matrix"]) for p, v in zip(result["labels"], row)}
    assert m[("ORG", "ORG")] == 1 and m[("PERSON", "ORG")] == 1 and m[("GPE", "NORP")] == 1 and m[("DATE", "DATE")] == 1
    assert m[("GPE", NONE)] == 1 and m[("PERSON", NONE)] == 1 and m[(NONE, "ORG")] == 1
    assert sum(map(sum, result["matrix"])) == 7  # 4 pairs + 2 missed + 1 spurious


def test_summary_counts_categories_confusions_and_patterns():
    errors, _ = document_errors("d1", TEXT, sorted(GOLD), sorted(PRED), SENTENCES)
    summary = summarize(errors)
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
