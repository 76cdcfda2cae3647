"""`make pull`: export the project, validate it, adjudicate, and write gold/ atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nerbench.errors import NerbenchError
from nerbench.fileio import atomic_write_many
from nerbench.formats.labelstudio import parse_export
from nerbench.gold import dumps_gold, load_gold
from nerbench.labels import LabelScheme
from nerbench.seeds import Seeds

from .client import Connection, api_errors, require_project
from .export import agreement, build_gold, conflicts_by_document, diff_gold

EXPORT_NAME = "labelstudio-export.json"
REPORT_NAME = "pull-report.json"
REPORT_MD_NAME = "pull-report.md"


@dataclass
class PullResult:
    report: dict[str, Any]
    written: list[Path]


def fetch_export(client, conn: Connection, project_id: int) -> bytes:
    """The whole project as Label Studio JSON, in one export request."""
    with api_errors(conn, f"exporting project {project_id}"):
        return b"".join(client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True))


def fetch_users(client, conn: Connection) -> dict[int, str]:
    try:
        with api_errors(conn, "listing users"):
            return {u.id: u.email or u.username or f"user {u.id}" for u in client.users.list()}
    except NerbenchError:
        return {}  # a non-admin token may not list users: annotators are then shown by id


def pull(client, conn: Connection, seeds: Seeds, scheme: LabelScheme, title: str, gold_path: Path) -> PullResult:
    project = require_project(client, conn, title)
    raw = fetch_export(client, conn, project.id)
    return write_pull(raw, seeds, scheme, gold_path, fetch_users(client, conn), f"Label Studio project {project.id} at {conn.url}")


def write_pull(raw: bytes, seeds: Seeds, scheme: LabelScheme, gold_path: Path, users: dict[int, str], where: str) -> PullResult:
    """Validate an export and write gold, the raw export and the pull report, or nothing at all."""
    try:
        export = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise NerbenchError(f"{where}: malformed export: not JSON ({e})") from None
    docs = parse_export(export, seeds, scheme, users, where)
    gold_docs, decisions, unannotated = build_gold(docs, seeds)
    if not gold_docs:
        raise NerbenchError(f"{where}: no document has a submitted annotation yet; nothing written")
    gold_path = Path(gold_path)
    previous = {}
    if gold_path.exists():
        previous = {d.id: d.spans for d in load_gold(gold_path, seeds, scheme).documents}
    report = {
        "source": where,
        "documents": len(gold_docs),
        "spans": sum(len(d.spans) for d in gold_docs),
        "unannotated": unannotated,
        "rules": {d.doc_id: d.rule for d in decisions},
        "annotators": {d.doc_id: d.annotators for d in decisions},
        "agreement": agreement(docs, scheme.names),
        "conflicts": conflicts_by_document(decisions),
        "changes": diff_gold(previous, {d.id: d.spans for d in gold_docs}),
    }
    folder = gold_path.parent
    files = {
        gold_path: dumps_gold(gold_docs),
        folder / EXPORT_NAME: json.dumps(export, indent=1, ensure_ascii=False) + "\n",
        folder / REPORT_NAME: json.dumps(report, indent=2, ensure_ascii=False) + "\n",
        folder / REPORT_MD_NAME: render_pull_markdown(report),
    }
    atomic_write_many(files)
    return PullResult(report, list(files))


def render_pull(report: dict[str, Any]) -> str:
    """The terminal summary of a pull: counts, agreement, conflicts, changes, unannotated documents."""
    lines = [f"Pulled {report['documents']} documents, {report['spans']} spans from {report['source']}"]
    for pair in report["agreement"]:
        a, b = pair["annotators"]
        f1 = "—" if pair["f1"] is None else f"{pair['f1']:.3f}"
        lines.append(f"Agreement {a} vs {b}: F1 {f1} over {pair['documents']} documents ({pair['agreed']:g} spans identical)")
        for label, v in pair["per_label"].items():
            lf1 = "—" if v["f1"] is None else f"{v['f1']:.3f}"
            lines.append(f"  {label:<12} F1 {lf1}  ({v['agreed']:g} identical; {v['spans'][a]} vs {v['spans'][b]} spans)")
    n_conflicts = sum(len(c) for c in report["conflicts"].values())
    if n_conflicts:
        lines.append(f"Conflicts for a reviewer: {n_conflicts} (kept out of the gold until resolved; see {REPORT_NAME})")
        for doc_id, conflicts in report["conflicts"].items():
            for c in conflicts:
                lines.append(f"  {doc_id} [{c['start']}, {c['end']}) {c['label']} {c['text']!r}: marked by {', '.join(c['marked_by'])}, not by {', '.join(c['not_by'])}")
    if report["changes"]:
        lines.append("Changes against the previous gold:")
        for doc_id, ch in report["changes"].items():
            extra = " (new document)" if ch.get("new_document") else " (no longer in the gold)" if ch.get("dropped_document") else ""
            lines.append(f"  {doc_id}: +{ch['added']} added, -{ch['removed']} removed, {ch['relabelled']} relabelled{extra}")
    else:
        lines.append("No changes against the previous gold.")
    if report["unannotated"]:
        lines.append(f"Not annotated by anyone (not in the gold): {', '.join(report['unannotated'])}")
    return "\n".join(lines)


def render_pull_markdown(report: dict[str, Any]) -> str:
    """The pull report for people: agreement per annotator pair and label, conflicts, rules, gaps."""
    out = ["# Pull report", "", f"Source: {report['source']}. Gold: {report['documents']} documents, {report['spans']} spans.", ""]
    out += ["## Agreement between annotators", ""]
    if not report["agreement"]:
        out += ["Fewer than two annotators on any document: no agreement to report.", ""]
    for pair in report["agreement"]:
        a, b = pair["annotators"]
        f1 = "—" if pair["f1"] is None else f"{pair['f1']:.3f}"
        out += [
            f"**{a}** vs **{b}**: strict F1 {f1} over {pair['documents']} documents "
            f"({pair['agreed']:g} identical spans; {pair['spans'][a]} vs {pair['spans'][b]} spans).",
            "",
            f"| Label | F1 | Identical | {a} | {b} |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, v in pair["per_label"].items():
            lf1 = "—" if v["f1"] is None else f"{v['f1']:.3f}"
            out.append(f"| {label} | {lf1} | {v['agreed']:g} | {v['spans'][a]} | {v['spans'][b]} |")
        out.append("")
    out += ["## Adjudication", "", "| Document | Rule | Annotators | Conflicts |", "|---|---|---|---:|"]
    for doc_id, rule in report["rules"].items():
        out.append(f"| {doc_id} | {rule} | {', '.join(report['annotators'][doc_id])} | {len(report['conflicts'].get(doc_id, []))} |")
    out.append("")
    if report["conflicts"]:
        out += ["## Conflicts for a reviewer", "", "| Document | Span | Label | Text | Marked by | Not by |", "|---|---|---|---|---|---|"]
        for doc_id, conflicts in report["conflicts"].items():
            for c in conflicts:
                out.append(f"| {doc_id} | [{c['start']}, {c['end']}) | {c['label']} | {c['text']!r} | {', '.join(c['marked_by'])} | {', '.join(c['not_by'])} |")
        out.append("")
    if report["unannotated"]:
        out += [f"Not annotated by anyone (not in the gold): {', '.join(report['unannotated'])}.", ""]
    return "\n".join(out)
