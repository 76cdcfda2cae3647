"""Token-level metrics, as seqeval and conlleval users know them, beside the span schemes.

Takes token offsets (the tokenisation happens at the edge, see `nerbench.formats.spacy`) and
the spans of both sides. Each token gets an IOB2 tag from the spans: a token inside a span (it
shares a character with it) carries the span's label, `B-` on the span's first token and `I-`
on the others; a token that two spans share (a span boundary inside a token) belongs to the
earlier span.

- `accuracy`: the share of tokens whose IOB2 tag is the same on both sides, `O` included
  (conlleval's "accuracy", seqeval's `accuracy_score`). conlleval compares the tags as written
  in its input, so on a file whose columns use different schemes (IOB1 against IOB2, say) it
  counts differences that nerbench, comparing the tags the spans give, does not.
- per label: precision, recall and F1 of tokens carrying the label (the prefix left aside), by
  scikit-learn's `precision_recall_fscore_support`; micro, macro and weighted averages over the
  scheme's labels (`O` is no label). Undefined values (no gold and no predicted token) are None,
  and left out of the macro average, as for the span scores.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from .spans import Span


def token_labels(offsets: Sequence[tuple[int, int]], spans: Sequence[Span]) -> np.ndarray:
    """For each token, the index of the span it belongs to, or -1 (outside any span)."""
    owner = np.full(len(offsets), -1, dtype=np.int64)
    if not len(offsets) or not spans:
        return owner
    starts = np.fromiter((s for s, _ in offsets), dtype=np.int64, count=len(offsets))
    ends = np.fromiter((e for _, e in offsets), dtype=np.int64, count=len(offsets))
    ordered = sorted(range(len(spans)), key=lambda k: spans[k])
    for k in reversed(ordered):  # earlier spans last, so a shared token ends up theirs
        span = spans[k]
        first = int(np.searchsorted(ends, span.start, side="right"))  # first token ending after the start
        last = int(np.searchsorted(starts, span.end, side="left"))  # tokens starting before the end
        owner[first:last] = k
    return owner


def token_tags(offsets: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    """The IOB2 tags of the tokens (for tests and for people; the metrics use integer codes)."""
    owner = token_labels(offsets, spans)
    tags = []
    for i, k in enumerate(owner):
        if k < 0:
            tags.append("O")
        else:
            tags.append(("B-" if i == 0 or owner[i - 1] != k else "I-") + spans[k].label)
    return tags


def _codes(offsets: Sequence[tuple[int, int]], spans: Sequence[Span], label_code: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(label code per token, 0 = outside; begins: 1 where a span's first token is)."""
    owner = token_labels(offsets, spans)
    codes = np.array([label_code[s.label] for s in spans] + [0], dtype=np.int64)[owner]  # owner -1 -> 0
    begins = np.zeros(len(owner), dtype=np.int64)
    if len(owner):
        begins[0] = owner[0] >= 0
        begins[1:] = (owner[1:] >= 0) & (owner[1:] != owner[:-1])
    return codes, begins


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def token_metrics(
    documents: Iterable[tuple[Sequence[tuple[int, int]], Sequence[Span], Sequence[Span]]],
    labels: Sequence[str],
    tokenizer: str,
    description: str = "",
) -> dict[str, Any]:
    """Accuracy and per-label token P/R/F1 over (token offsets, gold spans, predicted spans) per document."""
    from sklearn.metrics import multilabel_confusion_matrix, precision_recall_fscore_support

    label_code = {label: i + 1 for i, label in enumerate(labels)}
    gold_parts, pred_parts, gold_b, pred_b = [], [], [], []
    for offsets, gold, pred in documents:
        g, gb = _codes(offsets, gold, label_code)
        p, pb = _codes(offsets, pred, label_code)
        gold_parts.append(g)
        pred_parts.append(p)
        gold_b.append(gb)
        pred_b.append(pb)
    y_true = np.concatenate(gold_parts) if gold_parts else np.zeros(0, dtype=np.int64)
    y_pred = np.concatenate(pred_parts) if pred_parts else np.zeros(0, dtype=np.int64)
    tags_true = y_true * 2 + (np.concatenate(gold_b) if gold_b else 0)
    tags_pred = y_pred * 2 + (np.concatenate(pred_b) if pred_b else 0)
    n = int(len(y_true))
    correct = int(np.count_nonzero(tags_true == tags_pred))
    codes = list(range(1, len(labels) + 1))
    result: dict[str, Any] = {
        "tokenizer": tokenizer,
        "description": description,
        "tokens": n,
        "accuracy": correct / n if n else None,
        "correct_tags": correct,
        "per_label": {},
    }
    if not codes:
        return result
    if not n:  # scikit-learn refuses empty input; nothing is defined
        none = {"precision": None, "recall": None, "f1": None}
        zero = {"tp": 0, "fp": 0, "fn": 0, "support": 0, "predicted": 0}
        result["per_label"] = {label: {**none, **zero} for label in labels}
        result.update(micro={**none, **zero}, macro=dict(none), weighted=dict(none))
        return result
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=codes, average=None, zero_division=np.nan)
    confusion = multilabel_confusion_matrix(y_true, y_pred, labels=codes)  # per label [[tn, fp], [fn, tp]]
    for i, label in enumerate(labels):
        (_, fp), (fn, tp) = confusion[i].tolist()
        result["per_label"][label] = {
            "precision": _value(p[i]),
            "recall": _value(r[i]),
            "f1": _value(f[i]),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "support": int(support[i]),
            "predicted": tp + fp,
        }
    tp, fp, fn = (sum(m[key] for m in result["per_label"].values()) for key in ("tp", "fp", "fn"))
    for average in ("micro", "macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(y_true, y_pred, labels=codes, average=average, zero_division=np.nan)
        result[average] = {"precision": _value(ap), "recall": _value(ar), "f1": _value(af)}
    result["micro"].update(tp=tp, fp=fp, fn=fn, support=tp + fn, predicted=tp + fp)
    return result
