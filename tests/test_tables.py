"""The one table model and its three renderers."""

from __future__ import annotations

import pytest

from nerbench.tables import Table, md_code, md_escape, to_html, to_markdown, to_text


def scores() -> Table:
    table = Table("Per label", ["Label", "F1", "Note"], text_columns=("Note",), note="— means undefined.")
    table.add("ORG", "0.608", "companies")
    table.add("micro", "0.681", "", strong=True)
    return table


def test_markdown_aligns_declared_text_columns_left_and_numbers_right():
    lines = to_markdown(scores()).splitlines()
    assert lines[0] == "### Per label"
    assert lines[2] == "| Label | F1 | Note |"
    assert lines[3] == "|---|---:|---|"
    assert lines[4] == "| ORG | 0.608 | companies |"
    assert lines[5] == "| **micro** | **0.681** |  |"
    assert lines[-1] == "— means undefined."


def test_text_pads_columns_and_draws_a_rule_under_the_header():
    assert to_text(scores()).splitlines()[:5] == [
        "Per label",
        "Label     F1  Note",
        "-----  -----  ---------",
        "ORG    0.608  companies",
        "micro  0.681",
    ]


def test_text_counts_wide_characters_twice():
    table = Table("", ["Name", "n"])
    table.add("腾讯", "1")
    table.add("Tencent", "2")
    assert to_text(table).splitlines()[2:] == ["腾讯     1", "Tencent  2"]


def test_html_escapes_cells_and_marks_text_columns_and_strong_rows():
    out = to_html(scores())
    assert '<td class="t">ORG</td><td>0.608</td><td class="t">companies</td>' in out
    assert '<tr class="strong">' in out
    assert '<p class="note">— means undefined.</p>' in out


@pytest.mark.parametrize(
    "name, markdown",
    [
        ("<b>ORG</b>", r"\<b\>ORG\</b\>"),
        ("A|B", r"A\|B"),
        ("*x*", r"\*x\*"),
        ("WORK_OF_ART", "WORK_OF_ART"),  # an underscore inside a word is no emphasis in GFM
        ("_x_", r"\_x\_"),
        ("&lt;", "&amp;lt;"),
        ("R&D", "R&D"),
        ("[a](http://x)", r"\[a\](http://x)"),
        ("line\nbreak", "line break"),
    ],
)
def test_markdown_escapes_names_that_would_become_markup(name, markdown):
    assert md_escape(name) == markdown
    table = Table("t", ["Label"])
    table.add(name)
    assert to_markdown(table).splitlines()[-1] == f"| {markdown} |"


def test_html_and_text_never_carry_markup_or_control_characters_from_a_name():
    table = Table("t", ["Label"])
    table.add("<script>\x1b[31m")
    assert "<script>" not in to_html(table)
    assert "\x1b" not in to_text(table)


def test_inline_code_fence_is_longer_than_any_backtick_run():
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="a row of 1 cells for 3 columns"):
        scores().add("ORG")
