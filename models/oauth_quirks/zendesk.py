"""Zendesk: one subdomain is one account; a token is revoked by deleting it with itself.

https://developer.zendesk.com/documentation/api-basics/authentication/revoking-oauth-token
https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/
"""

from __future__ import annotations

from models.oauth_quirks.base import Inspection, Quirks, RevokeContext, TokenContext


async def inspect(ctx: TokenContext) -> Inspection:
    return Inspection(account=str(ctx.settings.get("subdomain") or "") or None)


async def revoke(ctx: RevokeContext) -> str:
    access = ctx.tokens.get("access_token")
    if not access:
        return "Zendesk had no token of this connection to revoke."
    host = ctx.api_host(f"https://{ctx.settings.get('subdomain')}.zendesk.com")
    response = await ctx.http.delete(
        f"{host}/api/v2/oauth/tokens/current.json",
        headers={"Authorization": f"Bearer {access}"},
    )
    response.raise_for_status()
    return "Zendesk revoked the token."


QUIRKS = Quirks(inspect=inspect, revoke=revoke)
