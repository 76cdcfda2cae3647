"""The scorer on hand-built cases; every expected value is computed by hand in the comment beside it."""

from __future__ import annotations

import pytest

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nerbench.scoring import FIELDS, SCHEMES, Counts, averages, f1_score, match, match_corpus, score_corpus, score_document
from nerbench.spans import Span


def S(start, end, label):
    return Span(start, end, label)


def prf(counts: Counts, scheme: str, label: str | None = None):
    t = counts.tally(scheme, label)
    return t.precision, t.recall, t.f1


def approx(values):
    return tuple(None if v is None else pytest.approx(v) for v in values)


# (gold, pred, expected (P, R, F1) per scheme in SCHEMES order: strict, exact, partial, type)
CASES = {
    "exact_match_is_correct_everywhere": (
        [S(0, 5, "ORG")],
        [S(0, 5, "ORG")],
        [(1, 1, 1)] * 4,
    ),
    "same_span_wrong_label_counts_only_for_boundary_schemes": (
        [S(0, 5, "ORG")],
        [S(0, 5, "PERSON")],
        [(0, 0, 0), (1, 1, 1), (1, 1, 1), (0, 0, 0)],
    ),
    "partial_overlap_same_label_gets_half_credit": (
        # partial: one PAR -> (0 + 0.5) / 1 both ways
        [S(0, 10, "ORG")],
        [S(0, 5, "ORG")],
        [(0, 0, 0), (0, 0, 0), (0.5, 0.5, 0.5), (1, 1, 1)],
    ),
    "partial_overlap_wrong_label_gets_half_credit_only_in_partial": (
        [S(0, 10, "ORG")],
        [S(5, 15, "GPE")],
        [(0, 0, 0), (0, 0, 0), (0.5, 0.5, 0.5), (0, 0, 0)],
    ),
    "prediction_overlapping_two_gold_spans_pairs_with_the_same_label": (
        # p GPE[0,10) overlaps ORG[0,5) (5 chars) and GPE[6,10) (4 chars): same label wins,
        # ORG is missed. POS 2, ACT 1.
        # strict/exact: INC 1, MIS 1 -> P 0/1, R 0/2. partial: PAR 1 -> P .5/1, R .5/2, F 1/3.
        # type: COR 1 -> P 1, R 1/2, F 2/3.
        [S(0, 5, "ORG"), S(6, 10, "GPE")],
        [S(0, 10, "GPE")],
        [(0, 0, 0), (0, 0, 0), (0.5, 0.25, 1 / 3), (1, 0.5, 2 / 3)],
    ),
    "two_predictions_inside_one_gold_span_pair_once_and_leave_one_spurious": (
        # ORG[5,10) overlaps 5 chars, ORG[0,4) 4 chars: the longer pairs, the other is spurious.
        # partial: PAR 1, SPU 1 -> P .5/2, R .5/1, F = 2*.25*.5/.75 = 1/3.
        [S(0, 10, "ORG")],
        [S(0, 4, "ORG"), S(5, 10, "ORG")],
        [(0, 0, 0), (0, 0, 0), (0.25, 0.5, 1 / 3), (0.5, 1, 2 / 3)],
    ),
    "missed_and_spurious_score_zero": (
        [S(0, 3, "PERSON")],
        [S(10, 12, "DATE")],
        [(0, 0, 0)] * 4,
    ),
    "empty_document_has_no_score": (
        [],
        [],
        [(None, None, None)] * 4,
    ),
    "no_predictions_has_recall_zero_and_no_precision": (
        [S(0, 3, "PERSON")],
        [],
        [(None, 0, 0)] * 4,
    ),
    "predictions_without_gold_have_precision_zero_and_no_recall": (
        [],
        [S(0, 3, "PERSON")],
        [(0, None, 0)] * 4,
    ),
}


@pytest.mark.parametrize("gold,pred,expected", CASES.values(), ids=CASES.keys())
def test_micro_scores_per_scheme(gold, pred, expected):
    counts = score_document(gold, pred)
    for scheme, values in zip(SCHEMES, expected):
        assert prf(counts, scheme) == approx(values), scheme


