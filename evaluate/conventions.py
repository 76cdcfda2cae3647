"""What each annotation convention costs: rescore a model against variants of the gold.

Every corpus decision of gold/GUIDELINES.md that OntoNotes does not settle beyond doubt (or that an
audit questioned) is a `Decision` with two ways: the one the guidelines adopt and the alternative.
Each way is a transformation of gold spans by a surface rule a reader can check against the text
(`rule`), so the gold is never edited by hand to measure a convention. `measure` scores the same
predictions against

- the gold as it is, and each decision's two ways applied to it alone (everything else as in the
  gold), and
- the adopted guidelines (every adopted way applied in `DECISIONS` order) and, for each decision,
  that gold with only this decision turned the other way.

Scoring is `nerbench.scoring.score_corpus` (strict micro P/R/F1); predictions come from the spaCy
adapter (`get_predictions`, `map_predictions`), so the figures are those of `nerbench evaluate`.
Every variant is checked like a gold file (offsets, whitespace at the edges, overlaps, labels):
a rule that would produce an invalid gold stops the run instead of producing a number.

    .venv/bin/nerbench conventions --show        # or: .venv/bin/python -m nerbench.evaluate.conventions
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from nerbench.errors import NerbenchError
from nerbench.gold import Document, load_gold
from nerbench.labels import IDENTITY_MAP, LabelScheme, check_model_labels, load_scheme
from nerbench.scoring import score_corpus
from nerbench.seeds import load_seeds
from nerbench.spans import Span, parse_spans
from nerbench.tables import Table

from .predict import PredictionCache, get_predictions, map_predictions

Transform = Callable[[str, Sequence[Span]], list[Span]]

# The types whose multi-word names OntoNotes writes with their leading "the" (D2).
THE_TYPES = frozenset({"FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
# A name followed by one of these words (or by punctuation or a line end) ends its noun phrase, so
# a "the" before it belongs to the name; followed by any other word, the name modifies that word
# ("the G60 High-tech Corridor cities") and the "the" belongs to the word.
NP_END_WORDS = frozenset(
    "and or but nor is are was were be been has have had will would can could shall should may might must "
    "also by of in on at to for with from into as than that which who whose where when while said says".split()
)
ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
ORDINAL = r"(?:\d+(?:st|nd|rd|th)|" + "|".join(ORDINAL_WORDS) + r")"
_ORDINAL_WORD = re.compile(rf"(?i){ORDINAL}$")
_FIVE_YEAR_PLAN = re.compile(rf"(?i)({ORDINAL})(\s)(five-year)( plan)$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# Chinese-script names of the corpus, with the labels the first gold gave them (the alternative of D11).
CJK_ENTITIES = (("大汉网络", "ORG"), ("大汉版通发布系统", "PRODUCT"))
_PAGE_FURNITURE = re.compile(
    r"^(?:\(?Source:|Your current location|发布日期|Produced By|Briefing of This Website|Hot Links|Copyright )|Font size:"
)
_BAY_DISTRICT = re.compile(r"\b([A-Z][a-z]+), ([A-Z][a-z]+(?: [A-Z][a-z]+)?) and ([A-Z][a-z]+) Bay District\b")
_DIGITAL = re.compile(r"\bDigital[ \u00a0]([A-Z][a-z]+)\b")
_DESIGNATOR_AFTER = re.compile(r" (province|county)(?![\w-])")


# ---- helpers ------------------------------------------------------------------------------------


def _relabel(spans: Sequence[Span], test: Callable[[Span], bool], label: str) -> list[Span]:
    return sorted(replace(s, label=label) if test(s) else s for s in spans)


def _drop(spans: Sequence[Span], test: Callable[[Span], bool]) -> list[Span]:
    return [s for s in spans if not test(s)]


def _add_free(spans: Sequence[Span], new: Iterable[Span]) -> list[Span]:
    """`spans` plus each new span that overlaps none of them (nor an earlier new one)."""
    out = list(spans)
    for n in new:
        if all(n.end <= s.start or s.end <= n.start for s in out):
            out.append(n)
    return sorted(out)


def _occurrences(text: str, needle: str, label: str) -> list[Span]:
    return [Span(m.start(), m.end(), label) for m in re.finditer(re.escape(needle), text)]


def _word_count(surface: str) -> int:
    return len(surface.split())  # str.split() splits on U+00A0 too


# ---- D2: a leading "the" -------------------------------------------------------------------------


def _leading_the(text: str, start: int) -> int | None:
    """Start of a "the"/"The" word directly before `start` (one space or no-break space between), else None."""
    before = text[max(0, start - 5) : start]
    m = re.search(r"(?:^|[^\w])([Tt]he)[ \u00a0]$", before)
    return start - len(m.group(1)) - 1 if m else None


def _ends_noun_phrase(text: str, end: int) -> bool:
    m = re.match(r"[ \u00a0]+([A-Za-z][\w-]*)", text[end:])
    return m is None or m.group(1).lower() in NP_END_WORDS


def the_inside(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for s in spans:
        the = _leading_the(text, s.start)
        if the is not None and s.label in THE_TYPES and _word_count(text[s.start : s.end]) >= 2 and _ends_noun_phrase(text, s.end):
            s = replace(s, start=the)
        out.append(s)
    return sorted(out)


def the_outside(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for s in spans:
        m = re.match(r"[Tt]he[ \u00a0]+", text[s.start : s.end])
        if m and s.label in THE_TYPES and _word_count(text[s.start + m.end() : s.end]) >= 2:
            s = replace(s, start=s.start + m.end())
        out.append(s)
    return sorted(out)


def _split(text: str, spans: Sequence[Span], parts: Callable[[Span, str], list[Span] | None]) -> list[Span]:
    """Each span replaced by `parts(span, surface)` where that gives parts; the others kept."""
    out: list[Span] = []
    for s in spans:
        out += parts(s, text[s.start : s.end]) or [s]
    return sorted(out)


def _join(spans: Sequence[Span], merge: Callable[[Span, Span], Span | None]) -> list[Span]:
    """Neighbouring spans replaced by `merge(previous, next)` where that gives one span."""
    out: list[Span] = []
    for s in sorted(spans):
        merged = merge(out[-1], s) if out else None
        if merged is None:
            out.append(s)
        else:
            out[-1] = merged
    return out


# ---- D8: the edition ordinal of a named event ---------------------------------------------------


def ordinal_split(text: str, spans: Sequence[Span]) -> list[Span]:
    def parts(s: Span, surface: str) -> list[Span] | None:
        m = re.match(r"(\S+)(\s+)\S", surface)
        if s.label != "EVENT" or not m or not _ORDINAL_WORD.match(m.group(1)):
            return None
        return [Span(s.start, s.start + len(m.group(1)), "ORDINAL"), Span(s.start + m.end(2), s.end, "EVENT")]

    return _split(text, spans, parts)


def ordinal_joined(text: str, spans: Sequence[Span]) -> list[Span]:
    def merge(prev: Span, s: Span) -> Span | None:
        if prev.label == "ORDINAL" and s.label == "EVENT" and s.start == prev.end + 1 and text[prev.end] in " \u00a0":
            return Span(prev.start, s.end, "EVENT")
        return None

    return _join(spans, merge)


# ---- D6: the five-year plan ------------------------------------------------------------------------


def plan_ordinal_date(text: str, spans: Sequence[Span]) -> list[Span]:
    def parts(s: Span, surface: str) -> list[Span] | None:
        m = _FIVE_YEAR_PLAN.match(surface)
        if not m:
            return None
        date_start = s.start + m.start(3)
        return [Span(s.start, s.start + m.end(1), "ORDINAL"), Span(date_start, date_start + len(m.group(3)), "DATE")]

    return _split(text, spans, parts)


def plan_law(text: str, spans: Sequence[Span]) -> list[Span]:
    def merge(prev: Span, s: Span) -> Span | None:
        end = s.end + len(" plan")
        if prev.label == "ORDINAL" and s.label == "DATE" and s.start == prev.end + 1 and _FIVE_YEAR_PLAN.match(text[prev.start : end]):
            return Span(prev.start, end, "LAW")
        return None

    return _join(spans, merge)


# ---- D4f: a numbered party congress -----------------------------------------------------------------


def _is_national_congress(text: str) -> Callable[[Span], bool]:
    return lambda s: text[s.start : s.end].endswith("National Congress")


def congress_event(text: str, spans: Sequence[Span]) -> list[Span]:
    test = _is_national_congress(text)
    return _relabel(spans, lambda s: s.label == "ORG" and test(s), "EVENT")


def congress_org(text: str, spans: Sequence[Span]) -> list[Span]:
    test = _is_national_congress(text)
    return _relabel(spans, lambda s: s.label == "EVENT" and test(s), "ORG")


# ---- D3: spans and words ---------------------------------------------------------------------------------


def whole_words(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for s in spans:
        start, end = s.start, s.end
        while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
        out.append(replace(s, start=start, end=end))
    return sorted(out)


def _possessive_s_cut_with(known_words: frozenset[tuple[str, str]]) -> Transform:
    """Cut the final "s" of a name written with its possessive apostrophe dropped ("Fujians digital economy").

    The name's last word without the "s" must be a word of a span of the same label in the gold
    (`known_words`: "Xi" from "Xi Jinping"), and the span must be followed by a space and a
    lower-case word (the possessed noun).
    """

    def cut(text: str, spans: Sequence[Span]) -> list[Span]:
        out = []
        for s in spans:
            surface = text[s.start : s.end]
            last_word = surface.split()[-1]
            if (
                last_word.endswith("s")
                and (last_word[:-1], s.label) in known_words
                and re.match(r"[ \u00a0][a-z]", text[s.end : s.end + 2])
            ):
                s = replace(s, end=s.end - 1)
            out.append(s)
        return sorted(out)

    return cut


# ---- D11: Chinese script ---------------------------------------------------------------------------------


def cjk_unannotated(text: str, spans: Sequence[Span]) -> list[Span]:
    return _drop(spans, lambda s: bool(_CJK.search(text[s.start : s.end])))


def cjk_annotated(text: str, spans: Sequence[Span]) -> list[Span]:
    return _add_free(spans, (span for name, label in CJK_ENTITIES for span in _occurrences(text, name, label)))


# ---- D5d: lower-case "province" after a province name ------------------------------------------------------


def designator_inside(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for s in spans:
        m = _DESIGNATOR_AFTER.match(text, s.end)
        if s.label == "GPE" and m:
            s = replace(s, end=m.end())
        out.append(s)
    return sorted(out)


def designator_outside(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for s in spans:
        m = re.search(r"\S (province|county)$", text[s.start : s.end])
        if s.label == "GPE" and m:
            s = replace(s, end=s.start + m.start() + 1)
        out.append(s)
    return sorted(out)


# ---- D6d: "We City" ---------------------------------------------------------------------------------------


def we_city_unlabelled(text: str, spans: Sequence[Span]) -> list[Span]:
    return _drop(spans, lambda s: s.label == "PRODUCT" and text[s.start : s.end] == "We City")


def we_city_product(text: str, spans: Sequence[Span]) -> list[Span]:
    return _add_free(spans, _occurrences(text, "We City", "PRODUCT"))


# ---- D12: page furniture ----------------------------------------------------------------------------------


def _furniture_lines(text: str) -> list[tuple[int, int]]:
    ranges, offset = [], 0
    for line in text.split("\n"):
        if _PAGE_FURNITURE.search(line):
            ranges.append((offset, offset + len(line)))
        offset += len(line) + 1
    return ranges


def furniture_unannotated(text: str, spans: Sequence[Span]) -> list[Span]:
    lines = _furniture_lines(text)
    return _drop(spans, lambda s: any(a <= s.start < b for a, b in lines))


# ---- D5b: "Guangdong, Hong Kong and Macao Bay District" --------------------------------------------------


def bay_district_one_loc(text: str, spans: Sequence[Span]) -> list[Span]:
    out = list(spans)
    for m in _BAY_DISTRICT.finditer(text):
        inside = [s for s in out if m.start() <= s.start and s.end <= m.end()]
        if all(s.label == "GPE" for s in inside) and len(inside) == 3:
            out = [s for s in out if s not in inside] + [Span(m.start(), m.end(), "LOC")]
    return sorted(out)


def bay_district_three_gpe(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for s in spans:
        m = _BAY_DISTRICT.fullmatch(text, s.start, s.end)
        if s.label == "LOC" and m:
            out += [Span(s.start + m.start(g) - m.start(), s.start + m.end(g) - m.start(), "GPE") for g in (1, 2, 3)]
        else:
            out.append(s)
    return sorted(out)


# ---- D6b: places inside "Digital China" and "Digital Fujian" -----------------------------------------------


def _digital_gpe_with(known: frozenset[tuple[str, str]]) -> Transform:
    def add(text: str, spans: Sequence[Span]) -> list[Span]:
        new = (Span(m.start(1), m.end(1), "GPE") for m in _DIGITAL.finditer(text) if (m.group(1), "GPE") in known)
        return _add_free(spans, new)

    return add


def digital_no_gpe(text: str, spans: Sequence[Span]) -> list[Span]:
    return _drop(spans, lambda s: s.label == "GPE" and re.search(r"\bDigital[ \u00a0]$", text[max(0, s.start - 8) : s.start]) is not None)


# ---- the decisions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """One answer to a decision: a name, the surface rule, and the transformation (None: not derivable)."""

    name: str
    rule: str
    transform: Transform | None


@dataclass(frozen=True)
class Decision:
    id: str  # as in gold/GUIDELINES.md
    question: str
    basis: str  # "OntoNotes data", "OntoNotes guidelines" or "OntoNotes silent"
    adopted: Way
    alternative: Way


def decisions_for(documents: Sequence[Document]) -> tuple[Decision, ...]:
    """The decisions, in the order their adopted ways are applied (D6 and D8 before D2: a "the" before an ordinal stays out)."""
    known = frozenset((d.text[s.start : s.end], s.label) for d in documents for s in d.spans)
    known_words = frozenset((w, s.label) for d in documents for s in d.spans for w in d.text[s.start : s.end].split())
    return (
        Decision(
            "D6", "Nth Five-Year Plan", "OntoNotes data",
            Way("ORDINAL + DATE", "'14th Five-Year Plan' -> 14th ORDINAL, Five-Year DATE, 'Plan' outside", plan_ordinal_date),
            Way("LAW", "ORDINAL + ' ' + DATE 'Five-Year' + ' Plan' -> one LAW span", plan_law),
        ),
        Decision(
            "D8", "edition ordinal of a named event", "OntoNotes data",
            Way("ORDINAL + EVENT", "an EVENT whose first word is an ordinal -> ORDINAL + EVENT", ordinal_split),
            Way("inside EVENT", "ORDINAL + one space + EVENT -> one EVENT span", ordinal_joined),
        ),
        Decision(
            "D2", "leading 'the' of a multi-word name", "OntoNotes data",
            Way(
                "inside",
                "the/The + one space before a name span (FAC ORG GPE LOC PRODUCT EVENT WORK_OF_ART LAW) of 2+ words "
                "that ends its noun phrase -> inside",
                the_inside,
            ),
            Way("outside", "a leading the/The of such a span -> outside", the_outside),
        ),
        Decision(
            "D3", "span ending inside a word (Fujians)", "OntoNotes format",
            Way("whole word", "a span edge between two letters or digits -> moved to the word's edge", whole_words),
            Way(
                "cut before s",
                "a name span ending in 's' + space + lower-case word, whose text without the 's' is a span of the same label -> 's' outside",
                _possessive_s_cut_with(known_words),
            ),
        ),
        Decision(
            "D4f", "19th CPC National Congress", "OntoNotes data",
            Way("EVENT", "an ORG span ending in 'National Congress' -> EVENT", congress_event),
            Way("ORG", "an EVENT span ending in 'National Congress' -> ORG", congress_org),
        ),
        Decision(
            "D11", "Chinese-script text", "OntoNotes silent",
            Way("not annotated", "spans containing Chinese characters -> removed", cjk_unannotated),
            Way("annotated", "大汉网络 -> ORG, 大汉版通发布系统 -> PRODUCT (the first gold's D11 table)", cjk_annotated),
        ),
        Decision(
            "D5d", "lower-case 'province' after a province name", "OntoNotes data, mixed",
            Way("inside", "a GPE span followed by ' province' or ' county' -> extended over it", designator_inside),
            Way("outside", "a GPE span ending in ' province' or ' county' -> shortened", designator_outside),
        ),
        Decision(
            "D6d", "\"We City\"", "OntoNotes guidelines (PRODUCT: not services)",
            Way("no label", "PRODUCT spans 'We City' -> removed", we_city_unlabelled),
            Way("PRODUCT", "every 'We City' -> PRODUCT", we_city_product),
        ),
        Decision(
            "D6b", "place inside 'Digital China/Fujian'", "OntoNotes silent",
            Way("GPE", "'Digital X', X a GPE span elsewhere -> X GPE", _digital_gpe_with(known)),
            Way("no label", "GPE spans right after 'Digital ' -> removed", digital_no_gpe),
        ),
        Decision(
            "D5b", "Guangdong, Hong Kong and Macao Bay District", "OntoNotes silent",
            Way("one LOC", "'A, B and C Bay District' with A, B, C GPE -> one LOC", bay_district_one_loc),
            Way("three GPE", "that LOC -> GPE A, GPE B, GPE C", bay_district_three_gpe),
        ),
        Decision(
            "D12", "entities in page furniture", "OntoNotes data (datelines)",
            Way("annotated", "(the gold as annotated)", None),
            Way("not annotated", "spans on source, date, navigation and footer lines -> removed", furniture_unannotated),
        ),
    )


# ---- applying and scoring ---------------------------------------------------------------------------------


def apply(documents: Sequence[Document], transforms: Sequence[Transform], scheme: LabelScheme, name: str) -> list[Document]:
    """The documents with each transformation applied in turn; every result is checked like a gold file."""
    out = []
    for doc in documents:
        spans: list[Span] = list(doc.spans)
        for transform in transforms:
            spans = transform(doc.text, spans)
        raw = [s.to_dict(doc.text) for s in spans]
        checked = parse_spans(doc.text, raw, scheme, f"convention variant {name!r}, document {doc.id}")
        out.append(replace(doc, spans=tuple(checked)))
    return out


def changed(before: Sequence[Document], after: Sequence[Document]) -> list[tuple[str, list[Span], list[Span]]]:
    """Per document: the gold spans that went and the spans that came."""
    result = []
    for a, b in zip(before, after):
        old, new = set(a.spans), set(b.spans)
        gone, came = sorted(old - new), sorted(new - old)
        if gone or came:
            result.append((a.id, gone, came))
    return result


@dataclass(frozen=True)
class Variant:
    table: str  # "one at a time" or "adopted"
    decision: str
    way: str
    adopted: bool
    rule: str
    documents: tuple[Document, ...] | None  # None: this way cannot be derived from the gold
    changes: tuple[tuple[str, tuple[Span, ...], tuple[Span, ...]], ...] = ()
    metrics: Mapping[str, float | int | None] | None = None


def variants(documents: Sequence[Document], scheme: LabelScheme) -> list[Variant]:
    """The gold as is, each way of each decision alone, the adopted guidelines, and each decision flipped in them."""
    decisions = decisions_for(documents)
    out = [Variant("one at a time", "-", "gold as it is", True, "", tuple(documents))]
    for d in decisions:
        for way, adopted in ((d.adopted, True), (d.alternative, False)):
            docs = None if way.transform is None else tuple(apply(documents, [way.transform], scheme, f"{d.id} {way.name}"))
            out.append(Variant("one at a time", d.id, way.name, adopted, way.rule, docs))
    adopted_ways = [d.adopted.transform for d in decisions if d.adopted.transform]
    adopted_docs = tuple(apply(documents, adopted_ways, scheme, "adopted"))
    # the same gold seen from the gold as it is: its changes are the change log a re-made gold should show
    out.append(Variant("one at a time", "all", "all adopted ways", True, "", adopted_docs))
    out.append(Variant("adopted", "-", "all adopted ways", True, "", adopted_docs))
    for flipped in decisions:
        if flipped.alternative.transform is None:
            continue
        ways = [(d.alternative if d is flipped else d.adopted).transform for d in decisions]
        docs = tuple(apply(documents, [w for w in ways if w], scheme, f"adopted, {flipped.id} flipped"))
        out.append(Variant("adopted", flipped.id, flipped.alternative.name, False, flipped.alternative.rule, docs))
    base = {"one at a time": documents, "adopted": adopted_docs}
    return [
        v if v.documents is None else replace(v, changes=tuple((i, tuple(g), tuple(c)) for i, g, c in changed(base[v.table], v.documents)))
        for v in out
    ]


def measure(
    model: str,
    gold_path: str | Path,
    seeds_dir: str | Path,
    scheme_path: str | Path,
    cache_dir: str | Path | None,
) -> tuple[dict, list[Variant]]:
    """Score `model`'s predictions against every variant of the gold: (model info, variants with strict micro metrics)."""
    scheme = load_scheme(scheme_path)
    gold = load_gold(gold_path, load_seeds(seeds_dir), scheme)
    texts = {d.id: d.text for d in gold.documents}
    info, raw, _ = get_predictions(model, texts, PredictionCache(cache_dir) if cache_dir else None)
    check_model_labels(info["name"], list(info["labels"]), scheme, IDENTITY_MAP)
    predictions = map_predictions(raw, info["name"], scheme, IDENTITY_MAP)
    scored = []
    for v in variants(gold.documents, scheme):
        if v.documents is not None:
            counts, _ = score_corpus({d.id: d.spans for d in v.documents}, predictions.spans)
            v = replace(v, metrics=counts.tally("strict").metrics())
        scored.append(v)
    return {**info, "gold": str(gold_path), "gold_sha256": gold.sha256, "gold_spans": gold.n_spans}, scored


