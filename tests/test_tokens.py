"""Token-level metrics: IOB2 tags from spans, accuracy, per-label P/R/F1 by scikit-learn."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, classification_report

from nerbench.formats.spacy import token_offsets
from nerbench.spans import Span
from nerbench.tokens import token_labels, token_metrics, token_tags

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
    offsets = token_offsets({"d": text}, "whitespace")["d"].tolist()

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
    assert [text[s:e] for s, e in offsets.tolist()] == ["Fujian", "Province", "is", "in", "China", ".", "New"]
    assert token_offsets({"d": text}, "whitespace")["d"].tolist() == [[0, 6], [7, 15], [17, 19], [20, 22], [23, 29], [30, 33]]
    assert [len(v) for v in token_offsets({"e": "", "s": "  \n"}, "spacy").values()] == [0, 0]


@st.composite
def tokens_and_spans(draw):
    """Tokens with gaps, and non-overlapping spans whose edges may fall inside tokens."""
    offsets, pos = [], 0
    for _ in range(draw(st.integers(0, 12))):
        pos += draw(st.integers(0, 2))
        length = draw(st.integers(1, 4))
        offsets.append((pos, pos + length))
        pos += length
    cuts = sorted(draw(st.sets(st.integers(0, pos + 1), max_size=10)))
    spans = [Span(a, b, draw(st.sampled_from(["X", "Y"]))) for a, b in zip(cuts[::2], cuts[1::2])]
    return offsets, draw(st.permutations(spans))


@given(tokens_and_spans())
def test_token_ownership_equals_a_token_by_token_reading(case):
    offsets, spans = case
    expected = []
    for start, end in offsets:  # the rule, one token at a time: the earliest span that shares a character with it
        touching = [k for k, s in enumerate(spans) if s.start < end and start < s.end]
        expected.append(min(touching, key=lambda k: spans[k]) if touching else -1)
    assert token_labels(offsets, spans).tolist() == expected


@settings(deadline=None)  # the first example imports scikit-learn
@given(st.lists(st.tuples(tokens_and_spans(), tokens_and_spans()), max_size=5))
def test_corpus_metrics_equal_the_tags_of_each_document_counted_together(cases):
    docs = [(offsets, gold, [s for s in pred_spans]) for (offsets, gold), (_, pred_spans) in cases]
    true_tags = [t for offsets, gold, _ in docs for t in token_tags(offsets, gold)]
    pred_tags = [t for offsets, _, pred in docs for t in token_tags(offsets, pred)]
    m = token_metrics(docs, ["X", "Y"], "test")
    assert token_metrics(docs, ["X", "Y"], "test", chunk=2) == token_metrics(docs, ["X", "Y"], "test", chunk=1) == m  # chunks add up
    assert (m["tokens"], m["correct_tags"]) == (len(true_tags), sum(a == b for a, b in zip(true_tags, pred_tags)))
    for label in ("X", "Y"):
        gold_has = [t[2:] == label for t in true_tags]
        pred_has = [t[2:] == label for t in pred_tags]
        tp = sum(g and p for g, p in zip(gold_has, pred_has))
        assert (m["per_label"][label]["tp"], m["per_label"][label]["support"], m["per_label"][label]["predicted"]) == (tp, sum(gold_has), sum(pred_has))
