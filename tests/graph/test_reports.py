"""The report models of graph/reports.py: every analysis returns its model, every model forbids
fields it does not declare, and what the analyses build without validation (model_construct) is
valid: validated here once, on the bundled dataset."""

from __future__ import annotations

import inspect
import typing

import pytest
from pydantic import BaseModel, ValidationError

import graph.reports as reports_module
from graph.analysis.bottlenecks import bottlenecks, whatif
from graph.analysis.centrality import centrality
from graph.analysis.gaps import compare, gaps
from graph.analysis.paths import explained_path, neighbors
from graph.analysis.ties import ties_report
from graph.reports import REPORTS, CompareRow, Report
from graph.store import reads
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import TEXTILE

# every analysis the CLI and the API present, with arguments that reach every part of its report
CALLS = {
    "stats": (reads.stats, (), {}),
    "gaps": (gaps, ("tianmen",), {}),
    "gaps, cut": (gaps, ("shengze",), {"top": 2, "min_firms": 3}),
    "compare": (compare, (["shengze", "tianmen", "wujiang"],), {}),
    "bottlenecks": (bottlenecks, (), {}),
    "bottlenecks of a region": (bottlenecks, ("tianmen",), {"min_firms": 2}),
    "whatif": (whatif, (["e_hengli_group"], "wujiang"), {}),
    "centrality": (centrality, ("betweenness", "all"), {"top": 50}),
    "centrality, core numbers": (centrality, ("core", "supply"), {}),
    "ties": (ties_report, (), {}),
    "ties of an institute": (ties_report, (), {"institute": "i_donghua_university"}),
    "path": (explained_path, ("e_hengli_group", "px"), {}),
    "neighbors": (neighbors, ("i_donghua_university",), {"depth": 2}),
}


@pytest.fixture(scope="module")
def textile(tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("reports") / "textile.db", create=True)
    load_path(store, TEXTILE)
    yield store
    store.close()


def _models() -> list[type[BaseModel]]:
    return [value for value in vars(reports_module).values()
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == reports_module.__name__]


@pytest.mark.parametrize("name", list(CALLS))
def test_each_analysis_returns_its_declared_model_and_the_model_is_valid(textile, name):
    func, args, kwargs = CALLS[name]
    report = func(textile, *args, **kwargs)
    declared = typing.get_type_hints(func)["return"]
    assert declared in REPORTS and type(report) is declared
    # the analysis built it unvalidated: validating what it holds must give it back unchanged
    checked = declared.model_validate(report.to_dict())
    assert checked.to_dict() == report.to_dict()
    assert checked.model_dump(mode="json", by_alias=True) == report.model_dump(mode="json", by_alias=True)


def test_the_calls_above_cover_every_report_model():
    assert {typing.get_type_hints(func)["return"] for func, _, _ in CALLS.values()} == set(REPORTS)
    assert set(REPORTS) == {m for m in _models() if issubclass(m, Report) and m is not Report}


@pytest.mark.parametrize("model", [m for m in _models() if m is not CompareRow], ids=lambda m: m.__name__)
def test_every_model_forbids_fields_it_does_not_declare(model):
    assert model.model_config.get("extra") == "forbid"
    # and validation says so: a dict with one field more than any value needs is refused
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({"not_a_field_of_any_report": 1})


def test_a_comparison_row_takes_region_columns_only_in_their_declared_shape():
    row = {"stage": "s", "name": "S", "tier": None, "present_in": ["r"], "lacking_in": []}
    checked = CompareRow.model_validate({**row, "r": {"status": "present", "local_enterprises": 2}})
    assert checked.coverage("r").local_enterprises == 2
    with pytest.raises(ValidationError):
        CompareRow.model_validate({**row, "r": 3})
    with pytest.raises(ValidationError):
        CompareRow.model_validate({**row, "r": {"status": "present", "local_enterprises": 2, "more": 1}})


def test_a_path_keeps_from_as_its_json_key(textile):
    path = explained_path(textile, "e_hengli_group", "px")
    assert path.from_ == "e_hengli_group"
    assert list(path.to_dict())[:2] == ["from", "to"]


def test_a_ties_report_has_focus_only_with_an_institute(textile):
    assert "focus" not in ties_report(textile).to_dict()
    focused = ties_report(textile, institute="i_donghua_university")
    assert focused.focus.institute == "i_donghua_university" and "focus" in focused.to_dict()


def test_every_table_of_every_report_renders_from_the_model(textile):
    for name, (func, args, kwargs) in CALLS.items():
        report = func(textile, *args, **kwargs)
        for section, table in type(report).tables.items():
            if section == "focus" and report.focus is None:
                continue
            for csv in (False, True):
                headers, rows = table.render(report, csv=csv)
                assert headers and all(len(row) == len(headers) for row in rows), (name, section, csv)
