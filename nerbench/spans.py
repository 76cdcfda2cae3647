"""One span type, one offset convention: half-open [start, end) code-point offsets into the text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .errors import NerbenchError
from .labels import LabelScheme


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """An entity mention: `text[start:end]` carries `label`. Sorts by (start, end, label)."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def to_dict(self, text: str) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text_in(text)}


def describe(start: object, end: object, label: object, surface: str | None = None) -> str:
    """How an error message names a span: `[10, 17) ORG 'Tencent'`."""
    shown = f" {surface!r}" if surface is not None else ""
    return f"[{start}, {end}) {label}{shown}"


def parse_spans(
    text: str,
    raw_spans: Iterable[Any],
    scheme: LabelScheme | None,
    where: str,
    *,
    require_text: bool = True,
    require_sorted: bool = True,
    edge_whitespace: bool = False,
) -> list[Span]:
    """Check raw span dicts against `text` and return them as sorted `Span`s.

    Raises NerbenchError naming `where` (file, line, document or task) and the span for: a
    non-integer or out-of-range offset, a `text` that differs from the slice, whitespace at either
    edge (unless `edge_whitespace`: a model's prediction may have it), a label outside `scheme`,
    spans out of order, and overlapping spans.
    """
    spans: list[Span] = []
    for i, raw in enumerate(raw_spans):
        if not isinstance(raw, dict):
            raise NerbenchError(f"{where}: span {i} is not an object: {raw!r}")
        start, end, label = raw.get("start"), raw.get("end"), raw.get("label")
        name = f"span {i} {describe(start, end, label)}"
        if not _is_int(start) or not _is_int(end):
            raise NerbenchError(f"{where}: {name}: start and end must be integers")
        if not (0 <= start < end <= len(text)):
            raise NerbenchError(f"{where}: {name}: offsets outside the text (0 <= start < end <= {len(text)})")
        surface = text[start:end]
        name = f"span {i} {describe(start, end, label, surface)}"
        if "text" in raw or require_text:
            if raw.get("text") != surface:
                raise NerbenchError(f"{where}: {name}: span text {raw.get('text')!r} differs from the text's slice")
        if not edge_whitespace and (surface[0].isspace() or surface[-1].isspace()):
            raise NerbenchError(f"{where}: {name}: span starts or ends with whitespace")
        if not isinstance(label, str) or (scheme is not None and label not in scheme):
            known = f" of {scheme.path or scheme.name}" if scheme is not None else ""
            raise NerbenchError(f"{where}: {name}: label {label!r} is not in the label scheme{known}")
        spans.append(Span(start, end, label))
    ordered = sorted(spans)
    if require_sorted and ordered != spans:
        raise NerbenchError(f"{where}: spans are not sorted by start offset")
    for prev, cur in zip(ordered, ordered[1:]):
        if cur.start < prev.end:
            raise NerbenchError(
                f"{where}: span {describe(cur.start, cur.end, cur.label, text[cur.start:cur.end])} overlaps "
                f"span {describe(prev.start, prev.end, prev.label, text[prev.start:prev.end])}"
            )
    return ordered


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
