"""Error analysis from the pairs scoring already made: errors, confusion matrix, patterns, conventions.

Everything here reads a `nerbench.scoring.Matching` (one matching pass over the corpus); nothing
matches spans again. Categories of an error:

    wrong_label     same boundaries, another label                   (pair kind 1)
    wrong_boundary  overlapping, same label, other boundaries        (pair kind 2)
    both            overlapping, another label and other boundaries  (pair kind 3)
    missed          a gold span no prediction overlaps (or all overlapping ones were paired elsewhere)
    spurious        a prediction no gold span is paired with

Conventions. Some boundary differences are a corpus's choice rather than a model's error, and a
gold standard may make them either way. `conventions` scores the pairs again as if their
boundaries agreed when the label agrees and the boundaries differ *only* by these, each on
either side (the gold span or the prediction holds the extra text), one of each at most:

    leading determiner   the extra text at the start is "the", "The" or "THE" followed by
                         whitespace, and nothing alphanumeric comes just before it
    trailing possessive  the extra text at the end is "'s", "’s", "'" or "’", and nothing
                         alphanumeric comes just after it

Nothing else counts: not "a"/"an" (names do not begin with them; as a rule, OntoNotes leaves
them out and annotates a leading "the" only inside some names), not a plural or other suffix
("Fujians"), not punctuation, not a different label. `boundary_pattern` names these two
differences with the same rule, so an error described as "adds a leading 'the'" is exactly one
the conventions scores forgive.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .scoring import UNPAIRED, Matching, SpanArrays
from .spans import Span

NONE = "(none)"  # the row of spurious predictions and the column of missed gold spans
CATEGORIES = ("wrong_label", "wrong_boundary", "both", "missed", "spurious")
_CATEGORY_OF_KIND = {1: "wrong_label", 2: "wrong_boundary", 3: "both"}
LEADING_THE, POSSESSIVE = "leading 'the'", "possessive"
_DETERMINER = re.compile(r"(?:the|The|THE)\s+")
_POSSESSIVE = re.compile(r"['’]s?")

# For each pair with other boundaries, by gold span (flat index): how they differ, and the
# convention when that is all the difference (see `boundary_notes`).
BoundaryNotes = Mapping[int, tuple[str, "str | None"]]


def _convention(text: str, lo: int, hi: int, side: str) -> str | None:
    """The convention that the extra text `text[lo:hi]` at the span's `side` is, if any (module docstring)."""
    piece = text[lo:hi]
    if side == "left":
        return LEADING_THE if _DETERMINER.fullmatch(piece) and (lo == 0 or not text[lo - 1].isalnum()) else None
    return POSSESSIVE if _POSSESSIVE.fullmatch(piece) and (hi == len(text) or not text[hi].isalnum()) else None


def describe(text: str, gold: Span, pred: Span) -> tuple[str, str | None]:
    """How the prediction's boundaries differ from the gold span's, and the convention if that is all.

    Returns (`boundary_pattern`, `convention`); one reading of each edge serves both, so the two
    always agree.
    """
    parts, found = [], []
    if pred.start != gold.start:
        lo, hi = min(gold.start, pred.start), max(gold.start, pred.start)
        kind = _convention(text, lo, hi, "left")
        parts.append(_edge("adds" if pred.start < gold.start else "drops", text[lo:hi], "left", kind))
        found.append(kind)
    if pred.end != gold.end:
        lo, hi = min(gold.end, pred.end), max(gold.end, pred.end)
        kind = _convention(text, lo, hi, "right")
        parts.append(_edge("adds" if pred.end > gold.end else "drops", text[lo:hi], "right", kind))
        found.append(kind)
    return "; ".join(parts), None if not found or None in found else " and ".join(found)


def convention(text: str, gold: Span, pred: Span) -> str | None:
    """"leading 'the'", "possessive" or both joined by " and ", when that is all that differs; else None.

    Labels are not compared here: the caller only asks for pairs with the same label.
    """
    return describe(text, gold, pred)[1]


def boundary_pattern(text: str, gold: Span, pred: Span) -> str:
    """Name how a prediction's boundaries differ from the gold span's (e.g. "adds a leading 'the'")."""
    return describe(text, gold, pred)[0]


