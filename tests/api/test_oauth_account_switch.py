"""Every OAuth connector served by tests/fakes/oauth_vendors.py knows its source account: the
first authorization stores it, reauthorizing into the same account works, and another account
(another Zoho org, SurveyMonkey user, Intercom workspace, Pipedrive company, Gong customer,
Entra tenant or ServiceNow instance) is refused, leaving the connection as it was, unless the
caller passes allowAccountChange. (Salesforce, HubSpot, Zendesk and Jira: see
test_oauth_revoke_reauthorize.py and test_oauth_flows.py.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from models import credentials
from models.catalog import get_connector
from tests.conftest import GraphQLClient
from tests.fakes.oauth import VendorFake
from tests.fakes.oauth_vendors import vendor_fake
from tests.fakes.server import FakeServer
from tests.oauth_flow import (
    REAUTHORIZE,
    activities_of,
    authorize,
    callback,
    consent,
    create,
    load,
    point_at,
)


@dataclass(frozen=True)
class Case:
    key: str
    form: dict[str, Any]
    account: Callable[[VendorFake], str]  # what the first login names
    switch: Callable[[VendorFake], tuple[dict[str, Any] | None, str]]  # (settings, new account)


def _set(attribute: str, value: Any, account: str) -> Callable[[VendorFake], tuple[None, str]]:
    def switch(fake: VendorFake) -> tuple[None, str]:
        setattr(fake.oauth, attribute, value)
        return None, account

    return switch


OTHER_TENANT = str(uuid.uuid4())
CASES = [
    Case(
        "ZOHO",
        {"data_centre": "eu"},
        lambda fake: "4150868000000225013",
        _set("account_id", "90000000000000001", "90000000000000001"),
    ),
    Case("SURVEYMONKEY", {}, lambda fake: "1234", _set("account_id", "5678", "5678")),
    Case("INTERCOM", {}, lambda fake: "ecahpwf5", _set("account_id", "xq7k2c1d", "xq7k2c1d")),
    Case(
        "PIPEDRIVE",
        {},
        lambda fake: "acme.pipedrive.com",
        _set("api_domain", "https://globex.pipedrive.com", "globex.pipedrive.com"),
    ),
    Case(
        "GONG_IO",
        {},
        lambda fake: "us-4321.api.gong.io",
        _set("api_base", "https://eu-9876.api.gong.io", "eu-9876.api.gong.io"),
    ),
    Case(
        "DYNAMICS",
        {"environment_url": "https://contoso.crm.dynamics.com"},
        lambda fake: fake.oauth.tenant_id,
        _set("tenant_id", OTHER_TENANT, OTHER_TENANT),
    ),
    Case(
        "SERVICENOW",
        {"instance": "acme"},
        lambda fake: "acme",
        lambda fake: ({"instance": "globex"}, "globex"),  # an instance is an account
    ),
]


async def reauthorize(
    admin: GraphQLClient, connection_id: str, settings: dict[str, Any] | None, allow: bool
) -> Any:
    data = await admin.data(REAUTHORIZE, id=connection_id, settings=settings, allow=allow)
    payload = data["reauthorizeConnection"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return await callback(admin.http, await consent(payload["authorizationUrl"]))


async def last_activity(connection_id: str) -> tuple[str, str]:
    activity = (await activities_of(connection_id))[-1]
    return activity.kind, activity.status


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
async def test_reauthorizing_into_another_account_needs_allow_account_change(
    admin: GraphQLClient, point_connector, case: Case
) -> None:
    name = get_connector(case.key).name
    fake = vendor_fake(case.key, f"{case.key.lower()}-app", f"{case.key.lower()}-app-secret")
    with FakeServer(fake.app) as server:
        point_at(point_connector, case.key, fake, server.url)
        connection_id, page = await authorize(admin, case.key, case.form)
        assert page.status_code == 200, page.text
        first = case.account(fake)
        assert (await load(connection_id)).source_account == first
        assert f"(account {first})" in page.text

        page = await reauthorize(admin, connection_id, None, allow=False)  # the same account
        assert page.status_code == 200, page.text
        assert await last_activity(connection_id) == ("CONNECTION_REAUTHORIZED", "SUCCEEDED")
        before = await load(connection_id)
        assert before.source_account == first

        settings, other = case.switch(fake)  # the user logs in to another account
        page = await reauthorize(admin, connection_id, settings, allow=False)
        assert page.status_code == 400
        assert f"another {name} account ({other}, not {first})" in page.text
        assert "allowAccountChange" in page.text
        after = await load(connection_id)
        assert (after.source_account, after.status.value) == (first, "ACTIVE")
        assert after.credential_version == before.credential_version
        assert credentials.tokens(after) == credentials.tokens(before)
        assert after.settings == before.settings
        assert await last_activity(connection_id) == ("CONNECTION_REAUTHORIZED", "FAILED")

        page = await reauthorize(admin, connection_id, settings, allow=True)
        assert page.status_code == 200, page.text
        switched = await load(connection_id)
        assert switched.source_account == other
        assert credentials.tokens(switched) != credentials.tokens(before)
        assert await last_activity(connection_id) == ("CONNECTION_REAUTHORIZED", "SUCCEEDED")


async def test_zoho_asks_for_the_org_scope_and_fails_clearly_without_it(
    admin: GraphQLClient, point_connector
) -> None:
    """The org call needs ZohoCRM.org.READ; Zoho answers OAUTH_SCOPE_MISMATCH without it."""
    fake = vendor_fake("ZOHO", "zoho-app", "zoho-app-secret")
    with FakeServer(fake.app) as server:
        point_at(point_connector, "ZOHO", fake, server.url)
        started = await create(admin, "ZOHO", {"data_centre": "eu"})
        parts = urlsplit(started.authorization_url)
        query = dict(parse_qsl(parts.query))
        assert "ZohoCRM.org.READ" in query["scope"].split(",")
        query["scope"] = "ZohoCRM.modules.READ,ZohoCRM.settings.READ"  # consent to less
        narrowed = urlunsplit(parts._replace(query=urlencode(query)))
        page = await callback(admin.http, await consent(narrowed))
    assert page.status_code == 400
    assert "HTTP 401 when asked about the account" in page.text
    connection = await load(started.connection_id)
    assert (connection.status.value, connection.source_account) == ("PENDING_AUTHORIZATION", None)
    assert credentials.tokens(connection) == {}
    assert await last_activity(started.connection_id) == ("CONNECTION_AUTHORIZED", "FAILED")
