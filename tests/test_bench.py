"""The benchmark's code on tiny inputs: structure, the three scorers' agreement, the report. Nothing here is timed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bench.labelstudio import RequestLog, server_log_requests
from bench.run import app
from bench.scale import read_predictions, score_in_shards, write_predictions
from bench.scorers import bench_scoring
from bench.synthetic import LABELS, synthetic_corpus, toolkit_input
from bench.uncertainty import bench_uncertainty
from nerbench.scoring import score_corpus
from nerbench.spans import Span

runner = CliRunner()


def test_synthetic_corpus_is_seeded_and_every_span_overlaps_at_most_one_on_the_other_side():
    docs = synthetic_corpus(40, seed=5)
    assert docs == synthetic_corpus(40, seed=5) and docs != synthetic_corpus(40, seed=6)
    fates = set()
    for doc in docs:
        text = doc.text
        gold, pred = doc.char_spans("gold"), doc.char_spans("pred")
        for spans in (gold, pred):
            assert spans == sorted(spans) and all(a.end < b.start for a, b in zip(spans, spans[1:]))
            assert all(s.label in LABELS and text[s.start : s.end].strip() == text[s.start : s.end] for s in spans)
        for a, b in ((gold, pred), (pred, gold)):
            for s in a:
                overlapping = [t for t in b if t.start < s.end and s.start < t.end]
                assert len(overlapping) <= 1
                fates.add("kept" if overlapping and overlapping[0] == s else len(overlapping))
    assert fates == {"kept", 0, 1}  # kept, dropped or spurious, and changed


def test_scoring_bench_on_a_tiny_corpus_has_every_figure_and_the_three_scorers_agree():
    result = bench_scoring(n_docs=30, seed=1, repeat=2, memory_docs=(15, 30))
    agreement = result["agreement"]
    assert agreement["strict_equal"] and agreement["differences"] == []
    assert agreement["semeval_counts_equal_nervaluate"]
    assert set(result["seconds"]) == {"nerbench", "spacy", "nervaluate"}
    assert all(len(t["runs"]) == 2 and t["best"] <= t["median"] <= t["worst"] for t in result["seconds"].values())
    assert [m["documents"] for m in result["memory"]] == [15, 30]
    assert all(m["peak_bytes"][tool] > 0 for m in result["memory"] for tool in ("nerbench", "spacy", "nervaluate"))
    assert result["corpus"]["gold_entities"] == agreement["semeval"]["strict"]["nerbench"]["correct"] + sum(
        agreement["semeval"]["strict"]["nerbench"][k] for k in ("incorrect", "partial", "missed")
    )


def test_uncertainty_bench_structure():
    result = bench_uncertainty(n_docs=20, seed=0, resamples=50, shuffles=50, repeat=1)
    assert set(result["seconds"]) == {"unit_matrix", "bootstrap", "resample_weights", "paired_test"}
    assert result["units"] == 20
    low, high = result["strict_micro_f1_interval"]
    assert 0 <= low <= high <= 1
    assert 0 < result["paired_test"]["p_value"] <= 1


def test_prediction_cache_round_trip_and_shards_add_up_to_the_whole(tmp_path):
    gold, pred = toolkit_input(synthetic_corpus(23, seed=2))
    cache = tmp_path / "predictions.jsonl"
    write_predictions(cache, pred, "model-1.0")
    assert read_predictions(cache) == pred
    assert score_in_shards(gold, pred, shards=4) == score_corpus(gold, pred)[0]


def test_request_log_counts_by_endpoint_and_server_log_lines_are_counted_once(tmp_path):
    import httpx

    log = RequestLog()
    for method, url in [("GET", "http://h/api/projects/"), ("POST", "http://h/api/projects/12/import"), ("GET", "http://h/api/projects/")]:
        log(httpx.Request(method, url))
    assert log.take() == {"total": 3, "by_endpoint": {"GET /api/projects/": 2, "POST /api/projects/{id}/import": 1}}
    assert log.take()["total"] == 0
    line = '[2026-01-01 10:00:00,001] [django.server::log_message::213] [INFO] "POST /api/projects/3/import HTTP/1.1" 201 52'
    other = '[2026-01-01 10:00:00,002] [django.server::log_message::213] [INFO] "GET /api/users/ HTTP/1.1" 200 9'
    path = tmp_path / "server.log"
    path.write_text("starting\n" + "\n".join([line, line, other, other, "[INFO] something else"]) + "\n")
    assert server_log_requests(path, 0) == ({"GET /api/users/ 200": 1, "POST /api/projects/{id}/import 201": 1}, path.stat().st_size)
    assert server_log_requests(path, path.stat().st_size)[0] == {}


def test_bench_commands_write_parts_and_the_report_renders_them(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    parts = tmp_path / "parts"
    result = runner.invoke(app, ["scoring", "--docs", "20", "--repeat", "1", "--parts", str(parts)])
    assert result.exit_code == 0, result.output
    part = json.loads((parts / "scoring.json").read_text())
    assert part["command"].endswith(f"-m bench.run scoring --docs 20 --seed 0 --repeat 1 --parts {parts}")
    assert part["machine"]["nproc"] >= 1 and part["machine"]["versions"]["nervaluate"] == "1.2.1"
    out, md = tmp_path / "bench.json", tmp_path / "BENCHMARKS.md"
    result = runner.invoke(app, ["report", "--parts", str(parts), "--output", str(out), "--markdown", str(md)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["parts"]["scoring"] == part
    text = md.read_text()
    assert "## All figures" in text and "## 1. Scoring" in text and "## 3. End to end" not in text
    assert f"`{part['command']}`" in text
    assert "| scoring | strict P, R, F1 equal in all three tools" in text


def test_report_without_parts_is_one_error_line(tmp_path):
    result = runner.invoke(app, ["report", "--parts", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: no benchmark parts in {tmp_path / 'none'}; run `make bench`\n"


@pytest.mark.parametrize("label", ["ORG", "LAW"])
def test_spans_of_the_synthetic_corpus_are_toolkit_spans(label):
    gold, _ = toolkit_input(synthetic_corpus(200, seed=0))
    assert any(isinstance(s, Span) and s.label == label for spans in gold.values() for s in spans)
