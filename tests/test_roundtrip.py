"""Every file the core writes reads back identically through nerbench's own readers, for any Unicode text.

Gold JSONL (`write_gold`), the seeds manifest (`build_manifest`), single files and sets of files
(`atomic_write_text`, `FileSet`): texts with U+2028, U+2029, U+0085, `\\r`, combining marks,
joiners, no-break spaces, CJK and emoji survive; a lone surrogate is refused with one line.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerbench.errors import NerbenchError
from nerbench.fileio import FileSet, atomic_write_text, parse_json, read_jsonl, read_text_exact
from nerbench.gold import Document, load_gold, write_gold
from nerbench.seeds import build_manifest, load_seeds
from nerbench.spans import Span, parse_spans

from strategies import entity_text, lone_surrogate, separator, unicode_text

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def documents(draw, scheme):
    """(text, spans): entities between separators, so every span is valid by construction."""
    pieces, spans, pos = [], [], 0
    lead = draw(st.one_of(st.just(""), separator()))
    pieces.append(lead)
    pos += len(lead)
    for _ in range(draw(st.integers(1, 5))):
        entity, label = draw(entity_text()), draw(st.sampled_from(scheme.names))
        spans.append(Span(pos, pos + len(entity), label))
        pos += len(entity)
        sep = draw(separator())
        pieces += [entity, sep]
        pos += len(sep)
    return "".join(pieces), spans


@EXAMPLES
@given(data=st.data(), meta=st.dictionaries(unicode_text(max_size=3), unicode_text(max_size=5), max_size=3))
def test_gold_and_manifest_read_back_what_was_written(scheme, data, meta):
    text, spans = data.draw(documents(scheme))
    with tempfile.TemporaryDirectory() as tmp:
        seeds_dir = Path(tmp) / "seeds"
        seeds_dir.mkdir()
        (seeds_dir / "doc.txt").write_bytes(text.encode("utf-8"))
        built = build_manifest(seeds_dir)
        seeds = load_seeds(seeds_dir)
        assert seeds == built and seeds.text("doc") == text
        doc = Document("doc", text, tuple(spans), meta)
        write_gold(Path(tmp) / "gold" / "gold.jsonl", [doc])
        gold = load_gold(Path(tmp) / "gold" / "gold.jsonl", seeds, scheme)
        assert gold.documents == (doc,)
        assert parse_spans(text, [s.to_dict(text) for s in spans], scheme, "here") == spans


@EXAMPLES
@given(texts=st.lists(unicode_text(), min_size=1, max_size=3))
def test_single_files_and_sets_read_back_byte_for_byte(texts):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        atomic_write_text(folder / "one.txt", texts[0])
        assert read_text_exact(folder / "one.txt") == texts[0]
        with FileSet() as files:
            for k, text in enumerate(texts):
                files.write_text(folder / f"set{k}.txt", text)
        assert [read_text_exact(folder / f"set{k}.txt") for k in range(len(texts))] == texts


@EXAMPLES
@given(values=st.lists(st.recursive(unicode_text(max_size=5), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(unicode_text(max_size=3), inner, max_size=3), max_leaves=8), min_size=1, max_size=4))
def test_json_lines_written_raw_read_back_line_for_line(values):
    text = "".join(json.dumps({"v": v}, ensure_ascii=False) + "\n" for v in values)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        atomic_write_text(path, text)
        assert [obj["v"] for _, obj in read_jsonl(path, "test file")] == values


@settings(max_examples=50, deadline=None)
@given(before=unicode_text(max_size=5), bad=lone_surrogate, after=unicode_text(max_size=5))
def test_lone_surrogates_are_refused_on_reading_and_writing(scheme, before, bad, after):
    escaped = json.dumps({"text": before + bad + after})  # ASCII JSON: the surrogate as \\udxxx
    with pytest.raises(NerbenchError, match=rf"^here: JSON string holds a lone surrogate '\\ud[89a-f][0-9a-f]{{2}}' \(not a Unicode character\)$"):
        parse_json(escaped, "here")
    text = before + bad + after
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gold.jsonl"
        with pytest.raises(NerbenchError, match=rf"^{re.escape(str(path))}: cannot write: the text holds '\\ud[89a-f][0-9a-f]{{2}}', a lone surrogate"):
            write_gold(path, [Document("doc", text, ())])
        assert not path.exists() and list(Path(tmp).iterdir()) == []
