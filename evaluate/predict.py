"""The spaCy adapter: find, fingerprint and load a pipeline, predict entity spans, cache them, map their labels.

A model is named as `spacy.load` takes it: an installed package, else a folder. Its fingerprint
hashes every file spaCy may read from there (for a package, the package's folder with its data
folder inside), with the spaCy and thinc versions, so the prediction cache (evaluate/cache.py)
can never serve the predictions of another model, whatever was edited in place. Every cached
entry is validated like any other input; an invalid one is discarded and its document predicted
again. Inference runs in this process, in `--n-process` processes (`nlp.pipe`), or on a Dask
cluster (evaluate/distributed.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence, TextIO

from nerbench.errors import NerbenchError
from nerbench.fileio import parse_json, sha256_text
from nerbench.labels import LabelMap, LabelScheme
from nerbench.progress import progress
from nerbench.spans import Span

from .cache import ModelStore, PredictionCache

__all__ = ["PredictionCache", "get_predictions", "Inference", "load_model", "map_predictions", "predict", "run_model"]

# Components of spaCy's own that set doc.ents; any other component counts if its factory declares
# assigns=["doc.ents"] (span_ruler: only with annotate_ents).
ENTITY_FACTORIES = {"ner", "beam_ner", "entity_ruler", "future_entity_ruler"}
FINGERPRINT_FORMAT = "nerbench-model-fingerprint/1"
CACHE_WRITE_EVERY = 1000  # documents per cache transaction while the model runs: an interrupted run keeps its work
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


# --- finding and fingerprinting a pipeline ------------------------------------------------------


@dataclass(frozen=True)
class ModelFiles:
    """Where a pipeline lives (an installed package's folder, or a pipeline folder) and its meta.json."""

    spec: str
    folder: Path
    package: bool
    meta: dict[str, Any]

    @property
    def label(self) -> str:
        """`lang_name-version`, as the meta says: names the cache store and the progress bar."""
        return f"{self.meta['lang']}_{self.meta['name']}-{self.meta['version']}"

    @property
    def load_spec(self) -> str:
        """What another process is asked to load: the package name, or the folder's absolute path."""
        return self.spec if self.package else str(self.folder.resolve())


def locate_model(spec: str) -> ModelFiles:
    """Resolve `spec` as `spacy.load` does (installed package first, then a folder) and check its meta.json."""
    import spacy.util

    if spec.startswith("blank:"):
        raise NerbenchError(f"model {spec!r}: a blank pipeline has no entity recognizer, there is nothing to score")
    if spacy.util.is_package(spec):
        try:
            folder, package = spacy.util.get_package_path(spec), True
        except Exception as e:  # importing someone's package runs its code: any error is theirs, told in one line
            raise NerbenchError(f"model {spec!r}: cannot import the installed package ({first_line(e)})") from None
    elif os.path.lexists(spec):
        folder, package = Path(spec), False
    else:
        raise NerbenchError(
            f"model {spec!r}: cannot load it as an installed spaCy pipeline or a pipeline folder (no package or folder of that name)"
        )
    if not folder.is_dir():
        raise NerbenchError(f"model {spec!r}: {folder} is not a folder (a spaCy pipeline is a folder with meta.json and config.cfg)")
    return ModelFiles(spec, folder, package, read_meta(folder / "meta.json", spec))


def read_meta(path: Path, spec: str) -> dict[str, Any]:
    """A pipeline's meta.json: a JSON object with non-empty string lang, name and version (what spaCy needs)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NerbenchError(f"model {spec!r}: {path} not found (a spaCy pipeline folder has a meta.json)") from None
    except OSError as e:
        raise NerbenchError(f"model {spec!r}: cannot read {path} ({e.strerror or e})") from None
    where = f"model {spec!r}: {path}"
    meta = parse_json(raw, where)
    if not isinstance(meta, dict):
        raise NerbenchError(f"{where}: expected a JSON object, found {_json_type(meta)}")
    for key in ("lang", "name", "version"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise NerbenchError(f"{where}: {key!r} must be a non-empty string, found {_json_type(meta.get(key))}")
    return meta


def pipeline_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(relative POSIX path, path) of every file under `folder`, sorted; links followed; __pycache__ left out.

    __pycache__ is written by Python on the first import of a package: hashing it would change the
    fingerprint between two runs of the same model.
    """
    seen: set[str] = set()
    for top, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:  # a link back up the tree
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                path = Path(top, name)
                yield path.relative_to(folder).as_posix(), path


def fingerprint(files: ModelFiles) -> str:
    """SHA-256 over every file of the pipeline (path and content) and the spaCy and thinc versions.

    Content, not size and time: a file rewritten in place with the same size within the same
    second would fool a stat-based key. Cost: one read of the pipeline, measured in README.md.
    """
    import spacy
    import thinc

    outer = hashlib.sha256(f"{FINGERPRINT_FORMAT}\0spacy {spacy.__version__}\0thinc {thinc.__version__}\0".encode())
    for rel, path in pipeline_files(files.folder):
        inner = hashlib.sha256()
        try:
            if not path.is_file():  # a dangling link, a fifo or a device: spaCy reads no such thing; never block on one
                inner.update(b"\0not a regular file")
            else:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        inner.update(chunk)
        except OSError as e:
            raise NerbenchError(f"model {files.spec!r}: cannot read {path} to fingerprint the pipeline ({e.strerror or e})") from None
        outer.update(rel.encode("utf-8", "surrogateescape") + b"\0" + inner.digest())
    return outer.hexdigest()


def model_fingerprint(spec: str) -> str:
    return fingerprint(locate_model(spec))


# --- loading and running a pipeline ------------------------------------------------------------


def load_model(spec: str | ModelFiles, expected_fingerprint: str | None = None, on_worker: bool = False):
    """Load a spaCy pipeline by package name or path; return (nlp, ModelInfo).

    Refused with one line: a pipeline that cannot load, and one with no component that sets
    entities (see `entity_labels`). With `expected_fingerprint`, the files are hashed again after
    loading, so a model edited while it loads (or, `on_worker`, a different copy on a Dask worker)
    is refused rather than cached under the fingerprint of other files.
    """
    import spacy

    files = spec if isinstance(spec, ModelFiles) else locate_model(spec)
    try:
        nlp = spacy.load(files.spec)
    except (OSError, ImportError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise NerbenchError(
            f"model {files.spec!r}: cannot load it as an installed spaCy pipeline or a pipeline folder ({first_line(e)})"
        ) from None
    if expected_fingerprint is not None and fingerprint(files) != expected_fingerprint:
        if on_worker:
            raise NerbenchError(
                f"model {files.spec!r} differs from the one where nerbench runs (other files, or other spaCy or thinc versions): "
                "every worker needs the same pipeline, at the same path or installed as the same package"
            )
        raise NerbenchError(f"model {files.spec!r}: its files changed while it was being loaded; run again")
    meta = nlp.meta
    info = ModelInfo(
        spec=files.spec,
        name=f"{meta.get('lang', nlp.lang)}_{meta.get('name', 'pipeline')}",
        version=str(meta.get("version", "0.0.0")),
        spacy_version=str(meta.get("spacy_version", "")),
        pipeline=tuple(nlp.pipe_names),
        labels=entity_labels(nlp, files.spec),
        meta={k: meta.get(k) for k in ("lang", "name", "version", "license", "author", "url") if k in meta},
    )
    return nlp, info


def entity_components(nlp) -> list[str]:
    """The active components that set doc.ents: spaCy's recognizers and rulers, a span_ruler with
    annotate_ents, and any component whose factory declares `assigns=["doc.ents"]`."""
    found = []
    for name in nlp.pipe_names:
        meta = nlp.get_pipe_meta(name)
        if meta.factory in ENTITY_FACTORIES or "doc.ents" in (meta.assigns or ()):
            found.append(name)
        elif meta.factory == "span_ruler" and nlp.get_pipe_config(name).get("annotate_ents"):
            found.append(name)
    return found


def entity_labels(nlp, spec: str) -> tuple[str, ...]:
    """The labels the pipeline can predict; refuses a pipeline that cannot set entities at all.

    A component that sets entities must list its labels (`labels`, as every spaCy component does):
    they are checked against the label scheme before anything is scored, and every prediction
    against them.
    """
    components = entity_components(nlp)
    if not components:
        raise NerbenchError(
            f"model {spec!r}: none of its components ({', '.join(nlp.pipe_names) or 'no components'}) sets entities (doc.ents), "
            "there is nothing to score; a custom component that does must declare assigns=['doc.ents'] in its factory"
        )
    labels: set[str] = set()
    for name in components:
        try:
            labels.update(str(label) for label in nlp.get_pipe(name).labels)
        except (AttributeError, TypeError):
            raise NerbenchError(
                f"model {spec!r}: component {name!r} sets entities but does not list its labels (a `labels` property), "
                "so they cannot be checked against the label scheme"
            ) from None
    if not labels:
        several = len(components) > 1
        raise NerbenchError(
            f"model {spec!r}: its entity component{'s' if several else ''} {', '.join(components)} "
            f"know{'' if several else 's'} no labels (an untrained recognizer or a ruler without patterns): it cannot predict any entity"
        )
    return tuple(sorted(labels))


def pipe_spans(nlp, texts: Sequence[str], n_process: int = 1, batch_size: int | None = None) -> Iterator[RawSpans]:
    """Each text's entities as (start, end, label) with the model's own labels, in order.

    With n_process > 1 and no batch size, batches are made small enough that every process gets
    work (spaCy's default of 1,000 would hand a small corpus to one process).
    """
    if n_process > 1 and batch_size is None:
        batch_size = max(1, min(nlp.batch_size, -(-len(texts) // (n_process * 4))))
    for doc in nlp.pipe(texts, n_process=n_process, batch_size=batch_size):
        yield [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]


def run_model(nlp, texts: Mapping[str, str], n_process: int = 1, batch_size: int | None = None) -> dict[str, RawSpans]:
    """The pipeline's entities per document, with the model's own labels."""
    ids = list(texts)
    return dict(zip(ids, pipe_spans(nlp, [texts[i] for i in ids], n_process, batch_size)))


# --- validating raw predictions ------------------------------------------------------------------


def check_raw_spans(data: object, text: str, labels: Iterable[str] | frozenset[str], where: str) -> RawSpans:
    """`[[start, end, label], ...]` checked against the text and the model's labels, as tuples.

    Integers with 0 <= start < end <= len(text), labels among `labels`, sorted, not overlapping
    (doc.ents never overlap). Raises NerbenchError naming `where` and the span.
    """
    if not isinstance(data, list):
        raise NerbenchError(f"{where}: expected a list of [start, end, label], found {_json_type(data)}")
    out: RawSpans = []
    for i, item in enumerate(data):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise NerbenchError(f"{where}: span {i} is not [start, end, label]")
        start, end, label = item
        if not _is_int(start) or not _is_int(end) or not isinstance(label, str):
            raise NerbenchError(f"{where}: span {i}: start and end must be integers and the label a string")
        if not 0 <= start < end <= len(text):
            raise NerbenchError(f"{where}: span {i} [{start}, {end}): offsets outside the text (0 <= start < end <= {len(text)})")
        if label not in labels:
            raise NerbenchError(f"{where}: span {i} [{start}, {end}): label {label!r} is not one of the model's labels")
        if out and (start, end) < out[-1][:2]:
            raise NerbenchError(f"{where}: span {i} [{start}, {end}): spans are not sorted by offset")
        if out and start < out[-1][1]:
            raise NerbenchError(f"{where}: span {i} [{start}, {end}) overlaps [{out[-1][0]}, {out[-1][1]})")
        out.append((start, end, label))
    return out


def check_model_info(data: object, where: str) -> dict[str, Any]:
    """The model info stored with cached predictions: the fields a report shows, of the right types."""
    if not isinstance(data, dict):
        raise NerbenchError(f"{where}: model info is not an object")
    for key in ("name", "version", "spacy_version"):
        if not isinstance(data.get(key), str):
            raise NerbenchError(f"{where}: model info {key!r} is not a string")
    for key in ("pipeline", "labels"):
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise NerbenchError(f"{where}: model info {key!r} is not a list of strings")
    if not data["labels"]:
        raise NerbenchError(f"{where}: model info lists no labels")
    return {key: data[key] for key in ("name", "version", "spacy_version", "pipeline", "labels")}


# --- how the models run: one process, n_process, or Dask ---------------------------------------


_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+|[^\s:/]+:\d+")


class Inference:
    """How models run, shared by every model of a run; use as a context manager around the run.

    n_process > 1: `nlp.pipe(n_process=...)` in this machine's processes. scheduler "local": a
    Dask LocalCluster of `workers` processes, started when the first document needs predicting
    and closed at the end; any other scheduler is the address of a running Dask scheduler
    (tcp://HOST:PORT), joined and left as found. Notices (cache problems) go to `notify` and into
    each model's `Provenance`; a progress bar goes to `progress_stream` (stderr) unless `quiet`.
    """

    def __init__(
        self,
        n_process: int = 1,
        batch_size: int | None = None,
        scheduler: str | None = None,
        workers: int | None = None,
        quiet: bool = False,
        notify: Callable[[str], None] | None = None,
        progress_stream: TextIO | None = None,
    ) -> None:
        if n_process < 1:
            raise NerbenchError(f"--n-process {n_process}: must be 1 or more")
        if batch_size is not None and batch_size < 1:
            raise NerbenchError(f"batch size {batch_size}: must be 1 or more")
        if workers is not None and scheduler != "local":
            raise NerbenchError("--workers: only with --scheduler local (a cluster started elsewhere brings its own workers)")
        if workers is not None and workers < 1:
            raise NerbenchError(f"--workers {workers}: must be 1 or more")
        if scheduler is not None and n_process != 1:
            raise NerbenchError("--n-process: not with --scheduler (each Dask worker runs one pipeline; use more workers)")
        if scheduler is not None and scheduler != "local" and not _ADDRESS.fullmatch(scheduler):
            raise NerbenchError(f"--scheduler {scheduler!r}: expected local or a scheduler address such as tcp://HOST:8786")
        self.n_process = n_process
        self.batch_size = batch_size
        self.scheduler = scheduler
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.quiet = quiet
        self.notify = notify
        self.progress_stream = progress_stream
        self._depth = 0
        self._dask = None  # distributed.DaskSession, made when first needed

    def __enter__(self) -> "Inference":
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.close()

    def close(self) -> None:
        if self._dask is not None:
            self._dask.close()
            self._dask = None

    def describe(self) -> str:
        if self.scheduler == "local":
            return f"Dask LocalCluster ({self.workers} worker{'s' if self.workers != 1 else ''})"
        if self.scheduler:
            return f"Dask scheduler {self.scheduler}"
        return f"{self.n_process} process{'es' if self.n_process != 1 else ''}"

    def dask(self):
        if self._dask is None:
            from .distributed import DaskSession

            self._dask = DaskSession(self.scheduler, self.workers)
        return self._dask


@dataclass
class Provenance:
    """Where one model's predictions came from: the cache, the model, or both (with counts)."""

    cached: int = 0  # documents whose predictions were read from the cache
    predicted: int = 0  # documents the model ran on (including discarded cache entries)
    discarded: int = 0  # cache entries refused by validation, predicted again
    ran_on: str = ""  # "1 process", "2 processes", "Dask LocalCluster (2 workers)", ...; "" if the model never ran
    notices: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.predicted and self.cached:
            return "mixed"
        return "cache" if self.cached else "model"

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.kind,
            "cached": self.cached,
            "predicted": self.predicted,
            "discarded": self.discarded,
            "ran_on": self.ran_on or None,
            "notices": list(self.notices),
        }


class ModelPredictions(NamedTuple):
    info: dict[str, Any]  # name, version, spec, spacy_version, pipeline, labels
    raw: dict[str, RawSpans]  # per document id, the model's own labels
    source: Provenance


def get_predictions(
    spec: str, texts: Mapping[str, str], cache: PredictionCache | None = None, inference: Inference | None = None
) -> ModelPredictions:
    """Model info and raw predictions of every text: from the cache where it holds a valid entry, else from the model.

    Only the documents missing from the cache (or whose entry is invalid) are predicted, and
    written back as they come, so an interrupted run keeps what it did.
    """
    inference = inference if inference is not None else Inference()
    source = Provenance()

    def notice(message: str) -> None:
        source.notices.append(message)
        if inference.notify is not None:
            inference.notify(message)

    with inference:
        files = locate_model(spec)
        key = fingerprint(files) if cache is not None or inference.scheduler else None
        store = cache.open(key, files.label, notice) if cache is not None and key else None
        try:
            info, hits = _read_cache(store, texts, source, notice) if store else (None, {})
            missing = {doc_id: text for doc_id, text in texts.items() if doc_id not in hits}
            predicted: dict[str, RawSpans] = {}
            if missing or info is None:
                info, predicted = _predict(files, key, missing, inference, store)
                source.ran_on = inference.describe() if missing else ""
        finally:
            if store is not None:
                store.close()
    source.cached, source.predicted = len(hits), len(predicted)
    raw = {doc_id: hits[doc_id] if doc_id in hits else predicted[doc_id] for doc_id in texts}
    return ModelPredictions(dict(info, spec=spec), raw, source)


def _read_cache(store: ModelStore, texts: Mapping[str, str], source: Provenance, notice) -> tuple[dict | None, dict[str, RawSpans]]:
    """The stored model info and every valid cached entry; invalid ones are counted and told once."""
    raw_info = store.model_info()
    if raw_info is None:
        return None, {}
    where = f"prediction cache {store.path}"
    try:
        info = check_model_info(parse_json(raw_info, where) if isinstance(raw_info, bytes) else None, where)
    except NerbenchError as e:
        notice(f"{e}; predicting every document again")
        return None, {}
    labels = frozenset(info["labels"])
    keys = {doc_id: sha256_text(text) for doc_id, text in texts.items()}
    stored = store.get(keys.values())
    hits: dict[str, RawSpans] = {}
    first_problem = ""
    for doc_id, key in keys.items():
        if key not in stored:
            continue
        where = f"prediction cache {store.path}, document {doc_id}"
        try:
            value = stored[key]
            if not isinstance(value, bytes):
                raise NerbenchError(f"{where}: entry is empty")
            hits[doc_id] = check_raw_spans(parse_json(value, where), texts[doc_id], labels, where)
        except NerbenchError as e:
            source.discarded += 1
            first_problem = first_problem or str(e)
    if source.discarded:
        others = f" (and {source.discarded - 1} more invalid entries)" if source.discarded > 1 else ""
        notice(f"{first_problem}{others}: discarded, predicting {'them' if others else 'it'} again")
    return info, hits


def _predict(
    files: ModelFiles, key: str | None, missing: Mapping[str, str], inference: Inference, store: ModelStore | None
) -> tuple[dict[str, Any], dict[str, RawSpans]]:
    """Run the model on the missing texts (locally or on Dask), validate its output, write it to the cache as it comes."""
    if inference.scheduler and missing:
        info, stream = None, inference.dask().predict(files, key, missing, inference.batch_size)
    else:
        nlp, model_info = load_model(files, key)
        info = model_info.to_dict()
        ids = list(missing)
        stream = ((info, doc_id, ents) for doc_id, ents in zip(ids, pipe_spans(nlp, [missing[i] for i in ids], inference.n_process, inference.batch_size)))
    if info is not None and store is not None:
        store.set_model_info(info)
    out: dict[str, RawSpans] = {}
    pending: dict[str, str] = {}
    labels: frozenset[str] = frozenset(info["labels"]) if info else frozenset()
    try:
        with closing(stream):
            bar = progress(stream, total=len(missing), what=f"{files.label}: predicting", quiet=inference.quiet, stream=inference.progress_stream)
            for got_info, doc_id, ents in bar:
                if info is None:  # from the first Dask shard: every worker loaded the same fingerprint
                    info, labels = got_info, frozenset(got_info["labels"])
                    if store is not None:
                        store.set_model_info(info)
                text = missing[doc_id]
                out[doc_id] = check_raw_spans(list(ents), text, labels, f"model {info['name']}, document {doc_id}")
                if store is not None:
                    pending[sha256_text(text)] = json.dumps(out[doc_id], ensure_ascii=False, separators=(",", ":"))
                    if len(pending) >= CACHE_WRITE_EVERY:
                        store.put(pending)
                        pending = {}
    finally:  # also on Ctrl-C: what was predicted and validated is kept
        if store is not None:
            store.put(pending)
    return info, out


# --- mapping onto the label scheme ---------------------------------------------------------------


@dataclass
class Predictions:
    """Predicted spans per document, already mapped onto the label scheme."""

    spans: dict[str, list[Span]]
    unmapped: Counter  # model label -> predicted spans not scored because the map sends them to null


def map_predictions(raw: Mapping[str, RawSpans], model_name: str, scheme: LabelScheme, label_map: LabelMap) -> Predictions:
    unmapped: Counter = Counter()
    targets: dict[str, str | None] = {}  # each label's target, looked up and checked once
    spans = {doc_id: map_spans(ents, doc_id, model_name, scheme, label_map, unmapped, targets) for doc_id, ents in raw.items()}
    return Predictions(spans, unmapped)


def predict(
    nlp, texts: Mapping[str, str], model_name: str, scheme: LabelScheme, label_map: LabelMap, n_process: int = 1, batch_size: int | None = None
) -> Predictions:
    """Run the pipeline over the texts and map its entity labels onto the scheme.

    `n_process` and `batch_size` go to `nlp.pipe`: with n_process > 1, batches of `batch_size`
    documents are spread over that many worker processes (see BENCHMARKS.md, *Scale*).
    """
    return map_predictions(run_model(nlp, texts, n_process, batch_size), model_name, scheme, label_map)


def map_spans(
    raw, doc_id: str, model_name: str, scheme: LabelScheme, label_map: LabelMap, unmapped: Counter, targets: dict[str, str | None] | None = None
) -> list[Span]:
    """One document's raw (start, end, label) spans with the label map applied, as sorted Spans.

    A label mapped to null is counted in `unmapped`; one that maps outside the scheme is refused.
    `targets` remembers each label's target across the documents of a corpus.
    """
    targets = {} if targets is None else targets
    out = []
    for start, end, label in raw:
        if label in targets:
            target = targets[label]
        else:
            target = label_map.apply(label)
            if target is not None and target not in scheme:
                raise NerbenchError(
                    f"model {model_name}, document {doc_id}: predicted label {label!r} is not in the label scheme "
                    "and has no mapping (use --label-map)"
                )
            targets[label] = target
        if target is None:
            unmapped[label] += 1
        else:
            out.append((start, end, target))
    out.sort()  # as tuples: the order of Spans, sorted in C
    return [Span(start, end, label) for start, end, label in out]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.split("\n")[0] if text else type(error).__name__
