"""`evaluate` at corpus scale, against just reading its inputs (issue 14's targets), no model involved.

    .venv/bin/python -m bench.evaluate_scale make --docs 20000 --folder /tmp/scale
    .venv/bin/python -m bench.evaluate_scale read --folder /tmp/scale        # read and parse the inputs only
    .venv/bin/python -m bench.evaluate_scale evaluate --folder /tmp/scale    # the same, then evaluate and write the reports

`make` writes a synthetic corpus (bench/synthetic.py) as a seeds folder, a gold file and a
predictions file (one document per line: id, text_sha256, model, spans). `read` reads and
validates all three as `evaluate` does (the predictions with nerbench.formats.predictions);
`evaluate` does the same reading, then scores the predictions as a system and
writes the five report files. Each prints its wall time, its peak RSS and the reports' sizes, as
one JSON line. Run each in a fresh process, so that peak RSS is that step's own.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import typer

from nerbench.fileio import atomic_write_text, sha256_text

app = typer.Typer(help="Time `evaluate` on a synthetic corpus against reading its inputs.", no_args_is_help=True, add_completion=False)
FOLDER = typer.Option(Path("/tmp/nerbench-scale"), "--folder", help="Where the corpus is (and the reports go).", file_okay=False)
LABELS = Path(__file__).resolve().parents[1] / "gold" / "labels.json"


@app.command()
def make(docs: int = typer.Option(20000, "--docs"), seed: int = typer.Option(0, "--seed"), folder: Path = FOLDER) -> None:
    """Write seeds/, gold.jsonl and predictions.jsonl of a synthetic corpus.

    Example: python -m bench.evaluate_scale make --docs 20000 --folder /tmp/scale
    """
    from nerbench.seeds import build_manifest

    from .synthetic import synthetic_corpus

    corpus = synthetic_corpus(docs, seed)
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    gold_lines, pred_lines = [], []
    for doc in corpus:
        text = doc.text
        (seeds / f"{doc.id}.txt").write_text(text, encoding="utf-8")
        digest = sha256_text(text)
        gold = [s.to_dict(text) for s in doc.char_spans("gold")]
        pred = [s.to_dict(text) for s in doc.char_spans("pred")]
        gold_lines.append(json.dumps({"id": doc.id, "text": text, "text_sha256": digest, "spans": gold}, ensure_ascii=False))
        pred_lines.append(json.dumps({"id": doc.id, "text_sha256": digest, "model": {"name": "synthetic", "version": "1"}, "spans": pred}))
    build_manifest(seeds)
    atomic_write_text(folder / "gold.jsonl", "\n".join(gold_lines) + "\n")
    atomic_write_text(folder / "predictions.jsonl", "\n".join(pred_lines) + "\n")
    spans = sum(len(d.gold) for d in corpus)
    typer.echo(json.dumps({"documents": docs, "gold_spans": spans, "predicted_spans": sum(len(d.pred) for d in corpus)}))


def read_inputs(folder: Path) -> tuple[Any, Any]:
    """What evaluate reads, parsed and checked: label scheme, seeds, gold, and the predictions file."""
    from nerbench.formats.predictions import load_predictions
    from nerbench.gold import load_gold
    from nerbench.labels import IDENTITY_MAP, load_scheme
    from nerbench.seeds import load_seeds

    scheme = load_scheme(LABELS)
    gold = load_gold(folder / "gold.jsonl", load_seeds(folder / "seeds"), scheme)
    system = load_predictions(folder / "predictions.jsonl", {doc.id: doc.text for doc in gold.documents}, scheme, IDENTITY_MAP)
    return gold, system


def _report(step: str, started: float, **extra: Any) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    typer.echo(json.dumps({"step": step, "seconds": round(time.perf_counter() - started, 2), "peak_rss_bytes": peak, **extra}))


@app.command()
def read(folder: Path = FOLDER) -> None:
    """Read and parse the inputs only (the baseline of the 2x target).

    Example: python -m bench.evaluate_scale read --folder /tmp/scale
    """
    import nerbench.evaluate.benchmark  # noqa: F401  imports (spaCy among them) are not the inputs' cost

    started = time.perf_counter()
    gold, system = read_inputs(folder)
    _report("read", started, documents=len(gold.documents), gold_spans=gold.n_spans)


@app.command("evaluate")
def evaluate_cmd(
    folder: Path = FOLDER,
    bootstrap: int = typer.Option(1000, "--bootstrap"),
    unit: str = typer.Option("sentence", "--bootstrap-unit"),
    tokens: str = typer.Option("spacy", "--tokens", help="Tokens of the token-level metrics: spacy, whitespace or none (as `nerbench evaluate --tokens`)."),
) -> None:
    """Read the inputs as `read` does, score the predictions file as a system, write the five report files.

    Example: python -m bench.evaluate_scale evaluate --folder /tmp/scale
    """
    from nerbench.evaluate.benchmark import Uncertainty, run_evaluation
    from nerbench.evaluate.report import write_reports

    started = time.perf_counter()
    evaluation = run_evaluation(
        (), folder / "gold.jsonl", folder / "seeds", LABELS, uncertainty=Uncertainty(resamples=bootstrap, unit=unit), cache_dir=None,
        prediction_files=[folder / "predictions.jsonl"], tokenizer=None if tokens == "none" else tokens,
    )  # fmt: skip
    out = folder / "reports"
    paths = write_reports(evaluation, out)
    sizes = {p.name: p.stat().st_size for p in paths}
    _report("evaluate", started, sizes=sizes)


if __name__ == "__main__":
    sys.exit(app())
