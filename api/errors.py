"""Every error leaves the API as one JSON shape, translated here and nowhere else.

    {"error": {"type": "NotFound", "message": "unknown region 'atlantis'"}}
    {"error": {"type": "InvalidParameter", "message": "top: ...", "parameter": "top"}}
    {"error": {"type": "DatasetError", "message": "2 problems ...", "problems": [{"file", "line", "column", "message"}]}}

Library errors (graph/errors.py) map to statuses by class; request validation, unknown routes and
the API's own refusals (401, 403, 413) take the same shape; anything unexpected is logged and
answered with a generic 500 that carries no traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import (
    ChainxError,
    DatasetError,
    InvalidParameter,
    MissingTool,
    NotFound,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreUnavailable,
    TooExpensive,
    WorkerLost,
)

from .cache import Overloaded

__all__ = ["install_error_handlers", "error_response", "status_of", "STATUS_TYPES"]

log = logging.getLogger("chainx.api")

# Most specific first: TooExpensive is an InvalidParameter, StoreUnavailable a StoreError.
_LIBRARY_STATUS: tuple[tuple[type[ChainxError], int], ...] = (
    (NotFound, 404),
    (TooExpensive, 422),
    (InvalidParameter, 422),
    (DatasetError, 422),
    (StoreUnavailable, 503),
    (MissingTool, 406),  # this server cannot make the format asked for (a PDF without Chromium): not a server error
    (Overloaded, 503),
    (WorkerLost, 503),  # this server could not compute it now (its memory, most often): not a bug of the request
    (StoreFull, 507),
    (StoreError, 409),
    (ChainxError, 400),
)

# Error types of HTTP-level refusals (no library error behind them).
STATUS_TYPES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "ValidationError",
    503: "StoreUnavailable",
    507: "StoreFull",
}


# seconds a client told "store busy" waits before it asks again
BUSY_RETRY_AFTER = 5


def status_of(error: ChainxError) -> int:
    return next(status for cls, status in _LIBRARY_STATUS if isinstance(error, cls))


def error_response(status: int, type_: str, message: str, *, parameter: str | None = None,
                   problems: list[dict] | None = None, headers: dict | None = None) -> JSONResponse:
    body: dict = {"type": type_, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    if problems is not None:
        body["problems"] = problems
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _library_error(request: Request, error: ChainxError) -> JSONResponse:
    status = status_of(error)
    if isinstance(error, DatasetError):
        # the first line only: the problems travel as structured data, not as text
        message = ChainxError.__str__(error)
        return error_response(status, "DatasetError", message, problems=[p.as_dict() for p in error.problems])
    if isinstance(error, Overloaded):
        return error_response(status, "Overloaded", str(error), headers={"Retry-After": str(BUSY_RETRY_AFTER)})
    if isinstance(error, StoreError):
        # what /health answered from memory may no longer hold (api/health.py)
        request.app.state.store_handle.changes += 1
    if isinstance(error, StoreBusy):
        # a load holds the store: not an outage, and over soon
        return error_response(status, "StoreBusy", str(error), headers={"Retry-After": str(BUSY_RETRY_AFTER)})
    if isinstance(error, StoreUnavailable):
        log.warning("store unavailable: %s", error)
        return error_response(status, "StoreUnavailable", f"the graph store is unavailable: {error}")
    parameter = error.parameter if isinstance(error, InvalidParameter) else None
    return error_response(status, type(error).__name__, str(error), parameter=parameter)


def _parameter_of(loc: tuple) -> str:
    # ("query", "top") → "top"; ("body", "remove", 0) → "remove.0"; ("body",) → "body"
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 and loc[0] in ("query", "path", "header", "body", "cookie") else [str(p) for p in loc]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = error.errors()
    parts = [f"{_parameter_of(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors]
    parameter = _parameter_of(tuple(errors[0].get("loc", ()))) if errors else None
    return error_response(422, "ValidationError", "; ".join(parts) or "invalid request", parameter=parameter)


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    message = error.detail if isinstance(error.detail, str) else "request refused"
    if error.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return error_response(error.status_code, STATUS_TYPES.get(error.status_code, "HTTPError"), message,
                          headers=getattr(error, "headers", None))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # A bug: keep the details in the server log, give the client nothing it could exploit.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "InternalError", "internal error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ChainxError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
