"""The report files on hand-made and synthetic corpora, scored from given predictions (no model runs):
bounded size, the JSON Lines beside them, notices first, conventions, per-document scores, escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerbench.evaluate.benchmark import System, Uncertainty, evaluate, run_evaluation
from nerbench.evaluate.html import render_html
from nerbench.evaluate.report import json_line, render_markdown, render_terminal, write_reports
from nerbench.fileio import read_jsonl, sha256_text
from nerbench.seeds import build_manifest
from nerbench.spans import Span

from strategies import lone_surrogate, unicode_text

REPORT_FILES = ["benchmark.html", "benchmark.json", "benchmark.md", "errors.jsonl", "predictions.jsonl"]


def write_corpus(folder: Path, docs: dict[str, tuple[str, list[Span]]], extra_seeds: dict[str, str] | None = None) -> Path:
    """A seeds folder and a gold file for `docs` (id -> text, gold spans); returns the gold file."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    for doc_id, text in {**{k: t for k, (t, _) in docs.items()}, **(extra_seeds or {})}.items():
        (seeds / f"{doc_id}.txt").write_bytes(text.encode("utf-8"))
    build_manifest(seeds)
    lines = [
        json.dumps({"id": k, "text": t, "text_sha256": sha256_text(t), "spans": [s.to_dict(t) for s in spans]}, ensure_ascii=False)
        for k, (t, spans) in docs.items()
    ]
    gold = folder / "gold.jsonl"
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return gold


def given_predictions(name: str, spans: dict[str, list[Span]], labels: list[str], version: str = "1.0"):
    """A system source holding fixed predictions."""
    return lambda texts: System({"name": name, "version": version, "labels": labels}, {k: [(s.start, s.end, s.label) for s in v] for k, v in spans.items()}, "file")


def synthetic(folder: Path, n_docs: int, seed: int = 0):
    from bench.synthetic import synthetic_corpus

    docs = synthetic_corpus(n_docs, seed)
    gold = write_corpus(folder, {d.id: (d.text, d.char_spans("gold")) for d in docs})
    return gold, given_predictions("synthetic", {d.id: d.char_spans("pred") for d in docs}, [])


def run(root: Path, gold: Path, source, scheme: Path | None = None, **kwargs):
    return run_evaluation(
        (), gold, gold.parent / "seeds", scheme or root / "gold" / "labels.json", cache_dir=None, systems=[source],
        uncertainty=Uncertainty(resamples=50, test_resamples=99), **kwargs,
    )  # fmt: skip


def test_report_size_grows_only_with_the_per_document_table(root, tmp_path):
    sizes = {}
    for n in (250, 1000):
        gold, source = synthetic(tmp_path / str(n), n)
        evaluation = run(root, gold, source)
        paths = write_reports(evaluation, tmp_path / str(n) / "reports")
        assert sorted(p.name for p in paths) == REPORT_FILES
        sizes[n] = {p.name: p.stat().st_size for p in paths}
        model = evaluation.report["models"][0]
        errors = sum(model["error_summary"]["categories"].values())
        assert sum(1 for _ in read_jsonl(paths[3], "errors")) == errors and errors > n  # every error, a line each
        assert sum(1 for _ in read_jsonl(paths[4], "predictions")) == n  # every document, a line each
        assert len(model["per_document"]["rows"]) == n
        assert len(model["error_sample"]["errors"]) == 5 * 25 and len(model["documents_shown"]["documents"]) == 20
    per_document = (sizes[1000]["benchmark.json"] - sizes[250]["benchmark.json"]) / 750
    assert per_document < 200  # bytes per document: one row of the per-document table
    # Markdown and HTML show at most 200 documents' rows and 20 documents' texts: no growth beyond 200 documents
    for name in ("benchmark.md", "benchmark.html"):
        assert abs(sizes[1000][name] - sizes[250][name]) < 0.05 * sizes[250][name], name


