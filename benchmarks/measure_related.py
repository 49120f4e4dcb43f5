"""Relatedness (graph/analysis/related.py) on a generated region × stage matrix, beside the
``ecomplexity`` package on the same matrix: 500 regions × 2,500 stages in the full run's 1M size
(ecomplexity's time grows with regions × stages², some 5× the default's; 1,000 × 5,000 took it six
minutes, more than the rest of the size), 300 × 1,500 in the default one (some 15 CPU s),
100 × 500 at the quick one and 40 × 200 at the tiny one (so the test of this script stays fast).

Both compute RCA, presence, proximity, density and the complexity indices; ecomplexity also the
complexity outlook, chainx the opportunity gain. The row checks that the two agree (largest
difference of RCA and density).
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.core import Run, measurement, row, span, timed


def _shape(run: Run) -> tuple[int, int]:
    if run.size >= 1_000_000:
        return 500, 2_500
    if run.size >= 100_000:
        return 300, 1_500
    return (40, 200) if run.tiny else (100, 500)


@measurement("related")
def _related(run: Run) -> list[dict]:
    from graph.analysis.related import relatedness

    regions, stages = _shape(run)
    rng = np.random.default_rng(run.seed)
    # counts of enterprises: most cells empty, a heavy tail of busy ones
    x = rng.poisson(0.3, size=(regions, stages)) * rng.integers(1, 20, size=(regions, stages))
    x[np.arange(regions), np.arange(regions) % stages] += 1  # no empty row or column (ecomplexity drops them)
    x[np.arange(stages) % regions, np.arange(stages)] += 1
    x = x.astype(float)
    with timed() as ours_t:
        ours = relatedness(x)
    rows = [row(f"relatedness {regions:,} regions × {stages:,} stages (chainx)", ours_t,
                note="RCA, presence, proximity, density, ECI/PCI, opportunity gain (numpy)")]
    try:
        import pandas as pd
        from ecomplexity import ecomplexity
    except ImportError:
        return rows + [row("relatedness (ecomplexity)", span(), note="not measured: ecomplexity is not installed (pip install ecomplexity)")]
    loc, prod = np.meshgrid(np.arange(regions), np.arange(stages), indexing="ij")
    data = pd.DataFrame({"t": 0, "loc": loc.ravel(), "prod": prod.ravel(), "val": x.ravel()})
    with warnings.catch_warnings(), timed() as ref_t:
        warnings.simplefilter("ignore")
        ref = ecomplexity(data, {"time": "t", "loc": "loc", "prod": "prod", "val": "val"}, check_logsupermodularity=False, verbose=False)
    ref = ref.sort_values(["loc", "prod"])
    rca_diff = float(np.max(np.abs(ours.rca - ref["rca"].to_numpy().reshape(x.shape))))
    density_diff = float(np.max(np.abs(ours.density - ref["density"].to_numpy().reshape(x.shape))))
    rows.append(row(f"relatedness {regions:,} regions × {stages:,} stages (ecomplexity)", ref_t,
                    ratio=round(ref_t.cpu / ours_t.cpu, 2) if ours_t.cpu else None,
                    note=f"same matrix; largest difference RCA {rca_diff:.1e}, density {density_diff:.1e}"))
    return rows
