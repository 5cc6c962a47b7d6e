"""The connector catalog: the contract's twenty connectors, each declaration consistent."""

from __future__ import annotations

import pytest

from models.catalog import CATALOG, Category
from models.catalog.base import AuthMethod, Connector

CONTRACT_KEYS = [
    "SFDC", "DYNAMICS", "HUBSPOT", "ZOHO", "PIPEDRIVE", "ZENDESK", "FRESHDESK", "SERVICENOW",
    "JIRA", "INTERCOM", "GONG_IO", "MIXPANEL", "SEGMENT_IO", "GAINSIGHT_PX", "SURVEYMONKEY",
    "ZUORA", "BIGQUERY", "SNOWFLAKE", "S3", "GAINSIGHT_API",
]  # fmt: skip


def test_the_catalog_has_exactly_the_contracts_connectors() -> None:
    assert sorted(CATALOG) == sorted(CONTRACT_KEYS)


@pytest.mark.parametrize("connector", CATALOG.values(), ids=lambda c: c.key)
def test_built_in_jobs_map_fields_their_source_object_declares(connector: Connector) -> None:
    for job in connector.default_jobs:
        source = connector.source_object(job.source_object)
        assert source is not None, f"{job.name}: {job.source_object} is not declared"
        declared = {field.name for field in source.fields}
        for source_field, _target, _key in job.mappings:
            root = source_field if source_field in declared else source_field.split(".")[0]
            assert source_field in declared or root in declared, (job.name, source_field)
        assert any(key for *_, key in job.mappings), f"{job.name} has no key mapping"


@pytest.mark.parametrize("connector", CATALOG.values(), ids=lambda c: c.key)
def test_logging_in_at_the_source_means_oauth_endpoints(connector: Connector) -> None:
    if connector.requires_authorization and connector.auth_method is AuthMethod.OAUTH2:
        assert connector.oauth is not None
    if connector.category is Category.CRM:
        assert connector.requires_authorization
    secret_names = {s.name for s in connector.settings if s.secret}
    assert all(s.type in ("secret", "text") for s in connector.settings if s.name in secret_names)
