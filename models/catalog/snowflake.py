from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    Setting,
    obj,
    secret,
)

# https://docs.snowflake.com/en/developer-guide/sql-api/authenticating (key-pair JWT)
# https://docs.snowflake.com/en/developer-guide/sql-api/submitting-requests
CONNECTOR = Connector(
    key="SNOWFLAKE",
    name="Snowflake",
    category=Category.DATA_WAREHOUSE,
    auth_method=AuthMethod.KEY_PAIR,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        Setting("account", "Account identifier", help="e.g. myorg-myaccount"),
        Setting("warehouse", "Warehouse"),
        Setting("database", "Database"),
        Setting("schema", "Schema", default="PUBLIC"),
        Setting("user", "User"),
        Setting("role", "Role", required=False),
        secret("private_key", "Private key (PEM)", type="text"),
    ),
    api_url="https://{account}.snowflakecomputing.com",
    objects=(obj("table", "id:id updated_at:datetime", cursor="updated_at"),),
    docs_url="https://docs.snowflake.com/en/developer-guide/sql-api/index",
)
