"""OAuth authorization at the source system: the login URL (state, PKCE), then the callback.

The `state` is a random id stored in `oauth_states` plus an HMAC over it, the tenant, the
connection and the user, so it cannot be forged or moved to another connection; it expires
after STATE_TTL and is accepted once (the callback marks it used, atomically).

`complete_authorization` is the callback: it checks the state, exchanges the code (with the
PKCE verifier), reads what the vendor's token response tells (models.oauth_quirks), refuses
another source account unless the caller allowed it, stores the tokens sealed and makes the
connection ACTIVE. Every failure leaves the connection as it was and records a FAILED activity.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from models import credentials, events, oauth_client, tokens
from models import logging as logs
from models import settings as config
from models.actors import Actor
from models.catalog import Connector, get_connector
from models.errors import DomainError
from models.lifecycle import (
    ActivityKind,
    ActivityStatus,
    ConnectionStatus,
    check_connection_transition,
)
from models.oauth_endpoints import resolve_oauth
from models.oauth_quirks import Inspection, TokenContext, quirks_for
from models.services import activities, jobs
from models.services.activities import now
from models.tables import Connection, OAuthState

STATE_TTL = timedelta(minutes=10)


def sign_state(state_id: str, tenant: str, connection_id: str, user: str) -> str:
    message = "\x1f".join((state_id, tenant, connection_id, user)).encode()
    key = config.current().resolved_jwt_secret.encode()
    return hmac.new(key, b"oauth-state:" + message, hashlib.sha256).hexdigest()[:32]


async def start_authorization(
    connection: Connection,
    actor: Actor,
    *,
    reauthorize: bool = False,
    allow_account_change: bool = False,
    pending_settings: dict[str, object] | None = None,
) -> str:
    """Record a new authorization attempt and return the source system's login URL."""
    connector = get_connector(connection.connector_key)
    oauth = resolve_oauth(connector, {**connection.settings, **(pending_settings or {})})
    state_id = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64) if connector.oauth and connector.oauth.pkce else None
    state_row = OAuthState(
        id=state_id,
        tenant=connection.tenant,
        connection=connection,
        user=actor.user,
        reauthorize=reauthorize,
        allow_account_change=allow_account_change,
        pending_settings=pending_settings,
        expires_at=now() + STATE_TTL,
    )
    if verifier:
        state_row.sealed_verifier = credentials.seal_all(connection, {"pkce:" + state_id: verifier})
    await state_row.save()
    state = f"{state_id}.{sign_state(state_id, connection.tenant, str(connection.id), actor.user)}"
    params = dict(connector.oauth.authorize_params) if connector.oauth else {}
    if verifier:
        params.update(
            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256"
        )
    return prepare_grant_uri(
        oauth.authorize_url,
        oauth.client_id,
        "code",
        redirect_uri=oauth.redirect_uri,
        scope=oauth.scope,
        state=state,
        **params,
    )


# ---- the callback ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackResult:
    """What the browser is told; never a token, a code or a secret."""

    ok: bool
    message: str
    connection_name: str | None = None


