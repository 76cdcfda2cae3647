"""CoNLL columns: conlleval's chunk rules, documents and sentences, exact offsets, round trips."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerbench.errors import NerbenchError
from nerbench.formats.conll import chunks, parse_tag, read_conll
from nerbench.formats.corpus import ExportOptions, conll_text
from nerbench.formats.spacy import Alignment
from nerbench.gold import Document
from nerbench.scoring import score_corpus
from nerbench.spans import Span

from conftest import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "conll2000"


def tags(*written: str) -> list[tuple[str, str]]:
    return [parse_tag(t, "test") for t in written]


def published_result() -> tuple[dict[str, int], dict[str, tuple[float, float, int]]]:
    """conlleval's published output for the sample: overall counts, and per type (P%, R%, found)."""
    text = (SAMPLE / "conlleval-result.txt").read_text(encoding="utf-8")
    tokens, phrases, found, correct = map(int, re.search(r"processed (\d+) tokens with (\d+) phrases; found: (\d+) phrases; correct: (\d+)", text).groups())
    per_type = {
        name: (float(p), float(r), int(n))
        for name, p, r, n in re.findall(r"^\s*(\S+): precision:\s*([\d.]+)%; recall:\s*([\d.]+)%; FB1:\s*[\d.]+\s+(\d+)$", text, flags=re.M)
    }
    return {"tokens": tokens, "phrases": phrases, "found": found, "correct": correct}, per_type


def test_the_conll2000_sample_reads_as_conlleval_counts_it():
    overall, per_type = published_result()
    corpus = read_conll((SAMPLE / "output.txt").read_text(encoding="utf-8"), "output.txt", with_predictions=True)
    assert corpus.tokens == overall["tokens"] == 961
    [doc] = corpus.documents
    counts = score_corpus({"d": doc.gold}, {"d": doc.predicted})[0]
    micro = counts.tally("strict")
    assert (micro.support, micro.predicted, micro.tp) == (overall["phrases"], overall["found"], overall["correct"]) == (459, 539, 371)
    assert sorted(per_type) == sorted(corpus.labels)
    for label, (precision, recall, found) in per_type.items():
        tally = counts.tally("strict", label)
        assert tally.predicted == found
        assert round(100 * (tally.precision or 0), 2) == precision  # conlleval prints 0.00 for undefined
        assert round(100 * (tally.recall or 0), 2) == recall


@pytest.mark.parametrize(
    "written, expected",
    [
        (["I-PER", "I-PER", "O"], [(0, 2, "PER")]),  # I- at a sentence start starts a chunk
        (["O", "I-PER", "B-PER"], [(1, 2, "PER"), (2, 3, "PER")]),  # I- after O starts one; B- starts the next
        (["B-PER", "I-ORG", "I-ORG"], [(0, 1, "PER"), (1, 3, "ORG")]),  # a change of type starts a chunk
        (["I-LOC", "I-LOC", "B-LOC", "I-LOC"], [(0, 2, "LOC"), (2, 4, "LOC")]),  # IOB1: B- only between two chunks
        (["B-PER", "O", "I-PER"], [(0, 1, "PER"), (2, 3, "PER")]),
        (["S-PER", "S-PER"], [(0, 1, "PER"), (1, 2, "PER")]),  # BIOES
        (["B-PER", "E-PER", "I-PER"], [(0, 2, "PER"), (2, 3, "PER")]),  # I- after E- starts a chunk
        (["E-PER", "E-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
        (["B-ORG", "I-ORG", "E-ORG", "S-LOC", "O"], [(0, 3, "ORG"), (3, 4, "LOC")]),
        (["U-ORG", "B-LOC", "L-LOC"], [(0, 1, "ORG"), (1, 3, "LOC")]),  # spaCy's BILUO letters
        (["B-MISC-X", "I-MISC-X", "I-MISC-Y"], [(0, 2, "MISC-X"), (2, 3, "MISC-Y")]),  # the type is all after the first hyphen
    ],
)
def test_chunks_follow_conllevals_rules(written, expected):
    assert chunks(tags(*written)) == expected


BIO = st.lists(st.sampled_from(["O", "B-X", "I-X", "B-Y", "I-Y", "B-Z-W", "I-Z-W"]), max_size=12)


@settings(deadline=None)  # the first example imports spaCy
@given(BIO)
def test_chunks_of_any_bio_sequence_equal_spacys_reading(written):
    """spaCy's `iob_to_biluo` reads I- after O and type changes as conlleval does: the same chunks."""
    from spacy.training.iob_utils import iob_to_biluo, tags_to_entities

    theirs = [(start, end + 1, label) for label, start, end in tags_to_entities(iob_to_biluo(written))]
    assert chunks(tags(*written)) == theirs


@st.composite
def entity_layouts(draw):
    """A sentence length and its entities (first token, last token + 1, type), often side by side."""
    segments = draw(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["O", "PER", "ORG", "B-C"])), min_size=1, max_size=6))
    entities, n = [], 0
    for length, kind in segments:
        if kind != "O":
            entities.append((n, n + length, kind))
        n += length
    return n, entities


