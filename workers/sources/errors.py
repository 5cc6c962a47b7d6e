"""How a read from a source ends early; workers/sync.py re-exports these as its seam."""

from __future__ import annotations

import re
from collections.abc import Iterable


class SourceUnavailable(Exception):
    """A transient failure at the source (5xx, timeouts, connection errors): retry later."""


class SourceFailed(Exception):
    """A failure that retrying will not fix; the message is the source's own, with no secret."""


class CredentialsRefused(SourceFailed):
    """The source refused the credentials even after they were renewed once (a second 401)."""


class RepeatedCursor(SourceFailed):
    """The source handed back a page cursor it had already given: reading on would loop."""


def require_plain_names(names: Iterable[str], pattern: re.Pattern[str], what: str) -> None:
    """Refuse object and field names that are not plain names in a source's query language
    (SOQL, ZOQL, OData): mappings come from users, and a query is built from them."""
    bad = next((name for name in names if not pattern.match(name)), None)
    if bad is not None:
        raise SourceFailed(f"{bad!r} is not a {what}.")
