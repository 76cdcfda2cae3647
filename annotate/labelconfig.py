"""The Label Studio project's labeling config and instructions, generated from the label scheme."""

from __future__ import annotations

import html
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
    """The project's instructions: the hotkey table and the guidelines, HTML-escaped."""
    rows = "".join(
        f"<tr><td><b>{html.escape(l.name)}</b></td><td><kbd>{html.escape(l.hotkey)}</kbd></td><td>{html.escape(l.definition)}</td></tr>"
        for l in scheme.labels
    )
    return (
        "<h3>Labels</h3><p>Press the label's hotkey (or click the label), then select the text: "
        "the span is made when you release the mouse button. Submit when the document is done.</p>"
        f"<table><tr><th>Label</th><th>Key</th><th>Definition</th></tr>{rows}</table>"
        "<h3>Guidelines</h3>"
        f'<pre style="white-space: pre-wrap">{html.escape(guidelines_markdown)}</pre>'
    )
