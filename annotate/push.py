"""`make push` and the other commands that write to Label Studio: tasks, annotations, ground truth, carry-over.

Each command is a pure plan (testable without a server) and the calls that carry it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from nerbench.errors import NerbenchError
from nerbench.fileio import sha256_text
from nerbench.formats.labelstudio import CARRIED, carry_task, result_spans, spans_to_result
from nerbench.gold import Document
from nerbench.labels import LabelScheme
from nerbench.seeds import Seeds
from nerbench.spans import Span

from .client import NO_RETRY, Connection, api_errors, find_project, require_project, whoami
from .labelconfig import instructions, label_config

DEFAULT_ANNOTATORS = 2


def project_settings(annotators: int, preannotate: bool) -> dict[str, Any]:
    """The project settings of Label Studio Community 1.23.2 that keep passes independent.

    What Community cannot enforce: any user may open any task from the Data Manager's list and
    see (and save over) everyone's annotations there; `pull` catches the saving over (the
    annotation's `updated_by` is not its author), the README tells annotators to use *Label All
    Tasks* only.
    """
    if isinstance(annotators, bool) or not isinstance(annotators, int) or annotators < 1:
        raise NerbenchError(f"--annotators {annotators}: the number of independent passes per document must be 1 or more")
    return {
        "maximum_annotations": annotators,  # the label stream serves each task to this many different people
        "overlap_cohort_percentage": 100,  # ... every task, not a sample of them
        "show_overlap_first": False,
        "sampling": "Sequential sampling",
        "skip_queue": "REQUEUE_FOR_OTHERS",  # a task one person skipped goes to someone else
        "show_annotation_history": False,  # no history of who changed what in the editor
        "show_collab_predictions": bool(preannotate),  # model predictions only when pushed on purpose
        "reveal_preannotations_interactively": False,
        "show_ground_truth_first": False,  # a reviewer's ground truth is never served to annotators as a start
        "annotator_evaluation_enabled": False,  # (it would serve ground-truth tasks first, to score annotators)
        "show_skip_button": True,
        "enable_empty_annotation": True,  # a document without entities is submitted empty
        "show_instruction": True,
    }


@dataclass
class PushPlan:
    new: list[dict[str, Any]]  # tasks to import
    imported: list[str]
    unchanged: list[str]
    changed: list[str]  # "doc (task N)": texts that differ from the task's


@dataclass
class PushResult:
    project_id: int
    project_url: str
    created: bool
    config_updated: bool
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    predictions: int = 0
    settings_changed: list[str] = field(default_factory=list)
    annotators: int = DEFAULT_ANNOTATORS


def existing_tasks(client, conn: Connection, project_id: int) -> dict[str, dict[str, Any]]:
    """doc_id -> {"id", "text_sha256", "model_versions"} for the project's tasks (the first task of a document)."""
    found: dict[str, dict[str, Any]] = {}
    with api_errors(conn, f"listing the tasks of project {project_id}"):
        for task in client.tasks.list(project=project_id):
            data = task.data or {}
            doc_id = data.get("doc_id")
            if doc_id is None:
                continue
            versions = {getattr(p, "model_version", None) or (p.get("model_version") if isinstance(p, dict) else None) for p in (task.predictions or [])}
            found.setdefault(doc_id, {"id": task.id, "text_sha256": data.get("text_sha256"), "model_versions": versions})
    return found


def plan_push(
    seeds: Seeds,
    texts: Mapping[str, str],
    tasks: Mapping[str, Mapping[str, Any]],
    predictions: Mapping[str, Sequence[Span]] | None = None,
    model_version: str | None = None,
) -> PushPlan:
    """Which seeds become tasks, which are there already, which changed since they were pushed."""
    plan = PushPlan([], [], [], [])
    for doc_id in seeds.ids:
        if doc_id in tasks:
            if tasks[doc_id]["text_sha256"] != seeds.get(doc_id).sha256:
                plan.changed.append(f"{doc_id} (task {tasks[doc_id]['id']})")
            else:
                plan.unchanged.append(doc_id)
            continue
        task: dict[str, Any] = {"data": {"text": texts[doc_id], "doc_id": doc_id, "text_sha256": seeds.get(doc_id).sha256}}
        if predictions is not None:
            task["predictions"] = [{"model_version": model_version, "result": spans_to_result(predictions.get(doc_id, ()), texts[doc_id])}]
        plan.new.append(task)
        plan.imported.append(doc_id)
    return plan