def _edge(verb: str, piece: str, side: str, kind: str | None) -> str:
    if kind == LEADING_THE:
        return f"{verb} a leading 'the'"
    if kind == POSSESSIVE:
        return f"{verb} a possessive '{piece}'"
    if piece and len(piece) <= 3 and not any(ch.isspace() for ch in piece):
        return f"{verb} '{piece}' on the {side}"
    words = len(piece.split())
    return f"{verb} {words} word{'s' if words != 1 else ''} on the {side}" if words else f"{verb} {len(piece)} characters on the {side}"


def boundary_notes(matching: Matching, texts: Mapping[str, str]) -> dict[int, tuple[str, str | None]]:
    """Every pair with other boundaries, by gold span index: its `boundary_pattern` and, if the
    label agrees, its `convention` (None when something else differs too)."""
    g, p = matching.gold, matching.pred
    chosen = np.flatnonzero((matching.gold_kind == 2) | (matching.gold_kind == 3))
    partner = matching.gold_partner[chosen]
    columns = (g.doc[chosen], g.start[chosen], g.end[chosen], p.start[partner], p.end[partner], matching.gold_kind[chosen] == 2)
    notes: dict[int, tuple[str, str | None]] = {}
    ids = matching.ids
    for i, doc, gs, ge, ps, pe, same_label in zip(chosen.tolist(), *(c.tolist() for c in columns)):
        pattern, found = describe(texts[ids[doc]], Span(gs, ge, ""), Span(ps, pe, ""))
        notes[i] = (pattern, found if same_label else None)
    return notes


def conventions(matching: Matching, notes: BoundaryNotes) -> tuple[Matching, dict[str, int]]:
    """The matching with every pair that differs only by a convention counted as same boundaries,
    and how many pairs were forgiven: for a leading 'the', a possessive, or both."""
    forgiven = np.zeros(len(matching.gold), dtype=bool)
    by_kind = {"leading_the": 0, "possessive": 0, "both": 0}
    key = {LEADING_THE: "leading_the", POSSESSIVE: "possessive", f"{LEADING_THE} and {POSSESSIVE}": "both"}
    for i, (_, found) in notes.items():
        if found:
            forgiven[i] = True
            by_kind[key[found]] += 1
    return matching.with_same_boundaries(forgiven), by_kind


def error_counts(matching: Matching) -> np.ndarray:
    """Errors per document: gold spans not paired correctly (a pair is one error) and spurious predictions."""
    n = len(matching.ids)
    wrong = np.bincount(matching.gold.doc[matching.gold_kind != 0], minlength=n)
    return wrong + np.bincount(matching.pred.doc[matching.pred_kind == UNPAIRED], minlength=n)


def category_counts(matching: Matching) -> dict[str, int]:
    g = np.bincount(matching.gold_kind, minlength=UNPAIRED + 1)
    spurious = int(np.count_nonzero(matching.pred_kind == UNPAIRED))
    return {"wrong_label": int(g[1]), "wrong_boundary": int(g[2]), "both": int(g[3]), "missed": int(g[UNPAIRED]), "spurious": spurious}


def confusion_matrix(matching: Matching, labels: Sequence[str]) -> dict[str, Any]:
    """Gold label (rows) by predicted label (columns) over paired spans; NONE row/column for spurious/missed.

    Only labels that occur are kept, in the order of `labels` (any other label after them).
    """
    g, p = matching.gold, matching.pred
    used_codes = np.union1d(np.unique(g.label), np.unique(p.label)).tolist()
    used = {matching.labels[c] for c in used_codes}
    order = [l for l in labels if l in used] + sorted(used - set(labels)) + [NONE]
    k = len(order)
    position = np.array([order.index(l) if l in used else k - 1 for l in matching.labels] + [k - 1], dtype=np.int64)
    none = len(matching.labels)  # the code standing for NONE
    partner_label = np.where(matching.gold_partner >= 0, p.label[np.maximum(matching.gold_partner, 0)], none) if len(p) else np.full(len(g), none)
    rows = np.concatenate([position[g.label], np.full(int(np.count_nonzero(matching.pred_partner < 0)), k - 1)])
    cols = np.concatenate([position[partner_label], position[p.label[matching.pred_partner < 0]]])
    matrix = np.bincount(rows * k + cols, minlength=k * k).reshape(k, k)
    return {"labels": order, "matrix": matrix.tolist()}


