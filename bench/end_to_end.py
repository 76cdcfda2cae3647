"""Part 3: `nerbench evaluate --no-cache` on the committed gold against bare spaCy (load + `nlp.pipe`) and `python -m spacy evaluate`."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .measure import figure, load_average, ratio, s, seconds, spread, time_calls, timed_rounds
from .scale import nerbench_command

TARGET_OVERHEAD = 0.20
# The functions `run_evaluation` calls, timed one by one inside a real call: the cost of each step.
# get_predictions loads the model (predict.load_model) and runs it; the rest of it is inference.
STEPS = {
    "load_scheme": "read the label scheme",
    "load_seeds": "read the seed manifest",
    "load_gold": "read and validate the gold (hashes, offsets, labels)",
    "units_of": "split the texts into sentences (bootstrap units, error context)",
    "token_offsets": "tokenise the texts for the token-level metrics",
    "get_predictions": "the model: load it and run nlp.pipe (no cache)",
    "score_system": "scoring: one matching pass, schemes, labels, bootstrap, errors",
}
MODEL_STEPS = {"load_model": "of which loading the pipeline (spacy.load)"}


def bare_spacy(model: str, texts: list[str]) -> list:
    """What a researcher would run without the toolkit: load the pipeline, run it over the texts."""
    import spacy

    nlp = spacy.load(model)
    return list(nlp.pipe(texts))


def toolkit_evaluate(model: str, root: Path, out_dir: Path) -> dict[str, Any]:
    """What `nerbench evaluate --no-cache` runs, in process: the evaluation, its five report files, the terminal table.

    Without the prediction cache: the model runs every time, as bare spaCy does.
    """
    from nerbench.evaluate.benchmark import run_evaluation
    from nerbench.evaluate.report import render_terminal, write_reports

    evaluation = run_evaluation([model], root / "gold" / "gold.jsonl", root / "seeds", root / "gold" / "labels.json", cache_dir=None)
    write_reports(evaluation, out_dir)
    render_terminal(evaluation.report)
    return evaluation.report


def in_process(model: str, root: Path, repeat: int) -> dict[str, Any]:
    """Toolkit and bare spaCy side by side in this process, both warmed up first, `repeat` rounds."""
    from nerbench.evaluate import benchmark, predict
    from nerbench.evaluate.report import render_terminal, write_reports
    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme
    from nerbench.seeds import load_seeds

    gold = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), load_scheme(root / "gold" / "labels.json"))
    texts = [doc.text for doc in gold.documents]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        bare_spacy(model, texts), toolkit_evaluate(model, root, out)  # warm-up: imports, file cache
        load_before = load_average()
        times, results = timed_rounds(
            {"bare_spacy": lambda: bare_spacy(model, texts), "nerbench_evaluate": lambda: toolkit_evaluate(model, root, out)}, repeat
        )
        spent: dict[str, list[float]] = {}
        totals, writes, renders = [], [], []
        with time_calls(benchmark, list(STEPS), spent), time_calls(predict, list(MODEL_STEPS), spent):
            for _ in range(repeat):
                start = time.perf_counter()
                evaluation = benchmark.run_evaluation(
                    [model], root / "gold" / "gold.jsonl", root / "seeds", root / "gold" / "labels.json", cache_dir=None
                )
                evaluated = time.perf_counter()
                write_reports(evaluation, out)
                written = time.perf_counter()
                render_terminal(evaluation.report)
                done = time.perf_counter()
                totals.append(done - start)
                writes.append(written - evaluated)
                renders.append(done - written)
    steps = {name: {"what": what, **seconds(spent[name])} for name, what in {**STEPS, **MODEL_STEPS}.items() if name in spent}
    steps["write_reports"] = {"what": "write benchmark.json, .md, .html, errors.jsonl, predictions.jsonl", **seconds(writes)}
    steps["render_terminal"] = {"what": "render the terminal table", **seconds(renders)}
    total = seconds(totals)
    counted = [name for name in steps if name not in MODEL_STEPS]  # load_model is inside get_predictions
    rest = [t - sum(steps[name]["runs"][r] for name in counted) for r, t in enumerate(totals)]
    steps["rest"] = {"what": "the rest of run_evaluation: checks, report assembly, timing wrappers", **seconds(rest)}
    bare, ours = times["bare_spacy"], times["nerbench_evaluate"]
    own = [t - m for t, m in zip(totals, steps["get_predictions"]["runs"])]
    return {
        "documents": len(texts),
        "tokens": sum(len(d) for d in results["bare_spacy"]),
        "repeat": repeat,
        "seconds": times,
        "overhead_ratio": {"best": ours["best"] / bare["best"], "median": ours["median"] / bare["median"]},
        "target_overhead": TARGET_OVERHEAD,
        "within_target": ours["median"] / bare["median"] <= 1 + TARGET_OVERHEAD,
        "steps": steps,
        "steps_total": total,
        "own_steps": seconds(own),
        "predictions_from": evaluation.report["models"][0]["predictions_from"],  # "model": the cache was not used
        "load_average": {"before": load_before, "after": load_average()},
    }


def gold_docbin(root: Path, path: Path) -> dict[str, Any]:
    """The gold as a `.spacy` DocBin for `spacy evaluate`, as `nerbench export spacy --misaligned expand` writes it.

    Returns how many spans fell on token boundaries and how many were expanded to whole tokens.
    """
    from nerbench.fileio import atomic_write_bytes
    from nerbench.formats.spacy import Alignment, docbin_bytes
    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme
    from nerbench.seeds import load_seeds

    gold = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), load_scheme(root / "gold" / "labels.json"))
    stats = Alignment()
    data = docbin_bytes(((d.id, d.text, d.spans) for d in gold.documents), "spacy", "expand", stats)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return {"documents": len(gold.documents), "spans": stats.spans, "on_token_boundaries": stats.on_tokens, "expanded": stats.expanded}


def scores_on_converted_gold(root: Path, model: str, docbin_path: Path) -> dict[str, float | None]:
    """nerbench's strict micro P/R/F1 of the model against the converted gold (the spans `spacy evaluate` sees)."""
    import spacy
    from spacy.tokens import DocBin

    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme
    from nerbench.scoring import score_corpus
    from nerbench.seeds import load_seeds
    from nerbench.spans import Span

    nlp = spacy.load(model)
    gold = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), load_scheme(root / "gold" / "labels.json"))
    converted = list(DocBin().from_disk(docbin_path).get_docs(nlp.vocab))
    ids = [doc.id for doc in gold.documents]
    reference = {i: [Span(e.start_char, e.end_char, e.label_) for e in doc.ents] for i, doc in zip(ids, converted)}
    predicted = {i: [Span(e.start_char, e.end_char, e.label_) for e in doc.ents] for i, doc in zip(ids, nlp.pipe(d.text for d in gold.documents))}
    micro = score_corpus(reference, predicted)[0].tally("strict")
    return {"precision": micro.precision, "recall": micro.recall, "f1": micro.f1}


