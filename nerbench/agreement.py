"""Agreement between annotators, adjudication into gold, and the gold diff: offline, on plain documents.

Nothing here knows Label Studio: `nerbench.formats.labelstudio` turns an export into
`AnnotatedDocument`s, `nerbench gold agree` builds them from gold-format files, and both get the
same numbers from the same functions.

**Passes.** Per document, each annotator's latest annotation that is not a ground truth is their
pass; a ground-truth annotation is a reviewer's decision, never a pass.

**Agreement** (`agreement`), for every pair of annotators over the documents both annotated:

- span F1: one pass scored against the other with the strict scheme (same boundaries and label);
  F1 is symmetric, so the order does not matter;
- Cohen's kappa on tokens (`sklearn.metrics.cohen_kappa_score`), overall, per label and per
  document;
- a label confusion matrix over the spans the scorer pairs (`nerbench.scoring.match_corpus`), with
  `(none)` for a span the other annotator has nothing paired with;

and over all annotators together, Krippendorff's alpha (nominal, the `krippendorff` package) on
tokens: it takes any number of annotators and documents that not everyone annotated.

**Tokens** (for kappa and alpha), without any tokenizer model: `TOKEN_PATTERN`, a run of word
characters (`\\w+`, Unicode: a run of Chinese characters is one token) or any other single
non-space character. Each token gets a BIO tag: `B-<label>` for the first token a span overlaps,
`I-<label>` for the others, `O` outside every span; a span cut inside a token (`Fujian` in
`Fujians`) tags the whole token. Kappa and alpha compare these tags; per label, the tags are
reduced to "inside a span of this label or not". A measure whose expected agreement is perfect
(both annotators tag every token alike, e.g. all `O`) is undefined: None, never 0 or 1.

**Adjudication** (`adjudicate`), per document:

1. a ground-truth annotation wins (the most recently updated one if several): rule `ground_truth`;
2. a single pass is the gold: rule `single`;
3. otherwise the spans every annotator marked identically are kept, and the rest is grouped into
   *conflicts*: overlapping spans of different annotators form one conflict, each annotator's
   version of that stretch of text side by side (possibly nothing). With three or more annotators,
   a version held by more than half of them wins (rule `majority`, the conflict is resolved);
   otherwise (always with two) the conflict stays unresolved and none of its spans is in the gold
   until a reviewer decides (rule `agreement`).

A document with unresolved conflicts, or with fewer passes than required (and no ground truth),
is *provisional* (`Decision.provisional`), and so is the gold it is in.
"""

from __future__ import annotations

import math
import re
import statistics
import warnings
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Mapping, Sequence

from .analysis import NONE, confusion_matrix
from .gold import Document
from .scoring import Counts, match_corpus, score_document
from .spans import Span

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")
TOKEN_RULE = "tokens: runs of word characters (\\w+) or any other single non-space character; BIO tags per token"
OUTSIDE = "O"

# Conflict kinds, and how the terminal and the reports name them.
KINDS = {
    "label": "same span, different label",
    "boundary": "overlapping spans, different boundaries",
    "only_some": "span marked by one side only",
}


@dataclass(frozen=True)
class Annotation:
    """One person's annotation of one document."""

    annotator: str
    spans: tuple[Span, ...]
    ground_truth: bool = False
    id: int | str | None = None
    updated_at: str = ""
    lead_time: float | None = None  # seconds spent, when the tool records it


@dataclass
class AnnotatedDocument:
    """A document with every annotation of it, and who skipped it."""

    id: str
    text: str
    annotations: list[Annotation] = field(default_factory=list)
    skipped_by: list[str] = field(default_factory=list)


@dataclass
class Decision:
    """How one document's gold was decided."""

    doc_id: str
    spans: tuple[Span, ...]
    rule: str  # ground_truth | single | agreement | majority
    annotators: list[str]
    annotation_ids: list[Any]
    conflicts: list[dict[str, Any]]
    required: int = 1

    @property
    def unresolved(self) -> list[dict[str, Any]]:
        return [c for c in self.conflicts if not c["resolved"]]

    @property
    def provisional(self) -> dict[str, int] | None:
        """Why this document's gold is not final yet, or None when it is."""
        if self.rule == "ground_truth":
            return None
        short = len(self.annotators) < self.required
        if not self.unresolved and not short:
            return None
        return {"unresolved_conflicts": len(self.unresolved), "annotators": len(self.annotators), "annotators_required": self.required}


