"""Settings: environment variables over the TOML file named by CONNECTORS_CONFIG."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from models.settings import Settings


def test_toml_file_with_environment_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "connectors.toml"
    config.write_text(
        'public_url = "https://hub.example.com"\n'
        'log_format = "console"\n'
        "[connectors.SFDC]\n"
        'client_id = "from-file"\n'
        'api_url = "https://proxy.example.com"\n'
    )
    monkeypatch.setenv("CONNECTORS_CONFIG", str(config))
    monkeypatch.setenv("CONNECTORS_LOG_FORMAT", "json")
    monkeypatch.setenv("CONNECTORS_CONNECTORS__SFDC__CLIENT_SECRET", "from-env")
    settings = Settings()
    assert settings.public_url == "https://hub.example.com"
    assert settings.log_format == "json"
    assert settings.overrides("SFDC").client_id == "from-file"
    assert settings.overrides("sfdc").client_secret == "from-env"
    assert settings.overrides("SFDC").api_url == "https://proxy.example.com"


def test_embedded_default_is_a_sqlite_file_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECTORS_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONNECTORS_REDIS_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite://{tmp_path.resolve()}/connectors.sqlite3"
    assert settings.redis_url is None


def test_development_secrets_survive_a_restart(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path)
    second = Settings(data_dir=tmp_path)
    assert first.resolved_jwt_secret == second.resolved_jwt_secret
    assert first.encryption_key_list == second.encryption_key_list


def test_encryption_keys_are_comma_separated_newest_first() -> None:
    settings = Settings(encryption_keys="new-key, old-key")
    assert settings.encryption_key_list == ["new-key", "old-key"]


def test_a_short_jwt_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(jwt_secret="short")
