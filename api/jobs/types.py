"""Job and its payloads as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.connections.types import Connection
from api.context import Info
from api.errors import UserError
from models.lifecycle import SyncMode
from models.tables import Job as JobRow

if TYPE_CHECKING:
    from api.activities.types import Activity


@strawberry.type
class FieldMapping:
    source: str
    target: str
    key: bool


@strawberry.input
class FieldMappingInput:
    source: str
    target: str
    key: bool = False


@strawberry.type
class Job:
    row: strawberry.Private[JobRow]
    id: strawberry.ID
    name: str
    source_object: str
    destination_object: str
    field_mappings: list[FieldMapping]
    sync_mode: SyncMode
    schedule: str | None
    enabled: bool
    built_in: bool
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: JobRow) -> Job:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            name=row.name,
            source_object=row.source_object,
            destination_object=row.destination_object,
            field_mappings=[FieldMapping(**m) for m in row.field_mappings],
            sync_mode=row.sync_mode,
            schedule=row.schedule,
            enabled=row.enabled,
            built_in=row.built_in,
            next_run_at=row.next_run_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field
    async def connection(self, info: Info) -> Connection:
        row = await info.context.loaders.connection.load(self.row.connection_id)
        return Connection.from_row(row)

    @strawberry.field
    async def last_run(
        self, info: Info
    ) -> Annotated[Activity, strawberry.lazy("api.activities.types")] | None:
        from api.activities.types import Activity

        run = await info.context.loaders.last_run.load(self.row.id)
        return Activity.from_row(run) if run else None


@strawberry.type
class JobPayload:
    job: Job | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
