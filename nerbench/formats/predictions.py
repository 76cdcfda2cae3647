"""Predictions files: any system's output, scored like a spaCy pipeline's.

JSON Lines, one document per line:

    {"id": "000_8faa29fe9a578bee", "spans": [{"start": 14, "end": 21, "label": "GPE"}],
     "text_sha256": "...", "model": {"name": "my-tagger", "version": "2.1"}}

- `id` names a document of the gold; every gold document needs a line (or, with
  `missing="empty"`, one without a line counts as predicting nothing, and the report says so at
  its top); a line for a document that is not in the gold is refused, as is an id used twice.
- `text` and `text_sha256` are optional; when present they must match the seed's text.
- `spans`: half-open code-point offsets `[start, end)` into the text, as in the gold. Checked
  like a spaCy pipeline's entities would be: offsets inside the text, `text` (optional) equal to
  the slice, no two spans overlapping (a `Doc`'s entities never do); the order does not matter.
  Unlike the gold, a span may start or end with whitespace: a model can predict that, and it
  then simply matches no gold span exactly.
- labels go through the same label map as a model's (`--label-map`); a label that is neither in
  the scheme nor mapped is refused, naming the line, document and span.
- `model` (optional, the same on every line that has it) names the system in the report;
  without it the file's name does.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from nerbench.errors import NerbenchError, shown_ids
from nerbench.fileio import jsonl_lines, read_input_text, sha256_text
from nerbench.gold import document_line
from nerbench.labels import LabelMap, LabelScheme
from nerbench.spans import Span, parse_spans

MISSING = ("refuse", "empty")


@dataclass
class SystemPredictions:
    """A predictions file, checked against the gold and mapped onto the label scheme."""

    path: str
    sha256: str
    name: str
    version: str
    spans: dict[str, list[Span]]  # document id -> spans with scheme labels, in gold order
    unmapped: Counter = field(default_factory=Counter)  # file label -> spans the map sends to null
    labels: tuple[str, ...] = ()  # the file's own labels, sorted
    missing: tuple[str, ...] = ()  # gold documents without a line, counted as predicting nothing

    def info(self) -> dict[str, Any]:
        """What the report says about the system (the fields a model has, where they apply)."""
        return {
            "name": self.name,
            "version": self.version,
            "spec": self.path,
            "source": "predictions file",
            "file": {"path": self.path, "sha256": self.sha256},
            "labels": list(self.labels),
            "missing_documents": list(self.missing),
        }


def load_predictions(
    path: str | os.PathLike,
    texts: Mapping[str, str],
    scheme: LabelScheme,
    label_map: LabelMap,
    missing: str = "refuse",
) -> SystemPredictions:
    """Read and check a predictions file against the gold texts (document id -> text, gold order)."""
    if missing not in MISSING:
        raise NerbenchError(f"missing documents {missing!r}: use {' or '.join(MISSING)}")
    path = Path(path)
    content = read_input_text(path, "predictions file")
    seen: dict[str, int] = {}
    found: dict[str, list[Span]] = {}
    unmapped: Counter = Counter()
    own_labels: set[str] = set()
    model: tuple[dict[str, Any], int] | None = None
    for lineno, line in jsonl_lines(content):
        data, doc_id, where = document_line(line, f"{path}:{lineno}", seen, lineno)
        text = texts.get(doc_id)
        if text is None:
            raise NerbenchError(f"{where}: not a document of the gold")
        _check_text(data, text, where)
        if "model" in data:
            model = _check_model(data["model"], model, lineno, where)
        raw = data.get("spans")
        if not isinstance(raw, list):
            raise NerbenchError(f'{where}: "spans" must be a list (an empty list when nothing is predicted)')
        spans = parse_spans(text, raw, None, where, require_text=False, require_sorted=False, prediction=True)
        mapped = []
        for span in spans:
            own_labels.add(span.label)
            target = label_map.apply(span.label)
            if target is None:
                unmapped[span.label] += 1
            elif target not in scheme:
                shown = f"[{span.start}, {span.end}) {span.label} {span.text_in(text)!r}"
                mapping = f" (the label map sends it to {target!r})" if target != span.label else ""
                raise NerbenchError(
                    f"{where}: span {shown}: label {span.label!r} is not in the label scheme of "
                    f"{scheme.path or scheme.name}{mapping}; map it with --label-map FILE"
                )
            else:
                mapped.append(span if target == span.label else Span(span.start, span.end, target))
        found[doc_id] = mapped  # in order: parse_spans sorts them, and spans that do not overlap keep their order whatever their labels
    absent = tuple(doc_id for doc_id in texts if doc_id not in found)
    if absent and missing == "refuse":
        raise NerbenchError(
            f"{path}: no line for {len(absent)} document(s) of the gold: {shown_ids(absent, 3)} "
            "(predict them, or pass --missing-as-empty to count them as predicting nothing)"
        )
    info = model[0] if model else {}
    return SystemPredictions(
        path=str(path),
        sha256=sha256_text(content),
        name=info.get("name") or path.name,
        version=info.get("version") or "",
        spans={doc_id: found.get(doc_id, []) for doc_id in texts},
        unmapped=unmapped,
        labels=tuple(sorted(own_labels)),
        missing=absent,
    )


def _check_text(data: Mapping[str, Any], text: str, where: str) -> None:
    actual = sha256_text(text)
    if "text" in data and data["text"] != text:
        given = data["text"]
        shown = f"{len(given)} characters" if isinstance(given, str) else f"a {type(given).__name__}"
        raise NerbenchError(f"{where}: its text ({shown}) differs from the seed's ({len(text)} characters, SHA-256 {actual[:12]}…)")
    if "text_sha256" in data and data["text_sha256"] != actual:
        raise NerbenchError(f"{where}: text_sha256 {str(data['text_sha256'])[:12]}… is not the seed's ({actual[:12]}…): predicted on another text")


def _check_model(raw: Any, known: tuple[dict[str, Any], int] | None, lineno: int, where: str) -> tuple[dict[str, Any], int]:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise NerbenchError(f'{where}: "model" must be an object with a "name" (and optionally a "version"), e.g. {{"name": "my-tagger", "version": "1.0"}}')
    version = raw.get("version", "")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str):
        raise NerbenchError(f'{where}: "model" version must be a string')
    model = {"name": raw["name"].strip(), "version": version.strip()}
    if known is not None and known[0] != model:
        raise NerbenchError(f"{where}: model {model} differs from line {known[1]}'s {known[0]}; one file holds one system's predictions")
    return known or (model, lineno)


def dumps_predictions(documents: Iterable[tuple[str, str, Sequence[Span]]], model: Mapping[str, str] | None = None) -> str:
    """Predictions JSON Lines of (id, text, spans): with each span's text and the text's SHA-256."""
    out = []
    for doc_id, text, spans in documents:
        line: dict[str, Any] = {"id": doc_id, "text_sha256": sha256_text(text), "spans": [s.to_dict(text) for s in sorted(spans)]}
        if model:
            line["model"] = dict(model)
        out.append(json.dumps(line, ensure_ascii=False) + "\n")
    return "".join(out)
