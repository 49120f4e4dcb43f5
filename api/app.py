"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI

from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="chainx", description="Industrial-chain graph explorer")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    return app
