"""The label scheme (one JSON file, read by everything else) and label maps for other models."""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import NerbenchError
from .fileio import parse_json, read_input_json, read_input_text, sha256_text

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


# Names the reports give rows and columns of their own, beside the labels: the averages, the
# interval of the whole corpus ("micro" among the labels' intervals), and the confusion matrix's
# row of spurious predictions and column of missed gold spans. A label with one of these names
# would be shown with another row's figures. Compared case-insensitively.
RESERVED_NAMES = ("micro", "macro", "weighted", "(none)", "missed", "spurious")  # "(none)": analysis.NONE

# Label Studio 1.23.2's own keys on a text labelling page (its default keymap, sections
# "annotation", "regions" and "data_manager", with their macOS forms): a label hotkey among them
# would either never fire or undo, delete or submit instead. The image, audio, video, time-series
# and paragraph keys are bound only by those tags, never on this project's page.
EDITING_KEYS = {
    "ctrl+enter": "submit", "command+enter": "submit", "ctrl+space": "skip", "alt+enter": "skip",
    "ctrl+z": "undo", "command+z": "undo", "ctrl+shift+z": "redo", "shift+command+z": "redo",
    "ctrl+backspace": "delete all regions", "command+backspace": "delete all regions",
    "enter": "focus the first region", "alt+r": "relate regions", "alt+h": "hide a region",
    "ctrl+h": "hide all regions", "command+h": "hide all regions", "alt+l": "lock a region",
    "alt+m": "edit a region's meta", "u": "unselect a region", "escape": "unselect a region",
    "backspace": "delete the selected region", "delete": "delete the selected region",
    "alt+.": "cycle through regions", "ctrl+d": "duplicate a region", "command+d": "duplicate a region",
    "shift+up": "previous task", "shift+down": "next task", "shift+left": "close the task",
    "shift+right": "open the task", "shift+.": "toggle the bulk sidebar",
}  # fmt: skip
_MODIFIERS = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "option": "alt", "shift": "shift", "command": "command", "cmd": "command"}
_MODIFIER_ORDER = ("ctrl", "alt", "shift", "command")
_NAMED_KEYS = {"esc": "escape", "return": "enter", "del": "delete", "ins": "insert"} | {
    k: k
    for k in (
        "backspace", "tab", "enter", "escape", "space", "left", "up", "right", "down", "delete",
        "insert", "home", "end", "pageup", "pagedown", "plus", "minus", *(f"f{n}" for n in range(1, 20)),
    )
}  # fmt: skip
_KEY_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789./`-=;'[]\\")  # not ",": it separates combinations
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_LABEL_KEYS = ("name", "definition", "hotkey", "color")
_SCHEME_KEYS = ("name", "description", "labels")


def load_scheme(path: str | os.PathLike = DEFAULT_SCHEME_PATH) -> LabelScheme:
    """Load and check a label scheme file (see gold/labels.json and gold/README.md)."""
    path = Path(path)
    text = read_input_text(path, "label scheme file")
    data = parse_json(text, str(path))
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list) or not data["labels"]:
        raise NerbenchError(f'{path}: expected an object with a non-empty "labels" list')
    _no_unknown_keys(data, _SCHEME_KEYS, f"{path}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip() or _bad_character(name):
        raise NerbenchError(f'{path}: "name" must be a one-line string, not {name!r}')
    if not isinstance(data.get("description", ""), str):
        raise NerbenchError(f'{path}: "description" must be a string')
    labels: list[Label] = []
    seen_names: dict[str, str] = {}  # lower case -> name
    seen_keys: dict[str, str] = {}  # normalised hotkey -> label name
    for i, item in enumerate(data["labels"]):
        where = f"{path}: labels[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise NerbenchError(f'{where}: each label needs a non-empty "name"')
        label = item["name"]
        _check_label_name(label, where)
        _no_unknown_keys(item, _LABEL_KEYS, f"{where}: label {label!r}")
        if label.lower() in seen_names:
            other = seen_names[label.lower()]
            raise NerbenchError(
                f"{where}: label {label!r} is defined twice" if other == label else f"{where}: label {label!r} differs from {other!r} only in case"
            )
        definition = item.get("definition")
        if not isinstance(definition, str) or not definition.strip():
            raise NerbenchError(f'{where}: label {label!r} needs a one-line "definition"')
        bad = _bad_character(definition)
        if bad:
            raise NerbenchError(f"{where}: the definition of {label!r} must be one line of text; it holds {bad!r}")
        hotkey = _check_hotkey(item.get("hotkey", ""), label, where)
        if hotkey:
            key = normalise_hotkey(hotkey)
            if key in seen_keys:
                raise NerbenchError(f"{where}: hotkey {hotkey!r} of {label!r} is used by another label ({seen_keys[key]})")
            seen_keys[key] = label
        color = item.get("color", "")
        if not isinstance(color, str) or (color and not _HEX_COLOR.fullmatch(color)):
            raise NerbenchError(
                f"{where}: colour {color!r} of {label!r}: use a hex colour, #rgb or #rrggbb "
                "(anything else may be CSS that the HTML report or Label Studio would run, or a name Label Studio draws black)"
            )
        seen_names[label.lower()] = label
        labels.append(Label(label, definition.strip(), hotkey, color))
    return LabelScheme(name=name, labels=tuple(labels), path=str(path), sha256=sha256_text(text))


def _no_unknown_keys(data: dict, known: tuple[str, ...], where: str) -> None:
    unknown = [k for k in data if k not in known]
    if unknown:
        raise NerbenchError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(known)})")


def _bad_character(text: str) -> str | None:
    """The first control, format, surrogate, private-use or unassigned character of `text`, or None."""
    return next((ch for ch in text if unicodedata.category(ch)[0] == "C"), None)


def _check_label_name(name: str, where: str) -> None:
    """Refuse names that would break one-line messages and tables, or take another row's place."""
    space = next((ch for ch in name if ch.isspace()), None)
    if space is not None:
        raise NerbenchError(f"{where}: label name {name!r} contains whitespace ({space!r}); use _ or -")
    bad = _bad_character(name)
    if bad is not None:
        raise NerbenchError(f"{where}: label name {name!r} contains the invisible or control character {bad!r}")
    if name.lower() in RESERVED_NAMES:
        raise NerbenchError(
            f"{where}: label name {name!r} is reserved: the reports have rows and columns of their own called "
            f"{', '.join(RESERVED_NAMES)}"
        )


def normalise_hotkey(hotkey: str) -> str:
    """`Shift+Ctrl+Z` -> `ctrl+shift+z`: lower case, modifier aliases and order made canonical."""
    *mods, key = hotkey.lower().split("+")
    canonical = {_MODIFIERS[m] for m in mods}
    return "+".join([*(m for m in _MODIFIER_ORDER if m in canonical), _NAMED_KEYS.get(key, key)])


def _check_hotkey(hotkey: object, label: str, where: str) -> str:
    """A hotkey Label Studio can bind: modifiers (ctrl, alt, shift, command) then one key; "" for none."""
    if not isinstance(hotkey, str):
        raise NerbenchError(f'{where}: hotkey {hotkey!r} of {label!r} must be a string such as "p" or "ctrl+p"')
    if not hotkey:
        return hotkey
    *mods, key = hotkey.lower().split("+")
    if any(ch.isspace() for ch in hotkey) or any(m not in _MODIFIERS for m in mods) or len({_MODIFIERS[m] for m in mods}) != len(mods):
        raise NerbenchError(
            f"{where}: hotkey {hotkey!r} of {label!r}: expected modifiers (ctrl, alt, shift, command), each once, "
            'then one key, joined by "+" without spaces, e.g. "p" or "ctrl+p"'
        )
    if key not in _NAMED_KEYS and not (len(key) == 1 and key in _KEY_CHARACTERS):
        raise NerbenchError(
            f"{where}: hotkey {hotkey!r} of {label!r}: {key!r} is not a key Label Studio can bind "
            "(a letter, a digit, one of . / ` - = ; ' [ ] \\, or a named key such as enter, space, f1)"
        )
    reserved = EDITING_KEYS.get(normalise_hotkey(hotkey))
    if reserved:
        raise NerbenchError(f"{where}: hotkey {hotkey!r} of {label!r} is Label Studio's own key to {reserved}")
    return hotkey


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
        bad = _bad_character(source)
        if not source.strip() or bad is not None:
            shown = f"holds the invisible or control character {bad!r}" if bad is not None else "is blank"
            raise NerbenchError(f"{path}: model label {source!r} {shown}")
        if target is not None and not isinstance(target, str):
            raise NerbenchError(f"{path}: {source!r} maps to {target!r}: expected a label of the scheme (a string) or null")
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
