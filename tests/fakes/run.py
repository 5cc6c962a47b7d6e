"""Run one vendor fake as a standalone server, to try the hub by hand (see the README).

    python -m tests.fakes.run salesforce --port 9100
    python -m tests.fakes.run mixpanel --port 9200

prints the credentials it accepts and the CONNECTORS_* settings that point the connector at it,
seeds a few records (`--seed N`) for jobs to read, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import sys
from collections.abc import Callable

import uvicorn

from tests.fakes.hubspot import HubSpotFake
from tests.fakes.jira import JiraFake
from tests.fakes.mixpanel import MixpanelFake
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


def _seed_salesforce(fake: SalesforceFake, count: int) -> None:
    accounts = fake.add_records(
        "Account",
        [{"Name": f"Account {i}", "Industry": "Software"} for i in range(count)],
    )
    fake.add_records(
        "Contact",
        [
            {
                "FirstName": f"Ada{i}",
                "LastName": "Lovelace",
                "Email": f"ada{i}@example.com",
                "AccountId": account["Id"],
            }
            for i, account in enumerate(accounts)
        ],
    )


def run_mixpanel(host: str, port: int, count: int) -> None:
    """Mixpanel is a "Save" connector: a service account instead of a login."""
    fake = MixpanelFake(per_second=100, per_hour=10_000)
    username, secret = "dev.service-account", secrets.token_urlsafe(16)
    fake.add_service_account(username, secret)
    now = dt.datetime.now(dt.UTC)
    for i in range(count):
        fake.add_event("Signed up", f"user-{i}", now - dt.timedelta(hours=i))
    base = f"http://{host}:{port}"
    settings = {
        "project_id": fake.project_id,
        "service_account_username": username,
        "service_account_secret": secret,
    }
    sys.stdout.write(
        f"Mixpanel fake on {base} with {count} events\n\nStart the hub with:\n"
        "export CONNECTORS_ALLOW_PRIVATE_HOSTS=true\n"
        f"export CONNECTORS_CONNECTORS__MIXPANEL__API_URL={base}\n\n"
        f"Connection settings: {json.dumps(settings)}\n"
    )
    sys.stdout.flush()
    uvicorn.run(fake.app, host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vendor", choices=sorted([*FAKES, "mixpanel"]))
    parser.add_argument("--seed", type=int, default=25, help="records to seed for jobs to read")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument(
        "--redirect-uri",
        default="http://127.0.0.1:8000/oauth/callback",
        help="the connections hub's public_url + /oauth/callback",
    )
    args = parser.parse_args(argv)
    if args.vendor == "mixpanel":
        run_mixpanel(args.host, args.port, args.seed)
        return
    key, factory = FAKES[args.vendor]
    client_id, client_secret = f"{args.vendor}-dev-client", secrets.token_urlsafe(16)
    fake = factory(client_id, client_secret, args.redirect_uri)
    if isinstance(fake, SalesforceFake):
        _seed_salesforce(fake, args.seed)
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
