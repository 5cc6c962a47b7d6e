"""Creating, listing, editing and deleting connections, as the Connections page does."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.api.conftest import create
from tests.api.documents import (
    ACTIVITIES,
    CONNECTION,
    CONNECTIONS,
    DELETE_CONNECTION,
    MIXPANEL_SETTINGS,
    UPDATE_CONNECTION,
)
from tests.conftest import GraphQLClient


async def test_save_connector_becomes_active_at_once(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    assert mixpanel_connection["status"] == "ACTIVE"
    assert mixpanel_connection["connector"]["requiresAuthorization"] is False
    assert mixpanel_connection["authorizedAt"] is not None
    assert mixpanel_connection["createdBy"] == "admin@x"


async def test_secret_settings_are_never_returned(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    assert mixpanel_connection["secretsSet"] == ["service_account_secret"]
    assert "service_account_secret" not in mixpanel_connection["settings"]
    assert mixpanel_connection["settings"]["project_id"] == 3141592
    body = await admin.execute(CONNECTION, id=mixpanel_connection["id"])
    assert MIXPANEL_SETTINGS["service_account_secret"] not in str(body)


async def test_authorize_connector_starts_pending_with_a_login_url(
    salesforce_connection: dict[str, Any], admin: GraphQLClient
) -> None:
    assert salesforce_connection["status"] == "PENDING_AUTHORIZATION"
    assert salesforce_connection["connector"]["requiresAuthorization"] is True
    assert salesforce_connection["authorizedAt"] is None


async def test_salesforce_authorization_url_has_state_pkce_and_our_callback(
    admin: GraphQLClient,
) -> None:
    payload = await create(admin, "SFDC", "Sandbox org", {"environment": "sandbox"})
    url = urlparse(payload["authorizationUrl"])
    query = parse_qs(url.query)
    assert url.netloc == "test.salesforce.com"
    assert url.path == "/services/oauth2/authorize"
    assert query["redirect_uri"] == ["http://testserver/oauth/callback"]
    assert query["client_id"] == ["sfdc-client"]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) > 40


async def test_list_search_and_filter(admin: GraphQLClient, mixpanel: Any) -> None:
    for name in ("EU Analytics", "US analytics", "Billing data"):
        await create(admin, "MIXPANEL", name, MIXPANEL_SETTINGS)
    found = (await admin.data(CONNECTIONS, search="ANALYT"))["connections"]
    assert sorted(n["name"] for n in found["nodes"]) == ["EU Analytics", "US analytics"]
    assert found["totalCount"] == 2
    by_key = (await admin.data(CONNECTIONS, connectorKey="MIXPANEL"))["connections"]
    assert by_key["totalCount"] == 3
    active = (await admin.data(CONNECTIONS, status="PENDING_AUTHORIZATION"))["connections"]
    assert active["nodes"] == []


async def test_cursor_pages_cover_every_connection_once(
    admin: GraphQLClient, mixpanel: Any
) -> None:
    for i in range(5):
        await create(admin, "MIXPANEL", f"Project {i}", MIXPANEL_SETTINGS)
    seen: list[str] = []
    after = None
    while True:
        page = (await admin.data(CONNECTIONS, first=2, after=after))["connections"]
        seen += [n["name"] for n in page["nodes"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == [f"Project {i}" for i in range(5)]


async def test_a_tampered_cursor_is_an_invalid_cursor_error(admin: GraphQLClient) -> None:
    body = await admin.execute(CONNECTIONS, after="not-a-cursor")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    assert "start again" in body["errors"][0]["message"]


async def test_first_is_capped_at_200_and_refuses_negatives(admin: GraphQLClient) -> None:
    body = await admin.execute(CONNECTIONS, first=-1)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_names_are_unique_in_a_tenant_whatever_the_case(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    payload = await create(admin, "MIXPANEL", "PRODUCT ANALYTICS", MIXPANEL_SETTINGS)
    assert payload["connection"] is None
    assert payload["userErrors"][0]["code"] == "NAME_TAKEN"
    assert payload["userErrors"][0]["field"] == ["name"]


async def test_bad_settings_are_refused_with_what_to_do(
    admin: GraphQLClient, mixpanel: Any
) -> None:
    missing = await create(admin, "MIXPANEL", "No secret", {"project_id": 1})
    assert missing["userErrors"][0]["code"] == "INVALID_INPUT"
    assert missing["userErrors"][0]["field"] == ["settings", "service_account_username"]
    unknown = await create(admin, "MIXPANEL", "Typo", {**MIXPANEL_SETTINGS, "projectid": 1})
    assert "has no setting 'projectid'" in unknown["userErrors"][0]["message"]
    wrong_type = await create(admin, "MIXPANEL", "Bad id", {**MIXPANEL_SETTINGS, "project_id": "x"})
    assert wrong_type["userErrors"][0]["field"] == ["settings", "project_id"]
    bad_choice = await create(admin, "SFDC", "Bad env", {"environment": "staging"})
    assert "production, sandbox" in bad_choice["userErrors"][0]["message"]
    unknown_connector = await create(admin, "NOPE", "x", None)
    assert unknown_connector["userErrors"][0]["field"] == ["connectorKey"]
    assert (await admin.data(CONNECTIONS))["connections"]["totalCount"] == 0


async def test_update_renames_and_changes_plain_settings(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    data = await admin.data(
        UPDATE_CONNECTION,
        id=mixpanel_connection["id"],
        input={"name": "Renamed", "settings": {"region": "EU"}},
    )
    updated = data["updateConnection"]["connection"]
    assert updated["name"] == "Renamed"
    assert updated["settings"]["region"] == "EU"
    assert updated["secretsSet"] == ["service_account_secret"]


async def test_update_refuses_credentials_and_points_to_reauthorize(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    data = await admin.data(
        UPDATE_CONNECTION,
        id=mixpanel_connection["id"],
        input={"settings": {"service_account_secret": "new"}},
    )
    error = data["updateConnection"]["userErrors"][0]
    assert error["code"] == "INVALID_INPUT"
    assert "reauthorizeConnection" in error["message"]


async def test_delete_keeps_the_activities_with_the_connection_name(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    connection_id = mixpanel_connection["id"]
    data = await admin.data(DELETE_CONNECTION, id=connection_id)
    assert data["deleteConnection"] == {"deletedId": connection_id, "userErrors": []}
    assert (await admin.data(CONNECTION, id=connection_id))["connection"] is None
    activities = (await admin.data(ACTIVITIES))["activities"]["nodes"]
    kinds = [a["kind"] for a in activities]
    assert "CONNECTION_DELETED" in kinds and "CONNECTION_CREATED" in kinds
    for activity in activities:
        assert activity["connection"] is None
        if activity["kind"].startswith("CONNECTION_"):
            assert activity["connectionName"] == "Product analytics"


async def test_missing_ids_are_not_found(admin: GraphQLClient) -> None:
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        assert (await admin.data(CONNECTION, id=bad))["connection"] is None
        data = await admin.data(DELETE_CONNECTION, id=bad)
        assert data["deleteConnection"]["userErrors"][0]["code"] == "NOT_FOUND"
