from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    Setting,
    obj,
    secret,
)

# https://developers.freshdesk.com/api/#authentication (API key as the Basic user, "X" as password)
CONNECTOR = Connector(
    key="FRESHDESK",
    name="Freshdesk",
    category=Category.SUPPORT,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=False,
    supports_multiple_connections=False,
    settings=(
        Setting("domain", "Freshdesk domain", help="e.g. acme for acme.freshdesk.com"),
        secret("api_key", "API key"),
    ),
    api_url="https://{domain}.freshdesk.com",
    objects=(
        obj(
            "tickets",
            "id:id subject status:integer priority:integer requester_id "
            "company_id updated_at:datetime",
            cursor="updated_at",
        ),
        obj("contacts", "id:id name email company_id updated_at:datetime", cursor="updated_at"),
        obj("companies", "id:id name domains:array updated_at:datetime", cursor="updated_at"),
    ),
    default_jobs=(
        DefaultJob(
            "Freshdesk tickets",
            "tickets",
            "ticket",
            (
                ("id", "external_id", True),
                ("subject", "subject", False),
                ("status", "status", False),
            ),
        ),
    ),
    docs_url="https://developers.freshdesk.com/api/",
)
