"""chainx: explore an industrial chain as a graph.

chainx installs the top-level packages ``graph``, ``loaders``, ``viz`` and ``api`` beside
``chainx`` (the layout the project keeps; docs/ARCHITECTURE.md). Those names are generic: in a
notebook environment another distribution may install a package of the same name, and whichever
comes first on ``sys.path`` wins. :func:`foreign_packages` tells when that has happened, and the
command refuses to run with a message rather than failing deep inside with an AttributeError.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("chainx")  # written once, in pyproject.toml (graph.__version__ too)
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__", "SIBLINGS", "foreign_packages", "main"]

SIBLINGS = ("graph", "loaders", "viz", "api")


def foreign_packages() -> dict[str, str]:
    """{name: where it was found} for each sibling package that is not chainx's own (found
    anywhere but beside this one), without importing any of them."""
    home = Path(__file__).resolve().parent.parent
    foreign = {}
    for name in SIBLINGS:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        if origin is None or origin.parent.parent != home:
            foreign[name] = str(origin or "nowhere")
    return foreign


def main() -> None:
    """The ``chainx`` command, once its sibling packages are known to be its own."""
    foreign = foreign_packages()
    if foreign:
        found = ", ".join(f"{name!r} at {where}" for name, where in foreign.items())
        sys.stderr.write(f"Error: another installed package shadows chainx's own: {found}; "
                         "run chainx from its own virtual environment (see the README).\n")
        raise SystemExit(1)
    from .cli import main as cli_main

    cli_main()
