"""Bootstrap intervals and the paired test on constructed cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from nerbench.scoring import Counts, score_document
from nerbench.spans import Span
from nerbench.uncertainty import bootstrap, metrics, paired_test, resample_weights, unit_matrix

LABELS = ("ORG", "PERSON")


def unit(n_correct: int, n_missed: int = 0, n_spurious: int = 0, label: str = "ORG") -> Counts:
    """Counts of one unit with the given outcomes (strict)."""
    gold, pred = [], []
    pos = 0
    for _ in range(n_correct):
        gold.append(Span(pos, pos + 3, label))
        pred.append(Span(pos, pos + 3, label))
        pos += 10
    for _ in range(n_missed):
        gold.append(Span(pos, pos + 3, label))
        pos += 10
    for _ in range(n_spurious):
        pred.append(Span(pos, pos + 3, label))
        pos += 10
    return score_document(gold, pred)


def test_identical_units_give_an_interval_of_zero_width_at_the_point_estimate():
    # every unit: 3 correct, 1 missed -> P 1, R .75, F1 6/7 in every resample
    matrix = unit_matrix({k: unit(3, 1) for k in range(50)}, LABELS)
    ci = bootstrap(matrix, n_resamples=200, seed=1)
    assert ci["strict"]["micro"]["f1"] == pytest.approx([6 / 7, 6 / 7])
    assert ci["strict"]["micro"]["recall"] == pytest.approx([0.75, 0.75])
    assert ci["strict"]["PERSON"]["f1"] is None  # never defined: no gold, no prediction


def test_interval_contains_the_estimate_narrows_with_more_units_and_is_reproducible():
    rng = np.random.default_rng(0)
    def corpus(n):
        return {k: unit(int(rng.integers(0, 4)), int(rng.integers(0, 2)), int(rng.integers(0, 2))) for k in range(n)}
    small, large = unit_matrix(corpus(40), LABELS), unit_matrix(corpus(1600), LABELS)
    a = bootstrap(small, n_resamples=500, seed=3)["strict"]["micro"]["f1"]
    b = bootstrap(large, n_resamples=500, seed=3)["strict"]["micro"]["f1"]
    point = metrics(small.credits().sum(axis=0)[0])["f1"]  # strict micro F1 of the whole corpus
    assert a[0] <= point <= a[1]
    assert (b[1] - b[0]) < (a[1] - a[0]) / 3  # ~1/sqrt(40) shrinkage for 40x the units
    assert bootstrap(small, n_resamples=500, seed=3)["strict"]["micro"]["f1"] == a


def test_resample_weights_draw_each_unit_count_times_in_total():
    w = resample_weights(7, 100, seed=5)
    assert w.shape == (100, 7) and (w.sum(axis=1) == 7).all()
    assert (w == resample_weights(7, 100, seed=5)).all() and not (w == resample_weights(7, 100, seed=6)).all()


def test_paired_test_of_identical_systems_has_p_value_one():
    matrix = unit_matrix({k: unit(k % 4, k % 3, k % 2) for k in range(60)}, LABELS)
    result = paired_test(matrix, matrix, n_resamples=999, seed=0)
    assert result["delta"] == 0.0 and result["p_value"] == 1.0


def test_paired_test_of_a_system_better_on_every_unit_is_significant():
    better = unit_matrix({k: unit(4, 0, 0) for k in range(60)}, LABELS)
    worse = unit_matrix({k: unit(2, 2, 1) for k in range(60)}, LABELS)
    result = paired_test(better, worse, n_resamples=999, seed=0)
    # F1 1.0 vs 2*2/(4+3) = 4/7
    assert result["delta"] == pytest.approx(1 - 4 / 7)
    assert result["p_value"] == pytest.approx(1 / 1000)  # no shuffle reaches the observed difference
    assert paired_test(worse, better, n_resamples=999, seed=0)["delta"] == pytest.approx(4 / 7 - 1)


def test_paired_test_of_a_tiny_noisy_difference_is_not_significant():
    a = unit_matrix({k: unit(3, 1 if k == 0 else 0) for k in range(30)}, LABELS)
    b = unit_matrix({k: unit(3, 1 if k == 1 else 0) for k in range(30)}, LABELS)
    assert paired_test(a, b, n_resamples=999, seed=0)["p_value"] > 0.5


def test_partial_half_credit_survives_the_matrix():
    # gold ORG[0,10) vs pred ORG[0,5): partial credit 0.5 on both sides
    matrix = unit_matrix({0: score_document([Span(0, 10, "ORG")], [Span(0, 5, "ORG")])}, LABELS)
    ci = bootstrap(matrix, n_resamples=10, seed=0)
    assert ci["partial"]["micro"]["f1"] == pytest.approx([0.5, 0.5])
    assert ci["strict"]["micro"]["f1"] == pytest.approx([0.0, 0.0])


def test_resample_weights_drawn_in_chunks_are_one_draw_of_every_row(monkeypatch):
    from nerbench import uncertainty

    rng = np.random.default_rng(11)
    draws = rng.integers(0, 13, size=(50, 13))
    expected = np.stack([np.bincount(row, minlength=13) for row in draws])
    monkeypatch.setattr(uncertainty, "_CHUNK_ELEMENTS", 13 * 7)  # seven resamples at a time
    assert (resample_weights(13, 50, seed=11) == expected).all()


def test_bootstrap_is_the_same_in_chunks_and_with_sparse_counts(monkeypatch):
    from nerbench import uncertainty

    matrix = unit_matrix({k: unit(k % 4, k % 3, k % 2, "ORG" if k % 5 else "PERSON") for k in range(40)}, LABELS)
    whole = bootstrap(matrix, n_resamples=300, seed=2)
    monkeypatch.setattr(uncertainty, "_CHUNK_ELEMENTS", 40 * 16)
    monkeypatch.setattr(uncertainty, "_DENSE_ELEMENTS", 0)  # multiply the sparse matrix itself
    assert bootstrap(matrix, n_resamples=300, seed=2) == whole
    assert whole["strict"]["PERSON"]["f1"] is not None and whole["strict"]["ORG"]["f1"] != whole["strict"]["micro"]["f1"]


def test_resample_weights_and_bootstrap_totals_refuse_to_take_more_than_4_gib():
    from nerbench.errors import NerbenchError

    # 300,000 x 10,000 x 4 bytes (float32 weights) = 11.2 GiB
    with pytest.raises(NerbenchError, match=r"^bootstrap: 300,000 resamples of 10,000 units would take 11\.2 GiB of memory for the weights alone \(at most 4 GiB\); ask for fewer resamples \(--bootstrap\)$"):
        resample_weights(10_000, 300_000, 0)
    # the bootstrap draws in chunks, but keeps every resample's totals: 4,000,000 x 2 labels x 10 x 8 bytes = 0.6 GiB is fine,
    # 30,000,000 of them (4.5 GiB) are not
    matrix = unit_matrix({0: unit(1)}, LABELS)
    with pytest.raises(NerbenchError, match=r"^bootstrap: 30,000,000 resamples of 2 labels would take 4\.5 GiB of memory for the totals alone"):
        bootstrap(matrix, n_resamples=30_000_000, seed=0)
