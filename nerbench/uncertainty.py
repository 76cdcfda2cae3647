"""Uncertainty from additive counts: bootstrap confidence intervals and a paired significance test.

Both work on the counts of every unit (a sentence or a document), the `UnitCounts` that
`nerbench.scoring` makes: resampling units and summing their counts gives the counts of a
resampled corpus, so a matrix product scores many resamples at once. Resamples are drawn and
scored in chunks, so memory stays bounded whatever the number of units and resamples.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from .errors import NerbenchError
from .scoring import CREDITS, SCHEMES, Counts, UnitCounts, metrics

__all__ = ["UnitMatrix", "bootstrap", "metrics", "paired_test", "resample_weights", "unit_matrix"]

UnitMatrix = UnitCounts  # what the resampling works on: the counts of every unit
_CHUNK_ELEMENTS = 1 << 22  # resamples (or shuffles) x units held at once (16-32 MB)
_DENSE_ELEMENTS = 1 << 24  # below this many units x columns the counts are multiplied as a dense array
MAX_WEIGHT_BYTES = 4 * 2**30  # what a whole `resample_weights` array, or the totals the bootstrap keeps, may take


def unit_matrix(per_unit: Mapping[Any, Counts] | UnitCounts, labels: Sequence[str]) -> UnitCounts:
    """The counts of every unit with one column block per label of `labels` (e.g. the scheme's).

    From `Matching.counts` or `score_corpus`'s per-document counts, or any mapping unit -> Counts.
    """
    if isinstance(per_unit, UnitCounts):
        return per_unit.aligned(labels)
    return UnitCounts.from_mapping(per_unit, labels)


def resample_weights(n_units: int, n_resamples: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each resample: shape (n_resamples, n_units), rows sum to n_units."""
    _check_memory(n_resamples * n_units * 4, f"{n_resamples:,} resamples of {n_units:,} units", "weights")
    return np.concatenate(list(_weight_chunks(n_units, n_resamples, seed)) or [np.zeros((0, n_units), dtype=np.float32)])


def _check_memory(need: int, what: str, of_what: str) -> None:
    if need > MAX_WEIGHT_BYTES:
        raise NerbenchError(
            f"bootstrap: {what} would take {need / 2**30:,.1f} GiB of memory for the {of_what} alone "
            f"(at most {MAX_WEIGHT_BYTES / 2**30:g} GiB); ask for fewer resamples (--bootstrap)"
        )


def _weight_chunks(n_units: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """`resample_weights` a chunk of rows at a time: the same random stream as one draw of every row."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_ELEMENTS // max(n_units, 1))
    for lo in range(0, n_resamples, chunk):
        draws = rng.integers(0, n_units, size=(min(chunk, n_resamples - lo), n_units))
        weights = np.empty(draws.shape, dtype=np.float32)
        for b in range(len(draws)):
            weights[b] = np.bincount(draws[b], minlength=n_units)
        yield weights


def _resampled_totals(matrix: UnitCounts, n_resamples: int, seed: int) -> np.ndarray:
    """Event totals per label of every resample: (n_resamples, labels x 10)."""
    _check_memory(n_resamples * matrix.matrix.shape[1] * 8, f"{n_resamples:,} resamples of {len(matrix.labels)} labels", "totals")
    counts = matrix.matrix.astype(np.float32)
    if counts.shape[0] * counts.shape[1] <= _DENSE_ELEMENTS:
        counts = counts.toarray()
    out = np.empty((n_resamples, counts.shape[1]), dtype=np.float64)
    lo = 0
    for weights in _weight_chunks(len(matrix), n_resamples, seed):
        out[lo : lo + len(weights)] = weights @ counts
        lo += len(weights)
    return out


def bootstrap(
    matrix: UnitCounts, n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> dict[str, dict[str, dict[str, list[float] | None]]]:
    """Percentile bootstrap intervals: result[scheme][label or "micro"][metric] = [low, high] or None.

    A resample in which a metric is undefined (no gold or no predicted span of a label) is left out
    of that metric's interval; a metric undefined in every resample has no interval. The same seed
    draws the same resamples for every system scored on the same units.
    """
    n_labels = len(matrix.labels)
    totals = _resampled_totals(matrix, n_resamples, seed).reshape(n_resamples, n_labels, -1)
    totals = np.concatenate([totals, totals.sum(axis=1, keepdims=True)], axis=1)  # micro as one more label
    credits = (totals @ CREDITS).reshape(n_resamples, n_labels + 1, len(SCHEMES), 4)
    values = metrics(credits)
    alpha = (1 - confidence) / 2 * 100
    out: dict[str, dict[str, dict[str, list[float] | None]]] = {}
    names = list(matrix.labels) + ["micro"]
    for si, scheme in enumerate(SCHEMES):
        out[scheme] = {}
        for li, name in enumerate(names):
            out[scheme][name] = {}
            for metric, array in values.items():
                column = array[:, li, si]
                column = column[~np.isnan(column)]
                out[scheme][name][metric] = (
                    [float(np.percentile(column, alpha)), float(np.percentile(column, 100 - alpha))] if column.size else None
                )
    return out


def micro_f1(totals: np.ndarray) -> np.ndarray:
    return metrics(totals)["f1"]


def paired_test(
    a: UnitCounts, b: UnitCounts, scheme: str = "strict", n_resamples: int = 10000, seed: int = 0
) -> dict[str, Any]:
    """Approximate randomization test of the micro-F1 difference between two systems on the same units.

    Each unit's counts are swapped between the systems with probability 1/2; the p-value is the
    share of shuffles whose |difference| is at least the observed one, (k + 1) / (R + 1)
    (Noreen 1989; Riezler and Maxwell 2005). Two-sided.
    """
    if a.units != b.units:
        raise ValueError("paired test needs both systems scored on the same units")
    s = SCHEMES.index(scheme)
    ca = a.credits()[:, s].astype(np.float64)  # (units, 4): micro credit columns per unit
    cb = b.credits()[:, s].astype(np.float64)
    observed = float(micro_f1(ca.sum(0)) - micro_f1(cb.sum(0)))
    rng = np.random.default_rng(seed)
    diff = cb - ca
    deltas = np.empty(n_resamples)
    # Shuffles in chunks: the same random stream as one (R, units) draw, in bounded memory.
    chunk = max(1, _CHUNK_ELEMENTS // max(len(ca), 1))
    for lo in range(0, n_resamples, chunk):
        swap = rng.random((min(chunk, n_resamples - lo), len(ca))) < 0.5  # (shuffles, units)
        moved = swap.astype(np.float64) @ diff  # counts that go from b to a
        deltas[lo : lo + len(swap)] = micro_f1(ca.sum(0) + moved) - micro_f1(cb.sum(0) - moved)
    deltas = np.nan_to_num(deltas, nan=0.0)
    k = int(np.sum(np.abs(deltas) >= abs(observed) - 1e-12))
    return {
        "scheme": scheme,
        "metric": "micro f1",
        "delta": observed,
        "p_value": (k + 1) / (n_resamples + 1),
        "method": "approximate randomization",
        "resamples": n_resamples,
        "seed": seed,
        "units": len(ca),
    }
