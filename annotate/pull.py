"""`make pull`: export the project, validate it, adjudicate, and write gold/ as one set of files.

`plan_pull` is pure (an export in, the files to write and the report out); `pull` fetches the
export and writes the plan, or only shows it (`dry_run`). The agreement, adjudication and diff
are `nerbench.agreement`'s; this module adds what only Label Studio knows: who skipped, who left a
draft, whose annotation someone else saved, which task was deleted.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from nerbench.agreement import AnnotatedDocument, Decision, agreement, annotator_figures, build_gold, diff_gold
from nerbench.agreement_report import agreement_lines, agreement_tables, annotator_table, conflict_summary, conflict_table
from nerbench.errors import NerbenchError
from nerbench.fileio import FileSet, parse_json
from nerbench.formats.labelstudio import DocumentAnnotations, parse_export
from nerbench.gold import Document, dumps_gold, load_gold
from nerbench.labels import LabelScheme
from nerbench.seeds import Seeds
from nerbench.tables import Table, md_escape, to_markdown

from .client import Connection, api_errors, require_project

EXPORT_NAME = "labelstudio-export.json"
REPORT_NAME = "pull-report.json"
REPORT_MD_NAME = "pull-report.md"
TERMINAL_CONFLICTS = 20  # conflict and change lines on the terminal; the report lists every one


@dataclass
class PullResult:
    report: dict[str, Any]
    written: list[Path]
    files: dict[Path, str] = field(default_factory=dict)


def fetch_export(client, conn: Connection, project_id: int) -> bytes:
    """The whole project as Label Studio JSON, in one export request (drafts expanded, with their authors)."""
    with api_errors(conn, f"exporting project {project_id}"):
        return b"".join(client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True))


def fetch_users(client, conn: Connection) -> dict[int, str]:
    try:
        with api_errors(conn, "listing users"):
            return {u.id: u.email or u.username or f"user {u.id}" for u in client.users.list()}
    except NerbenchError:
        return {}  # a token that may not list users: annotators are then shown by id


def pull(
    client,
    conn: Connection,
    seeds: Seeds,
    scheme: LabelScheme,
    title: str,
    gold_path: Path,
    reviewers: Sequence[str] = (),
    allow_removals: bool = False,
    dry_run: bool = False,
) -> PullResult:
    """Export the project and write (or, with `dry_run`, only plan) the gold, the export and the pull report."""
    seeds.texts()  # every seed against its manifest first: a changed seed is not pulled silently
    project = require_project(client, conn, title)
    raw = fetch_export(client, conn, project.id)
    required = int(getattr(project, "maximum_annotations", None) or 1)
    plan = plan_pull(
        raw, seeds, scheme, gold_path, fetch_users(client, conn), f"Label Studio project {project.id} at {conn.where}", required, reviewers, allow_removals
    )
    if dry_run:
        return PullResult(plan.report, [], plan.files)
    return write_files(plan)


def write_pull(raw: bytes, seeds: Seeds, scheme: LabelScheme, gold_path: Path, users: dict[int, str], where: str, required: int = 1, **options) -> PullResult:
    """`plan_pull`, then `write_files` (for an export already fetched)."""
    return write_files(plan_pull(raw, seeds, scheme, gold_path, users, where, required, **options))


def write_files(plan: PullResult) -> PullResult:
    """The plan's files as one set: every one replaced, or (on any failure) none."""
    with FileSet() as files:
        for path, text in plan.files.items():
            files.write_text(path, text)
    return PullResult(plan.report, list(plan.files), plan.files)


