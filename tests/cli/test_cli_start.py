"""A command imports what its work needs and no more: SciPy was a quarter of a command's start, and
only PageRank and eigenvector centrality use it (graph/accel.py imports it where they build their
matrix)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# runs a command as the `chainx` script does, then prints the top-level packages it imported
RUN_AND_LIST = """
import json, sys
from chainx import main
sys.argv = ["chainx", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def imported_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("command", [
    ["stats"], ["gaps", "--region", "shengze"], ["bottlenecks", "--region", "shengze"], ["centrality", "--metric", "betweenness"],
])
def test_a_command_that_needs_no_matrix_starts_without_scipy(command, textile_db):
    imported = imported_by(*command, "--store", str(textile_db))
    assert "networkx" in imported  # the probe sees what the command imported
    assert "scipy" not in imported


def test_pagerank_imports_scipy_when_it_runs(textile_db):
    assert "scipy" in imported_by("centrality", "--metric", "pagerank", "--store", str(textile_db))
