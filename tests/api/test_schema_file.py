"""schema.graphql is generated from the code and must always equal it."""

from api.schema import export_sdl
from tests.conftest import ROOT


def test_schema_graphql_equals_the_generated_sdl() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == export_sdl(), (
        "schema.graphql is out of date: run `connectors export-schema --output schema.graphql`"
    )


def test_contract_floor_names_are_in_the_schema() -> None:
    sdl = export_sdl()
    for name in (
        "type Connector",
        "type Connection",
        "type Job",
        "type Activity",
        "type UserError",
        "createConnection(input: CreateConnectionInput!): AuthorizationPayload!",
        "runJob(id: ID!, idempotencyKey: String = null): ActivityPayload!",
        "setConnectionLimit(tenant: String!, connectorKey: ID!, maxConnections: Int!)",
        "activityUpdates(",
        "connectionUpdates(",
        "records(object: String!, first: Int = 50, after: String = null): RecordPage!",
    ):
        assert name in sdl, name
