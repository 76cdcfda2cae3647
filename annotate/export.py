"""Parsed Label Studio annotations turned into gold: agreement, adjudication, diff.

Pure functions (no SDK, no network); the export itself is parsed by `nerbench.formats.labelstudio`.

Adjudication rule, per document:
1. a ground-truth annotation wins (the most recently updated one, if several);
2. otherwise a single annotation is the gold;
3. otherwise the spans that every annotator marked identically (same offsets, same label) are
   kept and every other span is a *conflict*, listed for a reviewer. The reviewer resolves the
   conflicts in Label Studio by submitting an annotation and marking it as the ground truth
   (`nerbench labelstudio ground-truth`), then pulls again.
Skipped (cancelled) annotations and drafts never count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Iterable, Mapping

from nerbench.formats.labelstudio import Annotation, DocumentAnnotations
from nerbench.gold import Document
from nerbench.scoring import Counts, score_document
from nerbench.seeds import Seeds
from nerbench.spans import Span


@dataclass
class Adjudicated:
    doc_id: str
    spans: tuple[Span, ...]
    rule: str  # ground_truth | single | agreement
    annotators: list[str]
    annotation_ids: list[int]
    conflicts: list[dict[str, Any]]


def latest_per_annotator(annotations: Iterable[Annotation]) -> dict[str, Annotation]:
    latest: dict[str, Annotation] = {}
    for ann in annotations:
        if ann.annotator not in latest or ann.updated_at >= latest[ann.annotator].updated_at:
            latest[ann.annotator] = ann
    return latest


def adjudicate(doc: DocumentAnnotations) -> Adjudicated | None:
    """Apply the module's adjudication rule; None for a document nobody annotated."""
    ground_truth = [a for a in doc.annotations if a.ground_truth]
    if ground_truth:
        best = max(ground_truth, key=lambda a: a.updated_at)
        return Adjudicated(doc.doc_id, best.spans, "ground_truth", [best.annotator], [best.id], [])
    latest = latest_per_annotator(doc.annotations)
    if not latest:
        return None
    if len(latest) == 1:
        (only,) = latest.values()
        return Adjudicated(doc.doc_id, only.spans, "single", [only.annotator], [only.id], [])
    annotators = sorted(latest)
    sets = {name: set(latest[name].spans) for name in annotators}
    agreed = set.intersection(*sets.values())
    conflicts = []
    for span in sorted(set.union(*sets.values()) - agreed):
        conflicts.append(
            {
                "document": doc.doc_id,
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "text": span.text_in(doc.text),
                "marked_by": [n for n in annotators if span in sets[n]],
                "not_by": [n for n in annotators if span not in sets[n]],
            }
        )
    return Adjudicated(doc.doc_id, tuple(sorted(agreed)), "agreement", annotators, [latest[n].id for n in annotators], conflicts)


def agreement(docs: Mapping[str, DocumentAnnotations], labels: Iterable[str]) -> list[dict[str, Any]]:
    """Pairwise agreement between annotators (ground-truth annotations excluded): F1 per label and overall.

    For each pair, over the documents both annotated, one annotator's spans are scored against the
    other's with the strict scheme; F1 is symmetric, so the order does not matter.
    """
    per_doc = {doc_id: latest_per_annotator(a for a in doc.annotations if not a.ground_truth) for doc_id, doc in docs.items()}
    names = sorted({name for latest in per_doc.values() for name in latest})
    labels = list(labels)
    pairs = []
    for a, b in combinations(names, 2):
        counts = Counts()
        shared = [d for d, latest in per_doc.items() if a in latest and b in latest]
        for doc_id in shared:
            counts += score_document(per_doc[doc_id][a].spans, per_doc[doc_id][b].spans)
        per_label = {}
        for label in labels:
            t = counts.tally("strict", label)
            if t.support or t.predicted:
                per_label[label] = {"f1": t.f1, "agreed": t.tp, "spans": {a: t.support, b: t.predicted}}
        micro = counts.tally("strict")
        pairs.append(
            {
                "annotators": [a, b],
                "documents": len(shared),
                "f1": micro.f1,
                "agreed": micro.tp,
                "spans": {a: micro.support, b: micro.predicted},
                "per_label": per_label,
            }
        )
    return pairs


def diff_gold(previous: Mapping[str, Iterable[Span]], current: Mapping[str, Iterable[Span]]) -> dict[str, dict[str, int]]:
    """Per document: spans added, removed and relabelled (same offsets, new label) against the previous gold."""
    changes: dict[str, dict[str, int]] = {}
    for doc_id in sorted(set(previous) | set(current)):
        old = {(s.start, s.end): s.label for s in previous.get(doc_id, ())}
        new = {(s.start, s.end): s.label for s in current.get(doc_id, ())}
        change = {
            "added": sum(1 for k in new if k not in old),
            "removed": sum(1 for k in old if k not in new),
            "relabelled": sum(1 for k in new if k in old and old[k] != new[k]),
        }
        if doc_id not in previous:
            change["new_document"] = 1
        if doc_id not in current:
            change["dropped_document"] = 1
        if any(change.values()):
            changes[doc_id] = change
    return changes


def build_gold(docs: Mapping[str, DocumentAnnotations], seeds: Seeds) -> tuple[list[Document], list[Adjudicated], list[str]]:
    """Adjudicate every document, in seed order; return (gold documents, decisions, unannotated ids)."""
    gold, decisions, unannotated = [], [], []
    for doc_id in seeds.ids:
        doc = docs.get(doc_id)
        decision = adjudicate(doc) if doc else None
        if decision is None:
            unannotated.append(doc_id)
            continue
        decisions.append(decision)
        meta = {
            "source": "label-studio",
            "tasks": doc.tasks,
            "annotations": decision.annotation_ids,
            "annotators": decision.annotators,
            "rule": decision.rule,
            "conflicts": len(decision.conflicts),
        }
        gold.append(Document(doc_id, doc.text, decision.spans, meta))
    return gold, decisions, unannotated


def conflicts_by_document(decisions: Iterable[Adjudicated]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in decisions:
        if d.conflicts:
            out[d.doc_id].extend(d.conflicts)
    return dict(out)
