"""API settings, declared once and read from CHAINX_* environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.store import default_store_uri


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAINX_", extra="ignore")

    store: str = default_store_uri()
    api_key: str | None = None
