from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    Setting,
    choice,
    obj,
    secret,
)

# https://developer.zuora.com/v1-api-reference/api/authentication/ (OAuth client credentials)
# https://developer.zuora.com/v1-api-reference/ (one REST host per environment)
HOSTS = {
    "US Production": "rest.zuora.com",
    "US Sandbox": "rest.apisandbox.zuora.com",
    "EU Production": "rest.eu.zuora.com",
    "EU Sandbox": "rest.sandbox.eu.zuora.com",
}


def _host(values: dict[str, str]) -> dict[str, str]:
    return {"zuora_host": HOSTS.get(values.get("environment", ""), HOSTS["US Production"])}


CONNECTOR = Connector(
    key="ZUORA",
    name="Zuora",
    category=Category.BILLING,
    auth_method=AuthMethod.OAUTH2,
    requires_authorization=False,
    supports_multiple_connections=False,
    settings=(
        choice("environment", "Environment", tuple(HOSTS), "US Production"),
        Setting("client_id", "OAuth client ID"),
        secret("client_secret", "OAuth client secret"),
    ),
    api_url="https://{zuora_host}",
    objects=(
        obj(
            "Account",
            "Id:id Name AccountNumber Status Balance:number UpdatedDate:datetime",
            cursor="UpdatedDate",
        ),
        obj(
            "Subscription",
            "Id:id Name AccountId Status TermEndDate:date UpdatedDate:datetime",
            cursor="UpdatedDate",
        ),
        obj(
            "Invoice",
            "Id:id InvoiceNumber AccountId Amount:number Status UpdatedDate:datetime",
            cursor="UpdatedDate",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Zuora accounts",
            "Account",
            "company",
            (("Id", "zuora_id", True), ("Name", "name", False), ("Balance", "balance", False)),
        ),
    ),
    docs_url="https://developer.zuora.com/v1-api-reference/",
    derive_values=_host,
)
