"""The connector catalog as GraphQL types."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from models.catalog import Connector as CatalogConnector
from models.catalog.base import AuthMethod, Category


@strawberry.type
class ConnectorSetting:
    name: str
    label: str
    type: str
    required: bool
    secret: bool
    default: JSON | None
    choices: list[str] | None
    help: str | None


@strawberry.type
class SourceField:
    name: str
    label: str | None
    type: str


@strawberry.type
class Connector:
    key: strawberry.ID
    name: str
    category: Category
    auth_method: AuthMethod
    requires_authorization: bool
    supports_multiple_connections: bool
    settings: list[ConnectorSetting]
    objects: list[str]

    @classmethod
    def from_catalog(cls, connector: CatalogConnector) -> Connector:
        return cls(
            key=strawberry.ID(connector.key),
            name=connector.name,
            category=connector.category,
            auth_method=connector.auth_method,
            requires_authorization=connector.requires_authorization,
            supports_multiple_connections=connector.supports_multiple_connections,
            settings=[
                ConnectorSetting(
                    name=s.name,
                    label=s.label,
                    type=s.type,
                    required=s.required,
                    secret=s.secret,
                    default=s.default,
                    choices=list(s.choices) if s.choices else None,
                    help=s.help,
                )
                for s in connector.settings
            ],
            objects=[o.name for o in connector.objects],
        )
