"""`make push`: create (or find) the project and import every seed as a task, in one bulk request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from nerbench.errors import NerbenchError
from nerbench.fileio import sha256_text
from nerbench.formats.labelstudio import spans_to_result
from nerbench.gold import Document
from nerbench.labels import LabelScheme
from nerbench.seeds import Seeds
from nerbench.spans import Span

from .client import NO_RETRY, Connection, api_errors, find_project, require_project
from .labelconfig import instructions, label_config


@dataclass
class PushResult:
    project_id: int
    project_url: str
    created: bool
    config_updated: bool
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    predictions: int = 0


def existing_tasks(client, conn: Connection, project_id: int) -> dict[str, dict[str, Any]]:
    """doc_id -> {"id", "text_sha256", "model_versions"} for the project's tasks."""
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


def push(
    client,
    conn: Connection,
    seeds: Seeds,
    scheme: LabelScheme,
    guidelines: str,
    title: str,
    predictions: Mapping[str, Sequence[Span]] | None = None,
    model_version: str | None = None,
) -> PushResult:
    """Create or find the project, then import the seeds it does not have yet.

    A seed whose text changed since it was pushed is refused (nothing is imported), never
    pushed as a second task. `predictions` (doc id -> spans) become Label Studio predictions
    carrying `model_version`.
    """
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
    if project is None:
        with api_errors(conn, f"creating project {title!r}"):
            project = client.projects.create(
                title=title,
                description=description,
                label_config=config,
                expert_instruction=instruction_html,
                show_instruction=True,
                show_skip_button=True,
                enable_empty_annotation=True,
            )
        created = True
    elif (project.label_config or "").strip() != config.strip() or (project.description or "") != description:
        with api_errors(conn, f"updating the labeling config and instructions of project {project.id}"):
            client.projects.update(
                id=project.id, label_config=config, expert_instruction=instruction_html, description=description
            )
        config_updated = True
    result = PushResult(project.id, f"{conn.url}/projects/{project.id}/data", created, config_updated)
    tasks = existing_tasks(client, conn, project.id)
    changed = [
        f"{doc_id} (task {tasks[doc_id]['id']})"
        for doc_id in seeds.ids
        if doc_id in tasks and tasks[doc_id]["text_sha256"] != seeds.get(doc_id).sha256
    ]
    if changed:
        raise NerbenchError(
            f"Label Studio project {project.id} at {conn.url}: seed text changed since it was pushed: {', '.join(changed)}; "
            "nothing was pushed. Restore the seed, or delete the old task in Label Studio if the change is meant"
        )
    new = []
    for doc_id in seeds.ids:
        if doc_id in tasks:
            result.unchanged.append(doc_id)
            continue
        task: dict[str, Any] = {"data": {"text": texts[doc_id], "doc_id": doc_id, "text_sha256": seeds.get(doc_id).sha256}}
        if predictions is not None:
            task["predictions"] = [{"model_version": model_version, "result": spans_to_result(predictions.get(doc_id, ()), texts[doc_id])}]
            result.predictions += 1
        new.append(task)
        result.imported.append(doc_id)
    if new:
        # One bulk request, never retried by the SDK: a retry after a lost response would import twice.
        with api_errors(conn, f"importing {len(new)} tasks into project {project.id}"):
            client.projects.import_tasks(id=project.id, request=new, request_options=NO_RETRY)
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


def find_or_create_user(client, conn: Connection, email: str) -> int:
    with api_errors(conn, "listing users"):
        for user in client.users.list():
            if (user.email or "").lower() == email.lower():
                return user.id
    with api_errors(conn, f"creating user {email}"):
        user = client.users.create(username=email.split("@")[0], email=email, password=secrets.token_urlsafe(18))
    return user.id


def import_annotations(
    client, conn: Connection, documents: Sequence[Document], title: str, annotator: str, ground_truth: bool = False
) -> dict[str, Any]:
    """Enter annotations made outside Label Studio (a gold-format file) as `annotator`'s own.

    Each document goes to its task (matched by doc id and text hash). A document on which this
    annotator already has a submitted annotation is left alone, so running it twice adds nothing.
    """
    project = require_project(client, conn, title)
    tasks = existing_tasks(client, conn, project.id)
    for doc in documents:
        task = tasks.get(doc.id)
        if task is None:
            raise NerbenchError(f"Label Studio project {project.id}: no task for document {doc.id}; run `make push` first")
        if task["text_sha256"] != doc.text_sha256:
            raise NerbenchError(f"Label Studio project {project.id}, task {task['id']}: text of document {doc.id} differs from the file's")
    user_id = find_or_create_user(client, conn, annotator)
    added, kept = [], []
    for doc in documents:
        task_id = tasks[doc.id]["id"]
        with api_errors(conn, f"listing the annotations of task {task_id}"):
            mine = [a for a in client.annotations.list(id=task_id) if _user_id(a.completed_by) == user_id and not a.was_cancelled]
        if mine:
            kept.append(doc.id)
            continue
        with api_errors(conn, f"creating an annotation on task {task_id}"):
            client.annotations.create(
                id=task_id,
                result=spans_to_result(doc.spans, doc.text),
                completed_by=user_id,
                ground_truth=ground_truth,
                request_options=NO_RETRY,
            )
        added.append(doc.id)
    return {"project_id": project.id, "annotator": annotator, "user_id": user_id, "added": added, "already_there": kept}


def set_ground_truth(client, conn: Connection, title: str, doc_id: str, annotator: str) -> dict[str, Any]:
    """Mark `annotator`'s latest submitted annotation of a document as its ground truth (a reviewer's decision).

    Label Studio 1.23.2 Community shows ground truth but has no button to set it; this is that
    button. Pull then takes this annotation as the document's gold.
    """
    project = require_project(client, conn, title)
    task = existing_tasks(client, conn, project.id).get(doc_id)
    if task is None:
        raise NerbenchError(f"Label Studio project {project.id}: no task for document {doc_id}")
    with api_errors(conn, "listing users"):
        users = {u.id: (u.email or "").lower() for u in client.users.list()}
    with api_errors(conn, f"listing the annotations of task {task['id']}"):
        mine = [
            a
            for a in client.annotations.list(id=task["id"])
            if users.get(_user_id(a.completed_by)) == annotator.lower() and not a.was_cancelled
        ]
    if not mine:
        raise NerbenchError(f"Label Studio project {project.id}, task {task['id']} (document {doc_id}): no submitted annotation by {annotator}")
    latest = max(mine, key=lambda a: (str(a.updated_at or ""), a.id))
    with api_errors(conn, f"marking annotation {latest.id} as ground truth"):
        client.annotations.update(id=latest.id, ground_truth=True)
    return {"project_id": project.id, "task_id": task["id"], "annotation_id": latest.id}


def _user_id(completed_by: Any) -> int | None:
    if isinstance(completed_by, dict):
        return completed_by.get("id")
    return completed_by
