"""Error analysis on matched spans: every error with its category, a label confusion matrix, patterns.

Categories of an error, from the one-to-one matching of `nerbench.scoring.match`:

    wrong_label     same boundaries, another label
    wrong_boundary  overlapping, same label, other boundaries
    both            overlapping, another label and other boundaries
    missed          a gold span no prediction overlaps (or all overlapping ones were paired elsewhere)
    spurious        a prediction no gold span is paired with
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from .scoring import match
from .spans import Span

NONE = "(none)"  # the row of spurious predictions and the column of missed gold spans
CATEGORIES = ("wrong_label", "wrong_boundary", "both", "missed", "spurious")


def document_errors(
    doc_id: str, text: str, gold: Sequence[Span], pred: Sequence[Span], sentence_starts: Sequence[int] = (0,)
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The errors of one document, and its (gold label, predicted label) pairs for the confusion matrix."""
    pairs, missed, spurious = match(gold, pred)
    errors: list[dict[str, Any]] = []
    labels: list[tuple[str, str]] = []

    def sentence(span: Span) -> dict[str, Any]:
        k = max(bisect_right(sentence_starts, span.start) - 1, 0)
        start = sentence_starts[k]
        end = sentence_starts[k + 1] if k + 1 < len(sentence_starts) else len(text)
        return {"sentence": k, "sentence_text": text[start:end].strip()}

    def show(span: Span) -> dict[str, Any]:
        return {"start": span.start, "end": span.end, "label": span.label, "text": span.text_in(text)}

    for i, j in pairs:
        g, p = gold[i], pred[j]
        labels.append((g.label, p.label))
        same_bounds, same_label = (g.start, g.end) == (p.start, p.end), g.label == p.label
        if same_bounds and same_label:
            continue
        category = "wrong_label" if same_bounds else "wrong_boundary" if same_label else "both"
        error = {"document": doc_id, "category": category, "gold": show(g), "predicted": show(p), **sentence(g)}
        if not same_bounds:
            error["pattern"] = boundary_pattern(text, g, p)
        errors.append(error)
    for i in missed:
        labels.append((gold[i].label, NONE))
        errors.append({"document": doc_id, "category": "missed", "gold": show(gold[i]), "predicted": None, **sentence(gold[i])})
    for j in spurious:
        labels.append((NONE, pred[j].label))
        errors.append({"document": doc_id, "category": "spurious", "gold": None, "predicted": show(pred[j]), **sentence(pred[j])})
    errors.sort(key=lambda e: ((e["gold"] or e["predicted"])["start"], e["category"]))
    return errors, labels


def boundary_pattern(text: str, gold: Span, pred: Span) -> str:
    """Name how a prediction's boundaries differ from the gold span's (e.g. a leading "the")."""
    parts = []
    if pred.start < gold.start:
        parts.append(_edge("adds", text[pred.start : gold.start], "left"))
    elif pred.start > gold.start:
        parts.append(_edge("drops", text[gold.start : pred.start], "left"))
    if pred.end > gold.end:
        parts.append(_edge("adds", text[gold.end : pred.end], "right"))
    elif pred.end < gold.end:
        parts.append(_edge("drops", text[pred.end : gold.end], "right"))
    return "; ".join(parts)


def _edge(verb: str, piece: str, side: str) -> str:
    stripped = piece.strip().lower()
    if side == "left" and stripped in {"the", "the the"}:
        return f"{verb} a leading 'the'"
    if side == "right" and stripped.replace("’", "'") in {"'s", "s", "'"}:
        return f"{verb} a possessive '{piece.strip()}'"
    words = len(piece.split())
    return f"{verb} {words} word{'s' if words != 1 else ''} on the {side}" if words else f"{verb} {len(piece)} characters on the {side}"


def confusion_matrix(label_pairs: Iterable[tuple[str, str]], labels: Sequence[str]) -> dict[str, Any]:
    """Gold label (rows) by predicted label (columns) over paired spans; NONE row/column for spurious/missed.

    Only labels that occur are kept, in the scheme's order.
    """
    from sklearn.metrics import confusion_matrix as sk_confusion

    pairs = list(label_pairs)
    used = {g for g, _ in pairs} | {p for _, p in pairs}
    order = [l for l in labels if l in used] + [NONE]
    if not pairs:
        return {"labels": order, "matrix": [[0] * len(order) for _ in order]}
    matrix = sk_confusion([g for g, _ in pairs], [p for _, p in pairs], labels=order)
    return {"labels": order, "matrix": matrix.tolist()}


def summarize(errors: Sequence[Mapping[str, Any]], top: int = 10) -> dict[str, Any]:
    """Counts per category, the most frequent label confusions and boundary patterns."""
    categories = Counter(e["category"] for e in errors)
    confusions = Counter(
        (e["gold"]["label"], e["predicted"]["label"]) for e in errors if e["category"] in ("wrong_label", "both")
    )
    patterns = Counter(p for e in errors if e.get("pattern") for p in e["pattern"].split("; "))
    missed = Counter(e["gold"]["label"] for e in errors if e["category"] == "missed")
    spurious = Counter(e["predicted"]["label"] for e in errors if e["category"] == "spurious")
    return {
        "categories": {c: categories.get(c, 0) for c in CATEGORIES},
        "confusions": [{"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(top)],
        "boundary_patterns": [{"pattern": k, "count": n} for k, n in patterns.most_common(top)],
        "missed_by_label": dict(missed.most_common()),
        "spurious_by_label": dict(spurious.most_common()),
    }
