"""The token-level section of the reports: one table per system, the same in every renderer."""

from __future__ import annotations

from typing import Any

from nerbench.tables import Table


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def token_table(model: dict[str, Any]) -> Table | None:
    """Token accuracy and per-label token P/R/F1 of a system, or None when the run computed none."""
    tokens = model.get("tokens")
    if not tokens:
        return None
    accuracy = "—" if tokens["accuracy"] is None else f"{tokens['accuracy']:.3f} ({tokens['correct_tags']} of {tokens['tokens']} tokens)"
    table = Table(
        "Token level",
        ["Label", "P", "R", "F1", "TP", "FP", "FN", "Support"],
        note=(
            f"Tokens: {tokens['description'] or tokens['tokenizer']}. Each token takes the label of the span it is in; "
            f"accuracy compares IOB2 tags, O included: {accuracy}. Labels with no gold and no predicted token are left out."
        ),
    )
    for label, m in tokens["per_label"].items():
        if m["support"] or m["predicted"]:
            table.add(label, _fmt(m["precision"]), _fmt(m["recall"]), _fmt(m["f1"]), m["tp"], m["fp"], m["fn"], m["support"])
    if "micro" in tokens:
        m = tokens["micro"]
        table.add("micro", _fmt(m["precision"]), _fmt(m["recall"]), _fmt(m["f1"]), m["tp"], m["fp"], m["fn"], m["support"], strong=True)
        for average in ("macro", "weighted"):
            a = tokens[average]
            table.add(average, _fmt(a["precision"]), _fmt(a["recall"]), _fmt(a["f1"]), "", "", "", "", strong=True)
    return table