def test_semeval_counts_of_a_mixed_document():
    # gold: ORG[0,5) exact, PERSON[10,20) vs PERSON[12,20) (overlap), GPE[30,35) vs ORG[30,35)
    # (same span, wrong label), plus a spurious DATE[40,45).
    gold = [S(0, 5, "ORG"), S(10, 20, "PERSON"), S(30, 35, "GPE")]
    pred = [S(0, 5, "ORG"), S(12, 20, "PERSON"), S(30, 35, "ORG"), S(40, 45, "DATE")]
    counts = score_document(gold, pred)
    sem = {s: counts.tally(s).semeval() for s in SCHEMES}
    base = {"missed": 0, "spurious": 1, "possible": 3, "actual": 4}
    assert sem["strict"] == {"correct": 1, "incorrect": 2, "partial": 0, **base}
    assert sem["exact"] == {"correct": 2, "incorrect": 1, "partial": 0, **base}
    assert sem["partial"] == {"correct": 2, "incorrect": 0, "partial": 1, **base}
    assert sem["type"] == {"correct": 2, "incorrect": 1, "partial": 0, **base}
    m = counts.tally("partial").metrics()
    # partial: tp = 2 + 0.5 = 2.5; fp = 4 - 2.5; fn = 3 - 2.5
    assert (m["tp"], m["fp"], m["fn"]) == (2.5, 1.5, 0.5)
    assert m["precision"] == pytest.approx(2.5 / 4) and m["recall"] == pytest.approx(2.5 / 3)


def test_per_label_counts_follow_each_side_label():
    # Same span, wrong label: under strict the ORG gold span is a false negative of ORG and the
    # PERSON prediction a false positive of PERSON, as in spaCy's per-type scores.
    counts = score_document([S(0, 5, "ORG")], [S(0, 5, "PERSON")])
    org = counts.tally("strict", "ORG").metrics()
    person = counts.tally("strict", "PERSON").metrics()
    assert (org["tp"], org["fp"], org["fn"], org["support"]) == (0, 0, 1, 1)
    assert (org["precision"], org["recall"], org["f1"]) == (None, 0, 0)
    assert (person["tp"], person["fp"], person["fn"], person["support"]) == (0, 1, 0, 0)
    assert (person["precision"], person["recall"], person["f1"]) == (0, None, 0)


def test_label_with_no_gold_and_no_predictions_shows_no_score():
    counts = score_document([S(0, 5, "ORG")], [S(0, 5, "ORG")])
    m = counts.tally("strict", "LAW").metrics()
    assert (m["precision"], m["recall"], m["f1"], m["support"]) == (None, None, None, 0)


def test_macro_and_weighted_averages_by_hand():
    # strict: ORG support 2, pred 1, tp 1 -> P 1, R .5, F 2/3
    #         PERSON support 1, pred 2, tp 1 -> P .5, R 1, F 2/3
    #         DATE support 0, pred 1, tp 0 -> P 0, R -, F 0;  LAW: nothing -> left out
    gold = [S(0, 5, "ORG"), S(10, 15, "ORG"), S(20, 25, "PERSON")]
    pred = [S(0, 5, "ORG"), S(10, 15, "PERSON"), S(20, 25, "PERSON"), S(30, 35, "DATE")]
    avg = averages(score_document(gold, pred), "strict", ["ORG", "PERSON", "DATE", "LAW"])
    assert avg["micro"] == approx_dict({"precision": 2 / 4, "recall": 2 / 3, "f1": 2 * (0.5 * 2 / 3) / (0.5 + 2 / 3)})
    assert avg["macro"] == approx_dict({"precision": (1 + 0.5 + 0) / 3, "recall": (0.5 + 1) / 2, "f1": (2 / 3 + 2 / 3 + 0) / 3})
    assert avg["weighted"] == approx_dict({"precision": (1 * 2 + 0.5) / 3, "recall": (0.5 * 2 + 1) / 3, "f1": 2 / 3})


def approx_dict(d):
    return {k: pytest.approx(v) for k, v in d.items()}


def test_counts_add_across_documents():
    docs_gold = {"a": [S(0, 5, "ORG")], "b": [S(0, 3, "PERSON"), S(5, 9, "GPE")], "c": []}
    docs_pred = {"a": [S(0, 5, "ORG")], "b": [S(0, 4, "PERSON")], "c": [S(1, 2, "DATE")]}
    total, per_doc = score_corpus(docs_gold, docs_pred)
    summed = Counts()
    for counts in per_doc.values():
        summed = summed + counts
    assert summed == total
    # and the corpus equals scoring one concatenated document with shifted offsets
    shifted_gold = [S(0, 5, "ORG"), S(100, 103, "PERSON"), S(105, 109, "GPE")]
    shifted_pred = [S(0, 5, "ORG"), S(100, 104, "PERSON"), S(201, 202, "DATE")]
    assert score_document(shifted_gold, shifted_pred) == total
    assert total.tally("strict").semeval()["correct"] == 1


