"""The validator skips looks_like_formula for cells whose first character it cannot accept; the
shortcut must never hide a formula the function would catch."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loaders.validate import _FORMULA_FIRST, looks_like_formula

# The characters that make a formula harmful, after any first character.
TAILS = ["", "1+1", "HYPERLINK('http://x')", "2+3+cmd|' /C calc'!A0", "SUM(A1:A2)", "!A0", "(", "|"]


def test_every_first_character_outside_the_guard_is_refused_by_the_function_too():
    for code in range(0x3000):  # ASCII, Latin, punctuation, the CJK symbols block
        first = chr(code)
        if first in _FORMULA_FIRST:
            continue
        for tail in TAILS:
            assert not looks_like_formula(first + tail), repr(first + tail)


@given(st.text(min_size=1, max_size=20))
def test_the_guard_never_hides_a_formula(value):
    if looks_like_formula(value):
        assert value[0] in _FORMULA_FIRST
