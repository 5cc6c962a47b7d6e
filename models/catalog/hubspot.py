from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://developers.hubspot.com/docs/api/oauth-quickstart-guide
# https://developers.hubspot.com/docs/api/crm/understanding-the-crm
CONNECTOR = Connector(
    key="HUBSPOT",
    name="HubSpot",
    category=Category.CRM,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(),
    oauth=OAuthEndpoints(
        authorize_url="https://app.hubspot.com/oauth/authorize",
        token_url="https://api.hubapi.com/oauth/v1/token",
        # HubSpot revokes by DELETE on this path + "/{refresh_token}".
        revoke_url="https://api.hubapi.com/oauth/v1/refresh-tokens",
        scopes=(
            "oauth",
            "crm.objects.contacts.read",
            "crm.objects.companies.read",
            "crm.objects.deals.read",
        ),
    ),
    api_url="https://api.hubapi.com",
    objects=(
        obj(
            "companies",
            "id:id name domain industry hs_lastmodifieddate:datetime",
            cursor="hs_lastmodifieddate",
        ),
        obj(
            "contacts",
            "id:id email firstname lastname associatedcompanyid lastmodifieddate:datetime",
            cursor="lastmodifieddate",
        ),
        obj(
            "deals",
            "id:id dealname amount:number dealstage closedate:datetime "
            "hs_lastmodifieddate:datetime",
            cursor="hs_lastmodifieddate",
        ),
        obj(
            "tickets",
            "id:id subject content hs_pipeline_stage hs_lastmodifieddate:datetime",
            cursor="hs_lastmodifieddate",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "HubSpot companies",
            "companies",
            "company",
            (("id", "external_id", True), ("name", "name", False), ("domain", "website", False)),
        ),
        DefaultJob(
            "HubSpot contacts",
            "contacts",
            "person",
            (
                ("id", "external_id", True),
                ("email", "email", False),
                ("firstname", "first_name", False),
                ("lastname", "last_name", False),
            ),
        ),
    ),
    docs_url="https://developers.hubspot.com/docs/api/crm/understanding-the-crm",
)
