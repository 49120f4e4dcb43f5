"""chainx's domain: the model, the stores, the NetworkX projections and the analyses."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chainx")  # written once, in pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
