"""Cross-checks against the tools researchers already trust, on the same seeded random data.

- strict per label and overall equals spaCy's `Scorer.score_spans`;
- the four schemes equal nervaluate's (ends converted to inclusive) where its matching is well
  defined: every span overlaps at most one span on the other side.
"""

from __future__ import annotations

import random

import pytest
import spacy
from nervaluate import Evaluator
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Example

from nerbench.scoring import SCHEMES, score_corpus
from nerbench.spans import Span

LABELS = ["PERSON", "ORG", "GPE", "DATE", "MONEY"]


def synthetic_corpus(seed: int, n_docs: int = 60):
    """Token-aligned documents of words 'w0 w1 ...' with gold spans and perturbed predictions.

    Each gold span occupies its own slot of tokens; a prediction stays inside its slot, so every
    span overlaps at most one span on the other side (nervaluate's well-defined case).
    """
    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        words, gold, pred = [], [], []
        for _ in range(rng.randint(0, 12)):
            slot = rng.randint(3, 6)
            first = len(words)
            words += [f"w{len(words)}" for _ in range(slot)]
            g = (first + 1, first + rng.randint(2, slot - 1), rng.choice(LABELS))  # token [start, end)
            has_gold = rng.random() < 0.85
            if has_gold:
                gold.append(g)
            fate = rng.random()
            if fate < 0.45:
                p = g if has_gold else (first, first + 2, rng.choice(LABELS))
            elif fate < 0.6:
                p = (g[0], g[1], rng.choice([l for l in LABELS if l != g[2]]))
            elif fate < 0.75:
                p = (g[0] - 1, g[1], g[2])
            elif fate < 0.85:
                p = (g[0], min(g[1] + 1, first + slot), rng.choice(LABELS))
            else:
                p = None
            if p is not None:
                pred.append(p)
        docs.append((f"d{d}", words, gold, pred))
    return docs


def to_char_spans(words, token_spans):
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    return [Span(starts[s], starts[e - 1] + len(words[e - 1]), l) for s, e, l in token_spans]


@pytest.fixture(scope="module")
def corpus():
    return synthetic_corpus(seed=13)


def ours(corpus):
    gold = {i: to_char_spans(w, g) for i, w, g, _ in corpus}
    pred = {i: to_char_spans(w, p) for i, w, _, p in corpus}
    return score_corpus(gold, pred)[0]


def test_strict_scores_equal_spacy_score_spans(corpus):
    nlp = spacy.blank("en")
    examples = []
    for _, words, gold, pred in corpus:
        g_doc = Doc(nlp.vocab, words=words)
        p_doc = Doc(nlp.vocab, words=words)
        g_doc.ents = [spacy.tokens.Span(g_doc, s, e, l) for s, e, l in gold]
        p_doc.ents = [spacy.tokens.Span(p_doc, s, e, l) for s, e, l in pred]
        examples.append(Example(p_doc, g_doc))
    theirs = Scorer.score_spans(examples, "ents")
    counts = ours(corpus)
    micro = counts.tally("strict")
    assert micro.precision == pytest.approx(theirs["ents_p"])
    assert micro.recall == pytest.approx(theirs["ents_r"])
    assert micro.f1 == pytest.approx(theirs["ents_f"])
    assert set(theirs["ents_per_type"]) == {l for l in LABELS if counts.tally("strict", l).support or counts.tally("strict", l).predicted}
    for label, scores in theirs["ents_per_type"].items():
        t = counts.tally("strict", label)
        # spaCy shows 0 where a side is empty; we show no value there.
        assert (t.precision or 0.0) == pytest.approx(scores["p"]), label
        assert (t.recall or 0.0) == pytest.approx(scores["r"]), label
        assert (t.f1 or 0.0) == pytest.approx(scores["f"]), label


NERVALUATE_NAMES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


@pytest.mark.parametrize("seed", [13, 14, 15])
def test_four_schemes_equal_nervaluate_where_its_matching_is_well_defined(seed):
    corpus = synthetic_corpus(seed)
    counts = ours(corpus)
    # nervaluate's ends are inclusive: convert once, here.
    true = [[{"label": s.label, "start": s.start, "end": s.end - 1} for s in to_char_spans(w, g)] for _, w, g, _ in corpus]
    pred = [[{"label": s.label, "start": s.start, "end": s.end - 1} for s in to_char_spans(w, p)] for _, w, _, p in corpus]
    results = Evaluator(true, pred, tags=LABELS, loader="dict").evaluate()
    # The data must exercise every outcome, or agreement would prove little.
    assert all(counts.tally("partial").semeval()[k] > 0 for k in ("correct", "partial", "missed", "spurious"))
    assert counts.tally("strict").semeval()["incorrect"] > 0
    for scheme in SCHEMES:
        theirs = results["overall"][NERVALUATE_NAMES[scheme]]
        sem = counts.tally(scheme).semeval()
        assert (sem["correct"], sem["incorrect"], sem["partial"], sem["missed"], sem["spurious"]) == (
            theirs.correct,
            theirs.incorrect,
            theirs.partial,
            theirs.missed,
            theirs.spurious,
        ), scheme
        t = counts.tally(scheme)
        assert t.precision == pytest.approx(theirs.precision) and t.recall == pytest.approx(theirs.recall), scheme
        assert t.f1 == pytest.approx(theirs.f1), scheme
    # Per label, nervaluate scores each tag on its own spans; for the label-aware schemes that is ours.
    for label in LABELS:
        for scheme in ("strict", "type"):
            theirs = results["entities"][label][NERVALUATE_NAMES[scheme]]
            t = counts.tally(scheme, label)
            assert (t.precision or 0.0) == pytest.approx(theirs.precision), (label, scheme)
            assert (t.recall or 0.0) == pytest.approx(theirs.recall), (label, scheme)
