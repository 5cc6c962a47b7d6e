"""A connection's OAuth access token, refreshed ahead of expiry, one refresher at a time.

What source clients call:
- `await access_token(connection)`: a usable access token (refreshed first when it expires
  within `token_refresh_margin_seconds`);
- `await refresh(connection, force=True)`: after the source answered 401, then retry once;
- `api_base_url(connection)`: the API base, with token extras such as Salesforce's
  `instance_url` or Atlassian's cloud id filled in and the operator's `api_url` override applied.

Errors: `TokenUnavailable` is transient (the token endpoint was unreachable or failed): retry
later, the connection stays ACTIVE. `ReauthorizationRequired` means the source refused for good
(`invalid_grant`): the connection is NEEDS_REAUTHORIZATION and a FAILED TOKEN_REFRESH activity
says why.

Single flight: a Redis lock per connection serializes refreshers across workers, and the
write goes only over the `credential_version` that was read, so a refresher that waited on
the lock, or lost a race, re-reads and uses the winner's tokens instead of refreshing again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import LockError

from models import credentials, events, metrics, oauth_client
from models import settings as config
from models.catalog import Connector, get_connector
from models.errors import ConnectionNotActive
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus
from models.oauth_endpoints import api_base, resolve_oauth
from models.services import activities
from models.tables import Connection
from models.vault import SealedValue

EXTRA = "extra."  # token extras (instance_url, api_domain, cloud_id...) among the token fields
LOCK_TIMEOUT = 60  # seconds a dead refresher can hold the lock
LOCK_WAIT = 30  # seconds a refresher waits for another one to finish


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or failed; retry later."""


class ReauthorizationRequired(ConnectionNotActive):
    """The source refused the refresh for good; an admin must authorize the connection again."""


# ---- what source clients read -----------------------------------------------------------


async def access_token(connection: Connection) -> str:
    """A usable access token of `connection`, refreshed first when it is about to expire."""
    _require_active(connection)
    if expiring(connection):
        try:
            await refresh(connection)
        except TokenUnavailable:
            if _expired(connection):
                raise
            # Still valid for a while: use it; the sweep will try again.
    token = credentials.tokens(connection).get("access_token")
    if not token:
        raise ConnectionNotActive(
            f"The connection {connection.name!r} holds no access token; authorize it again."
        )
    return token


def token_extras(connection: Connection) -> dict[str, str]:
    """Non-secret values the token response named: instance_url, api_domain, cloud_id..."""
    return {
        k.removeprefix(EXTRA): v
        for k, v in credentials.tokens(connection).items()
        if k.startswith(EXTRA)
    }


def source_values(connection: Connection) -> dict[str, Any]:
    """The connection's settings with its token extras: what URL templates are filled from."""
    return {**connection.settings, **token_extras(connection)}


def api_base_url(connection: Connection) -> str:
    connector = get_connector(connection.connector_key)
    return api_base(connector, source_values(connection))


def expiring(connection: Connection, margin: timedelta | None = None) -> bool:
    if connection.token_expires_at is None:
        return False
    if margin is None:
        margin = timedelta(seconds=config.current().token_refresh_margin_seconds)
    return connection.token_expires_at <= activities.now() + margin


def sealed_grant(
    connection: Connection, token: dict[str, Any], extras: dict[str, str]
) -> dict[str, SealedValue]:
    """The connection's secret settings plus a new set of tokens and extras, sealed."""
    kept = credentials.secret_settings(connection)
    fields = {
        "access_token": str(token["access_token"]),
        "refresh_token": str(token.get("refresh_token") or ""),
        **{EXTRA + k: v for k, v in extras.items() if v},
    }
    return {
        **credentials.seal_all(connection, kept),
        **credentials.sealed_tokens(connection, fields),
    }


def expiry(token: dict[str, Any], issued: datetime) -> datetime | None:
    return credentials.expiry_from(token, issued)


# ---- refresh ------------------------------------------------------------------------------


