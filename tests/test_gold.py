"""The gold loader: each bad input gives one line naming file, line, document and span."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.errors import NerbenchError
from nerbench.gold import Document, dumps_gold, load_gold, write_gold
from nerbench.spans import Span

from conftest import find, gold_line

DOC = "000_8faa29fe9a578bee"


def write_lines(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def span(doc_text, surface, label, nth=0, **changes):
    start, end = find(doc_text, surface, nth)
    data = {"start": start, "end": end, "label": label, "text": surface}
    data.update(changes)
    return data


def bad_cases(text):
    j0, j1 = find(text, "Jiangsu")
    n0, n1 = find(text, "Nanjing")
    return {
        "offsets_outside_text": (
            [{"start": len(text) - 2, "end": len(text) + 3, "label": "GPE", "text": "x"}],
            f"span 0 [{len(text) - 2}, {len(text) + 3}) GPE: offsets outside the text (0 <= start < end <= {len(text)})",
        ),
        "span_text_differs_from_slice": (
            [span(text, "Jiangsu", "GPE", text="Jiangxi")],
            f"span 0 [{j0}, {j1}) GPE 'Jiangsu': span text 'Jiangxi' differs from the text's slice",
        ),
        "trailing_whitespace": (
            [{"start": j0, "end": j1 + 1, "label": "GPE", "text": text[j0 : j1 + 1]}],
            f"span 0 [{j0}, {j1 + 1}) GPE 'Jiangsu ': span starts or ends with whitespace",
        ),
        "leading_whitespace": (
            [{"start": j0 - 1, "end": j1, "label": "GPE", "text": text[j0 - 1 : j1]}],
            f"span 0 [{j0 - 1}, {j1}) GPE ' Jiangsu': span starts or ends with whitespace",
        ),
        "overlapping_spans": (
            [span(text, "East China", "LOC"), {"start": j0 - 6, "end": j1, "label": "GPE", "text": text[j0 - 6 : j1]}],
            f"span [{j0 - 6}, {j1}) GPE {text[j0 - 6 : j1]!r} overlaps span [0, 10) LOC 'East China'",
        ),
        "label_outside_scheme": (
            [span(text, "Nanjing", "CITY")],
            f"span 0 [{n0}, {n1}) CITY 'Nanjing': label 'CITY' is not in the label scheme of",
        ),
        "unsorted_spans": (
            [span(text, "Nanjing", "GPE"), span(text, "Jiangsu", "GPE")],
            "spans are not sorted by start offset",
        ),
        "non_integer_offset": (
            [{"start": "3", "end": 5, "label": "GPE", "text": "t C"}],
            "span 0 [3, 5) GPE: start and end must be integers",
        ),
    }


CASE_NAMES = [
    "offsets_outside_text",
    "span_text_differs_from_slice",
    "trailing_whitespace",
    "leading_whitespace",
    "overlapping_spans",
    "label_outside_scheme",
    "unsorted_spans",
    "non_integer_offset",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_span_names_file_line_document_and_span(case, tmp_path, seeds, scheme):
    text = seeds.text(DOC)
    spans, message = bad_cases(text)[case]
    good = gold_line("004_a7989f5d7222c8d0", seeds.text("004_a7989f5d7222c8d0"), [])
    path = write_lines(tmp_path, good, gold_line(DOC, text, spans))
    with pytest.raises(NerbenchError) as info:
        load_gold(path, seeds, scheme)
    error = str(info.value)
    assert error.startswith(f"{path}:2: document {DOC}: ")
    assert message in error
    assert "\n" not in error


@pytest.mark.parametrize(
    "make_line,message",
    [
        (lambda text: gold_line("999_unknown", text, []), "document 999_unknown: unknown document id (not in"),
        (
            lambda text: gold_line(DOC, text.replace("Nanjing", "Nanking"), []),
            f"document {DOC}: text differs from the seed",
        ),
        (
            lambda text: gold_line(DOC, text, [], text_sha256="0" * 64),
            f"document {DOC}: text_sha256 000000000000… is not the SHA-256 of the text",
        ),
        (lambda text: '{"id": "000_8faa29fe9a578bee", "text": ', "not valid JSON"),
        (lambda text: "[1, 2]", "expected a JSON object per line"),
    ],
    ids=["unknown_document", "text_differs_from_seed", "wrong_text_hash", "broken_json", "not_an_object"],
)
def test_bad_document_is_refused(make_line, message, tmp_path, seeds, scheme):
    path = write_lines(tmp_path, make_line(seeds.text(DOC)))
    with pytest.raises(NerbenchError, match="^" + str(path).replace("\\", "\\\\") + ":1: "):
        load_gold(path, seeds, scheme)
    with pytest.raises(NerbenchError) as info:
        load_gold(path, seeds, scheme)
    assert message in str(info.value)


def test_duplicate_document_is_refused(tmp_path, seeds, scheme):
    line = gold_line(DOC, seeds.text(DOC), [])
    path = write_lines(tmp_path, line, line)
    with pytest.raises(NerbenchError, match=f":2: document {DOC}: document id already used on line 1$"):
        load_gold(path, seeds, scheme)


def test_missing_gold_file(tmp_path, seeds, scheme):
    with pytest.raises(NerbenchError, match="gold file not found$"):
        load_gold(tmp_path / "nope.jsonl", seeds, scheme)


def test_valid_gold_keeps_offsets_over_no_break_spaces_and_chinese(tmp_path, seeds, scheme):
    doc = "001_c92b095a75020d04"
    text = seeds.text(doc)
    fuzhou = "Fuzhou Daily"
    chinese = "大汉网络"  # in the "Produced By" footer of 003
    spans = [span(text, "Tang Dengjie", "PERSON"), span(text, fuzhou, "ORG")]
    spans.sort(key=lambda s: s["start"])
    doc3 = "003_60ae0ecac7092d18"
    text3 = seeds.text(doc3)
    nbsp = "Governor of Fujian\u00a0Province"
    assert nbsp in text and chinese in text3
    spans.append(span(text, "Fujian\u00a0Province", "GPE"))
    spans.sort(key=lambda s: s["start"])
    path = write_lines(tmp_path, gold_line(doc, text, spans), gold_line(doc3, text3, [span(text3, chinese, "ORG")]))
    gold = load_gold(path, seeds, scheme)
    for document in gold.documents:
        for s in document.spans:
            assert s.text_in(document.text) in {"Tang Dengjie", fuzhou, "Fujian\u00a0Province", chinese}
    # a round trip through the writer is byte-identical
    out = tmp_path / "again.jsonl"
    write_gold(out, gold.documents)
    assert out.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_writer_sorts_nothing_and_writes_whole_lines(tmp_path):
    doc = Document("x", "Ma Huateng met Lou.", (Span(0, 10, "PERSON"), Span(15, 18, "PERSON")))
    line = json.loads(dumps_gold([doc]))
    assert line["spans"] == [
        {"start": 0, "end": 10, "label": "PERSON", "text": "Ma Huateng"},
        {"start": 15, "end": 18, "label": "PERSON", "text": "Lou"},
    ]


runner = CliRunner()


def test_cli_gold_check_prints_one_error_line_and_exits_1(tmp_path, seeds, root):
    text = seeds.text(DOC)
    path = write_lines(tmp_path, gold_line(DOC, text, [span(text, "Nanjing", "CITY")]))
    result = runner.invoke(
        app, ["gold", "check", "--gold", str(path), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json")]
    )
    assert result.exit_code == 1
    n0, n1 = find(text, "Nanjing")
    assert result.stderr == (
        f"Error: {path}:1: document {DOC}: span 0 [{n0}, {n1}) CITY 'Nanjing': "
        f"label 'CITY' is not in the label scheme of {root / 'gold/labels.json'}\n"
    )
    assert result.stdout == ""


def test_cli_gold_check_accepts_a_valid_file(small_gold, root):
    result = runner.invoke(
        app, ["gold", "check", "--gold", str(small_gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{small_gold}: 2 documents, 7 spans, valid\n"


def test_cli_evaluate_with_bad_gold_writes_nothing(tmp_path, seeds, root):
    text = seeds.text(DOC)
    path = write_lines(tmp_path, gold_line(DOC, text, [span(text, "Jiangsu", "GPE", text="Jiangxi")]))
    out = tmp_path / "reports"
    out.mkdir()
    (out / "benchmark.json").write_text("previous report\n")
    result = runner.invoke(
        app,
        ["evaluate", "--gold", str(path), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), "--output-dir", str(out)],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}:1: document {DOC}: span 0 ")
    assert result.stderr.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == ["benchmark.json"]
    assert (out / "benchmark.json").read_text() == "previous report\n"


@pytest.mark.parametrize("case", CASE_NAMES)
def test_cli_refuses_each_bad_span_with_one_line_and_status_1(case, tmp_path, seeds, root):
    text = seeds.text(DOC)
    spans, message = bad_cases(text)[case]
    path = write_lines(tmp_path, gold_line(DOC, text, spans))
    result = runner.invoke(
        app, ["gold", "check", "--gold", str(path), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}:1: document {DOC}: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
