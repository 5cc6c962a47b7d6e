"""The token endpoint through authlib: code exchange and refresh, with failures sorted in two.

`TokenRefused` is the source saying no (an RFC 6749 error such as `invalid_grant`);
`SourceUnreachable` is what may pass (network errors, timeouts, 5xx, 429). Neither carries a
token or a client secret in its message.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from models import settings as config
from models.catalog import Connector
from models.oauth_endpoints import ResolvedOAuth
from models.oauth_quirks import quirks_for

TIMEOUT = httpx2.Timeout(20.0, connect=10.0)


class TokenRefused(Exception):
    """The source system refused the request; `error` is its RFC 6749 error code."""

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = (description or "").strip()[:300]
        super().__init__(f"{error}: {self.description}" if self.description else error)

    @property
    def for_good(self) -> bool:
        # Zoho says `invalid_code` (HTTP 200) where RFC 6749 says `invalid_grant`.
        return self.error in {
            "invalid_grant",
            "invalid_code",
            "unauthorized_client",
            "access_denied",
        }


class SourceUnreachable(Exception):
    """The token endpoint could not be reached or failed on its side; try again later."""


def session(connector: Connector, oauth: ResolvedOAuth) -> AsyncOAuth2Client:
    spec = connector.oauth
    auth_method = spec.token_auth if spec else "client_secret_post"
    client = AsyncOAuth2Client(
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        token_endpoint_auth_method=auth_method,
        revocation_endpoint_auth_method=auth_method,
        redirect_uri=oauth.redirect_uri,
        timeout=TIMEOUT,
    )
    hook = _normalize_errors(connector)
    client.register_compliance_hook("access_token_response", hook)
    client.register_compliance_hook("refresh_token_response", hook)
    return client


async def exchange_code(
    connector: Connector, oauth: ResolvedOAuth, code: str, verifier: str | None
) -> dict[str, Any]:
    check_host(oauth.token_url)
    extra = {"code_verifier": verifier} if verifier else {}
    async with session(connector, oauth) as client:
        return await _call(
            client.fetch_token(oauth.token_url, grant_type="authorization_code", code=code, **extra)
        )


async def refresh_token(connector: Connector, oauth: ResolvedOAuth, refresh: str) -> dict[str, Any]:
    check_host(oauth.token_url)
    async with session(connector, oauth) as client:
        client.token = {"access_token": "", "token_type": "Bearer", "refresh_token": refresh}
        return await _call(client.refresh_token(oauth.token_url, refresh_token=refresh))


async def _call(pending: Any) -> dict[str, Any]:
    try:
        token = await pending
    except OAuthError as exc:
        raise TokenRefused(exc.error or "invalid_request", exc.description) from None
    except httpx2.HTTPStatusError as exc:
        raise SourceUnreachable(
            f"the token endpoint answered HTTP {exc.response.status_code}"
        ) from None
    except (httpx2.TransportError, ValueError) as exc:
        raise SourceUnreachable(
            f"the token endpoint could not be reached ({type(exc).__name__})"
        ) from None
    if not token.get("access_token"):
        raise TokenRefused("invalid_response", "the token response carried no access_token")
    return dict(token)


def _normalize_errors(connector: Connector) -> Any:
    """Map a vendor's own error body (HubSpot's `status`) and 429s onto RFC 6749 errors."""
    quirks = quirks_for(connector.key)

    def hook(response: httpx2.Response) -> httpx2.Response:
        if response.status_code == 429:
            raise httpx2.HTTPStatusError(
                "rate limited", request=response.request, response=response
            )
        if response.status_code < 400 or response.status_code >= 500:
            return response
        try:
            body = response.json()
        except ValueError:
            return response
        if not isinstance(body, dict) or "error" in body:
            return response
        error = quirks.error_code(body) or f"http_{response.status_code}"
        description = str(body.get("message") or body.get("error_description") or "")
        return httpx2.Response(
            response.status_code,
            json={"error": error, "error_description": description},
            request=response.request,
        )

    return hook


def check_host(url: str) -> None:
    """Refuse loopback and private addresses unless the operator allowed them (SSRF guard)."""
    if config.current().allow_private_hosts:
        return
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        raise TokenRefused("invalid_request", "the source address is a local host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if address.is_private or address.is_loopback or address.is_link_local:
        raise TokenRefused("invalid_request", "the source address is a private network address")
