"""Domain errors: each expected failure is a small class with the contract's user error code.

The API maps them once (api/errors.py) to `userErrors`; workers record them on activities.
Every message says what the caller can do next.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "INVALID_INPUT"

    def __init__(self, message: str, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "INVALID_INPUT"


class NameTaken(DomainError):
    code = "NAME_TAKEN"


class ConnectionLimitReached(DomainError):
    code = "CONNECTION_LIMIT_REACHED"


class InvalidState(DomainError):
    code = "INVALID_STATE"


class ConnectionNotActive(DomainError):
    code = "CONNECTION_NOT_ACTIVE"


class AuthorizationFailed(DomainError):
    code = "AUTHORIZATION_FAILED"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyRunning(DomainError):
    code = "ALREADY_RUNNING"


class InvalidCursor(DomainError):
    """A page cursor that did not come from us; surfaces as a GraphQL error, not a userError."""

    code = "INVALID_CURSOR"


class Forbidden(DomainError):
    """The caller's role may not do this; surfaces as a GraphQL error with code FORBIDDEN."""

    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
