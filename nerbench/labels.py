"""The label scheme (one JSON file, read by everything else) and label maps for other models."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import NerbenchError
from .fileio import read_input_json, read_input_text, sha256_text

DEFAULT_SCHEME_PATH = Path("gold/labels.json")


@dataclass(frozen=True)
class Label:
    name: str
    definition: str
    hotkey: str = ""
    color: str = ""


@dataclass(frozen=True)
class LabelScheme:
    """An ordered set of labels; the order is the order of every report's rows."""

    name: str
    labels: tuple[Label, ...]
    path: str = ""
    sha256: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @functools.cached_property
    def _name_set(self) -> frozenset[str]:
        return frozenset(self.names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._name_set

    def get(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise KeyError(name)


def load_scheme(path: str | os.PathLike = DEFAULT_SCHEME_PATH) -> LabelScheme:
    """Load and check a label scheme file (see gold/labels.json)."""
    path = Path(path)
    text = read_input_text(path, "label scheme file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise NerbenchError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list) or not data["labels"]:
        raise NerbenchError(f'{path}: expected an object with a non-empty "labels" list')
    labels: list[Label] = []
    seen_names: set[str] = set()
    seen_keys: set[str] = set()
    for i, item in enumerate(data["labels"]):
        where = f"{path}: labels[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise NerbenchError(f'{where}: each label needs a non-empty "name"')
        name = item["name"]
        if name != name.strip() or " " in name:
            raise NerbenchError(f"{where}: label name {name!r} must not contain spaces")
        if name in seen_names:
            raise NerbenchError(f"{where}: label {name!r} is defined twice")
        if not isinstance(item.get("definition"), str) or not item["definition"].strip():
            raise NerbenchError(f'{where}: label {name!r} needs a one-line "definition"')
        hotkey = item.get("hotkey", "")
        if hotkey and hotkey in seen_keys:
            raise NerbenchError(f"{where}: hotkey {hotkey!r} of {name!r} is used by another label")
        seen_names.add(name)
        seen_keys.add(hotkey)
        labels.append(Label(name, item["definition"].strip(), hotkey, item.get("color", "")))
    return LabelScheme(
        name=str(data.get("name", path.stem)),
        labels=tuple(labels),
        path=str(path),
        sha256=sha256_text(text),
    )


@dataclass(frozen=True)
class LabelMap:
    """Maps a model's labels onto the scheme. A label mapped to None is counted, not scored."""

    mapping: dict[str, str | None]
    path: str = ""

    def apply(self, label: str) -> str | None:
        return self.mapping.get(label, label)


IDENTITY_MAP = LabelMap({})


def load_label_map(path: str | os.PathLike, scheme: LabelScheme) -> LabelMap:
    """Load a JSON object {"MODEL_LABEL": "SCHEME_LABEL" or null}."""
    path = Path(path)
    data = read_input_json(path, "label map file")
    if not isinstance(data, dict):
        raise NerbenchError(f'{path}: expected an object like {{"PER": "PERSON", "MISC": null}}')
    for source, target in data.items():
        if target is not None and target not in scheme:
            raise NerbenchError(
                f"{path}: {source!r} maps to {target!r}, which is not a label of {scheme.path or scheme.name}"
            )
    return LabelMap(dict(data), str(path))


def check_model_labels(model_name: str, model_labels: list[str], scheme: LabelScheme, label_map: LabelMap) -> None:
    """Refuse a model whose labels neither are in the scheme nor have a mapping."""
    unknown = sorted(l for l in model_labels if l not in label_map.mapping and l not in scheme)
    if unknown:
        raise NerbenchError(
            f"model {model_name} predicts labels that are not in the label scheme: {', '.join(unknown)}; "
            "map them with --label-map FILE (a JSON object, null to count a label without scoring it)"
        )
