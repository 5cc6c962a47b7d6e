"""HubSpot: the portal (hub id) comes from the access token's metadata; errors are HubSpot's
own `{"status": "BAD_REFRESH_TOKEN", ...}`; revocation deletes the refresh token.

https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from models import settings as config
from models.oauth_quirks.base import Inspection, Quirks, RevokeContext, TokenContext

API = "https://api.hubapi.com"
FOR_GOOD = {"BAD_REFRESH_TOKEN", "BAD_AUTH_CODE", "BAD_GRANT_TYPE"}


async def inspect(ctx: TokenContext) -> Inspection:
    token = quote(str(ctx.token["access_token"]), safe="")
    response = await ctx.http.get(f"{ctx.api_host(API)}/oauth/v1/access-tokens/{token}")
    response.raise_for_status()
    info = response.json()
    return Inspection(account=str(info["hub_id"]), extras={"hub_domain": str(info["hub_domain"])})


def error_code(body: dict[str, Any]) -> str | None:
    status = str(body.get("status", ""))
    if status in FOR_GOOD:
        return "invalid_grant"
    return "invalid_client" if status == "BAD_CLIENT_ID" else None


async def revoke(ctx: RevokeContext) -> str:
    refresh = ctx.tokens.get("refresh_token")
    if not refresh:
        return "HubSpot had no refresh token of this connection to delete."
    override = config.current().overrides(ctx.connector.key).revoke_url
    base = override or f"{ctx.api_host(API)}/oauth/v1/refresh-tokens/{{refresh_token}}"
    url = base.replace("{refresh_token}", quote(refresh, safe=""))
    response = await ctx.http.delete(url)
    response.raise_for_status()
    return "HubSpot deleted the refresh token."


QUIRKS = Quirks(inspect=inspect, error_code=error_code, revoke=revoke)
