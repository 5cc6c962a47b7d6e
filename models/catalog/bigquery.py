from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    Setting,
    obj,
    secret,
)

# https://cloud.google.com/bigquery/docs/reference/rest
# https://developers.google.com/identity/protocols/oauth2/service-account (JWT bearer grant)
CONNECTOR = Connector(
    key="BIGQUERY",
    name="Google BigQuery",
    category=Category.DATA_WAREHOUSE,
    auth_method=AuthMethod.SERVICE_ACCOUNT,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        Setting("project_id", "Project ID"),
        Setting("dataset", "Dataset"),
        Setting("location", "Location", required=False, default="US"),
        secret("service_account_json", "Service account key (JSON)", type="text"),
    ),
    api_url="https://bigquery.googleapis.com",
    objects=(obj("table", "id:id updated_at:datetime", cursor="updated_at"),),
    docs_url="https://cloud.google.com/bigquery/docs/reference/rest",
)
