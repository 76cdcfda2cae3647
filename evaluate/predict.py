"""The spaCy adapter: load any installed pipeline by name or path, predict entity spans."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

from nerbench.errors import NerbenchError
from nerbench.labels import LabelMap, LabelScheme
from nerbench.spans import Span

# Components whose labels end up in doc.ents.
ENTITY_FACTORIES = {"ner", "beam_ner", "entity_ruler", "future_entity_ruler"}


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


@dataclass
class Predictions:
    """Predicted spans per document, already mapped onto the label scheme."""

    spans: dict[str, list[Span]]
    unmapped: Counter  # model label -> predicted spans not scored because the map sends them to null


def predict(
    nlp, texts: Mapping[str, str], model_name: str, scheme: LabelScheme, label_map: LabelMap, n_process: int = 1, batch_size: int | None = None
) -> Predictions:
    """Run the pipeline over the texts and map its entity labels onto the scheme.

    `n_process` and `batch_size` go to `nlp.pipe`: with n_process > 1, batches of `batch_size`
    documents are spread over that many worker processes (see BENCHMARKS.md, *Scale*).
    """
    ids = list(texts)
    spans: dict[str, list[Span]] = {}
    unmapped: Counter = Counter()
    for doc_id, doc in zip(ids, nlp.pipe((texts[i] for i in ids), n_process=n_process, batch_size=batch_size)):
        spans[doc_id] = map_spans(
            ((ent.start_char, ent.end_char, ent.label_) for ent in doc.ents), doc_id, model_name, scheme, label_map, unmapped
        )
    return Predictions(spans, unmapped)


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
