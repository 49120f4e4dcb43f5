"""The shared parameter checks (graph/checks.py): one wording per mistake, the parameter named."""

from __future__ import annotations

import math

import pytest

from graph.checks import number, one_of, whole_number
from graph.errors import InvalidParameter


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "message"),
    [
        (0, 1, None, "n: must be a whole number ≥ 1, not 0"),
        (True, 1, None, "n: must be a whole number ≥ 1, not True"),  # a bool is no count
        (2.0, 1, None, "n: must be a whole number ≥ 1, not 2.0"),
        ("3", 1, None, "n: must be a whole number ≥ 1, not '3'"),
        (1, 2, None, "n: must be a whole number ≥ 2, not 1"),
        (4, 1, 3, "n: must be a whole number from 1 to 3, not 4"),
        (-1, 0, None, "n: must be a whole number ≥ 0, not -1"),
    ],
)
def test_whole_number_refuses(value, minimum, maximum, message):
    with pytest.raises(InvalidParameter) as error:
        whole_number("n", value, minimum, maximum)
    assert str(error.value) == message and error.value.parameter == "n"


def test_whole_number_accepts_its_bounds():
    assert [whole_number("n", v, 1, 3) for v in (1, 2, 3)] == [1, 2, 3]
    assert whole_number("n", 0, minimum=0) == 0 and whole_number("n", 10**12) == 10**12


@pytest.mark.parametrize("value", [True, -0.5, 1.5, math.nan, "0.5", None])
def test_number_refuses(value):
    with pytest.raises(InvalidParameter, match=r"^x: must be a number from 0 to 1, not "):
        number("x", value, 0, 1)


def test_number_accepts_ints_and_floats_in_range():
    assert [number("x", v, 0, 1) for v in (0, 0.25, 1)] == [0, 0.25, 1]


def test_one_of():
    assert one_of("metric", "pagerank", ("degree", "pagerank")) == "pagerank"
    with pytest.raises(InvalidParameter, match=r"^metric: unknown metric 'x'; expected one of degree, pagerank$"):
        one_of("metric", "x", ["degree", "pagerank"])
