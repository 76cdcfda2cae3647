"""CoNLL columns (CoNLL-2003, conlleval's input) to and from `Span`.

Reading (no spaCy needed):

- one token per line, its fields separated by whitespace; the tag is the last field, or, with
  predictions (conlleval's `word ... gold predicted`), the gold tag is the next to last field and
  the predicted tag the last; every token line has the same number of fields (as conlleval checks);
- a blank line, or a line whose first field is `-X-`, ends a sentence; a line whose first field
  is `-DOCSTART-` starts a new document and is not a token (conlleval counts it as a token
  tagged O, so its token count includes those lines);
- a tag is `O` or PREFIX-TYPE, the type being everything after the first hyphen (conlleval's
  rule of 2004, so types may hold hyphens); PREFIX is B, I, E or S (L and U, spaCy's BILUO
  names, are read as E and S);
- chunks are found by conlleval's rules, extended to E and S as seqeval and the Python ports of
  conlleval do, so IOB1, IOB2, IOE and BIOES files are all read by one rule set. Sequences that
  break a scheme are read as conlleval reads them: `I-X` after `O` (or at a sentence start)
  starts a chunk, a change of type starts a chunk, `B-X I-Y` is two chunks. For files with only
  B-, I- and O tags the chunks are exactly those of the Perl conlleval.

The text is rebuilt, since CoNLL has tokens but no text: the tokens of a sentence joined by one
space, the sentences of a document joined by one `\\n`, no trailing newline. A chunk's span runs
from the first character of its first token to the last character of its last token, so offsets
are exact and spans never start or end with whitespace (a token holds none).

Writing needs tokens and goes through spaCy's own helpers (`offsets_to_biluo_tags`,
`biluo_to_iob`), imported inside the function: see `to_conll`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from nerbench.errors import NerbenchError
from nerbench.spans import Span, describe

DOCSTART = "-DOCSTART-"
BOUNDARY = "-X-"
PREFIXES = {"B": "B", "I": "I", "E": "E", "S": "S", "L": "E", "U": "S"}
TAG_SCHEMES = ("iob2", "iob1", "bioes")


@dataclass
class ConllDocument:
    """A document read from CoNLL columns: rebuilt text, gold spans, and predicted spans if any."""

    line: int  # where it starts in the file
    text: str = ""
    gold: list[Span] = field(default_factory=list)
    predicted: list[Span] | None = None
    sentences: int = 0
    tokens: int = 0


@dataclass
class ConllCorpus:
    documents: list[ConllDocument]
    labels: list[str]  # chunk types, in order of first appearance (a token's gold tag before its predicted tag)
    empty_documents: list[int]  # lines of -DOCSTART- with no token after them
    tokens: int


def start_of_chunk(prev: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's `startOfChunk`, with E and S: does a chunk start at this token?"""
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and tag in ("I", "E"):
        return True
    return tag != "O" and prev_type != type_


