"""Resampling units for the bootstrap: sentences found without any trained model.

Lines are split first (the seeds keep one paragraph per line), then each line as spaCy's
rule-based `sentencizer` splits it: a sentence ends at a token that is one of its punctuation
characters (`.`, `!`, `?`, `。`, ...), and the next one starts at the next token that is not
punctuation; leading whitespace is not part of a sentence. The same units serve every model, so
paired comparisons resample identical units.

Only the words that hold such a character, and the words after them up to the next sentence
start, are tokenized (by spaCy's English tokenizer, which splits every whitespace-separated chunk
on its own, so a chunk's tokens never depend on its neighbours), and a chunk's tokens are
cached. A line without any of those characters is one sentence and costs one regex search.
tests/test_units.py checks the result against the sentencizer itself.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from typing import Mapping

from nerbench.progress import progress

_WORD, _PUNCT, _END = 0, 1, 2  # a token's role: a word, other punctuation, a sentence-ending character
_CACHE_SIZE = 200_000


class _Splitter:
    def __init__(self) -> None:
        from spacy.pipeline.sentencizer import Sentencizer

        self.punct_chars = frozenset(Sentencizer.default_punct_chars)
        self.ascii_ends = "".join(sorted(c for c in self.punct_chars if c.isascii()))
        self.chunk = re.compile(r"\S+")
        self.space = re.compile(r"\s+")
        self.cache: dict[str, tuple[tuple[int, int], ...]] = {}

    @cached_property
    def tokenizer(self):
        import spacy

        return spacy.blank("en").tokenizer

    def tokens(self, chunk: str) -> tuple[tuple[int, int], ...]:
        """(offset, role) of each token of one whitespace-free chunk."""
        found = self.cache.get(chunk)
        if found is None:
            if len(self.cache) >= _CACHE_SIZE:
                self.cache.clear()
            found = self.cache[chunk] = tuple(
                (t.idx, _END if t.text in self.punct_chars else _PUNCT if t.is_punct else _WORD) for t in self.tokenizer(chunk)
            )
        return found

    @staticmethod
    def _next_end(line: str, i: int, upcoming: dict[str, int]) -> int:
        """The first position >= i of a sentence-ending character, or -1; `upcoming` is kept up to date."""
        best = -1
        for c, p in list(upcoming.items()):
            if p < i:
                p = line.find(c, i)
                if p < 0:
                    del upcoming[c]
                    continue
                upcoming[c] = p
            if best < 0 or p < best:
                best = p
        return best

    def line_starts(self, line: str) -> list[int]:
        """Start offsets in `line` (no "\\n") of its sentences, without leading whitespace; none for a blank line."""
        n = len(line)
        first = n - len(line.lstrip())
        if first == n:
            return []
        starts = [first]
        # Where each sentence-ending character occurs next (str.find is far faster than a regex class here).
        ends = self.ascii_ends if line.isascii() else self.punct_chars.intersection(line)
        upcoming = {c: p for c in ends if (p := line.find(c, first)) >= 0}
        seen_end = False  # the sentencizer's state: a sentence-ending token was seen
        i = first
        while i < n:
            if seen_end and line[i].isalnum():
                # a chunk that begins with a letter or digit begins with a word (no punctuation
                # prefix, and a token holding a letter is not punctuation): the sentence starts here
                starts.append(i)
                seen_end = False
            if seen_end:  # i is at the chunk after a sentence end: read on
                j = self.chunk.match(line, i).end()
            else:  # nothing can happen before the next chunk holding a sentence-ending character
                i = self._next_end(line, i, upcoming)
                if i < 0:
                    break
                while i > 0 and not line[i - 1].isspace():  # back to the chunk's start (spaCy splits on str.isspace, as \s does)
                    i -= 1
                j = self.chunk.match(line, i).end()
            for offset, role in self.tokens(line[i:j]):
                if role == _END:
                    seen_end = True
                elif role == _WORD and seen_end:
                    starts.append(i + offset)
                    seen_end = False
            if j >= n:
                break
            k = self.space.match(line, j).end()
            # spaCy keeps a single " " after a token as its trailing space; any other whitespace is a
            # token of its own, not punctuation, so a sentence starts there (at k, once stripped).
            if seen_end and (line[j] != " " or k - j > 1):
                if k < n:
                    starts.append(k)
                seen_end = False
            i = k
        return starts


@lru_cache(maxsize=1)
def _splitter() -> _Splitter:
    return _Splitter()


def sentence_starts(text: str) -> list[int]:
    """Start offsets of the sentences of `text` (the first is always 0)."""
    splitter = _splitter()
    starts = [0]
    offset = 0
    for line in text.split("\n"):
        for start in splitter.line_starts(line):
            if offset + start > starts[-1]:
                starts.append(offset + start)
        offset += len(line) + 1
    return starts


def units_of(texts: Mapping[str, str], unit: str, quiet: bool = True) -> dict[str, list[int]]:
    """Unit start offsets per document: sentences, or the whole document as one unit."""
    if unit == "document":
        return {doc_id: [0] for doc_id in texts}
    if unit == "sentence":
        items = progress(texts.items(), total=len(texts), what="finding sentences", quiet=quiet)
        return {doc_id: sentence_starts(text) for doc_id, text in items}
    raise ValueError(f"unknown bootstrap unit {unit!r}: use 'sentence' or 'document'")
