"""Span scoring on character offsets, with the four SemEval-2013 (Task 9.1) schemes.

Matching. Gold and predicted spans of a document are paired one to one: first spans with the
same boundaries (same label before different label), then overlapping spans, preferring the
same label, then the longer overlap, then the earlier span. A gold span left unpaired is
*missed*, a predicted span left unpaired is *spurious*. (nervaluate pairs per prediction and can
count one gold span twice; on data where every span overlaps at most one span on the other side,
the two agree.)

Schemes, for a pair of gold span g and predicted span p:

    strict   correct if same boundaries and same label, else incorrect
    exact    correct if same boundaries, else incorrect          (labels ignored)
    partial  correct if same boundaries, else partial (half credit)  (labels ignored)
    type     correct if same label, else incorrect               (any overlap)

Counts. Every gold span is counted under its own label, every predicted span under its own label
(the *sides*): gold side correct/partial/incorrect/missed, predicted side
correct/partial/incorrect/spurious. Counts are integers that add (`+`), so one document, one
label, a shard or a whole corpus are scored by the same code. Summed over labels the two sides
agree and give SemEval's COR/PAR/INC/MIS/SPU. From a label's counts:

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
from itertools import chain
from operator import attrgetter
from typing import Iterable, Iterator, Mapping, Sequence

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
_N = len(FIELDS)
_WIDTH = len(SCHEMES) * _N
_CORRECT, _PARTIAL, _INCORRECT = 0, 1, 2


def _outcomes(same_bounds: bool, same_label: bool) -> tuple[int, ...]:
    """Outcome of a pair under each scheme, in SCHEMES order."""
    return (
        _CORRECT if same_bounds and same_label else _INCORRECT,
        _CORRECT if same_bounds else _INCORRECT,
        _CORRECT if same_bounds else _PARTIAL,
        _CORRECT if same_label else _INCORRECT,
    )


# Offsets into a label's row of counts, precomputed per (same_bounds, same_label).
_GOLD_SLOTS = {
    (b, l): tuple(s * _N + o for s, o in enumerate(_outcomes(b, l))) for b in (True, False) for l in (True, False)
}
_PRED_SLOTS = {k: tuple(i + 4 for i in v) for k, v in _GOLD_SLOTS.items()}
_MISSED_SLOTS = tuple(s * _N + 3 for s in range(len(SCHEMES)))
_SPURIOUS_SLOTS = tuple(s * _N + 7 for s in range(len(SCHEMES)))


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
    """Additive counts per label for all four schemes. `a + b` merges documents, shards, corpora."""

    __slots__ = ("rows",)

    def __init__(self, rows: dict[str, list[int]] | None = None) -> None:
        self.rows: dict[str, list[int]] = rows if rows is not None else {}

    def _row(self, label: str) -> list[int]:
        row = self.rows.get(label)
        if row is None:
            row = self.rows[label] = [0] * _WIDTH
        return row

    def __add__(self, other: "Counts") -> "Counts":
        result = Counts({label: list(row) for label, row in self.rows.items()})
        result += other
        return result

    def __iadd__(self, other: "Counts") -> "Counts":
        for label, row in other.rows.items():
            mine = self._row(label)
            for k, v in enumerate(row):
                mine[k] += v
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        labels = set(self.rows) | set(other.rows)
        zero = [0] * _WIDTH
        return all(self.rows.get(l, zero) == other.rows.get(l, zero) for l in labels)

    @property
    def labels(self) -> list[str]:
        return sorted(self.rows)

    def tally(self, scheme: str, label: str | None = None) -> "Tally":
        """The counts of one scheme for one label, or summed over all labels (micro) when label is None."""
        s = SCHEMES.index(scheme) * _N
        if label is not None:
            row = self.rows.get(label, [0] * _WIDTH)
            return Tally(*row[s : s + _N])
        totals = [0] * _N
        for row in self.rows.values():
            for k in range(_N):
                totals[k] += row[s + k]
        return Tally(*totals)


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


def score_document(gold: Sequence[Span], pred: Sequence[Span]) -> Counts:
    """Counts for one document's gold and predicted spans."""
    counts = Counts()
    _tally(gold, pred, lambda span: counts)
    return counts


