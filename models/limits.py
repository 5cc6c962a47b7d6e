"""How many connections a tenant may have, per the contract's rules.

- connections of at most one CRM connector (several connections to that one CRM are fine);
- at most one connection of each SUPPORT connector, unless support staff raised it;
- a connector that does not support multiple connections allows one.
"""

from __future__ import annotations

from models.catalog import CATALOG, Category, Connector
from models.errors import ConnectionLimitReached
from models.tables import Connection, ConnectionLimit


async def check_can_add(tenant: str, connector: Connector) -> None:
    if connector.category is Category.CRM:
        await _check_single_crm(tenant, connector)
    limit = await max_connections(tenant, connector)
    if limit is None:
        return
    count = await Connection.filter(tenant=tenant, connector_key=connector.key).count()
    if count >= limit:
        raise ConnectionLimitReached(
            f"Your organization may have {limit} {connector.name} connection(s) and has {count}. "
            "Delete one, or ask platform support to raise the limit.",
            field=["connectorKey"],
        )


async def max_connections(tenant: str, connector: Connector) -> int | None:
    """The tenant's limit for this connector; None is no limit."""
    override = await ConnectionLimit.get_or_none(tenant=tenant, connector_key=connector.key)
    if override is not None:
        return override.max_connections
    if connector.category is Category.SUPPORT or not connector.supports_multiple_connections:
        return 1
    return None


async def _check_single_crm(tenant: str, connector: Connector) -> None:
    crm_keys = [key for key, c in CATALOG.items() if c.category is Category.CRM]
    other = (
        await Connection.filter(tenant=tenant, connector_key__in=crm_keys)
        .exclude(connector_key=connector.key)
        .first()
    )
    if other is not None:
        existing = CATALOG[other.connector_key].name
        raise ConnectionLimitReached(
            f"Your organization is already connected to {existing} as its CRM, and may use one "
            f"CRM. Delete the {existing} connections first to connect {connector.name}.",
            field=["connectorKey"],
        )


async def set_limit(tenant: str, connector: Connector, maximum: int, by: str) -> ConnectionLimit:
    limit, _ = await ConnectionLimit.update_or_create(
        defaults={"max_connections": maximum, "updated_by": by},
        tenant=tenant,
        connector_key=connector.key,
    )
    return limit
