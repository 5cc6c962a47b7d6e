from urllib.parse import urlparse

from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    Setting,
    choice,
    obj,
)

# https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm


def _login_host(values: dict[str, str]) -> dict[str, str]:
    """Sandboxes log in at test.salesforce.com; a My Domain replaces either host."""
    if values.get("my_domain"):
        return {"login_host": urlparse(values["my_domain"]).netloc}
    sandbox = values.get("environment") == "sandbox"
    return {"login_host": "test.salesforce.com" if sandbox else "login.salesforce.com"}


CONNECTOR = Connector(
    key="SFDC",
    name="Salesforce",
    category=Category.CRM,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(
        choice("environment", "Environment", ("production", "sandbox"), "production"),
        Setting(
            "my_domain",
            "My Domain URL (optional)",
            type="url",
            required=False,
            help="Log in through your My Domain instead of login/test.salesforce.com.",
        ),
    ),
    oauth=OAuthEndpoints(
        authorize_url="https://{login_host}/services/oauth2/authorize",
        token_url="https://{login_host}/services/oauth2/token",
        revoke_url="https://{login_host}/services/oauth2/revoke",
        scopes=("api", "refresh_token"),
        pkce=True,
    ),
    api_url="{instance_url}",
    objects=(
        obj(
            "Account",
            "Id:id Name Industry Website AnnualRevenue:number NumberOfEmployees:integer "
            "OwnerId CreatedDate:datetime SystemModstamp:datetime",
            cursor="SystemModstamp",
        ),
        obj(
            "Contact",
            "Id:id FirstName LastName Email Phone Title AccountId "
            "CreatedDate:datetime SystemModstamp:datetime",
            cursor="SystemModstamp",
        ),
        obj(
            "Opportunity",
            "Id:id Name StageName Amount:number CloseDate:date AccountId SystemModstamp:datetime",
            cursor="SystemModstamp",
        ),
        obj(
            "Case",
            "Id:id CaseNumber Subject Status Priority AccountId ContactId SystemModstamp:datetime",
            cursor="SystemModstamp",
        ),
        obj(
            "Lead",
            "Id:id FirstName LastName Email Company Status SystemModstamp:datetime",
            cursor="SystemModstamp",
        ),
        obj(
            "User",
            "Id:id Name Email IsActive:boolean SystemModstamp:datetime",
            cursor="SystemModstamp",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Salesforce accounts",
            "Account",
            "company",
            (
                ("Id", "external_id", True),
                ("Name", "name", False),
                ("Industry", "industry", False),
                ("Website", "website", False),
            ),
        ),
        DefaultJob(
            "Salesforce contacts",
            "Contact",
            "person",
            (
                ("Id", "external_id", True),
                ("Email", "email", False),
                ("FirstName", "first_name", False),
                ("LastName", "last_name", False),
                ("AccountId", "company_external_id", False),
            ),
        ),
    ),
    docs_url="https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/",
    derive_values=_login_host,
)