def test_document_missing_from_predictions_counts_as_all_missed():
    total, _ = score_corpus({"a": [S(0, 5, "ORG")]}, {})
    assert total.tally("strict").semeval()["missed"] == 1


def test_match_prefers_exact_boundaries_then_same_label_then_longer_overlap():
    gold = [S(0, 10, "ORG"), S(20, 30, "GPE"), S(40, 50, "PERSON")]
    pred = [S(0, 10, "GPE"), S(18, 25, "ORG"), S(22, 35, "GPE"), S(60, 61, "DATE")]
    pairs, missed, spurious = match(gold, pred)
    assert sorted(pairs) == [(0, 0), (1, 2)]
    assert missed == [2] and spurious == [1, 3]


@pytest.mark.parametrize(
    "p,r,expected",
    [(None, None, None), (0.5, None, None), (0.0, None, 0.0), (None, 0.0, 0.0), (0.0, 0.0, 0.0), (0.5, 1.0, 2 / 3)],
)
def test_f1_of_defined_and_undefined_sides(p, r, expected):
    assert f1_score(p, r) == (None if expected is None else pytest.approx(expected))


def random_corpus(seed: int, n_docs: int = 400):
    """Gold and predictions of every shape `match` handles: clean documents (spans apart, as the
    fast path wants them) and messy ones (overlaps and repeats on one side, nested, empty spans,
    negative offsets, a span overlapping several), documents without predictions, predictions
    without gold."""
    import random

    rng = random.Random(seed)
    labels = ["ORG", "GPE", "PERSON", "DATE"]
    gold, pred = {}, {}
    for d in range(n_docs):
        if d % 2:  # messy: anything goes
            g = [S(s, s + rng.randint(-1, 12), rng.choice(labels)) for s in (rng.randint(-3, 60) for _ in range(rng.randint(0, 8)))]
            p = [S(s, s + rng.randint(-1, 12), rng.choice(labels)) for s in (rng.randint(-3, 60) for _ in range(rng.randint(0, 8)))]
            p += [x for x in g if rng.random() < 0.3]
        else:  # clean: one span per slot of 10 characters, a prediction near it
            g, p = [], []
            for slot in range(rng.randint(0, 10)):
                start = slot * 10 + rng.randint(1, 3)
                span = S(start, start + rng.randint(1, 5), rng.choice(labels))
                if rng.random() < 0.85:
                    g.append(span)
                shift = rng.choice([0, 0, 0, -1, 1])
                if rng.random() < 0.8:
                    p.append(S(span.start + shift, span.end + rng.choice([0, 0, 1]), rng.choice([span.label, span.label, rng.choice(labels)])))
            rng.shuffle(p)
        gold[f"d{d}"] = g
        if rng.random() < 0.95:
            pred[f"d{d}"] = p
    pred["not in the gold"] = [S(0, 5, "ORG")]
    return gold, pred


@pytest.mark.parametrize("seed", range(6))
def test_corpus_scoring_equals_scoring_each_document(seed, monkeypatch):
    from nerbench import scoring

    gold, pred = random_corpus(seed)
    matched_one_by_one = []
    monkeypatch.setattr(scoring, "match", lambda g, p: matched_one_by_one.append(1) or match(g, p))
    total, per_doc = score_corpus(gold, pred)
    # clean documents take the vectorised path, messy ones `match`
    assert len(gold) / 3 < len(matched_one_by_one) < len(gold)
    monkeypatch.undo()
    expected = {doc_id: score_document(spans, pred.get(doc_id, ())) for doc_id, spans in gold.items()}
    assert list(per_doc) == list(gold) and len(per_doc) == len(gold)
    for doc_id, counts in expected.items():
        assert per_doc[doc_id] == counts, doc_id
    summed = Counts()
    for counts in expected.values():
        summed += counts
    assert total == summed
    # the data exercises every outcome on both paths
    assert all(total.tally("partial").semeval()[k] > 0 for k in ("correct", "partial", "missed", "spurious"))
    assert total.tally("strict").semeval()["incorrect"] > 0


def test_corpus_scoring_of_an_empty_corpus_and_empty_documents():
    total, per_doc = score_corpus({}, {})
    assert total == Counts() and len(per_doc) == 0
    total, per_doc = score_corpus({"a": [], "b": []}, {"b": []})
    assert total == Counts() and per_doc["a"] == Counts() and list(per_doc) == ["a", "b"]


