"""Microsoft Dynamics 365: the Entra tenant the user belongs to is the account. The v2.0
endpoint issues access tokens as JWTs whose `tid` claim names it; we read the claim only (the
token came straight from the token endpoint over TLS), never to trust it for access.

https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
"""

from __future__ import annotations

import base64
import binascii
import json

from models.oauth_quirks.base import Inspection, Quirks, TokenContext


def claims(jwt: str) -> dict[str, object]:
    parts = jwt.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        decoded = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


async def inspect(ctx: TokenContext) -> Inspection:
    tenant = claims(str(ctx.token["access_token"])).get("tid")
    return Inspection(
        account=str(tenant) if tenant else None,
        extras={"azure_tenant_id": str(tenant)} if tenant else {},
    )


QUIRKS = Quirks(inspect=inspect)
