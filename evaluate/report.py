"""Renderers of the report dict: JSON, Markdown (for a paper's appendix), terminal text.

Computing happens in `benchmark.py`; nothing here computes a score. The HTML report is in html.py.
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
    text_columns: tuple[str, ...] = ()  # columns of words, not numbers: every renderer aligns them left

    def left_aligned(self) -> set[int]:
        """Indices of the columns to align left: the first, and the text columns."""
        return {0, *(i for i, h in enumerate(self.headers) if h in self.text_columns)}


def fmt(value: float | None, digits: int = 3) -> str:
    """A score as 0.843; no value (undefined) as an em dash."""
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_ci(ci: list[float] | None) -> str:
    return "—" if not ci else f"{ci[0]:.3f}–{ci[1]:.3f}"


def _count(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _row(name: str, m: dict[str, Any], *extra: str) -> list[str]:
    return [name, fmt(m["precision"]), fmt(m["recall"]), fmt(m["f1"]), _count(m["tp"]), _count(m["fp"]), _count(m["fn"]), *extra]


def overall_table(model: dict[str, Any]) -> Table:
    rows = []
    for name in SCHEMES:
        m = model["schemes"][name]["micro"]
        rows.append(_row(name, m, str(m["support"]), str(m["predicted"]), fmt_ci((m.get("ci") or {}).get("f1")), SCHEME_NOTES[name]))
    return Table("Overall (micro average) by scheme", ["Scheme", "P", "R", "F1", "TP", "FP", "FN", "Gold", "Pred", "F1 95% CI", "Matching"], rows, text_columns=("Matching",))


def per_label_table(model: dict[str, Any], labels: list[str]) -> Table:
    strict, typed = model["schemes"]["strict"], model["schemes"]["type"]
    rows, absent = [], []
    for label in labels:
        s = strict["per_label"][label]
        if s["support"] == 0 and s["predicted"] == 0:
            absent.append(label)
            continue
        rows.append(_row(label, s, str(s["support"]), fmt_ci((s.get("ci") or {}).get("f1")), fmt(typed["per_label"][label]["f1"])))
    m = strict["micro"]
    rows.append(_row("**micro**", m, str(m["support"]), fmt_ci((m.get("ci") or {}).get("f1")), fmt(typed["micro"]["f1"])))
    for avg in ("macro", "weighted"):
        a = strict[avg]
        rows.append([f"**{avg}**", fmt(a["precision"]), fmt(a["recall"]), fmt(a["f1"]), "", "", "", "", "", fmt(typed[avg]["f1"])])
    note = f"Labels with no gold and no predicted span (no score): {', '.join(absent)}." if absent else ""
    return Table("Per label (strict)", ["Label", "P", "R", "F1", "TP", "FP", "FN", "Support", "F1 95% CI", "F1 (type)"], rows, note)


def error_tables(model: dict[str, Any]) -> list[Table]:
    summary = model["error_summary"]
    tables = [
        Table("Errors by category", ["Category", "Count"], [[k.replace("_", " "), str(v)] for k, v in summary["categories"].items()], text_columns=("Category",)),
    ]
    if summary["confusions"]:
        tables.append(
            Table("Most frequent label confusions (gold → predicted)", ["Gold", "Predicted", "Count"], [[c["gold"], c["predicted"], str(c["count"])] for c in summary["confusions"]], text_columns=("Gold", "Predicted"))
        )
    if summary["boundary_patterns"]:
        tables.append(
            Table("Most frequent boundary patterns (prediction vs gold)", ["Pattern", "Count"], [[p["pattern"], str(p["count"])] for p in summary["boundary_patterns"]], text_columns=("Pattern",))
        )
    return tables


def confusion_table(model: dict[str, Any]) -> Table:
    labels = model["confusion"]["labels"]
    short = [l if l != "(none)" else "missed" for l in labels]
    rows = [[("spurious" if g == "(none)" else g), *(str(v) if v else "·" for v in row)] for g, row in zip(labels, model["confusion"]["matrix"])]
    return Table(
        "Confusion matrix (rows: gold, columns: predicted)",
        ["Gold \\ Pred", *short],
        rows,
        note="Paired spans (same or overlapping). Column *missed*: gold spans with no prediction; row *spurious*: predictions with no gold span.",
    )


def model_tables(model: dict[str, Any], labels: list[str]) -> list[Table]:
    tables = [overall_table(model), per_label_table(model, labels)]
    if model.get("unmapped"):
        tables.append(Table("Predictions not scored (label mapped to nothing)", ["Model label", "Spans"], [[k, str(v)] for k, v in model["unmapped"].items()]))
    if "error_summary" in model:
        tables += error_tables(model) + [confusion_table(model)]
    return tables


def comparison_tables(report: dict[str, Any]) -> list[Table]:
    models = report["models"]
    if len(models) < 2:
        return []
    labels = report["label_scheme"]["labels"]
    names = [f"{m['name']} {m['version']}" for m in models]
    rows = []
    for label in labels:
        cells = [m["schemes"]["strict"]["per_label"][label] for m in models]
        if all(c["support"] == 0 and c["predicted"] == 0 for c in cells):
            continue
        rows.append([label, str(cells[0]["support"]), *(fmt(c["f1"]) for c in cells)])
    rows.append(["**micro**", str(models[0]["schemes"]["strict"]["micro"]["support"]), *(fmt(m["schemes"]["strict"]["micro"]["f1"]) for m in models)])
    side = Table("Models side by side: strict F1 per label", ["Label", "Support", *names], rows)
    tests = Table(
        "Paired test of the micro F1 difference (strict)",
        ["Baseline", "Model", "Δ F1 (model − baseline)", "p-value", "Method"],
        [
            [c["baseline"], c["model"], f"{c['delta']:+.3f}", f"{c['p_value']:.4f}", f"{c['method']}, {c['resamples']} shuffles of {c['units']} units"]
            for c in report["comparisons"]
        ],
        text_columns=("Baseline", "Model", "Method"),
    )
    return [side, tests]


def provenance(report: dict[str, Any], model: dict[str, Any]) -> list[str]:
    gold = report["gold"]
    if model.get("predictions_from") == "file":
        system = f"System: `{model['name']}` {model['version']}".rstrip() + f", predictions read from `{model['spec']}` (SHA-256 `{model['file']['sha256'][:16]}`)"
    else:
        system = f"Model: `{model['name']}` {model['version']} (loaded as `{model['spec']}`), spaCy {report['spacy_version']}"
    lines = [
        system,
        f"Gold: `{gold['path']}`, {gold['documents']} documents, {gold['spans']} spans, SHA-256 `{gold['sha256'][:16]}`",
        f"Date: {report['date']}, nerbench {report['nerbench_version']}",
    ]
    b = report.get("bootstrap")
    if b and b["resamples"]:
        lines.append(
            f"Intervals: {b['confidence']:.0%} {b['method']}, {b['resamples']} resamples of {b['units']} {b['unit']}s, seed {b['seed']}"
        )
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    from nerbench.tables import md_escape, to_markdown

    from .token_report import token_table

    labels = report["label_scheme"]["labels"]
    out = ["# NER benchmark", ""]
    out += [f"**Note:** {md_escape(n['text'])}\n" for n in report.get("notices", [])]
    for table in comparison_tables(report):
        out += [f"## {table.title}", "", _markdown_table(table), ""]
    for model in report["models"]:
        out += [f"## {model['name']} {model['version']}", ""]
        out += [f"- {line}" for line in provenance(report, model)]
        if report["gold"]["seeds_without_gold"]:
            out.append(f"- Seed documents without gold (not scored): {', '.join(report['gold']['seeds_without_gold'])}")
        out.append("")
        for table in model_tables(model, labels):
            out += [f"### {table.title}", "", _markdown_table(table), ""]
            if table.note:
                out += [table.note, ""]
        tokens = token_table(model)
        if tokens is not None:
            out += [to_markdown(tokens), ""]
    b = report.get("bootstrap")
    if b and b["resamples"]:
        out += [f"**Intervals.** {b['note']}", ""]
    out += [
        "Offsets are character offsets into the exact text; matching is one to one (see the README's *Scoring*).",
        "P, R and F1 of a label are undefined (—) when it has no predicted or no gold span.",
        "",
    ]
    return "\n".join(out)


def _markdown_table(table: Table) -> str:
    left = table.left_aligned()
    lines = ["| " + " | ".join(table.headers) + " |"]
    lines.append("|" + "|".join("---" if i in left else "---:" for i in range(len(table.headers))) + "|")
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render_terminal(report: dict[str, Any]) -> str:
    from nerbench.tables import to_text

    from .token_report import token_table

    labels = report["label_scheme"]["labels"]
    out: list[str] = [f"Note: {n['text']}" for n in report.get("notices", [])]
    for model in report["models"]:
        out += [f"{model['name']} {model['version']}", *(f"  {line}".replace("`", "") for line in provenance(report, model)), ""]
        for table in [overall_table(model), per_label_table(model, labels)]:
            out += [table.title, _text_table(table), ""]
            if table.note:
                out += [table.note, ""]
        tokens = token_table(model)
        if tokens is not None:
            out += [to_text(tokens), ""]
        if "error_summary" in model:
            cats = model["error_summary"]["categories"]
            out += ["Errors: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in cats.items()) + " (details in the HTML and Markdown reports)", ""]
    for table in comparison_tables(report):
        out += [table.title, _text_table(table), ""]
    return "\n".join(out)


def _text_table(table: Table) -> str:
    rows = [table.headers] + [[c.replace("**", "") for c in row] for row in table.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(table.headers))]
    left = table.left_aligned()
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def write_reports(report: dict[str, Any], out_dir: str | Path, html: bool = True) -> list[Path]:
    """Write benchmark.json, benchmark.md (and benchmark.html), each atomically, after all are rendered."""
    out_dir = Path(out_dir)
    files = {out_dir / "benchmark.json": render_json(report), out_dir / "benchmark.md": render_markdown(report)}
    if html:
        from .html import render_html

        files[out_dir / "benchmark.html"] = render_html(report)
    atomic_write_many(files)
    return list(files)
