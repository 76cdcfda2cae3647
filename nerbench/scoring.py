"""Span scoring on character offsets, with the four SemEval-2013 (Task 9.1) schemes.

Matching. Gold and predicted spans of a document are paired one to one: first spans with the
same boundaries (same label before different label), then overlapping spans, preferring the
same label, then the longer overlap, then the earlier span. A gold span left unpaired is
*missed*, a predicted span left unpaired is *spurious*. (nervaluate pairs per prediction and can
count one gold span twice; on data where every span overlaps at most one span on the other side,
the two agree.) The rule is `match`'s, and only there.

One pass. `match_corpus` pairs the spans of a whole corpus at once and returns a `Matching`: for
every gold and every predicted span, its partner on the other side or none. Everything else is
read from it: counts per corpus, document, sentence and label (`Matching.counts`), and, in
`nerbench.analysis`, the errors, the confusion matrix and the conventions scores. The vectorised
pass pairs only spans that overlap each other and nothing else (any one-to-one rule pairs those);
a document where some span overlaps two or more, or spans repeat or overlap on one side, is
paired by `match` itself, so the result never depends on which path a document took.

Pair kinds. A pair is one of four kinds, by whether boundaries and label agree:

    0  same boundaries, same label        2  other boundaries, same label
    1  same boundaries, other label       3  other boundaries, other label

Schemes, for a pair of gold span g and predicted span p:

    strict   correct if same boundaries and same label, else incorrect
    exact    correct if same boundaries, else incorrect          (labels ignored)
    partial  correct if same boundaries, else partial (half credit)  (labels ignored)
    type     correct if same label, else incorrect               (any overlap)

Counts. The one count state is ten *events* per label (`EVENTS`): a gold span in a pair of each
kind or missed, a predicted span in a pair of each kind or spurious; every gold span is counted
under its own label, every predicted span under its own. Events are integers that add (`+`), so
one document, one label, a shard or a whole corpus are scored by the same code; `Counts` holds
them for one unit, `UnitCounts` for many (documents, sentences) in one sparse matrix, and
`nerbench.uncertainty` resamples that matrix. Every figure follows from the events: per scheme
the SemEval sides gold correct/partial/incorrect/missed and predicted
correct/partial/incorrect/spurious (a `Tally`), and from a label's tally:

    support = gold spans,  predicted = predicted spans
    tp = gold-side credit (correct + partial / 2),  fn = support - tp
    fp = predicted - predicted-side credit
    precision = predicted-side credit / predicted,  recall = tp / support

For strict and type a credited pair always has one label, so the two credits are equal and
tp/fp/fn are the usual ones (strict per label equals spaCy's `Scorer.score_spans`). For the
label-blind exact and partial schemes a pair may join two labels: a label's precision then
counts the credit its predictions earned, its recall the credit its gold spans earned.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import abc
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import attrgetter
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .spans import Span

SCHEMES: tuple[str, ...] = ("strict", "exact", "partial", "type")
FIELDS: tuple[str, ...] = (
    "gold_correct",
    "gold_partial",
    "gold_incorrect",
    "missed",
    "pred_correct",
    "pred_partial",
    "pred_incorrect",
    "spurious",
)
# The ten events counted per label: a gold span paired in a pair of kind 0-3, or missed; a
# predicted span paired in a pair of kind 0-3, or spurious.
EVENTS: tuple[str, ...] = (
    "gold_same_bounds_same_label",
    "gold_same_bounds_other_label",
    "gold_other_bounds_same_label",
    "gold_other_bounds_other_label",
    "missed",
    "pred_same_bounds_same_label",
    "pred_same_bounds_other_label",
    "pred_other_bounds_same_label",
    "pred_other_bounds_other_label",
    "spurious",
)
UNPAIRED = 4  # the kind of a missed gold span or a spurious prediction
PRED_EVENTS = 5  # a predicted span's event is PRED_EVENTS + its kind
_E = len(EVENTS)
_N = len(FIELDS)
_CORRECT, _PARTIAL, _INCORRECT = 0, 1, 2


def _outcomes(kind: int) -> tuple[int, ...]:
    """Outcome of a pair of `kind` under each scheme, in SCHEMES order."""
    same_bounds, same_label = kind < 2, kind % 2 == 0
    return (
        _CORRECT if same_bounds and same_label else _INCORRECT,
        _CORRECT if same_bounds else _INCORRECT,
        _CORRECT if same_bounds else _PARTIAL,
        _CORRECT if same_label else _INCORRECT,
    )


def _expansion() -> np.ndarray:
    """(10, schemes x 8): a label's events times this are its `Tally` fields, scheme after scheme."""
    out = np.zeros((_E, len(SCHEMES) * _N), dtype=np.int64)
    for kind in range(4):
        for s, outcome in enumerate(_outcomes(kind)):
            out[kind, s * _N + outcome] = 1  # gold side: correct, partial, incorrect
            out[PRED_EVENTS + kind, s * _N + 4 + outcome] = 1  # predicted side
    for s in range(len(SCHEMES)):
        out[UNPAIRED, s * _N + 3] = 1  # missed
        out[PRED_EVENTS + UNPAIRED, s * _N + 7] = 1  # spurious
    return out


