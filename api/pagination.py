"""Page types of the contract: nodes, pageInfo and totalCount.

`Page[Connection]` is named `ConnectionPage` in the schema (Strawberry names a generic after
its argument), and likewise `JobPage` and `ActivityPage`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from models.pagination import Page as CorePage

T = TypeVar("T")
Row = TypeVar("Row")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: CorePage) -> PageInfo:  # type: ignore[type-arg]
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)


@strawberry.type
class Page(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    total_count: int


def page_of(page: CorePage, shape: Callable[[Row], T]) -> Page[T]:  # type: ignore[type-arg]
    """A core page of rows, each shaped into its GraphQL type."""
    return Page(
        nodes=[shape(row) for row in page.nodes],
        page_info=PageInfo.of(page),
        total_count=page.total_count,
    )
