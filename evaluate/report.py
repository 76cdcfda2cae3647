"""The report files of a run: benchmark.json, .md (for a paper's appendix) and .html, and beside them
errors.jsonl and predictions.jsonl, written as one set; and the terminal text.

Computing happens in `benchmark.py`, what the reports say in `sections.py`; here each output only
renders the outline (Markdown and terminal) or the data (JSON, JSON Lines).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson

from nerbench.fileio import FileSet
from nerbench.progress import progress
from nerbench.tables import _printable, md_escape, to_markdown, to_text

from .benchmark import ERRORS_FILE, PREDICTIONS_FILE, Evaluation
from .html import render_html
from .sections import Figure, Heading, Items, Paragraph, TableBlock, outline, terminal_outline

REPORT_NAMES = ("benchmark.json", "benchmark.md", "benchmark.html")


def report_names(html: bool = True) -> list[str]:
    """The files `write_reports` writes, in its order."""
    return [name for name in REPORT_NAMES if html or name != "benchmark.html"] + [ERRORS_FILE, PREDICTIONS_FILE]
_LINE = json.JSONEncoder(ensure_ascii=False)  # one line of JSON Lines: "\n" inside strings is escaped


def json_line(value: Any) -> str:
    """`value` as one line of JSON Lines, its newline included; UTF-8 text as is, "\n" inside strings escaped.

    orjson, not the standard library: errors.jsonl and predictions.jsonl of a large corpus are
    hundreds of megabytes, and orjson encodes them several times faster (see CHANGELOG.md).
    What orjson refuses (a lone surrogate, which the input checks keep out) goes to the standard
    encoder, so that writing it fails as it always did, naming the file.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE).decode("utf-8")
    except orjson.JSONEncodeError:
        return _LINE.encode(value) + "\n"


def _write_lines(f, values: Iterable[Any], batch: int = 1024) -> None:
    """Each value as a line of JSON Lines, written `batch` lines at a time."""
    lines: list[str] = []
    for value in values:
        lines.append(json_line(value))
        if len(lines) == batch:
            f.write("".join(lines))
            lines.clear()
    f.write("".join(lines))


def render_markdown(report: dict[str, Any]) -> str:
    out: list[str] = []
    for block in outline(report):
        if isinstance(block, Heading):
            out += [f"{'#' * block.level} {md_escape(block.text)}", ""]
        elif isinstance(block, Items):
            out += [f"- {'**Notice:** ' if block.notices else ''}{md_escape(item)}" for item in block.items] + [""]
        elif isinstance(block, Paragraph):
            out += [md_escape(block.text), ""]
        elif isinstance(block, TableBlock):
            out += [to_markdown(block.table, block.level), ""]
        elif isinstance(block, Figure) and block.table is not None:
            out += [to_markdown(block.table, block.level), ""]
    return "\n".join(out)


def render_terminal(report: dict[str, Any]) -> str:
    out: list[str] = []
    for block in terminal_outline(report):
        # no terminal escape sequence from a name in the data: control characters shown escaped, as in tables
        if isinstance(block, Heading):
            out += [_printable(block.text)] if block.text != "Notices" else []
        elif isinstance(block, Items):
            out += [_printable(f"Notice: {item}" if block.notices else f"  {item}") for item in block.items] + [""]
        elif isinstance(block, Paragraph):
            out += [_printable(block.text), ""]
        elif isinstance(block, TableBlock):
            out += [to_text(block.table), ""]
    return "\n".join(out)


def render_json(report: dict[str, Any]) -> str:
    return "".join(json_chunks(report)) + "\n"


def json_chunks(value: Any, indent: str = "") -> Iterator[str]:
    """JSON indented by two spaces, except that a list of plain values (numbers, strings, null),
    or a short object of them, stays on one line: a row of the per-document table is one line."""
    line = _one_line(value)
    if line is not None:
        yield line
        return
    inner = indent + "  "
    if isinstance(value, dict):
        yield "{\n"
        for n, (key, item) in enumerate(value.items()):
            yield f",\n{inner}" if n else inner
            yield json.dumps(key, ensure_ascii=False) + ": "
            yield from json_chunks(item, inner)
        yield f"\n{indent}}}"
    else:
        yield "[\n"
        for n, item in enumerate(value):
            yield f",\n{inner}" if n else inner
            yield from json_chunks(item, inner)
        yield f"\n{indent}]"


def _one_line(value: Any) -> str | None:
    """`value` as one line of JSON if it is a scalar, a list of scalars or a short object of scalars; else None."""
    if not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=False)
    items = value.values() if isinstance(value, dict) else value
    if any(isinstance(v, (dict, list)) and v for v in items):
        return None
    line = json.dumps(value, ensure_ascii=False)
    return line if isinstance(value, list) or len(line) <= 120 else None


def write_reports(evaluation: Evaluation, out_dir: str | Path, html: bool = True, quiet: bool = True) -> list[Path]:
    """Write benchmark.json, .md, .html, errors.jsonl and predictions.jsonl into `out_dir` as one set.

    The JSON Lines files are streamed, a line per error and per document; nothing replaces a
    previous report until every file of the set is complete. Without `html`, an earlier
    benchmark.html is removed with the same step.
    """
    if not isinstance(evaluation, Evaluation):
        raise TypeError("write_reports needs the Evaluation that run_evaluation returns: it streams every error and prediction")
    out_dir = Path(out_dir)
    report = evaluation.report
    with FileSet() as files:
        with files.open(out_dir / "benchmark.json") as f:
            for chunk in json_chunks(report):
                f.write(chunk)
            f.write("\n")
        files.write_text(out_dir / "benchmark.md", render_markdown(report))
        if html:
            files.write_text(out_dir / "benchmark.html", render_html(report))
        else:  # a page from an earlier run must not stand beside this run's reports
            files.remove(out_dir / "benchmark.html")
        with files.open(out_dir / ERRORS_FILE) as f:
            errors = sum(sum(m["error_summary"]["categories"].values()) for m in report["models"])
            _write_lines(f, progress(evaluation.errors(), total=errors, what=f"writing {ERRORS_FILE}", quiet=quiet, unit="errors"))
        with files.open(out_dir / PREDICTIONS_FILE) as f:
            _write_lines(f, progress(evaluation.predictions(), total=evaluation.lines, what=f"writing {PREDICTIONS_FILE}", quiet=quiet))
        written = files.paths
    return [path for path in written if path.exists()]  # not a removed benchmark.html
