from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
# Intercom access tokens do not expire and come without a refresh token. Timestamps are Unix
# seconds; conversations and contacts are read by search, companies by scroll.
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
            "id:id title state open:boolean priority created_at:integer updated_at:integer",
            cursor="updated_at",
        ),
        obj(
            "contacts", "id:id email name role external_id updated_at:integer", cursor="updated_at"
        ),
        obj("companies", "id:id company_id name website updated_at:integer", cursor="updated_at"),
    ),
    default_jobs=(
        DefaultJob(
            "Intercom conversations",
            "conversations",
            "conversation",
            (("id", "external_id", True), ("title", "title", False), ("state", "status", False)),
        ),
        DefaultJob(
            "Intercom contacts",
            "contacts",
            "person",
            (
                ("id", "external_id", True),
                ("email", "email", False),
                ("name", "name", False),
                ("role", "role", False),
            ),
        ),
        DefaultJob(
            "Intercom companies",
            "companies",
            "company",
            (("id", "external_id", True), ("name", "name", False), ("website", "website", False)),
        ),
    ),
    docs_url="https://developers.intercom.com/docs/references/rest-api/api.intercom.io/",
)