# ---- rendering ----------------------------------------------------------------------------------------------


def _f(value: float | int | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def tables(variants_: Sequence[Variant]) -> list[Table]:
    """Two tables: one decision at a time on the gold as it is, and the adopted guidelines with each decision flipped."""
    titles = {
        "one at a time": "Each decision both ways, everything else as in the gold",
        "adopted": "The adopted guidelines, and each decision turned the other way in them",
    }
    out = []
    for key, title in titles.items():
        rows = [v for v in variants_ if v.table == key]
        reference = rows[0].metrics["f1"] if rows and rows[0].metrics else None
        table = Table(
            title,
            ["Decision", "Way", "Adopted", "Removed", "Added", "P", "R", "F1", "ΔF1", "TP", "FP", "FN"],
            text_columns=("Way", "Adopted"),
            note="Strict micro scores; ΔF1 against the first row. Removed, Added: gold spans the way took away and put in "
            "(n/a: this way cannot be rebuilt from this gold by a surface rule).",
        )
        for v in rows:
            m = v.metrics
            if m is None:
                table.add(v.decision, v.way, "yes" if v.adopted else "no", "n/a", "n/a", *["—"] * 7)
                continue
            delta = None if reference is None or m["f1"] is None else m["f1"] - reference
            table.add(
                v.decision,
                v.way,
                "yes" if v.adopted else "no",
                sum(len(g) for _, g, _ in v.changes),
                sum(len(c) for _, _, c in v.changes),
                _f(m["precision"]),
                _f(m["recall"]),
                _f(m["f1"]),
                "—" if delta is None else f"{delta:+.3f}",
                m["tp"],
                m["fp"],
                m["fn"],
            )
        out.append(table)
    return out


def change_lines(variants_: Sequence[Variant], documents: Mapping[str, str]) -> list[str]:
    """Every span each variant removed (-) or added (+), so a reader can check the rules against the text."""
    lines = []
    for v in variants_:
        if not v.changes:
            continue
        lines.append(f"{v.table}: {v.decision} {v.way}")
        for doc_id, gone, came in v.changes:
            text = documents[doc_id]
            for sign, spans in (("-", gone), ("+", came)):
                for s in spans:
                    lines.append(f"  {doc_id} {sign} [{s.start}, {s.end}) {s.label} {text[s.start:s.end]!r}")
    return lines


if __name__ == "__main__":  # python -m nerbench.evaluate.conventions: the same as `nerbench conventions`
    import sys

    from nerbench.cli import app

    app(["conventions", *sys.argv[1:]], prog_name="python -m nerbench.evaluate.conventions")
