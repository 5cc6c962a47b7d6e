from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    Setting,
    obj,
    vendor_host,
)

# https://docs.servicenow.com/bundle/latest/page/administer/security/concept/c_OAuthAuthorizationCodeFlow.html
# https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI
CONNECTOR = Connector(
    key="SERVICENOW",
    name="ServiceNow",
    category=Category.SUPPORT,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=False,
    settings=(Setting("instance", "Instance name", help="e.g. acme for acme.service-now.com"),),
    oauth=OAuthEndpoints(
        authorize_url="https://{instance_host}/oauth_auth.do",
        token_url="https://{instance_host}/oauth_token.do",
        revoke_url="https://{instance_host}/oauth_revoke_token.do",
        scopes=("useraccount",),
    ),
    api_url="https://{instance_host}",
    objects=(
        obj(
            "incident",
            "sys_id:id number short_description state priority caller_id sys_updated_on:datetime",
            cursor="sys_updated_on",
        ),
        obj(
            "sys_user",
            "sys_id:id name email active:boolean sys_updated_on:datetime",
            cursor="sys_updated_on",
        ),
        obj(
            "core_company",
            "sys_id:id name website sys_updated_on:datetime",
            cursor="sys_updated_on",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "ServiceNow incidents",
            "incident",
            "ticket",
            (
                ("sys_id", "external_id", True),
                ("short_description", "subject", False),
                ("state", "status", False),
            ),
        ),
        DefaultJob(
            "ServiceNow users",
            "sys_user",
            "person",
            (("sys_id", "external_id", True), ("email", "email", False), ("name", "name", False)),
        ),
        DefaultJob(
            "ServiceNow companies",
            "core_company",
            "company",
            (
                ("sys_id", "external_id", True),
                ("name", "name", False),
                ("website", "website", False),
            ),
        ),
    ),
    docs_url="https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI",
    derive_values=vendor_host("instance", ".service-now.com", "instance_host"),
)
