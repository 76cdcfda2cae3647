"""spaCy at the edge: tokenisation, alignment of spans to tokens, and `.spacy` DocBin files.

spaCy is imported inside the functions, never when this module is imported. Two tokenisations:

- `spacy`: the tokenizer of `spacy.blank("en")`, spaCy's rule-based English tokenizer (the
  tokenizer of the `en_core_web_*` pipelines, without any trained component);
- `whitespace`: every run of non-whitespace characters is a token (what a corpus imported from
  CoNLL columns was made of, since its text is its tokens joined by spaces).

Whitespace tokens (spaCy makes one of every whitespace run other than a single space) are never
counted as tokens.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from nerbench.errors import NerbenchError
from nerbench.spans import Span, describe

TOKENIZERS = {
    "spacy": "spaCy's rule-based English tokenizer (spacy.blank('en')), whitespace tokens not counted",
    "whitespace": "runs of non-whitespace characters (the tokens of a corpus imported from CoNLL columns)",
}
MISALIGNED = ("refuse", "expand")
ID_KEY = "doc_id"  # where a DocBin written by nerbench keeps each document's id (Doc.user_data)


@functools.lru_cache(maxsize=1)
def _blank_english():
    import spacy

    return spacy.blank("en")


def check_tokenizer(tokenizer: str) -> None:
    if tokenizer not in TOKENIZERS:
        raise NerbenchError(f"tokenizer {tokenizer!r}: use {' or '.join(TOKENIZERS)}")


def make_doc(text: str, tokenizer: str = "spacy"):
    """A spaCy `Doc` of `text` (its text is exactly `text`) in one of the two tokenisations."""
    from spacy.tokens import Doc

    check_tokenizer(tokenizer)
    nlp = _blank_english()
    if tokenizer == "spacy":
        return nlp.make_doc(text)
    words, spaces = [], []
    for piece in re.finditer(r"\S+|\s+", text):
        word = piece.group()
        if word.isspace() and words and not words[-1].isspace() and not spaces[-1]:
            if word == " ":  # a single space after a word belongs to it, as in spaCy's own Doc
                spaces[-1] = True
                continue
            if word.startswith(" "):
                spaces[-1] = True
                word = word[1:]
        words.append(word)
        spaces.append(False)
    return Doc(nlp.vocab, words=words, spaces=spaces)


def token_offsets(texts: Mapping[str, str], tokenizer: str = "spacy") -> dict[str, np.ndarray]:
    """Per text, an array of its tokens' (start, end) character offsets, one row a token; whitespace tokens left out."""
    check_tokenizer(tokenizer)
    if tokenizer == "whitespace":  # the same tokens as make_doc's, without building a Doc
        return {doc_id: _pairs([m.span() for m in re.finditer(r"\S+", text)]) for doc_id, text in texts.items()}
    nlp = _blank_english()
    out = {}
    for doc_id, doc in zip(texts, nlp.tokenizer.pipe(texts.values())):
        if not len(doc):
            out[doc_id] = _pairs([])
            continue
        idx, length, space = doc.to_array(["IDX", "LENGTH", "IS_SPACE"]).astype(np.int64).T
        keep = space == 0
        out[doc_id] = np.stack([idx[keep], idx[keep] + length[keep]], axis=1)
    return out


def _pairs(spans: list[tuple[int, int]]) -> np.ndarray:
    return np.array(spans, dtype=np.int64).reshape(-1, 2)


@dataclass
class Alignment:
    """How the spans of a corpus fit a tokenisation: counted, never dropped."""

    spans: int = 0
    on_tokens: int = 0
    expanded: int = 0

    def line(self) -> str:
        return f"{self.spans} spans: {self.on_tokens} on token boundaries, {self.expanded} expanded to whole tokens"


def align_spans(doc, spans: Sequence[Span], misaligned: str, where: str, tokenizer: str, stats: Alignment) -> list[tuple[int, int, str]]:
    """The spans as (start, end, label) on token boundaries of `doc`; each misaligned one widened or refused.

    Widening uses `Doc.char_span(..., alignment_mode="expand")`: the span grows to the tokens it
    touches. Two spans that end up overlapping are refused (a token holds one entity).
    """
    if misaligned not in MISALIGNED:
        raise NerbenchError(f"--misaligned {misaligned!r}: use {' or '.join(MISALIGNED)}")
    out: list[tuple[int, int, str]] = []
    text = doc.text
    for span in sorted(spans):
        stats.spans += 1
        exact = doc.char_span(span.start, span.end, alignment_mode="strict")
        if exact is not None:
            stats.on_tokens += 1
            out.append((span.start, span.end, span.label))
            continue
        name = describe(span.start, span.end, span.label, span.text_in(text))
        if misaligned == "refuse":
            tokens = doc.char_span(span.start, span.end, alignment_mode="expand")
            shown = f" (the tokens are {[t.text for t in tokens]!r})" if tokens is not None else ""
            raise NerbenchError(
                f"{where}: span {name} does not fall on token boundaries of the {tokenizer} tokenisation{shown}; "
                "use --misaligned expand to widen it to whole tokens"
            )
        wide = doc.char_span(span.start, span.end, alignment_mode="expand")
        if wide is None:
            raise NerbenchError(f"{where}: span {name} covers no token of the {tokenizer} tokenisation")
        stats.expanded += 1
        out.append((wide.start_char, wide.end_char, span.label))
    for (s1, e1, l1), (s2, e2, l2) in zip(out, out[1:]):
        if s2 < e1:
            raise NerbenchError(
                f"{where}: spans {describe(s1, e1, l1, text[s1:e1])} and {describe(s2, e2, l2, text[s2:e2])} "
                f"share a token of the {tokenizer} tokenisation once aligned; the format holds one entity per token"
            )
    return out


# ---- DocBin ---------------------------------------------------------------------------------------


def docbin_bytes(documents: Iterable[tuple[str, str, Sequence[Span]]], tokenizer: str, misaligned: str, stats: Alignment, where: str = "gold") -> bytes:
    """A `.spacy` DocBin of (id, text, spans): every other token explicitly outside an entity (O).

    Each document's id is kept in `Doc.user_data["doc_id"]`, so importing the file gives the
    same ids back; `spacy train` and `spacy evaluate` ignore it.
    """
    from spacy.tokens import DocBin

    docbin = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for doc_id, text, spans in documents:
        doc = make_doc(text, tokenizer)
        aligned = align_spans(doc, spans, misaligned, f"{where}: document {doc_id}", tokenizer, stats)
        doc.set_ents([doc.char_span(s, e, label=l) for s, e, l in aligned], default="outside")
        doc.user_data[ID_KEY] = doc_id
        docbin.add(doc)
    return docbin.to_bytes()


def read_docbin(data: bytes, where: str) -> list[tuple[str | None, str, list[Span]]]:
    """(id or None, text, entity spans) of every Doc of a DocBin, in order."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        docs = list(DocBin().from_bytes(data).get_docs(Vocab()))
    except Exception as e:  # srsly/msgpack raise many kinds on a file that is not a DocBin
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise NerbenchError(f"{where}: not a spaCy DocBin (.spacy) file: {first}") from None
    out = []
    for doc in docs:
        doc_id = doc.user_data.get(ID_KEY)
        spans = [Span(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
        out.append((doc_id if isinstance(doc_id, str) else None, doc.text, spans))
    return out
