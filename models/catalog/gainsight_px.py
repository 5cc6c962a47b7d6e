from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    choice,
    obj,
    secret,
)

# https://px-apidocs.gainsight.com/ (header X-APTRINSIC-API-KEY; scroll ids for paging;
# one base address per data centre)
HOSTS = {"US": "api.aptrinsic.com", "EU": "api-eu.aptrinsic.com", "US2": "api-us2.aptrinsic.com"}


def _host(values: dict[str, str]) -> dict[str, str]:
    return {"px_host": HOSTS.get(values.get("region", "US"), HOSTS["US"])}


CONNECTOR = Connector(
    key="GAINSIGHT_PX",
    name="Gainsight PX",
    category=Category.PRODUCT_ANALYTICS,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        secret("api_key", "REST API key"),
        choice("region", "Region", tuple(HOSTS), "US"),
    ),
    api_url="https://{px_host}",
    objects=(
        obj(
            "users",
            "aptrinsicId:id identifyId email firstName lastName accountId "
            "lastSeenDate:integer lastModifiedDate:integer",
            cursor="lastModifiedDate",
        ),
        obj(
            "accounts",
            "id:id name industry plan numberOfUsers:integer lastModifiedDate:integer",
            cursor="lastModifiedDate",
        ),
        obj(
            "feature_events",
            "eventId:id featureId identifyId accountId date:integer",
            cursor="date",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Gainsight PX users",
            "users",
            "person",
            (
                ("aptrinsicId", "external_id", True),
                ("email", "email", False),
                ("accountId", "company_external_id", False),
            ),
        ),
        DefaultJob(
            "Gainsight PX accounts",
            "accounts",
            "company",
            (("id", "external_id", True), ("name", "name", False)),
        ),
    ),
    docs_url="https://px-apidocs.gainsight.com/",
    derive_values=_host,
)
