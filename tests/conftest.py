"""Shared fixtures: the real label scheme and seeds, and small hand-made gold files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nerbench.labels import load_scheme
from nerbench.seeds import load_seeds

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scheme():
    return load_scheme(ROOT / "gold" / "labels.json")


@pytest.fixture(scope="session")
def seeds():
    return load_seeds(ROOT / "seeds")


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", target)
    return target


def find(text: str, surface: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the nth occurrence of `surface` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def gold_line(doc_id: str, text: str, spans: list[tuple[str, str]] | list[dict], **overrides) -> str:
    """One gold JSONL line; spans given as (surface, label) pairs (first occurrences) or raw dicts."""
    from nerbench.fileio import sha256_text

    raw = []
    for span in spans:
        if isinstance(span, dict):
            raw.append(span)
        else:
            surface, label = span
            start, end = find(text, surface)
            raw.append({"start": start, "end": end, "label": label, "text": surface})
    data = {"id": doc_id, "text": text, "text_sha256": sha256_text(text), "spans": raw}
    data.update(overrides)
    return json.dumps(data, ensure_ascii=False)


# The small hand-made gold used by the loader and end-to-end tests: two seed documents.
SMALL_GOLD = {
    "000_8faa29fe9a578bee": [
        ("East China", "LOC"),
        ("Jiangsu", "GPE"),
        ("Wednesday", "DATE"),
        ("Nanjing", "GPE"),
        ("Lou Qinjian", "PERSON"),
        ("Ma Huateng", "PERSON"),
        ("Tencent", "ORG"),
    ],
    "004_a7989f5d7222c8d0": [],
}


@pytest.fixture
def small_gold(tmp_path: Path, seeds) -> Path:
    lines = []
    for doc_id, spans in SMALL_GOLD.items():
        text = seeds.text(doc_id)
        # Keep spans sorted by offset, as the format requires.
        located = sorted(({"start": s, "end": e, "label": l, "text": t} for t, l in spans for s, e in [find(text, t)]), key=lambda d: d["start"])
        lines.append(gold_line(doc_id, text, located))
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    """A real Label Studio server on a free port of 127.0.0.1, with a fresh SQLite data folder.

    Started by the same code as `make labelstudio`; stopped at the end of the session.
    """
    import os

    from nerbench.annotate import server

    local = ROOT / ".venv-ls" / "bin" / "label-studio"
    if "LABEL_STUDIO_BIN" not in os.environ and local.exists():
        os.environ["LABEL_STUDIO_BIN"] = str(local)
    state = tmp_path_factory.mktemp("labelstudio")
    creds, started = server.start(state, server.free_port())
    assert started
    yield state, creds
    server.stop(state)
