"""Loading a dataset over HTTP: the same validation and all-or-nothing write as ``chainx load``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from graph import params as P
from graph.errors import InvalidParameter, NotFound
from graph.reports import UnloadReport
from graph.store import reads
from graph.store.base import unknown_dataset
from loaders.pipeline import load_report

from ..deps import HandleDep, require_api_key
from ..models import UploadResult, error_responses
from ..params import query
from ..store import StoreHandle

__all__ = ["router", "SUFFIXES"]

router = APIRouter(tags=["datasets"])

SUFFIXES = (".zip", ".xlsx")
_CHUNK = 1024 * 1024

_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The dataset: a .zip of CSV files or an .xlsx workbook (one sheet per file).",
                    }
                },
            }
        }
    },
}


@router.post(
    "/datasets",
    response_model=UploadResult,
    # The key is checked before the upload is read: a client without it costs no disk.
    dependencies=[Depends(require_api_key)],
    responses=error_responses(400, 401, 403, 409, 413, 422, 500, 503, 507),
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def upload_dataset(
    request: Request,
    handle: HandleDep,
    replace: Annotated[bool, Query(description="Swap the store's graph for this dataset's.")] = False,
    dry_run: Annotated[bool, query(P.DRY_RUN)] = P.DRY_RUN.default,
    update_existing: Annotated[bool, query(P.UPDATE_EXISTING)] = P.UPDATE_EXISTING.default,
) -> dict:
    """Validate an uploaded dataset and write it, all or nothing; a rejected one lists every problem."""
    async with request.form(max_files=1, max_fields=1) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidParameter("file", "send the dataset as a multipart/form-data file field named 'file'")
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in SUFFIXES:
            raise InvalidParameter("file", f"the file name must end in {' or '.join(SUFFIXES)}, not {upload.filename!r}")
        with tempfile.TemporaryDirectory(prefix="chainx-upload-") as folder:
            # a name of our own: the client's file name never becomes a path
            path = Path(folder) / f"upload{suffix}"
            with path.open("wb") as out:
                while chunk := await upload.read(_CHUNK):
                    out.write(chunk)
            # ...but the problems name the file as the client knows it, not as upload.zip
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
            return await run_in_threadpool(_load, handle, path, name, replace=replace, dry_run=dry_run, update_existing=update_existing)


def _load(handle: StoreHandle, path: Path, name: str, **options: bool) -> dict:
    with handle.writer() as store:
        loaded = load_report(store, path, name=name, **options)
        version = store.version()
    summary, existing = loaded.summary, loaded.existing
    return {"nodes": summary.nodes, "relationships": summary.relationships, "changed": summary.changed,
            "replaced": summary.replaced, "version": version, "dry_run": loaded.dry_run,
            "dataset": loaded.dataset.id if loaded.dataset else None, "unchanged": loaded.unchanged,
            "new_nodes": existing.new_nodes, "new_relationships": existing.new_relationships,
            "changed_properties": existing.changed, "changed_relationships": existing.changed_relationships, "kept": existing.kept,
            "overlay": loaded.overlay.as_dict()}


@router.delete(
    "/datasets/{dataset_id}",
    response_model=UnloadReport,
    dependencies=[Depends(require_api_key)],  # the same key as loading one
    responses=error_responses(401, 403, 404, 409, 422, 500, 503),
)
async def unload_dataset(
    handle: HandleDep,
    dataset_id: Annotated[str, PathParam(min_length=1, max_length=200, description="The dataset's id, as GET /datasets lists it.")],
) -> dict:
    """Remove what only this dataset states, in one transaction under the write lock; nodes and
    relationships other datasets state too stay, with the values it changed put back where they
    have not changed since (``kept`` says where not)."""
    return await run_in_threadpool(_unload, handle, dataset_id)


def _unload(handle: StoreHandle, dataset_id: str) -> dict:
    with handle.writer() as store:
        known = [d.id for d in store.provenance.datasets()]
        if dataset_id not in known:
            raise NotFound(unknown_dataset(dataset_id, known))
        return reads.unload(store, dataset_id).model_dump()
