"""Source clients: the framework (source, http, auth, paging, hosts, budget) and one module
per source system. Importing this package registers every source and its hooks."""

from __future__ import annotations

from workers.sources import hubspot, jira, salesforce, zendesk
from workers.sources.registry import SOURCES, register, source_for

__all__ = ["SOURCES", "hubspot", "jira", "register", "salesforce", "source_for", "zendesk"]
