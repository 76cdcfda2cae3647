"""Predictions files: checked like the gold, mapped like a model's labels, one error line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nerbench.errors import NerbenchError
from nerbench.fileio import sha256_text
from nerbench.formats.predictions import dumps_predictions, load_predictions
from nerbench.labels import IDENTITY_MAP, LabelMap
from nerbench.spans import Span

from conftest import find

DOC = "000_8faa29fe9a578bee"
OTHER = "004_a7989f5d7222c8d0"


@pytest.fixture
def texts(seeds):
    return {DOC: seeds.text(DOC), OTHER: seeds.text(OTHER)}


def write(tmp_path: Path, *lines) -> Path:
    path = tmp_path / "preds.jsonl"
    path.write_text("".join((l if isinstance(l, str) else json.dumps(l, ensure_ascii=False)) + "\n" for l in lines), encoding="utf-8")
    return path


def span(document: str, surface: str, label: str, **extra) -> dict:
    start, end = find(document, surface)
    return {"start": start, "end": end, "label": label, **extra}


def with_text(document: str, surface: str, label: str) -> dict:
    return span(document, surface, label, text=surface)


def test_a_predictions_file_is_read_in_gold_order_sorted_and_named_by_its_model(tmp_path, texts, scheme):
    text = texts[DOC]
    path = write(
        tmp_path,
        {"id": OTHER, "spans": [], "model": {"name": "my-tagger", "version": "2.1"}},
        {"id": DOC, "text_sha256": sha256_text(text), "spans": [span(text, "Tencent", "ORG"), with_text(text, "Jiangsu", "GPE")]},
    )
    read = load_predictions(path, texts, scheme, IDENTITY_MAP)
    assert (read.name, read.version, read.labels, read.missing) == ("my-tagger", "2.1", ("GPE", "ORG"), ())
    assert list(read.spans) == [DOC, OTHER]
    assert read.spans[DOC] == sorted([Span(*find(text, "Jiangsu"), "GPE"), Span(*find(text, "Tencent"), "ORG")])
    assert read.info()["file"] == {"path": str(path), "sha256": sha256_text(path.read_text(encoding="utf-8"))}


def test_without_a_model_the_file_name_names_the_system(tmp_path, texts, scheme):
    read = load_predictions(write(tmp_path, {"id": DOC, "spans": []}, {"id": OTHER, "spans": []}), texts, scheme, IDENTITY_MAP)
    assert (read.name, read.version) == ("preds.jsonl", "")


def test_labels_go_through_the_label_map_and_null_is_counted_not_scored(tmp_path, texts, scheme):
    text = texts[DOC]
    path = write(tmp_path, {"id": DOC, "spans": [span(text, "Tencent", "COMPANY"), span(text, "Jiangsu", "MISC")]}, {"id": OTHER, "spans": []})
    read = load_predictions(path, texts, scheme, LabelMap({"COMPANY": "ORG", "MISC": None}))
    assert read.spans[DOC] == [Span(*find(text, "Tencent"), "ORG")] and dict(read.unmapped) == {"MISC": 1}


def test_a_span_may_start_with_whitespace_as_a_models_can(tmp_path, texts, scheme):
    text = texts[DOC]
    start, end = find(text, " Tencent")
    read = load_predictions(write(tmp_path, {"id": DOC, "spans": [{"start": start, "end": end, "label": "ORG"}]}, {"id": OTHER, "spans": []}), texts, scheme, IDENTITY_MAP)
    assert read.spans[DOC] == [Span(start, end, "ORG")]


def test_missing_documents_are_refused_or_counted_as_empty(tmp_path, texts, scheme):
    path = write(tmp_path, {"id": DOC, "spans": []})
    with pytest.raises(NerbenchError) as e:
        load_predictions(path, texts, scheme, IDENTITY_MAP)
    assert str(e.value) == f"{path}: no line for 1 document(s) of the gold: {OTHER} (predict them, or pass --missing-as-empty to count them as predicting nothing)"
    read = load_predictions(path, texts, scheme, IDENTITY_MAP, missing="empty")
    assert read.missing == (OTHER,) and read.spans[OTHER] == []


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "999_unknown", "spans": []}', "{path}:1: document 999_unknown: not a document of the gold"),
        ('{"spans": []}', '{path}:1: missing document "id"'),
        ('["not", "an", "object"]', "{path}:1: expected a JSON object per line"),
        ('{"id": "DOC", "spans": [{"start": 0, "end": 99999, "label": "ORG"}]}', "{path}:1: document DOC: span 0 [0, 99999) ORG: offsets outside the text (0 <= start < end <= LEN)"),
        ('{"id": "DOC", "spans": [{"start": 0, "end": 4, "label": "ORG", "text": "West"}]}', "{path}:1: document DOC: span 0 [0, 4) ORG 'East': span text 'West' differs from the text's slice"),
        ('{"id": "DOC", "spans": [{"start": 0, "end": 4, "label": "ORG"}, {"start": 2, "end": 10, "label": "LOC"}]}', "{path}:1: document DOC: span [2, 10) LOC 'st China' overlaps span [0, 4) ORG 'East'"),
        ('{"id": "DOC", "spans": [{"start": 0, "end": 4, "label": "PER"}]}', "{path}:1: document DOC: span [0, 4) PER 'East': label 'PER' is not in the label scheme of SCHEME; map it with --label-map FILE"),
        ('{"id": "DOC", "spans": {"start": 0}}', '{path}:1: document DOC: "spans" must be a list (an empty list when nothing is predicted)'),
        ('{"id": "DOC", "text": "other text", "spans": []}', "{path}:1: document DOC: its text (10 characters) differs from the seed's (LEN characters, SHA-256 HASH…)"),
        ('{"id": "DOC", "text_sha256": "abc", "spans": []}', "{path}:1: document DOC: text_sha256 abc… is not the seed's (HASH…): predicted on another text"),
        ('{"id": "DOC", "spans": [], "model": "spacy"}', '{path}:1: document DOC: "model" must be an object with a "name" (and optionally a "version"), e.g. {{"name": "my-tagger", "version": "1.0"}}'),
        ('{"id": "DOC", "spans": [], "model": {"name": "a"}}\n{"id": "OTHER", "spans": [], "model": {"name": "b"}}', "{path}:2: document OTHER: model {{'name': 'b', 'version': ''}} differs from line 1's {{'name': 'a', 'version': ''}}; one file holds one system's predictions"),
        ('{"id": "DOC", "spans": []}\n{"id": "DOC", "spans": []}', "{path}:2: document DOC: document id already used on line 1"),
        ('{"id": "DOC", "spans": [', "{path}:1: not valid JSON: Expecting value (line 1, column 42)"),
    ],
)
def test_bad_predictions_are_one_line_naming_file_line_document_and_span(tmp_path, texts, scheme, line, message):
    text = texts[DOC]
    path = write(tmp_path, line.replace('"DOC"', f'"{DOC}"').replace('"OTHER"', f'"{OTHER}"'))
    with pytest.raises(NerbenchError) as e:
        load_predictions(path, texts, scheme, IDENTITY_MAP)
    expected = (
        message.format(path=path)
        .replace("DOC", DOC)
        .replace("OTHER", OTHER)
        .replace("LEN", str(len(text)))
        .replace("HASH", sha256_text(text)[:12])
        .replace("SCHEME", scheme.path)
    )
    assert str(e.value) == expected


def test_written_predictions_read_back_the_same(tmp_path, texts, scheme):
    text = texts[DOC]
    spans = [Span(*find(text, "Tencent"), "ORG"), Span(*find(text, "Nanjing"), "GPE")]
    path = tmp_path / "p.jsonl"
    path.write_text(dumps_predictions([(DOC, text, spans), (OTHER, texts[OTHER], [])], {"name": "m", "version": "1"}), encoding="utf-8")
    read = load_predictions(path, texts, scheme, IDENTITY_MAP)
    assert read.spans == {DOC: sorted(spans), OTHER: []} and (read.name, read.version) == ("m", "1")
