"""The vis-network JavaScript and CSS, read from the files pyvis ships, to inline into pages.

Pages never load anything from the internet: offices on closed networks are the normal case.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pyvis

__all__ = ["VIS_VERSION", "vis_js", "vis_css", "asset_dir"]

VIS_VERSION = "9.1.2"


def asset_dir() -> Path:
    """Where pyvis keeps its bundled copy of vis-network."""
    return Path(pyvis.__file__).resolve().parent / "templates" / "lib" / f"vis-{VIS_VERSION}"


@functools.cache
def _read(name: str) -> str:
    text = (asset_dir() / name).read_text(encoding="utf-8")
    # Inlined into a <script>/<style> element: a closing tag inside would end it early.
    if "</script" in text.lower() or "</style" in text.lower():
        raise RuntimeError(f"{name} cannot be inlined safely: it contains a closing tag")
    return text


def vis_js() -> str:
    return _read("vis-network.min.js")


def vis_css() -> str:
    return _read("vis-network.css")
