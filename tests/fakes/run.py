"""Run one vendor fake as a standalone server, to try Authorize by hand (see the README).

    python -m tests.fakes.run salesforce --port 9100

prints the OAuth client id and secret it accepts and the CONNECTORS_* settings that point the
connector at it, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable

import uvicorn

from tests.fakes.hubspot import HubSpotFake
from tests.fakes.jira import JiraFake
from tests.fakes.oauth import VendorFake
from tests.fakes.oauth_vendors import VENDORS, vendor_fake
from tests.fakes.salesforce import SalesforceFake
from tests.fakes.zendesk import ZendeskFake

Factory = Callable[[str, str, str], VendorFake]
FAKES: dict[str, tuple[str, Factory]] = {
    "salesforce": ("SFDC", lambda i, s, r: SalesforceFake(i, s, r)),
    "hubspot": ("HUBSPOT", lambda i, s, r: HubSpotFake(i, s, r)),
    "zendesk": (
        "ZENDESK",
        lambda i, s, r: ZendeskFake(client_id=i, client_secret=s, redirect_uri=r),
    ),
    "jira": ("JIRA", lambda i, s, r: JiraFake(i, s, r)),
    **{key.lower(): (key, lambda i, s, r, key=key: vendor_fake(key, i, s, r)) for key in VENDORS},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vendor", choices=sorted(FAKES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument(
        "--redirect-uri",
        default="http://127.0.0.1:8000/oauth/callback",
        help="the connections hub's public_url + /oauth/callback",
    )
    args = parser.parse_args(argv)
    key, factory = FAKES[args.vendor]
    client_id, client_secret = f"{args.vendor}-dev-client", secrets.token_urlsafe(16)
    fake = factory(client_id, client_secret, args.redirect_uri)
    base = f"http://{args.host}:{args.port}"
    oauth = fake.oauth
    prefix = f"CONNECTORS_CONNECTORS__{key}__"
    lines = [
        f"{fake.oauth.vendor_name} fake on {base}",
        f"client id:     {client_id}",
        f"client secret: {client_secret}",
        "",
        "Start the hub with:",
        "export CONNECTORS_ALLOW_PRIVATE_HOSTS=true",
        f"export {prefix}CLIENT_ID={client_id}",
        f"export {prefix}CLIENT_SECRET={client_secret}",
        f"export {prefix}AUTHORIZE_URL={base}{oauth.authorize_path}",
        f"export {prefix}TOKEN_URL={base}{oauth.token_path}",
        f"export {prefix}API_URL={base}",
    ]
    if oauth.revoke_path:
        lines.append(f"export {prefix}REVOKE_URL={base}{oauth.revoke_path}")
    sys.stdout.write("\n".join(lines) + "\n\n")
    sys.stdout.flush()
    uvicorn.run(fake.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
