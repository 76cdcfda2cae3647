"""Sentence units: the fast splitter equals spaCy's sentencizer, on the shipped corpus and on any text."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from nerbench.evaluate.units import sentence_starts, units_of


@pytest.fixture(scope="module")
def sentencizer():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def reference_starts(nlp, text: str) -> list[int]:
    """The sentence starts as nerbench found them before (spaCy's sentencizer line by line, stripped): the oracle."""
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


def test_the_102_sentences_of_the_shipped_gold_are_unchanged(root, seeds, sentencizer):
    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme

    gold = load_gold(root / "gold" / "gold.jsonl", seeds, load_scheme(root / "gold" / "labels.json"))
    texts = {doc.id: doc.text for doc in gold.documents}
    units = units_of(texts, "sentence")
    assert sum(len(starts) for starts in units.values()) == 102
    assert units == {doc_id: reference_starts(sentencizer, text) for doc_id, text in texts.items()}


PIECES = [
    "a", "Word", "Mr.", "U.S.", "3.5", "e.g.", "No.", "Inc.", ".", "..", "...", "!", "?", "?!", "。", "।", "‼", "…",
    "“", "”", '"', "'", "(", ")", "[", "]", ":)", "—", ",", ";", "'s", "n't", "$", "%", "x.y", "http://x.org/a.b",
    " ", " ", " ", "  ", "\u00a0", "\t", "\r", "\n", "\n\n", "\u2028", "\u3000",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_sentence_starts_equal_spacys_sentencizer_on_any_text(sentencizer, pieces):
    text = "".join(pieces)
    assert sentence_starts(text) == reference_starts(sentencizer, text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_sentence_starts_equal_spacys_sentencizer_on_random_unicode(sentencizer, text):
    assert sentence_starts(text) == reference_starts(sentencizer, text)


def test_a_line_without_sentence_punctuation_is_one_sentence_and_blank_lines_none():
    # line 1 "  Tencent Cloud and Fujian" [0, 26), an empty line at 27, "   " at 28, "signed ..." at 32
    assert sentence_starts("  Tencent Cloud and Fujian\n\n   \nsigned an agreement") == [0, 2, 32]
    assert sentence_starts("One. Two!  Three?\tFour") == [0, 5, 11, 18]


def test_document_units_are_the_whole_document():
    assert units_of({"a": "One. Two.", "b": ""}, "document") == {"a": [0], "b": [0]}
    with pytest.raises(ValueError, match="unknown bootstrap unit 'paragraph'"):
        units_of({}, "paragraph")