def score_units(gold: Sequence[Span], pred: Sequence[Span], unit_starts: Sequence[int]) -> list[Counts]:
    """Counts per unit (e.g. sentence) of one document; the units' counts add up to `score_document`.

    `unit_starts` are the sorted start offsets of the units; a span belongs to the unit its start
    falls in. Matching is done on the whole document, and a pair is counted in its gold span's
    unit, so a prediction that crosses a unit boundary is judged exactly as in the document score.
    """
    units = [Counts() for _ in unit_starts]

    def unit_of(span: Span) -> Counts:
        return units[max(bisect_right(unit_starts, span.start) - 1, 0)]

    _tally(gold, pred, unit_of, pair_in_gold_unit=True)
    return units


def _tally(gold: Sequence[Span], pred: Sequence[Span], counts_of, pair_in_gold_unit: bool = False) -> None:
    pairs, missed, spurious = match(gold, pred)
    for i, j in pairs:
        g, p = gold[i], pred[j]
        key = (g.start == p.start and g.end == p.end, g.label == p.label)
        target = counts_of(g)
        row = target._row(g.label)
        for slot in _GOLD_SLOTS[key]:
            row[slot] += 1
        row = (target if pair_in_gold_unit else counts_of(p))._row(p.label)
        for slot in _PRED_SLOTS[key]:
            row[slot] += 1
    for i in missed:
        row = counts_of(gold[i])._row(gold[i].label)
        for slot in _MISSED_SLOTS:
            row[slot] += 1
    for j in spurious:
        row = counts_of(pred[j])._row(pred[j].label)
        for slot in _SPURIOUS_SLOTS:
            row[slot] += 1


def score_corpus(
    gold: Mapping[str, Sequence[Span]], pred: Mapping[str, Sequence[Span]]
) -> tuple[Counts, "DocumentCounts"]:
    """Score every gold document (a document missing from `pred` has no predictions).

    Returns (corpus counts, counts per document id). The counts are those of `score_document` on
    each document, computed for the whole corpus at once with numpy (see `_corpus_events`).
    """
    ids = list(gold)
    labels, events = _corpus_events([gold[i] for i in ids], [pred.get(i, ()) for i in ids])
    per_doc = DocumentCounts(ids, labels, events)
    return per_doc.total(), per_doc


class DocumentCounts(abc.Mapping):
    """Counts per document, held as one array of event counts; `per_doc[doc_id]` builds that document's `Counts`.

    A mapping from document id to `Counts`, in the order the documents were given. Kept as an
    array so that a corpus of any size costs a few integers per document and label, and so that
    `nerbench.uncertainty` can take all the documents' counts at once (`array`).
    """

    def __init__(self, ids: Sequence[str], labels: Sequence[str], events: np.ndarray) -> None:
        self.ids = tuple(ids)
        self.labels = tuple(labels)
        self.events = events  # (documents, labels, 10): see _EXPAND
        self._index = dict(zip(self.ids, range(len(self.ids))))

    def __getitem__(self, doc_id: str) -> Counts:
        return _counts(self.labels, self.events[self._index[doc_id]])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def total(self) -> Counts:
        return _counts(self.labels, self.events.sum(axis=0))

    def array(self, labels: Sequence[str], columns: np.ndarray | None = None) -> np.ndarray:
        """Every document's rows of counts (as in `Counts.rows`), shape (documents, len(labels), 32).

        With `columns`, an integer array (32, k), the rows times `columns`: shape (documents, len(labels), k).
        """
        unknown = [label for label in self.labels if label not in labels]
        if unknown:
            raise ValueError(f"labels {unknown} have counts but are not among the labels asked for")
        expand = _EXPAND if columns is None else _EXPAND @ columns
        out = np.zeros((len(self.ids), len(labels), expand.shape[1]), dtype=np.int64)
        position = {label: k for k, label in enumerate(labels)}
        out[:, [position[label] for label in self.labels]] = self.events @ expand
        return out


