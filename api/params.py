"""FastAPI query and path parameters built from the report parameters' one definition
(graph/params.py): the same name, bounds, default and help as the CLI's options."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request

from graph import params as P
from graph.i18n import accepted_lang
from graph.params import Param

__all__ = ["query", "path", "field_bounds", "chain_scope", "ChainScope"]
__all__ = ["query", "path", "field_bounds", "chain_scope", "ChainScope", "FormatQuery", "SectionQuery", "FILE_RESPONSES", "LangQuery",
           "asked_lang"]


def field_bounds(param: Param) -> dict[str, Any]:
    """The pydantic / FastAPI keywords of ``param``'s bounds and help."""
    bounds: dict[str, Any] = {"description": param.help}
    if param.kind in (int, float):
        bounds.update(ge=param.minimum, le=param.maximum)
    elif param.kind is str and param.maximum is not None:
        bounds.update(min_length=int(param.minimum or 0), max_length=int(param.maximum))
    if param.choices:
        bounds["json_schema_extra"] = {"enum": list(param.choices)}
    if param.example:
        bounds["examples"] = [param.example]
    return bounds


def query(param: Param, *, description: str | None = None, **extra: Any) -> Any:
    """The ``Query`` of ``param`` (give its default in the signature: ``= param.default``)."""
    bounds = field_bounds(param)
    if description:
        bounds["description"] = description
    if param.kind == "list":  # comma-separated text: its length bound is on the items, checked by the analysis
        bounds.update(min_length=1, max_length=2000)
    return Query(**{**bounds, **extra})


def path(param: Param, **extra: Any) -> Any:
    """The ``Path`` of ``param``."""
    return Path(**{**field_bounds(param), **extra})


async def chain_scope(  # a coroutine: no worker thread for a dict (api/deps.py)
    scope: Annotated[str, query(P.SCOPE)] = P.SCOPE.default,
    scope_depth: Annotated[int, query(P.SCOPE_DEPTH)] = P.SCOPE_DEPTH.default,
    source: Annotated[str | None, query(P.SOURCE)] = None,
    sink: Annotated[str | None, query(P.SINK)] = None,
    rollup: Annotated[str, query(P.ROLLUP)] = P.ROLLUP.default,
    pairs: Annotated[str, query(P.PAIRS)] = P.PAIRS.default,
    chain: Annotated[str | None, query(P.CHAIN)] = None,
) -> dict[str, Any]:
    """The chain-scope query parameters every report that reads the chain takes (graph.params.CHAIN_SCOPE)."""
    return {"scope": scope, "scope_depth": scope_depth, "source": source, "sink": sink, "rollup": rollup, "pairs": pairs, "chain": chain}


ChainScope = Annotated[dict, Depends(chain_scope)]
#: ``format`` of a report route: the file formats of graph.params (json, csv, xlsx).
FormatQuery = Annotated[Literal[P.FILE_FORMATS] | None, query(P.RESPONSE_FORMAT)]
SectionQuery = Annotated[str | None, query(P.SECTION)]
LangQuery = Annotated[Literal[P.LANG.choices] | None, query(P.LANG, description=P.LANG.help + " Without it, the Accept-Language header's first of "
                                        "zh and en, if it names one.")]


def asked_lang(request: Request, lang: str | None) -> str | None:
    """The language a request asks for: ``lang=`` (checked by the analysis), else its
    Accept-Language header's preferred of zh and en; None leaves it to the setting and the data."""
    return lang if lang is not None else accepted_lang(request.headers.get("accept-language"))

#: What a report route answers besides JSON, for its OpenAPI ``responses``.
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}, P.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    "description": "The report: JSON, or with format=csv or xlsx (or Accept: text/csv or the xlsx type) one table as CSV or an "
                   "Excel workbook with a 说明 About sheet and a sheet per table.",
}}
