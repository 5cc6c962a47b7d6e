"""An unexpected failure reaches the client as a generic error naming the request id."""

from __future__ import annotations

from typing import Any

from models.tables import Connection, Job
from tests.api.documents import JOBS
from tests.conftest import GraphQLClient


async def test_a_broken_row_gives_a_generic_error_with_the_request_id(
    admin: GraphQLClient, mixpanel_connection: dict[str, Any]
) -> None:
    connection = await Connection.get(id=mixpanel_connection["id"])
    # A row no service would write: a mapping without its target.
    await Job.create(
        tenant=connection.tenant,
        connection=connection,
        name="Broken",
        source_object="events",
        destination_object="event",
        field_mappings=[{"source": "event"}],
        created_by="x",
    )
    response = await admin.http.post(
        "/graphql",
        json={"query": JOBS, "variables": {"connectionId": mixpanel_connection["id"]}},
        headers={"Authorization": f"Bearer {admin.token}", "X-Request-ID": "req-4242"},
    )
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-4242"}
    assert error["message"] == (
        "Something went wrong on our side; quote request id req-4242 to support."
    )
    assert "Traceback" not in response.text and "TypeError" not in response.text
