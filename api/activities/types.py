"""Activity and its payloads as GraphQL types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.connections.types import Connection
from api.context import Info
from api.errors import UserError
from api.jobs.types import Job
from models.lifecycle import ActivityKind, ActivityStatus
from models.tables import Activity as ActivityRow


@strawberry.type
class Activity:
    row: strawberry.Private[ActivityRow]
    id: strawberry.ID
    kind: ActivityKind
    status: ActivityStatus
    connection_name: str
    actor: str | None
    message: str | None
    error: str | None
    records_read: int
    records_written: int
    records_failed: int
    attempts: int
    details: JSON
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: ActivityRow) -> Activity:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            status=row.status,
            connection_name=row.connection_name,
            actor=row.actor,
            message=row.message,
            error=row.error,
            records_read=row.records_read,
            records_written=row.records_written,
            records_failed=row.records_failed,
            attempts=row.attempts,
            details=row.details,
            created_at=row.created_at,
            updated_at=row.updated_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    @strawberry.field(description="Null once the connection is deleted.")
    async def connection(self, info: Info) -> Connection | None:
        if self.row.connection_id is None:
            return None
        row = await info.context.loaders.connection.load(self.row.connection_id)
        return Connection.from_row(row) if row else None

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        if self.row.job_id is None:
            return None
        row = await info.context.loaders.job.load(self.row.job_id)
        return Job.from_row(row) if row else None


@strawberry.type
class ActivityPayload:
    activity: Activity | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
