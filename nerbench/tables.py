"""One plain table model, and a renderer per output: Markdown, terminal text, HTML.

Cells are plain text: no Markdown, no HTML. Each renderer escapes what its format needs, so a
label or model name such as `<b>ORG|x</b>` shows as written everywhere and never becomes markup.
Alignment is declared, never guessed: the first column and the `text_columns` are aligned left,
every other column (numbers) right. A row may be `strong` (totals such as micro and macro): bold
in Markdown and HTML, plain in the terminal.

    table = Table("Per label", ["Label", "F1"])
    table.add("ORG", "0.608")
    table.add("micro", "0.681", strong=True)
    print(to_text(table))

Depends on nothing but the standard library, so the core, the reports, the pull report and the
speed benchmark all render through it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Sequence


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    strong: bool = False


@dataclass
class Table:
    """A titled table of plain-text cells; `add` appends a row."""

    title: str
    columns: Sequence[str]
    text_columns: Sequence[str] = ()  # columns of words, not numbers: aligned left
    note: str = ""
    rows: list[Row] = field(default_factory=list)

    def add(self, *cells: object, strong: bool = False) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"table {self.title!r}: a row of {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(Row(tuple("" if c is None else str(c) for c in cells), strong))

    def left_aligned(self) -> set[int]:
        """Indices of the columns aligned left: the first, and the text columns."""
        return {0, *(i for i, name in enumerate(self.columns) if name in self.text_columns)}

    def column(self, name: str) -> list[str]:
        k = list(self.columns).index(name)
        return [row.cells[k] for row in self.rows]


# ---- Markdown (GitHub-flavoured) ----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*\[\]|<>#!~])")
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")  # emphasis only at a word's edge


def md_escape(text: str) -> str:
    """Plain text made safe in Markdown, table cells included: no emphasis, link, code, HTML or column break."""
    text = re.sub(r"&(?=#?[0-9A-Za-z]+;)", "&amp;", text.replace("\r", " ").replace("\n", " "))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_UNDERSCORE.sub(r"\\_", text)


def md_code(text: str) -> str:
    """Text as inline code: a fence of backticks longer than any run inside it."""
    text = text.replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_markdown(table: Table, level: int = 3) -> str:
    """A heading, the table, and its note; every cell escaped."""
    left = table.left_aligned()
    lines = [f"{'#' * level} {md_escape(table.title)}", ""] if table.title else []
    lines.append("| " + " | ".join(md_escape(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---" if i in left else "---:" for i in range(len(table.columns))) + "|")
    for row in table.rows:
        cells = [md_escape(c) for c in row.cells]
        if row.strong:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if table.note:
        lines += ["", md_escape(table.note)]
    return "\n".join(lines)


# ---- Terminal text ------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters take two, combining marks none."""
    import unicodedata

    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, left: bool) -> str:
    gap = " " * max(width - _width(text), 0)
    return text + gap if left else gap + text


def to_text(table: Table) -> str:
    """The title, then the columns padded to their widths, a rule under the header; control characters shown escaped."""
    header = [_printable(c) for c in table.columns]
    body = [[_printable(c) for c in row.cells] for row in table.rows]
    widths = [max(_width(r[i]) for r in [header, *body]) for i in range(len(header))]
    left = table.left_aligned()
    lines = [table.title] if table.title else []
    for n, cells in enumerate([header, *body]):
        lines.append("  ".join(_pad(c, w, i in left) for i, (c, w) in enumerate(zip(cells, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if table.note:
        lines += ["", _printable(table.note)]
    return "\n".join(lines)


def _printable(text: str) -> str:
    """No terminal escape sequence or line break from a cell: control characters as \\x.. escapes."""
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in text)


# ---- HTML ---------------------------------------------------------------------------------------


def to_html(table: Table, level: int = 3) -> str:
    """A heading, a <table> (text columns of class `t`, strong rows of class `strong`) and its note."""
    left = table.left_aligned()
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = "".join(
            f'<td class="t">{html.escape(c)}</td>' if i in left else f"<td>{html.escape(c)}</td>" for i, c in enumerate(row.cells)
        )
        rows.append(f'<tr class="strong">{cells}</tr>' if row.strong else f"<tr>{cells}</tr>")
    out = [f"<h{level}>{html.escape(table.title)}</h{level}>"] if table.title else []
    out.append(f'<table class="scores"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    if table.note:
        out.append(f'<p class="note">{html.escape(table.note)}</p>')
    return "\n".join(out)
