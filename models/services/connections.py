"""Connections: list, create ("Save" or "Authorize"), edit, (re)authorize, revoke, delete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from models import credentials, events, limits, revocation, source_hooks
from models.actors import Actor
from models.authorization import start_authorization
from models.catalog import Connector, get_connector
from models.connection_settings import ParsedSettings, parse_settings
from models.errors import DomainError, InvalidInput, InvalidState, NameTaken
from models.lifecycle import (
    AUTHORIZABLE,
    REVOCABLE,
    ActivityKind,
    ActivityStatus,
    ConnectionStatus,
    check_connection_transition,
)
from models.oauth_endpoints import resolve_oauth
from models.pagination import Page, paginate
from models.services import activities, inbound, jobs
from models.services.lookups import get_connection, visible_connections
from models.tables import Connection, ConnectionLimit

MAX_NAME = 200


@dataclass
class AuthorizationStart:
    connection: Connection
    authorization_url: str | None
    # A secret shown once (a webhook's signing secret, an inbound access key) and its address.
    issued: inbound.IssuedCredential | None = None


async def list_connections(
    actor: Actor,
    *,
    search: str | None = None,
    connector_key: str | None = None,
    status: ConnectionStatus | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Connection]:
    query = visible_connections(actor)
    if search:
        query = query.filter(name_key__contains=search.strip().casefold())
    if connector_key:
        query = query.filter(connector_key=connector_key.upper())
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, first, after)


async def create_connection(
    actor: Actor, connector_key: str, name: str, settings: dict[str, Any] | None
) -> AuthorizationStart:
    actor.require_admin()
    connector = get_connector(connector_key)
    name = _clean_name(name)
    parsed = parse_settings(connector, settings)
    oauth_login = connector.requires_authorization and connector.oauth is not None
    if oauth_login:
        resolve_oauth(connector, parsed.plain)  # refuse now, before anything is written
    account = None if connector.requires_authorization else await _check(actor, connector, parsed)
    connection = Connection(
        id=uuid.uuid4(),
        tenant=actor.tenant,
        name=name,
        name_key=name.casefold(),
        connector_key=connector.key,
        settings=parsed.plain,
        source_account=account,
        created_by=actor.user,
    )
    connection.secrets = credentials.seal_all(connection, parsed.secrets)
    if connector.requires_authorization:
        connection.status = ConnectionStatus.PENDING_AUTHORIZATION
    else:
        connection.status = ConnectionStatus.ACTIVE
        connection.authorized_at = activities.now()
    async with in_transaction():
        await _lock_tenant(actor.tenant)
        await limits.check_can_add(actor.tenant, connector)
        await _check_name_free(actor.tenant, name)
        await connection.save()
    await _record(
        ActivityKind.CONNECTION_CREATED,
        actor,
        connection,
        message=f"{actor.user} created the {connector.name} connection {name!r}.",
    )
    if connection.status is ConnectionStatus.ACTIVE:
        await jobs.create_default_jobs(connection, actor)
    url = await start_authorization(connection, actor) if oauth_login else None
    issued = await inbound.on_create(connection, actor)
    await events.connection_changed(connection.tenant, connection.id)
    return AuthorizationStart(connection, url, issued)


async def update_connection(
    actor: Actor, connection_id: str, name: str | None, settings: dict[str, Any] | None
) -> Connection:
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    connector = get_connector(connection.connector_key)
    changed: list[str] = []
    if settings:
        secret_given = sorted(set(settings) & connector.secret_settings)
        if secret_given:
            raise InvalidInput(
                f"{secret_given[0]!r} is a credential: replace credentials with "
                "reauthorizeConnection(id, settings), which checks them at the source first.",
                field=["settings", secret_given[0]],
            )
        parsed = parse_settings(
            connector,
            settings,
            existing=connection.settings,
            existing_secrets=frozenset(credentials.names_set(connection)),
        )
        changed += [k for k in settings if connection.settings.get(k) != parsed.plain.get(k)]
        connection.settings = parsed.plain
    if name is not None:
        new_name = _clean_name(name)
        if new_name.casefold() != connection.name_key:
            await _check_name_free(actor.tenant, new_name)
        if new_name != connection.name:
            changed.append("name")
        connection.name, connection.name_key = new_name, new_name.casefold()
    await connection.save()
    await _record(
        ActivityKind.CONNECTION_UPDATED,
        actor,
        connection,
        message=f"{actor.user} changed {', '.join(changed) or 'nothing'}.",
    )
    await events.connection_changed(connection.tenant, connection.id)
    return connection


async def delete_connection(actor: Actor, connection_id: str) -> str:
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    await jobs.cancel_active_runs(connection, reason="its connection was deleted")
    deleted_id = str(connection.id)
    await _record(
        ActivityKind.CONNECTION_DELETED,
        actor,
        connection,
        message=f"{actor.user} deleted the connection {connection.name!r}.",
    )
    await connection.delete()
    return deleted_id


async def authorize_connection(actor: Actor, connection_id: str) -> AuthorizationStart:
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    connector = get_connector(connection.connector_key)
    if connector.inbound is not None and connector.requires_authorization:
        return AuthorizationStart(connection, None, await inbound.issue(actor, connection))
    if connector.oauth is None or not connector.requires_authorization:
        raise InvalidState(
            f"{connector.name} connections do not log in at the source; to replace their "
            "credentials use reauthorizeConnection(id, settings).",
        )
    if connection.status not in AUTHORIZABLE:
        raise InvalidState(
            f"This connection is {connection.status.value} and needs no authorization; use "
            "reauthorizeConnection to log in with another account."
        )
    return AuthorizationStart(connection, await start_authorization(connection, actor))


async def revoke_connection(actor: Actor, connection_id: str) -> Connection:
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    if connection.status not in REVOCABLE:
        raise InvalidState(
            f"This connection is {connection.status.value}; only an active connection or one "
            "that needs reauthorization can be revoked."
        )
    await jobs.cancel_active_runs(connection, reason="its connection was revoked")
    outcome = await revocation.revoke_at_source(connection)
    check_connection_transition(connection.status, ConnectionStatus.REVOKED)
    await credentials.replace_if_version(
        connection,
        connection.credential_version,
        {},
        status=ConnectionStatus.REVOKED,
        token_expires_at=None,
    )
    await _record(
        ActivityKind.CONNECTION_REVOKED,
        actor,
        connection,
        message=f"{actor.user} revoked the connection. {outcome}",
    )
    await events.connection_changed(connection.tenant, connection.id)
    return connection


async def reauthorize_connection(
    actor: Actor,
    connection_id: str,
    settings: dict[str, Any] | None,
    *,
    allow_account_change: bool = False,
) -> AuthorizationStart:
    actor.require_admin()
    connection = await get_connection(actor, connection_id)
    connector = get_connector(connection.connector_key)
    if connector.oauth is not None and connector.requires_authorization:
        parsed = parse_settings(connector, settings, existing=connection.settings)
        url = await start_authorization(
            connection,
            actor,
            reauthorize=True,
            allow_account_change=allow_account_change,
            pending_settings=parsed.plain,
        )
        return AuthorizationStart(connection, url)
    if connector.inbound is not None:
        issued = await inbound.issue(actor, connection, reissue=True)
        return AuthorizationStart(connection, None, issued)
    await _replace_key_credentials(actor, connection, connector, settings, allow_account_change)
    return AuthorizationStart(connection, None)


async def _replace_key_credentials(
    actor: Actor,
    connection: Connection,
    connector: Connector,
    settings: dict[str, Any] | None,
    allow_account_change: bool,
) -> None:
    """New settings and secrets for a key-based connection, checked before the old ones go."""
    parsed = parse_settings(connector, settings, existing=connection.settings)
    old_secrets = credentials.secret_settings(connection)
    parsed.secrets = {**old_secrets, **parsed.secrets}
    try:
        account = await _check(actor, connector, parsed)
        _refuse_account_switch(connection, account, allow_account_change)
    except DomainError as error:
        await _record(
            ActivityKind.CONNECTION_REAUTHORIZED,
            actor,
            connection,
            status=ActivityStatus.FAILED,
            error=error.message,
            message="The new credentials were refused; the old ones stay in place.",
        )
        raise
    first_activation = connection.authorized_at is None
    check_connection_transition(connection.status, ConnectionStatus.ACTIVE)
    connection.settings = parsed.plain
    await credentials.replace_if_version(
        connection,
        connection.credential_version,
        credentials.seal_all(connection, parsed.secrets),
        settings=parsed.plain,
        status=ConnectionStatus.ACTIVE,
        source_account=account or connection.source_account,
        authorized_at=activities.now(),
    )
    await _record(
        ActivityKind.CONNECTION_REAUTHORIZED,
        actor,
        connection,
        message=f"{actor.user} replaced the credentials; they were checked at {connector.name}.",
    )
    if first_activation:
        await jobs.create_default_jobs(connection, actor)
    await events.connection_changed(connection.tenant, connection.id)


def _refuse_account_switch(connection: Connection, account: str | None, allowed: bool) -> None:
    if allowed or not account or not connection.source_account:
        return
    if account != connection.source_account:
        raise InvalidInput(
            "These credentials belong to another account at the source "
            f"({account}, not {connection.source_account}); mixing two accounts' data in one "
            "connection is refused. Pass allowAccountChange: true if you mean to switch.",
            field=["settings"],
        )


async def _check(actor: Actor, connector: Connector, parsed: ParsedSettings) -> str | None:
    return await source_hooks.run_check(
        source_hooks.CheckInput(
            tenant=actor.tenant,
            connector_key=connector.key,
            settings=parsed.plain,
            secrets=parsed.secrets,
        )
    )


def _clean_name(name: str | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise InvalidInput("Give the connection a name.", field=["name"])
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"Names are at most {MAX_NAME} characters.", field=["name"])
    return cleaned


async def _check_name_free(tenant: str, name: str) -> None:
    if await Connection.filter(tenant=tenant, name_key=name.casefold()).exists():
        raise NameTaken(
            f"Your organization already has a connection named {name!r}; pick another name.",
            field=["name"],
        )


async def _lock_tenant(tenant: str) -> None:
    """Serialize connection creation per tenant, so limits hold under concurrent requests."""
    connection = Connection._meta.db
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [tenant])


async def set_connection_limit(
    actor: Actor, tenant: str, connector_key: str, max_connections: int
) -> ConnectionLimit:
    """Platform support raises (or lowers) how many connections of a connector a tenant may have."""
    actor.require_support()
    connector = get_connector(connector_key)
    if not tenant.strip():
        raise InvalidInput("Name the tenant whose limit to change.", field=["tenant"])
    if max_connections < 0:
        raise InvalidInput("`maxConnections` must be 0 or more.", field=["maxConnections"])
    return await limits.set_limit(tenant.strip(), connector, max_connections, actor.user)


async def _record(kind: ActivityKind, actor: Actor, connection: Connection, **fields: Any) -> None:
    """The activity of a change an actor made to a connection."""
    await activities.record(
        kind, tenant=actor.tenant, actor=actor.user, connection=connection, **fields
    )
