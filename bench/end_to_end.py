"""Part 3: `make evaluate` on the seeds against bare spaCy (load + `nlp.pipe`) and `python -m spacy evaluate`."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .measure import load_average, seconds, time_calls, timed_rounds

TARGET_OVERHEAD = 0.20
# The functions `evaluate()` calls, timed one by one inside a real call: the cost of each step.
STEPS = {
    "load_scheme": "read the label scheme",
    "load_seeds": "read the seed manifest",
    "load_gold": "read and validate the gold (hashes, offsets, labels)",
    "load_model": "load the pipeline (spacy.load)",
    "check_model_labels": "check the model's labels against the scheme",
    "predict": "inference (nlp.pipe) and label mapping",
    "model_result": "scoring: four schemes, per label and per document",
}


def bare_spacy(model: str, texts: list[str]) -> list:
    """What a researcher would run without the toolkit: load the pipeline, run it over the texts."""
    import spacy

    nlp = spacy.load(model)
    return list(nlp.pipe(texts))


def toolkit_evaluate(model: str, root: Path, out_dir: Path) -> dict[str, Any]:
    """What `make evaluate` runs, in process: evaluate(), write the reports, render the terminal table."""
    from nerbench.evaluate.benchmark import evaluate
    from nerbench.evaluate.report import render_terminal, write_reports

    report = evaluate([model], root / "gold" / "gold.jsonl", root / "seeds", root / "gold" / "labels.json")
    write_reports(report, out_dir)
    render_terminal(report)
    return report


def in_process(model: str, root: Path, repeat: int) -> dict[str, Any]:
    """Toolkit and bare spaCy side by side in this process, both warmed up first, `repeat` rounds."""
    from nerbench.evaluate import benchmark
    from nerbench.evaluate.benchmark import evaluate
    from nerbench.evaluate.report import render_terminal, write_reports
    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme
    from nerbench.seeds import load_seeds

    gold = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), load_scheme(root / "gold" / "labels.json"))
    texts = [doc.text for doc in gold.documents]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        bare_spacy(model, texts), toolkit_evaluate(model, root, out)  # warm-up: imports, file cache
        times, results = timed_rounds(
            {"bare_spacy": lambda: bare_spacy(model, texts), "nerbench_evaluate": lambda: toolkit_evaluate(model, root, out)}, repeat
        )
        spent: dict[str, list[float]] = {}
        totals, writes, renders = [], [], []
        with time_calls(benchmark, list(STEPS), spent):
            for _ in range(repeat):
                start = time.perf_counter()
                report = evaluate([model], root / "gold" / "gold.jsonl", root / "seeds", root / "gold" / "labels.json")
                evaluated = time.perf_counter()
                write_reports(report, out)
                written = time.perf_counter()
                render_terminal(report)
                done = time.perf_counter()
                totals.append(done - start)
                writes.append(written - evaluated)
                renders.append(done - written)
    steps = {name: {"what": STEPS[name], **seconds(spent[name])} for name in STEPS if name in spent}
    steps["write_reports"] = {"what": "write benchmark.json and benchmark.md", **seconds(writes)}
    steps["render_terminal"] = {"what": "render the terminal table", **seconds(renders)}
    total = seconds(totals)
    rest = [t - sum(s["runs"][r] for s in steps.values()) for r, t in enumerate(totals)]
    steps["rest"] = {"what": "the rest of evaluate(): report assembly, timing wrappers", **seconds(rest)}
    bare, ours = times["bare_spacy"], times["nerbench_evaluate"]
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
    }


def gold_docbin(root: Path, path: Path) -> dict[str, Any]:
    """The gold as a `.spacy` DocBin for `spacy evaluate`: spans snapped out to token boundaries.

    Tokenised with spacy.blank("en") (the English tokenizer of en_core_web_sm). Returns how many
    spans fell on token boundaries, how many had to be expanded, and how many were lost.
    """
    import spacy
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme
    from nerbench.seeds import load_seeds

    gold = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), load_scheme(root / "gold" / "labels.json"))
    nlp = spacy.blank("en")
    stats = {"documents": len(gold.documents), "spans": 0, "on_token_boundaries": 0, "expanded": 0, "not_convertible": 0, "dropped_overlapping": 0}
    docbin = DocBin()
    for document in gold.documents:
        doc = nlp.make_doc(document.text)
        ents = []
        for span in document.spans:
            stats["spans"] += 1
            exact = doc.char_span(span.start, span.end, span.label, alignment_mode="strict")
            if exact is not None:
                stats["on_token_boundaries"] += 1
                ents.append(exact)
                continue
            expanded = doc.char_span(span.start, span.end, span.label, alignment_mode="expand")
            if expanded is None:
                stats["not_convertible"] += 1
            else:
                stats["expanded"] += 1
                ents.append(expanded)
        kept = filter_spans(ents)
        stats["dropped_overlapping"] += len(ents) - len(kept)
        doc.ents = kept
        docbin.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)
    return stats


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
    """`make evaluate`, a bare spaCy script and `python -m spacy evaluate`, each a fresh process, side by side.

    `work` (under the reports folder) holds the reports and the converted gold, so that every
    command shown can be run again as it is.
    """
    work.mkdir(parents=True, exist_ok=True)
    docbin = gold_docbin(root, work / "gold.spacy")
    argv = {
        "make_evaluate": ["make", "--no-print-directory", "evaluate", f"MODEL={model}", f"REPORTS={work}"],
        "bare_spacy": [python, "bench/bare_spacy.py", model, "seeds"],
        "spacy_evaluate": [python, "-m", "spacy", "evaluate", model, str(work / "gold.spacy"), "--output", str(work / "spacy-metrics.json")],
    }

    def runner(args):
        return lambda: subprocess.run(args, cwd=root, check=True, capture_output=True, text=True)

    for args in argv.values():  # warm-up: file cache, compiled bytecode
        runner(args)()
    load_before = load_average()
    times, _ = timed_rounds({name: runner(args) for name, args in argv.items()}, repeat)
    ours = json.loads((work / "benchmark.json").read_text(encoding="utf-8"))["models"][0]["schemes"]["strict"]["micro"]
    theirs = json.loads((work / "spacy-metrics.json").read_text(encoding="utf-8"))
    bare, make = times["bare_spacy"], times["make_evaluate"]
    return {
        "repeat": repeat,
        "commands": {name: " ".join(args) for name, args in argv.items()},
        "seconds": times,
        "overhead_ratio": {"best": make["best"] / bare["best"], "median": make["median"] / bare["median"]},
        "spacy_evaluate_ratio": {
            "best": times["spacy_evaluate"]["best"] / make["best"],
            "median": times["spacy_evaluate"]["median"] / make["median"],
        },
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
