from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    Setting,
    obj,
    secret,
    vendor_host,
)

# https://developers.freshdesk.com/api/#authentication (API key as the Basic user, "X" as password)
# https://developers.freshdesk.com/api/#list_all_companies (no time filter: no incremental)
helpdesk_host = vendor_host("domain", ".freshdesk.com", "helpdesk_host")


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
    api_url="https://{helpdesk_host}",
    derive_values=helpdesk_host,
    objects=(
        obj(
            "tickets",
            "id:id subject status:integer priority:integer requester_id "
            "company_id updated_at:datetime",
            cursor="updated_at",
        ),
        obj("contacts", "id:id name email company_id updated_at:datetime", cursor="updated_at"),
        obj("companies", "id:id name domains:array updated_at:datetime"),
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
        DefaultJob(
            "Freshdesk contacts",
            "contacts",
            "person",
            (("id", "external_id", True), ("email", "email", False), ("name", "name", False)),
        ),
        DefaultJob(
            "Freshdesk companies",
            "companies",
            "company",
            (("id", "external_id", True), ("name", "name", False)),
        ),
    ),
    docs_url="https://developers.freshdesk.com/api/",
)
