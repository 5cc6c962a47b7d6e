"""Intercom: tokens never expire and name no workspace; GET /me answers the admin who
authorized, with the app (the workspace) it belongs to, whose `id_code` is the account. The
Intercom app needs the "Read admins" permission for it.

https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/admins/identifyadmin
https://developers.intercom.com/docs/references/2.6/rest-api/admins/view-the-current-admin
"""

from __future__ import annotations

from models.oauth_quirks.base import Inspection, Quirks, TokenContext

API = "https://api.intercom.io"
VERSION = "2.11"  # the version workers/sources/intercom.py reads with


async def inspect(ctx: TokenContext) -> Inspection:
    me = await ctx.get_json(f"{ctx.api_host(API)}/me", headers={"Intercom-Version": VERSION})
    return Inspection(account=str(me["app"]["id_code"]))


QUIRKS = Quirks(inspect=inspect)
