"""API settings, declared once and read from CHAINX_* environment variables.

Nothing here is read at import time: ``Settings()`` reads the environment when it is built, and
the app factory takes the built object (tests pass their own).

    CHAINX_STORE=bolt://localhost:7687 CHAINX_API_KEY=s3cret CHAINX_CORS_ORIGINS=https://a.example,https://b.example
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graph import params as P
from graph.store import default_store_uri

__all__ = ["Settings"]

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAINX_", extra="ignore")

    store: str = Field(default_factory=default_store_uri, description="Embedded store file or a Bolt URI.")
    api_key: SecretStr | None = Field(
        default=None, description="Key that write endpoints require in X-API-Key; unset disables writes."
    )
    max_body_bytes: int = Field(default=1 * MiB, ge=0, description="Largest request body outside uploads.")
    max_upload_bytes: int = Field(default=50 * MiB, ge=0, description="Largest dataset upload (POST /datasets).")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS, comma-separated; none (CORS off) by default."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the server answers to besides localhost, 127.0.0.1 and ::1 (and the address chainx serve binds to), "
                    "comma-separated; * allows any (no DNS-rebinding guard).",
    )
    max_concurrent_reports: int = Field(
        default=4, ge=0,
        description="Reports (analyses, views) computed at once; one more is a 503 with Retry-After (a cached one is always served). 0: no bound.",
    )
    report_processes: int = Field(
        default=0, ge=0,
        description="Worker processes that compute the reports of an embedded store, so the server's own process stays responsive "
                    "(chainx serve: as many as CHAINX_MAX_CONCURRENT_REPORTS unless set). 0: reports computed on the server's threads.",
    )
    cache_size: int = Field(default=128, ge=0, description="Analysis results kept per app (LRU); 0 turns caching off.")
    max_centrality_seconds: float = Field(
        default=P.MAX_SECONDS.default,
        ge=P.MAX_SECONDS.minimum,
        le=P.MAX_SECONDS.maximum,
        description="Refuse exact betweenness/closeness/harmonic centrality estimated to take longer (422).",
    )
    max_ties_seconds: float = Field(
        default=P.MAX_TIES_SECONDS.default, ge=P.MAX_TIES_SECONDS.minimum, le=P.MAX_TIES_SECONDS.maximum,
        description=P.MAX_TIES_SECONDS.help + " (422 with the estimate).",
    )
    max_listed_items: int = Field(
        default=P.MAX_LISTED_ITEMS.default, ge=P.MAX_LISTED_ITEMS.minimum, le=P.MAX_LISTED_ITEMS.maximum,
        description=P.MAX_LISTED_ITEMS.help + " (422 with the estimate).",
    )
    store_retry_seconds: float = Field(
        default=1.0, ge=0, description="After a failed attempt to open the store, wait this long before the next."
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_unset(cls, value):
        # CHAINX_API_KEY= (set but empty) must not turn into a key that an empty header matches
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def writes_enabled(self) -> bool:
        return self.api_key is not None