def summarize(matching: Matching, notes: BoundaryNotes, top: int = 10) -> dict[str, Any]:
    """Counts per category, the most frequent label confusions and boundary patterns, missed and spurious per label.

    Ties are listed in the order they first occur in the corpus.
    """
    g, p, labels = matching.gold, matching.pred, matching.labels
    confused = np.flatnonzero((matching.gold_kind == 1) | (matching.gold_kind == 3))
    confusions = Counter(zip(g.label[confused].tolist(), p.label[matching.gold_partner[confused]].tolist()))
    patterns = Counter(part for i in sorted(notes) for part in notes[i][0].split("; "))
    missed = Counter(g.label[matching.gold_kind == UNPAIRED].tolist())
    spurious = Counter(p.label[matching.pred_kind == UNPAIRED].tolist())
    return {
        "categories": category_counts(matching),
        "confusions": [{"gold": labels[a], "predicted": labels[b], "count": n} for (a, b), n in confusions.most_common(top)],
        "boundary_patterns": [{"pattern": k, "count": n} for k, n in patterns.most_common(top)],
        "missed_by_label": {labels[c]: n for c, n in missed.most_common()},
        "spurious_by_label": {labels[c]: n for c, n in spurious.most_common()},
    }


CONTEXT = 300  # a sentence longer than this is shown as a window around the span
_WINDOW = 120  # characters kept on either side of the span in such a window


def sentence_context(text: str, sentence_starts: Sequence[int], start: int, end: int) -> dict[str, Any]:
    """The sentence (index and text) that `start` falls in; a long sentence cut to a window around [start, end), marked with …."""
    k = bisect_right(sentence_starts, start) - 1
    k = k if k > 0 else 0
    lo = sentence_starts[k]
    hi = sentence_starts[k + 1] if k + 1 < len(sentence_starts) else len(text)
    if hi - lo <= CONTEXT:
        return {"sentence": k, "sentence_text": text[lo:hi].strip()}
    a = start - _WINDOW if start - _WINDOW > lo else lo
    b = end + _WINDOW if end + _WINDOW < hi else hi
    if a > lo and not text[a - 1].isspace():  # a word cut in two: begin after it when a space is near
        space = text.find(" ", a, start)
        a = space + 1 if 0 <= space < a + 20 else a
    if b < hi and not text[b].isspace():
        space = text.rfind(" ", end, b)
        b = space if space > b - 20 else b
    shown = text[a:b].strip()
    return {"sentence": k, "sentence_text": ("…" if a > lo else "") + shown + ("…" if b < hi else "")}


def _spans(side: SpanArrays, lo: int, hi: int, labels: Sequence[str], text: str) -> list[dict[str, Any]]:
    """Spans [lo, hi) of one side as report dicts."""
    return [
        {"start": s, "end": e, "label": labels[l], "text": text[s:e]}
        for s, e, l in zip(side.start[lo:hi].tolist(), side.end[lo:hi].tolist(), side.label[lo:hi].tolist())
    ]


class _Side:
    """One document's spans of one side as plain lists, made into report dicts only when asked for."""

    def __init__(self, side: SpanArrays, lo: int, hi: int, labels: Sequence[str], text: str) -> None:
        self.lo, self.labels, self.text = lo, labels, text
        self.start, self.end, self.label = side.start[lo:hi].tolist(), side.end[lo:hi].tolist(), side.label[lo:hi].tolist()

    def __getitem__(self, i: int) -> dict[str, Any]:  # i: flat index
        k = i - self.lo
        s, e = self.start[k], self.end[k]
        return {"start": s, "end": e, "label": self.labels[self.label[k]], "text": self.text[s:e]}


