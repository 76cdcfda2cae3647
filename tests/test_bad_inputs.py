"""Every class of bad input, through the real command line: one exact `Error:` line, the exit status, no
traceback, and nothing changed on disk.

Each row of BAD is one distinct bad input: a workspace (a copy of the seeds, the gold and the label
scheme, and the reports of an earlier run) is broken by `prepare`, the command runs as a process of
its own, and the whole workspace is hashed before and after. To add a case, add a row: `args` and
`error` may hold `{ws}` (the workspace) and `{cache}` (a prediction cache already filled by a real
run of the baseline, for the cases that reach the writing of the reports). Exit status 2 is a
command line that cannot be parsed, 1 any other bad input.

The read-only and full-disk cases mount a small tmpfs, and the permission cases take root's power
to read any file away (`setpriv`), so they need root, as `make test` has in CI; they fail rather
than skip without it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from nerbench.fileio import sha256_text
from nerbench.seeds import build_manifest

from conftest import ROOT, find, gold_line, run_nerbench

DOC = "000_8faa29fe9a578bee"
MARKS = "900_marks"  # a seed of our own, with combining marks, joiners and emoji
MARKS_TEXT = "Zoe\u0308 met Jose\u0301 at \u200bTencent; the 👨\u200d👩\u200d👧 family and 👍🏽 fans.\n"


@dataclass(frozen=True)
class Bad:
    id: str
    args: tuple[str, ...]
    error: str  # the whole stderr line after "Error: "
    status: int = 1
    prepare: Callable[[Path], None] | None = None
    mount: str = ""  # "ro": the reports and seeds on a read-only tmpfs; "full": on a full one
    unprivileged: bool = False  # run nerbench as root without the power to read and write any file


# ---- commands ----------------------------------------------------------------------------------

LABELS = "{ws}/gold/labels.json"
GOLD_CHECK = ("gold", "check", "--gold", "{ws}/gold/gold.jsonl", "--seeds", "{ws}/seeds", "--labels", LABELS)
SEEDS_CHECK = ("seeds", "check", "--seeds", "{ws}/seeds")
SEEDS_MANIFEST = ("seeds", "manifest", "--seeds", "{ws}/seeds")
EVALUATE = (
    "evaluate", "-q", "--gold", "{ws}/gold/gold.jsonl", "--seeds", "{ws}/seeds", "--labels", LABELS,
    "--output-dir", "{ws}/reports", "--cache-dir", "{ws}/cache", "--bootstrap", "0",
)  # fmt: skip


def evaluate(*extra: str) -> tuple[str, ...]:
    """`nerbench evaluate` on the workspace; a repeated option in `extra` wins (click keeps the last)."""
    return EVALUATE + extra


# ---- ways to break the workspace ------------------------------------------------------------------


def write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def prepare(ws: Path) -> None:
        path = ws / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)

    return prepare


def gold(*lines: str | Callable[[Path], str]) -> Callable[[Path], None]:
    """The gold file made of these lines (a callable gets the workspace)."""

    def prepare(ws: Path) -> None:
        text = "".join((line(ws) if callable(line) else line) + "\n" for line in lines)
        (ws / "gold" / "gold.jsonl").write_text(text, encoding="utf-8")

    return prepare


def first_gold_line(**changes) -> Callable[[Path], str]:
    """The committed gold's first line with keys changed (a value None deletes the key)."""

    def line(ws: Path) -> str:
        data = json.loads((ws / "gold" / "gold.jsonl").read_text(encoding="utf-8").split("\n")[0])
        for key, value in changes.items():
            if value is None:
                data.pop(key)
            else:
                data[key] = value
        return json.dumps(data, ensure_ascii=False)

    return line