_EXPAND = _expansion()


def match(gold: Sequence[Span], pred: Sequence[Span]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair gold and predicted spans one to one (see module docstring).

    Returns (pairs of (gold index, predicted index), unpaired gold indices, unpaired predicted indices).
    """
    g_used = [False] * len(gold)
    p_used = [False] * len(pred)
    pairs: list[tuple[int, int]] = []
    by_bounds: dict[tuple[int, int], list[int]] = {}
    for i, g in enumerate(gold):
        by_bounds.setdefault((g.start, g.end), []).append(i)
    for same_label_only in (True, False):
        for j, p in enumerate(pred):
            if p_used[j]:
                continue
            for i in by_bounds.get((p.start, p.end), ()):
                if not g_used[i] and (not same_label_only or gold[i].label == p.label):
                    pairs.append((i, j))
                    g_used[i] = p_used[j] = True
                    break
    if len(pairs) < min(len(gold), len(pred)):
        _match_overlaps(gold, pred, g_used, p_used, pairs)
    return (
        pairs,
        [i for i, used in enumerate(g_used) if not used],
        [j for j, used in enumerate(p_used) if not used],
    )


def _match_overlaps(
    gold: Sequence[Span], pred: Sequence[Span], g_used: list[bool], p_used: list[bool], pairs: list[tuple[int, int]]
) -> None:
    order = sorted(range(len(gold)), key=lambda i: (gold[i].start, gold[i].end))
    starts = [gold[i].start for i in order]
    # Gold spans never overlap after validation, so a bisect finds the candidates; a prefix
    # maximum of ends keeps this right for overlapping inputs too.
    max_end: list[int] = []
    running = -1
    for i in order:
        running = max(running, gold[i].end)
        max_end.append(running)
    candidates = []
    for j, p in enumerate(pred):
        if p_used[j]:
            continue
        k = bisect_right(max_end, p.start)  # first position whose prefix max end > p.start
        while k < len(order) and starts[k] < p.end:
            i = order[k]
            g = gold[i]
            if not g_used[i] and g.end > p.start:
                overlap = min(g.end, p.end) - max(g.start, p.start)
                candidates.append((g.label != p.label, -overlap, g.start, p.start, i, j))
            k += 1
    candidates.sort()
    for *_, i, j in candidates:
        if not g_used[i] and not p_used[j]:
            pairs.append((i, j))
            g_used[i] = p_used[j] = True


class Counts:
    """Additive counts of one unit (a document, a sentence, a corpus): the ten `EVENTS` per label.

    `a + b` merges documents, shards, corpora; `tally` gives one scheme's counts.
    """

    __slots__ = ("events",)

    def __init__(self, events: Mapping[str, Sequence[int]] | None = None) -> None:
        self.events: dict[str, np.ndarray] = {}
        for label, row in (events or {}).items():
            array = np.array(row, dtype=np.int64)
            if array.shape != (_E,):
                raise ValueError(f"label {label!r}: expected {_E} event counts, got shape {array.shape}")
            self.events[label] = array

    def __add__(self, other: "Counts") -> "Counts":
        result = Counts(self.events)
        result += other
        return result

    def __iadd__(self, other: "Counts") -> "Counts":
        for label, row in other.events.items():
            mine = self.events.get(label)
            self.events[label] = row.copy() if mine is None else mine + row
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        zero = np.zeros(_E, dtype=np.int64)
        return all(np.array_equal(self.events.get(l, zero), other.events.get(l, zero)) for l in set(self.events) | set(other.events))

    def __repr__(self) -> str:
        return f"Counts({ {label: row.tolist() for label, row in sorted(self.events.items())} })"

    @property
    def labels(self) -> list[str]:
        """The labels with at least one event."""
        return sorted(label for label, row in self.events.items() if row.any())

    def tally(self, scheme: str, label: str | None = None) -> "Tally":
        """The counts of one scheme for one label, or summed over all labels (micro) when label is None."""
        s = SCHEMES.index(scheme) * _N
        if label is not None:
            events = self.events.get(label)
            if events is None:
                return Tally()
        else:
            events = sum(self.events.values(), np.zeros(_E, dtype=np.int64))
        return Tally(*(events @ _EXPAND[:, s : s + _N]).tolist())


@dataclass(frozen=True)
class Tally:
    """One scheme's counts for one label (or all); the metrics are derived, never stored."""

    gold_correct: int = 0
    gold_partial: int = 0
    gold_incorrect: int = 0
    missed: int = 0
    pred_correct: int = 0
    pred_partial: int = 0
    pred_incorrect: int = 0
    spurious: int = 0

    @property
    def support(self) -> int:
        return self.gold_correct + self.gold_partial + self.gold_incorrect + self.missed

    @property
    def predicted(self) -> int:
        return self.pred_correct + self.pred_partial + self.pred_incorrect + self.spurious

    @property
    def tp(self) -> float:
        return self.gold_correct + self.gold_partial / 2

    @property
    def tp_pred(self) -> float:
        return self.pred_correct + self.pred_partial / 2

    @property
    def fp(self) -> float:
        return self.predicted - self.tp_pred

    @property
    def fn(self) -> float:
        return self.support - self.tp

    @property
    def precision(self) -> float | None:
        return self.tp_pred / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        return f1_score(self.precision, self.recall)

    def metrics(self) -> dict[str, float | int | None]:
        """tp/fp/fn, precision/recall/F1 and support: the fields every report row carries."""
        return {
            "tp": _num(self.tp),
            "fp": _num(self.fp),
            "fn": _num(self.fn),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "predicted": self.predicted,
        }

    def semeval(self) -> dict[str, int]:
        """SemEval-2013 counts. Gold side for correct/incorrect/partial/missed, predicted side for spurious."""
        return {
            "correct": self.gold_correct,
            "incorrect": self.gold_incorrect,
            "partial": self.gold_partial,
            "missed": self.missed,
            "spurious": self.spurious,
            "possible": self.support,
            "actual": self.predicted,
        }


def f1_score(precision: float | None, recall: float | None) -> float | None:
    """Harmonic mean; with one side undefined (no gold or no predictions), 0 if the other is 0, else undefined."""
    if precision is None and recall is None:
        return None
    if precision is None or recall is None:
        defined = recall if precision is None else precision
        return 0.0 if defined == 0 else None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


# ---- Many units at once ---------------------------------------------------------------------

# Credit columns per scheme, the sufficient statistics of precision, recall and F1: doubled
# gold-side credit, gold spans, doubled predicted-side credit, predicted spans (doubled so that
# partial's half credit stays an integer). CREDITS is (10 events, schemes x 4).
GOLD2, NGOLD, PRED2, NPRED = range(4)


def _credit_columns() -> np.ndarray:
    gc, gp, gi, mis, pc, pp, pi, spu = range(_N)
    recipe = {GOLD2: {gc: 2, gp: 1}, NGOLD: {gc: 1, gp: 1, gi: 1, mis: 1}, PRED2: {pc: 2, pp: 1}, NPRED: {pc: 1, pp: 1, pi: 1, spu: 1}}
    out = np.zeros((len(SCHEMES) * _N, len(SCHEMES) * 4), dtype=np.int64)
    for s in range(len(SCHEMES)):
        for column, fields in recipe.items():
            for field, weight in fields.items():
                out[s * _N + field, s * 4 + column] = weight
    return _EXPAND @ out


CREDITS = _credit_columns()


def metrics(totals: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 from credit columns (..., 4); NaN where undefined, with the `f1_score` rule."""
    totals = np.asarray(totals, dtype=np.float64)
    gold_credit, n_gold = totals[..., GOLD2] / 2, totals[..., NGOLD]
    pred_credit, n_pred = totals[..., PRED2] / 2, totals[..., NPRED]
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


class UnitCounts(abc.Mapping):
    """The counts of many units (documents, sentences) at once; `counts[key]` is one unit's `Counts`.

    Held as one sparse matrix of events, units x (labels x 10), so a corpus of any size costs a
    few integers per unit and label that occur, and `nerbench.uncertainty` can resample all the
    units with one product. Keys keep the order they were given.
    """

    def __init__(self, keys: Sequence[Any], labels: Sequence[str], matrix) -> None:
        self.units = tuple(keys)
        self.labels = tuple(labels)
        self.matrix = matrix.tocsr()  # scipy.sparse, (units, labels * 10), integers
        if self.matrix.shape != (len(self.units), len(self.labels) * _E):
            raise ValueError(f"matrix of shape {self.matrix.shape} for {len(self.units)} units and {len(self.labels)} labels")

    @classmethod
    def from_mapping(cls, per_unit: Mapping[Any, Counts], labels: Sequence[str]) -> "UnitCounts":
        """From a plain mapping unit -> `Counts`; every label with events must be among `labels`."""
        from scipy import sparse

        keys = tuple(per_unit)
        dense = np.zeros((len(keys), len(labels), _E), dtype=np.int64)
        index = {label: k for k, label in enumerate(labels)}
        for u, key in enumerate(keys):
            for label, row in per_unit[key].events.items():
                if row.any():
                    if label not in index:
                        raise ValueError(f"labels {[label]} have counts but are not among the labels asked for")
                    dense[u, index[label]] = row
        return cls(keys, labels, sparse.csr_array(dense.reshape(len(keys), -1)))

    @cached_property
    def _index(self) -> dict[Any, int]:
        return dict(zip(self.units, range(len(self.units))))

    def __getitem__(self, key: Any) -> Counts:
        return self.row(self._index[key])

    def row(self, u: int) -> Counts:
        """The counts of the unit at position u."""
        m = self.matrix
        lo, hi = m.indptr[u], m.indptr[u + 1]
        events = np.zeros((len(self.labels), _E), dtype=np.int64)
        events.reshape(-1)[m.indices[lo:hi]] = m.data[lo:hi]
        return _counts(self.labels, events)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[Any]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def total(self) -> Counts:
        events = np.asarray(self.matrix.sum(axis=0)).reshape(len(self.labels), _E)
        return _counts(self.labels, events.astype(np.int64))

    def aligned(self, labels: Sequence[str]) -> "UnitCounts":
        """The same counts with one column block per label of `labels`, in that order.

        A label that has events but is not in `labels` is an error (its counts would be lost).
        """
        from scipy import sparse

        if tuple(labels) == self.labels:
            return self
        totals = np.asarray(self.matrix.sum(axis=0)).reshape(len(self.labels), _E).any(axis=1)
        unknown = [label for label, used in zip(self.labels, totals) if used and label not in labels]
        if unknown:
            raise ValueError(f"labels {unknown} have counts but are not among the labels asked for")
        position = {label: k for k, label in enumerate(labels)}
        moved = np.array([position.get(label, -1) for label in self.labels], dtype=np.int64)
        coo = self.matrix.tocoo()
        keep = moved[coo.col // _E] >= 0
        cols = moved[coo.col[keep] // _E] * _E + coo.col[keep] % _E
        matrix = sparse.csr_array((coo.data[keep], (coo.row[keep], cols)), shape=(len(self.units), len(labels) * _E))
        return UnitCounts(self.units, labels, matrix)

    def credits(self) -> np.ndarray:
        """Micro credit columns of every unit, (units, schemes, 4): see `CREDITS` and `metrics`."""
        per_label = np.tile(CREDITS, (len(self.labels), 1))  # the same columns whatever the label
        return np.asarray(self.matrix @ per_label).reshape(len(self.units), len(SCHEMES), 4)

    def micro(self, scheme: str) -> np.ndarray:
        """Every unit's micro `Tally` fields for one scheme, (units, 8) integers."""
        s = SCHEMES.index(scheme) * _N
        per_label = np.tile(_EXPAND[:, s : s + _N], (len(self.labels), 1))
        return np.asarray(self.matrix @ per_label).astype(np.int64)


DocumentCounts = UnitCounts  # the name `score_corpus`'s callers know


def _counts(labels: Sequence[str], events: np.ndarray) -> Counts:
    """A `Counts` from a (labels, 10) array of events; labels without events are left out."""
    counts = Counts()
    counts.events = {label: row.copy() for label, row in zip(labels, events) if row.any()}
    return counts


# ---- The matching pass ----------------------------------------------------------------------

_START, _END, _LABEL = attrgetter("start"), attrgetter("end"), attrgetter("label")


@dataclass(frozen=True, eq=False)
class SpanArrays:
    """One side's spans of a corpus, flat in document order: document index, start, end, label code."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray
    offsets: np.ndarray  # (documents + 1,): a document's spans are [offsets[d], offsets[d + 1])

    def __len__(self) -> int:
        return len(self.doc)

    def span(self, i: int, labels: Sequence[str]) -> Span:
        return Span(int(self.start[i]), int(self.end[i]), labels[int(self.label[i])])


class LabelCodes(dict):
    """Label -> number, numbering a label when first seen (lookups stay the C dict's)."""

    def __missing__(self, label: str) -> int:
        code = self[label] = len(self)
        return code


def flatten_spans(docs: Sequence[Sequence[Span]], codes: LabelCodes) -> SpanArrays:
    """Span lists per document as one side's SpanArrays, labels numbered by `codes` (which numbers a new label when first seen)."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    flat = list(chain.from_iterable(docs))
    n = len(flat)
    return SpanArrays(
        np.repeat(np.arange(len(docs), dtype=np.int64), lengths),
        np.fromiter(map(_START, flat), dtype=np.int64, count=n),
        np.fromiter(map(_END, flat), dtype=np.int64, count=n),
        np.fromiter(map(codes.__getitem__, map(_LABEL, flat)), dtype=np.int64, count=n),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    )


class Matching:
    """The pairs of a corpus: every gold and predicted span with its partner on the other side.

    `gold_partner[i]` is the flat index of the predicted span paired with gold span i, -1 if it
    is missed; `pred_partner[j]` likewise (-1: spurious). `gold_kind` and `pred_kind` hold each
    span's pair kind (0-3, see the module docstring), UNPAIRED when it has no partner.
    """

    def __init__(
        self, ids: Sequence[str], labels: Sequence[str], gold: SpanArrays, pred: SpanArrays, gold_partner: np.ndarray, pred_partner: np.ndarray
    ) -> None:
        self.ids = tuple(ids)
        self.labels = tuple(labels)
        self.gold, self.pred = gold, pred
        self.gold_partner, self.pred_partner = gold_partner, pred_partner
        self.gold_kind, self.pred_kind = self._kinds()

    def _kinds(self) -> tuple[np.ndarray, np.ndarray]:
        """The one pair classifier: 2 * (boundaries differ) + (labels differ), UNPAIRED without a partner."""
        g, p = self.gold, self.pred
        g_kind = np.full(len(g), UNPAIRED, dtype=np.int64)
        has = self.gold_partner >= 0
        m = self.gold_partner[has]
        g_kind[has] = 2 * ((g.start[has] != p.start[m]) | (g.end[has] != p.end[m])) + (g.label[has] != p.label[m])
        p_kind = np.full(len(p), UNPAIRED, dtype=np.int64)
        paired = np.flatnonzero(has)
        p_kind[self.gold_partner[paired]] = g_kind[paired]
        return g_kind, p_kind

    def with_same_boundaries(self, gold_spans: np.ndarray) -> "Matching":
        """A copy in which the pairs of the given gold spans (a boolean mask) count as having the same boundaries.

        How `nerbench.analysis.conventions` scores pairs whose boundaries differ only by a convention.
        """
        copy = object.__new__(Matching)
        copy.__dict__.update(self.__dict__)
        g_kind = self.gold_kind.copy()
        chosen = gold_spans & (self.gold_partner >= 0) & (g_kind >= 2) & (g_kind < UNPAIRED)
        g_kind[chosen] -= 2
        p_kind = self.pred_kind.copy()
        p_kind[self.gold_partner[chosen]] = g_kind[chosen]
        copy.gold_kind, copy.pred_kind = g_kind, p_kind
        return copy

    def document(self, d: int) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Document d's pairs as `match` returns them: (gold index, predicted index) within the document, missed, spurious."""
        g0, g1 = int(self.gold.offsets[d]), int(self.gold.offsets[d + 1])
        p0, p1 = int(self.pred.offsets[d]), int(self.pred.offsets[d + 1])
        partners = self.gold_partner[g0:g1]
        pairs = [(i, int(j) - p0) for i, j in enumerate(partners) if j >= 0]
        missed = [i for i, j in enumerate(partners) if j < 0]
        spurious = [j for j, i in enumerate(self.pred_partner[p0:p1]) if i < 0]
        return pairs, missed, spurious

    def counts(self, units: Mapping[str, Sequence[int]] | None = None) -> UnitCounts:
        """Counts per document (keys: document ids), or per unit when `units` is given.

        `units` maps each document id to the sorted start offsets of its units (e.g. sentences);
        every unit is a key `(document id, k)`, empty ones included, in document order. A span
        belongs to the unit its start falls in; a pair is counted in its gold span's unit, so a
        prediction that crosses a unit boundary is judged exactly as in the document's score.
        """
        from scipy import sparse

        g, p = self.gold, self.pred
        if units is None:
            keys: list[Any] = list(self.ids)
            g_unit, p_unit = g.doc, p.doc
        else:
            keys, g_unit, p_unit = self._units(units)
        paired = self.pred_partner >= 0
        p_unit = p_unit.copy()
        p_unit[paired] = g_unit[self.pred_partner[paired]]
        width = len(self.labels) * _E
        cells = np.concatenate(
            [g_unit * width + g.label * _E + self.gold_kind, p_unit * width + p.label * _E + PRED_EVENTS + self.pred_kind]
        )
        found, number = np.unique(cells, return_counts=True)
        matrix = sparse.csr_array((number, (found // width, found % width)), shape=(len(keys), width))
        return UnitCounts(keys, self.labels, matrix)

    def _units(self, units: Mapping[str, Sequence[int]]) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """Unit keys, and the unit of every gold and predicted span."""
        lists = [units[doc_id] for doc_id in self.ids]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        if (lengths == 0).any():
            raise ValueError(f"document {self.ids[int(np.argmin(lengths))]!r} has no unit")
        starts = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum()))
        unit_doc = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        keys = [(doc_id, k) for doc_id, n in zip(self.ids, lengths.tolist()) for k in range(n)]
        low = min(starts.min(initial=0), self.gold.start.min(initial=0), self.pred.start.min(initial=0))
        base = int(max(starts.max(initial=0), self.gold.start.max(initial=0), self.pred.start.max(initial=0))) - int(low) + 1
        if (len(lists) + 1) * base >= 2**62:
            raise ValueError("offsets too large to pack")
        packed = unit_doc * base + (starts - low)

        def unit_of(side: SpanArrays) -> np.ndarray:
            found = np.searchsorted(packed, side.doc * base + (side.start - low), side="right") - 1
            return np.maximum(found, first[side.doc])  # a span before a document's first unit start goes to that unit

        return keys, unit_of(self.gold), unit_of(self.pred)

    def total(self) -> Counts:
        width = len(self.labels) * _E
        g, p = self.gold, self.pred
        cells = np.concatenate([g.label * _E + self.gold_kind, p.label * _E + PRED_EVENTS + self.pred_kind])
        return _counts(self.labels, np.bincount(cells, minlength=width).reshape(len(self.labels), _E))


def match_corpus(gold: Mapping[str, Sequence[Span]], pred: Mapping[str, Sequence[Span]]) -> Matching:
    """Pair the spans of every gold document (a document missing from `pred` has no predictions) in one pass.

    Pairs exactly as `match` does, document by document (see the module docstring).
    """
    ids = list(gold)
    gold_docs = [gold[i] for i in ids]
    pred_docs = [pred.get(i, ()) for i in ids]
    codes = LabelCodes()
    g, p = flatten_spans(gold_docs, codes), flatten_spans(pred_docs, codes)
    g_partner, p_partner, slow = _pair(g, p, len(ids))
    if slow.any():  # documents the vectorised pass does not settle: `match` itself
        for doc in np.flatnonzero(slow).tolist():
            g0, p0 = int(g.offsets[doc]), int(p.offsets[doc])
            g_partner[g0 : g.offsets[doc + 1]] = -1
            p_partner[p0 : p.offsets[doc + 1]] = -1
            for i, j in match(gold_docs[doc], pred_docs[doc])[0]:
                g_partner[g0 + i], p_partner[p0 + j] = p0 + j, g0 + i
    return Matching(ids, list(codes), g, p, g_partner, p_partner)


def _pair(g: SpanArrays, p: SpanArrays, n_docs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partners of the spans that overlap each other and nothing else, and a mask of the documents left to `match`.

    Keys (document, offset) packed into one integer keep each document's spans apart; when a
    side's spans do not overlap each other, its starts and ends both sort.
    """
    slow = np.zeros(n_docs, dtype=bool)
    slow[g.doc[g.end <= g.start]] = True  # empty or reversed spans
    slow[p.doc[p.end <= p.start]] = True
    gs, ge, ps, pe = g.start, g.end, p.start, p.end
    low = min(gs.min(initial=0), ps.min(initial=0), ge.min(initial=0), pe.min(initial=0))
    if low < 0:  # offsets are packed into keys below: make them non-negative, keeping their order
        gs, ge, ps, pe = gs - low, ge - low, ps - low, pe - low
    base = int(max(ge.max(initial=0), pe.max(initial=0), gs.max(initial=0), ps.max(initial=0))) + 1
    g_order = _by_start(g.doc, gs, ge, slow, base)
    p_order = _by_start(p.doc, ps, pe, slow, base)
    g_deg, g_first = _overlaps(p_order, p.doc, ps, pe, g_order, g.doc, gs, ge, base)
    p_deg, p_first = _overlaps(g_order, g.doc, gs, ge, p_order, p.doc, ps, pe, base)
    slow[g.doc[g_order[g_deg > 1]]] = True
    slow[p.doc[p_order[p_deg > 1]]] = True
    g_partner = np.full(len(g), -1, dtype=np.int64)
    p_partner = np.full(len(p), -1, dtype=np.int64)
    one = np.flatnonzero(p_deg == 1)
    one = one[g_deg[p_first[one]] == 1]
    gi, pj = g_order[p_first[one]], p_order[one]
    g_partner[gi], p_partner[pj] = pj, gi
    return g_partner, p_partner, slow


def _sort_order(base: int, doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Stable sort order by (document, start, end), with keys packed into one integer when they fit."""
    if len(doc) and (int(doc.max()) + 1) * base * base < 2**62:
        return np.argsort((doc * base + start) * base + end, kind="stable")
    return np.lexsort((end, start, doc))


def _by_start(doc: np.ndarray, start: np.ndarray, end: np.ndarray, slow: np.ndarray, base: int) -> np.ndarray:
    """A side's spans sorted by (document, start); a document where they overlap or repeat is marked slow."""
    order = _sort_order(base, doc, start, end)
    d, s, e = doc[order], start[order], end[order]
    slow[d[1:][(d[1:] == d[:-1]) & (s[1:] < e[:-1])]] = True
    return order


def _overlaps(query, qd, qs, qe, target, td, ts, te, base: int) -> tuple[np.ndarray, np.ndarray]:
    """For each target span, how many query spans it overlaps and the position in `query` of the first.

    `query` must be sorted by (document, start) with no overlaps inside a document (elsewhere the
    answer is wrong, and only used for documents already marked slow).
    """
    starts = qd[query] * base + qs[query]
    ends = qd[query] * base + qe[query]
    first = np.searchsorted(ends, td[target] * base + ts[target], side="right")  # first query span ending after
    stop = np.searchsorted(starts, td[target] * base + te[target], side="left")  # first query span starting at/after the end
    return np.maximum(stop - first, 0), np.minimum(first, max(len(query) - 1, 0))


def score_corpus(gold: Mapping[str, Sequence[Span]], pred: Mapping[str, Sequence[Span]]) -> tuple[Counts, UnitCounts]:
    """Score every gold document (a document missing from `pred` has no predictions).

    Returns (corpus counts, counts per document id), from one `match_corpus` pass.
    """
    matching = match_corpus(gold, pred)
    return matching.total(), matching.counts()


def score_document(gold: Sequence[Span], pred: Sequence[Span]) -> Counts:
    """Counts for one document's gold and predicted spans."""
    return match_corpus({"": gold}, {"": pred}).total()


def averages(counts: Counts, scheme: str, labels: Iterable[str]) -> dict[str, dict[str, float | None]]:
    """Micro, macro and support-weighted precision/recall/F1 over `labels`.

    macro: unweighted mean over the labels whose value is defined (a label with no predictions
    has no precision, one with no gold no recall). weighted: mean weighted by support, over labels
    with support and a defined value.
    """
    tallies = [counts.tally(scheme, label) for label in labels]
    micro = Tally(*[sum(getattr(t, f) for t in tallies) for f in FIELDS])
    result: dict[str, dict[str, float | None]] = {
        "micro": {"precision": micro.precision, "recall": micro.recall, "f1": micro.f1},
        "macro": {},
        "weighted": {},
    }
    for metric in ("precision", "recall", "f1"):
        values = [(getattr(t, metric), t.support) for t in tallies]
        defined = [v for v, _ in values if v is not None]
        result["macro"][metric] = sum(defined) / len(defined) if defined else None
        weighted = [(v, w) for v, w in values if v is not None and w > 0]
        total = sum(w for _, w in weighted)
        result["weighted"][metric] = sum(v * w for v, w in weighted) / total if total else None
    return result