def push(
    client,
    conn: Connection,
    seeds: Seeds,
    scheme: LabelScheme,
    guidelines: str,
    title: str,
    predictions: Mapping[str, Sequence[Span]] | None = None,
    model_version: str | None = None,
    annotators: int = DEFAULT_ANNOTATORS,
) -> PushResult:
    """Create or find the project, set it up for `annotators` independent passes, import the seeds it does not have yet.

    A seed whose text changed since it was pushed is refused (nothing is imported), never pushed
    as a second task: `nerbench labelstudio carry-over` moves its annotations to the new text.
    `predictions` (doc id -> spans) become Label Studio predictions carrying `model_version`.
    """
    settings = project_settings(annotators, predictions is not None)
    texts = seeds.texts()  # checks every seed against its hash first
    config = label_config(scheme)
    # Label Studio rewrites the instructions' HTML, so what was pushed is recognised by this line.
    instruction_html = instructions(guidelines, scheme)
    description = (
        f"Created by nerbench push. Label scheme: {scheme.name} (sha256 {scheme.sha256[:12]}); "
        f"guidelines sha256 {sha256_text(guidelines)[:12]}; instructions sha256 {sha256_text(instruction_html)[:12]}."
    )
    project = find_project(client, conn, title)
    created = config_updated = False
    changed_settings: list[str] = []
    if project is None:
        with api_errors(conn, f"creating project {title!r}"):
            project = client.projects.create(
                title=title, description=description, label_config=config, expert_instruction=instruction_html, **settings
            )
        created = True
    else:
        update: dict[str, Any] = {}
        if (project.label_config or "").strip() != config.strip() or (project.description or "") != description:
            update.update(label_config=config, expert_instruction=instruction_html, description=description)
            config_updated = True
        for key, value in settings.items():
            if getattr(project, key, value) != value:
                update[key] = value
                changed_settings.append(f"{key} {getattr(project, key, None)!r} -> {value!r}")
        if update:
            with api_errors(conn, f"updating the settings of project {project.id}"):
                client.projects.update(id=project.id, **update)
    result = PushResult(project.id, f"{conn.where}/projects/{project.id}/data", created, config_updated, settings_changed=changed_settings, annotators=annotators)
    tasks = existing_tasks(client, conn, project.id)
    plan = plan_push(seeds, texts, tasks, predictions, model_version)
    if plan.changed:
        raise NerbenchError(
            f"Label Studio project {project.id} at {conn.where}: seed text changed since it was pushed: {', '.join(plan.changed)}; "
            "nothing was pushed. Carry the annotations over to the new text with `nerbench labelstudio carry-over`, "
            "or restore the seed"
        )
    result.imported, result.unchanged = plan.imported, plan.unchanged
    result.predictions = len(plan.new) if predictions is not None else 0
    if plan.new:
        # One bulk request, never retried by the SDK: a retry after a lost response would import twice.
        with api_errors(conn, f"importing {len(plan.new)} tasks into project {project.id}"):
            client.projects.import_tasks(id=project.id, request=plan.new, request_options=NO_RETRY)
    if predictions is not None:
        for doc_id in result.unchanged:
            if model_version in tasks[doc_id]["model_versions"]:
                continue
            with api_errors(conn, f"adding predictions to task {tasks[doc_id]['id']}"):
                client.predictions.create(
                    task=tasks[doc_id]["id"],
                    result=spans_to_result(predictions.get(doc_id, ()), texts[doc_id]),
                    model_version=model_version,
                    request_options=NO_RETRY,
                )
            result.predictions += 1
    return result


# ---- annotations entered with a person's own key ------------------------------------------------


def import_annotations(
    client, conn: Connection, documents: Sequence[Document], title: str, scheme: LabelScheme, ground_truth: bool = False
) -> dict[str, Any]:
    """Enter annotations made outside Label Studio (a gold-format file) as the key owner's own.

    Each document goes to its task (matched by doc id and text hash). Where the key's owner has
    a submitted annotation already, it is updated to the file's spans (their own edit, so it
    stays theirs); an identical one is left alone, so running it twice changes nothing.
    `ground_truth` marks each as the document's ground truth (a reviewer's decision).
    """
    user_id, me = whoami(client, conn)
    project = require_project(client, conn, title)
    tasks = existing_tasks(client, conn, project.id)
    for doc in documents:
        task = tasks.get(doc.id)
        if task is None:
            raise NerbenchError(f"Label Studio project {project.id}: no task for document {doc.id}; run `make push` first")
        if task["text_sha256"] != doc.text_sha256:
            raise NerbenchError(f"Label Studio project {project.id}, task {task['id']}: text of document {doc.id} differs from the file's")
    added, updated, unchanged = [], [], []
    for doc in documents:
        task_id = tasks[doc.id]["id"]
        mine = _own_annotations(client, conn, task_id, user_id)
        if not mine:
            with api_errors(conn, f"creating an annotation on task {task_id}"):
                client.annotations.create(
                    id=task_id, result=spans_to_result(doc.spans, doc.text), ground_truth=ground_truth, request_options=NO_RETRY
                )
            added.append(doc.id)
            continue
        latest = max(mine, key=lambda a: (str(a.updated_at or ""), a.id))
        where = f"Label Studio project {project.id}, task {task_id}, annotation {latest.id} by {me}"
        same = set(result_spans(latest.result or [], doc.text, scheme, where)) == set(doc.spans)
        if same and (bool(latest.ground_truth) or not ground_truth):
            unchanged.append(doc.id)
            continue
        with api_errors(conn, f"updating annotation {latest.id} on task {task_id}"):
            client.annotations.update(
                id=latest.id, result=spans_to_result(doc.spans, doc.text), **({"ground_truth": True} if ground_truth else {})
            )
        updated.append(doc.id)
    return {"project_id": project.id, "annotator": me, "user_id": user_id, "added": added, "updated": updated, "unchanged": unchanged}


