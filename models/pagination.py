"""Keyset pagination over (created_at, id), newest first, with opaque cursors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.errors import InvalidCursor, InvalidInput

DEFAULT_PAGE = 50
MAX_PAGE = 200

T = TypeVar("T", bound=Model)


@dataclass
class Page(Generic[T]):
    nodes: list[T]
    has_next_page: bool
    end_cursor: str | None
    total_count: int


def encode_cursor(created_at: datetime, row_id: object) -> str:
    raw = json.dumps({"t": created_at.isoformat(), "i": str(row_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        created_at = datetime.fromisoformat(data["t"])
        row_id = str(data["i"])
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise InvalidCursor(
            "This cursor is not one we gave out; start again without `after`."
        ) from exc
    return created_at, row_id


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0:
        raise InvalidInput("`first` must be 0 or more (at most 200).", field=["first"])
    return min(first, MAX_PAGE)


async def paginate(query: QuerySet[T], first: int | None, after: str | None) -> Page[T]:
    limit = page_size(first)
    total = await query.count()
    if after:
        created_at, row_id = decode_cursor(after)
        _check_id(query, row_id)
        query = query.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=row_id))
    rows = await query.order_by("-created_at", "-id").limit(limit + 1)
    nodes = rows[:limit]
    end = encode_cursor(nodes[-1].created_at, nodes[-1].pk) if nodes else None
    return Page(nodes=nodes, has_next_page=len(rows) > limit, end_cursor=end, total_count=total)


def _check_id(query: QuerySet[T], row_id: str) -> None:
    """The id part must parse as the table's key type, or the database would refuse it."""
    pk_type = query.model._meta.pk.field_type
    try:
        pk_type(row_id) if pk_type in (UUID, int) else None
    except ValueError as exc:
        raise InvalidCursor("This cursor is not one we gave out; start again.") from exc
