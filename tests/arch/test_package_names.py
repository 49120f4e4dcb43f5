"""chainx's generic top-level names (graph, loaders, viz, api) beside other packages of the same name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import chainx


def _run(args, tmp_path, pythonpath=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    # from an empty folder, so the source tree's own folders are not on the path by accident
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_chainx_finds_its_own_packages():
    assert chainx.foreign_packages() == {}


def test_a_shadowing_package_is_named_and_the_command_refuses(tmp_path):
    foreign = tmp_path / "elsewhere" / "graph"
    foreign.mkdir(parents=True)
    (foreign / "__init__.py").write_text("RAISED = 'a different graph package'\n")
    result = _run(["-m", "chainx", "stats"], tmp_path, pythonpath=foreign.parent)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: another installed package shadows chainx's own: 'graph' at ")
    assert str(foreign / "__init__.py") in result.stderr
    assert "Traceback" not in result.stderr


def test_the_version_comes_from_the_package_metadata(tmp_path):
    from importlib.metadata import version

    import graph

    result = _run(["-m", "chainx", "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"chainx {version('chainx')}" == f"chainx {graph.__version__}"
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{version("chainx")}"' in text
