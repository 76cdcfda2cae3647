"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched).

Every piece of corpus text goes through `html.escape`: the seeds contain `{{ }}`, `>` and `&`.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any


from nerbench.tables import to_html

from .report import Table, comparison_tables, confusion_table, error_tables, fmt, overall_table, per_label_table, provenance
from .token_report import token_table

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; padding: 0 1em; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: .2em .6em; text-align: right; } th { background: #f4f4f4; }
td:first-child, th:first-child, td.t { text-align: left; }
.doc { white-space: pre-wrap; border: 1px solid #ddd; padding: .8em; background: #fcfcfc; line-height: 2.1; }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
mark.ent { background: var(--c, #ddd); background: color-mix(in srgb, var(--c, #ddd) 30%, white);
  border-bottom: 3px solid var(--c, #999); border-radius: 3px; padding: 0 .15em; color: inherit; }
mark.ent .tag { font-size: .65em; font-weight: 600; margin-left: .25em; vertical-align: .35em; color: #333; }
mark.err { outline: 2px solid #d7301f; outline-offset: 1px; }
mark.err-missed, mark.err-spurious { outline-style: dashed; }
.legend span { margin-right: 1.2em; } .note { color: #555; font-size: .92em; }
.notice { border-left: 4px solid #d7301f; padding: .3em .8em; background: #fff4f2; }
figure { margin: 1em 0 2em; } figcaption { color: #555; font-size: .9em; }
"""

ERROR_TEXT = {
    "wrong_label": "wrong label",
    "wrong_boundary": "wrong boundary",
    "both": "wrong label and boundary",
    "missed": "missed",
    "spurious": "spurious",
}


def render_html(report: dict[str, Any]) -> str:
    labels = report["label_scheme"]["labels"]
    colors = report["label_scheme"].get("colors", {})
    body = ["<h1>NER benchmark</h1>"]
    body += [f'<p class="notice"><b>Note:</b> {escape(n["text"])}</p>' for n in report.get("notices", [])]
    for table in comparison_tables(report):
        body += [f"<h2>{escape(table.title)}</h2>", _table(table)]
    b = report.get("bootstrap")
    for n, model in enumerate(report["models"]):
        body.append(f'<h2 id="model-{n}">{escape(model["name"])} {escape(model["version"])}</h2>')
        body.append("<ul>" + "".join(f"<li>{escape(line.replace('`', ''))}</li>" for line in provenance(report, model)) + "</ul>")
        body += [f"<h3>{escape(t.title)}</h3>" + _table(t) + (f'<p class="note">{escape(t.note)}</p>' if t.note else "") for t in (overall_table(model), per_label_table(model, labels))]
        body.append(_f1_chart(model, labels, colors))
        tokens = token_table(model)
        if tokens is not None:
            body.append(to_html(tokens))
        if "error_summary" in model:
            body += [f"<h3>{escape(t.title)}</h3>" + _table(t) for t in error_tables(model)]
            body.append(_confusion_svg(model))
            body.append(f"<h3>Documents: gold and {escape(model['name'])} side by side</h3>")
            body.append(_legend())
            body += _documents(report, model, colors)
    if b and b["resamples"]:
        body.append(f'<p class="note"><b>Intervals.</b> {escape(b["note"])}</p>')
    title = "NER benchmark: " + ", ".join(f"{m['name']} {m['version']}" for m in report["models"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        # No network: block every fetch, even if a future edit adds one by mistake.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    return f'<table class="scores"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _cell(content: str) -> str:
    text = content.replace("**", "")
    numeric = bool(re.fullmatch(r"[-+−]?[\d.,–—·%]*", text.replace(" ", "")))
    return f"<td>{escape(text)}</td>" if numeric else f'<td class="t">{escape(text)}</td>'


def _f1_chart(model: dict[str, Any], labels: list[str], colors: dict[str, str]) -> str:
    """Horizontal bars of strict F1 per label with the bootstrap interval as a whisker."""
    rows = [(l, model["schemes"]["strict"]["per_label"][l]) for l in labels]
    rows = [(l, m) for l, m in rows if m["support"] or m["predicted"]]
    rows.append(("micro", model["schemes"]["strict"]["micro"]))
    left, width, height = 110, 420, 22
    svg = [f'<svg role="img" aria-label="F1 per label" width="{left + width + 70}" height="{len(rows) * height + 30}" xmlns="http://www.w3.org/2000/svg" font-size="12">']
    for k in range(0, 11, 2):
        x = left + width * k / 10
        svg.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{len(rows) * height}" stroke="#eee"/><text x="{x}" y="{len(rows) * height + 15}" text-anchor="middle">{k / 10:.1f}</text>')
    for i, (label, m) in enumerate(rows):
        y = i * height
        f1 = m["f1"] or 0.0
        color = colors.get(label, "#555")
        svg.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        svg.append(f'<rect class="bar" x="{left}" y="{y + 4}" width="{width * f1:.1f}" height="{height - 8}" fill="{escape(color)}" opacity=".75"><title>{escape(label)} F1 {fmt(m["f1"])}</title></rect>')
        ci = (m.get("ci") or {}).get("f1")
        if ci:
            x1, x2 = left + width * ci[0], left + width * ci[1]
            svg.append(f'<line class="ci" x1="{x1:.1f}" x2="{x2:.1f}" y1="{y + height / 2}" y2="{y + height / 2}" stroke="#222" stroke-width="1.5"/>')
            svg += [f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 6}" y2="{y + height - 6}" stroke="#222"/>' for x in (x1, x2)]
        svg.append(f'<text x="{left + width + 6}" y="{y + 15}">{fmt(m["f1"])}</text>')
    svg.append("</svg>")
    return "<figure>" + "".join(svg) + "<figcaption>Strict F1 per label with its bootstrap interval (whiskers).</figcaption></figure>"


def _confusion_svg(model: dict[str, Any]) -> str:
    table = confusion_table(model)
    labels = table.headers[1:]
    matrix = model["confusion"]["matrix"]
    peak = max((v for row in matrix for v in row), default=0) or 1
    cell, left, top = 34, 110, 100
    n = len(labels)
    svg = [f'<svg role="img" aria-label="confusion matrix" width="{left + n * cell + 10}" height="{top + n * cell + 10}" xmlns="http://www.w3.org/2000/svg" font-size="11">']
    for j, name in enumerate(labels):
        x = left + j * cell + cell / 2
        svg.append(f'<text transform="translate({x},{top - 6}) rotate(-55)">{escape(name)}</text>')
    for i, row in enumerate(matrix):
        name = table.rows[i][0]
        y = top + i * cell
        svg.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4}" text-anchor="end">{escape(name)}</text>')
        for j, v in enumerate(row):
            x = left + j * cell
            diagonal = i == j and name != "spurious"
            shade = 0.08 + 0.85 * v / peak if v else 0
            fill = f"rgba(33,102,172,{shade:.2f})" if diagonal else f"rgba(215,48,31,{shade:.2f})" if v else "#fafafa"
            svg.append(f'<rect class="cell" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}"><title>gold {escape(name)}, predicted {escape(labels[j])}: {v}</title></rect>')
            if v:
                svg.append(f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle">{v}</text>')
    svg.append("</svg>")
    return (
        f"<h3>{escape(table.title)}</h3><figure>" + "".join(svg) + f"<figcaption>{escape(table.note)} Blue: agreement; red: confusion.</figcaption></figure>"
    )


def _legend() -> str:
    return (
        '<p class="legend"><span><mark class="ent">entity</mark> correct</span>'
        '<span><mark class="ent err">entity</mark> wrong label or boundary</span>'
        '<span><mark class="ent err err-missed">entity</mark> missed (gold) or spurious (prediction)</span></p>'
    )


def _documents(report: dict[str, Any], model: dict[str, Any], colors: dict[str, str]) -> list[str]:
    gold_spans = {d["id"]: d["gold"] for d in report["documents"]}
    texts = {d["id"]: d["text"] for d in report["documents"]}
    gold_errors: dict[str, dict[tuple[int, int], str]] = {}
    pred_errors: dict[str, dict[tuple[int, int], str]] = {}
    for e in model["errors"]:
        if e["gold"]:
            gold_errors.setdefault(e["document"], {})[(e["gold"]["start"], e["gold"]["end"])] = e["category"]
        if e["predicted"]:
            pred_errors.setdefault(e["document"], {})[(e["predicted"]["start"], e["predicted"]["end"])] = e["category"]
    out = []
    for doc_id, text in texts.items():
        gold_html = _highlight(text, gold_spans.get(doc_id, []), gold_errors.get(doc_id, {}), colors, "gold")
        pred_html = _highlight(text, model["predictions"].get(doc_id, []), pred_errors.get(doc_id, {}), colors, "pred")
        out.append(
            f'<h4 id="{escape(doc_id)}">{escape(doc_id)}</h4><div class="panes">'
            f'<div><b>Gold</b><div class="doc" data-side="gold">{gold_html}</div></div>'
            f'<div><b>Predicted</b><div class="doc" data-side="pred">{pred_html}</div></div></div>'
        )
    return out


def _highlight(text: str, spans: list[dict[str, Any]], errors: dict[tuple[int, int], str], colors: dict[str, str], side: str) -> str:
    parts, pos = [], 0
    for s in sorted(spans, key=lambda s: s["start"]):
        parts.append(escape(text[pos : s["start"]]))
        category = errors.get((s["start"], s["end"]))
        classes = f"ent {side}" + (f" err err-{category.replace('_', '-')}" if category else "")
        title = s["label"] + (f" · {ERROR_TEXT[category]}" if category else "")
        color = escape(colors.get(s["label"], "#999"))
        parts.append(
            f'<mark class="{classes}" style="--c:{color}" title="{escape(title)}" data-label="{escape(s["label"])}">'
            f'{escape(text[s["start"] : s["end"]])}<span class="tag">{escape(s["label"])}</span></mark>'
        )
        pos = s["end"]
    parts.append(escape(text[pos:]))
    return "".join(parts)
