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

from .scoring import SpanArrays, LabelCodes, flatten_spans
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


def _token_block(tokens: Sequence[Sequence[tuple[int, int]] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of some documents as one (n, 2) array of offsets, and each token's document (position in `tokens`)."""
    if not len(tokens):
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    tok = np.concatenate([np.asarray(t, dtype=np.int64).reshape(-1, 2) for t in tokens])
    return tok, np.repeat(np.arange(len(tokens)), [len(t) for t in tokens])


def _side_codes(
    tok: np.ndarray, tok_doc: np.ndarray, base: np.ndarray, side: SpanArrays, a: int, b: int, code_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(label code of every token of documents [a, b), 0 = outside; 1 where a span's first token is), from one side's spans.

    All documents at once: each is shifted by `base` past the previous one's last offset, so one
    sorted search finds every span's tokens.
    """
    lo, hi = int(side.offsets[a]), int(side.offsets[b])
    shift = base[side.doc[lo:hi] - a]
    start, end = side.start[lo:hi] + shift, side.end[lo:hi] + shift
    order = np.lexsort((end, start))
    owner = _owners(tok[:, 0] + base[tok_doc], tok[:, 1] + base[tok_doc], start[order], end[order])
    codes = np.where(owner >= 0, code_of[side.label[lo:hi][order]][np.maximum(owner, 0)] if len(order) else 0, 0)
    begins = np.zeros(len(owner), dtype=np.int64)
    if len(owner):
        begins[0] = owner[0] >= 0
        begins[1:] = (owner[1:] >= 0) & (owner[1:] != owner[:-1])
    return codes, begins


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


CHUNK_DOCUMENTS = 1000  # documents whose tokens are coded at once: memory bounded by a chunk, not the corpus


def token_metrics(
    documents: Iterable[tuple[Sequence[tuple[int, int]] | np.ndarray, Sequence[Span], Sequence[Span]]],
    labels: Sequence[str],
    tokenizer: str,
    description: str = "",
    chunk: int = CHUNK_DOCUMENTS,
) -> dict[str, Any]:
    """Accuracy and per-label token P/R/F1 over (token offsets, gold spans, predicted spans) per document."""
    docs = list(documents)
    codes = LabelCodes({label: i for i, label in enumerate(labels)})
    gold = flatten_spans([g for _, g, _ in docs], codes)
    pred = flatten_spans([p for _, _, p in docs], codes)
    return corpus_token_metrics([t for t, _, _ in docs], gold, pred, list(codes), labels, tokenizer, description, chunk)


def corpus_token_metrics(
    tokens: Sequence[Sequence[tuple[int, int]] | np.ndarray],
    gold: SpanArrays,
    pred: SpanArrays,
    span_labels: Sequence[str],
    labels: Sequence[str],
    tokenizer: str,
    description: str = "",
    chunk: int = CHUNK_DOCUMENTS,
) -> dict[str, Any]:
    """`token_metrics` from the span arrays of a matching (`nerbench.scoring`): document d's tokens
    are `tokens[d]`, its spans those of document d of `gold` and `pred`, whose label codes index
    `span_labels`.

    The documents are coded `chunk` at a time into one contingency table of (gold label, predicted
    label) token counts; scikit-learn's `precision_recall_fscore_support` then gets each pair of
    the table once, weighted by its count: the same sums, so the same values, as one entry per
    token would give, without a corpus-long array of tokens.
    """
    from sklearn.metrics import precision_recall_fscore_support

    label_code = {label: i + 1 for i, label in enumerate(labels)}
    code_of = np.array([label_code[label] for label in span_labels], dtype=np.int64)  # a span label's code here; a label outside `labels` is a KeyError
    k = len(labels) + 1  # label codes, 0 = outside
    table = np.zeros((k, k), dtype=np.int64)  # tokens per (gold code, predicted code)
    n = correct = 0
    step = max(1, chunk)
    for a in range(0, len(tokens), step):
        b = min(a + step, len(tokens))
        tok, tok_doc = _token_block(tokens[a:b])
        extent = np.zeros(b - a, dtype=np.int64)  # each document's last offset, of a token or a span
        np.maximum.at(extent, tok_doc, tok[:, 1])
        for side in (gold, pred):
            lo, hi = int(side.offsets[a]), int(side.offsets[b])
            np.maximum.at(extent, side.doc[lo:hi] - a, side.end[lo:hi])
        base = np.concatenate([[0], np.cumsum(extent + 1)[:-1]])
        y_true, gold_begins = _side_codes(tok, tok_doc, base, gold, a, b, code_of)
        y_pred, pred_begins = _side_codes(tok, tok_doc, base, pred, a, b, code_of)
        table += np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
        n += len(y_true)
        correct += int(np.count_nonzero(y_true * 2 + gold_begins == y_pred * 2 + pred_begins))  # the IOB2 tags
    codes = list(range(1, k))
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
    y_true, y_pred = np.nonzero(table)
    weights = table[y_true, y_pred]

    def scores(average: str | None):
        return precision_recall_fscore_support(y_true, y_pred, labels=codes, average=average, zero_division=np.nan, sample_weight=weights)

    p, r, f, _ = scores(None)
    for i, label in enumerate(labels):
        code = i + 1
        tp = int(table[code, code])
        fp, fn = int(table[:, code].sum()) - tp, int(table[code, :].sum()) - tp
        result["per_label"][label] = {
            "precision": _value(p[i]),
            "recall": _value(r[i]),
            "f1": _value(f[i]),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "support": tp + fn,
            "predicted": tp + fp,
        }
    tp, fp, fn = (sum(m[key] for m in result["per_label"].values()) for key in ("tp", "fp", "fn"))
    for average in ("micro", "macro", "weighted"):
        ap, ar, af, _ = scores(average)
        result[average] = {"precision": _value(ap), "recall": _value(ar), "f1": _value(af)}
    result["micro"].update(tp=tp, fp=fp, fn=fn, support=tp + fn, predicted=tp + fp)
    return result
