"""The SQLite store encodes properties with a reused C encoder (graph/store/sqlite.py _dumps):
the text stored, and any error, must be exactly those of the store's JSONEncoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.store.sqlite import _ENCODER, _dumps

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(props=st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_properties_are_stored_as_the_encoder_writes_them(props):
    assert _dumps(props) == (_ENCODER.encode(props) if props else "{}")


def _error(encode, props) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        encode(props)
    return type(info.value), str(info.value)


def test_a_cycle_or_an_unknown_value_fails_as_the_encoder_does():
    cyclic: dict = {"a": 1}
    cyclic["self"] = cyclic
    for props in (cyclic, {"a": object()}, {"a": {1, 2}}, {1: "a", "b": 2}):
        assert _error(_dumps, props) == _error(_ENCODER.encode, props)
    # and the encoder is none the worse for it
    assert _dumps({"b": 1.5, "a": "中文"}) == '{"a":"中文","b":1.5}'