def _counts(labels: Sequence[str], events: np.ndarray) -> Counts:
    """A `Counts` from one (labels, 10) array of event counts."""
    return Counts({label: row for label, row in zip(labels, (events @ _EXPAND).tolist()) if any(row)})


# The corpus engine counts *events*, ten kinds per label, from which every one of a label's
# counts follows: a gold span paired with same/other boundaries and same/other label, or missed
# (kinds 0-4); the same for a predicted span, or spurious (kinds 5-9). _EXPAND turns a label's
# event counts into its row of counts.
_N_EVENTS = 10
_PAIR_KINDS = [(True, True), (True, False), (False, True), (False, False)]  # kind 2 * (not same bounds) + (not same label)
_EXPAND = np.zeros((_N_EVENTS, _WIDTH), dtype=np.int64)
for _k, _key in enumerate(_PAIR_KINDS):
    _EXPAND[_k, list(_GOLD_SLOTS[_key])] = 1
    _EXPAND[5 + _k, list(_PRED_SLOTS[_key])] = 1
_EXPAND[4, list(_MISSED_SLOTS)] = 1
_EXPAND[9, list(_SPURIOUS_SLOTS)] = 1
_START, _END, _LABEL = attrgetter("start"), attrgetter("end"), attrgetter("label")


class _Codes(dict):
    """Label -> number, numbering a label when first seen (lookups stay the C dict's)."""

    def __missing__(self, label: str) -> int:
        code = self[label] = len(self)
        return code


