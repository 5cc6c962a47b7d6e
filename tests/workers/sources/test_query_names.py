"""Queries built from users' mappings refuse names that are not plain names of the source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from workers.sources import dynamics, salesforce, zoho, zuora
from workers.sources.errors import SourceFailed
from workers.sources.source import ReadPlan


@pytest.mark.parametrize(
    ("build", "system"),
    [
        (salesforce.soql, "Salesforce"),
        (zuora.zoql, "Zuora"),
        (dynamics.query, "Dataverse"),
        (zoho.fields_param, "Zoho CRM"),
    ],
)
def test_an_injected_name_is_refused(build: Callable[[ReadPlan], Any], system: str) -> None:
    plan = ReadPlan(object="accounts", fields=("name", "x) OR (1=1"))
    with pytest.raises(SourceFailed, match=f"is not a {system}"):
        build(plan)
