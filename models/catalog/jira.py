from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    Setting,
    obj,
)

# https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
# After the code exchange, accessible-resources names the cloud id; the API lives at
# https://api.atlassian.com/ex/jira/{cloud_id}.
CONNECTOR = Connector(
    key="JIRA",
    name="Jira",
    category=Category.SUPPORT,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=False,
    settings=(
        Setting(
            "site_url",
            "Jira site URL",
            type="url",
            help="e.g. https://acme.atlassian.net: picks the site if you can reach several",
        ),
    ),
    oauth=OAuthEndpoints(
        authorize_url="https://auth.atlassian.com/authorize",
        token_url="https://auth.atlassian.com/oauth/token",
        scopes=("read:jira-work", "read:jira-user", "offline_access"),
        authorize_params={"audience": "api.atlassian.com", "prompt": "consent"},
    ),
    api_url="https://api.atlassian.com/ex/jira/{cloud_id}",
    objects=(
        obj(
            "issues",
            "id:id key summary status priority assignee reporter project "
            "created:datetime updated:datetime",
            cursor="updated",
        ),
        obj("projects", "id:id key name projectTypeKey"),
        obj("users", "accountId:id displayName emailAddress active:boolean"),
    ),
    default_jobs=(
        DefaultJob(
            "Jira issues",
            "issues",
            "ticket",
            (
                ("id", "external_id", True),
                ("summary", "subject", False),
                ("status", "status", False),
            ),
        ),
    ),
    docs_url="https://developer.atlassian.com/cloud/jira/platform/rest/v3/",
)
