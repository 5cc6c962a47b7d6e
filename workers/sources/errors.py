"""How a read from a source ends early; workers/sync.py re-exports these as its seam."""

from __future__ import annotations


class SourceUnavailable(Exception):
    """A transient failure at the source (5xx, timeouts, connection errors): retry later."""


class SourceFailed(Exception):
    """A failure that retrying will not fix; the message is the source's own, with no secret."""


class CredentialsRefused(SourceFailed):
    """The source refused the credentials even after they were renewed once (a second 401)."""


class RepeatedCursor(SourceFailed):
    """The source handed back a page cursor it had already given: reading on would loop."""
