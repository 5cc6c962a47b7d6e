"""Connection and its payloads as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from api.connectors.types import Connector, SourceField
from api.context import Info
from api.errors import UserError
from api.pagination import Page, page_of
from models import credentials, source_hooks
from models.catalog import get_connector
from models.lifecycle import ActivityStatus, ConnectionStatus
from models.services import activities as activity_service
from models.services import inbound
from models.services import jobs as job_service
from models.tables import Connection as ConnectionRow

if TYPE_CHECKING:
    from api.activities.types import Activity
    from api.jobs.types import Job


@strawberry.type
class Connection:
    row: strawberry.Private[ConnectionRow]
    id: strawberry.ID
    name: str
    status: ConnectionStatus
    settings: JSON
    created_by: str
    created_at: datetime
    updated_at: datetime
    authorized_at: datetime | None

    @classmethod
    def from_row(cls, row: ConnectionRow) -> Connection:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            name=row.name,
            status=row.status,
            settings=row.settings,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            authorized_at=row.authorized_at,
        )

    @strawberry.field
    def connector(self) -> Connector:
        return Connector.from_catalog(get_connector(self.row.connector_key))

    @strawberry.field(description="Names of secret settings that hold a value; never the value.")
    def secrets_set(self) -> list[str]:
        return credentials.names_set(self.row)

    @strawberry.field(
        description="Where data is pushed to this connection (Segment's webhook URL, the "
        "Gainsight API's records endpoint); null for connections that read from a source."
    )
    def inbound_url(self) -> str | None:
        return inbound.endpoint(self.row)

    @strawberry.field(description="A FAILED activity of this connection in the last 24 hours.")
    async def has_recent_failures(self, info: Info) -> bool:
        return await info.context.loaders.failure_count.load(self.row.id) > 0

    @strawberry.field
    async def recent_failure_count(self, info: Info) -> int:
        return await info.context.loaders.failure_count.load(self.row.id)

    @strawberry.field
    async def jobs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Page[Annotated[Job, strawberry.lazy("api.jobs.types")]]:
        from api.jobs.types import Job

        actor = await info.context.actor()
        page = await job_service.list_jobs(
            actor, connection_id=str(self.row.id), first=first, after=after
        )
        return page_of(page, Job.from_row)

    @strawberry.field
    async def activities(
        self,
        info: Info,
        status: ActivityStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Annotated[Activity, strawberry.lazy("api.activities.types")]]:
        from api.activities.types import Activity

        actor = await info.context.actor()
        page = await activity_service.list_activities(
            actor, connection_id=str(self.row.id), status=status, first=first, after=after
        )
        return page_of(page, Activity.from_row)

    @strawberry.field(
        description="What this connection can read, from the source where it can tell."
    )
    async def source_objects(self) -> list[str]:
        return await source_hooks.source_objects(self.row)

    @strawberry.field(description="The fields of a source object a job can map.")
    async def source_fields(self, object: str) -> list[SourceField]:
        fields = await source_hooks.source_fields(self.row, object)
        return [SourceField(name=f.name, label=f.label, type=f.type) for f in fields]


@strawberry.type
class ConnectionPayload:
    connection: Connection | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(
    description="A secret issued for pushing data in: shown in this payload once, never again."
)
class IssuedCredential:
    name: str = strawberry.field(description="signingSecret (Segment) or accessKey.")
    value: str
    endpoint: str = strawberry.field(description="Where the sender posts, using `value`.")


@strawberry.type
class AuthorizationPayload:
    connection: Connection | None = None
    authorization_url: str | None = None
    issued_credential: IssuedCredential | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LimitPayload:
    connector_key: strawberry.ID | None = None
    max_connections: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
