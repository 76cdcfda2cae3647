"""Small file helpers: hashing, strict readers of input files, and atomic writes.

Reading: every problem with a user's input file (missing, a folder, unreadable, not UTF-8, not
JSON) is one NerbenchError line naming the file. Writing: a file is replaced atomically (a reader
never sees half of it), a `FileSet` replaces several files as one set, and every OSError is one
NerbenchError line naming the path and the operating system's reason.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

from .errors import NerbenchError


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 of the text's UTF-8 bytes: for a seed, the same as the file's checksum."""
    return sha256_bytes(text.encode("utf-8"))


def sha256_file(path: str | os.PathLike) -> str:
    return sha256_bytes(Path(path).read_bytes())


# ---- reading ---------------------------------------------------------------------------------


class NotRegularFile(OSError):
    """A path that is a device, a socket or a pipe: reading it could block or never end."""


def read_bytes_exact(path: str | os.PathLike, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file. Raises IsADirectoryError, NotRegularFile, or (not following) ELOOP."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)


def read_text_exact(path: str | os.PathLike) -> str:
    """Read UTF-8 text without newline translation, so offsets match the bytes on disk."""
    return read_bytes_exact(path).decode("utf-8")


def read_input_text(path: str | os.PathLike, what: str, hint: str = "", follow_symlinks: bool = True) -> str:
    """Read a user's input file exactly; a missing, unreadable or undecodable file is one NerbenchError line."""
    try:
        data = read_bytes_exact(path, follow_symlinks)
    except FileNotFoundError:
        raise NerbenchError(f"{path}: {what} not found{hint}") from None
    except IsADirectoryError:
        raise NerbenchError(f"{path}: is a folder, not the {what}") from None
    except NotRegularFile:
        raise NerbenchError(f"{path}: is not a regular file (a device, socket or pipe), not the {what}") from None
    except OSError as e:
        if e.errno == errno.ELOOP and not follow_symlinks:
            raise NerbenchError(f"{path}: is a symbolic link; the {what} must be a plain file") from None
        raise NerbenchError(f"{path}: cannot read the {what}: {reason(e)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NerbenchError(f"{path}: not valid UTF-8: {e}") from None


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def parse_json(text: str | bytes, where: str) -> Any:
    """Strict JSON from `text`, or one NerbenchError line naming `where` (a file, file:line or task).

    Refused as well as invalid JSON: nesting too deep for Python's parser, an integer too long
    to convert (over 4,300 digits), a number out of a float's range (`1e400`), `NaN` and
    `Infinity` (not JSON), a key repeated in one object (Python would keep the last silently),
    and a lone surrogate (`"\\ud800"`), which no UTF-8 file can hold and every later write would
    choke on.
    """
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise NerbenchError(f"{where}: not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except UnicodeDecodeError as e:
        raise NerbenchError(f"{where}: not valid UTF-8: {e}") from None
    except RecursionError:
        raise NerbenchError(f"{where}: JSON nested too deeply") from None
    except _DuplicateKey as e:
        raise NerbenchError(f"{where}: not usable JSON: key {e.args[0]!r} appears twice in one object") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion", NaN, 1e400
        raise NerbenchError(f"{where}: not usable JSON: {str(e).splitlines()[0]}") from None
    bad = _lone_surrogate(data) if _may_hold_surrogate(text) else None
    if bad is not None:
        raise NerbenchError(f"{where}: JSON string holds a lone surrogate {bad!r} (not a Unicode character)")
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how JSON text writes a surrogate code point


def _may_hold_surrogate(text: str | bytes) -> bool:
    """Whether parsed JSON text can hold a lone surrogate: a surrogate in the text, or an escape of one.

    A scan of the text is many times faster than walking the parsed value; bytes are always walked
    (json.loads decodes them with "surrogatepass").
    """
    return isinstance(text, bytes) or bool(_SURROGATE.search(text) or _SURROGATE_ESCAPE.search(text))


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


# ---- writing: errors and checks before the slow work -------------------------------------------


def reason(error: OSError) -> str:
    """The operating system's words for an error ("No space left on device"), without errno or path."""
    return error.strerror or str(error) or type(error).__name__


def _blocker(path: Path) -> Path | None:
    """`path` or the nearest of its ancestors that exists and is not a folder (so nothing can go under it)."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def cannot_write(path: str | os.PathLike, error: OSError) -> NerbenchError:
    """The one-line error for an OSError while writing the file `path`."""
    path = Path(path)
    if error.errno == errno.ENOTDIR:
        above = _blocker(path.parent)
        if above is not None:
            return NerbenchError(f"{path}: cannot write: {above} is a file, not a folder")
    if error.errno == errno.EISDIR or (error.errno == errno.EEXIST and path.is_dir()):
        return NerbenchError(f"{path}: cannot write: it is a folder")
    return NerbenchError(f"{path}: cannot write: {reason(error)}")


def make_folder(folder: str | os.PathLike) -> Path:
    """Create `folder` and its parents if needed; an OSError is one NerbenchError line."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        above = _blocker(folder)
        if above == folder:
            raise NerbenchError(f"{folder}: is a file, not a folder") from None
        if above is not None:
            raise NerbenchError(f"{folder}: cannot make the folder: {above} is a file, not a folder") from None
        raise NerbenchError(f"{folder}: cannot make the folder: {reason(e)}") from None
    return folder


def check_writable(paths: Iterable[str | os.PathLike], folders: Iterable[str | os.PathLike] = ()) -> None:
    """Refuse, before any slow work, files and folders that cannot be written: one NerbenchError line.

    A file path that is a folder; a file or folder under a file, or a folder that is a file; and a
    folder (or the nearest existing one above it, where the missing ones would be made) in which
    no file can be created: read-only, no permission. Nothing is left behind: the probe file is
    removed at once. A full disk shows only when the files are written; they are written so that
    nothing already there is lost.
    """
    targets = [(Path(p), False) for p in paths] + [(Path(f), True) for f in folders]
    for path, is_folder in targets:
        if is_folder and (path.exists() or path.is_symlink()) and not path.is_dir():
            raise NerbenchError(f"{path}: is a file, not a folder")
        if not is_folder and path.is_dir():
            raise NerbenchError(f"{path}: cannot write: it is a folder")
        above = _blocker(path.parent)
        if above is not None:
            raise NerbenchError(f"{path}: cannot write: {above} is a file, not a folder")
        existing = next(p for p in ([path] if is_folder else []) + list(path.parents) if p.exists())
        try:
            fd, probe = tempfile.mkstemp(dir=existing, prefix=".nerbench-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            where = "" if existing == path else f" ({existing})"
            raise NerbenchError(f"{path}: cannot write: {reason(e)}{where}") from None


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temporary file in the same folder and an atomic rename.

    `mode` (e.g. 0o600 for a secret) is set before any byte is written, so the file is never
    readable by others, not even for a moment. An OSError is one NerbenchError line naming `path`;
    the file that was there is then untouched.
    """
    path = Path(path)
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise cannot_write(path, e) from None
    try:
        # mkstemp makes the file private; give it the mode a plain open() would (or the old file's)
        os.chmod(tmp, _mode_for(path, mode))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    atomic_write_bytes(path, _encode(path, text), mode)


def _encode(path: str | os.PathLike, text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise unencodable(path, e) from None


def unencodable(path: str | os.PathLike, error: UnicodeEncodeError) -> NerbenchError:
    bad = error.object[error.start : error.end]
    return NerbenchError(f"{path}: cannot write: the text holds {bad!r}, a lone surrogate (not a Unicode character)")


# ---- writing: sets of files ----------------------------------------------------------------------

SET_PREFIX = ".nerbench-set."  # a set's staging folder: .nerbench-set.<run id>
JOURNAL = "journal.json"  # in the staging folder: the set is complete and is being moved into place


def new_run_id() -> str:
    """A sortable, unique id of one run's set of files: UTC time and 32 random bits."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


class FileSet:
    """Files written together and replaced together, e.g. the reports of one run or gold + pull report.

        with FileSet() as files:
            files.write_text(folder / "benchmark.json", text)
            with files.open(folder / "errors.jsonl") as f:   # streamed, text mode, UTF-8
                for line in lines:
                    f.write(line)
        # here every file has been replaced; after an exception inside the block, none was

    All files of a set are in one folder. They are written into a staging folder inside it
    (`.nerbench-set.<run id>/`) and synced; nothing replaces an existing file before every file of
    the set is complete. Then, holding an exclusive lock on the folder (`flock`), the set writes a
    journal (the list of its files) and renames them into place. A writer killed between two
    renames leaves the journal: the next writer, or any reader that uses `reading(folder)` (such
    as `load_gold`), completes the set before anything else, so the files of two runs are never
    read together. Two runs at once are serialised by the lock; the last to commit wins whole.

    `run_id` names the set; writers can put it into each file, so that a reader can check that
    the files it holds belong together. `remove(path)` deletes a file as part of the set (e.g. a
    report this run no longer writes).
    """

    def __init__(self) -> None:
        self.run_id = new_run_id()
        self._folder: Path | None = None
        self._stage: Path | None = None
        self._stage_lock: int | None = None
        self._modes: dict[str, int | None] = {}  # file name -> mode (None: the old file's, or the default)
        self._removed: list[str] = []
        self._paths: list[Path] = []

    def __enter__(self) -> "FileSet":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    @contextlib.contextmanager
    def open(self, path: str | os.PathLike, mode: int | None = None) -> Iterator[TextIO]:
        """A text stream (UTF-8, "\\n" line ends) to the file that will replace `path` when the set commits."""
        path = Path(path)
        staged = self._add(path)
        try:
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise cannot_write(path, e) from None
        self._modes[path.name] = mode
        self._paths.append(path)
        stream = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        try:
            yield _SetFile(stream, path)  # type: ignore[misc]
            try:
                stream.flush()
                os.fsync(stream.fileno())
            except OSError as e:
                raise cannot_write(path, e) from None
        finally:
            try:
                stream.close()
            except (OSError, UnicodeEncodeError):
                pass  # a write already failed and is being reported; the set is discarded

    def write_text(self, path: str | os.PathLike, text: str, mode: int | None = None) -> None:
        with self.open(path, mode) as f:
            f.write(text)

    def remove(self, path: str | os.PathLike) -> None:
        """Delete `path` (if it exists) when the set commits, in the same step as the set's files."""
        path = Path(path)
        self._add(path)
        self._removed.append(path.name)
        self._paths.append(path)

    def _add(self, path: Path) -> Path:
        folder = path.parent
        if self._folder is None:
            self._start(folder)
        elif os.path.abspath(folder) != os.path.abspath(self._folder):
            raise ValueError(f"a FileSet writes into one folder: {path} is not in {self._folder}")
        if path.name in self._modes or path.name in self._removed:
            raise ValueError(f"{path} is written twice in one set")
        if path.is_dir() and not path.is_symlink():
            raise NerbenchError(f"{path}: cannot write: it is a folder")
        assert self._stage is not None
        return self._stage / path.name

    def _start(self, folder: Path) -> None:
        make_folder(folder)
        try:
            with _locked(folder, fcntl.LOCK_EX):
                _recover(folder)
                stage = folder / f"{SET_PREFIX}{self.run_id}"
                os.mkdir(stage, 0o700)
                self._stage_lock = _lock(stage, fcntl.LOCK_EX)
        except OSError as e:
            raise cannot_write(folder, e) from None
        self._folder, self._stage = folder, stage

    def commit(self) -> None:
        """Move every file of the set into place, as one step for any reader that uses `reading`."""
        if self._stage is None or self._folder is None:
            return
        folder, stage = self._folder, self._stage
        journaled = False
        try:
            for name, mode in self._modes.items():
                os.chmod(stage / name, _mode_for(folder / name, mode))
            _fsync(stage)
            with _locked(folder, fcntl.LOCK_EX):
                _recover(folder)
                for name in [*self._modes, *self._removed]:
                    if (folder / name).is_dir() and not (folder / name).is_symlink():
                        raise NerbenchError(f"{folder / name}: cannot write: it is a folder")
                journal = {"run_id": self.run_id, "write": list(self._modes), "remove": self._removed}
                _write_journal(stage, journal)
                journaled = True
                _apply(folder, stage, journal)
        except OSError as e:
            if not journaled:
                self.discard()
                raise cannot_write(folder / (next(iter(self._modes), "") or stage.name), e) from None
            self._release()
            raise NerbenchError(
                f"{folder}: replacing the files of the set {self.run_id} failed half-way ({reason(e)}); "
                "the next nerbench command that reads or writes this folder completes it"
            ) from None
        except BaseException:
            if not journaled:
                self.discard()
            else:
                self._release()
            raise
        self._release()
        self._clear()

    def discard(self) -> None:
        """Forget the set: remove its staging folder; nothing in the folder was touched."""
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
        self._release()
        self._clear()

    def _release(self) -> None:
        if self._stage_lock is not None:
            os.close(self._stage_lock)
            self._stage_lock = None

    def _clear(self) -> None:
        self._folder = self._stage = None
        self._modes, self._removed = {}, []


class _SetFile:
    """A FileSet's text stream: a failed write is one NerbenchError line naming the final path."""

    def __init__(self, stream: TextIO, path: Path) -> None:
        self._stream, self._path = stream, path

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise cannot_write(self._path, e) from None
        except UnicodeEncodeError as e:
            raise unencodable(self._path, e) from None

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def atomic_write_many(files: dict[Path, str]) -> None:
    """Write several text files of one folder as one `FileSet`."""
    with FileSet() as fileset:
        for path, text in files.items():
            fileset.write_text(path, text)


@contextlib.contextmanager
def reading(folder: str | os.PathLike) -> Iterator[None]:
    """Read files of `folder` as one set: wait while a set is being replaced, complete an interrupted one.

    Holds a shared lock on the folder for the block, so no set is replaced while it reads. A
    folder that does not exist or cannot be opened is read without a lock (nothing can have been
    written there by nerbench, or nothing can be completed).
    """
    try:
        fd = _lock(Path(folder), fcntl.LOCK_SH)
    except OSError:
        yield
        return
    try:
        if _interrupted(Path(folder)):
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                _recover(Path(folder))
            except OSError as e:
                raise NerbenchError(
                    f"{folder}: holds a set of files whose writing was interrupted, and completing it failed: {reason(e)}"
                ) from None
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _lock(folder: Path, kind: int) -> int:
    """An open descriptor of `folder` holding a `flock` of `kind`; closing it releases the lock."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, kind)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def _locked(folder: Path, kind: int) -> Iterator[None]:
    fd = _lock(folder, kind)
    try:
        yield
    finally:
        os.close(fd)


def _stages(folder: Path) -> list[Path]:
    with os.scandir(folder) as entries:
        return sorted(Path(e.path) for e in entries if e.name.startswith(SET_PREFIX) and e.is_dir(follow_symlinks=False))


def _interrupted(folder: Path) -> bool:
    """Whether a set's journal is there; under the folder's shared lock, its writer is gone."""
    return any((stage / JOURNAL).exists() for stage in _stages(folder))


def _recover(folder: Path) -> None:
    """Complete every set whose writer died after its journal; drop the staging folders of dead writers.

    The caller holds the folder's exclusive lock. A staging folder whose own lock is held belongs
    to a writer that is still running, and is left alone.
    """
    for stage in _stages(folder):
        try:
            fd = os.open(stage, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            if (stage / JOURNAL).exists():
                _apply(folder, stage, _read_journal(stage / JOURNAL))
            else:
                shutil.rmtree(stage)
        finally:
            os.close(fd)


def _write_journal(stage: Path, journal: dict[str, Any]) -> None:
    tmp = stage / f".{JOURNAL}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(journal, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, stage / JOURNAL)
    _fsync(stage)


def _read_journal(path: Path) -> dict[str, Any]:
    data = parse_json(read_input_text(path, "journal of a set of files"), str(path))
    lists = [data.get("write"), data.get("remove")] if isinstance(data, dict) else [None]
    names = [n for names in lists if isinstance(names, list) for n in names]
    if not all(isinstance(names, list) for names in lists) or not all(
        isinstance(n, str) and n and n == Path(n).name and n not in (".", "..") for n in names
    ):
        raise NerbenchError(f"{path}: not a journal of nerbench (expected the file names of one set)")
    return data


def _apply(folder: Path, stage: Path, journal: dict[str, Any]) -> None:
    """Carry out a journal: move the staged files into place, delete the removed ones. Idempotent."""
    for name in journal["write"]:
        staged = stage / name
        if staged.exists():
            os.replace(staged, folder / name)
    for name in journal["remove"]:
        (folder / name).unlink(missing_ok=True)
    _fsync(folder)
    (stage / JOURNAL).unlink()
    shutil.rmtree(stage)


def _fsync(folder: Path) -> None:
    """Make a folder's entries (created or renamed files) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
