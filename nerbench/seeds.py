"""The seed texts and their manifest (document id = file stem, identity = SHA-256 of the text)."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import NerbenchError
from .fileio import atomic_write_text, read_input_json, read_input_text, read_text_exact, sha256_text

DEFAULT_SEEDS_DIR = Path("seeds")
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Seed:
    id: str
    file: str
    sha256: str
    chars: int


@dataclass(frozen=True)
class Seeds:
    """The manifest of a seeds folder; `text(id)` reads a seed and checks its hash."""

    folder: Path
    documents: tuple[Seed, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(seed.id for seed in self.documents)

    @functools.cached_property
    def _by_id(self) -> dict[str, Seed]:
        return {seed.id: seed for seed in self.documents}

    def get(self, doc_id: str) -> Seed | None:
        return self._by_id.get(doc_id)

    def text(self, doc_id: str) -> str:
        seed = self.get(doc_id)
        if seed is None:
            raise NerbenchError(f"{self.folder / MANIFEST_NAME}: no seed document {doc_id!r}")
        path = self.folder / seed.file
        text = read_input_text(path, "seed file listed in the manifest")
        actual = sha256_text(text)
        if actual != seed.sha256:
            raise NerbenchError(
                f"{path}: SHA-256 is {actual[:12]}…, the manifest says {seed.sha256[:12]}…; "
                "the seed text changed (restore it, or run `nerbench seeds manifest` if the change is meant)"
            )
        return text

    def texts(self) -> dict[str, str]:
        return {doc_id: self.text(doc_id) for doc_id in self.ids}


def load_seeds(folder: str | os.PathLike = DEFAULT_SEEDS_DIR) -> Seeds:
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    data = read_input_json(path, "seed manifest", " (create it with `nerbench seeds manifest`)")
    try:
        docs = tuple(Seed(d["id"], d["file"], d["sha256"], int(d["chars"])) for d in data["documents"])
    except (KeyError, TypeError, ValueError) as e:
        raise NerbenchError(f'{path}: each document needs "id", "file", "sha256" and "chars" ({e})') from None
    ids = [d.id for d in docs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise NerbenchError(f"{path}: document ids listed twice: {', '.join(dupes)}")
    return Seeds(folder, docs)


def build_manifest(folder: str | os.PathLike = DEFAULT_SEEDS_DIR) -> Seeds:
    """Write `manifest.json` for every `*.txt` file in the folder, sorted by name."""
    folder = Path(folder)
    docs = []
    for path in sorted(folder.glob("*.txt")):
        text = read_text_exact(path)
        docs.append(Seed(path.stem, path.name, sha256_text(text), len(text)))
    if not docs:
        raise NerbenchError(f"{folder}: no *.txt seed files")
    data = {
        "description": "Seed documents: id is the file stem, sha256 the SHA-256 of the file's bytes "
        "(UTF-8 text, offsets count code points). Regenerate with `nerbench seeds manifest`.",
        "documents": [d.__dict__ for d in docs],
    }
    atomic_write_text(folder / MANIFEST_NAME, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return Seeds(folder, tuple(docs))