def json_file(relative: str, edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def prepare(ws: Path) -> None:
        path = ws / relative
        data = json.loads(path.read_text(encoding="utf-8"))
        result = edit(data)
        path.write_text(json.dumps(data if result is None else result, ensure_ascii=False), encoding="utf-8")

    return prepare


def label(index: int, **fields) -> Callable[[Path], None]:
    """Change fields of the scheme's label `index` (PERSON is 0, NORP 1, ...)."""
    return json_file("gold/labels.json", lambda data: data["labels"][index].update(fields))


def manifest_entry(index: int, **fields) -> Callable[[Path], None]:
    return json_file("seeds/manifest.json", lambda data: data["documents"][index].update(fields))


def label_map(content: str) -> Callable[[Path], None]:
    return write("map.json", content)


def both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def prepare(ws: Path) -> None:
        for step in steps:
            step(ws)

    return prepare


def marks_gold(surface: str, nth: int = 0, start_shift: int = 0) -> Callable[[Path], None]:
    """Add the seed MARKS_TEXT and a gold of one span over `surface` (its start moved by `start_shift`)."""

    def prepare(ws: Path) -> None:
        (ws / "seeds" / f"{MARKS}.txt").write_text(MARKS_TEXT, encoding="utf-8")
        build_manifest(ws / "seeds")
        start, end = find(MARKS_TEXT, surface, nth)
        start += start_shift
        span = {"start": start, "end": end, "label": "PERSON", "text": MARKS_TEXT[start:end]}
        (ws / "gold" / "gold.jsonl").write_text(gold_line(MARKS, MARKS_TEXT, [span]) + "\n", encoding="utf-8")

    return prepare


def symlink(relative: str, target: str) -> Callable[[Path], None]:
    def prepare(ws: Path) -> None:
        (ws / relative).unlink(missing_ok=True)
        (ws / relative).symlink_to(target)

    return prepare


def fifo(relative: str) -> Callable[[Path], None]:
    def prepare(ws: Path) -> None:
        (ws / relative).unlink(missing_ok=True)
        os.mkfifo(ws / relative)

    return prepare


def folder(relative: str) -> Callable[[Path], None]:
    def prepare(ws: Path) -> None:
        path = ws / relative
        if path.is_file():
            path.unlink()
        path.mkdir(parents=True)

    return prepare


def chmod(relative: str, mode: int) -> Callable[[Path], None]:
    return lambda ws: os.chmod(ws / relative, mode)


SEED = f"{{ws}}/seeds/{DOC}.txt"
SEED_SHA = "73827d95f84066a2ce663087df5da3b64e895bc9d7cbe764fddbf115e63efefe"
REGENERATE = "run `nerbench seeds manifest` if the change is meant"
RESERVED = "is reserved: the reports have rows and columns of their own called micro, macro, weighted, (none), missed, spurious"
HOTKEY_FORM = 'expected modifiers (ctrl, alt, shift, command), each once, then one key, joined by "+" without spaces, e.g. "p" or "ctrl+p"'
COLOUR = "use a hex colour, #rgb or #rrggbb (anything else may be CSS that the HTML report or Label Studio would run, or a name Label Studio draws black)"
THRESHOLD = "VALUE must be a decimal number from 0 to 1, e.g. 0.65"

# fmt: off
BAD = [
    # ---- JSON, in any input file -------------------------------------------------------------
    Bad("gold_nested_too_deeply", GOLD_CHECK, "{ws}/gold/gold.jsonl:1: JSON nested too deeply", prepare=gold("[" * 100_000 + "]" * 100_000)),
    Bad("gold_integer_of_5000_digits", GOLD_CHECK, "{ws}/gold/gold.jsonl:1: not usable JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit", prepare=gold('{"id": ' + "7" * 5000 + "}")),
    Bad("gold_lone_surrogate", GOLD_CHECK, "{ws}/gold/gold.jsonl:2: JSON string holds a lone surrogate '\\ud800' (not a Unicode character)", prepare=gold(first_gold_line(), '{"id": "x\\ud800"}')),
    Bad("gold_key_twice", GOLD_CHECK, "{ws}/gold/gold.jsonl:1: not usable JSON: key 'spans' appears twice in one object", prepare=gold(lambda ws: first_gold_line()(ws)[:-1] + ', "spans": []}')),
    Bad("gold_nan", GOLD_CHECK, "{ws}/gold/gold.jsonl:1: not usable JSON: NaN is not a JSON number", prepare=gold('{"id": NaN}')),
    Bad("gold_number_out_of_range", GOLD_CHECK, "{ws}/gold/gold.jsonl:1: not usable JSON: number 1e400 is out of range", prepare=gold('{"id": "a", "n": 1e400}')),
    Bad("gold_not_utf8", GOLD_CHECK, "{ws}/gold/gold.jsonl: not valid UTF-8: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte", prepare=write("gold/gold.jsonl", b"\xff{}\n")),
    Bad("gold_a_pipe", GOLD_CHECK, "{ws}/gold/gold.jsonl: is not a regular file (a device, socket or pipe), not the gold file", prepare=fifo("gold/gold.jsonl")),
    Bad("gold_a_folder", GOLD_CHECK, "Invalid value for '--gold': file '{ws}/gold/gold.jsonl' is a directory. (see `nerbench gold check --help`)", status=2, prepare=folder("gold/gold.jsonl")),
    Bad("manifest_nested_too_deeply", SEEDS_CHECK, "{ws}/seeds/manifest.json: JSON nested too deeply", prepare=write("seeds/manifest.json", "{" + '"a":{' * 100_000 + "}" * 100_001)),
    Bad("labels_integer_of_5000_digits", GOLD_CHECK, "{ws}/gold/labels.json: not usable JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit", prepare=lambda ws: (ws / "gold/labels.json").write_text((ws / "gold/labels.json").read_text().replace('"hotkey": "p"', '"hotkey": ' + "9" * 5000))),
    Bad("labels_lone_surrogate", GOLD_CHECK, "{ws}/gold/labels.json: JSON string holds a lone surrogate '\\udfff' (not a Unicode character)", prepare=write("gold/labels.json", '{"labels": [{"name": "A\\udfff", "definition": "x"}]}')),
    Bad("label_map_key_twice", evaluate("--label-map", "{ws}/map.json"), "{ws}/map.json: not usable JSON: key 'PER' appears twice in one object", prepare=label_map('{"PER": "PERSON", "PER": null}')),
    # ---- gold documents and spans --------------------------------------------------------------
    Bad("gold_without_spans", GOLD_CHECK, f'{{ws}}/gold/gold.jsonl:1: document {DOC}: "spans" must be a list (empty for a document without entities)', prepare=gold(first_gold_line(spans=None))),
    Bad("gold_misspelt_spans", GOLD_CHECK, f'{{ws}}/gold/gold.jsonl:1: document {DOC}: "spans" must be a list (empty for a document without entities)', prepare=gold(first_gold_line(spans=None, span=[]))),
    Bad("gold_meta_not_an_object", GOLD_CHECK, f'{{ws}}/gold/gold.jsonl:1: document {DOC}: "meta" must be an object', prepare=gold(first_gold_line(meta=["label-studio"]))),
    Bad("gold_id_a_list", GOLD_CHECK, '{ws}/gold/gold.jsonl:1: missing document "id"', prepare=gold(first_gold_line(id=[DOC]))),
    Bad("span_ends_before_a_combining_mark", GOLD_CHECK, f"{{ws}}/gold/gold.jsonl:1: document {MARKS}: span 0 [0, 3) PERSON 'Zoe': span ends before the combining mark U+0308 COMBINING DIAERESIS, which belongs to its last character", prepare=marks_gold("Zoe")),
    Bad("span_starts_with_a_combining_mark", GOLD_CHECK, f"{{ws}}/gold/gold.jsonl:1: document {MARKS}: span 0 [13, 17) PERSON '\u0301 at': span starts with the combining mark U+0301 COMBINING ACUTE ACCENT, which belongs to the character before it", prepare=marks_gold("\u0301 at")),
    Bad("span_starts_with_an_invisible_character", GOLD_CHECK, f"{{ws}}/gold/gold.jsonl:1: document {MARKS}: span 0 [18, 26) PERSON '\\u200bTencent': span starts or ends with the invisible or control character '\\u200b' (U+200B ZERO WIDTH SPACE)", prepare=marks_gold("\u200bTencent")),
    Bad("span_cuts_a_joined_emoji", GOLD_CHECK, f"{{ws}}/gold/gold.jsonl:1: document {MARKS}: span 0 [32, 33) PERSON '👨': span cuts a sequence joined by U+200D ZERO WIDTH JOINER (such as an emoji made of several)", prepare=marks_gold("👨")),
    Bad("span_cuts_a_skin_tone", GOLD_CHECK, f"{{ws}}/gold/gold.jsonl:1: document {MARKS}: span 0 [49, 50) PERSON '👍': span ends before the combining mark U+1F3FD EMOJI MODIFIER FITZPATRICK TYPE-4, which belongs to its last character", prepare=marks_gold("👍")),
    # ---- label schemes -------------------------------------------------------------------------
    *(Bad(f"label_named_{name}", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: label name {name!r} {RESERVED}", prepare=label(0, name=name))
      for name in ("micro", "macro", "weighted", "(none)", "missed", "spurious", "Micro")),
    Bad("label_name_with_a_space", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: label name 'WORK OF ART' contains whitespace (' '); use _ or -", prepare=label(0, name="WORK OF ART")),
    Bad("label_name_with_a_tab", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: label name 'PER\\tSON' contains whitespace ('\\t'); use _ or -", prepare=label(0, name="PER\tSON")),
    Bad("label_name_with_a_newline", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: label name 'PERSON\\n' contains whitespace ('\\n'); use _ or -", prepare=label(0, name="PERSON\n")),
    Bad("label_name_with_a_control_character", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: label name 'PER\\x07' contains the invisible or control character '\\x07'", prepare=label(0, name="PER\x07")),
    Bad("label_name_with_a_zero_width_space", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: label name 'PER\\u200b' contains the invisible or control character '\\u200b'", prepare=label(0, name="PER\u200b")),
    Bad("label_names_differing_in_case", GOLD_CHECK, "{ws}/gold/labels.json: labels[1]: label 'person' differs from 'PERSON' only in case", prepare=label(1, name="person")),
    Bad("label_definition_of_two_lines", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: the definition of 'PERSON' must be one line of text; it holds '\\n'", prepare=label(0, definition="People.\nAlso animals.")),
    Bad("label_unknown_key", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: label 'PERSON': unknown key 'colour' (known: name, definition, hotkey, color)", prepare=label(0, colour="#fff")),
    Bad("hotkey_used_twice_in_other_case", GOLD_CHECK, "{ws}/gold/labels.json: labels[1]: hotkey 'P' of 'NORP' is used by another label (PERSON)", prepare=label(1, hotkey="P")),
    Bad("hotkey_used_twice_in_other_order", GOLD_CHECK, "{ws}/gold/labels.json: labels[1]: hotkey 'shift+ctrl+a' of 'NORP' is used by another label (PERSON)", prepare=both(label(0, hotkey="ctrl+shift+a"), label(1, hotkey="shift+ctrl+a"))),
    Bad("hotkey_unselect_u", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: hotkey 'u' of 'PERSON' is Label Studio's own key to unselect a region", prepare=label(0, hotkey="u")),
    Bad("hotkey_undo_ctrl_z", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: hotkey 'Ctrl+Z' of 'PERSON' is Label Studio's own key to undo", prepare=label(0, hotkey="Ctrl+Z")),
    Bad("hotkey_delete_backspace", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: hotkey 'backspace' of 'PERSON' is Label Studio's own key to delete the selected region", prepare=label(0, hotkey="backspace")),
    Bad("hotkey_submit_command_enter", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: hotkey 'command+return' of 'PERSON' is Label Studio's own key to submit", prepare=label(0, hotkey="command+return")),
    Bad("hotkey_a_number", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: hotkey 5 of 'PERSON' must be a string such as \"p\" or \"ctrl+p\"", prepare=label(0, hotkey=5)),
    Bad("hotkey_with_spaces", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: hotkey 'ctrl + p' of 'PERSON': {HOTKEY_FORM}", prepare=label(0, hotkey="ctrl + p")),
    Bad("hotkey_of_no_key", GOLD_CHECK, "{ws}/gold/labels.json: labels[0]: hotkey 'é' of 'PERSON': 'é' is not a key Label Studio can bind (a letter, a digit, one of . / ` - = ; ' [ ] \\, or a named key such as enter, space, f1)", prepare=label(0, hotkey="é")),
    Bad("colour_a_number", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: colour 16711680 of 'PERSON': {COLOUR}", prepare=label(0, color=16711680)),
    Bad("colour_url", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: colour 'url(https://example.org/x.png)' of 'PERSON': {COLOUR}", prepare=label(0, color="url(https://example.org/x.png)")),
    Bad("colour_with_css_after_it", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: colour '#fff; background: red' of 'PERSON': {COLOUR}", prepare=label(0, color="#fff; background: red")),
    Bad("colour_quoted", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: colour '#fff\"/><script>' of 'PERSON': {COLOUR}", prepare=label(0, color='#fff"/><script>')),
    Bad("colour_of_five_digits", GOLD_CHECK, f"{{ws}}/gold/labels.json: labels[0]: colour '#12345' of 'PERSON': {COLOUR}", prepare=label(0, color="#12345")),
    Bad("label_map_to_a_number", evaluate("--label-map", "{ws}/map.json"), "{ws}/map.json: 'PER' maps to 5: expected a label of the scheme (a string) or null", prepare=label_map('{"PER": 5}')),
    Bad("label_map_blank_model_label", evaluate("--label-map", "{ws}/map.json"), "{ws}/map.json: model label ' ' is blank", prepare=label_map('{" ": "PERSON"}')),
    Bad("label_map_key_with_a_newline", evaluate("--label-map", "{ws}/map.json"), "{ws}/map.json: model label 'PER\\n' holds the invisible or control character '\\n'", prepare=label_map('{"PER\\n": "PERSON"}')),
    # ---- seeds ---------------------------------------------------------------------------------
    Bad("manifest_file_outside_the_folder", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: documents[0]: file '../../../../etc/hostname': a seed is the file '{DOC}.txt' directly in the seeds folder (its id plus .txt)", prepare=manifest_entry(0, file="../../../../etc/hostname")),
    Bad("manifest_absolute_path", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: documents[0]: file '/etc/passwd': a seed is the file '{DOC}.txt' directly in the seeds folder (its id plus .txt)", prepare=manifest_entry(0, file="/etc/passwd")),
    Bad("manifest_id_climbing_out", SEEDS_CHECK, "{ws}/seeds/manifest.json: documents[0]: id '../gold/gold': a document id names a file directly in the seeds folder: no / or \\, no leading .", prepare=manifest_entry(0, id="../gold/gold", file="../gold/gold.txt")),
    Bad("manifest_id_a_list", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: documents[0]: id ['{DOC}']: a document id must be a non-empty string", prepare=manifest_entry(0, id=[DOC])),
    Bad("manifest_id_empty", SEEDS_CHECK, "{ws}/seeds/manifest.json: documents[0]: id '': a document id must be a non-empty string", prepare=manifest_entry(0, id="", file=".txt")),
    Bad("manifest_id_with_a_newline", SEEDS_CHECK, "{ws}/seeds/manifest.json: documents[0]: id 'a\\nb': a document id must be printable, without control characters or whitespace at its ends", prepare=manifest_entry(0, id="a\nb", file="a\nb.txt")),
    Bad("manifest_file_listed_twice", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: document ids listed twice: {DOC}", prepare=json_file("seeds/manifest.json", lambda d: d["documents"].append(dict(d["documents"][0])))),
    Bad("manifest_chars_a_string", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: documents[0]: chars '3038' of {DOC}: expected the text's length, a positive integer", prepare=manifest_entry(0, chars="3038")),
    Bad("manifest_chars_wrong", SEEDS_CHECK, f"{SEED}: the text has 3038 characters, the manifest says 3000; {REGENERATE}", prepare=manifest_entry(0, chars=3000)),
    Bad("manifest_sha256_not_hex", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: documents[0]: sha256 'not-a-hash' of {DOC}: expected 64 lower-case hex digits", prepare=manifest_entry(0, sha256="not-a-hash")),
    Bad("manifest_a_list", SEEDS_CHECK, '{ws}/seeds/manifest.json: expected an object with a "documents" list', prepare=write("seeds/manifest.json", "[]")),
    Bad("manifest_without_documents", SEEDS_CHECK, f"{{ws}}/seeds/manifest.json: lists no documents; {REGENERATE}", prepare=write("seeds/manifest.json", '{"documents": []}')),
    Bad("seed_a_symlink_out_of_the_folder", SEEDS_CHECK, f"{SEED}: is a symbolic link; the seed file listed in the manifest must be a plain file", prepare=symlink(f"seeds/{DOC}.txt", "/etc/hostname")),
    Bad("seed_a_symlink_inside_the_folder", SEEDS_CHECK, f"{SEED}: is a symbolic link; the seed file listed in the manifest must be a plain file", prepare=symlink(f"seeds/{DOC}.txt", "001_c92b095a75020d04.txt")),
    Bad("seed_not_in_the_manifest", SEEDS_CHECK, f"{{ws}}/seeds/extra.txt: a seed file the manifest does not list; {REGENERATE}, or remove the file", prepare=write("seeds/extra.txt", "Tencent.")),
    Bad("seed_not_in_the_manifest_for_gold", GOLD_CHECK, f"{{ws}}/seeds/extra.txt: a seed file the manifest does not list; {REGENERATE}, or remove the file", prepare=write("seeds/extra.txt", "Tencent.")),
    Bad("seed_empty", SEEDS_MANIFEST, "{ws}/seeds/empty.txt: the seed is empty; a document needs text", prepare=write("seeds/empty.txt", "")),
    Bad("seed_only_whitespace", SEEDS_MANIFEST, "{ws}/seeds/blank.txt: the seed is empty (only whitespace); a document needs text", prepare=write("seeds/blank.txt", " \n\u00a0\n")),
    Bad("seed_not_utf8", SEEDS_MANIFEST, "{ws}/seeds/latin1.txt: not valid UTF-8: 'utf-8' codec can't decode byte 0xe9 in position 3: invalid continuation byte", prepare=write("seeds/latin1.txt", "Caf\xe9 Tencent".encode("latin-1"))),
    Bad("seed_a_folder", SEEDS_MANIFEST, "{ws}/seeds/dir.txt: is a folder, not the seed file", prepare=folder("seeds/dir.txt")),
    Bad("seed_a_pipe", SEEDS_MANIFEST, "{ws}/seeds/pipe.txt: is not a regular file (a device, socket or pipe), not the seed file", prepare=fifo("seeds/pipe.txt")),
    Bad("seed_a_symlink_for_the_manifest", SEEDS_MANIFEST, "{ws}/seeds/link.txt: is a symbolic link; the seed file must be a plain file", prepare=symlink("seeds/link.txt", "/etc/hostname")),
    Bad("seed_unreadable", SEEDS_MANIFEST, f"{SEED}: cannot read the seed file: Permission denied", prepare=chmod(f"seeds/{DOC}.txt", 0), unprivileged=True),
    Bad("seed_unreadable_for_check", SEEDS_CHECK, f"{SEED}: cannot read the seed file listed in the manifest: Permission denied", prepare=chmod(f"seeds/{DOC}.txt", 0), unprivileged=True),
    Bad("seed_name_not_an_id", SEEDS_MANIFEST, "{ws}/seeds/ bad.txt: cannot be a seed: a document id must be printable, without control characters or whitespace at its ends", prepare=write("seeds/ bad.txt", "Tencent.")),
    # ---- writing: every OSError is one line, checked before the models run where it can be ------
    Bad("output_dir_empty", evaluate("-o", ""), "-o: empty value", status=2),
    Bad("output_dir_under_a_file", evaluate("-o", "{ws}/gold/labels.json/reports"), "{ws}/gold/labels.json/reports/benchmark.json: cannot write: {ws}/gold/labels.json is a file, not a folder"),
    Bad("output_dir_a_file", evaluate("-o", "{ws}/gold/labels.json"), "Invalid value for '--output-dir' / '-o': dir '{ws}/gold/labels.json' is a file. (see `nerbench evaluate --help`)", status=2),
    Bad("report_html_a_folder", evaluate(), "{ws}/reports/benchmark.html: cannot write: it is a folder", prepare=both(lambda ws: (ws / "reports" / "benchmark.html").unlink(), folder("reports/benchmark.html"))),
    Bad("cache_dir_under_a_file", evaluate("--cache-dir", "{ws}/gold/labels.json/cache"), "{ws}/gold/labels.json/cache: cannot write: {ws}/gold/labels.json is a file, not a folder"),
    Bad("output_dir_read_only", evaluate("-o", "{ws}/mnt/reports"), "{ws}/mnt/reports/benchmark.json: cannot write: Read-only file system ({ws}/mnt/reports)", mount="ro"),
    Bad("output_disk_full", evaluate("-o", "{ws}/mnt/reports", "--cache-dir", "{cache}"), "{ws}/mnt/reports/benchmark.json: cannot write: No space left on device", mount="full"),
    Bad("manifest_in_a_read_only_folder", ("seeds", "manifest", "--seeds", "{ws}/mnt/seeds"), "{ws}/mnt/seeds/manifest.json: cannot write: Read-only file system", mount="ro"),
    Bad("manifest_a_folder", SEEDS_MANIFEST, "{ws}/seeds/manifest.json: cannot write: it is a folder", prepare=both(lambda ws: (ws / "seeds" / "manifest.json").unlink(), folder("seeds/manifest.json"))),
    # ---- command-line options ------------------------------------------------------------------
    *(Bad(f"fail_under_{name}", evaluate("--fail-under", f"strict.f1={value}"), f"--fail-under 'strict.f1={value}': {THRESHOLD}")
      for name, value in (("nan", "nan"), ("inf", "inf"), ("underscore", "1_0"), ("exponent", "1e400"), ("above_1", "1.5"), ("negative", "-0.1"), ("empty", ""))),
    Bad("seed_negative", evaluate("--seed", "-1"), "Invalid value for '--seed': Input should be greater than or equal to 0 (see `nerbench evaluate --help`)", status=2),
    Bad("seed_above_2_63", evaluate("--seed", str(2**63)), "Invalid value for '--seed': Input should be less than or equal to 9223372036854775807 (see `nerbench evaluate --help`)", status=2),
    Bad("bootstrap_a_billion", evaluate("--bootstrap", "1000000000"), "Invalid value for '--bootstrap': at most 100,000 resamples: the totals of every resample are kept for the percentiles, 1.5 KiB each with 18 labels (1,416 GiB for 1,000,000,000 resamples) (see `nerbench evaluate --help`)", status=2),
    Bad("bootstrap_negative", evaluate("--bootstrap", "-1"), "Invalid value for '--bootstrap': Input should be greater than or equal to 0 (see `nerbench evaluate --help`)", status=2),
    Bad("bootstrap_not_a_number", evaluate("--bootstrap", "many"), "Invalid value for '--bootstrap': Input should be a valid integer, unable to parse string as an integer (see `nerbench evaluate --help`)", status=2),
    Bad("unknown_option", evaluate("--frobnicate"), "No such option: --frobnicate (see `nerbench evaluate --help`)", status=2),
    Bad("unknown_command", ("frobnicate",), "No such command 'frobnicate'. (see `nerbench --help`)", status=2),
    Bad("option_without_its_value", ("seeds", "check", "--seeds"), "Option '--seeds' requires an argument.", status=2),
    Bad("missing_argument", ("labelstudio", "import-annotations"), "Missing argument 'annotations'. (see `nerbench labelstudio import-annotations --help`)", status=2),
    Bad("gold_option_empty", ("gold", "check", "--gold="), "--gold: empty value", status=2),
    Bad("model_empty", evaluate("--model", ""), "--model: empty value", status=2),
]
# fmt: on


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: its kind, mode and content hash (or link target)."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            entries[str(path.relative_to(folder))] = ("link", os.readlink(path))
        elif stat.S_ISREG(info.st_mode):
            entries[str(path.relative_to(folder))] = ("file", stat.S_IMODE(info.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            entries[str(path.relative_to(folder))] = ("other", stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
    return entries


NO_OVERRIDE = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")  # root bound by file modes


def needs_root(what: str) -> None:
    if os.geteuid() != 0:
        pytest.fail(f"this case {what}: run the tests as root (CI does)")


@pytest.fixture
def workspace(tmp_path):
    """Seeds, gold and label scheme copied from the project, and the reports of an earlier run."""
    ws = tmp_path / "ws"
    ws.mkdir()
    try:
        shutil.copytree(ROOT / "seeds", ws / "seeds")
        (ws / "gold").mkdir()
        for name in ("gold.jsonl", "labels.json"):
            shutil.copy(ROOT / "gold" / name, ws / "gold" / name)
        (ws / "reports").mkdir()
        for name in ("benchmark.json", "benchmark.md", "benchmark.html"):
            (ws / "reports" / name).write_text(f"{name} of an earlier run\n")
        yield ws
    finally:
        if os.path.ismount(ws / "mnt"):  # a case that failed half-way must not leave its tmpfs mounted
            subprocess.run(["umount", "--lazy", str(ws / "mnt")], check=False)


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory) -> Path:
    """A prediction cache filled by a real run of the baseline on the committed gold."""
    cache = tmp_path_factory.mktemp("warm-cache")
    out = tmp_path_factory.mktemp("warm-reports")
    result = run_nerbench("evaluate", "-q", "--bootstrap", "0", "--cache-dir", str(cache), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return cache


def mount_tmpfs(ws: Path, kind: str) -> Path:
    """A small tmpfs at ws/mnt holding a copy of the reports and seeds, then read-only or full."""
    needs_root("mounts a tmpfs")
    mnt = ws / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)], check=True)
    shutil.copytree(ws / "reports", mnt / "reports")
    shutil.copytree(ws / "seeds", mnt / "seeds")
    if kind == "ro":
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    else:  # fill every block: the next write fails with ENOSPC
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
    return mnt


@pytest.mark.parametrize("case", BAD, ids=[case.id for case in BAD])
def test_bad_input_is_one_line_and_changes_nothing(case: Bad, workspace: Path, request):
    if case.prepare:
        case.prepare(workspace)
    mounted = mount_tmpfs(workspace, case.mount) if case.mount else None
    try:
        cache = str(request.getfixturevalue("warm_cache")) if any("{cache}" in a for a in case.args) else ""
        fill = lambda text: text.replace("{ws}", str(workspace)).replace("{cache}", cache)  # noqa: E731
        before = snapshot(workspace)
        if case.unprivileged:
            needs_root("takes root's power to read any file away")
        result = run_nerbench(*map(fill, case.args), prefix=NO_OVERRIDE if case.unprivileged else ())
        after = snapshot(workspace)
    finally:
        if mounted is not None:
            subprocess.run(["umount", str(mounted)], check=True)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == f"Error: {fill(case.error)}\n"
    assert (result.returncode, result.stdout) == (case.status, "")
    assert after == before


def test_the_unbroken_workspace_passes(workspace: Path):
    """So that each case fails for the reason it names, not because the workspace is wrong."""
    for args in (GOLD_CHECK, SEEDS_CHECK):
        result = run_nerbench(*(a.replace("{ws}", str(workspace)) for a in args))
        assert result.returncode == 0, result.stderr


def test_each_case_has_a_name_of_its_own():
    assert len({case.id for case in BAD}) == len(BAD)
