from tests.conftest import GraphQLClient


async def test_lists_the_twenty_connectors(admin: GraphQLClient) -> None:
    data = await admin.data("{ connectors { key name category authMethod requiresAuthorization } }")
    assert len(data["connectors"]) == 20
