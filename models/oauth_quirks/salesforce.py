"""Salesforce: `instance_url` is the API host, `id` is the identity URL naming the org, and
there is no `expires_in` (the session timeout is an org setting we cannot see), so a source
client refreshes when the API answers 401.

https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
https://developer.salesforce.com/docs/platform/mobile-sdk/guide/oauth-using-identity-urls.html
"""

from __future__ import annotations

from urllib.parse import urlsplit

from models.oauth_quirks.base import Inspection, Quirks, TokenContext


def org_id(identity_url: str) -> str | None:
    """`https://login.salesforce.com/id/<org id>/<user id>` names the org in its path."""
    parts = urlsplit(identity_url).path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "id":
        return parts[1]
    return None


async def inspect(ctx: TokenContext) -> Inspection:
    instance_url = str(ctx.token.get("instance_url") or "")
    extras = {"instance_url": instance_url} if instance_url else {}
    return Inspection(account=org_id(str(ctx.token.get("id") or "")), extras=extras)


QUIRKS = Quirks(inspect=inspect)
