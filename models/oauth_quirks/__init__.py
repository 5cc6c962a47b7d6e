"""Each OAuth connector's token quirks, looked up by connector key (see `base.Quirks`)."""

from __future__ import annotations

from models.oauth_quirks import (
    dynamics,
    hubspot,
    intercom,
    jira,
    salesforce,
    simple,
    surveymonkey,
    zendesk,
    zoho,
)
from models.oauth_quirks.base import Inspection, Quirks, RevokeContext, TokenContext

QUIRKS: dict[str, Quirks] = {
    "SFDC": salesforce.QUIRKS,
    "DYNAMICS": dynamics.QUIRKS,
    "HUBSPOT": hubspot.QUIRKS,
    "ZOHO": zoho.QUIRKS,
    "PIPEDRIVE": simple.PIPEDRIVE,
    "ZENDESK": zendesk.QUIRKS,
    "SERVICENOW": simple.SERVICENOW,
    "JIRA": jira.QUIRKS,
    "GONG_IO": simple.GONG,
    "SURVEYMONKEY": surveymonkey.QUIRKS,
    "INTERCOM": intercom.QUIRKS,
}


def quirks_for(connector_key: str) -> Quirks:
    return QUIRKS.get(connector_key, Quirks())


__all__ = ["Inspection", "Quirks", "RevokeContext", "TokenContext", "quirks_for"]
