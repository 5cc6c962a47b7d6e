from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://help.gong.io/docs/create-an-app-for-gong
# The token response names the customer's API host in `api_base_url_for_customer`.
CONNECTOR = Connector(
    key="GONG_IO",
    name="Gong.io",
    category=Category.CONVERSATION,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=False,
    settings=(),
    oauth=OAuthEndpoints(
        authorize_url="https://app.gong.io/oauth2/authorize",
        token_url="https://app.gong.io/oauth2/generate-customer-token",
        scopes=("api:calls:read:basic", "api:users:read"),
        token_auth="client_secret_basic",
    ),
    api_url="{api_base_url_for_customer}",
    objects=(
        obj(
            "calls",
            "id:id title started:datetime duration:integer primaryUserId url",
            cursor="started",
        ),
        obj("users", "id:id emailAddress firstName lastName active:boolean"),
    ),
    default_jobs=(
        DefaultJob(
            "Gong calls",
            "calls",
            "call",
            (
                ("id", "external_id", True),
                ("title", "title", False),
                ("started", "started_at", False),
            ),
        ),
    ),
    docs_url="https://gong.app.gong.io/settings/api/documentation",
)
