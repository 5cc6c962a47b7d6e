"""The GraphQL schema, assembled from each domain's queries and mutations."""

from __future__ import annotations

import strawberry

from api import enums  # noqa: F401  (registers the core's enums with their contract names)
from api.activities.mutations import ActivityMutations
from api.activities.queries import ActivityQueries
from api.connections.mutations import ConnectionMutations
from api.connections.queries import ConnectionQueries
from api.connectors.queries import ConnectorQueries
from api.errors import DomainErrors
from api.jobs.mutations import JobMutations
from api.jobs.queries import JobQueries
from api.metrics import OperationMetrics
from api.records.queries import RecordQueries
from api.subscriptions import Subscription


@strawberry.type
class Query(ConnectorQueries, ConnectionQueries, JobQueries, ActivityQueries, RecordQueries):
    pass


@strawberry.type
class Mutation(ConnectionMutations, JobMutations, ActivityMutations):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[DomainErrors, OperationMetrics],
)


def export_sdl() -> str:
    return schema.as_str() + "\n"
