"""The one exception type the command line turns into an `Error: ...` line, and how messages list ids."""

from __future__ import annotations

from typing import Sequence


class NerbenchError(Exception):
    """A user-facing error: the message is one line that names the file, document or task.

    The CLI prints it as `Error: <message>` and exits with status 1, without a traceback.
    """


def shown_ids(ids: Sequence[str], limit: int = 5) -> str:
    """The first `limit` ids and how many more: a message about 200 documents stays one short line."""
    more = len(ids) - limit
    return ", ".join(ids[:limit]) + (f" and {more} more" if more > 0 else "")
