"""The HTTP API over FastAPI: routes only parse, call graph/, and present."""
