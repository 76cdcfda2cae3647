"""Label Studio's JSON, at the edge: export tasks and annotation results to and from `Span`.

No SDK and no network: pure functions over the JSON that Label Studio exports and imports, used
by `nerbench pull` (a live export) and by anything that reads a saved export file. A result is a
`labels` region of the project made by `nerbench push` (`from_name` "label", `to_name` "text"),
with half-open code-point offsets, the same convention as `Span`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from nerbench.errors import NerbenchError
from nerbench.fileio import sha256_text
from nerbench.labels import LabelScheme
from nerbench.seeds import Seeds
from nerbench.spans import Span, parse_spans

FROM_NAME = "label"  # the <Labels> control: `from_name` of every result
TO_NAME = "text"  # the <Text> object: `to_name` of every result


@dataclass(frozen=True)
class Annotation:
    id: int
    task: int
    annotator: str
    spans: tuple[Span, ...]
    ground_truth: bool
    updated_at: str


@dataclass
class DocumentAnnotations:
    doc_id: str
    text: str
    tasks: list[int] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)


def parse_export(
    export: Any, seeds: Seeds, scheme: LabelScheme, users: Mapping[int, str] | None = None, where: str = "export"
) -> dict[str, DocumentAnnotations]:
    """Validate an export (a list of tasks) and collect the submitted annotations per seed document.

    Raises NerbenchError naming the task (and annotation) for: a task without text or document
    id, a document that is not a seed, a text that no longer matches its seed, a result that is
    not a single label from the scheme, offsets outside the text, `value.text` that differs from
    the slice, whitespace at a span's edge, and overlapping spans in one annotation.
    """
    users = users or {}
    if not isinstance(export, list):
        raise NerbenchError(f"{where}: malformed export: expected a JSON list of tasks, got {type(export).__name__}")
    docs: dict[str, DocumentAnnotations] = {}
    for n, task in enumerate(export):
        if not isinstance(task, dict) or not isinstance(task.get("id"), int) or not isinstance(task.get("data"), dict):
            raise NerbenchError(f"{where}: malformed export: item {n} is not a task with an id and data")
        task_id, data = task["id"], task["data"]
        text, doc_id = data.get("text"), data.get("doc_id")
        if not isinstance(text, str) or not isinstance(doc_id, str):
            raise NerbenchError(f"{where}: task {task_id}: data needs a text and a doc_id (was it pushed by nerbench?)")
        seed = seeds.get(doc_id)
        if seed is None:
            raise NerbenchError(f"{where}: task {task_id}: document {doc_id!r} is not a seed (not in {seeds.folder}/manifest.json)")
        actual = sha256_text(text)
        if actual != seed.sha256:
            raise NerbenchError(
                f"{where}: task {task_id} (document {doc_id}): its text no longer matches the seed "
                f"(SHA-256 {actual[:12]}…, seed {seed.sha256[:12]}…); the task was pushed from another version of the text"
            )
        doc = docs.setdefault(doc_id, DocumentAnnotations(doc_id, text))
        doc.tasks.append(task_id)
        for ann in task.get("annotations") or []:
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue  # skipped or cancelled: not an annotation of the text
            annotator = _annotator(ann.get("completed_by"), users)
            ann_where = f"{where}: task {task_id} (document {doc_id}), annotation {ann.get('id')} by {annotator}"
            spans = _result_spans(ann.get("result") or [], text, scheme, ann_where)
            doc.annotations.append(
                Annotation(int(ann.get("id", 0)), task_id, annotator, tuple(spans), bool(ann.get("ground_truth")), str(ann.get("updated_at", "")))
            )
    return docs


def _annotator(completed_by: Any, users: Mapping[int, str]) -> str:
    if isinstance(completed_by, dict):  # older exports expand the user
        return str(completed_by.get("email") or completed_by.get("id"))
    if isinstance(completed_by, int):
        return users.get(completed_by, f"user {completed_by}")
    return "unknown user"


def _result_spans(
    result: list,
    text: str,
    scheme: LabelScheme | None,
    where: str,
    names: tuple[str, str] | None = (FROM_NAME, TO_NAME),
    prediction: bool = False,
) -> list[Span]:
    """The spans of `labels` results; `names` = the (from_name, to_name) they must have, None for any
    (then `value.text` is checked only where a result has it: predictions imported by other tools may not)."""
    raw = []
    for i, item in enumerate(result):
        if not isinstance(item, dict) or item.get("type") != "labels" or (names and item.get("from_name") != names[0]):
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            raise NerbenchError(f"{where}: result {i} is a {kind!r}, not a span from the {FROM_NAME!r} labels")
        if names and item.get("to_name") != names[1]:
            raise NerbenchError(f"{where}: result {i} labels {item.get('to_name')!r}, not the {TO_NAME!r} field")
        value = item.get("value") or {}
        if not isinstance(value, dict):
            raise NerbenchError(f"{where}: result {i} has a value that is not an object: {value!r}")
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            raise NerbenchError(f"{where}: result {i} has labels {labels!r}; a span carries exactly one label")
        raw.append({"start": value.get("start"), "end": value.get("end"), "label": labels[0]})
        if names or "text" in value:
            raw[-1]["text"] = value.get("text")
    return parse_spans(text, raw, scheme, where, require_sorted=False, prediction=prediction)


def spans_to_result(spans: Sequence[Span], text: str) -> list[dict[str, Any]]:
    """Spans as Label Studio results (half-open code-point offsets, as Label Studio stores them)."""
    return [
        {
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": s.text_in(text), "labels": [s.label]},
        }
        for s in spans
    ]


# ---- Any Label Studio export, for `nerbench import` / `nerbench export` ---------------------------


@dataclass
class ExportedTask:
    """One task of an export from any project: its text, its gold (if settled) and its predictions."""

    task_id: int
    doc_id: str | None  # data.doc_id, set by `nerbench push` and `nerbench export labelstudio`
    text: str
    gold: list[Span] | None  # None: no submitted annotation
    predictions: dict[str, list[Span]] = field(default_factory=dict)  # model_version -> spans
    skipped_results: dict[str, int] = field(default_factory=dict)  # result type -> results that are not text spans
    prediction_ids: int = 0  # predictions the export lists by id only (Label Studio's quick export does)


def read_tasks(export: Any, where: str, text_field: str = "text") -> list[ExportedTask]:
    """The tasks of a Label Studio JSON export of any project with a text labelled by `<Labels>`.

    The gold of a task is its one submitted annotation, or the one marked as ground truth when
    there are several; several without a ground truth are refused (settle them first, e.g. with
    `nerbench pull`). Skipped and cancelled annotations do not count. Results that are not text
    spans (choices, relations, text areas) are counted, not read. Predictions are kept per
    `model_version`; those the export lists by id only, without their results, are counted.
    """
    if not isinstance(export, list):
        raise NerbenchError(f"{where}: not a Label Studio JSON export: expected a list of tasks, got {type(export).__name__}")
    tasks = []
    for n, task in enumerate(export):
        if not isinstance(task, dict) or not isinstance(task.get("id"), int) or not isinstance(task.get("data"), dict):
            raise NerbenchError(f"{where}: item {n} is not a task with an id and data")
        task_id, data = task["id"], task["data"]
        text = data.get(text_field)
        if not isinstance(text, str):
            raise NerbenchError(f"{where}: task {task_id}: data has no text field {text_field!r} (name the field with --text-field)")
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) else None
        task_where = f"{where}: task {task_id}" + (f" (document {doc_id})" if doc_id else "")
        skipped: dict[str, int] = {}
        submitted = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if len(submitted) > 1:
            truth = [a for a in submitted if a.get("ground_truth")]
            if len(truth) != 1:
                raise NerbenchError(
                    f"{task_where}: {len(submitted)} annotations and {len(truth) or 'none'} marked as ground truth; "
                    "mark one as the ground truth (or adjudicate with `nerbench pull`) before importing"
                )
            submitted = truth
        gold = None
        if submitted:
            ann = submitted[0]
            gold = _any_spans(ann.get("result") or [], text, f"{task_where}, annotation {ann.get('id')}", skipped, prediction=False)
        predictions: dict[str, list[Span]] = {}
        ids_only = 0
        for pred in task.get("predictions") or []:
            if isinstance(pred, int) and not isinstance(pred, bool):
                ids_only += 1
                continue
            if not isinstance(pred, dict):
                raise NerbenchError(f"{task_where}: a prediction is neither an object nor an id: {pred!r}")
            version = str(pred.get("model_version") or "unnamed model")
            if version in predictions:
                raise NerbenchError(f"{task_where}: two predictions of model version {version!r}")
            predictions[version] = _any_spans(pred.get("result") or [], text, f"{task_where}, prediction of {version}", skipped, prediction=True)
        tasks.append(ExportedTask(task_id, doc_id, text, gold, predictions, skipped, ids_only))
    return tasks


def _any_spans(result: Any, text: str, where: str, skipped: dict[str, int], prediction: bool) -> list[Span]:
    if not isinstance(result, list):
        raise NerbenchError(f"{where}: result is not a list")
    spans = []
    for item in result:
        kind = item.get("type") if isinstance(item, dict) else type(item).__name__
        if kind == "labels":
            spans.append(item)
        else:
            skipped[str(kind)] = skipped.get(str(kind), 0) + 1
    return _result_spans(spans, text, None, where, names=None, prediction=prediction)


def tasks_json(documents: Sequence[tuple[str, str, Sequence[Span]]], as_predictions: bool = False, model_version: str = "") -> list[dict[str, Any]]:
    """Tasks to import into a project made by `nerbench push` (same data fields), the spans as
    annotations or as predictions of `model_version`."""
    tasks = []
    for doc_id, text, spans in documents:
        task: dict[str, Any] = {"data": {"text": text, "doc_id": doc_id, "text_sha256": sha256_text(text)}}
        if as_predictions:
            task["predictions"] = [{"model_version": model_version, "result": spans_to_result(spans, text)}]
        else:
            task["annotations"] = [{"result": spans_to_result(spans, text)}]
        tasks.append(task)
    return tasks