def plan_pull(
    raw: bytes,
    seeds: Seeds,
    scheme: LabelScheme,
    gold_path: Path,
    users: Mapping[int, str],
    where: str,
    required: int = 1,
    reviewers: Sequence[str] = (),
    allow_removals: bool = False,
) -> PullResult:
    """Validate an export and work out the new gold, its report and every file to write; write nothing.

    Refused (NerbenchError): an invalid export; a document with passes by more annotators than the
    project asks for (an unnamed reviewer would otherwise vote); a document of the previous gold
    that would lose its place or an annotation it was made from, unless `allow_removals`.
    """
    export = parse_json(raw, where)
    docs = parse_export(export, seeds, scheme, users, where)
    reviewers = sorted(set(reviewers))
    annotated = [_as_document(docs[d], reviewers) if d in docs else AnnotatedDocument(d, seeds.text(d)) for d in seeds.ids]
    _check_overlap(annotated, required, where)
    meta = {d: {"source": "label-studio", "tasks": docs[d].tasks} for d in docs}
    gold_docs, decisions, unannotated = build_gold(annotated, required, meta)
    unplaced = _unplaced(docs, decisions)
    gold_docs = [_with_unplaced(doc, unplaced.get(doc.id)) for doc in gold_docs]
    gold_path = Path(gold_path)
    previous = _previous_gold(gold_path, scheme)
    removals = _removals(previous, docs, decisions)
    if removals and not allow_removals:
        raise NerbenchError(
            f"{where}: pulling now would drop from {gold_path} what it was made from: {'; '.join(removals)}; "
            "nothing written (restore it in Label Studio, or pull with --allow-removals to accept the loss)"
        )
    if not gold_docs:
        raise NerbenchError(f"{where}: no document has a submitted annotation yet; nothing written")
    by_id = {d.id: d for d in annotated}
    passes_only = [by_id[d.doc_id] for d in decisions]
    report = {
        "source": where,
        "documents": len(gold_docs),
        "spans": sum(len(d.spans) for d in gold_docs),
        "annotators_required": required,
        "reviewers": reviewers,
        "provisional": {d.id: d.provisional for d in gold_docs if d.provisional},
        "unannotated": {d: _why_unannotated(docs.get(d)) for d in unannotated},
        "rules": {d.doc_id: d.rule for d in decisions},
        "annotators": {d.doc_id: d.annotators for d in decisions},
        "agreement": agreement(passes_only, scheme.names),
        "annotator_figures": annotator_figures([by_id[d] for d in seeds.ids]),
        "conflicts": {d.doc_id: d.conflicts for d in decisions if d.conflicts},
        "not_counted": _not_counted(docs),
        "unplaced": unplaced,
        "changes": diff_gold({d.id: d.spans for d in previous.documents} if previous else {}, {d.id: d.spans for d in gold_docs}),
        "removals": removals,
    }
    folder = gold_path.parent
    files = {
        gold_path: dumps_gold(gold_docs),
        folder / EXPORT_NAME: json.dumps(export, indent=1, ensure_ascii=False) + "\n",
        folder / REPORT_NAME: json.dumps(report, indent=2, ensure_ascii=False) + "\n",
        folder / REPORT_MD_NAME: render_pull_markdown(report, scheme.names),
    }
    return PullResult(report, [], files)


def _as_document(doc: DocumentAnnotations, reviewers: Sequence[str]) -> AnnotatedDocument:
    """The document for the core: a reviewer's submitted annotation counts as a ground truth, never as a pass."""
    out = doc.passes()
    out.annotations = [dataclasses.replace(a, ground_truth=True) if a.annotator in reviewers else a for a in out.annotations]
    out.skipped_by = [n for n in out.skipped_by if n not in reviewers]
    return out


def _check_overlap(docs: Iterable[AnnotatedDocument], required: int, where: str) -> None:
    for doc in docs:
        names = sorted({a.annotator for a in doc.annotations if not a.ground_truth})
        if len(names) > required:
            raise NerbenchError(
                f"{where}: document {doc.id} has passes by {len(names)} people ({', '.join(names)}) but the project asks for "
                f"{required} annotators per task: name a reviewer with --reviewer EMAIL (REVIEWERS=... for make pull), "
                f"or raise the overlap with `nerbench push --annotators {len(names)}`; nothing written"
            )


def _previous_gold(gold_path: Path, scheme: LabelScheme):
    """The gold being replaced, read only to compare: its texts may be of older seeds."""
    if not gold_path.exists():
        return None
    try:
        return load_gold(gold_path, None, scheme)
    except NerbenchError as e:
        raise NerbenchError(
            f"the previous gold, read only to report what changes and to catch dropped documents, is not valid: {e}; "
            f"move {gold_path} away to pull without comparing"
        ) from None


def _removals(previous, docs: Mapping[str, DocumentAnnotations], decisions: Sequence[Decision]) -> list[str]:
    """What the previous gold was made from and this pull would lose, one item per document and cause."""
    if previous is None:
        return []
    decided = {d.doc_id for d in decisions}
    out = []
    for old in previous.documents:
        doc = docs.get(old.id)
        if doc is None:
            out.append(f"{old.id}: task deleted")
            continue
        causes = []
        live = {a.id: a for a in doc.annotations}
        carried = {a.import_id: a for a in doc.annotations if a.import_id is not None}
        ids, names = old.meta.get("annotations") or [], old.meta.get("annotators") or []
        authors = dict(zip(ids, names)) if len(ids) == len(names) else {}
        for ann_id in ids:
            ann = live.get(ann_id) or carried.get(ann_id)
            by = f" by {authors[ann_id]}" if ann_id in authors else ""
            if ann is None:
                causes.append(f"annotation {ann_id}{by} skipped" if ann_id in doc.skipped_ids else f"annotation {ann_id}{by} deleted")
            elif ann.editor is not None and not ann.ground_truth:
                causes.append(f"annotation {ann_id} by {ann.annotator} last saved by {ann.editor}, so not counted as {ann.annotator}'s")
        if old.id not in decided:
            causes += [f"skipped by {n}" for n in sorted(set(doc.skipped))]
            causes += [f"draft by {n} (not submitted)" for n in sorted(set(doc.drafts))]
            if not causes:
                causes.append("no submitted annotation")
        if causes:
            out.append(f"{old.id}: {', '.join(causes)}")
    return out


