"""Loaders turn files (CSV folders, .xlsx workbooks, .zip archives, foreign formats) into
validated graph data. They know nothing of the stores."""

from .read import read_dataset
from .validate import StoreContext, validate

__all__ = ["read_dataset", "validate", "StoreContext", "load_dataset"]


def load_dataset(path, context: StoreContext | None = None):
    """Read and validate the dataset at ``path``; return GraphData or raise DatasetError."""
    return validate(read_dataset(path), context)
