"""One error hierarchy for the whole tool; the CLI and the API translate it at their edges."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ChainxError",
    "Problem",
    "DatasetError",
    "StoreError",
    "StoreUnavailable",
    "StoreChanged",
    "StoreBusy",
    "StoreFull",
    "StoreIOError",
    "NotFound",
    "InvalidParameter",
    "TooExpensive",
    "WorkerLost",
    "MissingTool",
]


class ChainxError(Exception):
    """Base of every error chainx reports to a user as one clear message."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input dataset, located as precisely as the input allows."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


class DatasetError(ChainxError):
    """A dataset failed validation; nothing was written. Carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or "", p.message))
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the dataset; nothing was loaded")

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *map(str, self.problems)])


class StoreError(ChainxError):
    """The store refused an operation."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (server down, login refused, file unreadable)."""


class StoreChanged(StoreError):
    """The store changed after a load read it for validation; the load wrote nothing (and is
    validated again against the new graph)."""


class StoreBusy(StoreUnavailable):
    """The store is there but locked by another connection (a load in progress) for longer than
    chainx waits: try again shortly."""


class StoreFull(StoreError):
    """The store could not grow: its disk (or its own size limit) is full; the write was undone."""


class StoreIOError(StoreUnavailable):
    """The store's file could not be written or read (a failing disk, a file-size limit)."""


class NotFound(ChainxError):
    """A node, region or other named thing does not exist."""


class MissingTool(ChainxError):
    """An output needs a program this machine does not have (a PDF needs Chromium)."""


class InvalidParameter(ChainxError):
    """A parameter has a value the operation cannot accept."""

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}")


class TooExpensive(InvalidParameter):
    """An exact computation would take too long on this graph and was not forced."""


class WorkerLost(ChainxError):
    """A process computing a share of a report ended before it answered (killed: most often by
    the out-of-memory killer); nothing was returned."""