def _why_unannotated(doc: DocumentAnnotations | None) -> str:
    if doc is None:
        return "no task (push it with `make push`)"
    causes = [f"skipped by {n}" for n in sorted(set(doc.skipped))] + [f"draft by {n}" for n in sorted(set(doc.drafts))]
    edited = sorted({f"{a.annotator}'s annotation last saved by {a.editor}" for a in doc.annotations if a.editor})
    return ", ".join(causes + edited) or "not annotated yet"


def _not_counted(docs: Mapping[str, DocumentAnnotations]) -> list[dict[str, Any]]:
    """Annotations saved by someone other than their author: not counted as the author's pass."""
    return [
        {"document": d, "task": a.task, "annotation": a.id, "author": a.annotator, "saved_by": a.editor}
        for d, doc in docs.items()
        for a in doc.annotations
        if a.editor is not None and not a.ground_truth
    ]


def _unplaced(docs: Mapping[str, DocumentAnnotations], decisions: Sequence[Decision]) -> dict[str, list[dict[str, Any]]]:
    """Spans a carry-over could not place in the new text, for annotations the decision used and nobody saved since."""
    out: dict[str, list[dict[str, Any]]] = {}
    for decision in decisions:
        doc = docs[decision.doc_id]
        pending = {str(k): v for record in doc.carried for k, v in (record.get("unplaced") or {}).items()}
        for ann in doc.annotations:
            if ann.id in decision.annotation_ids and ann.import_id is not None and not ann.saved and str(ann.import_id) in pending:
                out.setdefault(doc.doc_id, []).extend({**s, "annotator": ann.annotator} for s in pending[str(ann.import_id)])
    return out


def _with_unplaced(doc: Document, unplaced: list | None) -> Document:
    if not unplaced:
        return doc
    return dataclasses.replace(doc, provisional={**(doc.provisional or {}), "unplaced_spans": len(unplaced)})


# ---- rendering ----------------------------------------------------------------------------------


def render_pull(report: dict[str, Any], report_path: Path | str = REPORT_MD_NAME, dry_run: bool = False) -> str:
    """The terminal summary: counts, agreement, conflicts (capped), changes, gaps, and whether the gold is final."""
    verb = "Would pull" if dry_run else "Pulled"
    lines = [f"{verb} {report['documents']} documents, {report['spans']} spans from {report['source']}"]
    lines += agreement_lines(report["agreement"])
    not_counted = report["not_counted"]
    for item in not_counted[:TERMINAL_CONFLICTS]:
        lines.append(
            f"Not counted: annotation {item['annotation']} of {item['document']} by {item['author']} was last saved by "
            f"{item['saved_by']}; it is not {item['author']}'s own pass (they re-submit it, or a reviewer decides)"
        )
    if len(not_counted) > TERMINAL_CONFLICTS:
        lines.append(f"  ... and {len(not_counted) - TERMINAL_CONFLICTS} more annotations not counted, listed in {report_path}")
    every = [c for cs in report["conflicts"].values() for c in cs]
    lines += conflict_summary(every, TERMINAL_CONFLICTS, str(report_path))
    for doc_id, spans in report["unplaced"].items():
        lines.append(f"Carried over to a changed text, not placed: {len(spans)} spans of {doc_id} (listed in {report_path}); review the task and Update")
    if report["changes"]:
        changes = list(report["changes"].items())
        total = {k: sum(ch[k] for _, ch in changes) for k in ("added", "removed", "relabelled")}
        lines.append(
            f"{'Would change' if dry_run else 'Changes'} against the previous gold: {len(changes)} documents, "
            f"+{total['added']} added, -{total['removed']} removed, {total['relabelled']} relabelled:"
        )
        for doc_id, ch in changes[:TERMINAL_CONFLICTS]:
            extra = " (new document)" if ch.get("new_document") else " (no longer in the gold)" if ch.get("dropped_document") else ""
            lines.append(f"  {doc_id}: +{ch['added']} added, -{ch['removed']} removed, {ch['relabelled']} relabelled{extra}")
        if len(changes) > TERMINAL_CONFLICTS:
            lines.append(f"  ... and {len(changes) - TERMINAL_CONFLICTS} more documents: every change is listed in {report_path}")
    else:
        lines.append("No changes against the previous gold.")
    for item in report["removals"]:
        lines.append(f"Dropped (--allow-removals): {item}")
    missing = list(report["unannotated"].items())
    if missing:
        more = f"; and {len(missing) - TERMINAL_CONFLICTS} more, listed in {report_path}" if len(missing) > TERMINAL_CONFLICTS else ""
        lines.append("Not in the gold: " + "; ".join(f"{d} ({why})" for d, why in missing[:TERMINAL_CONFLICTS]) + more)
    provisional = report["provisional"]
    if provisional:
        lines.append(
            f"The gold is PROVISIONAL: {len(provisional)} documents not final ({', '.join(provisional)}); "
            "`nerbench evaluate` refuses it until they are resolved (see the reviewer section of the README)"
        )
    else:
        lines.append(f"The gold is final: every document has {report['annotators_required']} annotators or a ground truth, and no unresolved conflict.")
    return "\n".join(lines)


