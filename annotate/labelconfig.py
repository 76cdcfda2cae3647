"""The Label Studio project's labeling config and instructions, generated from the label scheme."""

from __future__ import annotations

import html
import re
from xml.sax.saxutils import quoteattr

from nerbench.formats.labelstudio import FROM_NAME, TO_NAME
from nerbench.labels import LabelScheme


def label_config(scheme: LabelScheme) -> str:
    """A <View> with one <Labels> control (labels, hotkeys, colours, definitions as hints) over the text."""
    lines = ["<View>", f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}" showInline="true">']
    for label in scheme.labels:
        attrs = [f"value={quoteattr(label.name)}"]
        if label.color:
            attrs.append(f"background={quoteattr(label.color)}")
        if label.hotkey:
            attrs.append(f"hotkey={quoteattr(label.hotkey)}")
        attrs.append(f"hint={quoteattr(label.definition)}")
        lines.append(f"    <Label {' '.join(attrs)}/>")
    lines += ["  </Labels>", f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>', "</View>"]
    return "\n".join(lines) + "\n"


def instructions(guidelines_markdown: str, scheme: LabelScheme) -> str:
    """The project's instructions: the hotkey table and the guidelines rendered from Markdown.

    Label Studio cleans the instructions with bleach (its `SAFE_HTML_TAGS` and
    `SAFE_HTML_ATTRIBUTES`: no `style` attribute), and its dialog is about 540 px wide. So the
    guidelines are plain semantic HTML that wraps by itself: headings, paragraphs, lists, tables,
    inline code; never `<pre>`, whose lines would run out of the box (a code block becomes a
    paragraph of code lines). Raw HTML in the Markdown is shown as text.
    """
    rows = "".join(
        f"<tr><td><b>{html.escape(l.name)}</b></td><td><kbd>{html.escape(l.hotkey)}</kbd></td><td>{html.escape(l.definition)}</td></tr>"
        for l in scheme.labels
    )
    return (
        "<h3>Labels</h3><p>Press the label's hotkey (or click the label), then select the text: "
        "the span is made when you release the mouse button. Submit when the document is done.</p>"
        f"<table><tr><th>Label</th><th>Key</th><th>Definition</th></tr>{rows}</table>"
        "<h3>Guidelines</h3>"
        f"{markdown_html(guidelines_markdown)}"
    )


_CODE_BLOCK = re.compile(r"<pre><code[^>]*>(.*?)</code></pre>", re.S)


def markdown_html(text: str) -> str:
    """CommonMark with tables, raw HTML escaped, list markers written out, code blocks as wrapping paragraphs.

    Label Studio's page styles remove list bullets, numbers and indentation, so each item starts
    with its marker as text ("1. ", "• ", indented by no-break spaces when nested): a numbered
    rule keeps its number in the dialog.
    """
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    lists: list[list] = []  # per open list: [ordered, next number]
    pending: str | None = None
    for token in tokens:
        if token.type in ("ordered_list_open", "bullet_list_open"):
            lists.append([token.type == "ordered_list_open", int(token.attrGet("start") or 1)])
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            ordered, number = lists[-1]
            indent = "\u00a0" * 4 * (len(lists) - 1)  # the page's styles drop the indentation of nested lists too
            pending = indent + (f"{number}. " if ordered else "• ")
            lists[-1][1] += 1
        elif token.type == "inline" and pending is not None:
            marker = Token("text", "", 0)
            marker.content = pending
            token.children = [marker, *(token.children or [])]
            pending = None
    rendered = md.renderer.render(tokens, md.options, {})
    return _CODE_BLOCK.sub(lambda m: "<p>" + "<br>".join(f"<code>{line}</code>" for line in m.group(1).rstrip("\n").split("\n")) + "</p>", rendered)
