from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    choice,
    obj,
)

# https://www.zoho.com/crm/developer/docs/api/v8/oauth-overview.html
# https://www.zoho.com/crm/developer/docs/api/v8/multi-dc.html
# The accounts host is data-centre specific; the token response's `api_domain` is the API host.
CONNECTOR = Connector(
    key="ZOHO",
    name="Zoho CRM",
    category=Category.CRM,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(
        choice(
            "data_centre", "Data centre", ("com", "eu", "in", "com.au", "jp", "ca", "com.cn"), "com"
        ),
    ),
    oauth=OAuthEndpoints(
        authorize_url="https://accounts.zoho.{data_centre}/oauth/v2/auth",
        token_url="https://accounts.zoho.{data_centre}/oauth/v2/token",
        revoke_url="https://accounts.zoho.{data_centre}/oauth/v2/token/revoke",
        # ZohoCRM.org.READ: the Organization API names the org (models/oauth_quirks/zoho.py).
        scopes=("ZohoCRM.modules.READ", "ZohoCRM.settings.READ", "ZohoCRM.org.READ"),
        authorize_params={"access_type": "offline", "prompt": "consent"},
        scope_separator=",",
    ),
    api_url="{api_domain}",
    objects=(
        obj(
            "Accounts",
            "id:id Account_Name Website Industry Modified_Time:datetime",
            cursor="Modified_Time",
        ),
        obj(
            "Contacts",
            "id:id First_Name Last_Name Email Account_Name Modified_Time:datetime",
            cursor="Modified_Time",
        ),
        obj(
            "Deals",
            "id:id Deal_Name Amount:number Stage Modified_Time:datetime",
            cursor="Modified_Time",
        ),
        obj(
            "Leads",
            "id:id First_Name Last_Name Email Company Modified_Time:datetime",
            cursor="Modified_Time",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Zoho accounts",
            "Accounts",
            "company",
            (
                ("id", "external_id", True),
                ("Account_Name", "name", False),
                ("Website", "website", False),
            ),
        ),
        DefaultJob(
            "Zoho contacts",
            "Contacts",
            "person",
            (
                ("id", "external_id", True),
                ("Email", "email", False),
                ("First_Name", "first_name", False),
                ("Last_Name", "last_name", False),
            ),
        ),
    ),
    docs_url="https://www.zoho.com/crm/developer/docs/api/v8/",
)
