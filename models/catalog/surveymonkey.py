from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    OAuthEndpoints,
    obj,
)

# https://api.surveymonkey.com/v3/docs#authentication (long-lived tokens, no refresh token)
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
    api_url="https://api.surveymonkey.com",
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
)
