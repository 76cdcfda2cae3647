"""Progress on long steps: a bar on stderr when it is a terminal, nothing otherwise or when quiet.

    for doc in progress(docs, total=len(docs), what="predicting", quiet=quiet):
        ...

No dependency: a carriage-return line redrawn at most ten times a second.
"""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T], total: int | None = None, what: str = "", quiet: bool = False, stream: TextIO | None = None, unit: str = "documents"
) -> Iterator[T]:
    """Yield `items`, drawing `what: n/total unit` on `stream` (stderr) if it is a terminal and not `quiet`."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not _is_terminal(stream):
        yield from items
        return
    started = last = time.monotonic()
    done = 0
    try:
        for item in items:
            yield item
            done += 1
            now = time.monotonic()
            if now - last >= 0.1:
                _draw(stream, what, done, total, unit, now - started)
                last = now
        _draw(stream, what, done, total, unit, time.monotonic() - started)
    finally:
        stream.write("\n")
        stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _draw(stream: TextIO, what: str, done: int, total: int | None, unit: str, elapsed: float) -> None:
    if total:
        width = 30
        filled = int(width * min(done / total, 1.0))
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {unit}"
    else:
        bar = f"{done:,} {unit}"
    stream.write(f"\r{what}: {bar} ({elapsed:.0f} s)\x1b[K")
    stream.flush()