def encode(n: int, entities, scheme: str) -> list[str]:
    """The test's own tagger: a layout in IOB1, IOB2 or BIOES."""
    out = ["O"] * n
    prev_end, prev_type = -1, ""
    for start, end, label in entities:
        for i in range(start, end):
            out[i] = "I-" + label
        if scheme == "iob2" or (scheme == "iob1" and prev_end == start and prev_type == label):
            out[start] = "B-" + label
        if scheme == "bioes":
            if end - start == 1:
                out[start] = "S-" + label
            else:
                out[start], out[end - 1] = "B-" + label, "E-" + label
        prev_end, prev_type = end, label
    return out


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
@given(layout=entity_layouts())
def test_every_tag_scheme_reads_back_its_entities(scheme, layout):
    n, entities = layout
    assert chunks(tags(*encode(n, entities, scheme))) == entities


CONLL_2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
"""


def test_documents_sentences_and_offsets_are_rebuilt_exactly():
    corpus = read_conll(CONLL_2003, "eng.sample")
    first, second = corpus.documents
    assert first.text == "EU rejects German call .\nPeter Blackburn"
    assert first.gold == [Span(0, 2, "ORG"), Span(11, 17, "MISC"), Span(25, 40, "PER")]
    assert [s.text_in(first.text) for s in first.gold] == ["EU", "German", "Peter Blackburn"]
    assert (first.line, first.sentences, first.tokens) == (1, 2, 7)
    assert (second.text, second.gold, second.line) == ("BRUSSELS", [Span(0, 8, "LOC")], 12)
    assert corpus.labels == ["ORG", "MISC", "PER", "LOC"] and corpus.empty_documents == []


def test_a_file_without_docstart_is_one_document_and_x_lines_end_sentences():
    corpus = read_conll("a B-X\r\nb I-X\r\n-X- O\r\nc I-X\r\n", "f")
    [doc] = corpus.documents
    assert doc.text == "a b\nc" and doc.gold == [Span(0, 3, "X"), Span(4, 5, "X")]


def test_a_docstart_with_no_token_after_it_is_counted_not_made_a_document():
    corpus = read_conll("-DOCSTART- O\n\n-DOCSTART- O\n\nx B-X\n", "f")
    assert len(corpus.documents) == 1 and corpus.empty_documents == [1]


@pytest.mark.parametrize(
    "content, with_predictions, message",
    [
        ("a B-X\nb I-X extra\n", False, "f:2: 3 fields, but line 1 has 2 (every token line needs the same columns)"),
        ("a X-PER\n", False, "f:1: tag 'X-PER' is neither O nor a prefix B-, I-, E-, S- (or L-, U-) followed by a type, e.g. B-PER"),
        ("a B-\n", False, "f:1: tag 'B-' is neither O nor a prefix B-, I-, E-, S- (or L-, U-) followed by a type, e.g. B-PER"),
        ("a B-X\n", True, "f:1: 2 field(s), expected at least 3 (a token, a gold tag and a predicted tag)"),
        ("\n-DOCSTART- O\n\n", False, "f: no tokens (expected CoNLL columns: a token per line, its tag last)"),
    ],
)
def test_bad_conll_is_refused_with_one_line(content, with_predictions, message):
    with pytest.raises(NerbenchError) as e:
        read_conll(content, "f", with_predictions=with_predictions)
    assert str(e.value) == message


TOKEN = st.text(alphabet=st.sampled_from("abcXYZ019.,'’-é"), min_size=1, max_size=4).filter(lambda t: t not in ("-X-", "-DOCSTART-"))


@st.composite
def conll_files(draw, scheme: str):
    """A CoNLL file as nerbench writes one: '-DOCSTART- O', then sentences of 'token tag' lines."""
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        lines += ["-DOCSTART- O", ""]
        for _ in range(draw(st.integers(1, 3))):
            n, entities = draw(entity_layouts())
            words = draw(st.lists(TOKEN, min_size=n, max_size=n))
            lines += [f"{w} {t}" for w, t in zip(words, encode(n, entities, scheme))] + [""]
    return "\n".join(lines[:-1]) + "\n"


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_conll_read_then_written_is_the_same_file(scheme, data):
    content = data.draw(conll_files(scheme))
    corpus = read_conll(content, "f")
    docs = [Document(f"d{i}", d.text, tuple(d.gold)) for i, d in enumerate(corpus.documents)]
    stats = Alignment()
    written = conll_text(docs, ExportOptions(tokenizer="whitespace", tags=scheme), stats, "f")
    assert written == content
    assert stats.expanded == 0 and stats.spans == sum(len(d.gold) for d in corpus.documents)
