from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    choice,
    obj,
    secret,
)

# https://gainsightpx.docs.apiary.io/ (header X-APTRINSIC-API-KEY; scroll ids for paging)
CONNECTOR = Connector(
    key="GAINSIGHT_PX",
    name="Gainsight PX",
    category=Category.PRODUCT_ANALYTICS,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        secret("api_key", "REST API key"),
        choice("region", "Region", ("US", "EU", "US2"), "US"),
    ),
    api_url="https://api.aptrinsic.com",
    objects=(
        obj(
            "users",
            "aptrinsicId:id identifyId email accountId lastSeenDate:datetime",
            cursor="lastSeenDate",
        ),
        obj("accounts", "id:id name lastModifiedDate:datetime", cursor="lastModifiedDate"),
        obj(
            "feature_events",
            "eventId:id featureId identifyId accountId date:datetime",
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
    ),
    docs_url="https://gainsightpx.docs.apiary.io/",
)