class CallbackFailed(Exception):
    """The authorization did not complete; `message` says why, in words for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def complete_authorization(
    state: str | None, code: str | None, error: str | None, error_description: str | None
) -> CallbackResult:
    """Finish the flow the source system redirected back to `/oauth/callback`."""
    row = await _state_row(state)
    if row is None:
        return CallbackResult(
            False, "This authorization link is not valid. Start again from the console."
        )
    connection = row.connection
    logs.bind(tenant=row.tenant, user=row.user, connection_id=connection.id)
    try:
        await _accept_state(row)
        if error or not code:
            raise CallbackFailed(_refusal(connection, error, error_description))
        await _authorize(row, connection, code)
    except CallbackFailed as exc:
        await _record_failure(row, connection, exc.message)
        return CallbackResult(False, exc.message, connection.name)
    return CallbackResult(True, _success(connection, row), connection.name)


async def _state_row(state: str | None) -> OAuthState | None:
    state_id, _, signature = (state or "").partition(".")
    if not state_id or not signature or len(state_id) > 64:
        return None
    row = await OAuthState.get_or_none(id=state_id).prefetch_related("connection")
    if row is None:
        return None
    expected = sign_state(row.id, row.tenant, str(row.connection_id), row.user)
    if not hmac.compare_digest(expected, signature) or row.connection.tenant != row.tenant:
        return None  # forged or moved: nothing of it is trusted, nothing is recorded
    return row


async def _accept_state(row: OAuthState) -> None:
    used = await OAuthState.filter(id=row.id, used_at=None).update(used_at=now())
    if not used:
        raise CallbackFailed(
            "This authorization link was already used. Start a new authorization from the console."
        )
    if row.expires_at <= now():
        raise CallbackFailed(
            "This authorization link has expired (they last "
            f"{int(STATE_TTL.total_seconds() // 60)} minutes). Start a new one from the console."
        )


def _refusal(connection: Connection, error: str | None, description: str | None) -> str:
    connector = get_connector(connection.connector_key)
    if error == "access_denied":
        why = "access was denied at the login page"
    else:
        why = f"{connector.name} answered {(error or 'without a code')[:80]}"
    detail = f" ({description.strip()[:300]})" if description and description.strip() else ""
    return f"{connector.name} did not authorize the connection: {why}{detail}."


async def _authorize(row: OAuthState, connection: Connection, code: str) -> None:
    connector = get_connector(connection.connector_key)
    values = {**connection.settings, **(row.pending_settings or {})}
    try:
        oauth = resolve_oauth(connector, values)
        issued = now()
        token = await oauth_client.exchange_code(connector, oauth, code, _verifier(row, connection))
        inspection = await _inspect(connector, values, token, issued)
    except oauth_client.TokenRefused as exc:
        raise CallbackFailed(f"{connector.name} refused the authorization code: {exc}.") from None
    except oauth_client.SourceUnreachable as exc:
        raise CallbackFailed(
            f"{connector.name} could not be reached to finish the authorization ({exc}); try again."
        ) from None
    except DomainError as exc:
        raise CallbackFailed(exc.message) from None
    _refuse_account_switch(connector, connection, row, inspection.account)
    await _store(row, connection, connector, values, token, inspection, issued)


def _verifier(row: OAuthState, connection: Connection) -> str | None:
    if not row.sealed_verifier:
        return None
    name = "pkce:" + row.id
    return credentials.vault().open(
        row.sealed_verifier[name],
        tenant=connection.tenant,
        connection_id=str(connection.id),
        field=name,
    )


async def _inspect(
    connector: Connector, values: dict[str, Any], token: dict[str, Any], issued: Any
) -> Inspection:
    try:
        async with httpx2.AsyncClient(timeout=oauth_client.TIMEOUT) as http:
            context = TokenContext(connector, values, token, issued, http)
            return await quirks_for(connector.key).inspect(context)
    except httpx2.HTTPStatusError as exc:
        raise oauth_client.SourceUnreachable(
            f"it answered HTTP {exc.response.status_code} when asked about the account"
        ) from None
    except (httpx2.TransportError, ValueError, KeyError, TypeError) as exc:
        raise oauth_client.SourceUnreachable(
            f"its account details could not be read ({type(exc).__name__})"
        ) from None


def _refuse_account_switch(
    connector: Connector, connection: Connection, row: OAuthState, account: str | None
) -> None:
    if row.allow_account_change or not account or not connection.source_account:
        return
    if account != connection.source_account:
        raise CallbackFailed(
            f"You logged in to another {connector.name} account ({account}, not "
            f"{connection.source_account}); mixing two accounts' data in one connection is "
            "refused. Reauthorize with allowAccountChange: true if you mean to switch."
        )


async def _store(
    row: OAuthState,
    connection: Connection,
    connector: Connector,
    values: dict[str, Any],
    token: dict[str, Any],
    inspection: Inspection,
    issued: Any,
) -> None:
    await connection.refresh_from_db()
    try:
        check_connection_transition(connection.status, ConnectionStatus.ACTIVE)
    except DomainError as exc:
        raise CallbackFailed(exc.message) from None
    first_activation = connection.authorized_at is None
    if inspection.expires_in is not None:
        token = {**token, "expires_in": inspection.expires_in}
    # The new tokens replace whatever is there, even if a refresh wrote a moment ago.
    stored = await credentials.replace_if_version(
        connection,
        connection.credential_version,
        tokens.sealed_grant(connection, token, inspection.extras),
        settings=values,
        status=ConnectionStatus.ACTIVE,
        token_expires_at=tokens.expiry(token, issued),
        source_account=inspection.account or connection.source_account,
        authorized_at=now(),
    )
    if not stored:
        raise CallbackFailed("The connection changed while you logged in; start again.")
    await activities.record(
        _kind(row),
        tenant=connection.tenant,
        actor=row.user,
        connection=connection,
        message=_success(connection, row),
    )
    if first_activation:
        await jobs.create_default_jobs(connection, _actor(row))
    await events.connection_changed(connection.tenant, connection.id)


def _kind(row: OAuthState) -> ActivityKind:
    if row.reauthorize:
        return ActivityKind.CONNECTION_REAUTHORIZED
    return ActivityKind.CONNECTION_AUTHORIZED


def _success(connection: Connection, row: OAuthState) -> str:
    connector = get_connector(connection.connector_key)
    verb = "reauthorized" if row.reauthorize else "authorized"
    account = f" (account {connection.source_account})" if connection.source_account else ""
    return f"{row.user} {verb} the {connector.name} connection {connection.name!r}{account}."


async def _record_failure(row: OAuthState, connection: Connection, message: str) -> None:
    await activities.record(
        _kind(row),
        tenant=connection.tenant,
        actor=row.user,
        connection=connection,
        status=ActivityStatus.FAILED,
        message="The authorization did not complete; the connection was left as it was.",
        error=message,
    )
    await events.connection_changed(connection.tenant, connection.id)


def _actor(row: OAuthState) -> Actor:
    return Actor(user=row.user, tenant=row.tenant, roles=frozenset({"admin"}))
