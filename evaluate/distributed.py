"""Inference on a Dask distributed cluster: `--scheduler local --workers N` or `--scheduler tcp://HOST:PORT`.

The documents to predict are cut into shards; each shard is one task. A worker process loads the
model on its first task and keeps it (one model per process, guarded by a lock), checks that the
files it loaded have the fingerprint this machine computed (same pipeline files, spaCy and thinc
versions: a worker with another copy is refused, never mixed in), runs `nlp.pipe` on the shard
and sends back the raw `(start, end, label)` spans of each document. Shards are submitted a few
at a time, so neither the scheduler nor this process holds every text twice; results come back in
any order and are put back by document id, so the predictions are those of a single process.

A cluster started elsewhere needs nerbench and spaCy importable on every worker, and the model
either installed as the same package or readable at the same absolute path (a shared file
system): a pipeline given by path is sent to the workers as its absolute path.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import warnings
from typing import Any, Iterator, Mapping

from nerbench.errors import NerbenchError

from .predict import first_line, load_model, pipe_spans

SHARD_DOCS = 128  # at most this many documents per task...
SHARD_CHARS = 1_000_000  # ...and about this many characters, so one task is never a huge message
SHARDS_PER_THREAD = 4  # a shard is at most 1/(this x worker threads) of the documents left
TASKS_PER_THREAD = 2  # tasks in flight per worker thread: enough to keep workers busy, few enough to bound memory
WORKERS_TIMEOUT = 120.0  # seconds to wait for a scheduler without workers to get one
# A LocalCluster started here runs spaCy and nothing else, so three of Dask's defaults go, in its
# scheduler, nannies and workers: the workers' sampling profiler (a thread that walks the task's
# stack every 10 ms), the event loops' 20 ms "tick" (a timer that only watches for a blocked loop,
# which wakes every process 50 times a second and takes the GIL from the task), and
# MALLOC_TRIM_THRESHOLD_=65536 (memory handed back to the system at every free, which spaCy's many
# small allocations pay for). With them a worker spends more CPU time per document (`make bench`,
# part inference, measures how much). A cluster started elsewhere keeps its own configuration;
# README.md shows the same settings for it.
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s"}
LOCAL_WORKER_UNSET = ("MALLOC_TRIM_THRESHOLD_",)  # environment variables the LocalCluster's workers start without


class DaskSession:
    """A client of a LocalCluster started here (closed with the session) or of a scheduler elsewhere (left running)."""

    def __init__(self, scheduler: str, workers: int, dask_defaults: bool = False) -> None:
        """`dask_defaults`: a LocalCluster keeps the worker settings LOCAL_WORKER_CONFIG drops (for `make bench`, which measures them)."""
        self.scheduler = scheduler
        self._cluster = None
        self.client = self._connect(scheduler, workers, dask_defaults)

    def _connect(self, scheduler: str, workers: int, dask_defaults: bool = False):
        import dask
        from distributed import Client, LocalCluster

        if scheduler == "local":
            settings = {} if dask_defaults else LOCAL_WORKER_CONFIG | {"distributed.nanny.pre-spawn-environ": _worker_environ()}
            try:
                # one thread per worker process: spaCy inference is CPU-bound and holds the GIL; a failed task
                # is reported here in one line, not also logged by the worker. No dashboard; the scheduler's
                # small HTTP server takes another port when 8787 is busy, which is nothing to warn about.
                with warnings.catch_warnings(), dask.config.set(settings), _environ_without(() if dask_defaults else LOCAL_WORKER_UNSET):
                    warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                    self._cluster = LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.CRITICAL
                    )
                    return Client(self._cluster)
            except Exception as e:
                self.close()
                raise NerbenchError(f"--scheduler local: cannot start a Dask LocalCluster of {workers} workers ({first_line(e)})") from None
        try:
            client = Client(scheduler)  # timeout: dask's distributed.comm.timeouts.connect (30 s unless configured)
        except (OSError, ValueError, TypeError) as e:
            raise NerbenchError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({first_line(e)})") from None
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (TimeoutError, OSError) as e:
            client.close()
            raise NerbenchError(
                f"--scheduler {scheduler}: the scheduler has no workers (none joined within {WORKERS_TIMEOUT:.0f} s: {first_line(e)})"
            ) from None
        return client

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), self._cluster
        self.client = self._cluster = None
        for part in (client, cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing after a lost connection: nothing left to release
                    pass

    def predict(self, files, key: str, texts: Mapping[str, str], batch_size: int | None = None) -> Iterator[tuple[dict, str, list]]:
        """(model info, document id, raw spans) of every text, as the shards come back."""
        from distributed import as_completed

        threads = max(1, sum(self.client.nthreads().values()))
        shards = iter(make_shards(list(texts), texts, threads))
        in_flight: dict[Any, list[str]] = {}
        done = as_completed()

        def submit() -> None:
            ids = next(shards, None)
            if ids is not None:
                future = self.client.submit(predict_shard, files.load_spec, key, [texts[i] for i in ids], batch_size, pure=False)
                in_flight[future] = ids
                done.add(future)

        try:
            for _ in range(threads * TASKS_PER_THREAD):
                submit()
            for future in done:
                ids = in_flight.pop(future)
                info, results = self._result(future)
                if not isinstance(results, list) or len(results) != len(ids):
                    raise NerbenchError(f"Dask scheduler {self.scheduler}: a worker sent back {len(results)} results for {len(ids)} documents")
                submit()
                for doc_id, ents in zip(ids, results):
                    yield info, doc_id, ents
        finally:
            if in_flight and self.client is not None:
                try:
                    self.client.cancel(list(in_flight))
                except Exception:  # the connection is gone: so are its tasks
                    pass

    def _result(self, future) -> tuple[dict, list]:
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except NerbenchError:
            raise
        except KilledWorker as e:
            raise NerbenchError(f"Dask scheduler {self.scheduler}: workers died while predicting ({first_line(e)})") from None
        except (OSError, TimeoutError, FutureCancelledError) as e:
            raise NerbenchError(f"Dask scheduler {self.scheduler}: lost while predicting ({type(e).__name__}: {first_line(e)})") from None
        except Exception as e:  # raised inside a worker; its traceback is in the worker's log
            raise NerbenchError(f"Dask scheduler {self.scheduler}: predicting failed on a worker ({type(e).__name__}: {first_line(e)})") from None


@contextlib.contextmanager
def _environ_without(names: tuple[str, ...]) -> Iterator[None]:
    """This process's environment without `names` while workers are spawned (they inherit it), then as it was.

    Dask's nannies copy their pre-spawn settings into this process's environment, so an earlier
    cluster with Dask's defaults (in the same process) would hand MALLOC_TRIM_THRESHOLD_ to ours.
    """
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        for name in names:
            os.environ.pop(name, None)
        os.environ.update(saved)


def _worker_environ() -> dict[str, Any]:
    """Dask's environment for new worker processes, without LOCAL_WORKER_UNSET."""
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    for name in LOCAL_WORKER_UNSET:
        environ.pop(name, None)
    return environ