def end_of_chunk(prev: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's `endOfChunk`, with E and S: did a chunk end at the previous token?"""
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev != "O" and prev_type != type_


def chunks(tags: Sequence[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Chunks `(first token, last token + 1, type)` of one sentence's (prefix, type) tags."""
    found: list[tuple[int, int, str]] = []
    start: int | None = None
    prev, prev_type = "O", ""
    for i, (tag, type_) in enumerate([*tags, ("O", "")]):  # a sentence ends outside any chunk
        if start is not None and end_of_chunk(prev, tag, prev_type, type_):
            found.append((start, i, prev_type))
            start = None
        if start_of_chunk(prev, tag, prev_type, type_):
            start = i
        prev, prev_type = tag, type_
    return found


def parse_tag(tag: str, where: str) -> tuple[str, str]:
    """`B-PER` as ("B", "PER"), `O` as ("O", ""); anything else is refused."""
    if tag == "O":
        return "O", ""
    prefix, sep, type_ = tag.partition("-")
    if not sep or prefix not in PREFIXES or not type_:
        raise NerbenchError(
            f"{where}: tag {tag!r} is neither O nor a prefix B-, I-, E-, S- (or L-, U-) followed by a type, e.g. B-PER"
        )
    return PREFIXES[prefix], type_


def read_conll(content: str, where: str, *, with_predictions: bool = False) -> ConllCorpus:
    """Read CoNLL columns (see the module's docstring); `where` names the file in messages."""
    columns = 3 if with_predictions else 2
    Token = tuple[str, tuple[str, str], tuple[str, str]]  # text, gold (prefix, type), predicted
    documents: list[tuple[int, list[list[Token]]]] = [(1, [[]])]  # (first line, sentences); then one per -DOCSTART-
    empty: list[int] = []
    labels: dict[str, None] = {}
    first: tuple[int, int] | None = None  # (fields of the first token line, its line number)
    for lineno, raw in enumerate(content.split("\n"), start=1):
        fields = raw.split()
        sentences = documents[-1][1]
        if not fields or fields[0] == BOUNDARY:
            if sentences[-1]:
                sentences.append([])
            continue
        if fields[0] == DOCSTART:
            documents.append((lineno, [[]]))
            continue
        here = f"{where}:{lineno}"
        if len(fields) < columns:
            want = "a token, a gold tag and a predicted tag" if with_predictions else "a token and a tag"
            raise NerbenchError(f"{here}: {len(fields)} field(s), expected at least {columns} ({want})")
        if first is None:
            first = (len(fields), lineno)
        elif len(fields) != first[0]:
            raise NerbenchError(f"{here}: {len(fields)} fields, but line {first[1]} has {first[0]} (every token line needs the same columns)")
        gold = parse_tag(fields[-2] if with_predictions else fields[-1], here)
        predicted = parse_tag(fields[-1], here) if with_predictions else ("O", "")
        for _, type_ in (gold, predicted):
            if type_:
                labels.setdefault(type_, None)
        sentences[-1].append((fields[0], gold, predicted))
    docs = []
    for n, (line, sentences) in enumerate(documents):
        sentences = [s for s in sentences if s]
        if not sentences:
            if n > 0:  # a -DOCSTART- with no token after it (the lines before the first one are no document)
                empty.append(line)
            continue
        docs.append(_document(line, sentences, with_predictions))
    if not docs:
        raise NerbenchError(f"{where}: no tokens (expected CoNLL columns: a token per line, its tag last)")
    return ConllCorpus(docs, list(labels), empty, sum(d.tokens for d in docs))


def _document(line: int, sentences: list[list[tuple[str, tuple[str, str], tuple[str, str]]]], with_predictions: bool) -> ConllDocument:
    """The rebuilt text and the spans of one document's sentences."""
    doc = ConllDocument(line=line, predicted=[] if with_predictions else None, sentences=len(sentences))
    offset = 0
    for sentence in sentences:
        starts, ends = [], []
        for token, _, _ in sentence:
            starts.append(offset)
            ends.append(offset + len(token))
            offset += len(token) + 1  # the space after a token, or the line break after a sentence
        for first, last, type_ in chunks([gold for _, gold, _ in sentence]):
            doc.gold.append(Span(starts[first], ends[last - 1], type_))
        if doc.predicted is not None:
            for first, last, type_ in chunks([predicted for _, _, predicted in sentence]):
                doc.predicted.append(Span(starts[first], ends[last - 1], type_))
        doc.tokens += len(sentence)
    doc.text = "\n".join(" ".join(token for token, _, _ in sentence) for sentence in sentences)
    return doc


# ---- Writing -------------------------------------------------------------------------------------


def iob2_to_iob1(tags: Sequence[str]) -> list[str]:
    """IOB1 (CoNLL-2003's own): B- only where a chunk directly follows one of the same type."""
    out = []
    prev_type = ""
    for tag in tags:
        if tag.startswith("B-") and tag[2:] != prev_type:
            tag = "I-" + tag[2:]
        out.append(tag)
        prev_type = "" if tag == "O" else tag[2:]
    return out


def document_tags(doc, spans: Sequence[tuple[int, int, str]], scheme: str) -> list[str]:
    """Tags of the tokens of a spaCy `Doc` for aligned spans, in the given tag scheme.

    Uses spaCy's `offsets_to_biluo_tags` (BILUO) and `biluo_to_iob` (IOB2); BIOES is BILUO with
    spaCy's L and U written E and S.
    """
    from spacy.training import biluo_to_iob, offsets_to_biluo_tags

    biluo = offsets_to_biluo_tags(doc, list(spans))
    if "-" in biluo:  # never: the caller aligns every span to tokens first
        raise ValueError("a span is not aligned to tokens")
    if scheme == "bioes":
        return [{"L": "E", "U": "S"}.get(t[0], t[0]) + t[1:] if t != "O" else t for t in biluo]
    iob2 = biluo_to_iob(biluo)
    return iob2 if scheme == "iob2" else iob2_to_iob1(iob2)


_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029\x85\x0b\x0c]")


def conll_lines(doc, spans: Sequence[tuple[int, int, str]], scheme: str, predicted: Sequence[tuple[int, int, str]] | None = None) -> list[str]:
    """The token lines of one document (a spaCy `Doc` whose spans are aligned), sentences apart.

    Whitespace tokens are not written (CoNLL cannot hold them); one that holds a line break ends
    the sentence, unless a span runs across it (a sentence boundary would end the span).
    """
    tags = document_tags(doc, spans, scheme)
    pred_tags = document_tags(doc, predicted, scheme) if predicted is not None else None
    inside = [False] * len(doc)
    for span_list in (spans, predicted or []):
        for start, end, _ in span_list:
            span = doc.char_span(start, end)
            for i in range(span.start, span.end):
                inside[i] = True
    out: list[str] = []
    for i, token in enumerate(doc):
        if token.is_space:
            if _LINE_BREAK.search(token.text) and not inside[i] and out and out[-1] != "":
                out.append("")
            continue
        fields = [token.text, tags[i]] + ([pred_tags[i]] if pred_tags is not None else [])
        out.append(" ".join(fields))
    while out and out[-1] == "":
        out.pop()
    return out


def describe_span(span: Span, text: str) -> str:
    return describe(span.start, span.end, span.label, span.text_in(text))
