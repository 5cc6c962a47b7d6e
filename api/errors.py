"""Domain errors to GraphQL, mapped once.

In mutations, expected failures become `userErrors` entries (`user_errors`). Elsewhere, and
for who-may-call failures everywhere, they become GraphQL errors whose `extensions.code` is
the error's code. Anything unexpected is logged with a request id and reaches the client as
a generic error naming that id, never a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from functools import wraps
from typing import ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from models import logging as logs
from models.errors import DomainError, Forbidden, InvalidCursor, Unauthenticated

logger = logging.getLogger("api.errors")

# Raised as GraphQL errors even inside mutations: they are about the call, not the input.
CALL_ERRORS = (Unauthenticated, Forbidden, InvalidCursor)


@strawberry.type
class UserError:
    code: str
    message: str
    field: list[str] | None = None


def user_error(error: DomainError) -> UserError:
    return UserError(code=error.code, message=error.message, field=error.field)


P = ParamSpec("P")
R = TypeVar("R")


def user_errors(
    payload: Callable[..., R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Turn a mutation's expected DomainError into `payload(userErrors=[...])`."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(resolver)
        async def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except CALL_ERRORS:
                raise
            except DomainError as error:
                return payload(user_errors=[user_error(error)])

        return wrapped

    return decorate


class DomainErrors(SchemaExtension):
    """Gives domain errors their code and hides everything unexpected behind a request id."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [_translate(error) for error in result.errors]


def _translate(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        error.extensions = {**(error.extensions or {}), "code": original.code}
        return error
    if original is None:
        return error  # a validation or syntax error: its message is for the client
    # The id of the request's access line, so support can find both from what the user quotes.
    request_id = logs.bound_id("request_id") or uuid.uuid4().hex
    logger.error(
        "unexpected error in GraphQL resolver",
        exc_info=original,
        extra={"request_id": request_id, "path": error.path},
    )
    return GraphQLError(
        f"Something went wrong on our side; quote request id {request_id} to support.",
        path=error.path,
        nodes=error.nodes,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )
