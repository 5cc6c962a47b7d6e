"""A connection's OAuth access token, refreshed ahead of expiry, one refresher at a time.

What source clients call:
- `await access_token(connection)`: a usable access token (refreshed first when it expires
  within `token_refresh_margin_seconds`);
- `await refresh(connection, force=True)`: after the source answered 401, then retry once;
- `api_base_url(connection)`: the API base, with token extras such as Salesforce's
  `instance_url` or Atlassian's cloud id filled in and the operator's `api_url` override applied.

Errors: `TokenUnavailable` is transient (the token endpoint was unreachable or failed): retry
later, the connection stays ACTIVE. `ReauthorizationRequired` means the source refused for good
(`invalid_grant`): the connection is NEEDS_REAUTHORIZATION and a FAILED TOKEN_REFRESH activity
says why.
"""

from __future__ import annotations

from models.errors import ConnectionNotActive
from models.tables import Connection


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or failed; retry later."""


class ReauthorizationRequired(ConnectionNotActive):
    """The source refused the refresh for good; an admin must authorize the connection again."""


async def access_token(connection: Connection) -> str:
    """A usable access token of `connection`, refreshed first when it is about to expire."""
    raise NotImplementedError


async def refresh(connection: Connection, *, force: bool = False) -> Connection:
    """Refresh the tokens of `connection` (single-flight across workers); returns it reloaded."""
    raise NotImplementedError
