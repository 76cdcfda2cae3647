"""What the reports say, in order, built from the report dict once for every output.

`outline(report)` is a list of blocks: headings, plain-text paragraphs and lists, tables
(`nerbench.tables.Table`, plain cells) and figures. Every block holds plain text; each renderer
(`report.render_markdown`, `report.render_terminal`, `html.render_html`) escapes it for its
format, so a label or model name never becomes markup. Nothing here computes a score: every
number is read from the report dict and only formatted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from nerbench.scoring import SCHEMES
from nerbench.tables import Table

SCHEME_NOTES = {
    "strict": "same boundaries and same label",
    "exact": "same boundaries, any label",
    "partial": "overlap, half credit unless boundaries match; any label",
    "type": "overlap and same label",
}
CATEGORY_NAMES = {
    "wrong_label": "wrong label",
    "wrong_boundary": "wrong boundary",
    "both": "wrong label and boundary",
    "missed": "missed",
    "spurious": "spurious",
}
PER_DOCUMENT_ROWS = 200  # rows of the per-document table in Markdown and HTML; benchmark.json has every document
FOOTER = (
    "Offsets are character offsets into the exact text; matching is one to one (see the README's Scoring). "
    "P, R and F1 of a label are undefined (—) when it has no predicted or no gold span."
)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int


@dataclass(frozen=True)
class Paragraph:
    text: str
    note: bool = False  # a remark in small print


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]
    notices: bool = False  # the report's notices: shown first and marked as such


@dataclass(frozen=True)
class TableBlock:
    table: Table
    level: int = 3


@dataclass(frozen=True)
class Figure:
    """A chart in HTML; elsewhere its table, if any (`kind`: f1_chart, confusion, documents)."""

    kind: str
    model: int
    table: Table | None = None
    level: int = 3


Block = Union[Heading, Paragraph, Items, TableBlock, Figure]


def fmt(value: float | None, digits: int = 3) -> str:
    """A score as 0.843; no value (undefined) as an em dash."""
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_ci(ci: list[float] | None) -> str:
    return "—" if not ci else f"{ci[0]:.3f}–{ci[1]:.3f}"


def fmt_count(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def model_title(model: dict[str, Any]) -> str:
    return f"{model['name']} {model['version']}".strip()  # a predictions file may name no version


def _metric_cells(m: dict[str, Any]) -> list[str]:
    return [fmt(m["precision"]), fmt(m["recall"]), fmt(m["f1"]), fmt_count(m["tp"]), fmt_count(m["fp"]), fmt_count(m["fn"])]


def notices(report: dict[str, Any]) -> list[Block]:
    texts = tuple(n["text"] for n in report.get("notices", ()))
    return [Heading("Notices", 2), Items(texts, notices=True)] if texts else []


def overall_table(model: dict[str, Any]) -> Table:
    table = Table(
        "Overall (micro average) by scheme",
        ["Scheme", "P", "R", "F1", "TP", "FP", "FN", "Gold", "Pred", "F1 95% CI", "Matching"],
        text_columns=("Matching",),
    )
    for name in SCHEMES:
        m = model["schemes"][name]["micro"]
        table.add(name, *_metric_cells(m), m["support"], m["predicted"], fmt_ci((m.get("ci") or {}).get("f1")), SCHEME_NOTES[name])
    return table


def per_label_table(model: dict[str, Any], labels: list[str]) -> Table:
    strict, typed = model["schemes"]["strict"], model["schemes"]["type"]
    absent = []
    table = Table("Per label (strict)", ["Label", "P", "R", "F1", "TP", "FP", "FN", "Support", "F1 95% CI", "F1 (type)"])
    for label in labels:
        s = strict["per_label"][label]
        if s["support"] == 0 and s["predicted"] == 0:
            absent.append(label)
            continue
        table.add(label, *_metric_cells(s), s["support"], fmt_ci((s.get("ci") or {}).get("f1")), fmt(typed["per_label"][label]["f1"]))
    m = strict["micro"]
    table.add("micro", *_metric_cells(m), m["support"], fmt_ci((m.get("ci") or {}).get("f1")), fmt(typed["micro"]["f1"]), strong=True)
    for avg in ("macro", "weighted"):
        a = strict[avg]
        table.add(avg, fmt(a["precision"]), fmt(a["recall"]), fmt(a["f1"]), "", "", "", "", "", fmt(typed[avg]["f1"]), strong=True)
    if absent:
        table.note = f"Labels with no gold and no predicted span (no score): {', '.join(absent)}."
    return table


def token_table(model: dict[str, Any]) -> Table | None:
    """Token accuracy and per-label token P/R/F1 (nerbench.tokens), or None when the run computed none."""
    tokens = model.get("tokens")
    if not tokens:
        return None
    accuracy = "—" if tokens["accuracy"] is None else f"{fmt(tokens['accuracy'])} ({tokens['correct_tags']} of {tokens['tokens']} tokens)"
    table = Table(
        "Token level",
        ["Label", "P", "R", "F1", "TP", "FP", "FN", "Support"],
        note=(
            f"Tokens: {tokens['description'] or tokens['tokenizer']}. Each token takes the label of the span it is in; "
            f"accuracy compares IOB2 tags, O included: {accuracy}. Labels with no gold and no predicted token are left out."
        ),
    )
    for label, m in tokens["per_label"].items():
        if m["support"] or m["predicted"]:
            table.add(label, *_metric_cells(m), m["support"])
    if "micro" in tokens:
        table.add("micro", *_metric_cells(tokens["micro"]), tokens["micro"]["support"], strong=True)
        for average in ("macro", "weighted"):
            a = tokens[average]
            table.add(average, fmt(a["precision"]), fmt(a["recall"]), fmt(a["f1"]), "", "", "", "", strong=True)
    return table


def conventions_tables(report: dict[str, Any], model: dict[str, Any]) -> list[Table]:
    conv = model["conventions"]
    strict = model["schemes"]["strict"]["micro"]
    forgiven = conv["forgiven"]
    table = Table("Conventions: strict scores with a leading 'the' or a possessive forgiven", ["Strict", "P", "R", "F1", "TP", "FP", "FN"])
    table.add("as scored", *_metric_cells(strict))
    table.add("conventions forgiven", *_metric_cells(conv["micro"]), strong=True)
    change = "" if conv["f1_change"] is None else f" F1 change: {conv['f1_change']:+.3f}."
    table.note = (
        f"Pairs forgiven: {forgiven['leading_the']} for a leading 'the', {forgiven['possessive']} for a possessive, "
        f"{forgiven['both']} for both.{change} Rule: {report.get('conventions_rule', '')}"
    )
    tables = [table]
    changed = Table("Labels whose strict F1 the conventions change", ["Label", "F1", "F1 (conventions forgiven)", "Support"])
    for label, after in conv["per_label"].items():
        before = model["schemes"]["strict"]["per_label"][label]
        if before["f1"] != after["f1"]:
            changed.add(label, fmt(before["f1"]), fmt(after["f1"]), after["support"])
    if changed.rows:
        tables.append(changed)
    return tables


def error_tables(model: dict[str, Any]) -> list[Table]:
    summary = model["error_summary"]
    categories = Table("Errors by category", ["Category", "Count"], text_columns=("Category",))
    for k, v in summary["categories"].items():
        categories.add(CATEGORY_NAMES[k], v)
    tables = [categories]
    if summary["confusions"]:
        confusions = Table("Most frequent label confusions (gold → predicted)", ["Gold", "Predicted", "Count"], text_columns=("Gold", "Predicted"))
        for c in summary["confusions"]:
            confusions.add(c["gold"], c["predicted"], c["count"])
        tables.append(confusions)
    if summary["boundary_patterns"]:
        patterns = Table("Most frequent boundary patterns (prediction vs gold)", ["Pattern", "Count"], text_columns=("Pattern",))
        for p in summary["boundary_patterns"]:
            patterns.add(p["pattern"], p["count"])
        tables.append(patterns)
    return tables


def confusion_table(model: dict[str, Any]) -> Table:
    labels = model["confusion"]["labels"]
    columns = ["Gold \\ Pred", *(l if l != "(none)" else "missed" for l in labels)]
    table = Table(
        "Confusion matrix (rows: gold, columns: predicted)",
        columns,
        note="Paired spans (same or overlapping). Column missed: gold spans with no prediction; row spurious: predictions with no gold span.",
    )
    for gold, row in zip(labels, model["confusion"]["matrix"]):
        table.add("spurious" if gold == "(none)" else gold, *(str(v) if v else "·" for v in row))
    return table


def per_document_table(model: dict[str, Any]) -> Table:
    data = model["per_document"]
    index = {name: k for k, name in enumerate(data["columns"])}
    rows = data["rows"]
    table = Table("Per document (strict)", ["Document", "Gold", "Pred", "Errors", "TP", "FP", "FN", "P", "R", "F1", "F1 (partial)"])
    shown = rows
    if len(rows) > PER_DOCUMENT_ROWS:
        shown = sorted(rows, key=lambda r: -r[index["errors"]])[:PER_DOCUMENT_ROWS]
        table.note = (
            f"The {PER_DOCUMENT_ROWS} documents with most errors, of {len(rows)}; "
            "benchmark.json (per_document) has every document."
        )
    for r in shown:
        table.add(
            r[index["document"]], r[index["gold"]], r[index["predicted"]], r[index["errors"]],
            fmt_count(r[index["tp"]]), fmt_count(r[index["fp"]]), fmt_count(r[index["fn"]]),
            fmt(r[index["precision"]]), fmt(r[index["recall"]]), fmt(r[index["f1"]]), fmt(r[index["partial_f1"]]),
        )  # fmt: skip
    return table


def _span(span: dict[str, Any] | None) -> str:
    return "—" if span is None else f"{span['text']} ({span['label']})"


def error_sample_table(report: dict[str, Any], model: dict[str, Any]) -> Table:
    sample = model["error_sample"]
    files = report.get("files", {})
    table = Table(
        f"Errors: the first {sample['per_category']} of each category, with their sentences",
        ["Category", "Document", "Gold", "Predicted", "Pattern", "Sentence"],
        text_columns=("Category", "Document", "Gold", "Predicted", "Pattern", "Sentence"),
    )
    for e in sample["errors"]:
        pattern = e.get("pattern", "") + (f" (convention: {e['convention']})" if e.get("convention") else "")
        table.add(CATEGORY_NAMES[e["category"]], e["document"], _span(e["gold"]), _span(e["predicted"]), pattern, e["sentence_text"])
    total = sum(model["error_summary"]["categories"].values())
    table.note = f"{len(sample['errors'])} of {total} errors, in corpus order; {files.get('errors', 'errors.jsonl')} lists every error."
    return table


def unmapped_table(model: dict[str, Any]) -> Table:
    table = Table("Predictions not scored (label mapped to nothing)", ["Model label", "Spans"])
    for label, n in model["unmapped"].items():
        table.add(label, n)
    return table


def comparison_tables(report: dict[str, Any]) -> list[Table]:
    models = report["models"]
    if len(models) < 2:
        return []
    side = Table("Models side by side: strict F1 per label", ["Label", "Support", *(model_title(m) for m in models)])
    for label in report["label_scheme"]["labels"]:
        cells = [m["schemes"]["strict"]["per_label"][label] for m in models]
        if all(c["support"] == 0 and c["predicted"] == 0 for c in cells):
            continue
        side.add(label, cells[0]["support"], *(fmt(c["f1"]) for c in cells))
    side.add("micro", models[0]["schemes"]["strict"]["micro"]["support"], *(fmt(m["schemes"]["strict"]["micro"]["f1"]) for m in models), strong=True)
    tests = Table(
        "Paired test of the micro F1 difference (strict)",
        ["Baseline", "Model", "Δ F1 (model − baseline)", "p-value", "Method"],
        text_columns=("Baseline", "Model", "Method"),
    )
    for c in report["comparisons"]:
        tests.add(c["baseline"], c["model"], f"{c['delta']:+.3f}", f"{c['p_value']:.4f}", f"{c['method']}, {c['resamples']} shuffles of {c['units']} units")
    return [side, tests]


def provenance(report: dict[str, Any], model: dict[str, Any]) -> list[str]:
    gold = report["gold"]
    loaded = f" (loaded as {model['spec']})" if model.get("spec") else ""
    source = {"cache": "read from the prediction cache", "model": "the model ran"}.get(model["predictions_from"], f"from {model['predictions_from']}")
    detail = model.get("prediction_source")  # a spaCy pipeline's: cache and model counts, where it ran
    if detail and detail["from"] == "mixed":
        total = detail["cached"] + detail["predicted"]
        source = f"{detail['cached']} of {total} documents read from the prediction cache, {detail['predicted']} predicted by the model"
    if detail and detail["ran_on"]:
        source += f" (inference: {detail['ran_on']})"
    if model.get("file"):  # a predictions file (nerbench.formats.predictions)
        system = f"System: {model_title(model)}; predictions read from {model['spec']} (SHA-256 {model['file']['sha256'][:16]})"
    else:
        system = f"Model: {model_title(model)}{loaded}, spaCy {report['spacy_version']}; predictions: {source}"
    lines = [
        system,
        f"Gold: {gold['path']}, {gold['documents']} documents, {gold['spans']} spans, SHA-256 {gold['sha256'][:16]}",
        f"Date: {report['date']}, nerbench {report['nerbench_version']}",
    ]
    b = report.get("bootstrap")
    if b and b["resamples"]:
        lines.append(f"Intervals: {b['confidence']:.0%} {b['method']}, {b['resamples']} resamples of {b['units']} {b['unit']}s, seed {b['seed']}")
    files = report.get("files")
    if files:
        lines.append(f"Every error: {files['errors']}; every prediction: {files['predictions']} (beside this report)")
    return lines


def outline(report: dict[str, Any]) -> list[Block]:
    """The full report (Markdown and HTML), notices first."""
    labels = report["label_scheme"]["labels"]
    blocks: list[Block] = [Heading("NER benchmark", 1), *notices(report)]
    blocks += [TableBlock(t, 2) for t in comparison_tables(report)]
    for n, model in enumerate(report["models"]):
        blocks += [Heading(model_title(model), 2), Items(tuple(provenance(report, model)))]
        blocks += [TableBlock(overall_table(model)), TableBlock(per_label_table(model, labels)), Figure("f1_chart", n)]
        tokens = token_table(model)
        blocks += [TableBlock(tokens)] if tokens else []
        blocks += [TableBlock(t) for t in conventions_tables(report, model)]
        if model.get("unmapped"):
            blocks.append(TableBlock(unmapped_table(model)))
        blocks += [TableBlock(t) for t in error_tables(model)]
        blocks.append(Figure("confusion", n, confusion_table(model)))
        blocks.append(TableBlock(per_document_table(model)))
        blocks.append(TableBlock(error_sample_table(report, model)))
        blocks.append(Figure("documents", n))
    b = report.get("bootstrap")
    if b and b["resamples"]:
        blocks.append(Paragraph(f"Intervals. {b['note']}", note=True))
    blocks.append(Paragraph(FOOTER, note=True))
    return blocks


def terminal_outline(report: dict[str, Any]) -> list[Block]:
    """The short version printed after a run: notices, the main tables, one line on conventions and errors."""
    labels = report["label_scheme"]["labels"]
    blocks: list[Block] = [*notices(report)]
    for model in report["models"]:
        blocks += [Heading(model_title(model), 2), Items(tuple(provenance(report, model)))]
        blocks += [TableBlock(overall_table(model)), TableBlock(per_label_table(model, labels))]
        tokens = token_table(model)
        blocks += [TableBlock(tokens)] if tokens else []
        conv = model["conventions"]
        forgiven = sum(conv["forgiven"].values())
        blocks.append(
            Paragraph(
                f"Conventions: strict F1 {fmt(model['schemes']['strict']['micro']['f1'])}, "
                f"{fmt(conv['micro']['f1'])} with {forgiven} {'pair' if forgiven == 1 else 'pairs'} forgiven for a leading 'the' or a possessive"
            )
        )
        cats = model["error_summary"]["categories"]
        blocks.append(Paragraph("Errors: " + ", ".join(f"{v} {CATEGORY_NAMES[k]}" for k, v in cats.items()) + " (details in the HTML and Markdown reports)"))
    blocks += [TableBlock(t, 2) for t in comparison_tables(report)]
    return blocks
