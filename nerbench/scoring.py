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
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

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
) -> tuple[Counts, dict[str, Counts]]:
    """Score every gold document (a document missing from `pred` has no predictions).

    Returns (corpus counts, counts per document id).
    """
    per_doc = {doc_id: score_document(spans, pred.get(doc_id, ())) for doc_id, spans in gold.items()}
    total = Counts()
    for counts in per_doc.values():
        total += counts
    return total, per_doc


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
