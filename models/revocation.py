"""Revoking a connection's tokens at the source system: RFC 7009, or the vendor's own way.

The caller drops the tokens here whatever this answers: a failed revocation at the source is
reported in the returned sentence (which goes into the activity), never raised.
"""

from __future__ import annotations

import httpx2

from models import credentials, oauth_client, tokens
from models.catalog import get_connector
from models.errors import DomainError
from models.oauth_endpoints import ResolvedOAuth, resolve_oauth
from models.oauth_quirks import RevokeContext, quirks_for
from models.tables import Connection


async def revoke_at_source(connection: Connection) -> str:
    """Revoke what the source lets us revoke; returns a sentence for the activity log."""
    connector = get_connector(connection.connector_key)
    held = credentials.tokens(connection)
    if connector.oauth is None or not held.get("access_token"):
        return "There were no OAuth tokens to revoke at the source; credentials were dropped here."
    quirks = quirks_for(connector.key)
    try:
        oauth = resolve_oauth(connector, {**tokens.source_values(connection), **held})
        async with httpx2.AsyncClient(timeout=oauth_client.TIMEOUT) as http:
            context = RevokeContext(connector, oauth, held, connection.settings, http)
            if quirks.revoke is not None:
                outcome = await quirks.revoke(context)
            elif oauth.revoke_url:
                outcome = await _rfc7009(context, oauth)
            else:
                return (
                    f"{connector.name} offers no revocation endpoint; the tokens were dropped "
                    "here (a user can also remove the app in their account)."
                )
    except (httpx2.HTTPError, oauth_client.TokenRefused, DomainError) as exc:
        return (
            f"Revoking at {connector.name} failed ({_why(exc)}); the tokens were dropped here "
            "anyway."
        )
    return f"{outcome} The tokens were dropped here."


async def _rfc7009(context: RevokeContext, oauth: ResolvedOAuth) -> str:
    """RFC 7009: revoke the refresh token (its access tokens go along), else the access one."""
    oauth_client.check_host(oauth.revoke_url or "")
    hint = "refresh_token" if context.tokens.get("refresh_token") else "access_token"
    async with oauth_client.session(context.connector, oauth) as client:
        response = await client.revoke_token(
            oauth.revoke_url, token=context.tokens[hint], token_type_hint=hint
        )
    response.raise_for_status()
    return f"{context.connector.name} revoked the {hint.replace('_', ' ')}."


def _why(exc: Exception) -> str:
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, DomainError):
        return exc.message
    return type(exc).__name__ if isinstance(exc, httpx2.HTTPError) else str(exc)