def test_unit_counts_aligned_to_the_schemes_labels_keep_each_documents_counts():
    total, per_doc = score_corpus({"a": [S(0, 5, "ORG")], "b": [S(0, 3, "GPE")]}, {"a": [S(0, 5, "GPE")]})
    aligned = per_doc.aligned(["GPE", "ORG", "LAW"])
    assert aligned.labels == ("GPE", "ORG", "LAW") and aligned.matrix.shape == (2, 30)
    assert aligned["a"] == per_doc["a"] and aligned["b"] == per_doc["b"] and aligned.total() == total
    # a: gold ORG paired with a GPE prediction on the same boundaries (kind 1); b: gold GPE missed
    assert aligned["a"].events["ORG"].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert aligned["a"].events["GPE"].tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert aligned["b"].events["GPE"].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match=r"labels \['ORG'\] have counts but are not among the labels asked for"):
        per_doc.aligned(["GPE"])


def test_counts_add_compare_and_refuse_a_row_of_the_wrong_width():
    a = Counts({"ORG": [1, 0, 0, 0, 2, 1, 0, 0, 0, 0]})
    b = Counts({"ORG": [0, 0, 0, 0, 1, 0, 0, 0, 0, 3], "LAW": [0] * 10})
    assert (a + b).events["ORG"].tolist() == [1, 0, 0, 0, 3, 1, 0, 0, 0, 3]
    assert a + Counts() == a and Counts({"LAW": [0] * 10}) == Counts()  # rows of zeros are no counts
    # strict: ORG 1 correct, 3 missed; 1 correct prediction, 3 spurious
    assert a.tally("strict", "ORG") == S_TALLY(gold_correct=1, missed=2, pred_correct=1) and (a + b).tally("strict").spurious == 3
    with pytest.raises(ValueError, match="label 'ORG': expected 10 event counts"):
        Counts({"ORG": [1, 2, 3]})


def S_TALLY(**fields):
    from nerbench.scoring import Tally

    return Tally(**fields)


def test_counts_per_sentence_count_a_pair_in_its_gold_spans_sentence_and_add_up_to_the_document():
    # sentences start at 0, 20 and 40. ORG[15,25) is predicted as ORG[18,25): a pair, counted in
    # sentence 0 (its gold span's) although the prediction starts in sentence 0 too; GPE[22,30)
    # predicted as GPE[19,30): the prediction starts in sentence 0, the pair counts in sentence 1.
    # PERSON[45,50) is missed (sentence 2), DATE[41,44) spurious (sentence 2).
    gold = [S(15, 19, "ORG"), S(22, 30, "GPE"), S(45, 50, "PERSON")]
    pred = [S(15, 18, "ORG"), S(19, 30, "GPE"), S(41, 44, "DATE")]
    matching = match_corpus({"d": gold}, {"d": pred})
    per_sentence = matching.counts({"d": [0, 20, 40]})
    assert list(per_sentence) == [("d", 0), ("d", 1), ("d", 2)]
    assert per_sentence[("d", 0)] == Counts({"ORG": [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]})
    assert per_sentence[("d", 1)] == Counts({"GPE": [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]})
    assert per_sentence[("d", 2)] == Counts({"PERSON": [0, 0, 0, 0, 1, 0, 0, 0, 0, 0], "DATE": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]})
    assert per_sentence.total() == matching.total() == score_document(gold, pred)
    # an empty sentence is a unit too, and a span before the first unit start goes to the first unit
    assert list(match_corpus({"d": [S(2, 4, "ORG")]}, {}).counts({"d": [3, 10]}).values()) == [
        Counts({"ORG": [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]}),
        Counts(),
    ]


def test_per_unit_micro_tallies_and_credits_equal_each_units_tally():
    gold, pred = random_corpus(7, n_docs=60)
    per_doc = match_corpus(gold, pred).counts()
    credits = per_doc.credits()
    for scheme in SCHEMES:
        micro = per_doc.micro(scheme)
        for u, doc_id in enumerate(per_doc):
            tally = per_doc[doc_id].tally(scheme)
            assert micro[u].tolist() == [getattr(tally, f) for f in FIELDS]
            s = SCHEMES.index(scheme)
            assert credits[u, s].tolist() == [2 * tally.tp, tally.support, 2 * tally.tp_pred, tally.predicted]