# ---- passes and tokens ---------------------------------------------------------------------------


def passes_from_files(named: Mapping[str, Sequence[Document]], order: Sequence[str]) -> list[AnnotatedDocument]:
    """Documents with one pass per annotator, from gold-format files (annotator name -> its documents), in `order`."""
    docs: dict[str, AnnotatedDocument] = {}
    for name, documents in named.items():
        for d in documents:
            docs.setdefault(d.id, AnnotatedDocument(d.id, d.text)).annotations.append(Annotation(name, d.spans))
    return [docs[d] for d in order if d in docs]


def passes(doc: AnnotatedDocument) -> dict[str, Annotation]:
    """Each annotator's latest annotation of the document that is not a ground truth."""
    latest: dict[str, Annotation] = {}
    for ann in doc.annotations:
        if ann.ground_truth:
            continue
        if ann.annotator not in latest or ann.updated_at >= latest[ann.annotator].updated_at:
            latest[ann.annotator] = ann
    return latest


def tokens(text: str) -> list[tuple[int, int]]:
    """Half-open offsets of the tokens of `text` (see TOKEN_PATTERN)."""
    return [m.span() for m in TOKEN_PATTERN.finditer(text)]


def token_tags(spans: Sequence[Span], offsets: Sequence[tuple[int, int]]) -> list[str]:
    """The BIO tag of every token: the label of the span overlapping it, `O` outside every span."""
    tags = [OUTSIDE] * len(offsets)
    k = 0
    for span in sorted(spans):
        while k < len(offsets) and offsets[k][1] <= span.start:
            k += 1
        first = True
        j = k
        while j < len(offsets) and offsets[j][0] < span.end:
            if tags[j] == OUTSIDE:  # spans never overlap, but two may share a token they both cut
                tags[j] = ("B-" if first else "I-") + span.label
            first = False
            j += 1
    return tags


def _inside(tags: Sequence[str], label: str) -> list[int]:
    return [1 if t != OUTSIDE and t[2:] == label else 0 for t in tags]


