"""Small file helpers: hashing and atomic writes (a reader never sees a half-written file)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator, TextIO

from .errors import NerbenchError


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 of the text's UTF-8 bytes: for a seed, the same as the file's checksum."""
    return sha256_bytes(text.encode("utf-8"))


def sha256_file(path: str | os.PathLike) -> str:
    return sha256_bytes(Path(path).read_bytes())


def read_text_exact(path: str | os.PathLike) -> str:
    """Read UTF-8 text without newline translation, so offsets match the bytes on disk."""
    return Path(path).read_bytes().decode("utf-8")


def read_input_text(path: str | os.PathLike, what: str, hint: str = "") -> str:
    """Read a user's input file exactly; a missing or undecodable file is one NerbenchError line."""
    try:
        return read_text_exact(path)
    except FileNotFoundError:
        raise NerbenchError(f"{path}: {what} not found{hint}") from None
    except IsADirectoryError:
        raise NerbenchError(f"{path}: is a folder, not the {what}") from None
    except UnicodeDecodeError as e:
        raise NerbenchError(f"{path}: not valid UTF-8: {e}") from None


def parse_json(text: str | bytes, where: str) -> Any:
    """JSON from `text`, or one NerbenchError line naming `where` (a file, file:line or task).

    Refused as well as invalid JSON: nesting too deep for Python's parser, an integer too long
    to convert (over 4,300 digits), and a lone surrogate (`"\\ud800"`), which no UTF-8 file can
    hold and every later write would choke on.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise NerbenchError(f"{where}: not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except UnicodeDecodeError as e:
        raise NerbenchError(f"{where}: not valid UTF-8: {e}") from None
    except RecursionError:
        raise NerbenchError(f"{where}: JSON nested too deeply") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise NerbenchError(f"{where}: not usable JSON: {str(e).splitlines()[0]}") from None
    bad = _lone_surrogate(data)
    if bad is not None:
        raise NerbenchError(f"{where}: JSON string holds a lone surrogate {bad!r} (not a Unicode character)")
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(data: Any) -> str | None:
    """The first string (key or value) with a lone surrogate in parsed JSON, or None; iterative, any depth."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found:
                return found.group()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def read_input_json(path: str | os.PathLike, what: str, hint: str = "") -> Any:
    """`read_input_text`, then `parse_json`; every problem is one NerbenchError line naming the file."""
    return parse_json(read_input_text(path, what, hint), str(path))


def jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of JSON Lines text, split on "\\n" only, blank lines skipped.

    Never `str.splitlines()`: it also splits on U+2028, U+2029, U+0085 and other characters that
    JSON writes raw inside strings (`ensure_ascii=False`), so a valid line would be cut in two.
    """
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip():
            yield lineno, line


def read_jsonl(path: str | os.PathLike, what: str, hint: str = "") -> Iterator[tuple[str, Any]]:
    """(`file:line`, parsed object) for every non-blank line of a JSON Lines input file."""
    for lineno, line in jsonl_lines(read_input_text(path, what, hint)):
        where = f"{path}:{lineno}"
        yield where, parse_json(line, where)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temporary file in the same folder and an atomic rename.

    `mode` (e.g. 0o600 for a secret) is set before any byte is written, so the file is never
    readable by others, not even for a moment.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private; give it the mode a plain open() would (or the old file's)
        if mode is None:
            mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


class FileSet:
    """Files written together and replaced together, e.g. the reports of one run or gold + pull report.

        with FileSet() as files:
            files.write_text(folder / "benchmark.json", text)
            with files.open(folder / "errors.jsonl") as f:   # streamed, text mode, UTF-8
                for line in lines:
                    f.write(line)
        # here every file has been replaced; after an exception inside the block, none was

    Each file goes to a temporary file in its own folder first; nothing replaces an existing file
    until every file of the set is complete and synced.
    """

    def __init__(self) -> None:
        self._pending: dict[Path, tuple[str, int | None]] = {}  # final path -> (temporary path, mode)

    def __enter__(self) -> "FileSet":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    @property
    def paths(self) -> list[Path]:
        return list(self._pending)

    @contextlib.contextmanager
    def open(self, path: str | os.PathLike, mode: int | None = None) -> Iterator[TextIO]:
        """A text stream (UTF-8, "\\n" line ends) to the temporary file that will replace `path`."""
        path = Path(path)
        if path in self._pending:
            raise ValueError(f"{path} is written twice in one set")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self._pending[path] = (tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())

    def write_text(self, path: str | os.PathLike, text: str, mode: int | None = None) -> None:
        with self.open(path, mode) as f:
            f.write(text)

    def commit(self) -> None:
        """Give each file its mode and move it into place."""
        try:
            for path, (tmp, mode) in self._pending.items():
                if mode is None:
                    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
                os.chmod(tmp, mode)
            for path, (tmp, _) in self._pending.items():
                os.replace(tmp, path)
        except BaseException:
            self.discard()
            raise
        self._pending.clear()

    def discard(self) -> None:
        for tmp, _ in self._pending.values():
            Path(tmp).unlink(missing_ok=True)
        self._pending.clear()


def atomic_write_many(files: dict[Path, str]) -> None:
    """Write several text files as one `FileSet`."""
    with FileSet() as fileset:
        for path, text in files.items():
            fileset.write_text(path, text)
