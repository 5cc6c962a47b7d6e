from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
# Intercom access tokens do not expire and come without a refresh token.
CONNECTOR = Connector(
    key="INTERCOM",
    name="Intercom",
    category=Category.SUPPORT,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=False,
    settings=(),
    oauth=OAuthEndpoints(
        authorize_url="https://app.intercom.com/oauth",
        token_url="https://api.intercom.io/auth/eagle/token",
    ),
    api_url="https://api.intercom.io",
    objects=(
        obj(
            "conversations",
            "id:id title state open:boolean priority created_at:datetime updated_at:datetime",
            cursor="updated_at",
        ),
        obj(
            "contacts", "id:id email name role external_id updated_at:datetime", cursor="updated_at"
        ),
        obj("companies", "id:id company_id name website updated_at:datetime", cursor="updated_at"),
    ),
    default_jobs=(
        DefaultJob(
            "Intercom conversations",
            "conversations",
            "conversation",
            (("id", "external_id", True), ("title", "title", False), ("state", "status", False)),
        ),
    ),
    docs_url="https://developers.intercom.com/docs/references/rest-api/api.intercom.io/",
)
