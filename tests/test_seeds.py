"""Seeds: the five corpus files byte for byte, their manifest, and the hash check on every read."""

from __future__ import annotations

import hashlib

import pytest

from nerbench.errors import NerbenchError
from nerbench.seeds import build_manifest, load_seeds

# SHA-256 sums of the corpus as received (shared/corpus); the documents' identity.
CORPUS_SHA256 = {
    "000_8faa29fe9a578bee": "73827d95f84066a2ce663087df5da3b64e895bc9d7cbe764fddbf115e63efefe",
    "001_c92b095a75020d04": "710c7b450f4972b4e23e150e30d8bb0de94cd584d86b0055d55bb5e7581770c3",
    "002_e205de1bbff1140c": "c291914cd079b90fefaf5db8bcf4b51bb51b783813d061c8963957e531dca4e0",
    "003_60ae0ecac7092d18": "9659138b32d40d6303be86c85ec6bf39153702601383aeae81e934f83e4330ba",
    "004_a7989f5d7222c8d0": "71c4f4695fd52e28698b8f9cf3901dc99d34b6137e5d6db888de6db2f02c2bf6",
}


def test_seed_files_are_the_corpus_byte_for_byte(root):
    files = sorted((root / "seeds").glob("*.txt"))
    assert {f.stem: hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == CORPUS_SHA256
    shared = root.parent / "shared" / "corpus"
    if shared.is_dir():  # beside the clone on developer machines and in CI
        for f in files:
            assert f.read_bytes() == (shared / f.name).read_bytes(), f.name


def test_manifest_lists_every_seed_with_its_hash(seeds):
    assert {d.id: d.sha256 for d in seeds.documents} == CORPUS_SHA256
    for doc in seeds.documents:
        assert len(seeds.text(doc.id)) == doc.chars


def test_texts_keep_no_break_spaces_curly_quotes_and_chinese(seeds):
    texts = seeds.texts()
    joined = "".join(texts.values())
    assert "\u00a0" in joined and "\u2019" in joined and "\u201c" in joined and "大汉网络" in joined
    assert "\r" not in joined  # offsets are into the exact text: no newline translation happened


def test_changed_seed_is_refused_with_its_path(seeds_copy):
    path = seeds_copy / "002_e205de1bbff1140c.txt"
    path.write_bytes(path.read_bytes().replace(b"Tencent", b"Tenzent", 1))
    loaded = load_seeds(seeds_copy)
    with pytest.raises(NerbenchError, match=f"^{path}: SHA-256 is [0-9a-f]{{12}}…, the manifest says c291914cd079…; the seed text changed"):
        loaded.text("002_e205de1bbff1140c")
    assert loaded.text("000_8faa29fe9a578bee")  # the others still read


def test_manifest_rebuild_matches_the_committed_one(seeds_copy, root):
    build_manifest(seeds_copy)
    assert (seeds_copy / "manifest.json").read_bytes() == (root / "seeds" / "manifest.json").read_bytes()


def test_a_seeds_folder_reached_through_a_symlink_is_fine(seeds_copy, tmp_path):
    """Only the seeds themselves must be plain files: the folder may live elsewhere."""
    link = tmp_path / "linked-seeds"
    link.symlink_to(seeds_copy)
    assert load_seeds(link).text("004_a7989f5d7222c8d0") == load_seeds(seeds_copy).text("004_a7989f5d7222c8d0")


def test_hidden_files_are_not_seeds(seeds_copy, root):
    (seeds_copy / ".notes.txt").write_text("an editor's backup")
    assert load_seeds(seeds_copy).ids == tuple(CORPUS_SHA256)
    build_manifest(seeds_copy)
    assert (seeds_copy / "manifest.json").read_bytes() == (root / "seeds" / "manifest.json").read_bytes()


def test_a_seed_with_line_separators_and_combining_marks_round_trips_through_the_cli(seeds_copy, tmp_path, root):
    from conftest import gold_line, run_nerbench

    text = "Zoe\u0308 Tencent\u2028Nanjing\u2029Ma\u00a0Huateng\u0085\r\n大汉网络 👨\u200d👩\u200d👧\n"
    (seeds_copy / "900_tricky.txt").write_text(text, encoding="utf-8", newline="")
    assert run_nerbench("seeds", "manifest", "--seeds", str(seeds_copy)).returncode == 0
    spans = [{"start": 0, "end": 4, "label": "PERSON", "text": "Zoe\u0308"}, {"start": 5, "end": 12, "label": "ORG", "text": "Tencent"}]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line("900_tricky", text, spans, meta={"note": "a\u2028b"}) + "\n", encoding="utf-8")
    result = run_nerbench("gold", "check", "--gold", str(gold), "--seeds", str(seeds_copy), "--labels", str(root / "gold" / "labels.json"))
    assert (result.returncode, result.stdout) == (0, f"{gold}: 1 documents, 2 spans, valid\n")
