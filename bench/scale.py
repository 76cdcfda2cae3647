"""Evaluation at scale, two parts.

`scale`: `nerbench evaluate` on a large synthetic corpus with a predictions file (no model runs),
against a process that only reads and parses the same inputs (label scheme, seeds, gold,
predictions) as `evaluate` does. Each step is a fresh process, so its peak RSS (from `wait4`) is
its own; the reports' sizes are read from disk.

`inference`: the real pipeline over the committed gold's texts repeated, predicted by
`get_predictions` (what `evaluate` runs for a model, without the cache) in one process, with
`nlp.pipe(n_process=2)` and on a Dask LocalCluster of 2 workers. Model loading and cluster start-up
are inside the times: that is what a user waits for. A fourth setting, 2 independent processes
each predicting half the texts, measures what the machine itself gives two processes.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nerbench.fileio import atomic_write_text, sha256_text

from .measure import cpu_times, figure, load_average, mb, n, ratio, s, seconds, spread, stolen_share, yes

LABELS = Path(__file__).resolve().parents[1] / "gold" / "labels.json"
# issue 14's targets
TARGET_READ_RATIO = 2.0  # evaluate within 2x the time of reading its inputs
TARGET_PEAK_RSS = 1_000_000_000  # bytes
TARGET_JSON_SIZE = 10_000_000  # bytes of benchmark.json
TARGET_DASK_SPEEDUP = 1.6
# A 2-core machine can give a second worker only what other work leaves free: above this 1-minute
# load average before the timed runs, the speed-up is recorded but not judged.
QUIET_LOAD = 0.5
# ... nor when the host (this is a virtual machine) took more than this share of the CPU time during them.
QUIET_STEAL = 0.1


# ---- scale: evaluate against reading its inputs ----------------------------------------------------


def make_corpus(folder: Path, docs: int, seed: int = 0) -> dict[str, int]:
    """Write folder/seeds/ (texts and manifest), gold.jsonl and predictions.jsonl of a synthetic corpus (replacing an earlier one)."""
    from nerbench.seeds import build_manifest

    from .synthetic import synthetic_corpus

    corpus = synthetic_corpus(docs, seed)
    seeds = folder / "seeds"
    for old in (seeds, folder / "reports"):  # an earlier, larger corpus would leave its texts and reports behind
        shutil.rmtree(old, ignore_errors=True)
    seeds.mkdir(parents=True)
    gold_lines, pred_lines = [], []
    for doc in corpus:
        text = doc.text
        (seeds / f"{doc.id}.txt").write_text(text, encoding="utf-8")
        digest = sha256_text(text)
        gold = [sp.to_dict(text) for sp in doc.char_spans("gold")]
        pred = [sp.to_dict(text) for sp in doc.char_spans("pred")]
        gold_lines.append(json.dumps({"id": doc.id, "text": text, "text_sha256": digest, "spans": gold}, ensure_ascii=False))
        pred_lines.append(json.dumps({"id": doc.id, "text_sha256": digest, "model": {"name": "synthetic", "version": "1"}, "spans": pred}))
    build_manifest(seeds)
    atomic_write_text(folder / "gold.jsonl", "\n".join(gold_lines) + "\n")
    atomic_write_text(folder / "predictions.jsonl", "\n".join(pred_lines) + "\n")
    return {
        "documents": docs,
        "seed": seed,
        "gold_spans": sum(len(d.gold) for d in corpus),
        "predicted_spans": sum(len(d.pred) for d in corpus),
        "words": sum(len(d.words) for d in corpus),
        "input_bytes": sum(p.stat().st_size for p in (folder / "gold.jsonl", folder / "predictions.jsonl", *seeds.iterdir())),
    }


# The modules `evaluate --predictions` imports: at the top of nerbench's modules, and inside the
# functions that need them (scikit-learn's metrics alone take about 1.6 s here). tests/test_bench.py
# checks that `evaluate` imports nothing of scikit-learn, SciPy or pandas beyond these.
EVALUATE_IMPORTS = (
    "spacy", "nerbench.cli", "nerbench.evaluate.report", "sklearn.metrics", "scipy.sparse", "spacy.lang.en",
    "spacy.pipeline.sentencizer", "spacy.tokens",
)  # fmt: skip


def import_evaluate_modules() -> None:
    for name in EVALUATE_IMPORTS:
        importlib.import_module(name)


def read_inputs(folder: Path) -> dict[str, Any]:
    """Read and check what `evaluate --predictions` reads, as it does: scheme, seeds, gold, the predictions file.

    The modules `evaluate` imports (EVALUATE_IMPORTS) are imported first, outside the time: they
    are the process's start-up, not the inputs' cost. Returns the seconds the reading took.
    """
    import_evaluate_modules()
    from nerbench.formats.predictions import load_predictions
    from nerbench.gold import load_gold
    from nerbench.labels import IDENTITY_MAP, load_scheme
    from nerbench.seeds import load_seeds

    started = time.perf_counter()
    scheme = load_scheme(LABELS)
    gold = load_gold(folder / "gold.jsonl", load_seeds(folder / "seeds"), scheme)
    system = load_predictions(folder / "predictions.jsonl", {doc.id: doc.text for doc in gold.documents}, scheme, IDENTITY_MAP)
    predicted = sum(len(spans) for spans in system.spans.values()) + sum(system.unmapped.values())
    return {"seconds": time.perf_counter() - started, "documents": len(gold.documents), "gold_spans": gold.n_spans, "predicted_spans": predicted}


# Linux keeps a process's peak RSS across execve, so a command started straight from this (large)
# process would report this process's peak as its own. A small launcher forks the command instead:
# a forked child starts its count afresh, and the launcher reads it with wait4 and writes it down.
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"peak_rss_kb": usage.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_process(argv: list[str], cwd: Path) -> dict[str, Any]:
    """Run a command to its end: wall seconds, its own peak RSS in bytes, its standard output.

    The peak includes at most the launcher's own few megabytes (see _LAUNCHER). A failing
    command is an error of the benchmark, with the command's last line of stderr.
    """
    with tempfile.TemporaryDirectory() as tmp:
        usage = Path(tmp) / "usage.json"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _LAUNCHER, str(usage), *argv], cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"{' '.join(argv)} exited with {done.returncode}: {last}")
        peak = json.loads(usage.read_text())["peak_rss_kb"] * 1024  # kilobytes on Linux
    return {"seconds": wall, "peak_rss_bytes": peak, "stdout": done.stdout}


def nerbench_command(python: str) -> list[str]:
    """The `nerbench` script beside the interpreter (what a user types), else `python -m nerbench.cli`."""
    script = Path(python).parent / "nerbench"
    return [str(script)] if script.exists() else [python, "-m", "nerbench.cli"]


def bench_scale(folder: Path, docs: int = 20000, seed: int = 0, repeat: int = 3, python: str = sys.executable, root: Path = Path(".")) -> dict[str, Any]:
    """Make the corpus in `folder`, then time reading its inputs and `nerbench evaluate` on it, in turns, fresh processes."""
    t0 = time.perf_counter()
    corpus = make_corpus(folder, docs, seed)
    made = time.perf_counter() - t0
    reports = folder / "reports"
    argv = {
        "read": [python, "-m", "bench.run", "scale-read", "--folder", str(folder)],
        "evaluate": [
            *nerbench_command(python), "evaluate", "--predictions", str(folder / "predictions.jsonl"), "--gold", str(folder / "gold.jsonl"),
            "--seeds", str(folder / "seeds"), "--labels", os.path.relpath(LABELS, root),
            "--output-dir", str(reports), "--no-cache",
        ],
    }  # fmt: skip
    load_before = load_average()
    runs: dict[str, list[dict[str, Any]]] = {"read": [], "evaluate": []}
    loads = []
    for _ in range(repeat):  # in turns, so that a change in the machine's load hits both alike
        for name, args in argv.items():
            loads.append(load_average())
            runs[name].append(run_process(args, root))
    read_inside = [json.loads(r["stdout"].strip().splitlines()[-1])["seconds"] for r in runs["read"]]
    startup = [r["seconds"] - inside for r, inside in zip(runs["read"], read_inside)]
    evaluate_wall = [r["seconds"] for r in runs["evaluate"]]
    # evaluate's own work: its process less the start-up (interpreter, imports) that the read process measured
    evaluate_work = [w - min(startup) for w in evaluate_wall]
    sizes = {p.name: p.stat().st_size for p in sorted(reports.iterdir()) if p.is_file()}
    peak = max(r["peak_rss_bytes"] for r in runs["evaluate"])
    work_ratio = min(evaluate_work) / min(read_inside)
    return {
        "corpus": {**corpus, "made_seconds": made},
        "commands": {name: " ".join(args) for name, args in argv.items()},
        "repeat": repeat,
        "seconds": {
            "read_inputs": seconds(read_inside),
            "read_process": seconds([r["seconds"] for r in runs["read"]]),
            "startup": seconds(startup),
            "evaluate_process": seconds(evaluate_wall),
            "evaluate_work": seconds(evaluate_work),
        },
        "peak_rss_bytes": {"read": max(r["peak_rss_bytes"] for r in runs["read"]), "evaluate": peak},
        "report_bytes": sizes,
        "ratio": {"work": work_ratio, "process": min(evaluate_wall) / min(r["seconds"] for r in runs["read"])},
        "targets": {
            "ratio": TARGET_READ_RATIO,
            "peak_rss_bytes": TARGET_PEAK_RSS,
            "benchmark_json_bytes": TARGET_JSON_SIZE,
        },
        "load_average": {"before": load_before, "during": loads, "after": load_average()},
    }


def scale_figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    c, t, t_ = r["corpus"], r["seconds"], r["targets"]
    size = f"{n(c['documents'])} documents, {n(c['gold_spans'])} gold and {n(c['predicted_spans'])} predicted spans"
    json_bytes = r["report_bytes"].get("benchmark.json", 0)
    return [
        figure(f"read and parse the inputs (scheme, seeds, gold, predictions file), {size}; best / median / worst", spread(t["read_inputs"])),
        figure(
            "nerbench evaluate --predictions ... --no-cache, whole process; best / median / worst",
            spread(t["evaluate_process"]),
        ),
        figure("process start-up and imports (read process less its reading)", s(t["startup"]["best"])),
        figure(
            "evaluate's work (process less start-up) / reading the inputs (best runs)",
            f"{r['ratio']['work']:.2f} ({s(t['evaluate_work']['best'])} / {s(t['read_inputs']['best'])}); whole processes {r['ratio']['process']:.2f}",
            f"≤ {t_['ratio']:g}",
            r["ratio"]["work"] <= t_["ratio"],
        ),
        figure("peak RSS of nerbench evaluate", mb(r["peak_rss_bytes"]["evaluate"]), f"< {t_['peak_rss_bytes'] / 1e9:g} GB", r["peak_rss_bytes"]["evaluate"] < t_["peak_rss_bytes"]),
        figure("peak RSS of reading the inputs alone", mb(r["peak_rss_bytes"]["read"])),
        figure("benchmark.json", mb(json_bytes), f"< {t_['benchmark_json_bytes'] / 1e6:g} MB", json_bytes < t_["benchmark_json_bytes"]),
        figure(
            "the other reports: " + ", ".join(name for name in r["report_bytes"] if name != "benchmark.json"),
            ", ".join(mb(v) for name, v in r["report_bytes"].items() if name != "benchmark.json"),
        ),
    ]


# ---- inference: one process, n_process=2, Dask ------------------------------------------------------


def repeated_texts(root: Path, copies: int) -> dict[str, str]:
    """The committed gold's texts, `copies` times each (ids doc#k)."""
    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme
    from nerbench.seeds import load_seeds

    gold = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), load_scheme(root / "gold" / "labels.json"))
    return {f"{doc.id}#{k}": doc.text for k in range(copies) for doc in gold.documents}


