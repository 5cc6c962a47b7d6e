"""Statuses and the transitions between them: the one place that says what may follow what."""

from __future__ import annotations

from enum import StrEnum

from models.errors import InvalidState


class ConnectionStatus(StrEnum):
    PENDING_AUTHORIZATION = "PENDING_AUTHORIZATION"
    ACTIVE = "ACTIVE"
    NEEDS_REAUTHORIZATION = "NEEDS_REAUTHORIZATION"
    REVOKED = "REVOKED"


class ActivityStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in FINISHED


class ActivityKind(StrEnum):
    JOB_RUN = "JOB_RUN"
    TOKEN_REFRESH = "TOKEN_REFRESH"
    CONNECTION_CREATED = "CONNECTION_CREATED"
    CONNECTION_UPDATED = "CONNECTION_UPDATED"
    CONNECTION_AUTHORIZED = "CONNECTION_AUTHORIZED"
    CONNECTION_REVOKED = "CONNECTION_REVOKED"
    CONNECTION_REAUTHORIZED = "CONNECTION_REAUTHORIZED"
    CONNECTION_DELETED = "CONNECTION_DELETED"
    JOB_CREATED = "JOB_CREATED"
    JOB_UPDATED = "JOB_UPDATED"
    JOB_DELETED = "JOB_DELETED"
    CONNECTION_TESTED = "CONNECTION_TESTED"


class SyncMode(StrEnum):
    FULL = "FULL"
    INCREMENTAL = "INCREMENTAL"


FINISHED = frozenset(
    {
        ActivityStatus.SUCCEEDED,
        ActivityStatus.PARTIAL_SUCCESS,
        ActivityStatus.FAILED,
        ActivityStatus.CANCELLED,
    }
)
ACTIVE_RUN = frozenset({ActivityStatus.QUEUED, ActivityStatus.RUNNING})

_C = ConnectionStatus
CONNECTION_TRANSITIONS: dict[ConnectionStatus, frozenset[ConnectionStatus]] = {
    _C.PENDING_AUTHORIZATION: frozenset({_C.ACTIVE}),
    _C.ACTIVE: frozenset({_C.ACTIVE, _C.NEEDS_REAUTHORIZATION, _C.REVOKED}),
    _C.NEEDS_REAUTHORIZATION: frozenset({_C.ACTIVE, _C.REVOKED}),
    _C.REVOKED: frozenset({_C.ACTIVE}),
}

# Where an action may start from; reauthorization is allowed from every status.
AUTHORIZABLE = frozenset({_C.PENDING_AUTHORIZATION, _C.REVOKED, _C.NEEDS_REAUTHORIZATION})
REVOCABLE = frozenset({_C.ACTIVE, _C.NEEDS_REAUTHORIZATION})

_A = ActivityStatus
ACTIVITY_TRANSITIONS: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    _A.QUEUED: frozenset({_A.RUNNING, _A.FAILED, _A.CANCELLED}),
    _A.RUNNING: frozenset({_A.RUNNING, *FINISHED}),
    **{status: frozenset() for status in FINISHED},
}


def check_connection_transition(current: ConnectionStatus, new: ConnectionStatus) -> None:
    if new not in CONNECTION_TRANSITIONS[current]:
        raise InvalidState(
            f"A {current.value} connection cannot become {new.value}; "
            "authorize or reauthorize it first."
        )


def can_transition_activity(current: ActivityStatus, new: ActivityStatus) -> bool:
    return new in ACTIVITY_TRANSITIONS[current]
