"""The committed gold standard: valid, complete, and reproducible from the committed Label Studio export."""

from __future__ import annotations

import json

import pytest

from nerbench.agreement import AnnotatedDocument, Annotation, build_gold
from nerbench.formats.labelstudio import parse_export
from nerbench.gold import load_gold


@pytest.fixture(scope="module")
def gold(root, seeds, scheme):
    return load_gold(root / "gold" / "gold.jsonl", seeds, scheme)


def test_every_seed_document_is_in_the_gold(gold, seeds):
    assert [d.id for d in gold.documents] == list(seeds.ids)


def test_every_span_is_its_slice_of_the_seed_file(gold, root, seeds):
    for doc in gold.documents:
        # read the seed independently of the loader: bytes from disk, decoded without newline translation
        text = (root / "seeds" / seeds.get(doc.id).file).read_bytes().decode("utf-8")
        raw = json.loads(next(l for l in (root / "gold" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if f'"id": "{doc.id}"' in l))
        assert raw["text"] == text
        for span in raw["spans"]:
            assert text[span["start"] : span["end"]] == span["text"], (doc.id, span)


def test_gold_is_what_the_committed_export_adjudicates_to(gold, root, seeds, scheme):
    # The committed export predates per-person keys: the admin entered both passes on the
    # annotators' behalf (`updated_by` 1), which `pull` now refuses to count as their own. The
    # adjudication itself is checked here, taking each annotation as its `completed_by`'s pass.
    export = json.loads((root / "gold" / "labelstudio-export.json").read_text(encoding="utf-8"))
    docs = parse_export(export, seeds, scheme)
    passes = [AnnotatedDocument(d.doc_id, d.text, [Annotation(a.annotator, a.spans, a.ground_truth, a.id) for a in d.annotations]) for d in docs.values()]
    rebuilt, decisions, unannotated = build_gold(passes, required=2)
    assert unannotated == []
    assert [(d.id, d.spans) for d in rebuilt] == [(d.id, d.spans) for d in gold.documents]


def test_agreement_report_before_adjudication_is_shipped(root):
    report = json.loads((root / "gold" / "agreement-before-adjudication.json").read_text(encoding="utf-8"))
    (pair,) = report["agreement"]
    assert pair["documents"] == 5 and len(pair["per_label"]) > 0
    assert (root / "gold" / "agreement-before-adjudication.md").exists()
    assert (root / "gold" / "ADJUDICATION.md").exists()