def test_pairs_counted_as_same_boundaries_become_correct_under_strict():
    gold = [S(4, 10, "ORG"), S(20, 30, "GPE"), S(40, 45, "DATE")]
    pred = [S(0, 10, "ORG"), S(20, 28, "LOC"), S(40, 45, "DATE")]
    matching = match_corpus({"d": gold}, {"d": pred})
    assert matching.gold_kind.tolist() == [2, 3, 0] and matching.pred_kind.tolist() == [2, 3, 0]
    forgiving = matching.with_same_boundaries(np.array([True, True, False]))
    # ORG: other boundaries, same label -> same boundaries (correct); GPE/LOC keeps its other label
    assert forgiving.gold_kind.tolist() == [0, 1, 0] and forgiving.pred_kind.tolist() == [0, 1, 0]
    assert forgiving.total().tally("strict").semeval()["correct"] == 2
    assert matching.total().tally("strict").semeval()["correct"] == 1  # the original is unchanged


# ---- the corpus engine against the per-document oracle -----------------------------------------


def oracle_counts(gold, pred) -> Counts:
    """Counts from `match`'s pairs, classified here without the engine: the tests' second opinion."""
    pairs, missed, spurious = match(gold, pred)
    events: dict[str, list[int]] = {}

    def add(label, event):
        events.setdefault(label, [0] * 10)[event] += 1

    for i, j in pairs:
        g, p = gold[i], pred[j]
        kind = (0 if (g.start, g.end) == (p.start, p.end) else 2) + (0 if g.label == p.label else 1)
        add(g.label, kind)
        add(p.label, 5 + kind)
    for i in missed:
        add(gold[i].label, 4)
    for j in spurious:
        add(pred[j].label, 9)
    return Counts(events)


SPAN_LABELS = st.sampled_from(["ORG", "GPE", "PERSON"])


@st.composite
def spans(draw, messy: bool):
    """Spans of one side: apart from each other, in slots of 6 characters, or anyhow (repeats, nesting, empty, reversed)."""
    if messy:
        return [S(s, s + draw(st.integers(-2, 9)), draw(SPAN_LABELS)) for s in draw(st.lists(st.integers(-3, 40), max_size=7))]
    starts = sorted(draw(st.sets(st.integers(0, 12), max_size=6)))
    return [S(6 * k + draw(st.integers(0, 1)), 6 * k + draw(st.integers(2, 5)), draw(SPAN_LABELS)) for k in starts]


@st.composite
def corpora(draw):
    docs = draw(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=8))
    gold = {f"d{k}": draw(spans(messy_g)) for k, (messy_g, _) in enumerate(docs)}
    pred = {f"d{k}": draw(spans(messy_p)) for k, (_, messy_p) in enumerate(docs)}
    if draw(st.booleans()):
        pred.pop("d0")  # a document without predictions
    return gold, pred


@settings(max_examples=400, deadline=None)
@given(corpora())
def test_engine_pairs_and_counts_equal_the_per_document_oracle(corpus):
    gold, pred = corpus
    matching = match_corpus(gold, pred)
    per_doc = matching.counts()
    for d, doc_id in enumerate(gold):
        pairs, missed, spurious = match(gold[doc_id], pred.get(doc_id, ()))
        got_pairs, got_missed, got_spurious = matching.document(d)
        assert (sorted(got_pairs), got_missed, got_spurious) == (sorted(pairs), missed, spurious)
        assert per_doc[doc_id] == oracle_counts(gold[doc_id], pred.get(doc_id, ()))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(spans(False), spans(False)), min_size=1, max_size=6))
def test_documents_whose_spans_overlap_at_most_one_on_the_other_side_take_the_vectorised_path(docs):
    # spans apart on each side (as validated gold and predictions are); a span overlapping two on
    # the other side sends its document to `match`
    from nerbench import scoring

    gold = {f"d{k}": g for k, (g, _) in enumerate(docs)}
    pred = {f"d{k}": p for k, (_, p) in enumerate(docs)}
    with pytest.MonkeyPatch.context() as patch:
        calls = []
        patch.setattr(scoring, "match", lambda g, p: calls.append(1) or match(g, p))
        matching = match_corpus(gold, pred)
    fast = [k for k, (g, p) in enumerate(docs) if all(sum(a.start < b.end and b.start < a.end for b in p) <= 1 for a in g)
            and all(sum(a.start < b.end and b.start < a.end for b in g) <= 1 for a in p)]  # fmt: skip
    assert len(calls) == len(docs) - len(fast)
    for d, doc_id in enumerate(gold):
        assert matching.counts()[doc_id] == oracle_counts(gold[doc_id], pred[doc_id])
