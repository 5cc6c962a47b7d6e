"""Ids as clients send them: a malformed id is just an id that matches nothing."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)


def parse_id(value: str | None) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def by_id(query: QuerySet[M], field: str, value: str) -> QuerySet[M]:
    """Filter on an id field; a malformed id yields no rows rather than an error."""
    parsed = parse_id(value)
    return query.filter(**{field: parsed}) if parsed else query.filter(pk__in=[])
