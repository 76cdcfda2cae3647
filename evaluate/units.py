"""Resampling units for the bootstrap: sentences found without any trained model.

Lines are split first (the seeds keep one paragraph per line), then spaCy's rule-based
`sentencizer` splits each line. The same units serve every model, so paired comparisons resample
identical units.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping


@lru_cache(maxsize=1)
def _sentencizer():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def sentence_starts(text: str) -> list[int]:
    """Start offsets of the sentences of `text` (the first is always 0)."""
    nlp = _sentencizer()
    starts = [0]
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for sent in nlp(line).sents:
                stripped = sent.text.lstrip()
                if stripped:
                    start = offset + sent.start_char + (len(sent.text) - len(stripped))
                    if start > starts[-1]:
                        starts.append(start)
        offset += len(line) + 1
    return starts


def units_of(texts: Mapping[str, str], unit: str) -> dict[str, list[int]]:
    """Unit start offsets per document: sentences, or the whole document as one unit."""
    if unit == "document":
        return {doc_id: [0] for doc_id in texts}
    if unit == "sentence":
        return {doc_id: sentence_starts(text) for doc_id, text in texts.items()}
    raise ValueError(f"unknown bootstrap unit {unit!r}: use 'sentence' or 'document'")
