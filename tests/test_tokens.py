"""Token-level metrics: IOB2 tags from spans, accuracy, per-label P/R/F1 by scikit-learn."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, classification_report

from nerbench.formats.spacy import token_offsets
from nerbench.spans import Span
from nerbench.tokens import token_metrics, token_tags

# "Ma Huateng visited Nanjing today": five tokens.
TOKENS = [(0, 2), (3, 10), (11, 18), (19, 26), (27, 32)]
GOLD = [Span(0, 10, "PERSON"), Span(19, 26, "GPE")]
PRED = [Span(3, 10, "PERSON"), Span(19, 26, "ORG")]
LABELS = ["PERSON", "GPE", "ORG", "DATE"]


def test_tokens_get_iob2_tags_from_the_spans():
    assert token_tags(TOKENS, GOLD) == ["B-PERSON", "I-PERSON", "O", "B-GPE", "O"]
    assert token_tags(TOKENS, PRED) == ["O", "B-PERSON", "O", "B-ORG", "O"]


def test_a_token_touched_by_a_span_is_inside_it_and_a_shared_token_goes_to_the_earlier_span():
    # "Fujians" is one token; the span "Fujian" ends inside it. Two spans share the token "ab".
    assert token_tags([(0, 7), (8, 10)], [Span(0, 6, "GPE")]) == ["B-GPE", "O"]
    assert token_tags([(0, 2), (3, 5)], [Span(0, 1, "X"), Span(1, 5, "X")]) == ["B-X", "B-X"]


def test_token_metrics_by_hand():
    m = token_metrics([(TOKENS, GOLD, PRED)], LABELS, "test")
    assert (m["tokens"], m["correct_tags"], m["accuracy"]) == (5, 2, 0.4)  # tokens 2 and 4 (O = O)
    assert m["per_label"]["PERSON"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "tp": 1, "fp": 0, "fn": 1, "support": 2, "predicted": 1}
    assert m["per_label"]["GPE"] == {"precision": None, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 1, "support": 1, "predicted": 0}
    assert m["per_label"]["ORG"] == {"precision": 0.0, "recall": None, "f1": 0.0, "tp": 0, "fp": 1, "fn": 0, "support": 0, "predicted": 1}
    assert m["per_label"]["DATE"]["precision"] is m["per_label"]["DATE"]["recall"] is m["per_label"]["DATE"]["f1"] is None
    assert m["micro"] == {"precision": 0.5, "recall": pytest.approx(1 / 3), "f1": pytest.approx(0.4), "tp": 1, "fp": 1, "fn": 2, "support": 3, "predicted": 2}
    # macro over the defined values only: P (1 + 0) / 2, R (0.5 + 0) / 2, F1 (2/3 + 0 + 0) / 3
    assert m["macro"] == {"precision": 0.5, "recall": 0.25, "f1": pytest.approx(2 / 9)}
    # weighted by support over labels with support and a defined value: P = PERSON's alone
    assert m["weighted"] == {"precision": 1.0, "recall": pytest.approx(1 / 3), "f1": pytest.approx(4 / 9)}


def test_no_tokens_has_no_accuracy():
    m = token_metrics([([], [], [])], LABELS, "test")
    assert m["tokens"] == 0 and m["accuracy"] is None and m["micro"]["f1"] is None


def test_token_metrics_equal_classification_report_on_the_tags():
    rng = random.Random(7)
    words = [f"w{i}" for i in range(400)]
    text = " ".join(words)
    offsets = token_offsets({"d": text}, "whitespace")["d"]

    def random_spans():
        spans, i = [], 0
        while i < len(words) - 3:
            if rng.random() < 0.3:
                n = rng.randint(1, 3)
                spans.append(Span(offsets[i][0], offsets[i + n - 1][1], rng.choice(LABELS[:3])))
                i += n
            i += 1
        return spans

    gold, pred = random_spans(), random_spans()
    m = token_metrics([(offsets, gold, pred)], LABELS, "whitespace")
    true_tags, pred_tags = token_tags(offsets, gold), token_tags(offsets, pred)
    assert m["accuracy"] == accuracy_score(true_tags, pred_tags)
    types = lambda tags: [t[2:] if t != "O" else "O" for t in tags]  # noqa: E731
    report = classification_report(types(true_tags), types(pred_tags), labels=LABELS[:3], output_dict=True, zero_division=np.nan)
    for label in LABELS[:3]:
        for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"), ("support", "support")):
            assert m["per_label"][label][ours] == pytest.approx(report[label][theirs])
    for ours, theirs in (("micro", "micro avg"), ("macro", "macro avg"), ("weighted", "weighted avg")):
        assert m[ours]["f1"] == pytest.approx(report[theirs]["f1-score"])


def test_the_spacy_tokenisation_leaves_whitespace_tokens_out():
    offsets = token_offsets({"d": "Fujian\u00a0Province  is in China.\nNew"}, "spacy")["d"]
    text = "Fujian\u00a0Province  is in China.\nNew"
    assert [text[s:e] for s, e in offsets] == ["Fujian", "Province", "is", "in", "China", ".", "New"]
    assert token_offsets({"d": text}, "whitespace")["d"] == [(0, 6), (7, 15), (17, 19), (20, 22), (23, 29), (30, 33)]