def bench_inference(
    model: str, root: Path, copies: int = 100, repeat: int = 2, workers: int = 2, batch_size: int = 4, settle: float = 0.0
) -> dict[str, Any]:
    """Predict the repeated texts with each setting in turns, `repeat` rounds, without the prediction cache.

    `settle`: seconds to wait at most, before timing, for the 1-minute load average to fall under
    QUIET_LOAD (the benchmark's own previous parts raise it too).
    """
    from nerbench.evaluate.predict import Inference, get_predictions

    texts = repeated_texts(root, copies)
    settings = {
        "1 process": lambda: Inference(batch_size=batch_size, quiet=True),
        f"n_process={workers}": lambda: Inference(n_process=workers, batch_size=batch_size, quiet=True),
        f"Dask LocalCluster, {workers} workers": lambda: Inference(scheduler="local", workers=workers, batch_size=batch_size, quiet=True),
    }
    ceiling = f"{workers} independent processes, 1/{workers} of the documents each"
    get_predictions(model, dict(list(texts.items())[:5]), None, Inference(quiet=True))  # warm-up: imports, file cache
    waited = _settle(settle)
    load_before, cpu = load_average(), cpu_times()
    runs: dict[str, list[float]] = {name: [] for name in [*settings, ceiling]}
    loads: dict[str, list[list[float]]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, make in settings.items():
            loads[name].append(load_average())
            results[name] = None
            start = time.perf_counter()
            with make() as inference:
                results[name] = get_predictions(model, texts, None, inference)
            runs[name].append(time.perf_counter() - start)
        loads[ceiling].append(load_average())
        runs[ceiling].append(independent_processes(model, list(texts.values()), workers, batch_size))
    cpu_per_document = worker_cpu(model, root, max(1, copies // 5), workers)
    times = {name: seconds(r) for name, r in runs.items()}
    one = results["1 process"].raw
    dask_name = f"Dask LocalCluster, {workers} workers"
    speedup = {name: {"best": times["1 process"]["best"] / t["best"], "median": times["1 process"]["median"] / t["median"]} for name, t in times.items()}
    return {
        "model": model,
        "documents": len(texts),
        "words": sum(len(t.split()) for t in texts.values()),
        "characters": sum(len(t) for t in texts.values()),
        "copies_of_the_gold_texts": copies,
        "workers": workers,
        "batch_size": batch_size,
        "cpus": len(os.sched_getaffinity(0)),
        "repeat": repeat,
        "seconds": times,
        "speedup": speedup,
        "same_predictions": {name: r.raw == one for name, r in results.items()},
        "ran_on": {name: r.source.ran_on for name, r in results.items()},
        "dask": dask_name,
        "ceiling": ceiling,
        "target_speedup": TARGET_DASK_SPEEDUP,
        "quiet_load": QUIET_LOAD,
        "quiet_steal": QUIET_STEAL,
        "settled_seconds": waited,
        "load_average": {"before": load_before, "during": loads, "after": load_average()},
        "cpu_stolen": stolen_share(cpu, cpu_times()),
        "worker_cpu": cpu_per_document,
    }


def independent_processes(model: str, texts: list[str], workers: int, batch_size: int) -> float:
    """Wall seconds for `workers` separate Python processes, started together, each running `nlp.pipe` on its share of the texts.

    No Dask and no spaCy multiprocessing: each process is `bench/bare_spacy.py` (start, load the
    model, `nlp.pipe`) on a folder of its texts, as a worker does. It is what this machine gives any
    scheme of `workers` processes, so the speed-up of this setting over 1 process is the machine's
    ceiling for the others.
    """
    script = Path(__file__).with_name("bare_spacy.py")
    with tempfile.TemporaryDirectory(prefix="nerbench-bench-") as tmp:
        folders = []
        for k in range(workers):
            folder = Path(tmp) / f"share{k}"
            folder.mkdir()
            for i, text in enumerate(texts[k::workers]):
                with open(folder / f"{i:07d}.txt", "w", encoding="utf-8", newline="") as f:  # the exact text, as bare_spacy.py reads it
                    f.write(text)
            folders.append(folder)
        start = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, str(script), model, str(folder), str(batch_size)], stdout=subprocess.PIPE, text=True)
            for folder in folders
        ]
        outputs = [proc.communicate()[0] for proc in procs]
        elapsed = time.perf_counter() - start
    counts = [re.match(r"(\d+) documents", out) if proc.returncode == 0 else None for proc, out in zip(procs, outputs)]
    predicted = [int(m.group(1)) if m else None for m in counts]
    if None in predicted or sum(predicted) != len(texts):
        raise RuntimeError(f"independent processes: exit codes {[p.returncode for p in procs]}, documents predicted {predicted} of {len(texts)}")
    return elapsed