def render_pull_markdown(report: dict[str, Any], labels: Sequence[str]) -> str:
    """The pull report for people: status, agreement, annotators, adjudication, every conflict, changes."""
    out = ["# Pull report", "", md_escape(f"Source: {report['source']}. Gold: {report['documents']} documents, {report['spans']} spans."), ""]
    if report["provisional"]:
        n, docs = len(report["provisional"]), ", ".join(report["provisional"])
        status = md_escape(f"{n} documents are not final ({docs}); nerbench evaluate refuses this gold until they are resolved.")
        out += [f"**Provisional**: {status}", ""]
    tables: list[Table] = []
    if report["agreement"]["pairs"]:
        tables += agreement_tables(report["agreement"], labels)
    else:
        out += ["Fewer than two annotators on any document: no agreement to report.", ""]
    tables.append(annotator_table(report["annotator_figures"]))
    t = Table(
        "Adjudication",
        ["Document", "Rule", "Annotators", "Unresolved conflicts", "Status"],
        text_columns=["Rule", "Annotators", "Status"],
        note=f"Annotators required per document: {report['annotators_required']}."
        + (f" Reviewers (their annotation is the ground truth): {', '.join(report['reviewers'])}." if report["reviewers"] else ""),
    )
    for doc_id, rule in report["rules"].items():
        unresolved = sum(1 for c in report["conflicts"].get(doc_id, []) if not c["resolved"])
        t.add(doc_id, rule, ", ".join(report["annotators"][doc_id]), unresolved, "provisional" if doc_id in report["provisional"] else "final")
    for doc_id, why in report["unannotated"].items():
        t.add(doc_id, "—", "—", "", f"not in the gold: {why}")
    tables.append(t)
    every = [c for cs in report["conflicts"].values() for c in cs]
    if every:
        tables.append(conflict_table(every, "Conflicts for a reviewer"))
    if report["not_counted"]:
        t = Table("Annotations not counted (saved by someone other than their author)", ["Document", "Task", "Annotation", "Author", "Saved by"], text_columns=["Author", "Saved by"])
        for item in report["not_counted"]:
            t.add(item["document"], item["task"], item["annotation"], item["author"], item["saved_by"])
        tables.append(t)
    if report["unplaced"]:
        t = Table("Spans not carried to a changed text", ["Document", "Annotator", "Old offsets", "Label", "Text"], text_columns=["Annotator", "Old offsets", "Label", "Text"])
        for doc_id, spans in report["unplaced"].items():
            for s in spans:
                t.add(doc_id, s["annotator"], f"[{s['start']}, {s['end']})", s["label"], s["text"])
        tables.append(t)
    if report["changes"]:
        t = Table("Changes against the previous gold", ["Document", "Added", "Removed", "Relabelled", "Note"], text_columns=["Note"])
        for doc_id, ch in report["changes"].items():
            note = "new document" if ch.get("new_document") else "no longer in the gold" if ch.get("dropped_document") else ""
            t.add(doc_id, ch["added"], ch["removed"], ch["relabelled"], note)
        tables.append(t)
    for table in tables:
        out += [to_markdown(table, level=2), ""]
    return "\n".join(out)
