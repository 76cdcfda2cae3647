"""Progress bars: drawn on a terminal only, never when quiet or redirected."""

from __future__ import annotations

import io

from nerbench.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_and_yields_every_item():
    stream = Terminal()
    assert list(progress(range(5), total=5, what="predicting", stream=stream)) == [0, 1, 2, 3, 4]
    assert "predicting: [" in stream.getvalue() and "5/5 documents" in stream.getvalue()


def test_progress_is_silent_when_redirected_or_quiet():
    redirected, quiet = io.StringIO(), Terminal()
    assert list(progress(range(3), total=3, stream=redirected)) == [0, 1, 2]
    assert list(progress(range(3), total=3, stream=quiet, quiet=True)) == [0, 1, 2]
    assert redirected.getvalue() == "" and quiet.getvalue() == ""
