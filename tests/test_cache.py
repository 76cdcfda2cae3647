"""The prediction cache store: one SQLite file per model, whole batches or nothing, two runs at once,
and a run that goes on (with a notice) when the cache folder cannot be used."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.evaluate.cache import ModelStore, PredictionCache
from nerbench.evaluate.predict import Inference, fingerprint, get_predictions, locate_model

FINGERPRINT = "ab" * 32

# Writes batches of 500 entries {text_sha256: spans} whose every row names its batch, forever (until killed).
WRITER = """
import sys
from pathlib import Path
from nerbench.evaluate.cache import ModelStore
store = ModelStore(Path(sys.argv[1]), sys.argv[2], lambda m: print(m, file=sys.stderr, flush=True))
name, batches = sys.argv[3], int(sys.argv[4])
batch = 0
while batches < 0 or batch < batches:
    store.put({f"{name}-{batch}-{i}": f'[[0, 1, "{name}-{batch}"]]' for i in range(500)})
    batch += 1
    if batch == 1:
        print("first batch written", flush=True)
"""


def writer(path: Path, name: str, batches: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), FINGERPRINT, name, str(batches)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT text_sha256, spans FROM predictions").fetchall()


def test_a_killed_writer_leaves_whole_batches_only(tmp_path):
    path = tmp_path / "store.sqlite3"
    proc = writer(path, "w", -1)
    assert proc.stdout.readline() == "first batch written\n"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    found = rows(path)  # reading also rolls back a transaction the kill left open
    per_batch: dict[str, int] = {}
    for key, spans in found:
        batch = json.loads(spans)[0][2]
        assert key.startswith(batch + "-")
        per_batch[batch] = per_batch.get(batch, 0) + 1
    assert per_batch and set(per_batch.values()) == {500}
    assert len(found) == 500 * len(per_batch)


def test_two_writers_at_once_both_finish_and_nothing_is_lost(tmp_path):
    path = tmp_path / "store.sqlite3"
    a, b = writer(path, "a", 20), writer(path, "b", 20)
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert [p.returncode for p in (a, b)] == [0, 0]
    assert [err for _, err in outs] == ["", ""]  # no notice: they waited for each other, neither gave up
    assert len(rows(path)) == 2 * 20 * 500


def test_a_store_holding_another_fingerprint_is_not_used(tmp_path):
    cache = PredictionCache(tmp_path)
    other = "ab" * 8 + "cd" * 24  # the same first 16 digits: the same file name
    assert cache.store_path(other, "m") == cache.store_path(FINGERPRINT, "m")
    cache.open(FINGERPRINT, "m", print).close()
    heard: list[str] = []
    assert cache.open(other, "m", heard.append) is None
    assert heard == [
        f"prediction cache {cache.store_path(other, 'm')}: cannot use it (it holds the predictions of another model "
        "(fingerprint abababababababab...)); running without the cache"
    ]


# --- the cache folder cannot be used: the run goes on without it, and says so -----------------------


@pytest.fixture(scope="module")
def ruler(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    nlp.meta["name"] = "cache_store_test"
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Tencent"}])
    folder = tmp_path_factory.mktemp("pipelines") / "ruler"
    nlp.to_disk(folder)
    return folder


def run(root, gold, tmp_path, ruler, cache: Path):
    return CliRunner().invoke(
        app,
        ["evaluate", "-q", "--model", str(ruler), "--gold", str(gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"),
         "--output-dir", str(tmp_path / "out"), "--cache-dir", str(cache), "--bootstrap", "0"],
    )  # fmt: skip


def store_path(cache: Path, ruler: Path) -> Path:
    files = locate_model(str(ruler))
    return PredictionCache(cache).store_path(fingerprint(files), files.label)


def report_model(tmp_path) -> dict:
    return json.loads((tmp_path / "out" / "benchmark.json").read_text(encoding="utf-8"))["models"][0]


@pytest.mark.slow
def test_cache_folder_under_a_file_is_refused_by_the_command_before_the_model_runs(root, small_gold, tmp_path, ruler):
    (tmp_path / "afile").write_text("x")
    cache = tmp_path / "afile" / "cache"
    result = run(root, small_gold, tmp_path, ruler, cache)
    assert (result.exit_code, result.stderr) == (1, f"Error: {cache}: cannot write: {tmp_path / 'afile'} is a file, not a folder\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_cache_folder_under_a_file_the_library_goes_on_without_the_cache(tmp_path, ruler, seeds):
    (tmp_path / "afile").write_text("x")
    cache = tmp_path / "afile" / "cache"
    heard: list[str] = []
    result = get_predictions(str(ruler), seeds.texts(), PredictionCache(cache), Inference(notify=heard.append))
    line = f"prediction cache {store_path(cache, ruler)}: cannot use it (Not a directory); running without the cache"
    assert heard == result.source.notices == [line]
    assert result.source.kind == "model" and result.raw == get_predictions(str(ruler), seeds.texts(), None).raw


@pytest.mark.slow
def test_store_that_is_a_folder_runs_without_the_cache(root, small_gold, tmp_path, ruler):
    cache = tmp_path / "cache"
    store_path(cache, ruler).mkdir(parents=True)
    result = run(root, small_gold, tmp_path, ruler, cache)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"prediction cache {store_path(cache, ruler)}: cannot use it (unable to open database file); running without the cache\n"


@pytest.mark.slow
def test_store_that_is_not_a_database_is_replaced(root, small_gold, tmp_path, ruler):
    cache = tmp_path / "cache"
    path = store_path(cache, ruler)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not SQLite " * 100)
    result = run(root, small_gold, tmp_path, ruler, cache)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"prediction cache {path}: not a SQLite database; replacing it\n"
    again = run(root, small_gold, tmp_path, ruler, cache)
    assert again.stderr == "" and report_model(tmp_path)["predictions_from"] == "cache"


@contextlib.contextmanager
def read_only(*paths: Path):
    """Paths nobody can write, not even root: chmod for a user, the immutable attribute (chattr +i) for root."""
    if os.geteuid() != 0:
        modes = [p.stat().st_mode for p in paths]
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in zip(paths, modes):
                p.chmod(mode)
        return
    if subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True).returncode != 0:
        subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
        pytest.skip("running as root on a file system without chattr +i: nothing here is read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


@pytest.mark.slow
def test_read_only_store_is_read_and_not_written(tmp_path, ruler, seeds):
    cache = tmp_path / "cache"
    texts = seeds.texts()
    get_predictions(str(ruler), dict(list(texts.items())[:2]), PredictionCache(cache))
    path = store_path(cache, ruler)
    with read_only(path, cache):
        heard: list[str] = []
        result = get_predictions(str(ruler), texts, PredictionCache(cache), Inference(notify=heard.append))
    assert (result.source.cached, result.source.predicted) == (2, 3)
    assert result.raw == get_predictions(str(ruler), texts, None).raw
    assert heard == [f"prediction cache {path}: cannot write to it (attempt to write a readonly database); going on without the cache"]
