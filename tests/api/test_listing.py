"""The API passes ``top`` through to the reports: lists cut, counts whole (tests/api/conftest.py's
chain: sz has e1 in poly and spin, e2 in pta, e3 in dye; weave is missing)."""

from __future__ import annotations

from .conftest import assert_error


def test_gaps_top_cuts_the_list_and_keeps_the_total(client):
    whole = client.get("/regions/sz/gaps").json()
    # min_firms 2: pta, poly, spin and dye have one firm each (weak), weave none
    assert whole["gaps_total"] == 5 and whole["listing"]["complete"] and whole["stage_betweenness"]["method"] == "exact"
    cut = client.get("/regions/sz/gaps", params={"top": 2}).json()
    assert cut["gaps"] == whole["gaps"][:2] and cut["gaps_total"] == 5 and cut["counts"] == whole["counts"]
    assert cut["listing"]["top"] == 2 and not cut["listing"]["complete"]
    assert_error(client.get("/regions/sz/gaps", params={"top": 0}), 422, "ValidationError", parameter="top")


def test_compare_and_bottlenecks_take_top_too(client):
    rows = client.get("/compare", params={"regions": "sz,tm", "top": 2}).json()
    assert (rows["stages_listed"], rows["stages_total"], rows["top"]) == (2, 5, 2)
    report = client.get("/bottlenecks", params={"top": 1}).json()
    assert all(n <= 1 for kind, n in report["listed"].items() if kind not in ("top", "complete"))
    assert report["counts"] == client.get("/bottlenecks").json()["counts"]
    assert report["critical_screening"]["complete"]
