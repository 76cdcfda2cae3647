"""The prediction cache: one SQLite database per model, one row per text.

    .cache/predictions/<lang>_<name>-<version>-<fingerprint[:16]>.v1.sqlite3
        model(key, value)                 fingerprint, format version, the model info (JSON)
        predictions(text_sha256, spans)   [[start, end, label], ...] as JSON

A store is found by the model's fingerprint (every file of the pipeline, spaCy and thinc versions:
`predict.fingerprint`), and a document by the SHA-256 of its text, so a changed model or text is
never served from here. One file per model rather than one per document: 100,000 documents are
100,000 rows, not 100,000 files.

SQLite gives what the cache needs from a file format: every write is one transaction, so an
interrupted run (Ctrl-C, kill -9, power loss) leaves either the whole batch or none of it, never a
half-written entry; two runs at once take turns (a busy timeout, not an error). What comes back is
still only text: `predict.py` validates every entry like any other input before it is used.

Problems with the cache itself (its folder under a file, read-only, a store that is not a
database, a full disk) never stop a run: it goes on without the cache and says so once through
`notice`. The cache only saves time; without it the numbers are the same.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Callable, Iterable, Mapping

from nerbench.fileio import reason

FORMAT_VERSION = 1
BUSY_TIMEOUT_SECONDS = 60.0  # how long a run waits for another run's write to finish
_QUERY_CHUNK = 500  # keys per SELECT ... IN (...), well under SQLite's limit on parameters

Notice = Callable[[str], None]


class PredictionCache:
    """The cache folder: one `ModelStore` per model fingerprint."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def store_path(self, fingerprint: str, model_label: str) -> Path:
        readable = re.sub(r"[^A-Za-z0-9_.+-]", "_", model_label)[:80]
        return self.folder / f"{readable}-{fingerprint[:16]}.v{FORMAT_VERSION}.sqlite3"

    def open(self, fingerprint: str, model_label: str, notice: Notice) -> "ModelStore | None":
        """The store of this model, created if missing; None (after a notice) if it cannot be used."""
        path = self.store_path(fingerprint, model_label)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return ModelStore(path, fingerprint, notice)
        except sqlite3.DatabaseError as e:
            if "not a database" not in str(e):
                notice(f"prediction cache {path}: cannot use it ({e}); running without the cache")
                return None
        except (OSError, sqlite3.Error) as e:
            notice(f"prediction cache {path}: cannot use it ({_reason(e)}); running without the cache")
            return None
        # a file of that name that is not a SQLite database (damaged, or written by something else)
        notice(f"prediction cache {path}: not a SQLite database; replacing it")
        try:
            path.unlink()
            return ModelStore(path, fingerprint, notice)
        except (OSError, sqlite3.Error) as e:
            notice(f"prediction cache {path}: cannot replace it ({_reason(e)}); running without the cache")
            return None


class ModelStore:
    """One model's cached predictions. Every method survives a broken store: it notices once, then stops using it."""

    def __init__(self, path: Path, fingerprint: str, notice: Notice) -> None:
        self.path = path
        self.notice = notice
        self.usable = True
        # isolation_level=None: transactions are opened explicitly (BEGIN IMMEDIATE takes the write lock up front)
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            existing = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"model", "predictions"} <= existing:
                self._transaction(
                    "CREATE TABLE IF NOT EXISTS model (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
                    "CREATE TABLE IF NOT EXISTS predictions (text_sha256 TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID",
                )
            stored = self._model_value("fingerprint")
            if stored is None:
                self._write_model({"fingerprint": fingerprint, "format_version": str(FORMAT_VERSION)})
            elif stored != fingerprint.encode():
                # a collision of 64 bits of the fingerprint, or a file copied or renamed by hand: not this model's
                shown = stored.decode("utf-8", "replace")[:16] if isinstance(stored, bytes) else "?"
                raise sqlite3.OperationalError(f"it holds the predictions of another model (fingerprint {shown}...)")
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def model_info(self) -> bytes | None:
        """The model info (JSON, UTF-8) written with the predictions, or None; the caller validates it."""
        if not self.usable:
            return None
        try:
            return self._model_value("info")
        except sqlite3.Error as e:
            self._give_up("cannot read it", e)
            return None

    def set_model_info(self, info: dict) -> None:
        if self.usable:
            try:
                self._write_model({"info": json.dumps(info, sort_keys=True)})
            except sqlite3.Error as e:
                self._give_up("cannot write to it", e)

    def get(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored value (normally JSON in UTF-8; the caller validates it) of every key that has one."""
        found: dict[str, bytes] = {}
        if not self.usable:
            return found
        unique = list(dict.fromkeys(keys))
        try:
            for i in range(0, len(unique), _QUERY_CHUNK):
                chunk = unique[i : i + _QUERY_CHUNK]
                marks = ",".join("?" * len(chunk))
                # as bytes: an entry that is not UTF-8 is one invalid entry for the caller, not an error for the whole query
                query = f"SELECT text_sha256, CAST(spans AS BLOB) FROM predictions WHERE text_sha256 IN ({marks})"
                found.update(self._db.execute(query, chunk))
        except sqlite3.Error as e:
            self._give_up("cannot read it", e)
            return {}
        return found

    def put(self, entries: Mapping[str, str]) -> None:
        """Store `{text_sha256: spans JSON}` in one transaction: all of them or, on interrupt, none."""
        if self.usable and entries:
            try:
                self._transaction(("INSERT OR REPLACE INTO predictions (text_sha256, spans) VALUES (?, ?)", list(entries.items())))
            except sqlite3.Error as e:
                self._give_up("cannot write to it", e)

    def _model_value(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT CAST(value AS BLOB) FROM model WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _write_model(self, values: dict[str, str]) -> None:
        self._transaction(("INSERT OR REPLACE INTO model (key, value) VALUES (?, ?)", list(values.items())))

    def _transaction(self, *statements: str | tuple[str, list]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                if isinstance(statement, tuple):
                    self._db.executemany(*statement)
                else:
                    self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _give_up(self, what: str, error: Exception) -> None:
        self.usable = False
        self.notice(f"prediction cache {self.path}: {what} ({_reason(error)}); going on without the cache")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        return reason(error)
    return str(error).strip().split("\n")[0] or type(error).__name__