def worker_cpu(model: str, root: Path, copies: int = 20, workers: int = 2, shard: int = 25) -> dict[str, Any]:
    """CPU seconds per document that LocalCluster workers spend predicting, with nerbench's worker settings and with Dask's defaults.

    CPU time, not wall time: it is what the settings change, and the host's share of the CPU (this
    is a virtual machine) does not blur it. Each worker loads the model before the count starts;
    the count is every thread of the worker processes (the task's, the event loop's, a profiler's).
    """
    from nerbench.evaluate.distributed import DaskSession, predict_shard
    from nerbench.evaluate.predict import fingerprint, locate_model

    files = locate_model(model)
    key = fingerprint(files)
    texts = list(repeated_texts(root, copies).values())
    shards = [texts[i : i + shard] for i in range(0, len(texts), shard)]
    out: dict[str, Any] = {"documents": len(texts), "shard": shard, "workers": workers}
    for name, defaults in (("nerbench", False), ("dask_defaults", True)):
        session = DaskSession("local", workers, dask_defaults=defaults)
        try:
            client = session.client
            client.run(predict_shard, files.load_spec, key, texts[:1], None)  # every worker loads the model
            before = client.run(time.process_time)
            client.gather(client.map(predict_shard, [files.load_spec] * len(shards), [key] * len(shards), shards, [4] * len(shards), pure=False))
            after = client.run(time.process_time)
        finally:
            session.close()
        out[name] = sum(after[w] - before[w] for w in after) / len(texts)
    return out


