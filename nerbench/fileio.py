"""Small file helpers: hashing and atomic writes (a reader never sees a half-written file)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

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


def read_input_json(path: str | os.PathLike, what: str, hint: str = "") -> Any:
    """`read_input_text`, then JSON; invalid JSON is one NerbenchError line naming the file."""
    try:
        return json.loads(read_input_text(path, what, hint))
    except json.JSONDecodeError as e:
        raise NerbenchError(f"{path}: not valid JSON: {e}") from None


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


def atomic_write_many(files: dict[Path, str]) -> None:
    """Write several text files, each atomically, only after all their contents exist."""
    for path, text in files.items():
        atomic_write_text(path, text)
