from __future__ import annotations

import strawberry

from api.activities.types import Activity, ActivityPayload
from api.context import Info
from api.errors import user_errors
from models.services import jobs


@strawberry.type
class ActivityMutations:
    @strawberry.mutation(
        description="Queue a run of a job; the same idempotencyKey returns the same run."
    )
    @user_errors(ActivityPayload)
    async def run_job(
        self, info: Info, id: strawberry.ID, idempotency_key: str | None = None
    ) -> ActivityPayload:
        row = await jobs.run_job(await info.context.actor(), id, idempotency_key)
        return ActivityPayload(activity=Activity.from_row(row))

    @strawberry.mutation(description="Stop a queued or running run; it ends CANCELLED.")
    @user_errors(ActivityPayload)
    async def cancel_activity(self, info: Info, id: strawberry.ID) -> ActivityPayload:
        row = await jobs.cancel_activity(await info.context.actor(), id)
        return ActivityPayload(activity=Activity.from_row(row))
