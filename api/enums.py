"""The core's enums, exposed to GraphQL under the contract's names."""

from __future__ import annotations

import strawberry

from models.catalog.base import AuthMethod, Category
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus, SyncMode

ConnectorCategory = strawberry.enum(Category, name="ConnectorCategory")
AuthMethodEnum = strawberry.enum(AuthMethod, name="AuthMethod")
ConnectionStatusEnum = strawberry.enum(ConnectionStatus, name="ConnectionStatus")
ActivityStatusEnum = strawberry.enum(ActivityStatus, name="ActivityStatus")
ActivityKindEnum = strawberry.enum(ActivityKind, name="ActivityKind")
SyncModeEnum = strawberry.enum(SyncMode, name="SyncMode")