def test_every_error_and_prediction_streams_beside_the_report_and_validates(root, tmp_path):
    gold, source = synthetic(tmp_path, 40)
    evaluation = run(root, gold, source)
    paths = write_reports(evaluation, tmp_path / "reports")
    schema = json.loads((root / "evaluate" / "benchmark.schema.json").read_text())
    report = json.loads(paths[0].read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert report == json.loads(json.dumps(evaluation.report))
    for path, ref in ((paths[3], "errors_line"), (paths[4], "predictions_line")):
        validator = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{ref}", "$defs": schema["$defs"]})
        for _, line in read_jsonl(path, path.name):
            validator.validate(line)
    # the sample in benchmark.json is the first errors of each category of errors.jsonl
    everything = [line for _, line in read_jsonl(paths[3], "errors")]
    for category in ("wrong_label", "missed", "spurious"):
        first = [dict(e, model=None) for e in everything if e["category"] == category][:25]
        sample = [dict(e, model=None) for e in report["models"][0]["error_sample"]["errors"] if e["category"] == category]
        assert sample == first


def test_predictions_written_beside_the_report_score_again_to_the_same_numbers(root, tmp_path):
    gold, source = synthetic(tmp_path, 60, seed=3)
    first = run(root, gold, source)
    paths = write_reports(first, tmp_path / "reports")
    lines = [line for _, line in read_jsonl(paths[4], "predictions")]
    assert {line["model"]["name"] for line in lines} == {"synthetic"} and all(len(line["text_sha256"]) == 64 for line in lines)
    again = run(root, gold, given_predictions("synthetic", {l["id"]: [Span(s["start"], s["end"], s["label"]) for s in l["spans"]] for l in lines}, []))
    assert again.report["models"][0]["schemes"] == first.report["models"][0]["schemes"]
    assert again.report["models"][0]["per_document"] == first.report["models"][0]["per_document"]


# ---- a hand-made corpus: numbers checked by hand ---------------------------------------------

TEXT = "The White House met Xi’s team. Tencent Cloud signed in Fujian."
#       0   4     10    16  20   25   31      39    45     55


def span(text: str, surface: str, label: str) -> Span:
    start = text.index(surface)
    return Span(start, start + len(surface), label)


@pytest.fixture
def hand_made(root, tmp_path):
    gold_spans = [span(TEXT, "White House", "ORG"), span(TEXT, "Xi", "PERSON"), span(TEXT, "Tencent Cloud", "ORG"), span(TEXT, "Fujian", "GPE")]
    pred_spans = [span(TEXT, "The White House", "ORG"), span(TEXT, "Xi’s", "PERSON"), span(TEXT, "Tencent", "ORG"), span(TEXT, "Fujian", "GPE")]
    gold = write_corpus(tmp_path, {"doc": (TEXT, gold_spans)}, extra_seeds={"unscored": "No gold here."})
    source = given_predictions("handmade", {"doc": pred_spans + [Span(40, 46, "MISC")]}, ["ORG", "PERSON", "GPE", "MISC"])
    label_map = tmp_path / "map.json"
    label_map.write_text('{"MISC": null}')
    return run(root, gold, source, label_map_path=label_map)


def test_conventions_forgive_a_leading_the_and_a_possessive_by_hand(hand_made):
    model = hand_made.report["models"][0]
    # strict: only Fujian is correct: P = R = 1/4. Forgiven: "The White House" and "Xi’s" -> 3/4.
    # "Tencent" for "Tencent Cloud" drops a word: not a convention.
    assert model["schemes"]["strict"]["micro"]["f1"] == pytest.approx(0.25)
    conv = model["conventions"]
    assert conv["forgiven"] == {"leading_the": 1, "possessive": 1, "both": 0}
    assert (conv["micro"]["tp"], conv["micro"]["fp"], conv["micro"]["fn"], conv["micro"]["f1"]) == (3, 1, 1, pytest.approx(0.75))
    assert conv["f1_change"] == pytest.approx(0.5)
    assert conv["per_label"]["PERSON"]["f1"] == 1.0 and conv["per_label"]["ORG"]["f1"] == pytest.approx(0.5)
    markdown, page, terminal = render_markdown(hand_made.report), render_html(hand_made.report), render_terminal(hand_made.report)
    assert "| **conventions forgiven** | **0.750** | **0.750** | **0.750** | **3** | **1** | **1** |" in markdown
    assert "Pairs forgiven: 1 for a leading 'the', 1 for a possessive, 0 for both. F1 change: +0.500." in markdown
    assert '<tr class="strong"><td class="t">conventions forgiven</td><td>0.750</td>' in page
    assert "Conventions: strict F1 0.250, 0.750 with 2 pairs forgiven for a leading 'the' or a possessive" in terminal


def test_per_document_scores_in_every_report(hand_made):
    model = hand_made.report["models"][0]
    (row,) = model["per_document"]["rows"]
    # gold 4, predicted 4 (MISC is mapped to null), errors: 3 wrong boundaries; strict tp 1, fp 3, fn 3
    assert row[:10] == ["doc", 4, 4, 3, 1, 3, 3, 0.25, 0.25, 0.25]
    assert "| doc | 4 | 4 | 3 | 1 | 3 | 3 | 0.250 | 0.250 | 0.250 | 0.625 |" in render_markdown(hand_made.report)
    assert '<td class="t">doc</td><td>4</td><td>4</td><td>3</td><td>1</td><td>3</td><td>3</td><td>0.250</td>' in render_html(hand_made.report)


def test_notices_come_first_in_every_output(hand_made, tmp_path):
    report = hand_made.report
    assert [n["kind"] for n in report["notices"]] == ["seeds_without_gold", "unmapped_predictions"]
    assert report["notices"][0]["text"] == "1 seed documents have no gold and are not scored: unscored."
    assert report["notices"][1]["text"] == (
        "handmade 1.0: 1 predicted spans have labels the label map sends to null; they are counted here, not scored (MISC 1)."
    )
    markdown = render_markdown(report)
    assert markdown.startswith("# NER benchmark\n\n## Notices\n\n- **Notice:** 1 seed documents have no gold")
    page = render_html(report)
    assert page.index('<ul class="notices"><li>1 seed documents have no gold') < page.index("<table")
    assert render_terminal(report).startswith("Notice: 1 seed documents have no gold and are not scored: unscored.\nNotice: handmade 1.0: 1 predicted")


def test_a_system_with_no_prediction_gets_a_notice(root, tmp_path):
    gold = write_corpus(tmp_path, {"doc": (TEXT, [span(TEXT, "Fujian", "GPE")])})
    report = run(root, gold, given_predictions("silent", {}, [])).report
    assert report["notices"] == [{"kind": "no_predictions", "text": "silent 1.0 predicted no span in any gold document: every score is that of an empty output."}]


def test_labels_and_model_names_never_become_markup(root, tmp_path):
    scheme = tmp_path / "labels.json"
    scheme.write_text(json.dumps({"name": "hostile", "labels": [{"name": "<b>X|Y</b>", "definition": "a label with markup", "color": "#123456"}, {"name": "ORG", "definition": "organisations"}]}))
    text = "Tencent <i>met</i> Xi | and *Fujian*."
    label = "<b>X|Y</b>"
    gold = write_corpus(tmp_path, {"d<1>": (text, [span(text, "Tencent", label), span(text, "Xi", "ORG")])})
    name = "<script>alert(1)</script>"
    evaluation = run(root, gold, given_predictions(name, {"d<1>": [span(text, "Tencent", label), span(text, "*Fujian*", label)]}, [label, "ORG"]), scheme=scheme)
    report = evaluation.report
    markdown = render_markdown(report)
    assert "<b>" not in markdown and "<script>" not in markdown and "<i>" not in markdown
    assert "## \\<script\\>alert(1)\\</script\\> 1.0" in markdown
    assert "| \\<b\\>X\\|Y\\</b\\> | 0.500 | 1.000 | 0.667 | 1 | 1 | 0 | 1 |" in markdown  # one cell, not three columns
    page = render_html(report)
    assert "<script" not in page and "<b>X" not in page and "<i>met" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 1.0" in page and "&lt;b&gt;X|Y&lt;/b&gt;" in page
    assert "Tencent &lt;i&gt;met&lt;/i&gt; Xi" in page  # the document text in the side-by-side view
    terminal = render_terminal(report)
    assert "<script>alert(1)</script> 1.0" in terminal  # plain text on a terminal: shown as written
    assert re.search(r"^<b>X\|Y</b>\s+0\.500\s+1\.000", terminal, re.M)


def test_reports_of_a_run_replace_the_previous_ones_together_or_not_at_all(root, tmp_path, monkeypatch):
    gold, source = synthetic(tmp_path, 30)
    evaluation = run(root, gold, source)
    out = tmp_path / "reports"
    write_reports(evaluation, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken():
        yield {"model": {"name": "x", "version": "1"}}
        raise OSError("disk full")

    monkeypatch.setattr(evaluation, "errors", broken)
    with pytest.raises(OSError, match="disk full"):
        write_reports(evaluation, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no half-written set, no temporary file left


def test_evaluate_returns_the_report_dict_of_run_evaluation(root, tmp_path):
    gold = write_corpus(tmp_path, {"doc": (TEXT, [span(TEXT, "Fujian", "GPE")])})
    source = given_predictions("p", {"doc": [span(TEXT, "Fujian", "GPE")]}, [])
    report = evaluate((), gold, tmp_path / "seeds", root / "gold" / "labels.json", cache_dir=None, systems=[source], uncertainty=Uncertainty(resamples=10))
    assert report["format_version"] == 2 and report["models"][0]["schemes"]["strict"]["micro"]["f1"] == 1.0
    assert report["models"][0]["predictions_from"] == "file"


def test_a_perfect_system_has_no_document_to_show_and_says_so(root, tmp_path):
    gold = write_corpus(tmp_path, {"doc": (TEXT, [span(TEXT, "Fujian", "GPE")])})
    report = run(root, gold, given_predictions("perfect", {"doc": [span(TEXT, "Fujian", "GPE")]}, [])).report
    model = report["models"][0]
    assert model["documents_shown"]["documents"] == [] and model["error_sample"]["errors"] == []
    assert "No document has an error of perfect 1.0." in render_html(report)
    assert "0 of 0 errors, in corpus order; errors.jsonl lists every error." in render_markdown(report)


def test_nothing_to_score_is_an_error(root, tmp_path):
    from nerbench.errors import NerbenchError

    gold = write_corpus(tmp_path, {"doc": (TEXT, [])})
    with pytest.raises(NerbenchError, match="^nothing to score: give at least one model or predictions file$"):
        run_evaluation((), gold, tmp_path / "seeds", root / "gold" / "labels.json", cache_dir=None)


def test_without_html_an_earlier_page_goes_with_the_same_step(root, tmp_path):
    gold, source = synthetic(tmp_path, 5)
    evaluation = run(root, gold, source)
    out = tmp_path / "reports"
    write_reports(evaluation, out)
    written = write_reports(evaluation, out, html=False)
    assert sorted(p.name for p in written) == sorted(set(REPORT_FILES) - {"benchmark.html"})
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(p.name for p in written)


@given(st.dictionaries(unicode_text(), st.one_of(unicode_text(), st.integers(-(2**63), 2**63 - 1), st.none(), st.lists(unicode_text(), max_size=3)), max_size=4))
def test_a_json_line_is_one_line_that_reads_back_as_the_value(value):
    line = json_line(value)
    assert line.endswith("\n") and line.count("\n") == 1  # no raw newline inside: U+2028 and the rest may stay raw
    assert json.loads(line) == value
    assert line == json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"  # what orjson writes, the standard encoder's compact form


@given(lone_surrogate)
def test_a_json_line_with_a_lone_surrogate_is_the_standard_encoders_raw_surrogate(char):
    # orjson refuses it; the standard encoder writes it raw, and writing the line to a UTF-8 file fails as before, naming the file
    assert json_line({"text": char}) == json.dumps({"text": char}, ensure_ascii=False) + "\n"
