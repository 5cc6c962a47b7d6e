"""A connection's credentials: secret settings and OAuth tokens, sealed in `Connection.secrets`.

Token fields are kept under an `oauth.` prefix beside the connector's secret settings. Every
write bumps `credential_version`; `replace_if_version` writes only over the version it read,
so two workers refreshing one connection cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from models import settings as config
from models.tables import Connection
from models.vault import SealedValue, Vault

TOKEN_PREFIX = "oauth."


@lru_cache(maxsize=4)
def _vault_for(keys: tuple[str, ...]) -> Vault:
    return Vault(list(keys))


def vault() -> Vault:
    return _vault_for(tuple(config.current().encryption_key_list))


def seal_all(connection: Connection, values: dict[str, str]) -> dict[str, SealedValue]:
    box = vault()
    return {
        name: box.seal(
            value, tenant=connection.tenant, connection_id=str(connection.id), field=name
        )
        for name, value in values.items()
    }


def open_all(connection: Connection) -> dict[str, str]:
    box = vault()
    return {
        name: box.open(
            sealed, tenant=connection.tenant, connection_id=str(connection.id), field=name
        )
        for name, sealed in (connection.secrets or {}).items()
    }


def secret_settings(connection: Connection) -> dict[str, str]:
    return {k: v for k, v in open_all(connection).items() if not k.startswith(TOKEN_PREFIX)}


def tokens(connection: Connection) -> dict[str, str]:
    return {
        k.removeprefix(TOKEN_PREFIX): v
        for k, v in open_all(connection).items()
        if k.startswith(TOKEN_PREFIX)
    }


def names_set(connection: Connection) -> list[str]:
    """Names of secret settings holding a value; never the values, never the tokens."""
    return sorted(k for k in (connection.secrets or {}) if not k.startswith(TOKEN_PREFIX))


def sealed_tokens(connection: Connection, token_values: dict[str, str]) -> dict[str, SealedValue]:
    return seal_all(connection, {TOKEN_PREFIX + k: v for k, v in token_values.items() if v})


async def replace_if_version(
    connection: Connection,
    read_version: int,
    secrets: dict[str, SealedValue],
    **fields: Any,
) -> bool:
    """Store new sealed credentials unless someone else stored newer ones since `read_version`."""
    changed = await Connection.filter(id=connection.id, credential_version=read_version).update(
        secrets=secrets, credential_version=read_version + 1, **fields
    )
    await connection.refresh_from_db()
    return bool(changed)


def expiry_from(token: dict[str, Any], issued: datetime) -> datetime | None:
    expires_in = token.get("expires_in")
    if expires_in in (None, ""):
        return None
    return issued + timedelta(seconds=int(expires_in))
