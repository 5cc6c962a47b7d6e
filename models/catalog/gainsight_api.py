from models.catalog.base import AuthMethod, Category, Connector, Inbound, Setting, obj

# Inbound: "Authorize" issues an access key (shown once, stored hashed) with which a partner
# tool pushes records into a destination object over this service's HTTP endpoint
# (POST /inbound/v1/objects/{object}/records); revokeConnection makes the key stop working.
CONNECTOR = Connector(
    key="GAINSIGHT_API",
    name="Gainsight API",
    category=Category.PLATFORM,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(
        Setting(
            "requests_per_minute",
            "Requests accepted a minute",
            type="integer",
            required=False,
            default=120,
            help="Beyond this the push endpoint answers 429 with Retry-After.",
        ),
    ),
    objects=(obj("records", "id:id"),),
    docs_url="https://support.gainsight.com/gainsight_nxt/API_and_Developer_Docs",
    inbound=Inbound.ACCESS_KEY,
)
