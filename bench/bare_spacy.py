"""Bare spaCy over the seed texts, the baseline of the end-to-end benchmark: load, `nlp.pipe`, nothing else.

Usage: python bench/bare_spacy.py MODEL SEEDS_DIR [BATCH_SIZE]
"""

import sys
from pathlib import Path

import spacy


def main(model: str, seeds: str, batch_size: str | None = None) -> None:
    texts = []
    for path in sorted(Path(seeds).glob("*.txt")):
        with open(path, encoding="utf-8", newline="") as f:  # the exact text, as the toolkit reads it
            texts.append(f.read())
    nlp = spacy.load(model)
    docs = list(nlp.pipe(texts, batch_size=int(batch_size) if batch_size else None))
    print(f"{len(docs)} documents, {sum(len(d.ents) for d in docs)} entities")


if __name__ == "__main__":
    main(*sys.argv[1:])
