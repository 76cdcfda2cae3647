"""The spaCy adapter: load any installed pipeline by name or path, predict entity spans, cache them.

Predictions are cached per model (name, version and a hash of its meta.json) and text hash, so
a re-run with the same inputs reads them back without loading the model at all.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from nerbench.errors import NerbenchError
from nerbench.fileio import atomic_write_text, sha256_bytes, sha256_text
from nerbench.labels import LabelMap, LabelScheme
from nerbench.spans import Span

# Components whose labels end up in doc.ents.
ENTITY_FACTORIES = {"ner", "beam_ner", "entity_ruler", "future_entity_ruler"}
RawSpans = list[tuple[int, int, str]]


@dataclass(frozen=True)
class ModelInfo:
    """What a report says about a model: enough to reproduce the run."""

    spec: str  # what the user passed: a package name or a path
    name: str  # lang_name from the pipeline's meta, e.g. en_core_web_sm
    version: str
    spacy_version: str  # the spaCy range the pipeline declares
    pipeline: tuple[str, ...]
    labels: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "spec": self.spec,
            "spacy_version": self.spacy_version,
            "pipeline": list(self.pipeline),
            "labels": list(self.labels),
        }


def model_fingerprint(spec: str) -> str:
    """`name-version-<meta hash>` of a pipeline, read from its meta.json without loading it."""
    import spacy.util

    path = Path(spec)
    try:
        folder = path if path.exists() else spacy.util.get_package_path(spec)
        raw = (Path(folder) / "meta.json").read_bytes()
        meta = json.loads(raw)
    except (OSError, ImportError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise NerbenchError(f"model {spec!r}: cannot load it as an installed spaCy pipeline or a pipeline folder ({first})") from None
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}-{sha256_bytes(raw)[:12]}"


def load_model(spec: str):
    """Load a spaCy pipeline by package name or path; return (nlp, ModelInfo)."""
    import spacy

    try:
        nlp = spacy.load(spec)
    except (OSError, ImportError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise NerbenchError(
            f"model {spec!r}: cannot load it as an installed spaCy pipeline or a pipeline folder ({first})"
        ) from None
    meta = nlp.meta
    labels: set[str] = set()
    for name in nlp.pipe_names:
        factory = nlp.get_pipe_meta(name).factory
        if factory in ENTITY_FACTORIES:
            labels.update(getattr(nlp.get_pipe(name), "labels", ()) or ())
    info = ModelInfo(
        spec=spec,
        name=f"{meta.get('lang', nlp.lang)}_{meta.get('name', 'pipeline')}",
        version=str(meta.get("version", "0.0.0")),
        spacy_version=str(meta.get("spacy_version", "")),
        pipeline=tuple(nlp.pipe_names),
        labels=tuple(sorted(labels)),
        meta={k: meta.get(k) for k in ("lang", "name", "version", "license", "author", "url") if k in meta},
    )
    return nlp, info


def run_model(nlp, texts: Mapping[str, str], n_process: int = 1, batch_size: int | None = None) -> dict[str, RawSpans]:
    """The pipeline's entities per document, with the model's own labels."""
    ids = list(texts)
    docs = nlp.pipe((texts[i] for i in ids), n_process=n_process, batch_size=batch_size)
    return {doc_id: [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents] for doc_id, doc in zip(ids, docs)}


class PredictionCache:
    """One JSON file per (model fingerprint, text hash) under `folder`; written atomically."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, fingerprint: str, text: str) -> Path:
        return self.folder / fingerprint / f"{sha256_text(text)}.json"

    def get(self, fingerprint: str, text: str) -> tuple[dict[str, Any], RawSpans] | None:
        try:
            data = json.loads(self._path(fingerprint, text).read_text(encoding="utf-8"))
            return data["model"], [tuple(e) for e in data["ents"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or unreadable: predict again

    def put(self, fingerprint: str, text: str, info: dict[str, Any], ents: RawSpans) -> None:
        atomic_write_text(self._path(fingerprint, text), json.dumps({"model": info, "ents": ents}) + "\n")


def get_predictions(
    spec: str, texts: Mapping[str, str], cache: PredictionCache | None
) -> tuple[dict[str, Any], dict[str, RawSpans], str]:
    """Model info and raw predictions, from the cache when every text is there; else run the model.

    Returns (model info dict, raw spans per document, "cache" or "model").
    """
    fingerprint = model_fingerprint(spec) if cache else ""
    if cache:
        hits = {doc_id: cache.get(fingerprint, text) for doc_id, text in texts.items()}
        if texts and all(hits.values()):
            info = dict(next(iter(hits.values()))[0], spec=spec)
            return info, {doc_id: hit[1] for doc_id, hit in hits.items()}, "cache"
    nlp, model_info = load_model(spec)
    raw = run_model(nlp, texts)
    info = model_info.to_dict()
    if cache:
        for doc_id, text in texts.items():
            cache.put(fingerprint, text, info, raw[doc_id])
    return info, raw, "model"


@dataclass
class Predictions:
    """Predicted spans per document, already mapped onto the label scheme."""

    spans: dict[str, list[Span]]
    unmapped: Counter  # model label -> predicted spans not scored because the map sends them to null


def map_predictions(raw: Mapping[str, RawSpans], model_name: str, scheme: LabelScheme, label_map: LabelMap) -> Predictions:
    unmapped: Counter = Counter()
    spans = {doc_id: map_spans(ents, doc_id, model_name, scheme, label_map, unmapped) for doc_id, ents in raw.items()}
    return Predictions(spans, unmapped)


def predict(
    nlp, texts: Mapping[str, str], model_name: str, scheme: LabelScheme, label_map: LabelMap, n_process: int = 1, batch_size: int | None = None
) -> Predictions:
    """Run the pipeline over the texts and map its entity labels onto the scheme.

    `n_process` and `batch_size` go to `nlp.pipe`: with n_process > 1, batches of `batch_size`
    documents are spread over that many worker processes (see BENCHMARKS.md, *Scale*).
    """
    return map_predictions(run_model(nlp, texts, n_process, batch_size), model_name, scheme, label_map)


def map_spans(raw, doc_id: str, model_name: str, scheme: LabelScheme, label_map: LabelMap, unmapped: Counter) -> list[Span]:
    out = []
    for start, end, label in raw:
        target = label_map.apply(label)
        if target is None:
            unmapped[label] += 1
        elif target not in scheme:
            raise NerbenchError(
                f"model {model_name}, document {doc_id}: predicted label {label!r} is not in the label scheme "
                "and has no mapping (use --label-map)"
            )
        else:
            out.append(Span(start, end, target))
    return sorted(out)
