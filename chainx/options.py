"""Typer options built from the report parameters' one definition (graph/params.py): the same
name, default and help (with the bounds) as the API's query parameters (api/params.py).

The bounds are not handed to click: the analysis each command calls checks the value against the
same definition (:meth:`graph.params.Param.check`), so an out-of-range value is one line in the
project's wording (``Error: min_firms: must be a whole number from 1 to 10000, not 0``), the text
a notebook gets and the API returns as a 422, instead of click's usage screen.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Optional

import typer

from graph import params as P
from graph.params import Param

__all__ = ["option", "ScopeOption", "ScopeDepthOption", "SourceOption", "SinkOption", "RollupOption", "PairsOption", "ChainOption", "LangOption", "scope_line"]


def option(param: Param, *, help: str | None = None, **extra: Any) -> Any:
    """The ``typer.Option`` of ``param`` (give its default in the signature: ``= param.default``)."""
    text = help or param.help
    if param.kind in (int, float):
        text += f" [{param.minimum:g} to {param.maximum:g}]"
    if param.choices:
        # shown where the help shows a value's type (rich would take "[a|b]" in the text for markup)
        extra.setdefault("metavar", "|".join(param.choices))
    names = [param.cli_flag] + ([param.short] if param.short else [])
    return typer.Option(*names, help=text, show_default=param.default is not None, **extra)


# The chain scope of every report that reads the chain (graph.params.CHAIN_SCOPE)
ScopeOption = Annotated[str, option(P.SCOPE)]
ScopeDepthOption = Annotated[int, option(P.SCOPE_DEPTH)]
SourceOption = Annotated[Optional[str], option(P.SOURCE)]
SinkOption = Annotated[Optional[str], option(P.SINK)]
RollupOption = Annotated[str, option(P.ROLLUP)]
PairsOption = Annotated[str, option(P.PAIRS)]
ChainOption = Annotated[Optional[str], option(P.CHAIN)]
LangOption = Annotated[Optional[str], option(P.LANG)]


def scope_line(report) -> str:
    """The lines a table ends with to say which part of the chain was read (when not all of
    it), and what cycles did: in the report's language (the rule as the report words it in English)."""
    from graph.i18n import message

    lang = getattr(report, "_lang", None) or "en"
    scope = getattr(report, "chain_scope", None)
    lines = []
    if scope is not None and scope.kind != "whole":
        advice = as_flags(scope.widen or "")
        widen = message("scope.widen", lang, widen=advice if lang == "en" else advice.replace(", or ", " 或 ")) if scope.widen else ""
        if lang == "en":
            lines.append(f"Scope: {scope.rule}{widen}.")
        else:
            key = {"region": "scope.region", "endpoints": "scope.endpoints", "chain": "scope.chain"}.get(scope.kind)
            text = (message(key, lang, depth=scope.depth, stages=scope.stages, of=scope.of, source=scope.source, sink=scope.sink,
                            name=getattr(scope, "chain_name", None), chain=getattr(scope, "chain", None))
                    if key else f"Scope: {scope.rule}")
            lines.append(text + widen + "。")
    cycles = getattr(report, "cycles", None)
    if cycles is not None and cycles.count:
        largest = cycles.largest[0]
        names = f"{', '.join(largest.names)}{'…' if largest.size > len(largest.names) else ''}"
        lines.append(message("scope.cycles", lang, count=cycles.count, stages=cycles.stages, size=largest.size, names=names))
    return "".join("\n" + line for line in lines)


def as_flags(text: str) -> str:
    """A report's advice in the library's parameter names (``scope_depth=3, or scope="whole"``),
    in this command's options (``--scope-depth 3, or --scope whole``)."""
    return re.sub(r'\b([a-z_]+)="?([^",\s]+)"?', lambda m: f"--{m[1].replace('_', '-')} {m[2]}", text)
