"""Authorize, revoke and reauthorize: which status allows what, and the activity each leaves."""

from __future__ import annotations

from typing import Any

from models.lifecycle import ActivityKind, ActivityStatus
from models.services import activities
from models.tables import Connection
from tests.api.documents import (
    ACTIVITIES,
    AUTHORIZE_CONNECTION,
    CONNECTION,
    MIXPANEL_SETTINGS,
    REAUTHORIZE_CONNECTION,
    REVOKE_CONNECTION,
)
from tests.conftest import GraphQLClient


async def _kinds(client: GraphQLClient, connection_id: str) -> list[tuple[str, str, str]]:
    page = (await client.data(ACTIVITIES, connectionId=connection_id))["activities"]
    return [(a["kind"], a["status"], a["actor"]) for a in reversed(page["nodes"])]


async def test_every_change_records_an_activity_with_its_actor(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    connection_id = mixpanel_connection["id"]
    await admin.data(REVOKE_CONNECTION, id=connection_id)
    await admin.data(REAUTHORIZE_CONNECTION, id=connection_id, settings=MIXPANEL_SETTINGS)
    assert await _kinds(admin, connection_id) == [
        ("CONNECTION_CREATED", "SUCCEEDED", "admin@x"),
        ("JOB_CREATED", "SUCCEEDED", "admin@x"),
        ("CONNECTION_REVOKED", "SUCCEEDED", "admin@x"),
        ("CONNECTION_REAUTHORIZED", "SUCCEEDED", "admin@x"),
    ]


async def test_revoke_drops_credentials_and_makes_it_revoked(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    data = await admin.data(REVOKE_CONNECTION, id=mixpanel_connection["id"])
    revoked = data["revokeConnection"]["connection"]
    assert revoked["status"] == "REVOKED"
    assert revoked["secretsSet"] == []
    again = await admin.data(REVOKE_CONNECTION, id=mixpanel_connection["id"])
    assert again["revokeConnection"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_reauthorize_with_new_settings_makes_a_revoked_key_connection_active(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    await admin.data(REVOKE_CONNECTION, id=mixpanel_connection["id"])
    data = await admin.data(
        REAUTHORIZE_CONNECTION, id=mixpanel_connection["id"], settings=MIXPANEL_SETTINGS
    )
    payload = data["reauthorizeConnection"]
    assert payload["userErrors"] == []
    assert payload["authorizationUrl"] is None
    assert payload["connection"]["status"] == "ACTIVE"
    assert payload["connection"]["secretsSet"] == ["service_account_secret"]


async def test_key_connectors_have_no_login_to_authorize(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    data = await admin.data(AUTHORIZE_CONNECTION, id=mixpanel_connection["id"])
    error = data["authorizeConnection"]["userErrors"][0]
    assert error["code"] == "INVALID_STATE"
    assert "reauthorizeConnection" in error["message"]


async def test_a_pending_connection_can_be_authorized_again_but_not_revoked(
    admin: GraphQLClient, salesforce_connection: dict[str, Any]
) -> None:
    data = await admin.data(AUTHORIZE_CONNECTION, id=salesforce_connection["id"])
    assert data["authorizeConnection"]["authorizationUrl"].startswith(
        "https://login.salesforce.com/services/oauth2/authorize?"
    )
    assert data["authorizeConnection"]["connection"]["status"] == "PENDING_AUTHORIZATION"
    revoke = await admin.data(REVOKE_CONNECTION, id=salesforce_connection["id"])
    assert revoke["revokeConnection"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_reauthorizing_an_oauth_connection_gives_a_new_login_url_and_keeps_status(
    admin: GraphQLClient, salesforce_connection: dict[str, Any]
) -> None:
    data = await admin.data(REAUTHORIZE_CONNECTION, id=salesforce_connection["id"])
    payload = data["reauthorizeConnection"]
    assert payload["authorizationUrl"].startswith("https://login.salesforce.com/")
    assert payload["connection"]["status"] == "PENDING_AUTHORIZATION"


async def test_a_failure_in_the_last_day_sets_the_info_icon(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    row = await Connection.get(id=mixpanel_connection["id"])
    await activities.record(
        ActivityKind.TOKEN_REFRESH,
        tenant=row.tenant,
        actor="system",
        connection=row,
        status=ActivityStatus.FAILED,
        error="invalid_grant",
    )
    shown = (await admin.data(CONNECTION, id=row.id.hex))["connection"]
    assert shown["hasRecentFailures"] is True
    assert shown["recentFailureCount"] == 1
    failed = await admin.data(ACTIVITIES, connectionId=str(row.id), status="FAILED")
    assert [a["error"] for a in failed["activities"]["nodes"]] == ["invalid_grant"]
