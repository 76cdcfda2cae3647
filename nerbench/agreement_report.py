"""Agreement and conflicts as tables and terminal lines (the numbers come from `nerbench.agreement`).

The pull report and `nerbench gold agree` render through here, so both show the same figures the
same way. Tables are `nerbench.tables.Table`s: plain cells, one renderer per output.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .agreement import KINDS, TOKEN_RULE
from .tables import Table


def num(value: float | None) -> str:
    """A measure with three decimals, or — when it is undefined."""
    return "—" if value is None else f"{value:.3f}"


def count(value: float) -> str:
    return f"{value:g}"


def pair_name(pair: Mapping[str, Any]) -> str:
    a, b = pair["annotators"]
    return f"{a} vs {b}"


def agreement_tables(agreement: Mapping[str, Any], labels: Sequence[str]) -> list[Table]:
    """Pairs, all annotators, per label, per document, and each pair's label confusion."""
    pairs = agreement["pairs"]
    overall = agreement["overall"]
    tables = []
    t = Table(
        "Agreement between pairs of annotators",
        ["Pair", "Documents", "Tokens", "Span F1", "Identical spans", "Spans (first)", "Spans (second)", "Cohen's kappa"],
        text_columns=["Pair"],
        note=f"Span F1: strict (same boundaries and label). Kappa on tokens ({TOKEN_RULE}).",
    )
    for p in pairs:
        a, b = p["annotators"]
        t.add(pair_name(p), p["documents"], p["tokens"], num(p["f1"]), count(p["agreed"]), p["spans"][a], p["spans"][b], num(p["kappa"]))
    tables.append(t)
    t = Table("All annotators", ["Annotators", "Documents", "Tokens", "Krippendorff's alpha"], note="Nominal alpha on the BIO tags of tokens, over documents at least two annotators did.")
    t.add(overall["annotators"], overall["documents"], overall["tokens"], num(overall["alpha"]))
    tables.append(t)
    used = [l for l in labels if l in overall["per_label"] or any(l in p["per_label"] for p in pairs)]
    if used:
        columns = ["Label"] + [c for p in pairs for c in (f"F1 {pair_name(p)}", f"kappa {pair_name(p)}")] + ["alpha"]
        t = Table("Agreement per label", columns, note="Per label, kappa and alpha compare 'inside a span of this label' or not, token by token.")
        for label in used:
            cells: list[str] = [label]
            for p in pairs:
                v = p["per_label"].get(label)
                cells += [num(v["f1"]), num(v["kappa"])] if v else ["—", "—"]
            cells.append(num(overall["per_label"].get(label, {}).get("alpha")))
            t.add(*cells)
        tables.append(t)
    docs = list(overall["per_document"])
    if docs:
        columns = ["Document", "Annotators"] + [c for p in pairs for c in (f"F1 {pair_name(p)}", f"kappa {pair_name(p)}")] + ["alpha"]
        t = Table("Agreement per document", columns)
        for d in docs:
            cells = [d, str(overall["per_document"][d]["annotators"])]
            for p in pairs:
                v = p["per_document"].get(d)
                cells += [num(v["f1"]), num(v["kappa"])] if v else ["—", "—"]
            cells.append(num(overall["per_document"][d]["alpha"]))
            t.add(*cells)
        tables.append(t)
    for p in pairs:
        a, b = p["annotators"]
        order = p["confusion"]["labels"]
        if len(order) <= 1:
            continue
        t = Table(f"Label confusion: {a} (rows) vs {b} (columns)", [f"{a} \\ {b}", *order], note="Over the spans the scorer pairs; (none): nothing paired on the other side.")
        for label, row in zip(order, p["confusion"]["matrix"]):
            t.add(label, *row)
        tables.append(t)
    return tables


def annotator_table(figures: Mapping[str, Mapping[str, Any]]) -> Table:
    t = Table("Annotators", ["Annotator", "Documents", "Spans", "Ground truths", "Skipped", "Time (s)", "Median per document (s)"], note="Time from Label Studio's lead_time; — when not recorded.")
    for name, f in figures.items():
        t.add(name, f["documents"], f["spans"], f["ground_truths"], f["skipped"], _seconds(f["seconds_total"]), _seconds(f["seconds_median"]))
    return t


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def agreement_lines(agreement: Mapping[str, Any]) -> list[str]:
    """The terminal summary: one line per pair, one for all annotators."""
    lines = []
    for p in agreement["pairs"]:
        lines.append(
            f"Agreement {pair_name(p)}: span F1 {num(p['f1'])}, Cohen's kappa {num(p['kappa'])} over {p['documents']} documents "
            f"({count(p['agreed'])} spans identical)"
        )
    overall = agreement["overall"]
    if overall["annotators"] > 2 and overall["documents"]:
        lines.append(f"Agreement of all {overall['annotators']} annotators: Krippendorff's alpha {num(overall['alpha'])} over {overall['documents']} documents")
    return lines


def version(spans: Sequence[Mapping[str, Any]]) -> str:
    """One annotator's side of a conflict: `GPE 'Nanjing'`, several joined by +, or `nothing`."""
    return " + ".join(f"{s['label']} {s['text']!r}" for s in spans) if spans else "nothing"


def conflict_line(c: Mapping[str, Any]) -> str:
    """One conflict on one line: where, what kind, each annotator's version."""
    sides = "; ".join(f"{name}: {version(spans)}" for name, spans in c["versions"].items())
    status = " (resolved by majority)" if c.get("resolved") == "majority" else ""
    return f"{c['document']} [{c['start']}, {c['end']}) {c['text']!r}: {KINDS[c['kind']]}: {sides}{status}"


def conflict_table(conflicts: Sequence[Mapping[str, Any]], title: str = "Conflicts") -> Table:
    names = sorted({n for c in conflicts for n in c["versions"]})
    t = Table(title, ["Document", "Offsets", "Text", "Kind", *names, "Resolved"], text_columns=["Offsets", "Text", "Kind", *names, "Resolved"])
    for c in conflicts:
        t.add(
            c["document"],
            f"[{c['start']}, {c['end']})",
            c["text"],
            KINDS[c["kind"]],
            *(version(c["versions"].get(n, [])) for n in names),
            "majority" if c.get("resolved") == "majority" else "no",
        )
    return t


def conflict_summary(conflicts: Sequence[Mapping[str, Any]], limit: int, where: str) -> list[str]:
    """At most `limit` conflict lines, then how many more and where the full list is."""
    unresolved = [c for c in conflicts if not c.get("resolved")]
    if not unresolved:
        return []
    kinds = {k: sum(1 for c in unresolved if c["kind"] == k) for k in KINDS}
    shown = ", ".join(f"{n} {KINDS[k]}" for k, n in kinds.items() if n)
    lines = [f"Unresolved conflicts: {len(unresolved)} ({shown}); their spans stay out of the gold until a reviewer decides:"]
    lines += ["  " + conflict_line(c) for c in unresolved[:limit]]
    if len(unresolved) > limit:
        lines.append(f"  ... and {len(unresolved) - limit} more: every conflict is listed in {where}")
    else:
        lines.append(f"  (also listed in {where})")
    return lines