def _undefined_to_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's kappa of two raters' labels (scikit-learn); None when undefined (no tokens, or chance agreement is 1)."""
    if not a or len(set(a) | set(b)) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _undefined_to_none(cohen_kappa_score(a, b))


def krippendorff_alpha(rows: Sequence[Sequence[Any]]) -> float | None:
    """Krippendorff's alpha (nominal) of raters' labels, one row per rater, None for a unit they did not code."""
    values = {v for row in rows for v in row if v is not None}
    if len(rows) < 2 or len(values) < 2:
        return None
    import krippendorff
    import numpy as np

    codes = {v: i for i, v in enumerate(sorted(values, key=str))}
    data = np.array([[np.nan if v is None else codes[v] for v in row] for row in rows], dtype=float)
    paired = (~np.isnan(data)).sum(axis=0) >= 2
    if not paired.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _undefined_to_none(krippendorff.alpha(reliability_data=data[:, paired], level_of_measurement="nominal"))


# ---- agreement ----------------------------------------------------------------------------------


def agreement(docs: Sequence[AnnotatedDocument], labels: Iterable[str]) -> dict[str, Any]:
    """Every measure of the module docstring, over the passes of `docs` (ground truths left out).

    Returns {"tokens": rule, "annotators": [...], "pairs": [...], "overall": {...}}; a pair has
    `f1`, `agreed`, `spans`, `kappa`, `per_label` (f1 and kappa), `per_document` (f1 and kappa)
    and `confusion`; `overall` has Krippendorff's `alpha`, per label and per document.
    """
    labels = list(labels)
    by_doc = {doc.id: passes(doc) for doc in docs}
    offsets = {doc.id: tokens(doc.text) for doc in docs}
    tags = {d: {name: token_tags(ann.spans, offsets[d]) for name, ann in p.items()} for d, p in by_doc.items()}
    names = sorted({name for p in by_doc.values() for name in p})
    pairs = [_pair(a, b, docs, by_doc, tags, labels) for a, b in combinations(names, 2)]
    return {"tokens": TOKEN_RULE, "annotators": names, "pairs": pairs, "overall": _overall(names, docs, by_doc, tags, labels)}


def _pair(a: str, b: str, docs, by_doc, tags, labels) -> dict[str, Any]:
    shared = [doc.id for doc in docs if a in by_doc[doc.id] and b in by_doc[doc.id]]
    counts = Counts()
    tags_a: list[str] = []
    tags_b: list[str] = []
    per_document = {}
    for d in shared:
        spans_a, spans_b = by_doc[d][a].spans, by_doc[d][b].spans
        doc_counts = score_document(spans_a, spans_b)
        counts += doc_counts
        tags_a += tags[d][a]
        tags_b += tags[d][b]
        per_document[d] = {"f1": doc_counts.tally("strict").f1, "kappa": cohen_kappa(tags[d][a], tags[d][b])}
    per_label = {}
    for label in labels:
        t = counts.tally("strict", label)
        if t.support or t.predicted:
            per_label[label] = {
                "f1": t.f1,
                "agreed": t.tp,
                "spans": {a: t.support, b: t.predicted},
                "kappa": cohen_kappa(_inside(tags_a, label), _inside(tags_b, label)),
            }
    micro = counts.tally("strict")
    return {
        "annotators": [a, b],
        "documents": len(shared),
        "tokens": len(tags_a),
        "f1": micro.f1,
        "agreed": micro.tp,
        "spans": {a: micro.support, b: micro.predicted},
        "kappa": cohen_kappa(tags_a, tags_b),
        "per_label": per_label,
        "per_document": per_document,
        "confusion": _confusion({d: by_doc[d][a].spans for d in shared}, {d: by_doc[d][b].spans for d in shared}, labels),
    }


def _confusion(a: Mapping[str, Sequence[Span]], b: Mapping[str, Sequence[Span]], labels: Sequence[str]) -> dict[str, Any]:
    """One annotator's labels (rows) against the other's (columns) over the spans the scorer pairs."""
    if not a:
        return {"labels": [NONE], "matrix": [[0]]}
    return confusion_matrix(match_corpus(a, b), labels)


def _overall(names: list[str], docs, by_doc, tags, labels) -> dict[str, Any]:
    """Krippendorff's alpha over every document at least two annotators did, and its per-label and per-document parts."""
    shared = [doc.id for doc in docs if len(by_doc[doc.id]) >= 2]
    rows: dict[str, list[str | None]] = {name: [] for name in names}
    per_document = {}
    for d in shared:
        n = len(next(iter(tags[d].values())))
        doc_rows = [tags[d].get(name, [None] * n) for name in names]
        for name, row in zip(names, doc_rows):
            rows[name] += row
        per_document[d] = {"annotators": len(by_doc[d]), "alpha": krippendorff_alpha(doc_rows)}
    all_rows = list(rows.values())
    per_label = {}
    for label in labels:
        binary = [[None if t is None else int(t != OUTSIDE and t[2:] == label) for t in row] for row in all_rows]
        if any(v for row in binary for v in row):
            per_label[label] = {"alpha": krippendorff_alpha(binary)}
    return {
        "annotators": len(names),
        "documents": len(shared),
        "tokens": sum(len(next(iter(tags[d].values()))) for d in shared),
        "alpha": krippendorff_alpha(all_rows),
        "per_label": per_label,
        "per_document": per_document,
    }


def annotator_figures(docs: Sequence[AnnotatedDocument]) -> dict[str, dict[str, Any]]:
    """Per annotator: documents and spans of their passes, ground truths, skips, and time spent (from `lead_time`)."""
    figures: dict[str, dict[str, Any]] = {}

    def of(name: str) -> dict[str, Any]:
        return figures.setdefault(name, {"documents": 0, "spans": 0, "ground_truths": 0, "skipped": 0, "_times": []})

    for doc in docs:
        for name, ann in passes(doc).items():
            f = of(name)
            f["documents"] += 1
            f["spans"] += len(ann.spans)
            if ann.lead_time is not None:
                f["_times"].append(ann.lead_time)
        for ann in doc.annotations:
            if ann.ground_truth:
                of(ann.annotator)["ground_truths"] += 1
        for name in doc.skipped_by:
            of(name)["skipped"] += 1
    for f in figures.values():
        times = f.pop("_times")
        f["seconds_total"] = round(sum(times), 1) if times else None
        f["seconds_median"] = round(statistics.median(times), 1) if times else None
    return dict(sorted(figures.items()))