async def refresh(connection: Connection, *, force: bool = False) -> Connection:
    """Refresh the tokens of `connection` (single-flight across workers); returns it reloaded."""
    seen_version = connection.credential_version
    if not credentials.tokens(connection).get("refresh_token"):
        return connection  # Intercom, SurveyMonkey: long-lived tokens, nothing to refresh
    if not force and not expiring(connection):
        return connection
    lock = events.bus().redis.lock(
        f"connections-hub:token-refresh:{connection.id}",
        timeout=LOCK_TIMEOUT,
        blocking_timeout=LOCK_WAIT,
    )
    try:
        async with lock:
            await connection.refresh_from_db()
            if connection.credential_version != seen_version:
                return connection  # another refresher (or a new authorization) got there first
            _require_active(connection)
            await _refresh_locked(connection, get_connector(connection.connector_key))
    except LockError as exc:
        raise TokenUnavailable("another refresh of this connection is taking too long") from exc
    return connection


async def _refresh_locked(connection: Connection, connector: Connector) -> None:
    read_version = connection.credential_version
    current = credentials.tokens(connection)
    oauth = resolve_oauth(connector, source_values(connection))
    issued = activities.now()
    try:
        token = await oauth_client.refresh_token(connector, oauth, current["refresh_token"])
    except oauth_client.TokenRefused as exc:
        metrics.token_refreshed("refused" if exc.for_good else "failed", connector=connector.key)
        if not exc.for_good:
            raise TokenUnavailable(f"{connector.name} refused the refresh for now: {exc}") from None
        await _refused(connection, connector, read_version, exc)
        return
    except oauth_client.SourceUnreachable as exc:
        metrics.token_refreshed("failed", connector=connector.key)
        raise TokenUnavailable(f"{connector.name}: {exc}") from None
    metrics.token_refreshed("succeeded", connector=connector.key)
    extras = token_extras(connection)
    # A refresh may move the API host (Salesforce instance_url, Pipedrive api_domain).
    extras.update({k: str(token[k]) for k in extras if token.get(k)})
    token.setdefault("refresh_token", current["refresh_token"])  # no rotation: keep the old one
    await credentials.replace_if_version(
        connection,
        read_version,
        sealed_grant(connection, token, extras),
        token_expires_at=expiry(token, issued),
    )


async def _refused(
    connection: Connection,
    connector: Connector,
    read_version: int,
    exc: oauth_client.TokenRefused,
) -> None:
    await connection.refresh_from_db()
    if connection.credential_version != read_version:
        return  # another worker rotated the refresh token a moment ago: theirs is good
    if not await mark_needs_reauthorization(connection, read_version):
        return
    await activities.record(
        ActivityKind.TOKEN_REFRESH,
        tenant=connection.tenant,
        actor="system",
        connection=connection,
        status=ActivityStatus.FAILED,
        message=f"{connector.name} refused to refresh the access token; authorize the "
        "connection again to resume its jobs.",
        error=str(exc),
    )
    await events.connection_changed(connection.tenant, connection.id)
    raise ReauthorizationRequired(
        f"{connector.name} refused to refresh the token ({exc.error}); an admin must authorize "
        f"the connection {connection.name!r} again."
    )


async def mark_needs_reauthorization(connection: Connection, read_version: int) -> bool:
    """ACTIVE -> NEEDS_REAUTHORIZATION, unless its credentials changed since `read_version`
    was read (a new authorization arrived: that one is good). True when this call changed it;
    the caller records why and tells subscribers."""
    changed = await Connection.filter(
        id=connection.id, credential_version=read_version, status=ConnectionStatus.ACTIVE
    ).update(status=ConnectionStatus.NEEDS_REAUTHORIZATION, updated_at=activities.now())
    await connection.refresh_from_db()
    return bool(changed)


def _require_active(connection: Connection) -> None:
    if connection.status is ConnectionStatus.NEEDS_REAUTHORIZATION:
        raise ReauthorizationRequired(
            f"The connection {connection.name!r} needs to be authorized again."
        )
    if connection.status is not ConnectionStatus.ACTIVE:
        raise ConnectionNotActive(
            f"The connection {connection.name!r} is {connection.status.value}; authorize it first."
        )


def _expired(connection: Connection) -> bool:
    return expiring(connection, margin=timedelta(seconds=0))
