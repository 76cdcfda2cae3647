"""The gold file: `gold/gold.jsonl`, one document per line (spaCy/Prodigy JSONL convention).

    {"id": "000_8faa29fe9a578bee", "text": "...", "text_sha256": "...",
     "spans": [{"start": 14, "end": 21, "label": "GPE", "text": "Jiangsu"}], "meta": {...}}

Offsets are half-open code-point offsets into `text`; spans are sorted and never overlap.
A document whose gold is not final (unresolved conflicts, fewer annotators than required) carries
`"provisional": {...}`; a gold with such a document is provisional, and `evaluate` refuses it
unless told otherwise. gold/README.md documents the format.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NerbenchError
from .fileio import FileSet, jsonl_lines, parse_json, read_input_text, reading, sha256_text, unencodable
from .labels import LabelScheme
from .seeds import Seeds
from .spans import Span, parse_spans

DEFAULT_GOLD_PATH = Path("gold/gold.jsonl")


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    spans: tuple[Span, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    provisional: dict[str, int] | None = None  # why this document's gold is not final yet

    @property
    def text_sha256(self) -> str:
        return sha256_text(self.text)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "text_sha256": self.text_sha256,
            "spans": [span.to_dict(self.text) for span in self.spans],
        }
        if self.meta:
            data["meta"] = self.meta
        if self.provisional:
            data["provisional"] = self.provisional
        return data


@dataclass(frozen=True)
class Gold:
    path: str
    sha256: str
    documents: tuple[Document, ...]

    @property
    def n_spans(self) -> int:
        return sum(len(doc.spans) for doc in self.documents)

    @property
    def provisional(self) -> tuple[Document, ...]:
        """The documents whose gold is not final yet."""
        return tuple(doc for doc in self.documents if doc.provisional)


def describe_provisional(gold: Gold) -> str | None:
    """One line naming the provisional documents and why, or None for a final gold."""
    docs = gold.provisional
    if not docs:
        return None
    conflicts = sum(d.provisional.get("unresolved_conflicts", 0) for d in docs)
    reasons = []
    for d in docs:
        p, why = d.provisional, []
        if p.get("unresolved_conflicts"):
            why.append(f"{p['unresolved_conflicts']} unresolved conflict{'s' if p['unresolved_conflicts'] > 1 else ''}")
        if p.get("annotators", 0) < p.get("annotators_required", 0):
            why.append(f"{p['annotators']} of {p['annotators_required']} annotators")
        if p.get("unplaced_spans"):
            why.append(f"{p['unplaced_spans']} spans not carried to the changed text")
        reasons.append(f"{d.id} ({', '.join(why) or 'not final'})")
    return (
        f"provisional gold: {len(docs)} of {len(gold.documents)} documents not final, {conflicts} unresolved "
        f"conflict{'' if conflicts == 1 else 's'}: {'; '.join(reasons)}"
    )


def load_gold(path: str | os.PathLike, seeds: Seeds | None, scheme: LabelScheme) -> Gold:
    """Load and validate a gold file; the first problem raises NerbenchError naming file:line and document.

    `seeds=None` skips the check against the seeds (for an earlier gold, read only to compare).
    The file is read as part of its folder's set of files (gold, export, pull report): a set being
    replaced is waited for, one whose writing was interrupted is completed first.
    """
    path = Path(path)
    with reading(path.parent):
        content = read_input_text(path, "gold file")
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for lineno, line in jsonl_lines(content):
        docs.append(_parse_line(line, f"{path}:{lineno}", seeds, scheme, seen, lineno))
    if not docs:
        raise NerbenchError(f"{path}: no documents")
    return Gold(str(path), sha256_text(content), tuple(docs))


def document_line(line: str, where: str, seen: dict[str, int], lineno: int) -> tuple[dict[str, Any], str, str]:
    """One line of a JSON Lines file of documents (gold, predictions): the object, its id, and
    `where` naming the document; an id already `seen` on an earlier line is refused."""
    data = parse_json(line, where)
    if not isinstance(data, dict):
        raise NerbenchError(f"{where}: expected a JSON object per line")
    doc_id = data.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise NerbenchError(f'{where}: missing document "id"')
    where = f"{where}: document {doc_id}"
    if doc_id in seen:
        raise NerbenchError(f"{where}: document id already used on line {seen[doc_id]}")
    seen[doc_id] = lineno
    return data, doc_id, where


def _parse_line(line: str, where: str, seeds: Seeds | None, scheme: LabelScheme, seen: dict[str, int], lineno: int) -> Document:
    data, doc_id, where = document_line(line, where, seen, lineno)
    seed = seeds.get(doc_id) if seeds is not None else None
    if seeds is not None and seed is None:
        raise NerbenchError(f"{where}: unknown document id (not in {seeds.folder}/manifest.json)")
    text = data.get("text")
    if not isinstance(text, str):
        raise NerbenchError(f'{where}: missing "text"')
    actual = sha256_text(text)
    if data.get("text_sha256") != actual:
        raise NerbenchError(f"{where}: text_sha256 {str(data.get('text_sha256'))[:12]}… is not the SHA-256 of the text ({actual[:12]}…)")
    if seed is not None and actual != seed.sha256:
        raise NerbenchError(
            f"{where}: text differs from the seed {seeds.folder / seed.file} "
            f"(SHA-256 {actual[:12]}…, seed {seed.sha256[:12]}…)"
        )
    raw_spans = data.get("spans")
    if not isinstance(raw_spans, list):
        # required, even when empty: a misspelt key must not read as "no entities in this document"
        raise NerbenchError(f'{where}: "spans" must be a list (empty for a document without entities)')
    spans = parse_spans(text, raw_spans, scheme, where)
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise NerbenchError(f'{where}: "meta" must be an object')
    provisional = data.get("provisional")
    if provisional is not None and (
        not isinstance(provisional, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in provisional.values())
    ):
        raise NerbenchError(f'{where}: "provisional" must be an object of counts, e.g. {{"unresolved_conflicts": 2}}')
    return Document(doc_id, text, tuple(spans), meta, provisional or None)


def dumps_gold(documents: list[Document] | tuple[Document, ...]) -> str:
    return "".join(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n" for doc in documents)


def write_gold(path: str | os.PathLike, documents: list[Document] | tuple[Document, ...]) -> None:
    """Write documents as gold JSONL, atomically (a set of one file: never while its folder's set is replaced)."""
    try:
        content = dumps_gold(documents)
    except UnicodeEncodeError as e:  # a lone surrogate: no UTF-8 file can hold it (nor can it be hashed)
        raise unencodable(path, e) from None
    with FileSet() as files:
        files.write_text(path, content)
