"""Settings: `CONNECTORS_*` environment variables over an optional TOML file (`CONNECTORS_CONFIG`).

Unset, the service runs on its embedded default: a SQLite file and an embedded Redis under
`data_dir`, with a development JWT secret and encryption key generated there on first use.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class ConnectorOverrides(BaseModel):
    """The platform's OAuth app at one source system, and endpoint overrides (proxies, fakes)."""

    client_id: str | None = None
    client_secret: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    revoke_url: str | None = None
    api_url: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONNECTORS_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path(".connectors")
    database_url: str | None = None
    redis_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    jwt_secret: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    encryption_keys: str | None = None
    allow_private_hosts: bool = False
    log_format: Literal["json", "console"] | None = None
    log_level: str = "INFO"
    graphiql: bool = True
    tracing: bool = False
    token_refresh_margin_seconds: int = 600
    # The worker tests ACTIVE connections not tested or used for this long; 0 turns it off.
    connection_test_interval_hours: int = 24
    connectors: dict[str, ConnectorOverrides] = {}

    @field_validator("jwt_secret", mode="after")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("jwt_secret must be at least 16 characters; use a random string.")
        return value

    @field_validator("connectors", mode="before")
    @classmethod
    def _merge_keys(cls, value: Any) -> Any:
        """Environment names arrive lower-cased (`sfdc`), the TOML file's as written (`SFDC`):
        fold them onto one upper-case key, field by field, the environment's fields winning."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, dict[str, Any]] = {}
        for key, fields in sorted(value.items(), key=lambda item: item[0].isupper()):
            current = merged.setdefault(key.upper(), {})
            if isinstance(fields, ConnectorOverrides):
                fields = fields.model_dump(exclude_none=True)
            for name, field_value in fields.items():
                current.setdefault(name, field_value)
        return merged

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("CONNECTORS_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    def overrides(self, connector_key: str) -> ConnectorOverrides:
        return self.connectors.get(connector_key.upper(), ConnectorOverrides())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.data_dir.resolve() / 'connectors.sqlite3'}"

    @property
    def resolved_jwt_secret(self) -> str:
        return self.jwt_secret or self._dev_secret("dev-jwt-secret")

    @property
    def encryption_key_list(self) -> list[str]:
        if self.encryption_keys:
            return [key.strip() for key in self.encryption_keys.split(",") if key.strip()]
        return [self._dev_secret("dev-encryption-key")]

    def _dev_secret(self, name: str) -> str:
        """A development secret kept in `data_dir`, so restarts can still read what was stored."""
        path = self.data_dir / name
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


_current: Settings | None = None


def current() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def configure(**values: Any) -> Settings:
    """Replace the process-wide settings; explicit values win over the environment."""
    global _current
    _current = Settings(**values)
    return _current
