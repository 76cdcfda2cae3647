"""Unit matrices from per-document counts, and the paired test's chunking; values computed by hand."""

from __future__ import annotations

import pytest

from nerbench import uncertainty
from nerbench.scoring import SCHEMES, score_corpus, score_document
from nerbench.spans import Span
from nerbench.uncertainty import paired_test, unit_matrix

from test_scoring import random_corpus


def test_unit_matrix_credits_by_hand():
    # one document: ORG exact, PERSON[10,20) vs PERSON[12,20) (overlap), a spurious DATE
    counts = score_document([Span(0, 5, "ORG"), Span(10, 20, "PERSON")], [Span(0, 5, "ORG"), Span(12, 20, "PERSON"), Span(30, 35, "DATE")])
    matrix = unit_matrix({"d": counts}, ["ORG", "PERSON", "DATE"])
    strict, partial = SCHEMES.index("strict"), SCHEMES.index("partial")
    # micro columns: doubled gold credit, gold spans, doubled predicted credit, predicted spans
    assert matrix.credits()[0, strict].tolist() == [2, 2, 2, 3]
    assert matrix.credits()[0, partial].tolist() == [3, 2, 3, 3]  # the overlap's half credit, doubled
    assert matrix["d"] == counts and matrix.labels == ("ORG", "PERSON", "DATE")


def test_unit_matrix_of_corpus_counts_equals_that_of_a_plain_mapping():
    gold, pred = random_corpus(3)
    _, per_doc = score_corpus(gold, pred)
    labels = ["DATE", "GPE", "ORG", "PERSON", "LAW"]
    fast = unit_matrix(per_doc, labels)
    plain = unit_matrix({doc_id: per_doc[doc_id] for doc_id in per_doc}, labels)
    assert fast.units == plain.units == tuple(gold)
    assert (fast.matrix != plain.matrix).nnz == 0 and fast.matrix.shape == (len(gold), 5 * 10)
    with pytest.raises(ValueError, match="have counts but are not among the labels asked for"):
        unit_matrix(per_doc, ["ORG"])


def test_paired_test_in_chunks_gives_the_same_answer(monkeypatch):
    gold, pred = random_corpus(4, n_docs=120)
    other = {doc_id: spans[::2] for doc_id, spans in pred.items()}
    labels = ["DATE", "GPE", "ORG", "PERSON"]
    a, b = unit_matrix(score_corpus(gold, pred)[1], labels), unit_matrix(score_corpus(gold, other)[1], labels)
    whole = paired_test(a, b, n_resamples=999, seed=7)
    monkeypatch.setattr(uncertainty, "_CHUNK_ELEMENTS", 120 * 10)  # ten shuffles at a time
    assert paired_test(a, b, n_resamples=999, seed=7) == whole
    assert 0 < whole["p_value"] <= 1 and whole["units"] == 120