def make_shards(ids: list[str], texts: Mapping[str, str], threads: int) -> Iterator[list[str]]:
    """Runs of document ids, each at most 1/(4 x threads) of the documents not yet in a shard, and capped in documents and characters.

    Shards shrink towards the end (OpenMP's "guided" schedule): the last tasks are short, so no
    worker sits idle for long while another finishes a big one.
    """
    remaining = len(ids)
    shard: list[str] = []
    chars = 0
    size = _guided(remaining, threads)
    for doc_id in ids:
        if shard and (len(shard) >= size or chars + len(texts[doc_id]) > SHARD_CHARS):
            yield shard
            remaining -= len(shard)
            shard, chars, size = [], 0, _guided(remaining, threads)
        shard.append(doc_id)
        chars += len(texts[doc_id])
    if shard:
        yield shard


def _guided(remaining: int, threads: int) -> int:
    return max(1, min(SHARD_DOCS, math.ceil(remaining / (threads * SHARDS_PER_THREAD))))


# --- on the workers ------------------------------------------------------------------------------

_lock = threading.Lock()
_loaded: tuple[str, str, Any, dict] | None = None  # (spec, fingerprint, nlp, model info) of this worker process
loads = 0  # models this process has loaded: once per model and process (tests read it on the workers)


def predict_shard(spec: str, key: str, texts: list[str], batch_size: int | None) -> tuple[dict, list[list[tuple[int, int, str]]]]:
    """Runs on a worker: the model info and each text's raw spans, with the model loaded once per process."""
    with _lock:  # one pipeline per process, used by one task at a time (workers may run several threads)
        try:
            nlp, info = _model(spec, key)
        except NerbenchError as e:
            raise NerbenchError(f"Dask worker {_address()}: {e}") from None
        return info, list(pipe_spans(nlp, texts, 1, batch_size))


def _model(spec: str, key: str):
    global _loaded, loads
    if _loaded is not None and _loaded[:2] == (spec, key):
        return _loaded[2], _loaded[3]
    _loaded = None  # free the previous model before loading the next
    loads += 1
    nlp, info = load_model(spec, key, on_worker=True)
    _loaded = (spec, key, nlp, info.to_dict())
    return nlp, _loaded[3]


def _address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:  # not inside a worker (called directly, e.g. by a test)
        return "(no worker)"

