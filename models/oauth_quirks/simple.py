"""Vendors whose quirk is one field of the token response or one of the connection's settings
(those that need a call to name the account have their own module).

- Pipedrive: `api_domain` is the company's own host (https://<company>.pipedrive.com), which
  also tells one company from another.
  https://developers.pipedrive.com/changelog/post/new-parameter-in-oauth-oauthtoken-responses
- Gong: `api_base_url_for_customer` is the customer's API host (data residency).
  https://help.gong.io/docs/create-an-app-for-gong
- ServiceNow: one instance is one account.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from models.oauth_quirks.base import Inspection, Quirks, TokenContext


def _host(url: str) -> str | None:
    return urlsplit(url).hostname if url else None


async def pipedrive(ctx: TokenContext) -> Inspection:
    domain = str(ctx.token.get("api_domain") or "")
    return Inspection(account=_host(domain), extras={"api_domain": domain} if domain else {})


async def gong(ctx: TokenContext) -> Inspection:
    base = str(ctx.token.get("api_base_url_for_customer") or "")
    extras = {"api_base_url_for_customer": base} if base else {}
    return Inspection(account=_host(base), extras=extras)


async def servicenow(ctx: TokenContext) -> Inspection:
    return Inspection(account=str(ctx.settings.get("instance") or "") or None)


PIPEDRIVE = Quirks(inspect=pipedrive)
GONG = Quirks(inspect=gong)
SERVICENOW = Quirks(inspect=servicenow)
