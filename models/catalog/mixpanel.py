from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    Setting,
    choice,
    obj,
    secret,
)

# https://developer.mixpanel.com/reference/raw-event-export
# https://developer.mixpanel.com/reference/service-accounts (HTTP Basic: username and secret)
CONNECTOR = Connector(
    key="MIXPANEL",
    name="Mixpanel",
    category=Category.PRODUCT_ANALYTICS,
    auth_method=AuthMethod.SERVICE_ACCOUNT,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        Setting("project_id", "Project ID", type="integer"),
        Setting("service_account_username", "Service account username"),
        secret("service_account_secret", "Service account secret"),
        choice("region", "Data residency", ("US", "EU", "IN"), "US"),
    ),
    api_url="https://data.mixpanel.com",
    objects=(
        obj(
            "events",
            "event properties.distinct_id properties.$insert_id properties.time:datetime",
            cursor="properties.time",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Mixpanel events",
            "events",
            "event",
            (
                ("properties.$insert_id", "external_id", True),
                ("event", "name", False),
                ("properties.distinct_id", "user_id", False),
                ("properties.time", "occurred_at", False),
            ),
        ),
    ),
    docs_url="https://developer.mixpanel.com/reference/raw-event-export",
)
