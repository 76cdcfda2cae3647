"""The label scheme file and label maps."""

from __future__ import annotations

import json
from pathlib import Path
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


# ---- what a label scheme may hold -----------------------------------------------------------------


def test_reserved_names_are_the_rows_and_columns_the_reports_add():
    from nerbench.analysis import NONE
    from nerbench.labels import RESERVED_NAMES

    assert NONE in RESERVED_NAMES  # the confusion matrix's spurious row and missed column
    assert {"micro", "macro", "weighted", "missed", "spurious"} <= set(RESERVED_NAMES)


@pytest.mark.parametrize(
    "written,normal",
    [("p", "p"), ("P", "p"), ("Shift+Ctrl+Z", "ctrl+shift+z"), ("cmd+option+x", "alt+command+x"), ("esc", "escape"), ("ctrl+Return", "ctrl+enter")],
)
def test_hotkeys_compare_in_one_form(written, normal):
    from nerbench.labels import normalise_hotkey

    assert normalise_hotkey(written) == normal


@pytest.mark.parametrize("hotkey", ["1", "ctrl+1", "alt+p", "shift+f5", "[", "ctrl+shift+k", ""])
def test_hotkeys_that_label_studio_leaves_free_are_kept(tmp_path, hotkey):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps({"labels": [{"name": "ORG", "definition": "x", "hotkey": hotkey, "color": "#AbC"}]}))
    assert load_scheme(path).labels[0].hotkey == hotkey


def installed_label_studio_hotkeys() -> dict[str, list[str]]:
    """Section -> default keys of the installed Label Studio's front end (its keymap, as shipped)."""
    import re
    import subprocess

    from nerbench.annotate.server import label_studio_command

    python = Path(label_studio_command()).read_text().splitlines()[0][2:]
    package = subprocess.run([python, "-c", "import label_studio; print(label_studio.__file__)"], capture_output=True, text=True, check=True).stdout
    bundle = (Path(package.strip()).parents[1] / "web" / "dist" / "apps" / "labelstudio" / "main.js").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    for section, key in re.findall(r'section:"([a-z_]+)",element:"[^"]+",label:"[^"]*",key:"([^"]+)"', bundle):
        sections.setdefault(section, []).append(key)
    return sections


@pytest.mark.labelstudio
def test_editing_keys_are_those_of_the_installed_label_studio():
    """The reserved hotkeys are Label Studio's own keys on a text labelling page, read from its front end."""
    from nerbench.labels import EDITING_KEYS, normalise_hotkey

    sections = installed_label_studio_hotkeys()
    on_a_text_page = {normalise_hotkey(k) for s in ("annotation", "regions", "data_manager") for k in sections[s]}
    assert on_a_text_page and on_a_text_page <= set(EDITING_KEYS)
    assert "u" in on_a_text_page and "ctrl+z" in on_a_text_page and "backspace" in on_a_text_page
    # the committed scheme's letters are free on that page
    assert not {normalise_hotkey(l.hotkey) for l in load_scheme(Path(__file__).parents[1] / "gold" / "labels.json").labels} & set(EDITING_KEYS)
