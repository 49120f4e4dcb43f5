"""Columns are typed in one sweep when they are clean (loaders/validate.py _typed_column): the
values and the problems must be exactly those of checking the column cell by cell."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.contract import FILES, Column
from loaders.validate import _typed_cells, _typed_column

# every kind of column the contract has (required or not, with and without a minimum), and an
# unknown one (None)
COLUMNS: list[Column | None] = sorted({c for spec in FILES.values() for c in spec.columns}, key=repr) + [None]

# cells that sit on the edges of the rules: empty, formula-like, signed, non-finite, out of range,
# not quite numbers, lists, and lines inside a cell that start like a formula
AWKWARD = [
    "", "0", "-0", "0.0", "1", "12", "12.5", "-5", "+5", "-5.5", "1e5", "1e400", "-1e400", "1e-400", "inf", "-inf", "nan", "NaN",
    "1_000", "１２", "00012", "5.", ".5", "0x10", "1,5", "abc", "=1+1", "@x", "+HYPERLINK(x)", "-2+3|x", "-a!b", "-四氟苯甲酰氯",
    "=", "@", "+", "-", "a;b; ;c", ";", "a\n=b", "a\n-1", "1\n=2", "x\r\n+y", "9" * 5000, "True", "None",
]
cells = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=12)).map(str.strip)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(cells, max_size=12), column=st.sampled_from(COLUMNS))
def test_a_column_is_typed_as_cell_by_cell(values, column):
    lines = list(range(2, len(values) + 2))
    swept, one_by_one = [], []
    typed = _typed_column(list(values), lines, column, "f.csv", "header", swept)
    expected = _typed_cells(list(values), lines, column, "f.csv", "header", one_by_one)
    # by type too: 1 and 1.0 (and True) are equal but not stored alike
    assert [(type(v), v) for v in typed] == [(type(v), v) for v in expected]
    assert swept == one_by_one


def test_a_clean_column_takes_the_sweep():
    """The sweep is what makes big loads fast; make sure clean columns do not all fall back."""
    column = FILES["supplies.csv"].column("volume")
    problems: list = []
    assert _typed_column(["1", "", "2.5"], [2, 3, 4], column, "supplies.csv", "volume", problems) == [1.0, None, 2.5]
    assert problems == []
