"""Chains as objects (graph/chains.py): list them, read one, save a new one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import Field, StringConstraints

from graph import params as P
from graph.chains import chain_detail, chain_listing, save_chain

from ..deps import HandleDep, StoreDep, require_api_key
from ..models import Model, error_responses
from ..params import field_bounds, query
from ..snapshot import SnapshotRoute

__all__ = ["router"]

router = APIRouter(route_class=SnapshotRoute, tags=["chains"], responses=error_responses(422, 500, 503))

_Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ChainRequest(Model):
    """A chain to save: its member stages, its source and sink, or a region's scope (one of them)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(examples=["textile_core"])
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(examples=["纺织核心链"])
    stages: list[_Text] | None = Field(default=None, max_length=10_000, description="Member stages, ids or names.")
    source: _Text | None = Field(default=None, description="The stage the chain starts from (with sink).")
    sink: _Text | None = Field(default=None, description="The stage it ends at (with source).")
    region: str | None = Field(default=None, **field_bounds(P.REGION))
    scope_depth: int | None = Field(default=None, **field_bounds(P.SCOPE_DEPTH))
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


@router.get("/chains")
def get_chains(store: StoreDep, rollup: Annotated[str, query(P.ROLLUP)] = P.ROLLUP.default) -> dict:
    """The chains the store holds: id, name, how many top-level stages, how each is defined."""
    P.ROLLUP.check(rollup)
    rows = chain_listing(store, rollup)
    return {"total": len(rows), "chains": rows}


@router.get("/chains/{chain}", responses=error_responses(404))
def get_chain(store: StoreDep, chain: Annotated[str, Path(**field_bounds(P.CHAIN))],
              rollup: Annotated[str, query(P.ROLLUP)] = P.ROLLUP.default) -> dict:
    """One chain, by id or name: its definition, its stages and the FEEDS links among them."""
    P.ROLLUP.check(rollup)
    return chain_detail(store, chain, rollup)


@router.post("/chains", dependencies=[Depends(require_api_key)], responses=error_responses(400, 401, 403, 404, 409, 413, 507))
def post_chain(handle: HandleDep, body: ChainRequest) -> dict:
    """Save a chain (refused when its id is taken); answers it as ``GET /chains/{id}`` would."""
    with handle.writer() as store:
        node = save_chain(store, body.id, body.name, stages=body.stages, source=body.source, sink=body.sink, region=body.region,
                          scope_depth=body.scope_depth, description=body.description)
        detail = chain_detail(store, node.id)
        detail["version"] = store.version()
    return detail
