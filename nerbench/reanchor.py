"""Carry spans from an old version of a text to a new one, by their surface text and its context.

When a seed text is corrected, its annotations should survive wherever the annotated words are
still there. `reanchor` places each old span in the new text:

1. by position, when the span lies inside a stretch of text that did not change (the matching
   blocks of `difflib.SequenceMatcher` over the two texts, character by character);
2. otherwise by its surface text: among the places the same text occurs in the new version, the
   one whose surroundings (up to `CONTEXT` characters on each side) match the old surroundings
   best; a tie between places, or no place at all, leaves the span unplaced.

Placed spans carry the exact same text and label, so every rule a span obeys (no whitespace at
its edges, a label from the scheme) still holds; a placed span that would overlap another one
is unplaced instead. Unplaced spans are returned for a person to review, never dropped silently.
"""

from __future__ import annotations

from bisect import bisect_right
from difflib import SequenceMatcher
from typing import Sequence

from .errors import NerbenchError
from .gold import Document
from .seeds import Seeds
from .spans import Span

CONTEXT = 40


def reanchor(old_text: str, new_text: str, spans: Sequence[Span]) -> tuple[list[Span], list[Span]]:
    """(spans placed in `new_text`, the old spans that could not be placed), both sorted."""
    if old_text == new_text:
        return sorted(spans), []
    blocks = [b for b in SequenceMatcher(None, old_text, new_text, autojunk=False).get_matching_blocks() if b.size]
    starts = [b.a for b in blocks]
    placed: list[tuple[Span, Span, bool]] = []  # (old, new, by position)
    unplaced: list[Span] = []
    for span in sorted(spans):
        new = _by_position(span, blocks, starts)
        if new is not None:
            placed.append((span, new, True))
            continue
        new = _by_context(span, old_text, new_text)
        if new is None:
            unplaced.append(span)
        else:
            placed.append((span, new, False))
    # Spans placed by position keep their order; one placed by context may land on another.
    kept: list[tuple[Span, Span, bool]] = []
    for old, new, exact in sorted(placed, key=lambda p: (not p[2], p[1])):
        if any(new.start < k.end and k.start < new.end for _, k, _ in kept):
            unplaced.append(old)
        else:
            kept.append((old, new, exact))
    return sorted(new for _, new, _ in kept), sorted(unplaced)


def _by_position(span: Span, blocks, starts: list[int]) -> Span | None:
    k = bisect_right(starts, span.start) - 1
    if k < 0:
        return None
    block = blocks[k]
    if block.a <= span.start and span.end <= block.a + block.size:
        shift = block.b - block.a
        return Span(span.start + shift, span.end + shift, span.label)
    return None


def _by_context(span: Span, old_text: str, new_text: str) -> Span | None:
    surface = old_text[span.start : span.end]
    left, right = old_text[max(0, span.start - CONTEXT) : span.start], old_text[span.end : span.end + CONTEXT]
    scored = []
    at = new_text.find(surface)
    while at >= 0:
        end = at + len(surface)
        score = _common_suffix(left, new_text[max(0, at - CONTEXT) : at]) + _common_prefix(right, new_text[end : end + CONTEXT])
        scored.append((score, at))
        at = new_text.find(surface, at + 1)
    if not scored:
        return None
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None  # two places fit equally well: a person decides
    at = scored[0][1]
    return Span(at, at + len(surface), span.label)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def carry_gold(documents: Sequence[Document], seeds: Seeds) -> tuple[list[Document], dict[str, dict]]:
    """A gold's documents moved to the seeds' current texts: (documents, per changed document what was carried).

    A document whose text is its seed's stays as it is. Another gets the seed's text and its
    spans re-anchored; spans that could not be placed are listed, and the document is marked
    provisional (`unplaced_spans`) until it is annotated again (`make pull` after a review).
    """
    out, summary = [], {}
    for doc in documents:
        seed = seeds.get(doc.id)
        if seed is None:
            raise NerbenchError(f"document {doc.id} is not a seed (not in {seeds.folder}/manifest.json); nothing to carry it to")
        if doc.text_sha256 == seed.sha256:
            out.append(doc)
            continue
        text = seeds.text(doc.id)
        placed, lost = reanchor(doc.text, text, doc.spans)
        provisional = dict(doc.provisional or {})
        if lost:
            provisional["unplaced_spans"] = provisional.get("unplaced_spans", 0) + len(lost)
        meta = {**doc.meta, "carried_from_sha256": doc.text_sha256}
        out.append(Document(doc.id, text, tuple(placed), meta, provisional or None))
        summary[doc.id] = {"carried": len(placed), "unplaced": [s.to_dict(doc.text) for s in lost]}
    return out, summary
