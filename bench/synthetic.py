"""A seeded synthetic corpus for the benchmark: gold entities and perturbed predictions.

Each document is a run of *slots* of words; a slot holds at most one gold entity with a word of
padding on either side, and its prediction stays inside the slot. So every span overlaps at most
one span on the other side: the case where nervaluate's matching is well defined and all three
scorers (ours, nervaluate, spaCy) must give the same strict numbers. The predictions are the
gold spans kept, relabelled, shifted by a word at either end, shrunk, or dropped, plus spurious
spans in slots without gold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from nerbench.spans import Span

# Rough OntoNotes frequencies, so that labels are as unbalanced as in real news text.
LABEL_WEIGHTS = {
    "PERSON": 12, "NORP": 5, "FAC": 1, "ORG": 14, "GPE": 12, "LOC": 2, "PRODUCT": 1, "EVENT": 1,
    "WORK_OF_ART": 1, "LAW": 1, "LANGUAGE": 0.3, "DATE": 10, "TIME": 1, "PERCENT": 2, "MONEY": 3,
    "QUANTITY": 1, "ORDINAL": 2, "CARDINAL": 6,
}  # fmt: skip
LABELS: tuple[str, ...] = tuple(LABEL_WEIGHTS)
# What happens to a gold span in the predictions, with its probability.
FATES = (("kept", 0.62), ("relabelled", 0.10), ("shifted_left", 0.05), ("shifted_right", 0.05),
         ("shrunk", 0.04), ("shifted_relabelled", 0.02), ("dropped", 0.12))  # fmt: skip
GOLD_RATE = 0.86  # share of slots holding a gold span
SPURIOUS_RATE = 0.3  # share of the other slots holding a spurious prediction


@dataclass(frozen=True)
class SyntheticDoc:
    """Words joined by single spaces; gold and predicted spans as word offsets [start, end)."""

    id: str
    words: tuple[str, ...]
    gold: tuple[tuple[int, int, str], ...]
    pred: tuple[tuple[int, int, str], ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def char_spans(self, side: str) -> list[Span]:
        """The gold or predicted spans as character offsets into `text` (the toolkit's convention)."""
        starts, pos = [], 0
        for w in self.words:
            starts.append(pos)
            pos += len(w) + 1
        spans = self.gold if side == "gold" else self.pred
        return [Span(starts[s], starts[e - 1] + len(self.words[e - 1]), label) for s, e, label in spans]


def vocabulary(rng: random.Random, size: int = 2000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))).capitalize() for _ in range(size)]


def synthetic_corpus(n_docs: int, seed: int = 0, mean_slots: int = 33) -> list[SyntheticDoc]:
    """`n_docs` documents, about 0.86 * mean_slots gold entities each (28 by default)."""
    rng = random.Random(seed)
    words_pool = vocabulary(rng)
    labels, weights = list(LABEL_WEIGHTS), list(LABEL_WEIGHTS.values())
    fates, fate_weights = [f for f, _ in FATES], [w for _, w in FATES]
    docs = []
    for d in range(n_docs):
        words: list[str] = []
        gold, pred = [], []
        for _ in range(rng.randint(mean_slots - 12, mean_slots + 12)):
            length = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            first = len(words) + 1  # one word of padding before the span
            words += rng.choices(words_pool, k=length + 2 + rng.randint(0, 2))
            last = first + length
            label = rng.choices(labels, weights)[0]
            if rng.random() >= GOLD_RATE:
                if rng.random() < SPURIOUS_RATE:
                    pred.append((first, last, label))
                continue
            gold.append((first, last, label))
            fate = rng.choices(fates, fate_weights)[0]
            other = rng.choice([l for l in labels if l != label])
            if fate == "kept":
                pred.append((first, last, label))
            elif fate == "relabelled":
                pred.append((first, last, other))
            elif fate == "shifted_left":
                pred.append((first - 1, last - 1 if length > 1 else last, label))
            elif fate == "shifted_right":
                pred.append((first + 1 if length > 1 else first, last + 1, label))
            elif fate == "shrunk":
                pred.append((first, last - 1, label) if length > 1 else (first - 1, last + 1, label))
            elif fate == "shifted_relabelled":
                pred.append((first, last + 1, other))
        docs.append(SyntheticDoc(f"doc{d:06d}", tuple(words), tuple(gold), tuple(pred)))
    return docs


def toolkit_input(docs: Sequence[SyntheticDoc]) -> tuple[dict[str, list[Span]], dict[str, list[Span]]]:
    """What `nerbench.scoring.score_corpus` takes: spans per document id, gold and predicted."""
    return {d.id: d.char_spans("gold") for d in docs}, {d.id: d.char_spans("pred") for d in docs}


def nervaluate_input(gold: dict[str, list[Span]], pred: dict[str, list[Span]]) -> tuple[list, list]:
    """nervaluate's dict loader format; its ends are inclusive, so end - 1 (converted here, once)."""
    true = [[{"label": s.label, "start": s.start, "end": s.end - 1} for s in spans] for spans in gold.values()]
    guess = [[{"label": s.label, "start": s.start, "end": s.end - 1} for s in pred[doc_id]] for doc_id in gold]
    return true, guess


def spacy_examples(docs: Sequence[SyntheticDoc]) -> list:
    """One spaCy `Example` per document (predicted Doc, reference Doc), alignment computed up front."""
    import spacy
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan
    from spacy.training import Example

    vocab = spacy.blank("en").vocab
    examples = []
    for d in docs:
        words = list(d.words)
        ref = Doc(vocab, words=words)
        ref.ents = [SpacySpan(ref, s, e, label) for s, e, label in d.gold]
        prd = Doc(vocab, words=words)
        prd.ents = [SpacySpan(prd, s, e, label) for s, e, label in d.pred]
        example = Example(prd, ref)
        example.alignment  # computed lazily otherwise, inside the first timed score_spans
        examples.append(example)
    return examples