def _settle(limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit and os.getloadavg()[0] >= QUIET_LOAD:
        time.sleep(5)
    return time.monotonic() - started


def inference_figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    t, sp, dask = r["seconds"], r["speedup"], r["dask"]
    busy, stolen = r["load_average"]["before"][0], r.get("cpu_stolen")
    judged = busy < r["quiet_load"] and (stolen is None or stolen < r["quiet_steal"])
    why = ""
    if busy >= r["quiet_load"]:
        why = f"not judged: load average {busy} before the runs (≥ {r['quiet_load']}), the machine was busy"
    elif not judged:
        why = f"not judged: the host took {stolen:.0%} of the CPU time during the runs (≥ {r['quiet_steal']:.0%}), the machine was busy"
    amount = f"{n(r['documents'])} documents, {n(r['words'])} words ({n(r['characters'])} characters)"
    rows = [figure(f"get_predictions without cache, {name}, {amount}; best / median / worst", spread(v)) for name, v in t.items()]
    for name, v in sp.items():
        if name == "1 process":
            continue
        is_dask = name == dask
        if name == r.get("ceiling"):
            rows.append(
                figure(
                    f"speed-up of {name} over 1 process (no Dask, no spaCy multiprocessing: what this machine gives {r['workers']} processes; "
                    "best runs, medians in brackets)",
                    f"{ratio(v['best'])} ({ratio(v['median'])})",
                )
            )
            continue
        rows.append(
            figure(
                f"speed-up of {name} over 1 process (best runs; medians in brackets)",
                f"{ratio(v['best'])} ({ratio(v['median'])})",
                f"≥ {r['target_speedup']:g}×" if is_dask else None,
                (v["best"] >= r["target_speedup"]) if is_dask and judged else None,
                None if judged or not is_dask else why,
            )
        )
    rows += [
        figure(
            "load average (1, 5, 15 min) before the timed runs; CPU time the host took during them",
            f"{' '.join(map(str, r['load_average']['before']))}; {'unknown' if stolen is None else f'{stolen:.0%}'}",
        ),
        figure("every setting predicts the same spans as 1 process", yes(all(r["same_predictions"].values()))),
    ]
    w = r.get("worker_cpu")
    if w:
        rows.append(
            figure(
                f"LocalCluster worker CPU time per document, nerbench's worker settings / Dask's defaults (profiler, 20 ms tick, malloc trim); "
                f"{n(w['documents'])} documents in shards of {w['shard']}",
                f"{w['nerbench'] * 1000:.0f} ms / {w['dask_defaults'] * 1000:.0f} ms ({w['dask_defaults'] / w['nerbench'] - 1:+.0%} with Dask's defaults)",
            )
        )
    return rows