def _flatten(docs: Sequence[Sequence[Span]], codes: _Codes) -> tuple[np.ndarray, ...]:
    """(document index, start, end, label code) of every span, in document order."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    flat = list(chain.from_iterable(docs))
    n = len(flat)
    return (
        np.repeat(np.arange(len(docs), dtype=np.int64), lengths),
        np.fromiter(map(_START, flat), dtype=np.int64, count=n),
        np.fromiter(map(_END, flat), dtype=np.int64, count=n),
        np.fromiter(map(codes.__getitem__, map(_LABEL, flat)), dtype=np.int64, count=n),
    )


def _corpus_events(gold_docs: Sequence[Sequence[Span]], pred_docs: Sequence[Sequence[Span]]) -> tuple[list[str], np.ndarray]:
    """Event counts of every document: (labels, array of shape (documents, labels, 10)).

    Pairs exactly as `match`, vectorised for the usual case: spans with the same boundaries
    pair, then the remaining spans that overlap exactly one remaining span on the other side,
    which overlaps only them. A document where that does not settle everything (a span
    overlapping two on the other side, spans repeated or overlapping on one side, empty spans)
    is matched by `match` itself, so the result never depends on which path a document took.
    """
    n_docs = len(gold_docs)
    codes = _Codes()
    gd, gs, ge, gl = _flatten(gold_docs, codes)
    pd, ps, pe, pl = _flatten(pred_docs, codes)
    ng, npr = len(gs), len(ps)
    slow = np.zeros(n_docs, dtype=bool)
    slow[gd[ge <= gs]] = True
    slow[pd[pe <= ps]] = True
    low = min(gs.min(initial=0), ps.min(initial=0), ge.min(initial=0), pe.min(initial=0))
    if low < 0:  # offsets are packed into keys below: make them non-negative, keeping their order
        gs, ge, ps, pe = gs - low, ge - low, ps - low, pe - low
    base = int(max(ge.max(initial=0), pe.max(initial=0), gs.max(initial=0), ps.max(initial=0))) + 1
    # 1. Same boundaries: sort both sides together by (document, start, end), gold first.
    side = np.concatenate([np.zeros(ng, dtype=np.int64), np.ones(npr, dtype=np.int64)])
    d, s, e = np.concatenate([gd, pd]), np.concatenate([gs, ps]), np.concatenate([ge, pe])
    order = _sort_order(base, d, s, e, side)
    d, s, e, side = d[order], s[order], e[order], side[order]
    same = (d[1:] == d[:-1]) & (s[1:] == s[:-1]) & (e[1:] == e[:-1])
    slow[d[:-1][same & (side[1:] == side[:-1])]] = True  # a span repeated on one side
    paired = same & (side[:-1] == 0) & (side[1:] == 1)
    g_match = np.full(ng, -1, dtype=np.int64)
    p_match = np.full(npr, -1, dtype=np.int64)
    g_match[order[:-1][paired]] = order[1:][paired] - ng
    p_match[order[1:][paired] - ng] = order[:-1][paired]
    # 2. Overlaps among the rest. Keys (document, offset) packed into one integer keep each
    # document's spans apart; when a side's spans do not overlap, its starts and ends both sort.
    g_free = _by_start(np.flatnonzero(g_match < 0), gd, gs, ge, slow, base)
    p_free = _by_start(np.flatnonzero(p_match < 0), pd, ps, pe, slow, base)
    g_deg, g_first = _overlaps(p_free, pd, ps, pe, g_free, gd, gs, ge, base)
    p_deg, p_first = _overlaps(g_free, gd, gs, ge, p_free, pd, ps, pe, base)
    slow[gd[g_free[g_deg > 1]]] = True
    slow[pd[p_free[p_deg > 1]]] = True
    one = np.flatnonzero(p_deg == 1)
    one = one[g_deg[p_first[one]] == 1]
    gi, pj = g_free[p_first[one]], p_free[one]
    g_match[gi], p_match[pj] = pj, gi
    # 3. Documents the fast path does not settle: matched span by span.
    slow_docs = np.flatnonzero(slow)
    if slow_docs.size:
        g_offset = np.concatenate([[0], np.cumsum(np.bincount(gd, minlength=n_docs))])
        p_offset = np.concatenate([[0], np.cumsum(np.bincount(pd, minlength=n_docs))])
        for doc in slow_docs.tolist():
            g0, p0 = int(g_offset[doc]), int(p_offset[doc])
            g_match[g0 : g_offset[doc + 1]] = -1
            p_match[p0 : p_offset[doc + 1]] = -1
            for i, j in match(gold_docs[doc], pred_docs[doc])[0]:
                g_match[g0 + i], p_match[p0 + j] = p0 + j, g0 + i
    # 4. Events, counted per (document, label, kind).
    g_kind = np.full(ng, 4, dtype=np.int64)
    has = g_match >= 0
    m = g_match[has]
    g_kind[has] = 2 * ((gs[has] != ps[m]) | (ge[has] != pe[m])) + (gl[has] != pl[m])
    p_kind = np.full(npr, 9, dtype=np.int64)
    has = p_match >= 0
    m = p_match[has]
    p_kind[has] = 5 + 2 * ((ps[has] != gs[m]) | (pe[has] != ge[m])) + (pl[has] != gl[m])
    n_labels = len(codes)
    cells = np.concatenate([(gd * n_labels + gl) * _N_EVENTS + g_kind, (pd * n_labels + pl) * _N_EVENTS + p_kind])
    hist = np.bincount(cells, minlength=n_docs * n_labels * _N_EVENTS).reshape(n_docs, n_labels, _N_EVENTS)
    return list(codes), hist


def _sort_order(base: int, *keys: np.ndarray) -> np.ndarray:
    """Stable sort order by (document, start, end[, side]), with keys packed into one integer when they fit."""
    doc, start, end = keys[:3]
    if len(doc) and (int(doc.max()) + 1) * base * base * 2 < 2**62:
        packed = (doc * base + start) * base + end
        if len(keys) == 4:
            packed = packed * 2 + keys[3]
        return np.argsort(packed, kind="stable")
    return np.lexsort(keys[::-1])


def _by_start(free: np.ndarray, doc: np.ndarray, start: np.ndarray, end: np.ndarray, slow: np.ndarray, base: int) -> np.ndarray:
    """The unpaired spans sorted by (document, start); a document where they overlap is marked slow."""
    free = free[_sort_order(base, doc[free], start[free], end[free])]
    d = doc[free]
    slow[d[1:][(d[1:] == d[:-1]) & (start[free][1:] < end[free][:-1])]] = True
    return free


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
