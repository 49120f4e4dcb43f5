"""Fixtures of the importer tests: the real datasets beside the repository (skipped, saying so,
where they are absent) and one chainkg import per test session, since it takes a while."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def shared_dataset(name: str) -> Path:
    path = DATASETS / name
    if not (path / "SOURCE.md").is_file():
        pytest.skip(f"real-data check: {path} is absent (the shared datasets sit beside the repository as ../shared/datasets/{name})")
    return path


@pytest.fixture(scope="session")
def chainkg_dir() -> Path:
    return shared_dataset("chainkg")


@pytest.fixture(scope="session")
def kag_dir() -> Path:
    return shared_dataset("kag-supplychain")


@pytest.fixture(scope="session")
def chainkg_import(chainkg_dir, tmp_path_factory) -> dict:
    """``chainx import chainkg`` of the real data into a SQLite store, once per session: the
    store's path, the JSON report, the command's output and how long it took."""
    from chainx.cli import app

    folder = tmp_path_factory.mktemp("chainkg")
    store, report = folder / "national.db", folder / "report.json"
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["import", "chainkg", str(chainkg_dir), "--store", str(store), "--report", str(report)], catch_exceptions=False)
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return {"store": store, "report": json.loads(report.read_text(encoding="utf-8")), "output": result.output, "seconds": seconds}
