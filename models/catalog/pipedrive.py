from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://pipedrive.readme.io/docs/marketplace-oauth-authorization
# Pipedrive authenticates the token request with HTTP Basic (client id and secret).
# Objects as the v2 API writes them (persons: `emails`/`phones` lists; `primary_email` is the
# primary one, as v1 named it): https://pipedrive.readme.io/docs/pipedrive-api-v2
# Notes come from v1: https://developers.pipedrive.com/docs/api/v1/Notes#getNotes
CONNECTOR = Connector(
    key="PIPEDRIVE",
    name="Pipedrive",
    category=Category.CRM,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(),
    oauth=OAuthEndpoints(
        authorize_url="https://oauth.pipedrive.com/oauth/authorize",
        token_url="https://oauth.pipedrive.com/oauth/token",
        revoke_url="https://oauth.pipedrive.com/oauth/revoke",
        token_auth="client_secret_basic",
    ),
    api_url="{api_domain}",
    objects=(
        obj(
            "organizations",
            "id:id name address:object owner_id update_time:datetime",
            cursor="update_time",
        ),
        obj(
            "persons",
            "id:id name primary_email emails:array phones:array org_id owner_id "
            "update_time:datetime",
            cursor="update_time",
        ),
        obj(
            "deals",
            "id:id title value:number currency status stage_id org_id person_id "
            "update_time:datetime",
            cursor="update_time",
        ),
        obj(
            "activities",
            "id:id subject type due_date:date done:boolean update_time:datetime",
            cursor="update_time",
        ),
        obj(
            "notes",
            "id:id content deal_id person_id org_id user_id update_time:datetime",
            cursor="update_time",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Pipedrive organizations",
            "organizations",
            "company",
            (("id", "external_id", True), ("name", "name", False)),
        ),
        DefaultJob(
            "Pipedrive persons",
            "persons",
            "person",
            (
                ("id", "external_id", True),
                ("name", "name", False),
                ("primary_email", "email", False),
            ),
        ),
    ),
    docs_url="https://developers.pipedrive.com/docs/api/v1",
)
