from __future__ import annotations

import strawberry

from api.connections.types import DeletePayload
from api.context import Info
from api.errors import user_errors
from api.jobs.types import FieldMappingInput, Job, JobPayload
from models.lifecycle import SyncMode
from models.services import jobs


@strawberry.input
class CreateJobInput:
    connection_id: strawberry.ID
    name: str
    source_object: str
    destination_object: str
    field_mappings: list[FieldMappingInput]
    sync_mode: SyncMode = SyncMode.FULL
    schedule: str | None = None
    enabled: bool = True


@strawberry.input
class UpdateJobInput:
    name: str | None = None
    field_mappings: list[FieldMappingInput] | None = None
    sync_mode: SyncMode | None = None
    schedule: str | None = strawberry.UNSET
    enabled: bool | None = None


def _mappings(inputs: list[FieldMappingInput]) -> list[jobs.Mapping]:
    return [jobs.Mapping(source=m.source, target=m.target, key=m.key) for m in inputs]


@strawberry.type
class JobMutations:
    @strawberry.mutation
    @user_errors(JobPayload)
    async def create_job(self, info: Info, input: CreateJobInput) -> JobPayload:
        row = await jobs.create_job(
            await info.context.actor(),
            connection_id=input.connection_id,
            name=input.name,
            source_object=input.source_object,
            destination_object=input.destination_object,
            field_mappings=_mappings(input.field_mappings),
            sync_mode=input.sync_mode,
            schedule=input.schedule,
            enabled=input.enabled,
        )
        return JobPayload(job=Job.from_row(row))

    @strawberry.mutation(description="Change a job; `schedule: null` makes it manual only.")
    @user_errors(JobPayload)
    async def update_job(self, info: Info, id: strawberry.ID, input: UpdateJobInput) -> JobPayload:
        schedule_given = input.schedule is not strawberry.UNSET
        changes = jobs.JobChanges(
            name=input.name,
            field_mappings=_mappings(input.field_mappings) if input.field_mappings else None,
            sync_mode=input.sync_mode,
            schedule=input.schedule if schedule_given else None,
            clear_schedule=schedule_given and not input.schedule,
            enabled=input.enabled,
        )
        row = await jobs.update_job(await info.context.actor(), id, changes)
        return JobPayload(job=Job.from_row(row))

    @strawberry.mutation
    @user_errors(DeletePayload)
    async def delete_job(self, info: Info, id: strawberry.ID) -> DeletePayload:
        deleted = await jobs.delete_job(await info.context.actor(), id)
        return DeletePayload(deleted_id=strawberry.ID(deleted))
