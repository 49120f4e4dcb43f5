"""chainx: explore an industrial chain as a graph."""

__version__ = "0.1.0"
