"""One span type, one offset convention: half-open [start, end) code-point offsets into the text."""

from __future__ import annotations

import unicodedata
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
    prediction: bool = False,
) -> list[Span]:
    """Check raw span dicts against `text` and return them as sorted `Span`s.

    Raises NerbenchError naming `where` (file, line, document or task) and the span for: a
    non-integer or out-of-range offset, a `text` that differs from the slice, whitespace at either
    edge, an invisible or control character at either edge, an edge that cuts a character from
    its combining mark (`cut_character`), a label outside `scheme`, spans out of order, and
    overlapping spans. With `prediction`, the edges are not checked (whitespace, invisible
    characters, a cut character): a model can predict such a span, which then simply matches no
    gold span exactly.
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
        if not prediction:
            _check_edges(text, start, end, f"{where}: {name}")
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


ZWJ = "\u200d"


def _joins_the_previous(ch: str) -> bool:
    """A character drawn as part of the one before it: a combining mark (accents, vowel signs,
    variation selectors, enclosing marks) or an emoji skin-tone modifier."""
    return unicodedata.category(ch)[0] == "M" or "\U0001F3FB" <= ch <= "\U0001F3FF"


def cut_character(text: str, start: int, end: int) -> str | None:
    """Why [start, end) cuts a character in two (a base from its combining mark), or None.

    `e` + U+0301 is one character to a reader (é); a span ending between them holds an `e` the
    text does not show, and a span starting at the mark holds an accent with nothing under it.
    """
    if _joins_the_previous(text[start]):
        mark = text[start]
        return f"span starts with the combining mark U+{ord(mark):04X} {unicodedata.name(mark, '')}, which belongs to the character before it"
    if end < len(text) and _joins_the_previous(text[end]):
        mark = text[end]
        return f"span ends before the combining mark U+{ord(mark):04X} {unicodedata.name(mark, '')}, which belongs to its last character"
    if (end < len(text) and text[end] == ZWJ) or (start > 0 and text[start - 1] == ZWJ):
        return "span cuts a sequence joined by U+200D ZERO WIDTH JOINER (such as an emoji made of several)"
    return None


def _check_edges(text: str, start: int, end: int, where: str) -> None:
    """What an annotator's span must not do at its edges (a model's prediction may)."""
    surface = text[start:end]
    if surface[0].isspace() or surface[-1].isspace():
        raise NerbenchError(f"{where}: span starts or ends with whitespace")
    for edge in (surface[0], surface[-1]):
        if unicodedata.category(edge) in ("Cc", "Cf"):
            raise NerbenchError(
                f"{where}: span starts or ends with the invisible or control character {edge!r} "
                f"(U+{ord(edge):04X} {unicodedata.name(edge, 'without a name')})"
            )
    cut = cut_character(text, start, end)
    if cut:
        raise NerbenchError(f"{where}: {cut}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
