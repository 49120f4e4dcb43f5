"""Typer options built from the report parameters' one definition (graph/params.py): the same
name, default and help (with the bounds) as the API's query parameters (api/params.py).

The bounds are not handed to click: the analysis each command calls checks the value against the
same definition (:meth:`graph.params.Param.check`), so an out-of-range value is one line in the
project's wording (``Error: min_firms: must be a whole number from 1 to 10000, not 0``), the text
a notebook gets and the API returns as a 422, instead of click's usage screen.
"""

from __future__ import annotations

from typing import Any

import typer

from graph.params import Param

__all__ = ["option"]


def option(param: Param, *, help: str | None = None, **extra: Any) -> Any:
    """The ``typer.Option`` of ``param`` (give its default in the signature: ``= param.default``)."""
    text = help or param.help
    if param.kind in (int, float):
        text += f" [{param.minimum:g} to {param.maximum:g}]"
    names = [param.cli_flag] + ([param.short] if param.short else [])
    return typer.Option(*names, help=text, show_default=param.default is not None, **extra)
