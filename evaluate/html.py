"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched).

It renders the same outline as the Markdown report (`sections.outline`), tables through
`nerbench.tables.to_html`, plus charts and the documents with most errors side by side. Every
piece of text goes through `html.escape`: the seeds contain `{{ }}`, `>` and `&`, and label or
model names are data, never markup.
"""

from __future__ import annotations

from html import escape
from typing import Any

from nerbench.tables import to_html

from .sections import CATEGORY_NAMES, Figure, Heading, Items, Paragraph, TableBlock, fmt, model_title, outline

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; padding: 0 1em; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: .2em .6em; text-align: right; } th { background: #f4f4f4; }
td:first-child, th:first-child, td.t { text-align: left; } td:not(.t) { white-space: nowrap; } tr.strong td { font-weight: 600; }
ul.notices { background: #fff4e5; border-left: 4px solid #e08a00; padding: .6em 1em .6em 2em; }
.doc { white-space: pre-wrap; border: 1px solid #ddd; padding: .8em; background: #fcfcfc; line-height: 2.1; }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
mark.ent { background: var(--c, #ddd); background: color-mix(in srgb, var(--c, #ddd) 30%, white);
  border-bottom: 3px solid var(--c, #999); border-radius: 3px; padding: 0 .15em; color: inherit; }
mark.ent .tag { font-size: .65em; font-weight: 600; margin-left: .25em; vertical-align: .35em; color: #333; }
mark.err { outline: 2px solid #d7301f; outline-offset: 1px; }
mark.err-missed, mark.err-spurious { outline-style: dashed; }
.legend span { margin-right: 1.2em; } .note { color: #555; font-size: .92em; }
figure { margin: 1em 0 2em; } figcaption { color: #555; font-size: .9em; }
"""


def render_html(report: dict[str, Any]) -> str:
    body = []
    for block in outline(report):
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Items):
            items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
            body.append(f'<ul class="notices">{items}</ul>' if block.notices else f"<ul>{items}</ul>")
        elif isinstance(block, Paragraph):
            body.append(f'<p class="note">{escape(block.text)}</p>' if block.note else f"<p>{escape(block.text)}</p>")
        elif isinstance(block, TableBlock):
            body.append(to_html(block.table, block.level))
        elif isinstance(block, Figure):
            body.append(_figure(report, block))
    title = "NER benchmark: " + ", ".join(model_title(m) for m in report["models"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title>"
        # No network: block every fetch, even if a future edit adds one by mistake.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _figure(report: dict[str, Any], figure: Figure) -> str:
    model = report["models"][figure.model]
    colors = report["label_scheme"].get("colors", {})
    if figure.kind == "f1_chart":
        return _f1_chart(model, report["label_scheme"]["labels"], colors)
    if figure.kind == "confusion":
        table = figure.table
        return f"<h{figure.level}>{escape(table.title)}</h{figure.level}>" + _confusion_svg(model) + f"<figcaption>{escape(table.note)} Blue: agreement; red: confusion.</figcaption>"
    if figure.kind == "documents":
        return _documents(report, model, figure.model, colors)
    raise ValueError(f"unknown figure {figure.kind!r}")


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
    labels = model["confusion"]["labels"]
    columns = [l if l != "(none)" else "missed" for l in labels]
    rows = [l if l != "(none)" else "spurious" for l in labels]
    matrix = model["confusion"]["matrix"]
    peak = max((v for row in matrix for v in row), default=0) or 1
    cell, left, top = 34, 110, 100
    n = len(labels)
    svg = [f'<svg role="img" aria-label="confusion matrix" width="{left + n * cell + 10}" height="{top + n * cell + 10}" xmlns="http://www.w3.org/2000/svg" font-size="11">']
    for j, name in enumerate(columns):
        x = left + j * cell + cell / 2
        svg.append(f'<text transform="translate({x},{top - 6}) rotate(-55)">{escape(name)}</text>')
    for i, row in enumerate(matrix):
        name = rows[i]
        y = top + i * cell
        svg.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4}" text-anchor="end">{escape(name)}</text>')
        for j, v in enumerate(row):
            x = left + j * cell
            diagonal = i == j and name != "spurious"
            shade = 0.08 + 0.85 * v / peak if v else 0
            fill = f"rgba(33,102,172,{shade:.2f})" if diagonal else f"rgba(215,48,31,{shade:.2f})" if v else "#fafafa"
            svg.append(f'<rect class="cell" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}"><title>gold {escape(name)}, predicted {escape(columns[j])}: {v}</title></rect>')
            if v:
                svg.append(f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle">{v}</text>')
    svg.append("</svg>")
    return "<figure>" + "".join(svg) + "</figure>"


def _legend() -> str:
    return (
        '<p class="legend"><span><mark class="ent">entity</mark> correct</span>'
        '<span><mark class="ent err">entity</mark> wrong label or boundary</span>'
        '<span><mark class="ent err err-missed">entity</mark> missed (gold) or spurious (prediction)</span></p>'
    )


def _documents(report: dict[str, Any], model: dict[str, Any], n: int, colors: dict[str, str]) -> str:
    shown = model["documents_shown"]
    docs = shown["documents"]
    errors_file = report.get("files", {}).get("errors", "errors.jsonl")
    left_out = shown["documents_with_errors"] - len(docs)
    if not shown["documents_with_errors"]:
        return f"<h3>Documents with most errors</h3><p class=\"note\">No document has an error of {escape(model_title(model))}.</p>"
    note = (
        f"The {len(docs)} documents with most errors (at most {shown['limit']}, and at most "
        f"{shown['characters_limit']:,} characters of text in all), of {shown['documents_with_errors']} documents with errors"
        + (f"; {left_out} are not shown." if left_out else ".")
        + f" Every error is listed in {errors_file}."
    )
    out = [f"<h3>Documents with most errors: gold and {escape(model_title(model))} side by side</h3>", f'<p class="note">{escape(note)}</p>', _legend()]
    for doc in docs:
        gold_html = _highlight(doc["text"], doc["gold"], colors, "gold")
        pred_html = _highlight(doc["text"], doc["predicted"], colors, "pred")
        out.append(
            f'<h4 id="m{n}-{escape(doc["id"])}">{escape(doc["id"])} ({doc["errors"]} errors)</h4><div class="panes">'
            f'<div><b>Gold</b><div class="doc" data-side="gold">{gold_html}</div></div>'
            f'<div><b>Predicted</b><div class="doc" data-side="pred">{pred_html}</div></div></div>'
        )
    return "\n".join(out)


def _highlight(text: str, spans: list[dict[str, Any]], colors: dict[str, str], side: str) -> str:
    parts, pos = [], 0
    for s in sorted(spans, key=lambda s: (s["start"], s["end"])):
        if s["start"] < pos:  # highlights cannot nest: a span overlapping the previous one stays unmarked
            continue
        parts.append(escape(text[pos : s["start"]]))
        category = s.get("error")
        classes = f"ent {side}" + (f" err err-{category.replace('_', '-')}" if category else "")
        title = s["label"] + (f" · {CATEGORY_NAMES[category]}" if category else "")
        color = escape(colors.get(s["label"], "#999"))
        parts.append(
            f'<mark class="{classes}" style="--c:{color}" title="{escape(title)}" data-label="{escape(s["label"])}">'
            f'{escape(text[s["start"] : s["end"]])}<span class="tag">{escape(s["label"])}</span></mark>'
        )
        pos = s["end"]
    parts.append(escape(text[pos:]))
    return "".join(parts)