# ---- adjudication -------------------------------------------------------------------------------


def conflicts(text: str, doc_id: str, versions: Mapping[str, Sequence[Span]]) -> tuple[set[Span], list[dict[str, Any]]]:
    """(spans every annotator marked identically, the conflicts over the rest), annotators in `versions` order.

    A conflict is a stretch of text covered by overlapping spans that not everyone marked alike,
    with each annotator's spans there (possibly none): {"document", "kind", "start", "end",
    "text", "versions": {name: [span dicts]}, "resolved": None}.
    """
    names = list(versions)
    sets = {name: set(versions[name]) for name in names}
    agreed = set.intersection(*sets.values()) if sets else set()
    rest = sorted((span, name) for name in names for span in sets[name] - agreed)
    groups: list[list[tuple[Span, str]]] = []
    end = -1
    for span, name in rest:
        if span.start >= end:
            groups.append([])
        groups[-1].append((span, name))
        end = max(end, span.end) if span.start < end else span.end
    out = []
    for group in groups:
        start, stop = min(s.start for s, _ in group), max(s.end for s, _ in group)
        by_name = {name: tuple(sorted(s for s, n in group if n == name)) for name in names}
        out.append(
            {
                "document": doc_id,
                "kind": _kind(by_name),
                "start": start,
                "end": stop,
                "text": text[start:stop],
                "versions": {name: [s.to_dict(text) for s in spans] for name, spans in by_name.items()},
                "resolved": None,
            }
        )
    return agreed, out


def _kind(by_name: Mapping[str, tuple[Span, ...]]) -> str:
    distinct = {v for v in by_name.values() if v}
    if len(distinct) == 1:
        return "only_some"
    if all(len(v) == 1 for v in distinct) and len({(v[0].start, v[0].end) for v in distinct}) == 1:
        return "label"
    return "boundary"


def adjudicate(doc: AnnotatedDocument, required: int = 1) -> Decision | None:
    """The document's gold under the module's rule; None when nobody annotated it."""
    ground_truth = [a for a in doc.annotations if a.ground_truth]
    if ground_truth:
        best = max(ground_truth, key=lambda a: (a.updated_at, str(a.id)))
        return Decision(doc.id, best.spans, "ground_truth", [best.annotator], [best.id], [], required)
    latest = passes(doc)
    if not latest:
        return None
    names = sorted(latest)
    ids = [latest[n].id for n in names]
    if len(names) == 1:
        return Decision(doc.id, latest[names[0]].spans, "single", names, ids, [], required)
    agreed, found = conflicts(doc.text, doc.id, {n: latest[n].spans for n in names})
    kept = set(agreed)
    for conflict in found:
        readings: dict[tuple, list[str]] = {}
        for name in names:
            key = tuple(Span(s["start"], s["end"], s["label"]) for s in conflict["versions"][name])
            readings.setdefault(key, []).append(name)
        best_reading, holders = max(readings.items(), key=lambda kv: len(kv[1]))
        if len(holders) * 2 > len(names):
            conflict["resolved"] = "majority"
            kept.update(best_reading)
    rule = "majority" if len(names) >= 3 else "agreement"
    return Decision(doc.id, tuple(sorted(kept)), rule, names, ids, found, required)


def build_gold(
    docs: Sequence[AnnotatedDocument], required: int = 1, meta: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[list[Document], list[Decision], list[str]]:
    """Adjudicate every document, in the given order: (gold documents, decisions, ids nobody annotated).

    `meta` (doc id -> extra provenance, such as task ids) is added to each document's `meta`.
    """
    gold, decisions, unannotated = [], [], []
    for doc in docs:
        decision = adjudicate(doc, required)
        if decision is None:
            unannotated.append(doc.id)
            continue
        decisions.append(decision)
        doc_meta = {
            **(meta or {}).get(doc.id, {}),
            "annotations": decision.annotation_ids,
            "annotators": decision.annotators,
            "rule": decision.rule,
            "conflicts": len(decision.unresolved),
        }
        if decision.rule == "majority":
            doc_meta["resolved_by_majority"] = len(decision.conflicts) - len(decision.unresolved)
        gold.append(Document(doc.id, doc.text, decision.spans, doc_meta, decision.provisional))
    return gold, decisions, unannotated


# ---- diff ---------------------------------------------------------------------------------------


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
