"""Label Studio's JSON, at the edge: export tasks and annotation results to and from `Span`.

No SDK and no network: pure functions over the JSON that Label Studio exports and imports, used
by `nerbench pull` (a live export) and by anything that reads a saved export file. A result is a
`labels` region of the project made by `nerbench push` (`from_name` "label", `to_name` "text"),
with half-open code-point offsets, the same convention as `Span`.

Every field read from an export is checked for its type: a wrong one is one NerbenchError line
naming the task and annotation, never a traceback or a silent default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from nerbench.agreement import AnnotatedDocument
from nerbench.agreement import Annotation
from nerbench.errors import NerbenchError
from nerbench.fileio import sha256_text
from nerbench.labels import LabelScheme
from nerbench.reanchor import reanchor
from nerbench.seeds import Seeds
from nerbench.spans import Span, parse_spans

FROM_NAME = "label"  # the <Labels> control: `from_name` of every result
TO_NAME = "text"  # the <Text> object: `to_name` of every result
CARRIED = "nerbench_carried"  # task data key of a task whose annotations were carried from an older text


@dataclass(frozen=True)
class ExportedAnnotation:
    """A submitted annotation as Label Studio exports it, with who saved it (skipped ones are in `DocumentAnnotations.skipped`); `DocumentAnnotations.passes` turns it into `nerbench.agreement.Annotation`."""

    id: int
    task: int
    annotator: str
    spans: tuple[Span, ...]
    ground_truth: bool
    updated_at: str
    editor: str | None = None  # who last saved it, when that is not its author (`updated_by`)
    lead_time: float | None = None
    import_id: int | None = None  # the id it had before a carry-over (Label Studio keeps it on import)
    saved: bool = True  # saved through the API or the editor since it was created (`updated_by` set)


@dataclass
class DocumentAnnotations:
    doc_id: str
    text: str
    tasks: list[int] = field(default_factory=list)
    annotations: list[ExportedAnnotation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # annotators who skipped (cancelled) the task
    skipped_ids: dict[int, str] = field(default_factory=dict)  # skipped annotation id -> its annotator
    drafts: list[str] = field(default_factory=list)  # annotators with an unsubmitted draft
    carried: list[dict[str, Any]] = field(default_factory=list)  # the task data's CARRIED records

    def passes(self) -> AnnotatedDocument:
        """The document for `nerbench.agreement`: annotations edited by someone else are left out."""
        kept = [
            Annotation(a.annotator, a.spans, a.ground_truth, a.id, a.updated_at, a.lead_time)
            for a in self.annotations
            if a.editor is None or a.ground_truth
        ]
        return AnnotatedDocument(self.doc_id, self.text, kept, sorted(set(self.skipped)))


def parse_export(
    export: Any, seeds: Seeds, scheme: LabelScheme, users: Mapping[int, str] | None = None, where: str = "export"
) -> dict[str, DocumentAnnotations]:
    """Validate an export (a list of tasks) and collect every annotation per seed document.

    Raises NerbenchError naming the task (and annotation) for: a field of the wrong type, a task
    without text or document id, a document that is not a seed, a text that no longer matches its
    seed, a result that is not a single label from the scheme, offsets outside the text,
    `value.text` that differs from the slice, whitespace at a span's edge, and overlapping spans
    in one annotation. Skipped annotations are listed by annotator, not parsed.
    """
    users = users or {}
    if not isinstance(export, list):
        raise NerbenchError(f"{where}: malformed export: expected a JSON list of tasks, got {type(export).__name__}")
    docs: dict[str, DocumentAnnotations] = {}
    for n, task in enumerate(export):
        if not isinstance(task, dict) or not _is_int(task.get("id")) or not isinstance(task.get("data"), dict):
            raise NerbenchError(f"{where}: malformed export: item {n} is not a task with an integer id and data")
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
                f"(SHA-256 {actual[:12]}…, seed {seed.sha256[:12]}…); the task was pushed from another version of the text: "
                "carry its annotations over with `nerbench labelstudio carry-over`"
            )
        doc = docs.setdefault(doc_id, DocumentAnnotations(doc_id, text))
        doc.tasks.append(task_id)
        task_where = f"{where}: task {task_id} (document {doc_id})"
        if isinstance(data.get(CARRIED), dict):
            doc.carried.append({"task": task_id, **data[CARRIED]})
        for i, ann in enumerate(_list(task, "annotations", task_where)):
            parsed = _annotation(ann, i, task_id, text, scheme, users, task_where)
            if parsed is None:
                doc.skipped.append(_annotator(ann.get("completed_by"), users, task_where))
                doc.skipped_ids[ann["id"]] = doc.skipped[-1]
            else:
                doc.annotations.append(parsed)
        for i, draft in enumerate(_list(task, "drafts", task_where)):
            if isinstance(draft, dict):  # exports list drafts expanded; a bare id says nothing of its author
                user = draft.get("user")
                if not isinstance(user, str):
                    raise NerbenchError(f"{task_where}, draft {i}: \"user\" is {type(user).__name__}, expected the author's e-mail")
                doc.drafts.append(user)
    return docs


def _list(obj: dict, key: str, where: str) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NerbenchError(f'{where}: "{key}" is {type(value).__name__}, expected a list')
    return value


def _annotation(ann: Any, i: int, task_id: int, text: str, scheme: LabelScheme, users: Mapping[int, str], where: str) -> ExportedAnnotation | None:
    """One annotation of a task, checked field by field; None for a skipped (cancelled) one."""
    if not isinstance(ann, dict):
        raise NerbenchError(f"{where}: annotation {i} is {type(ann).__name__}, expected an object")
    ann_id = ann.get("id")
    if not _is_int(ann_id):
        raise NerbenchError(f'{where}: annotation {i}: "id" is {ann_id!r}, expected an integer')
    where = f"{where}, annotation {ann_id}"
    for key in ("was_cancelled", "ground_truth"):
        if not isinstance(ann.get(key, False), bool):
            raise NerbenchError(f'{where}: "{key}" is {ann.get(key)!r}, expected true or false')
    annotator = _annotator(ann.get("completed_by"), users, where)
    if ann.get("was_cancelled"):
        return None
    where = f"{where} by {annotator}"
    updated_by = ann.get("updated_by")
    if updated_by is not None and not _is_int(updated_by) and not isinstance(updated_by, dict):
        raise NerbenchError(f'{where}: "updated_by" is {updated_by!r}, expected a user id')
    editor = _annotator(updated_by, users, where) if updated_by is not None else None
    lead_time = ann.get("lead_time")
    if lead_time is not None and (not isinstance(lead_time, (int, float)) or isinstance(lead_time, bool) or not math.isfinite(lead_time)):
        raise NerbenchError(f'{where}: "lead_time" is {lead_time!r}, expected seconds')
    updated_at = ann.get("updated_at", "")
    if not isinstance(updated_at, str):
        raise NerbenchError(f'{where}: "updated_at" is {updated_at!r}, expected a date')
    import_id = ann.get("import_id")
    result = ann.get("result")
    if result is None:
        result = []
    if not isinstance(result, list):
        raise NerbenchError(f'{where}: "result" is {type(result).__name__}, expected a list')
    return ExportedAnnotation(
        ann_id,
        task_id,
        annotator,
        tuple(result_spans(result, text, scheme, where)),
        bool(ann.get("ground_truth")),
        updated_at,
        editor if editor != annotator else None,
        float(lead_time) if lead_time is not None else None,
        import_id if _is_int(import_id) else None,
        updated_by is not None,
    )


def _annotator(user: Any, users: Mapping[int, str], where: str) -> str:
    if isinstance(user, dict):  # older exports expand the user
        email, uid = user.get("email"), user.get("id")
        if isinstance(email, str) and email:
            return email
        if _is_int(uid):
            return users.get(uid, f"user {uid}")
    elif _is_int(user):
        return users.get(user, f"user {user}")
    raise NerbenchError(f'{where}: "completed_by" is {user!r}, expected a user id')


def result_spans(
    result: list,
    text: str,
    scheme: LabelScheme | None,
    where: str,
    names: tuple[str, str] | None = (FROM_NAME, TO_NAME),
    prediction: bool = False,
) -> list[Span]:
    """The spans of an annotation's `result`, validated against the text (NerbenchError naming `where`).

    `names`: the (from_name, to_name) every result must have, None for any (then `value.text` is
    checked only where a result has it: predictions imported by other tools may not). With
    `prediction`, the spans are a model's (see `parse_spans`).
    """
    raw = []
    for i, item in enumerate(result):
        if not isinstance(item, dict) or item.get("type") != "labels" or (names and item.get("from_name") != names[0]):
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            raise NerbenchError(f"{where}: result {i} is a {kind!r}, not a span from the {FROM_NAME!r} labels")
        if names and item.get("to_name") != names[1]:
            raise NerbenchError(f"{where}: result {i} labels {item.get('to_name')!r}, not the {TO_NAME!r} field")
        value = item.get("value")
        if not isinstance(value, dict):
            raise NerbenchError(f'{where}: result {i}: "value" is {type(value).__name__}, expected an object')
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            raise NerbenchError(f"{where}: result {i} has labels {labels!r}; a span carries exactly one label")
        raw.append({"start": value.get("start"), "end": value.get("end"), "label": labels[0]})
        if names or "text" in value:
            raw[-1]["text"] = value.get("text")
    return parse_spans(text, raw, scheme, where, require_sorted=False, prediction=prediction)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def carry_task(task: dict, new_text: str, new_sha256: str, scheme: LabelScheme, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task of an older text remade for the new one: (the task to import, what was carried and what not).

    Every annotation keeps its author (`completed_by`), ground-truth mark, skip and time, and its
    old id (Label Studio keeps it as `import_id`); its spans go through `nerbench.reanchor`. The
    spans that could not be placed are kept, on the old text, in the task data under `CARRIED`.
    Drafts and predictions are not carried.
    """
    task_id, data = task["id"], task["data"]
    old_text = data["text"]
    task_where = f"{where}: task {task_id} (document {data.get('doc_id')})"
    annotations, unplaced, carried = [], {}, 0
    for i, ann in enumerate(_list(task, "annotations", task_where)):
        if not isinstance(ann, dict) or not _is_int(ann.get("id")):
            raise NerbenchError(f"{task_where}: annotation {i} is not an object with an integer id")
        user = ann.get("completed_by")
        user_id = user.get("id") if isinstance(user, dict) else user
        if not _is_int(user_id):
            raise NerbenchError(f'{task_where}, annotation {ann["id"]}: "completed_by" is {user!r}, expected a user id')
        entry: dict[str, Any] = {
            "id": ann["id"],
            "completed_by": user_id,
            "ground_truth": ann.get("ground_truth") is True,  # Label Studio's import would make it a ground truth otherwise
            "was_cancelled": ann.get("was_cancelled") is True,
            "result": [],
        }
        if isinstance(ann.get("lead_time"), (int, float)) and not isinstance(ann.get("lead_time"), bool):
            entry["lead_time"] = ann["lead_time"]
        if not entry["was_cancelled"]:
            result = ann.get("result") or []
            if not isinstance(result, list):
                raise NerbenchError(f'{task_where}, annotation {ann["id"]}: "result" is {type(result).__name__}, expected a list')
            spans = result_spans(result, old_text, scheme, f"{task_where}, annotation {ann['id']}")
            placed, lost = reanchor(old_text, new_text, spans)
            entry["result"] = spans_to_result(placed, new_text)
            carried += len(placed)
            if lost:
                unplaced[str(ann["id"])] = [s.to_dict(old_text) for s in lost]
        annotations.append(entry)
    new_data = {k: v for k, v in data.items() if k != CARRIED}
    new_data.update(text=new_text, text_sha256=new_sha256)
    new_data[CARRIED] = {"from_task": task_id, "from_sha256": sha256_text(old_text), "unplaced": unplaced}
    drafts = [d.get("user") for d in _list(task, "drafts", task_where) if isinstance(d, dict)]
    report = {"annotations": len(annotations), "carried": carried, "unplaced": [dict(s, annotation=int(a)) for a, ss in unplaced.items() for s in ss], "drafts_dropped": drafts}
    return {"data": new_data, "annotations": annotations}, report


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
    return result_spans(spans, text, None, where, names=None, prediction=prediction)


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
