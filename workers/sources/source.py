"""What a source is: a declaration the framework runs, plus only the code that is its own.

A `Source` names how it authenticates (`auth`), where its API is (`api_url` template and the
domains a user-supplied host must fall under), how much traffic one account may take
(`budget`), how it reports errors and rate limits (`dialect`), and how it reads an object
(`read`: an async generator of `Page`s built on paging.walk). The optional hooks (`check`,
`list_objects`, `describe`) answer the core through models.source_hooks; `probe` is the
connection test's call (workers/connection_tests.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from models import credentials, tokens
from models import settings as config
from models.catalog import get_connector
from models.catalog.base import SourceField
from models.oauth_endpoints import fill, template_values
from models.source_hooks import CheckInput
from models.tables import Connection
from workers.sources.auth import Auth
from workers.sources.budget import Budget, SharedBudget
from workers.sources.hosts import check_url
from workers.sources.http import Dialect, SourceHttp


@dataclass(frozen=True)
class ReadPlan:
    object: str
    fields: tuple[str, ...]  # the source fields the job maps, as written in the mappings
    since: Any = None  # the cursor the last run saved; None reads everything
    incremental: bool = False


@dataclass
class Page:
    records: list[dict[str, Any]]
    # Where a later run resumes once this page is loaded; None: not known after this page.
    cursor: Any = None


@dataclass
class Access:
    """What a source client may use: settings, secrets, token extras, and the connection."""

    connector_key: str
    tenant: str
    settings: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)  # instance_url, cloud_id, ...
    connection: Connection | None = None

    @classmethod
    def of(cls, connection: Connection) -> Access:
        return cls(
            connector_key=connection.connector_key,
            tenant=connection.tenant,
            settings=dict(connection.settings or {}),
            secrets=credentials.secret_settings(connection),
            extras=tokens.token_extras(connection),
            connection=connection,
        )

    @classmethod
    def checking(cls, check: CheckInput) -> Access:
        return cls(check.connector_key, check.tenant, dict(check.settings), dict(check.secrets))

    @property
    def account_key(self) -> str:
        """Whose rate budget requests take: the connection's, or the tenant's while checking."""
        if self.connection is not None:
            return str(self.connection.id)
        return f"check:{self.tenant}:{self.connector_key}"

    def setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value in (None, "") else value


Reader = Callable[["Session", ReadPlan], AsyncIterator[Page]]
DEFAULT_BUDGET = Budget(10, 1.0)
DEFAULT_DIALECT = Dialect()


@dataclass(frozen=True)
class Source:
    key: str
    auth: Callable[[Access], Auth]
    read: Reader
    domains: tuple[str, ...]  # a user-supplied API host must be under one of these
    api_url: str | None = None  # template; None: the catalog's
    # Template values of the source's own (a region's host), beside settings and extras.
    values: Callable[[Access], dict[str, str]] | None = None
    budget: Budget = DEFAULT_BUDGET
    dialect: Dialect = DEFAULT_DIALECT
    headers: dict[str, str] = field(default_factory=dict)
    check: Callable[[Session], Awaitable[str | None]] | None = None
    list_objects: Callable[[Session], Awaitable[list[str]]] | None = None
    describe: Callable[[Session, str], Awaitable[list[SourceField]]] | None = None
    # The cheapest authenticated call, for connection tests: says what it saw (an account,
    # a count). Without it: `check`, else `list_objects`, else one page of one object.
    probe: Callable[[Session], Awaitable[str]] | None = None

    @property
    def name(self) -> str:
        return get_connector(self.key).name


@dataclass
class Session:
    source: Source
    access: Access
    http: SourceHttp

    @property
    def name(self) -> str:
        return self.source.name


def api_base(source: Source, access: Access) -> str:
    """The API base: the operator's override (then the real API's path), else the template
    filled from settings and token extras, its host checked."""
    connector = get_connector(source.key)
    template = source.api_url or connector.api_url or ""
    own = source.values(access) if source.values else {}
    values = template_values(connector, {**access.settings, **access.extras, **own})
    override = config.current().overrides(source.key).api_url
    if override:
        path = urlsplit(template).path if template.startswith(("https://", "http://")) else ""
        return override.rstrip("/") + fill(path, values, "API address").rstrip("/")
    url = fill(template, values, "API address").rstrip("/")
    return check_url(url, source.domains, f"{connector.name} API address")


@asynccontextmanager
async def open_session(source: Source, access: Access) -> AsyncIterator[Session]:
    http = SourceHttp(
        source.name,
        api_base(source, access),
        source.auth(access),
        SharedBudget(source.budget, access.account_key),
        source.dialect,
        source.headers,
    )
    try:
        yield Session(source, access, http)
    finally:
        await http.aclose()


def latest(records: list[dict[str, Any]], path: str, since: Any = None) -> Any:
    """The greatest value of `path` in `records` (ISO timestamps of one source compare as
    text), or `since` when the page has none: where a later run resumes."""
    from workers.sources.paging import dig

    values = [v for v in (dig(r, path) for r in records) if v not in (None, "")]
    return max(values, default=since)
