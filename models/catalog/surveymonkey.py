from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://api.surveymonkey.com/v3/docs#authentication (long-lived tokens, no refresh token;
# `access_url` in the token response is the account's data centre, e.g. api.eu.surveymonkey.com)
US_API = "https://api.surveymonkey.com"


def _api_host(values: dict[str, str]) -> dict[str, str]:
    return {"api_host": values.get("access_url") or US_API}


CONNECTOR = Connector(
    key="SURVEYMONKEY",
    name="SurveyMonkey",
    category=Category.SURVEY,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=True,
    supports_multiple_connections=True,
    settings=(),
    oauth=OAuthEndpoints(
        authorize_url="https://api.surveymonkey.com/oauth/authorize",
        token_url="https://api.surveymonkey.com/oauth/token",
        scopes=("surveys_read", "responses_read", "responses_read_detail"),
    ),
    api_url="{api_host}",
    objects=(
        obj(
            "surveys",
            "id:id title response_count:integer date_modified:datetime",
            cursor="date_modified",
        ),
        obj(
            "responses",
            "id:id survey_id recipient_id total_time:integer date_modified:datetime",
            cursor="date_modified",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "SurveyMonkey surveys",
            "surveys",
            "survey",
            (("id", "external_id", True), ("title", "title", False)),
        ),
        DefaultJob(
            "SurveyMonkey responses",
            "responses",
            "survey_response",
            (
                ("id", "external_id", True),
                ("survey_id", "survey_id", False),
                ("date_modified", "answered_at", False),
            ),
        ),
    ),
    docs_url="https://api.surveymonkey.com/v3/docs",
    derive_values=_api_host,
)
