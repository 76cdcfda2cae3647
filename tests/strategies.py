"""Hypothesis strategies for any test that writes or reads text: Unicode that naive code gets wrong.

    from strategies import unicode_text, entity_text, lone_surrogate

`unicode_text` is any text without lone surrogates, with the characters that break line handling
and offsets drawn often: U+2028, U+2029, U+0085, `\\r`, combining marks, joiners, no-break spaces,
CJK and emoji (several code points for one picture). `entity_text` is a piece a span can cover
(no whitespace, invisible character or combining mark at its edges). `lone_surrogate` is what no
UTF-8 file can hold.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Each of these has broken some reader somewhere: str.splitlines() splits on the first five,
# "\r\n" is one line end to many tools, combining marks and joiners make one visible character
# of several code points, U+00A0 is whitespace to str.isspace() but not to split(" ").
TRICKY = (
    "\u2028", "\u2029", "\u0085", "\r", "\r\n", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
    "\u00a0", "\u202f", "\u3000", "\t", "\x00",
    "e\u0301", "o\u0308", "\u0915\u093f", "\u200d", "\u200b", "\ufeff", "\u00ad",
    "大汉网络", "東京", "한국", "😀", "👍🏽", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "🇨🇳",
    '"', "\\", "'", "<b>", "&amp;", "{{ }}", "|",
)  # fmt: skip

_ANY_CHARACTER = st.characters(blacklist_categories=("Cs",))  # every code point but surrogates


def unicode_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text of up to `max_size` pieces: tricky pieces above, or any characters but lone surrogates."""
    piece = st.one_of(st.sampled_from(TRICKY), _ANY_CHARACTER, st.text(_ANY_CHARACTER, max_size=4))
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def _solid(ch: str) -> bool:
    """A character a span may start or end with."""
    import unicodedata

    category = unicodedata.category(ch)
    return not ch.isspace() and category[0] != "M" and category not in ("Cc", "Cf", "Cs") and not "\U0001F3FB" <= ch <= "\U0001F3FF"


_SOLID = _ANY_CHARACTER.filter(_solid)


def entity_text() -> st.SearchStrategy[str]:
    """Text a span can cover: solid first and last characters, anything (tricky or not) between."""
    return st.one_of(_SOLID, st.tuples(_SOLID, unicode_text(max_size=6), _SOLID).map("".join))


_SPACE = st.sampled_from([" ", "\u00a0", "\n", "\u2028", "\u2029", "\u0085", "\r\n", "\t", "\u3000"])


def separator() -> st.SearchStrategy[str]:
    """What goes between two entities: whitespace at both ends (so no mark or joiner touches them)."""
    return st.one_of(_SPACE, st.tuples(_SPACE, unicode_text(max_size=8), _SPACE).map("".join))


lone_surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
