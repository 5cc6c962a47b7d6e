"""Starting an OAuth authorization at the source system: state, PKCE and the login URL.

The `state` is a random id stored in `oauth_states` plus an HMAC over it, the tenant, the
connection and the user, so it cannot be forged or moved to another connection; it expires
after STATE_TTL and is accepted once (the callback marks it used).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from models import credentials
from models import settings as config
from models.actors import Actor
from models.catalog import get_connector
from models.oauth_endpoints import resolve_oauth
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
