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


def convention(text: str, gold: Span, pred: Span) -> str | None:
    """"leading 'the'", "possessive" or both joined by " and ", when that is all that differs; else None.

    Labels are not compared here: the caller only asks for pairs with the same label.
    """
    found = []
    if gold.start != pred.start:
        found.append(_convention(text, min(gold.start, pred.start), max(gold.start, pred.start), "left"))
    if gold.end != pred.end:
        found.append(_convention(text, min(gold.end, pred.end), max(gold.end, pred.end), "right"))
    if not found or None in found:
        return None
    return " and ".join(found)


def boundary_pattern(text: str, gold: Span, pred: Span) -> str:
    """Name how a prediction's boundaries differ from the gold span's (e.g. a leading "the")."""
    parts = []
    if pred.start != gold.start:
        lo, hi = min(gold.start, pred.start), max(gold.start, pred.start)
        parts.append(_edge("adds" if pred.start < gold.start else "drops", text, lo, hi, "left"))
    if pred.end != gold.end:
        lo, hi = min(gold.end, pred.end), max(gold.end, pred.end)
        parts.append(_edge("adds" if pred.end > gold.end else "drops", text, lo, hi, "right"))
    return "; ".join(parts)


def _edge(verb: str, text: str, lo: int, hi: int, side: str) -> str:
    kind = _convention(text, lo, hi, side)
    piece = text[lo:hi]
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
    g, p, labels = matching.gold, matching.pred, matching.labels
    notes: dict[int, tuple[str, str | None]] = {}
    for i in np.flatnonzero((matching.gold_kind == 2) | (matching.gold_kind == 3)).tolist():
        text = texts[matching.ids[int(g.doc[i])]]
        gold, pred = g.span(i, labels), p.span(int(matching.gold_partner[i]), labels)
        notes[i] = (boundary_pattern(text, gold, pred), convention(text, gold, pred) if matching.gold_kind[i] == 2 else None)
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


def _show(side: SpanArrays, i: int, labels: Sequence[str], text: str) -> dict[str, Any]:
    start, end = int(side.start[i]), int(side.end[i])
    return {"start": start, "end": end, "label": labels[int(side.label[i])], "text": text[start:end]}


def document_errors(
    matching: Matching, d: int, text: str, sentence_starts: Sequence[int], notes: BoundaryNotes
) -> list[dict[str, Any]]:
    """The errors of document d (position in `matching.ids`), by offset, each with its sentence."""
    doc_id, labels = matching.ids[d], matching.labels
    g, p = matching.gold, matching.pred
    errors: list[dict[str, Any]] = []

    def sentence(start: int) -> dict[str, Any]:
        k = max(bisect_right(sentence_starts, start) - 1, 0)
        lo = sentence_starts[k]
        hi = sentence_starts[k + 1] if k + 1 < len(sentence_starts) else len(text)
        return {"sentence": k, "sentence_text": text[lo:hi].strip()}

    for i in range(int(g.offsets[d]), int(g.offsets[d + 1])):
        kind = int(matching.gold_kind[i])
        if kind == 0:
            continue
        gold = _show(g, i, labels, text)
        if kind == UNPAIRED:
            errors.append({"document": doc_id, "category": "missed", "gold": gold, "predicted": None, **sentence(gold["start"])})
            continue
        error = {"document": doc_id, "category": _CATEGORY_OF_KIND[kind], "gold": gold, "predicted": _show(p, int(matching.gold_partner[i]), labels, text)}
        error.update(sentence(gold["start"]))
        if i in notes:
            pattern, found = notes[i]
            error["pattern"] = pattern
            if found:
                error["convention"] = found
        errors.append(error)
    for j in range(int(p.offsets[d]), int(p.offsets[d + 1])):
        if matching.pred_kind[j] == UNPAIRED:
            pred = _show(p, j, labels, text)
            errors.append({"document": doc_id, "category": "spurious", "gold": None, "predicted": pred, **sentence(pred["start"])})
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

    def category(kind: int, missing: str) -> str | None:
        return None if kind == 0 else missing if kind == UNPAIRED else _CATEGORY_OF_KIND[kind]

    gold = [
        {**_show(g, i, labels, text), "error": category(int(matching.gold_kind[i]), "missed")}
        for i in range(int(g.offsets[d]), int(g.offsets[d + 1]))
    ]
    pred = [
        {**_show(p, j, labels, text), "error": category(int(matching.pred_kind[j]), "spurious")}
        for j in range(int(p.offsets[d]), int(p.offsets[d + 1]))
    ]
    return gold, pred