def commands(model: str, root: Path, work: Path, repeat: int, python: str) -> dict[str, Any]:
    """`nerbench evaluate --no-cache`, a bare spaCy script and `python -m spacy evaluate`, each a fresh process, side by side.

    `work` (under the reports folder) holds the reports and the converted gold, so that every
    command shown can be run again as it is.
    """
    work.mkdir(parents=True, exist_ok=True)
    docbin = gold_docbin(root, work / "gold.spacy")
    argv = {
        "nerbench_evaluate": [*nerbench_command(python), "evaluate", "--model", model, "--no-cache", "--output-dir", str(work)],
        "bare_spacy": [python, "bench/bare_spacy.py", model, "seeds"],
        "spacy_evaluate": [python, "-m", "spacy", "evaluate", model, str(work / "gold.spacy"), "--output", str(work / "spacy-metrics.json")],
    }

    def runner(args):
        return lambda: subprocess.run(args, cwd=root, check=True, capture_output=True, text=True)

    for args in argv.values():  # warm-up: file cache, compiled bytecode
        runner(args)()
    load_before = load_average()
    times, _ = timed_rounds({name: runner(args) for name, args in argv.items()}, repeat)
    ours_report = json.loads((work / "benchmark.json").read_text(encoding="utf-8"))["models"][0]
    ours = ours_report["schemes"]["strict"]["micro"]
    theirs = json.loads((work / "spacy-metrics.json").read_text(encoding="utf-8"))
    bare, ours_t = times["bare_spacy"], times["nerbench_evaluate"]
    return {
        "repeat": repeat,
        "commands": {name: " ".join(args) for name, args in argv.items()},
        "seconds": times,
        "overhead_ratio": {"best": ours_t["best"] / bare["best"], "median": ours_t["median"] / bare["median"]},
        "spacy_evaluate_ratio": {
            "best": times["spacy_evaluate"]["best"] / ours_t["best"],
            "median": times["spacy_evaluate"]["median"] / ours_t["median"],
        },
        "predictions_from": ours_report["predictions_from"],
        "gold_docbin": docbin,
        "scores": {
            "nerbench_strict": {k: ours[k] for k in ("precision", "recall", "f1")},
            "spacy_evaluate_ents": {k: theirs.get(f"ents_{k[0]}") for k in ("precision", "recall", "f1")},
            "nerbench_strict_on_converted_gold": scores_on_converted_gold(root, model, work / "gold.spacy"),
        },
        "load_average": {"before": load_before, "after": load_average()},
    }


