"""The label scheme file and label maps."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from nerbench.errors import NerbenchError
from nerbench.labels import check_model_labels, load_label_map, load_scheme, IDENTITY_MAP
from nerbench.evaluate.predict import map_spans

ONTONOTES = {
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
}  # fmt: skip


def test_scheme_has_the_18_ontonotes_types_with_definitions_and_unique_hotkeys(scheme):
    assert set(scheme.names) == ONTONOTES and len(scheme.names) == 18
    assert all(label.definition and "\n" not in label.definition for label in scheme.labels)
    assert len({label.hotkey for label in scheme.labels}) == 18


@pytest.mark.parametrize(
    "content,message",
    [
        ("not json", "not valid JSON"),
        ('{"labels": []}', 'expected an object with a non-empty "labels" list'),
        ('{"labels": [{"name": "ORG", "definition": "x"}, {"name": "ORG", "definition": "y"}]}', "labels[1]: label 'ORG' is defined twice"),
        ('{"labels": [{"name": "ORG"}]}', "labels[0]: label 'ORG' needs a one-line \"definition\""),
        ('{"labels": [{"name": "A", "definition": "x", "hotkey": "a"}, {"name": "B", "definition": "y", "hotkey": "a"}]}', "hotkey 'a' of 'B' is used by another label"),
    ],
)
def test_bad_scheme_is_refused(tmp_path, content, message):
    path = tmp_path / "labels.json"
    path.write_text(content)
    with pytest.raises(NerbenchError) as info:
        load_scheme(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_label_map_maps_and_counts_labels_that_map_to_nothing(tmp_path, scheme):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"PER": "PERSON", "MISC": None}))
    label_map = load_label_map(path, scheme)
    unmapped = Counter()
    spans = map_spans([(0, 3, "PER"), (4, 8, "MISC"), (9, 12, "ORG"), (13, 15, "MISC")], "d1", "m", scheme, label_map, unmapped)
    assert [(s.start, s.label) for s in spans] == [(0, "PERSON"), (9, "ORG")]
    assert unmapped == {"MISC": 2}


def test_label_map_to_an_unknown_label_is_refused(tmp_path, scheme):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"PER": "PEOPLE"}))
    with pytest.raises(NerbenchError, match=f"^{path}: 'PER' maps to 'PEOPLE', which is not a label of"):
        load_label_map(path, scheme)


def test_model_with_unmapped_labels_is_refused(scheme):
    with pytest.raises(NerbenchError, match="^model xx_model predicts labels that are not in the label scheme: MISC, PER; map them"):
        check_model_labels("xx_model", ["PER", "ORG", "MISC"], scheme, IDENTITY_MAP)
