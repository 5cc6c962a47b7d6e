"""Structured logs: one JSON object a line (or a console view), with ids and never a secret.

`setup(settings)` is called once per process (the CLI, and `workers.runtime.startup`); stdlib
`logging` goes through the same processors, so library logs get the same ids and redaction.

Ids travel in context variables: `bind(connection_id=..., job_id=...)` for the rest of the
current task, or `with bound(activity_id=...):` for a block. The API binds `request_id` and
`tenant`; workers bind `connection_id`, `job_id` and `activity_id` around a run.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, get_contextvars
from structlog.types import EventDict, Processor, WrappedLogger

from models.settings import Settings

REDACTED = "[REDACTED]"

# A key is secret when one of its words is one of these (`access_token`, `clientSecret`) ...
SECRET_WORDS = frozenset(
    {
        "token", "tokens", "secret", "secrets", "password", "passwd", "passphrase",
        "authorization", "credential", "credentials", "cookie", "assertion", "jwt",
        "signature", "apikey",
    }
)  # fmt: skip
# ... or when it contains one of these, or is one of these exactly.
SECRET_PARTS = ("private_key", "api_key", "secret_key", "access_key", "encryption_key")
SECRET_KEYS = frozenset({"code", "auth_code", "authorization_code", "key", "keys"})
# Words that make a key about a secret without being one: `token_expires_at`, `token_url`.
SAFE_LAST_WORDS = frozenset({"at", "url", "uri", "id", "type", "version", "in", "count"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_PARAM = re.compile(
    r"\b(access_token|refresh_token|id_token|token|client_secret|code|password|assertion"
    r"|client_assertion|api_key|apikey|key|signature|sig)=([^&\s\"',;]+)",
    re.IGNORECASE,
)
# Tokens some vendors put in the URL path (HubSpot's token info and refresh-token revocation).
_PATH_TOKEN = re.compile(r"(/(?:access|refresh)-tokens/)[^/?\s\"',]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)
_JSON_SECRET = re.compile(
    r"(\"(?:access_token|refresh_token|id_token|client_secret|password|private_key|assertion)\""
    r"\s*:\s*)\"[^\"]*\"",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    name = _CAMEL.sub("_", key).lower()
    if name in SECRET_KEYS or any(part in name for part in SECRET_PARTS):
        return True
    words = [word for word in re.split(r"[^a-z0-9]+", name) if word]
    if not words or words[-1] in SAFE_LAST_WORDS:
        return False
    return any(word in SECRET_WORDS for word in words)


def scrub_text(text: str) -> str:
    """Blank what looks like a secret inside free text: bearer values, JWTs, `code=` params."""
    text = _PEM.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _PATH_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _JSON_SECRET.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    return _JWT.sub(REDACTED, text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_secret_key(str(key)) else redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return value


def redact(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """The last processor before rendering: nothing secret-looking leaves the process."""
    return redact_value(event_dict)


def drop_copies(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Copies of the event that stdlib records carry as attributes: uvicorn's coloured one,
    and `message`, set when another handler formatted the record first."""
    event_dict.pop("color_message", None)
    event_dict.pop("message", None)
    return event_dict


def bind(**ids: object) -> None:
    """Attach ids (tenant, connection_id, job_id, activity_id, ...) to every later log line."""
    bind_contextvars(**{key: str(value) for key, value in ids.items() if value is not None})


@contextmanager
def bound(**ids: object) -> Iterator[None]:
    """Attach ids to the log lines of a block only."""
    with bound_contextvars(**{k: str(v) for k, v in ids.items() if v is not None}):
        yield


@contextmanager
def isolated() -> Iterator[None]:
    """Restore the bound ids on exit, whatever the block bound (one request, one job run)."""
    before = get_contextvars()
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        bind_contextvars(**before)


def bound_id(name: str) -> str | None:
    """An id bound for the current task (the API's `request_id`), if any."""
    value = get_contextvars().get(name)
    return None if value is None else str(value)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is at the time (test runners and daemons swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> IO[str]:  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass  # always sys.stdout; StreamHandler's constructor assigns it


_installed: list[logging.Handler] = []


def log_format(settings: Settings) -> str:
    if settings.log_format:
        return settings.log_format
    return "console" if sys.stdout.isatty() else "json"


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        drop_copies,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(fmt: str) -> Processor:
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    return structlog.processors.JSONRenderer()


def configure(settings: Settings, *, stream: IO[str] | None = None) -> None:
    """(Re)configure logging for this process; `stream` defaults to the current stdout."""
    fmt = log_format(settings)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            _renderer(fmt),
        ],
    )
    handler: logging.Handler = logging.StreamHandler(stream) if stream else _Stdout()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in _installed:
        root.removeHandler(old)
    _installed[:] = [handler]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def setup(settings: Settings) -> None:
    """Configure logging once per process; later calls (the shared start-up) keep it."""
    if not _installed:
        configure(settings)
