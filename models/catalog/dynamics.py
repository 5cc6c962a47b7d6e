from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    Setting,
    obj,
)

# https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
# https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/overview
CONNECTOR = Connector(
    key="DYNAMICS",
    name="Microsoft Dynamics 365",
    category=Category.CRM,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(
        Setting(
            "environment_url",
            "Environment URL",
            type="url",
            help="Your Dataverse environment, e.g. https://contoso.crm.dynamics.com",
        ),
        Setting(
            "azure_tenant",
            "Microsoft Entra tenant (ID or domain)",
            required=False,
            default="organizations",
        ),
    ),
    oauth=OAuthEndpoints(
        authorize_url="https://login.microsoftonline.com/{azure_tenant}/oauth2/v2.0/authorize",
        token_url="https://login.microsoftonline.com/{azure_tenant}/oauth2/v2.0/token",
        scopes=("{environment_url}/user_impersonation", "offline_access"),
        pkce=True,
    ),
    api_url="{environment_url}",
    objects=(
        obj(
            "accounts",
            "accountid:id name websiteurl industrycode:integer revenue:number modifiedon:datetime",
            cursor="modifiedon",
        ),
        obj(
            "contacts",
            "contactid:id firstname lastname emailaddress1 telephone1 "
            "_parentcustomerid_value modifiedon:datetime",
            cursor="modifiedon",
        ),
        obj(
            "opportunities",
            "opportunityid:id name estimatedvalue:number statecode:integer modifiedon:datetime",
            cursor="modifiedon",
        ),
        obj(
            "incidents",
            "incidentid:id title ticketnumber statecode:integer modifiedon:datetime",
            cursor="modifiedon",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Dynamics accounts",
            "accounts",
            "company",
            (
                ("accountid", "external_id", True),
                ("name", "name", False),
                ("websiteurl", "website", False),
            ),
        ),
        DefaultJob(
            "Dynamics contacts",
            "contacts",
            "person",
            (
                ("contactid", "external_id", True),
                ("emailaddress1", "email", False),
                ("firstname", "first_name", False),
                ("lastname", "last_name", False),
            ),
        ),
    ),
    docs_url="https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/overview",
)
