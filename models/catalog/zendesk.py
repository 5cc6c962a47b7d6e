from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    Setting,
    obj,
)

# https://developer.zendesk.com/documentation/ticketing/working-with-oauth/creating-and-using-oauth-tokens-with-the-api/
# https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
CONNECTOR = Connector(
    key="ZENDESK",
    name="Zendesk",
    category=Category.SUPPORT,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=False,
    settings=(
        Setting(
            "subdomain",
            "Zendesk subdomain",
            help="The part before .zendesk.com, e.g. acme for acme.zendesk.com",
        ),
    ),
    oauth=OAuthEndpoints(
        authorize_url="https://{subdomain}.zendesk.com/oauth/authorizations/new",
        token_url="https://{subdomain}.zendesk.com/oauth/tokens",
        revoke_url="https://{subdomain}.zendesk.com/oauth/tokens/revoke",
        scopes=("read",),
        pkce=True,
    ),
    api_url="https://{subdomain}.zendesk.com",
    objects=(
        obj(
            "tickets",
            "id:id subject status priority requester_id organization_id "
            "created_at:datetime updated_at:datetime",
            cursor="updated_at",
        ),
        obj(
            "users",
            "id:id name email role organization_id updated_at:datetime",
            cursor="updated_at",
        ),
        obj(
            "organizations",
            "id:id name domain_names:array updated_at:datetime",
            cursor="updated_at",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Zendesk tickets",
            "tickets",
            "ticket",
            (
                ("id", "external_id", True),
                ("subject", "subject", False),
                ("status", "status", False),
                ("priority", "priority", False),
            ),
        ),
    ),
    docs_url="https://developer.zendesk.com/api-reference/",
)
