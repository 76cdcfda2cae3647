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


def _owners(tok_start: np.ndarray, tok_end: np.ndarray, span_start: np.ndarray, span_end: np.ndarray) -> np.ndarray:
    """For each token, the index of the span it belongs to, or -1; tokens sorted and disjoint,
    spans sorted by (start, end) and disjoint. A token two spans share goes to the earlier."""
    owner = np.full(len(tok_start), -1, dtype=np.int64)
    if not len(tok_start) or not len(span_start):
        return owner
    first = np.searchsorted(tok_end, span_start, side="right")  # first token ending after a span's start
    stop = np.searchsorted(tok_start, span_end, side="left")  # tokens starting before its end
    lengths = np.maximum(stop - first, 0)
    if not lengths.any():
        return owner
    which = np.repeat(np.arange(len(span_start)), lengths)  # the span of each (token, span) pair, in span order
    token = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(first, lengths)
    shared, at = np.unique(token, return_index=True)  # the first pair of a token is its earliest span's
    owner[shared] = which[at]
    return owner


def token_labels(offsets: Sequence[tuple[int, int]] | np.ndarray, spans: Sequence[Span]) -> np.ndarray:
    """For each token, the index of the span it belongs to (in the order of `spans`), or -1."""
    tokens = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    order = np.array(sorted(range(len(spans)), key=lambda k: spans[k]), dtype=np.int64)
    bounds = np.array([(spans[k].start, spans[k].end) for k in order], dtype=np.int64).reshape(-1, 2)
    owner = _owners(tokens[:, 0], tokens[:, 1], bounds[:, 0], bounds[:, 1])
    return np.where(owner >= 0, order[np.maximum(owner, 0)] if len(order) else -1, -1)


def token_tags(offsets: Sequence[tuple[int, int]] | np.ndarray, spans: Sequence[Span]) -> list[str]:
    """The IOB2 tags of the tokens (for tests and for people; the metrics use integer codes)."""
    owner = token_labels(offsets, spans)
    tags = []
    for i, k in enumerate(owner):
        if k < 0:
            tags.append("O")
        else:
            tags.append(("B-" if i == 0 or owner[i - 1] != k else "I-") + spans[k].label)
    return tags


def _corpus_codes(
    tokens: Sequence[np.ndarray], spans: Sequence[Sequence[Span]], label_code: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(label code of every token of the corpus, 0 = outside; 1 where a span's first token is).

    All documents at once: each is shifted past the previous one's last offset, so one sorted
    search finds every span's tokens.
    """
    n_docs = len(tokens)
    tok = np.concatenate([np.asarray(t, dtype=np.int64).reshape(-1, 2) for t in tokens]) if n_docs else np.zeros((0, 2), np.int64)
    tok_doc = np.repeat(np.arange(n_docs), [len(t) for t in tokens])
    span_doc = np.repeat(np.arange(n_docs), [len(s) for s in spans])
    flat = [span for doc in spans for span in doc]
    bounds = np.array([(s.start, s.end) for s in flat], dtype=np.int64).reshape(-1, 2)
    code = np.array([label_code[s.label] for s in flat], dtype=np.int64)
    extent = np.zeros(n_docs, dtype=np.int64)
    np.maximum.at(extent, tok_doc, tok[:, 1])
    np.maximum.at(extent, span_doc, bounds[:, 1])
    base = np.concatenate([[0], np.cumsum(extent + 1)[:-1]]) if n_docs else extent
    start, end = bounds[:, 0] + base[span_doc], bounds[:, 1] + base[span_doc]
    order = np.lexsort((end, start))
    owner = _owners(tok[:, 0] + base[tok_doc], tok[:, 1] + base[tok_doc], start[order], end[order])
    codes = np.where(owner >= 0, code[order][np.maximum(owner, 0)] if len(order) else 0, 0)
    begins = np.zeros(len(owner), dtype=np.int64)
    if len(owner):
        begins[0] = owner[0] >= 0
        begins[1:] = (owner[1:] >= 0) & (owner[1:] != owner[:-1])
    return codes, begins


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def token_metrics(
    documents: Iterable[tuple[Sequence[tuple[int, int]] | np.ndarray, Sequence[Span], Sequence[Span]]],
    labels: Sequence[str],
    tokenizer: str,
    description: str = "",
) -> dict[str, Any]:
    """Accuracy and per-label token P/R/F1 over (token offsets, gold spans, predicted spans) per document."""
    from sklearn.metrics import multilabel_confusion_matrix, precision_recall_fscore_support

    label_code = {label: i + 1 for i, label in enumerate(labels)}
    docs = list(documents)
    tokens = [offsets for offsets, _, _ in docs]
    y_true, gold_begins = _corpus_codes(tokens, [gold for _, gold, _ in docs], label_code)
    y_pred, pred_begins = _corpus_codes(tokens, [pred for _, _, pred in docs], label_code)
    tags_true, tags_pred = y_true * 2 + gold_begins, y_pred * 2 + pred_begins
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
