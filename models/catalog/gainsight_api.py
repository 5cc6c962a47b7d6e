from models.catalog.base import AuthMethod, Category, Connector, obj

# Inbound: the connection issues an access key with which a partner tool pushes records into
# a destination object over this service's HTTP endpoint. "Authorize" issues that key.
CONNECTOR = Connector(
    key="GAINSIGHT_API",
    name="Gainsight API",
    category=Category.PLATFORM,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(),
    objects=(obj("records", "id:id"),),
    docs_url="https://support.gainsight.com/gainsight_nxt/API_and_Developer_Docs",
)
