"""How OntoNotes 5.0 itself annotates the constructions the corpus decisions are about: counts from its data.

Reads the English `*gold_conll` files of the CoNLL-2012 release of OntoNotes 5.0 (LDC2013T19, words
restored with the release's `skeleton2conll` script): one token a line, the word in column 4, the
part of speech in column 5, the names in column 11 as a bracket column (`(ORG*`, `*`, `*)`,
`(GPE)`). The data is licensed by the LDC and is not part of this repository; `nerbench conventions
--ontonotes DIR` prints these counts for whoever has it. gold/DECISIONS-SOURCES.md quotes them.

Each count is a pair (the way the adopted guidelines follow, the other way) over the whole data,
defined in its `Practice.definition`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from nerbench.errors import NerbenchError
from nerbench.fileio import read_input_text
from nerbench.tables import Table

THE_TYPES = ("FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW")
_ORDINAL = re.compile(
    r"(?i)^(\d+(st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth)$"
)
_TITLES = frozenset("President Mr. Mrs. Ms. Dr. Secretary Premier Chairman General Minister Vice Governor Mayor".split())
_ZONE = re.compile(r"Development Zone|New Area|New District|Bonded Area|Special Economic Zone")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class Sentence:
    doc: str
    words: tuple[str, ...]
    tags: tuple[str, ...]
    names: tuple[tuple[int, int, str], ...]  # token [start, end) and type


def read_conll(path: Path) -> Iterator[Sentence]:
    """The sentences of one CoNLL-2012 file; a malformed name column raises NerbenchError naming file and line."""
    text = read_input_text(path, "CoNLL-2012 file")
    words: list[str] = []
    tags: list[str] = []
    names: list[tuple[int, int, str]] = []
    open_name: tuple[int, str] | None = None
    doc = path.name
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.startswith("#begin document"):
            doc = line.split("(", 1)[-1].split(")", 1)[0]
            continue
        cols = line.split()
        if line.startswith("#") or not cols:
            if words:
                yield Sentence(doc, tuple(words), tuple(tags), tuple(names))
            words, tags, names, open_name = [], [], [], None
            continue
        if len(cols) < 11:
            raise NerbenchError(f"{path}:{lineno}: {len(cols)} columns, a CoNLL-2012 line has at least 11")
        column = cols[10]
        m = re.fullmatch(r"\((\w+)(\*|\))|\*|\*\)", column)
        if m is None or (m.group(1) and open_name) or (column == "*)" and not open_name):
            raise NerbenchError(f"{path}:{lineno}: name column {column!r} does not continue the brackets before it")
        i = len(words)
        words.append(cols[3])
        tags.append(cols[4])
        if m.group(1):
            open_name = (i, m.group(1))
        if column.endswith(")") and open_name:
            names.append((open_name[0], i + 1, open_name[1]))
            open_name = None
    if words:
        yield Sentence(doc, tuple(words), tuple(tags), tuple(names))


def read_ontonotes(path: Path) -> list[Sentence]:
    """The sentences of a CoNLL-2012 file (or stream, such as /dev/stdin), or of every *gold_conll file under a folder."""
    files = sorted(p for p in path.rglob("*gold_conll") if p.is_file()) if path.is_dir() else [path]
    sentences = [s for f in files for s in read_conll(f)]
    if not sentences:
        raise NerbenchError(f"{path}: no CoNLL-2012 sentences (expected *gold_conll files of OntoNotes 5.0, words restored)")
    return sentences


@dataclass(frozen=True)
class Practice:
    decision: str
    question: str
    definition: str
    adopted: str
    adopted_count: int
    other: str
    other_count: int


def _lower(words: Iterable[str]) -> list[str]:
    return [w.lower() for w in words]


def count(sentences: Iterable[Sentence]) -> list[Practice]:
    """The counts over the documents that carry name annotation (parts of OntoNotes have none)."""
    sentences = list(sentences)
    named_docs = {s.doc for s in sentences if s.names}
    c: Counter = Counter()
    seen_docs: set[str] = set()
    for s in sentences:
        if s.doc not in named_docs:
            continue
        w, t = s.words, s.tags
        if s.doc not in seen_docs:  # D12: the dateline, a document's first sentence
            seen_docs.add(s.doc)
            k = next((i for i in range(len(w) - 2) if w[i : i + 3] == ("Xinhua", "News", "Agency")), None)
            if k is not None:
                c["dateline ORG" if (k, k + 3, "ORG") in s.names else "dateline other"] += 1
        starts = {a: (b, label) for a, b, label in s.names}
        ends = {b: (a, label) for a, b, label in s.names}
        for a, b, label in s.names:
            words = w[a:b]
            nxt_noun = b < len(w) and (t[b].startswith("NN") or t[b] == "POS")
            # D2: "the" before a name of 2+ words (besides the "the")
            if label in THE_TYPES:
                the_in = words[0].lower() == "the"
                size = b - a - (1 if the_in else 0)
                the_out = not the_in and a > 0 and w[a - 1].lower() == "the"
                if size >= 2 and (the_in or the_out):
                    role = "modifier" if nxt_noun else "head"
                    c[f"the {role} {'in' if the_in else 'out'}"] += 1
                if size == 1 and (the_in or the_out):
                    c[f"the one-word {'in' if the_in else 'out'}"] += 1
            # D8: edition ordinal of an event
            k = 1 if words[0].lower() == "the" else 0
            if label == "EVENT" and b - a - k >= 2 and _ORDINAL.match(words[k]):
                c["ordinal in event"] += 1
            if label == "ORDINAL" and b in starts and starts[b][1] == "EVENT":
                c["ordinal before event"] += 1
            # D4f: a numbered congress or plenary session
            if label in ("EVENT", "ORG") and re.search(r"(National|Party) Congress$|Plenary Session$", " ".join(words)):
                if a in ends and ends[a][1] == "ORDINAL":
                    c[f"congress {label}"] += 1
            # D3: possessive 's
            if label != "NORP" and b - a >= 2 and words[-1] in ("'s", "'"):
                c["possessive in"] += 1
            elif b < len(w) and w[b] in ("'s", "'"):
                c["possessive out"] += 1
            # D5d: designators after a GPE name
            if label == "GPE":
                for word in ("province", "Province", "City", "County", "cities"):
                    if b - a >= 2 and words[-1] == word:
                        c[f"{word} in"] += 1
                    elif b < len(w) and w[b] == word:
                        c[f"{word} out"] += 1
            # D4c: lower-case "government" after a place or nationality name
            if label in ("GPE", "NORP") and b < len(w) and w[b] == "government":
                c["government out"] += 1
            elif label in ("GPE", "NORP", "ORG") and b - a >= 2 and words[-1] == "government":
                c["government in"] += 1
            # D4e: the Communist Party of China
            if re.fullmatch(r"(the )?(CPC|CCP|Communist Party)", " ".join(words)):
                c[f"cpc {label}"] += 1
            # D7: legal suffix
            if label == "ORG" and words[-1] in ("Co.", "Corp.", "Inc.", "Ltd.", "Ltd", "Limited", "Co", "Corp"):
                c["suffix in"] += 1
            elif label == "ORG" and b < len(w) and w[b] in ("Co.", "Corp.", "Inc.", "Ltd.", "Limited"):
                c["suffix out"] += 1
            # D1: titles
            if label == "PERSON":
                if words[0] in _TITLES:
                    c["title in"] += 1
                elif a > 0 and w[a - 1] in _TITLES:
                    c["title out"] += 1
            # D5: zones, directional regions
            if _ZONE.search(" ".join(words)):
                c[f"zone {label}"] += 1
            if re.fullmatch(r"(the )?(North|South|East|West|Northeast|Northwest|Southeast|Southwest|Central) China", " ".join(words)):
                c[f"region {label}"] += 1
        tagged = {i for a, b, _ in s.names for i in range(a, b)}
        lower = _lower(w)
        for i in range(len(w)):
            # D6: "five - year plan"
            if lower[i : i + 4] == ["five", "-", "year", "plan"]:
                date = (i, i + 3) in {(a, b) for a, b, label in s.names if label == "DATE"}
                if i > 0 and _ORDINAL.match(w[i - 1]):
                    ordinal = i in ends and ends[i][1] == "ORDINAL"
                    c["plan ordinal+date" if date and ordinal else "plan ordinal other"] += 1
                else:
                    c["plan date" if date else "plan other"] += 1
            # A6: "the two <noun>"
            if lower[i] == "the" and i + 2 < len(w) and lower[i + 1] == "two" and t[i + 2].startswith("NNS"):
                c["two cardinal" if (i + 1, i + 2, "CARDINAL") in s.names else "two other"] += 1
            # D13: "Internet" on its own
            if w[i] == "Internet":
                c["internet tagged" if i in tagged else "internet untagged"] += 1
            # D11: Chinese characters
            if _CJK.search(w[i]):
                c["cjk tagged" if i in tagged else "cjk untagged"] += 1
    return [
        Practice("D2", "'the' before a multi-word name that ends its noun phrase", "name types " + " ".join(THE_TYPES) + "; 2+ words besides 'the'; next token not a noun", "inside", c["the head in"], "outside", c["the head out"]),
        Practice("D2", "'the' before a multi-word name that modifies a noun", "as above, next token a noun (NN*) or POS", "outside", c["the modifier out"], "inside", c["the modifier in"]),
        Practice("D2", "'the' before a one-word name", "name types as above; one word besides 'the'", "outside", c["the one-word out"], "inside", c["the one-word in"]),
        Practice("D8", "ordinal before an EVENT name", "ORDINAL span directly before an EVENT span / EVENT span (after 'the') starting with an ordinal word", "split", c["ordinal before event"], "inside", c["ordinal in event"]),
        Practice("D6", "Nth 'five - year plan'", "the four tokens after an ordinal: ordinal ORDINAL and 'five - year' DATE / other", "ORDINAL + DATE", c["plan ordinal+date"], "other", c["plan ordinal other"]),
        Practice("D6", "'five - year plan' without an ordinal", "the four tokens: 'five - year' DATE / other", "DATE", c["plan date"], "other", c["plan other"]),
        Practice("D4f", "numbered (National|Party) Congress or Plenary Session", "span right after an ORDINAL span: EVENT / ORG", "EVENT", c["congress EVENT"], "ORG", c["congress ORG"]),
        Practice("D3", "possessive 's after a name", "token 's or ' outside the span / last token of a span of 2+ tokens", "outside", c["possessive out"], "inside", c["possessive in"]),
        Practice("D11", "tokens with Chinese characters", "tagged as part of a name / untagged", "not annotated", c["cjk untagged"], "annotated", c["cjk tagged"]),
        Practice("D5d", "GPE + 'province'", "last token of a GPE span / the token after it", "inside", c["province in"], "outside", c["province out"]),
        Practice("D5d", "GPE + 'Province'", "as above", "inside", c["Province in"], "outside", c["Province out"]),
        Practice("D5d", "GPE + 'City'", "as above", "inside", c["City in"], "outside", c["City out"]),
        Practice("D5d", "GPE + 'County'", "as above", "inside", c["County in"], "outside", c["County out"]),
        Practice("D5d", "GPE + 'cities'", "as above", "outside", c["cities out"], "inside", c["cities in"]),
        Practice("D4c", "lower-case 'government' after a place or nationality name", "token after a GPE/NORP span / last token of a GPE, NORP or ORG span", "outside", c["government out"], "inside", c["government in"]),
        Practice("D4e", "CPC, CCP, (the) Communist Party", "spans of exactly that: ORG / other types", "ORG", c["cpc ORG"], "other", sum(v for k, v in c.items() if k.startswith("cpc ") and k != "cpc ORG")),
        Practice("D7", "legal suffix of a company (Co. Corp. Inc. Ltd. Limited)", "last token of an ORG span / the token after it", "inside", c["suffix in"], "outside", c["suffix out"]),
        Practice("D1", "title before a PERSON name", "title word (" + " ".join(sorted(_TITLES)) + ") before the span / first in it", "outside", c["title out"], "inside", c["title in"]),
        Practice("D5", "Development Zone, New Area, Bonded Area ... names", "spans containing one: GPE / other types", "GPE", c["zone GPE"], "other", sum(v for k, v in c.items() if k.startswith("zone ") and k != "zone GPE")),
        Practice("D5", "North/South/East/... China", "spans of exactly that: LOC / other types", "LOC", c["region LOC"], "other", sum(v for k, v in c.items() if k.startswith("region ") and k != "region LOC")),
        Practice("D13", "the token 'Internet'", "not in a name / in a name", "not annotated", c["internet untagged"], "annotated", c["internet tagged"]),
        Practice("D12", "'Xinhua News Agency' in a document's first sentence (the dateline)", "the three tokens: one ORG span / other", "ORG", c["dateline ORG"], "other", c["dateline other"]),
        Practice("A6", "'the two' + plural noun", "'two' CARDINAL / not", "CARDINAL", c["two cardinal"], "other", c["two other"]),
    ]


def practice_table(practices: Iterable[Practice], source: str) -> Table:
    table = Table(
        "OntoNotes 5.0 data practice",
        ["Decision", "Construction", "Counted", "Adopted way", "Count (adopted)", "Other way", "Count (other)"],
        text_columns=("Construction", "Counted", "Adopted way", "Other way"),
        note=f"Counted in {source}.",
    )
    for p in practices:
        table.add(p.decision, p.question, p.definition, p.adopted, p.adopted_count, p.other, p.other_count)
    return table
