"""Parameter checks the analyses share: each raises InvalidParameter naming the parameter, with
one wording for one kind of mistake wherever it is made (the CLI prints it as one line, the API
returns it as a 422).

>>> whole_number("top", 10, maximum=1000)
10
>>> whole_number("top", 0, maximum=1000)
Traceback (most recent call last):
...
graph.errors.InvalidParameter: top: must be a whole number from 1 to 1000, not 0
>>> number("hhi_threshold", True, 0, 1)
Traceback (most recent call last):
...
graph.errors.InvalidParameter: hhi_threshold: must be a number from 0 to 1, not True
>>> one_of("metric", "degree", ("degree", "pagerank"))
'degree'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from .errors import InvalidParameter

__all__ = ["whole_number", "number", "one_of"]

T = TypeVar("T")


def whole_number(name: str, value: object, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` when it is an int (not a bool: ``True`` is no count) from ``minimum`` to
    ``maximum`` (no upper bound when None), else InvalidParameter for ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        bounds = f"≥ {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise InvalidParameter(name, f"must be a whole number {bounds}, not {value!r}")
    return value


def number(name: str, value: object, minimum: float, maximum: float) -> float:
    """``value`` when it is an int or a float (not a bool) from ``minimum`` to ``maximum``, else
    InvalidParameter for ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= maximum:
        raise InvalidParameter(name, f"must be a number from {minimum:g} to {maximum:g}, not {value!r}")
    return value


def one_of(name: str, value: T, allowed: Iterable[T]) -> T:
    """``value`` when it is one of ``allowed``, else InvalidParameter for ``name`` listing them."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidParameter(name, f"unknown {name} {value!r}; expected one of {', '.join(map(str, allowed))}")
    return value
