"""Uncertainty from additive counts: bootstrap confidence intervals and a paired significance test.

Both work on a matrix of per-unit counts (a unit is a sentence or a document): resampling units
and summing their counts gives the corpus counts of a resampled corpus, so one matrix product
scores a thousand resamples at once.

Columns per (scheme, label): doubled gold-side credit, gold spans, doubled predicted-side credit,
predicted spans. Credits are doubled so that partial's half credit stays an integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import NerbenchError
from .scoring import FIELDS, SCHEMES, Counts, DocumentCounts

_GOLD2, _NGOLD, _PRED2, _NPRED = range(4)
_BYTES_PER_DRAW = 12  # an int64 draw and a float32 weight per resample and unit
MAX_WEIGHT_BYTES = 4 * 2**30
_CHUNK_ELEMENTS = 1 << 22  # shuffles x units held at once by paired_test (32 MB as float64)


@dataclass(frozen=True)
class UnitMatrix:
    """Counts of every unit: array of shape (units, schemes, labels, 4), integers."""

    labels: tuple[str, ...]
    units: tuple[Any, ...]  # a key per unit, e.g. (doc_id, sentence index)
    array: np.ndarray


def unit_matrix(per_unit: Mapping[Any, Counts], labels: Sequence[str]) -> UnitMatrix:
    """The matrix of a mapping unit -> Counts (e.g. `score_corpus`'s per-document counts, or sentences)."""
    keys = tuple(per_unit)
    if isinstance(per_unit, DocumentCounts):
        columns = per_unit.array(labels, _COLUMNS)
    else:
        rows = np.zeros((len(keys), len(labels), _COLUMNS.shape[0]), dtype=np.int64)
        index = {label: k for k, label in enumerate(labels)}
        for u, key in enumerate(keys):
            for label, row in per_unit[key].rows.items():
                rows[u, index[label]] = row
        columns = rows @ _COLUMNS
    array = columns.reshape(len(keys), len(labels), len(SCHEMES), 4).transpose(0, 2, 1, 3)
    return UnitMatrix(tuple(labels), keys, np.ascontiguousarray(array))


def _columns() -> np.ndarray:
    """A label's row of counts (see nerbench.scoring.FIELDS) times this gives the matrix's columns, scheme by scheme."""
    gc, gp, gi, mis, pc, pp, pi, spu = range(len(FIELDS))
    recipe = {_GOLD2: {gc: 2, gp: 1}, _NGOLD: {gc: 1, gp: 1, gi: 1, mis: 1}, _PRED2: {pc: 2, pp: 1}, _NPRED: {pc: 1, pp: 1, pi: 1, spu: 1}}
    out = np.zeros((len(SCHEMES) * len(FIELDS), len(SCHEMES) * 4), dtype=np.int64)
    for s in range(len(SCHEMES)):
        for column, fields in recipe.items():
            for field, weight in fields.items():
                out[s * len(FIELDS) + field, s * 4 + column] = weight
    return out


_COLUMNS = _columns()


def resample_weights(n_units: int, n_resamples: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each resample: shape (n_resamples, n_units), rows sum to n_units."""
    need = n_resamples * n_units * _BYTES_PER_DRAW
    if need > MAX_WEIGHT_BYTES:
        raise NerbenchError(
            f"bootstrap: {n_resamples:,} resamples of {n_units:,} units would take {need / 2**30:,.1f} GiB of memory "
            f"for the draws alone (at most {MAX_WEIGHT_BYTES / 2**30:g} GiB); ask for fewer resamples (--bootstrap)"
        )
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_units, size=(n_resamples, n_units))
    weights = np.empty((n_resamples, n_units), dtype=np.float32)
    for b in range(n_resamples):
        weights[b] = np.bincount(draws[b], minlength=n_units)
    return weights


def metrics(totals: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 from totals (..., 4); NaN where undefined, with the f1_score rule."""
    gold_credit, n_gold = totals[..., _GOLD2] / 2, totals[..., _NGOLD]
    pred_credit, n_pred = totals[..., _PRED2] / 2, totals[..., _NPRED]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n_pred > 0, pred_credit / n_pred, np.nan)
        r = np.where(n_gold > 0, gold_credit / n_gold, np.nan)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    only_r = np.isnan(p) & ~np.isnan(r)
    only_p = ~np.isnan(p) & np.isnan(r)
    f = np.where(only_r, np.where(r == 0, 0.0, np.nan), f)
    f = np.where(only_p, np.where(p == 0, 0.0, np.nan), f)
    f = np.where(np.isnan(p) & np.isnan(r), np.nan, f)
    return {"precision": p, "recall": r, "f1": f}


def _flat(matrix: UnitMatrix) -> np.ndarray:
    u, s, l, c = matrix.array.shape
    # micro totals are added as an extra "label" so one product gives both
    micro = matrix.array.sum(axis=2, keepdims=True)
    return np.concatenate([matrix.array, micro], axis=2).reshape(u, s * (l + 1) * c).astype(np.float32)


def bootstrap(
    matrix: UnitMatrix, n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95, weights: np.ndarray | None = None
) -> dict[str, dict[str, dict[str, list[float] | None]]]:
    """Percentile bootstrap intervals: result[scheme][label or "micro"][metric] = [low, high] or None.

    A resample in which a metric is undefined (no gold or no predicted span of a label) is left out
    of that metric's interval; a metric undefined in every resample has no interval.
    """
    u, s, l, c = matrix.array.shape
    if weights is None:
        weights = resample_weights(u, n_resamples, seed)
    totals = (weights @ _flat(matrix)).reshape(len(weights), s, l + 1, c)
    values = metrics(totals)
    alpha = (1 - confidence) / 2 * 100
    out: dict[str, dict[str, dict[str, list[float] | None]]] = {}
    names = list(matrix.labels) + ["micro"]
    for si, scheme in enumerate(SCHEMES):
        out[scheme] = {}
        for li, name in enumerate(names):
            out[scheme][name] = {}
            for metric, array in values.items():
                column = array[:, si, li]
                column = column[~np.isnan(column)]
                out[scheme][name][metric] = (
                    [float(np.percentile(column, alpha)), float(np.percentile(column, 100 - alpha))] if column.size else None
                )
    return out


def micro_f1(totals: np.ndarray) -> np.ndarray:
    return metrics(totals)["f1"]


def paired_test(
    a: UnitMatrix, b: UnitMatrix, scheme: str = "strict", n_resamples: int = 10000, seed: int = 0
) -> dict[str, Any]:
    """Approximate randomization test of the micro-F1 difference between two systems on the same units.

    Each unit's counts are swapped between the systems with probability 1/2; the p-value is the
    share of shuffles whose |difference| is at least the observed one, (k + 1) / (R + 1)
    (Noreen 1989; Riezler and Maxwell 2005). Two-sided.
    """
    if a.units != b.units or a.labels != b.labels:
        raise ValueError("paired test needs both systems scored on the same units and labels")
    s = SCHEMES.index(scheme)
    ca = a.array[:, s].sum(axis=1).astype(np.float64)  # (units, 4): micro counts per unit
    cb = b.array[:, s].sum(axis=1).astype(np.float64)
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