def document_errors(
    matching: Matching, d: int, text: str, sentence_starts: Sequence[int], notes: BoundaryNotes
) -> list[dict[str, Any]]:
    """The errors of document d (position in `matching.ids`), by offset, each with its sentence."""
    doc_id, labels = matching.ids[d], matching.labels
    g, p = matching.gold, matching.pred
    g0, g1, p0, p1 = int(g.offsets[d]), int(g.offsets[d + 1]), int(p.offsets[d]), int(p.offsets[d + 1])
    gold, pred = _Side(g, g0, g1, labels, text), _Side(p, p0, p1, labels, text)
    errors: list[dict[str, Any]] = []
    for i, kind, j in zip(range(g0, g1), matching.gold_kind[g0:g1].tolist(), matching.gold_partner[g0:g1].tolist()):
        if kind == 0:
            continue
        span = gold[i]
        context = sentence_context(text, sentence_starts, span["start"], span["end"])
        if kind == UNPAIRED:
            errors.append({"document": doc_id, "category": "missed", "gold": span, "predicted": None, **context})
            continue
        error = {"document": doc_id, "category": _CATEGORY_OF_KIND[kind], "gold": span, "predicted": pred[j], **context}
        if i in notes:
            pattern, found = notes[i]
            error["pattern"] = pattern
            if found:
                error["convention"] = found
        errors.append(error)
    for j, kind in enumerate(matching.pred_kind[p0:p1].tolist(), start=p0):
        if kind == UNPAIRED:
            span = pred[j]
            context = sentence_context(text, sentence_starts, span["start"], span["end"])
            errors.append({"document": doc_id, "category": "spurious", "gold": None, "predicted": span, **context})
    errors.sort(key=lambda e: ((e["gold"] or e["predicted"])["start"], e["category"]))
    return errors


def iter_errors(
    matching: Matching, texts: Mapping[str, str], sentences: Mapping[str, Sequence[int]], notes: BoundaryNotes, documents: Iterable[int] | None = None
) -> Iterator[dict[str, Any]]:
    """Every error of the corpus (or of the given document positions), document by document."""
    for d in range(len(matching.ids)) if documents is None else documents:
        doc_id = matching.ids[d]
        yield from document_errors(matching, d, texts[doc_id], sentences[doc_id], notes)


def error_sample(
    matching: Matching, texts: Mapping[str, str], sentences: Mapping[str, Sequence[int]], notes: BoundaryNotes, per_category: int
) -> list[dict[str, Any]]:
    """The first `per_category` errors of each category, in corpus order (documents in order, errors by offset)."""
    n = len(matching.ids)
    g_doc, p_doc = matching.gold.doc, matching.pred.doc
    # documents holding each category, so that only those documents' errors are built
    holding = [np.bincount(g_doc[matching.gold_kind == k], minlength=n) > 0 for k in (1, 2, 3, UNPAIRED)]
    holding.append(np.bincount(p_doc[matching.pred_kind == UNPAIRED], minlength=n) > 0)
    wanted = {c: per_category for c in CATEGORIES}
    sample = []
    for d in np.flatnonzero(np.logical_or.reduce(holding)).tolist() if per_category > 0 else []:
        if not any(wanted[c] and holding[k][d] for k, c in enumerate(CATEGORIES)):
            continue
        for error in document_errors(matching, d, texts[matching.ids[d]], sentences[matching.ids[d]], notes):
            if wanted[error["category"]]:
                wanted[error["category"]] -= 1
                sample.append(error)
        if not any(wanted.values()):
            break
    return sample


def document_spans(matching: Matching, d: int, text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Document d's gold and predicted spans, each with the category of its error (`error`: None when correct)."""
    g, p, labels = matching.gold, matching.pred, matching.labels
    out = []
    for side, kinds, unpaired in ((g, matching.gold_kind, "missed"), (p, matching.pred_kind, "spurious")):
        lo, hi = int(side.offsets[d]), int(side.offsets[d + 1])
        spans = _spans(side, lo, hi, labels, text)
        for span, kind in zip(spans, kinds[lo:hi].tolist()):
            span["error"] = None if kind == 0 else unpaired if kind == UNPAIRED else _CATEGORY_OF_KIND[kind]
        out.append(spans)
    return out[0], out[1]
