"""The connector catalog: one declaration per connector, looked up by its stable key."""

from __future__ import annotations

from models.catalog import (
    bigquery,
    dynamics,
    freshdesk,
    gainsight_api,
    gainsight_px,
    gong,
    hubspot,
    intercom,
    jira,
    mixpanel,
    pipedrive,
    s3,
    salesforce,
    segment,
    servicenow,
    snowflake,
    surveymonkey,
    zendesk,
    zoho,
    zuora,
)
from models.catalog.base import AuthMethod, Category, Connector
from models.errors import InvalidInput

CATALOG: dict[str, Connector] = {
    module.CONNECTOR.key: module.CONNECTOR
    for module in (
        salesforce,
        dynamics,
        hubspot,
        zoho,
        pipedrive,
        zendesk,
        freshdesk,
        servicenow,
        jira,
        intercom,
        gong,
        mixpanel,
        segment,
        gainsight_px,
        surveymonkey,
        zuora,
        bigquery,
        snowflake,
        s3,
        gainsight_api,
    )
}


def get_connector(key: str) -> Connector:
    connector = CATALOG.get(key.upper()) if key else None
    if connector is None:
        raise InvalidInput(
            f"Unknown connector {key!r}; pick one of: {', '.join(CATALOG)}.",
            field=["connectorKey"],
        )
    return connector


__all__ = ["CATALOG", "AuthMethod", "Category", "Connector", "get_connector"]
