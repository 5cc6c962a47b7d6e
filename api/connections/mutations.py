from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.activities.types import Activity, ActivityPayload
from api.connections.types import (
    AuthorizationPayload,
    Connection,
    ConnectionPayload,
    DeletePayload,
    IssuedCredential,
    LimitPayload,
)
from api.context import Info
from api.errors import user_errors
from models.services import connection_tests, connections
from models.services.connections import AuthorizationStart


@strawberry.input
class CreateConnectionInput:
    connector_key: strawberry.ID
    name: str
    settings: JSON | None = None


@strawberry.input
class UpdateConnectionInput:
    name: str | None = None
    settings: JSON | None = None


def _authorization(start: AuthorizationStart) -> AuthorizationPayload:
    return AuthorizationPayload(
        connection=Connection.from_row(start.connection),
        authorization_url=start.authorization_url,
        issued_credential=IssuedCredential(**vars(start.issued)) if start.issued else None,
    )


@strawberry.type
class ConnectionMutations:
    @strawberry.mutation(description="Save a connection, or start its authorization.")
    @user_errors(AuthorizationPayload)
    async def create_connection(
        self, info: Info, input: CreateConnectionInput
    ) -> AuthorizationPayload:
        start = await connections.create_connection(
            await info.context.actor(), input.connector_key, input.name, input.settings
        )
        return _authorization(start)

    @strawberry.mutation
    @user_errors(ConnectionPayload)
    async def update_connection(
        self, info: Info, id: strawberry.ID, input: UpdateConnectionInput
    ) -> ConnectionPayload:
        row = await connections.update_connection(
            await info.context.actor(), id, input.name, input.settings
        )
        return ConnectionPayload(connection=Connection.from_row(row))

    @strawberry.mutation
    @user_errors(DeletePayload)
    async def delete_connection(self, info: Info, id: strawberry.ID) -> DeletePayload:
        deleted = await connections.delete_connection(await info.context.actor(), id)
        return DeletePayload(deleted_id=strawberry.ID(deleted))

    @strawberry.mutation(
        description="Start authorization again for a pending, revoked or expired connection."
    )
    @user_errors(AuthorizationPayload)
    async def authorize_connection(self, info: Info, id: strawberry.ID) -> AuthorizationPayload:
        start = await connections.authorize_connection(await info.context.actor(), id)
        return _authorization(start)

    @strawberry.mutation
    @user_errors(ConnectionPayload)
    async def revoke_connection(self, info: Info, id: strawberry.ID) -> ConnectionPayload:
        row = await connections.revoke_connection(await info.context.actor(), id)
        return ConnectionPayload(connection=Connection.from_row(row))

    @strawberry.mutation(
        description="Replace the credentials; the old ones keep working until the new arrive."
    )
    @user_errors(AuthorizationPayload)
    async def reauthorize_connection(
        self,
        info: Info,
        id: strawberry.ID,
        settings: JSON | None = None,
        allow_account_change: bool = False,
    ) -> AuthorizationPayload:
        start = await connections.reauthorize_connection(
            await info.context.actor(), id, settings, allow_account_change=allow_account_change
        )
        return _authorization(start)

    @strawberry.mutation(
        description="Test the connection at its source in the background (a CONNECTION_TESTED "
        "activity); while a test is queued or running, that test is the answer."
    )
    @user_errors(ActivityPayload)
    async def test_connection(self, info: Info, id: strawberry.ID) -> ActivityPayload:
        row = await connection_tests.test_connection(await info.context.actor(), id)
        return ActivityPayload(activity=Activity.from_row(row))

    @strawberry.mutation(description="Platform support: change a tenant's connection limit.")
    @user_errors(LimitPayload)
    async def set_connection_limit(
        self, info: Info, tenant: str, connector_key: strawberry.ID, max_connections: int
    ) -> LimitPayload:
        limit = await connections.set_connection_limit(
            await info.context.actor(), tenant, connector_key, max_connections
        )
        return LimitPayload(
            connector_key=strawberry.ID(limit.connector_key),
            max_connections=limit.max_connections,
        )
