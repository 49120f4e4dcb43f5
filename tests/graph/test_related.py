"""Relatedness (graph/analysis/related.py): worked small matrices, the ``ecomplexity`` package as
the reference on a generated matrix, and the report on the textile dataset."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.app import create_app
from api.settings import Settings
from chainx.cli import app as cli
from graph.analysis.related import cosine_peers, density, presence, proximity, rca, region_density, related, relatedness
from graph.errors import InvalidParameter
from graph.reports import RelatedReport
from graph.store.sqlite import SqliteStore
from loaders.pipeline import load_path
from tests.conftest import TEXTILE


def test_rca_worked():
    # x = [[2, 0], [1, 1]]: total 4; stage shares 3/4, 1/4; region shares [1, 0], [1/2, 1/2]
    x = np.array([[2.0, 0.0], [1.0, 1.0]])
    expected = np.array([[1 / (3 / 4), 0.0], [(1 / 2) / (3 / 4), (1 / 2) / (1 / 4)]])
    assert np.allclose(rca(x), expected)
    assert presence(x).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert presence(x, "any").tolist() == [[1.0, 0.0], [1.0, 1.0]]


def test_proximity_and_density_worked():
    # three regions, three stages: r0 has a, b; r1 has a, c; r2 has b, c (every ubiquity 2)
    m = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    phi = proximity(m)
    # each pair shares one region of the two that have either: 1/2 off the diagonal
    assert phi.tolist() == [[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]]
    # r0 lacks c: (φ_ca + φ_cb) / (φ_ca + φ_cb + φ_cc) = 1 / 2
    assert density(m, phi)[0, 2] == pytest.approx(0.5)
    # r0 has a: (1 + 0.5) / 2
    assert density(m, phi)[0, 0] == pytest.approx(0.75)


def test_proximity_is_the_smaller_conditional_probability():
    # a in 4 regions, b in 2 of them: P(b|a) = 2/4, P(a|b) = 1 → φ = 1/2; c nowhere → φ = 0
    m = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [1, 0, 0]], dtype=float)
    phi = proximity(m)
    assert phi[0, 1] == phi[1, 0] == 0.5
    assert phi[2].tolist() == [0.0, 0.0, 0.0]
    assert np.all(np.isfinite(density(m, phi)))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 7).flatmap(lambda r: st.integers(1, 9).flatmap(
    lambda s: st.tuples(st.just(r), st.lists(st.booleans(), min_size=r * s, max_size=r * s), st.integers(0, r - 1)))))
def test_one_regions_density_without_the_stage_matrix_is_the_full_ones(case):
    # region_density sums φ by ubiquity instead of holding the stages × stages φ (19 GB on a
    # national chain); the reference is the row of the full matrix
    regions, cells, r = case
    m = np.array(cells, dtype=float).reshape(regions, -1)
    assert np.allclose(region_density(m, r), density(m, proximity(m))[r], rtol=0, atol=1e-12)


def test_cosine_peers_worked():
    x = np.array([[1.0, 0.0], [2.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    assert cosine_peers(x, 0) == pytest.approx([1.0, 1.0, 1 / np.sqrt(2), 0.0])


def _reference(x: np.ndarray) -> pd.DataFrame:
    from ecomplexity import ecomplexity

    regions, stages = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    data = pd.DataFrame({"year": 2026, "loc": regions.ravel(), "prod": stages.ravel(), "val": x.ravel()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(data, {"time": "year", "loc": "loc", "prod": "prod", "val": "val"},
                          check_logsupermodularity=False, verbose=False)
    return out.sort_values(["loc", "prod"])


@pytest.fixture(scope="module")
def generated():
    rng = np.random.default_rng(20)
    # 40 regions × 60 stages, sparse-ish counts; every row and column holds something (ecomplexity
    # drops empty ones)
    x = rng.poisson(0.8, size=(40, 60)).astype(float) * rng.integers(1, 50, size=(40, 60))
    x[np.arange(40), np.arange(40) % 60] += 1
    x[np.arange(60) % 40, np.arange(60)] += 1
    return x, relatedness(x), _reference(x)


def test_rca_presence_density_equal_ecomplexity(generated):
    x, mine, ref = generated
    shape = x.shape
    assert np.max(np.abs(mine.rca - ref["rca"].to_numpy().reshape(shape))) < 1e-9
    assert np.array_equal(mine.m, ref["mcp"].to_numpy().reshape(shape))
    assert np.max(np.abs(mine.density - ref["density"].to_numpy().reshape(shape))) < 1e-9
    assert np.array_equal(mine.diversity, ref.groupby("loc")["diversity"].first().to_numpy())


def test_proximity_equals_ecomplexity(generated):
    from ecomplexity import proximity as reference_proximity

    x, mine, _ = generated
    regions, stages = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    data = pd.DataFrame({"year": 2026, "loc": regions.ravel(), "prod": stages.ravel(), "val": x.ravel()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = reference_proximity(data, {"time": "year", "loc": "loc", "prod": "prod", "val": "val"})
    phi = np.zeros((x.shape[1], x.shape[1]))
    phi[ref["prod_1"].to_numpy(), ref["prod_2"].to_numpy()] = ref["proximity"].to_numpy()
    assert np.max(np.abs(mine.proximity - phi)) < 1e-9


def test_complexity_indices_equal_ecomplexity(generated):
    x, mine, ref = generated
    # an eigenvector from another matrix (R × R here, S × S there): equal to rounding of the solver
    assert np.max(np.abs(mine.eci - ref.groupby("loc")["eci"].first().to_numpy())) < 1e-8
    assert np.max(np.abs(mine.pci - ref.groupby("prod")["pci"].first().to_numpy())) < 1e-8


@pytest.fixture(scope="module")
def textile(tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("related") / "t.db", create=True)
    load_path(store, TEXTILE)
    return store


@pytest.fixture(scope="module")
def shengze(textile):
    return related(textile, "shengze", top=100)


def test_report_matches_the_matrix_built_by_hand(textile, shengze):
    report = RelatedReport.model_validate(shengze.to_dict())
    # the matrix by hand: per region an enterprise's region (Shengze's sub-regions in it), the
    # distinct enterprises per top-level stage
    from graph.analysis.stages import stage_chain

    chain = stage_chain(textile)
    firms = {n.id: n.props.get("region") for n in textile.nodes(["Enterprise"])}
    cells: dict[tuple[str, str], set[str]] = {}
    for rel in textile.relationships(["OPERATES_IN"]):
        if rel.source in firms and rel.target in chain.top:
            cells.setdefault((firms[rel.source], chain.top[rel.target]), set()).add(rel.source)
    regions = sorted({r for r, _ in cells})
    stages = sorted(chain.graph)
    x = np.array([[len(cells.get((r, s), ())) for s in stages] for r in regions], dtype=float)
    assert report.matrix.regions == len(regions) and report.matrix.stages == len(stages)
    share = x / x.sum(axis=1, keepdims=True)
    ratio = np.nan_to_num(share / (x.sum(axis=0) / x.sum()))
    row = regions.index("shengze")
    by_stage = {s.stage: s for s in report.stages}
    for j, s in enumerate(stages):
        assert by_stage[s].value == x[row, j]
        assert by_stage[s].rca == pytest.approx(ratio[row, j], abs=1e-6)
        assert by_stage[s].present == (ratio[row, j] >= 1)
    # feasible: exactly the stages without Shengze's activity, by density
    assert {f.stage for f in report.feasible} == {s for j, s in enumerate(stages) if x[row, j] == 0}
    densities = [f.density for f in report.feasible]
    assert densities == sorted(densities, reverse=True)
    for f in report.feasible:
        assert all(by_stage[t].present for t in f.related)
    # peers: cosine of the hand-built rows, the largest first
    cos = {r: float(x[k] @ x[row] / (np.linalg.norm(x[k]) * np.linalg.norm(x[row]))) for k, r in enumerate(regions) if r != "shengze"}
    expected = sorted(cos, key=lambda r: (-cos[r], r))[:5]
    assert [p.region for p in report.peers] == expected
    assert [p.similarity for p in report.peers] == pytest.approx([cos[r] for r in expected], abs=1e-6)


def test_peers_by_cosine(shengze, textile):
    assert [p.similarity for p in shengze.peers] == sorted((p.similarity for p in shengze.peers), reverse=True)
    assert len(shengze.peers) == 5 and "shengze" not in {p.region for p in shengze.peers}


def test_gaps_show_density_and_feasible_beside_the_score(textile, shengze):
    from graph.analysis.gaps import gaps

    by_stage = {s.stage: s for s in shengze.stages}
    lacking = [s.density for s in shengze.stages if not s.value]
    mean = sum(lacking) / len(lacking)
    report = gaps(textile, "shengze", top_candidates=0)
    assert report.gaps
    for gap in report.gaps:
        assert gap.density == pytest.approx(by_stage[gap.stage].density, abs=1e-6)
        assert gap.feasible == (gap.density > 0 and gap.density >= mean - 1e-9)
        sentence = [r for r in gap.reasons if r.startswith("density ω")]
        assert len(sentence) == 1 and (("feasible by relatedness" in sentence[0]) != ("not feasible" in sentence[0])) == gap.feasible
    # a break that is feasible is named the best 补链 target
    assert any("best 补链 target" in r for g in report.gaps if g.kind == "break" and g.feasible for r in g.reasons)


def test_compare_lists_the_same_peers(textile, shengze):
    from graph.analysis.gaps import compare

    report = compare(textile, ["shengze", "tianmen"], peers=5)
    assert [p.region for p in report.peers["shengze"]] == [p.region for p in shengze.peers]
    assert set(report.to_dict()["peers"]) == {"shengze", "tianmen"}
    assert "peers" not in compare(textile, ["shengze", "tianmen"]).to_dict()


def test_level_and_bad_parameters(textile):
    by_city = related(textile, "suzhou", level="city", peers=2, top=3)
    import csv

    cities = [row["id"] for row in csv.DictReader(open(TEXTILE / "regions.csv", encoding="utf-8")) if row["level"] == "city"]
    assert by_city.matrix.regions == len(cities) and by_city.matrix.rule.startswith(f"the {len(cities)} regions of level city")
    with pytest.raises(InvalidParameter, match="level"):
        related(textile, "shengze", level="city")
    with pytest.raises(InvalidParameter, match="level"):
        related(textile, "shengze", level="planet")
    with pytest.raises(InvalidParameter, match="measure"):
        related(textile, "shengze", measure="weight")


def test_cli_and_api_edges(textile, tmp_path):
    path = textile.path if hasattr(textile, "path") else None
    runner = CliRunner()
    store_path = tmp_path / "cli.db"
    load_path(SqliteStore(store_path, create=True), TEXTILE)
    result = runner.invoke(cli, ["related", "--region", "shengze", "--store", str(store_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("rank,stage,name,density")
    bad = runner.invoke(cli, ["related", "--region", "shengze", "--store", str(store_path), "--presence", "some"])
    assert bad.exit_code != 0 and "presence" in bad.output and "Traceback" not in bad.output
    client = TestClient(create_app(Settings(store=str(store_path))))
    body = client.get("/regions/shengze/related", params={"top": 3}).json()
    assert len(body["feasible"]) == 3 and body["region"] == "shengze"
    assert client.get("/regions/shengze/related", params={"measure": "x"}).status_code == 422
    del path