def _own_annotations(client, conn: Connection, task_id: int, user_id: int) -> list:
    with api_errors(conn, f"listing the annotations of task {task_id}"):
        return [a for a in client.annotations.list(id=task_id) if _user_id(a.completed_by) == user_id and not a.was_cancelled]


def set_ground_truth(client, conn: Connection, title: str, doc_id: str, annotator: str | None = None) -> dict[str, Any]:
    """Mark a submitted annotation of a document as its ground truth (a reviewer's decision).

    The annotation is the latest of `annotator` (an e-mail), by default of the key's owner: a
    reviewer marks their own with their own key. Label Studio 1.23.2 Community shows ground truth
    but has no button to set it; this is that button. Pull then takes it as the document's gold.
    """
    me_id, me = whoami(client, conn)
    project = require_project(client, conn, title)
    task = existing_tasks(client, conn, project.id).get(doc_id)
    if task is None:
        raise NerbenchError(f"Label Studio project {project.id}: no task for document {doc_id}")
    who = (annotator or me).lower()
    user_id = me_id
    if annotator and annotator.lower() != me.lower():
        with api_errors(conn, "listing users"):
            ids = [u.id for u in client.users.list() if (u.email or "").lower() == who]
        if len(ids) != 1:
            raise NerbenchError(f"Label Studio at {conn.where} has {len(ids)} accounts with the e-mail {annotator}; expected one")
        user_id = ids[0]
    mine = _own_annotations(client, conn, task["id"], user_id)
    if not mine:
        raise NerbenchError(f"Label Studio project {project.id}, task {task['id']} (document {doc_id}): no submitted annotation by {who}")
    latest = max(mine, key=lambda a: (str(a.updated_at or ""), a.id))
    with api_errors(conn, f"marking annotation {latest.id} as ground truth"):
        client.annotations.update(id=latest.id, ground_truth=True)
    return {"project_id": project.id, "task_id": task["id"], "annotation_id": latest.id, "annotator": who, "marked_by": me}


def _user_id(completed_by: Any) -> int | None:
    if isinstance(completed_by, dict):
        return completed_by.get("id")
    return completed_by


# ---- carry-over to changed seeds ----------------------------------------------------------------


def plan_carry_over(export: list, seeds: Seeds, scheme: LabelScheme, where: str) -> tuple[list[dict[str, Any]], list[int], dict[str, Any]]:
    """(new tasks to import, old task ids to delete, per document what was carried and what not).

    A task whose text is not its seed's any more is replaced by a task with the seed's text and
    every annotation of the old one (skips too) carried over by `nerbench.reanchor`, with its
    author, ground-truth mark and time; spans that could not be placed are recorded in the new
    task's data (`nerbench_carried`), so that `pull` keeps the document provisional until the
    annotation is saved again. A document that has a task with the new text already (an earlier
    run stopped halfway) only loses its old task.
    """
    if not isinstance(export, list):
        raise NerbenchError(f"{where}: malformed export: expected a JSON list of tasks")
    current = {
        t["data"].get("doc_id")
        for t in export
        if isinstance(t, dict) and isinstance(t.get("data"), dict) and isinstance(t["data"].get("text"), str)
        and (seed := seeds.get(t["data"].get("doc_id"))) is not None and sha256_text(t["data"]["text"]) == seed.sha256
    }
    new, old_ids, summary = [], [], {}
    for task in export:
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            continue
        doc_id = data.get("doc_id")
        seed = seeds.get(doc_id) if isinstance(doc_id, str) else None
        if seed is None or sha256_text(data["text"]) == seed.sha256:
            continue
        old_ids.append(task["id"])
        if doc_id in current:
            summary.setdefault(doc_id, {"task": task["id"], "carried": 0, "unplaced": [], "note": "already carried; old task deleted"})
            continue
        carried, report = carry_task(task, seeds.text(doc_id), seed.sha256, scheme, where)
        new.append(carried)
        summary[doc_id] = {"task": task["id"], **report}
        current.add(doc_id)
    return new, old_ids, summary


def carry_over(client, conn: Connection, seeds: Seeds, scheme: LabelScheme, title: str) -> dict[str, Any]:
    """Replace every task whose seed changed by one with the new text and the annotations carried over."""
    import json

    from .pull import fetch_export

    seeds.texts()
    project = require_project(client, conn, title)
    where = f"Label Studio project {project.id} at {conn.where}"
    export = json.loads(fetch_export(client, conn, project.id))
    new, old_ids, summary = plan_carry_over(export, seeds, scheme, where)
    if new:
        with api_errors(conn, f"importing {len(new)} carried tasks into project {project.id}"):
            client.projects.import_tasks(id=project.id, request=new, request_options=NO_RETRY)
    for task_id in old_ids:
        with api_errors(conn, f"deleting the old task {task_id}"):
            client.tasks.delete(id=task_id)
    return {"project_id": project.id, "documents": summary, "carried_key": CARRIED}
