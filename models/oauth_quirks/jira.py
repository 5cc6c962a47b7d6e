"""Atlassian 3LO: the token names no site; accessible-resources lists the sites the token
reaches, and the connection's `site_url` picks one. Its cloud id is the account and goes into
the API base (api.atlassian.com/ex/jira/{cloud_id}). Atlassian has no revocation endpoint.

https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
"""

from __future__ import annotations

from typing import Any

from models.errors import AuthorizationFailed
from models.oauth_quirks.base import Inspection, Quirks, TokenContext

API = "https://api.atlassian.com"


async def inspect(ctx: TokenContext) -> Inspection:
    response = await ctx.http.get(
        f"{ctx.api_host(API)}/oauth/token/accessible-resources",
        headers={"Authorization": f"Bearer {ctx.token['access_token']}"},
    )
    response.raise_for_status()
    site = pick_site(response.json(), str(ctx.settings.get("site_url") or ""))
    return Inspection(
        account=str(site["id"]), extras={"cloud_id": str(site["id"]), "site": str(site["url"])}
    )


def pick_site(sites: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    wanted = wanted.rstrip("/").lower()
    matching = [s for s in sites if str(s.get("url", "")).rstrip("/").lower() == wanted]
    if matching:
        return matching[0]
    if len(sites) == 1 and not wanted:
        return sites[0]
    reachable = ", ".join(str(s.get("url")) for s in sites) or "none"
    raise AuthorizationFailed(
        f"The Atlassian login does not reach the Jira site {wanted or '(not set)'}; it reaches: "
        f"{reachable}. Set the connection's site URL to one of them, or log in as a user of it."
    )


QUIRKS = Quirks(inspect=inspect)
