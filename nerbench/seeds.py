"""The seed texts and their manifest (document id = file stem, identity = SHA-256 of the text).

A seed is a plain, non-empty UTF-8 file `<id>.txt` directly in the seeds folder, listed in its
`manifest.json`. Entries that point anywhere else (`..`, an absolute path, a sub-folder), symbolic
links, and `.txt` files the manifest does not list are refused: the corpus is exactly the
folder's listed files.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .errors import NerbenchError
from .fileio import atomic_write_text, read_input_json, read_input_text, sha256_text

DEFAULT_SEEDS_DIR = Path("seeds")
MANIFEST_NAME = "manifest.json"
SUFFIX = ".txt"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REGENERATE = "run `nerbench seeds manifest` if the change is meant"


@dataclass(frozen=True)
class Seed:
    id: str
    file: str
    sha256: str
    chars: int


@dataclass(frozen=True)
class Seeds:
    """The manifest of a seeds folder; `text(id)` reads a seed and checks its hash and length."""

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
        text = read_seed(path, "seed file listed in the manifest")
        actual = sha256_text(text)
        if actual != seed.sha256:
            raise NerbenchError(
                f"{path}: SHA-256 is {actual[:12]}…, the manifest says {seed.sha256[:12]}…; "
                f"the seed text changed (restore it, or {_REGENERATE})"
            )
        if len(text) != seed.chars:
            raise NerbenchError(
                f"{path}: the text has {len(text)} characters, the manifest says {seed.chars}; {_REGENERATE}"
            )
        return text

    def texts(self) -> dict[str, str]:
        return {doc_id: self.text(doc_id) for doc_id in self.ids}


def read_seed(path: Path, what: str = "seed file") -> str:
    """A seed's text: a plain file (never a symbolic link, which could point out of the folder), not blank."""
    text = read_input_text(path, what, follow_symlinks=False)
    if not text.strip():
        raise NerbenchError(f"{path}: the seed is empty{' (only whitespace)' if text else ''}; a document needs text")
    return text


def check_id(doc_id: object) -> str | None:
    """Why `doc_id` cannot be a document id (the stem of a file directly in the seeds folder), or None."""
    if not isinstance(doc_id, str) or not doc_id:
        return "a document id must be a non-empty string"
    if "/" in doc_id or "\\" in doc_id or doc_id.startswith("."):
        return "a document id names a file directly in the seeds folder: no / or \\, no leading ."
    if not doc_id.isprintable() or doc_id != doc_id.strip():
        return "a document id must be printable, without control characters or whitespace at its ends"
    return None


def load_seeds(folder: str | os.PathLike = DEFAULT_SEEDS_DIR) -> Seeds:
    """Read and check `manifest.json`; a `.txt` file of the folder it does not list is refused."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    data = read_input_json(path, "seed manifest", " (create it with `nerbench seeds manifest`)")
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise NerbenchError(f'{path}: expected an object with a "documents" list')
    if not data["documents"]:
        raise NerbenchError(f"{path}: lists no documents; {_REGENERATE}")
    docs = tuple(_entry(item, f"{path}: documents[{i}]") for i, item in enumerate(data["documents"]))
    dupes = sorted(i for i, n in Counter(d.id for d in docs).items() if n > 1)
    if dupes:
        raise NerbenchError(f"{path}: document ids listed twice: {', '.join(dupes)}")
    unlisted = sorted(set(seed_files(folder)) - {d.file for d in docs})
    if unlisted:
        raise NerbenchError(
            f"{folder / unlisted[0]}: a seed file the manifest does not list"
            f"{f' (and {len(unlisted) - 1} more)' if len(unlisted) > 1 else ''}; {_REGENERATE}, or remove the file"
        )
    return Seeds(folder, docs)


def _entry(item: object, where: str) -> Seed:
    if not isinstance(item, dict) or not all(k in item for k in ("id", "file", "sha256", "chars")):
        raise NerbenchError(f'{where}: each document needs "id", "file", "sha256" and "chars"')
    doc_id, file, sha256, chars = item["id"], item["file"], item["sha256"], item["chars"]
    problem = check_id(doc_id)
    if problem:
        raise NerbenchError(f"{where}: id {doc_id!r}: {problem}")
    if file != doc_id + SUFFIX:
        raise NerbenchError(
            f"{where}: file {file!r}: a seed is the file {doc_id + SUFFIX!r} directly in the seeds folder (its id plus {SUFFIX})"
        )
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise NerbenchError(f"{where}: sha256 {sha256!r} of {doc_id}: expected 64 lower-case hex digits")
    if not isinstance(chars, int) or isinstance(chars, bool) or chars < 1:
        raise NerbenchError(f"{where}: chars {chars!r} of {doc_id}: expected the text's length, a positive integer")
    return Seed(doc_id, file, sha256, chars)


def seed_files(folder: Path) -> list[str]:
    """Names of the `*.txt` files directly in `folder` (hidden files excluded), sorted."""
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if e.name.endswith(SUFFIX) and not e.name.startswith("."))
    except FileNotFoundError:
        raise NerbenchError(f"{folder}: seeds folder not found") from None
    except NotADirectoryError:
        raise NerbenchError(f"{folder}: is a file, not the seeds folder") from None
    except OSError as e:
        raise NerbenchError(f"{folder}: cannot list the seeds folder: {e.strerror}") from None


def build_manifest(folder: str | os.PathLike = DEFAULT_SEEDS_DIR) -> Seeds:
    """Write `manifest.json` for every `*.txt` file in the folder, sorted by name."""
    folder = Path(folder)
    docs = []
    for name in seed_files(folder):
        doc_id = name[: -len(SUFFIX)]
        problem = check_id(doc_id)
        if problem:
            raise NerbenchError(f"{folder / name}: cannot be a seed: {problem}")
        text = read_seed(folder / name)
        docs.append(Seed(doc_id, name, sha256_text(text), len(text)))
    if not docs:
        raise NerbenchError(f"{folder}: no *.txt seed files")
    data = {
        "description": "Seed documents: id is the file stem, sha256 the SHA-256 of the file's bytes "
        "(UTF-8 text, offsets count code points). Regenerate with `nerbench seeds manifest`.",
        "documents": [d.__dict__ for d in docs],
    }
    atomic_write_text(folder / MANIFEST_NAME, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return Seeds(folder, tuple(docs))
