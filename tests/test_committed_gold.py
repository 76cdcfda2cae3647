"""The committed gold standard: valid, complete, and reproducible from the committed Label Studio export."""

from __future__ import annotations

import json

import pytest

from nerbench.agreement import agreement, build_gold, passes_from_files
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
    # The passes were entered with each annotator's own key: pull counts every annotation as its author's.
    export = json.loads((root / "gold" / "labelstudio-export.json").read_text(encoding="utf-8"))
    docs = parse_export(export, seeds, scheme)
    assert all(a.editor is None and not a.ground_truth for d in docs.values() for a in d.annotations)
    rebuilt, decisions, unannotated = build_gold([d.passes() for d in docs.values()], required=2)
    assert unannotated == [] and not any(d.provisional for d in rebuilt)
    assert [(d.id, d.spans) for d in rebuilt] == [(d.id, d.spans) for d in gold.documents]


def test_committed_passes_are_the_exports_annotations(root, seeds, scheme):
    export = json.loads((root / "gold" / "labelstudio-export.json").read_text(encoding="utf-8"))
    in_export = sorted(sorted(a.spans) for d in parse_export(export, seeds, scheme).values() for a in d.annotations)
    in_files = sorted(sorted(d.spans) for name in ("annotator-a", "annotator-b") for d in load_gold(root / "gold" / "passes" / f"{name}.jsonl", seeds, scheme).documents)
    assert in_export == in_files


def test_pull_report_agreement_equals_gold_agree_on_the_committed_passes(root, seeds, scheme):
    pulled = json.loads((root / "gold" / "pull-report.json").read_text(encoding="utf-8"))["agreement"]
    named = {name: load_gold(root / "gold" / "passes" / f"{name}.jsonl", seeds, scheme).documents for name in ("annotator-a", "annotator-b")}
    offline = agreement(passes_from_files(named, seeds.ids), scheme.names)
    (pair,) = pulled["pairs"]
    (again,) = offline["pairs"]
    for key in ("documents", "tokens", "f1", "agreed", "kappa"):
        assert pair[key] == again[key], key
    assert pulled["overall"] == offline["overall"]
    assert (root / "gold" / "pull-report.md").exists() and (root / "gold" / "ADJUDICATION.md").exists()
