"""Renderers of the report dict: JSON, Markdown (for a paper's appendix), terminal text.

Computing happens in `benchmark.py`; nothing here computes a score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nerbench.fileio import atomic_write_many
from nerbench.scoring import SCHEMES

SCHEME_NOTES = {
    "strict": "same boundaries and same label",
    "exact": "same boundaries, any label",
    "partial": "overlap, half credit unless boundaries match; any label",
    "type": "overlap and same label",
}


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def fmt(value: float | None, digits: int = 3) -> str:
    """A score as 0.843; no value (undefined) as an em dash."""
    return "—" if value is None else f"{value:.{digits}f}"


def _count(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def model_tables(model: dict[str, Any], labels: list[str]) -> list[Table]:
    schemes = model["schemes"]
    overall = Table(
        "Overall (micro average) by scheme",
        ["Scheme", "P", "R", "F1", "TP", "FP", "FN", "Gold", "Pred", "Matching"],
        [
            [
                name,
                fmt(m["precision"]),
                fmt(m["recall"]),
                fmt(m["f1"]),
                _count(m["tp"]),
                _count(m["fp"]),
                _count(m["fn"]),
                str(m["support"]),
                str(m["predicted"]),
                SCHEME_NOTES[name],
            ]
            for name in SCHEMES
            for m in [schemes[name]["micro"]]
        ],
    )
    strict = schemes["strict"]
    rows = []
    for label in labels:
        s = strict["per_label"][label]
        t = schemes["type"]["per_label"][label]
        if s["support"] == 0 and s["predicted"] == 0:
            continue
        rows.append(
            [label, fmt(s["precision"]), fmt(s["recall"]), fmt(s["f1"]), _count(s["tp"]), _count(s["fp"]), _count(s["fn"]), str(s["support"]), fmt(t["f1"])]
        )
    m = strict["micro"]
    rows.append(["**micro**", fmt(m["precision"]), fmt(m["recall"]), fmt(m["f1"]), _count(m["tp"]), _count(m["fp"]), _count(m["fn"]), str(m["support"]), fmt(schemes["type"]["micro"]["f1"])])
    for avg in ("macro", "weighted"):
        a = strict[avg]
        rows.append([f"**{avg}**", fmt(a["precision"]), fmt(a["recall"]), fmt(a["f1"]), "", "", "", "", fmt(schemes["type"][avg]["f1"])])
    absent = [l for l in labels if strict["per_label"][l]["support"] == 0 and strict["per_label"][l]["predicted"] == 0]
    per_label = Table(
        "Per label (strict)",
        ["Label", "P", "R", "F1", "TP", "FP", "FN", "Support", "F1 (type)"],
        rows,
        note=(f"Labels with no gold and no predicted span (no score): {', '.join(absent)}." if absent else ""),
    )
    tables = [overall, per_label]
    if model.get("unmapped"):
        tables.append(
            Table(
                "Predictions not scored (label mapped to nothing)",
                ["Model label", "Spans"],
                [[k, str(v)] for k, v in model["unmapped"].items()],
            )
        )
    return tables


def _provenance(report: dict[str, Any], model: dict[str, Any]) -> list[str]:
    gold = report["gold"]
    return [
        f"Model: `{model['name']}` {model['version']} (loaded as `{model['spec']}`), spaCy {report['spacy_version']}",
        f"Gold: `{gold['path']}`, {gold['documents']} documents, {gold['spans']} spans, SHA-256 `{gold['sha256'][:16]}`",
        f"Date: {report['date']}, nerbench {report['nerbench_version']}",
    ]


def render_markdown(report: dict[str, Any]) -> str:
    labels = report["label_scheme"]["labels"]
    out = ["# NER benchmark", ""]
    for model in report["models"]:
        out += [f"## {model['name']} {model['version']}", ""]
        out += [f"- {line}" for line in _provenance(report, model)]
        if report["gold"]["seeds_without_gold"]:
            out.append(f"- Seed documents without gold (not scored): {', '.join(report['gold']['seeds_without_gold'])}")
        out.append("")
        for table in model_tables(model, labels):
            out += [f"### {table.title}", "", _markdown_table(table), ""]
            if table.note:
                out += [table.note, ""]
    out += [
        "Offsets are character offsets into the exact text; matching is one to one (see the README's *Scoring*).",
        "P, R and F1 of a label are undefined (—) when it has no predicted or no gold span.",
        "",
    ]
    return "\n".join(out)


def _markdown_table(table: Table) -> str:
    lines = ["| " + " | ".join(table.headers) + " |"]
    lines.append("|" + "|".join("---" if i == 0 or h == "Matching" else "---:" for i, h in enumerate(table.headers)) + "|")
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render_terminal(report: dict[str, Any]) -> str:
    labels = report["label_scheme"]["labels"]
    out: list[str] = []
    for model in report["models"]:
        out += [f"{model['name']} {model['version']}", *(f"  {line}".replace("`", "") for line in _provenance(report, model)), ""]
        for table in model_tables(model, labels):
            out += [table.title, _text_table(table), ""]
            if table.note:
                out += [table.note, ""]
    return "\n".join(out)


def _text_table(table: Table) -> str:
    rows = [table.headers] + [[c.replace("**", "") for c in row] for row in table.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(table.headers))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 or table.headers[i] == "Matching" else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def write_reports(report: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write benchmark.json and benchmark.md, each atomically, after both are rendered."""
    out_dir = Path(out_dir)
    files = {out_dir / "benchmark.json": render_json(report), out_dir / "benchmark.md": render_markdown(report)}
    atomic_write_many(files)
    return list(files)
