"""Zoho CRM: `api_domain` in the token response is the data centre's API host; the org the
login reaches is the account, read from the Organization API at that host (the token names
none). That call needs the ZohoCRM.org.READ scope, which the catalog asks for.

https://www.zoho.com/crm/developer/docs/api/v8/access-refresh.html
https://www.zoho.com/crm/developer/docs/api/v8/get-org-data.html (the same as v6:
https://zoho.com/crm/developer/docs/api/v6/get-org-data.html, `id` is "the unique ID of the
organization")
"""

from __future__ import annotations

from models.oauth_quirks.base import Inspection, Quirks, TokenContext

API = "https://www.zohoapis.com"


async def inspect(ctx: TokenContext) -> Inspection:
    domain = str(ctx.token.get("api_domain") or "")
    body = await ctx.get_json(f"{ctx.api_host(domain or API)}/crm/v8/org", scheme="Zoho-oauthtoken")
    return Inspection(
        account=str(body["org"][0]["id"]), extras={"api_domain": domain} if domain else {}
    )


QUIRKS = Quirks(inspect=inspect)
