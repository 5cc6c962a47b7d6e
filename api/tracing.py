"""OpenTelemetry tracing, on when `settings.tracing` is: a span per HTTP request and WebSocket.

Off, nothing of OpenTelemetry is even imported. On, the exporter and its address come from the
standard variables: `OTEL_TRACES_EXPORTER` (`otlp` by default, over HTTP/protobuf; `console`;
`none`), `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME` (default `connections-hub`),
`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, ...
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware

from models.logging import scrub_text
from models.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

SERVICE_NAME = "connections-hub"
# `otlp` names the HTTP/protobuf exporter: the one this package depends on (no gRPC stack).
EXPORTER_ALIASES = {"otlp": "otlp_proto_http"}

_provider: list[TracerProvider] = []


def middleware(settings: Settings) -> list[Middleware]:
    """The ASGI middleware to add to the app: none when tracing is off."""
    if not settings.tracing:
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=tracer_provider(),
            server_request_hook=scrub_span,
        )
    ]


# Attributes that carry the query string (old and new semantic conventions).
URL_ATTRIBUTES = ("http.target", "http.url", "url.query", "url.full")


def scrub_span(span: Any, scope: dict[str, Any]) -> None:
    """The OAuth callback's `?code=` and any other secret-looking value stay out of traces."""
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, scrub_text(value))


def tracer_provider() -> TracerProvider:
    """The process's provider, built from the OTEL_* environment on first use."""
    if not _provider:
        use(_from_environment())
    return _provider[0]


def use(provider: TracerProvider) -> None:
    """Install `provider` for this process (tests pass one with an in-memory exporter)."""
    from opentelemetry import trace

    if not _provider:
        # The global provider can be set once; later instrumentation (httpx, ...) uses it.
        trace.set_tracer_provider(provider)
    _provider[:] = [provider]


def _from_environment() -> TracerProvider:
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": SERVICE_NAME}).merge(
        OTELResourceDetector().detect()
    )
    provider = TracerProvider(resource=resource)
    for exporter in _exporters():
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _exporters() -> list[SpanExporter]:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
    exporters = []
    for raw in names.split(","):
        name = EXPORTER_ALIASES.get(raw.strip(), raw.strip())
        if name in ("", "none"):
            continue
        exporters.append(_exporter_class(name)())
    return exporters


def _exporter_class(name: str) -> Any:
    found = entry_points(group="opentelemetry_traces_exporter", name=name)
    if not found:
        raise ValueError(
            f"OTEL_TRACES_EXPORTER names {name!r}, which is not installed; "
            "use otlp, console or none."
        )
    return next(iter(found)).load()


def flush() -> None:
    """Flush spans still batched (called when the app stops)."""
    if _provider:
        _provider[0].force_flush()