def bench_end_to_end(model: str, root: Path, work: Path, repeat: int = 10, command_repeat: int = 5, python: str = sys.executable) -> dict[str, Any]:
    return {
        "model": model,
        "in_process": in_process(model, root, repeat),
        "commands": commands(model, root, work, command_repeat, python),
    }


def end_to_end_figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    ip, cm = r["in_process"], r["commands"]
    limit = 1 + ip["target_overhead"]
    within = cm["overhead_ratio"]["median"] <= limit
    rows = [
        figure(
            f"run_evaluation() + reports / bare spacy.load + nlp.pipe, no cache, same process, warm, {ip['documents']} documents "
            f"({ip['tokens']:,} tokens), median of {ip['repeat']}",
            f"{ip['overhead_ratio']['median']:.3f} ({s(ip['seconds']['nerbench_evaluate']['median'])} / {s(ip['seconds']['bare_spacy']['median'])})",
            f"≤ {limit:.2f}",
            ip["within_target"],
        ),
        figure(
            f"nerbench evaluate --no-cache / bare spaCy script, fresh processes, median of {cm['repeat']}",
            f"{cm['overhead_ratio']['median']:.3f} ({s(cm['seconds']['nerbench_evaluate']['median'])} / {s(cm['seconds']['bare_spacy']['median'])})",
            f"≤ {limit:.2f}",
            within,
        ),
        figure(
            "python -m spacy evaluate / nerbench evaluate --no-cache, fresh processes, median",
            f"{cm['spacy_evaluate_ratio']['median']:.3f} ({s(cm['seconds']['spacy_evaluate']['median'])} / {s(cm['seconds']['nerbench_evaluate']['median'])})",
        ),
        figure(
            "where the scored predictions came from: in process; the command",
            f"{ip['predictions_from']}; {cm['predictions_from']}",
            "the model (no cache)",
            ip["predictions_from"] == cm["predictions_from"] == "model",
        ),
        figure("the toolkit's own steps (all but the model), median", f"{s(ip['own_steps']['median'])} of {s(ip['steps_total']['median'])}"),
    ]
    rows += [figure(f"step {name}: {v['what']}, median", s(v["median"])) for name, v in ip["steps"].items()]
    d, sc = cm["gold_docbin"], cm["scores"]
    rows += [
        figure("gold spans not on spaCy token boundaries (expanded for the .spacy file)", f"{d['expanded']} of {d['spans']}"),
        figure("strict P / R / F1: nerbench on the exact gold", _prf(sc["nerbench_strict"])),
        figure("entity P / R / F1: spacy evaluate on the converted gold", _prf(sc["spacy_evaluate_ents"])),
        figure("strict P / R / F1: nerbench on the converted gold", _prf(sc["nerbench_strict_on_converted_gold"])),
    ]
    return rows


def _prf(scores: dict[str, float | None]) -> str:
    return " / ".join("-" if scores[k] is None else f"{scores[k]:.4f}" for k in ("precision", "recall", "f1"))
