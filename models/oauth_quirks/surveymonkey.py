"""SurveyMonkey: `access_url` in the token response is the API host of the account's data
centre; the token names no account, so GET /v3/users/me at that host tells whose it is. A
token reads what its user owns or is shared with, so the user is the account here.

https://api.surveymonkey.com/v3/docs#authentication
https://api.surveymonkey.com/v3/docs#api-endpoints-get-users-me
"""

from __future__ import annotations

from models.oauth_quirks.base import Inspection, Quirks, TokenContext

US_API = "https://api.surveymonkey.com"


async def inspect(ctx: TokenContext) -> Inspection:
    access_url = str(ctx.token.get("access_url") or "")
    me = await ctx.get_json(f"{ctx.api_host(access_url or US_API)}/v3/users/me")
    return Inspection(
        account=str(me["id"]), extras={"access_url": access_url} if access_url else {}
    )


QUIRKS = Quirks(inspect=inspect)
