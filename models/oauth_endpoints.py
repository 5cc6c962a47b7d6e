"""Where a connection's OAuth endpoints and API base are: templates filled, overrides applied."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from models import settings as config
from models.catalog import Connector
from models.errors import AuthorizationFailed, InvalidInput


@dataclass(frozen=True)
class ResolvedOAuth:
    client_id: str
    client_secret: str | None
    authorize_url: str
    token_url: str
    revoke_url: str | None
    scope: str | None
    redirect_uri: str


def template_values(connector: Connector, values: dict[str, Any]) -> dict[str, str]:
    """Connection settings (and token extras) as template values, plus derived ones."""
    merged = {k: str(v) for k, v in values.items() if v is not None}
    if connector.derive_values is not None:
        merged.update(connector.derive_values(merged))
    return merged


def fill(template: str, values: dict[str, str], what: str) -> str:
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    missing = [name for name in names if not values.get(name)]
    if missing:
        raise InvalidInput(
            f"The {what} needs the setting {missing[0]!r}; add it to the connection's settings.",
            field=["settings", missing[0]],
        )
    return template.format(**{name: values[name] for name in names})


def resolve_oauth(connector: Connector, values: dict[str, Any]) -> ResolvedOAuth:
    spec = connector.oauth
    if spec is None:
        raise InvalidInput(f"{connector.name} does not log in through OAuth.")
    overrides = config.current().overrides(connector.key)
    if not overrides.client_id:
        raise AuthorizationFailed(
            f"This service has no OAuth app for {connector.name} yet: an operator must set "
            f"CONNECTORS_CONNECTORS__{connector.key}__CLIENT_ID and __CLIENT_SECRET."
        )
    filled = template_values(connector, values)
    scopes = [fill(scope, filled, "scope") for scope in spec.scopes]
    return ResolvedOAuth(
        client_id=overrides.client_id,
        client_secret=overrides.client_secret,
        authorize_url=overrides.authorize_url or fill(spec.authorize_url, filled, "login page"),
        token_url=overrides.token_url or fill(spec.token_url, filled, "token endpoint"),
        revoke_url=overrides.revoke_url
        or (fill(spec.revoke_url, filled, "revocation endpoint") if spec.revoke_url else None),
        scope=spec.scope_separator.join(scopes) if scopes else None,
        redirect_uri=config.current().public_url.rstrip("/") + "/oauth/callback",
    )


def api_base(connector: Connector, values: dict[str, Any]) -> str:
    """The API base of a connection; the operator's `api_url` override wins over everything."""
    override = config.current().overrides(connector.key).api_url
    if override:
        return override.rstrip("/")
    if connector.api_url is None:
        raise InvalidInput(f"{connector.name} has no API address to read from.")
    return fill(connector.api_url, template_values(connector, values), "API address").rstrip("/")
