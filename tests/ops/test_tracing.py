"""OpenTelemetry: off by default (no middleware at all), on with `tracing`: a span a request."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api import tracing
from api.app import create_app
from models.settings import Settings


def test_off_by_default_adds_nothing(settings: Settings) -> None:
    assert settings.tracing is False
    assert tracing.middleware(settings) == []


async def test_with_tracing_on_a_request_makes_a_span(settings: Settings) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    app = create_app(settings.model_copy(update={"tracing": True}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/healthz")
        await http.get("/oauth/callback?code=one-time-code&state=s")
    assert response.status_code == 200
    spans = [s for s in exporter.get_finished_spans() if s.parent is None]
    assert [s.name for s in spans] == ["GET /healthz", "GET /oauth/callback"]
    assert spans[0].attributes is not None and spans[0].attributes["http.status_code"] == 200
    # The callback's one-time code never reaches the trace backend.
    assert all("one-time-code" not in str(dict(s.attributes or {})) for s in spans)
    assert "code=[REDACTED]" in str(dict(spans[1].attributes or {}))


def test_exporter_comes_from_the_standard_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console,none")
    assert [type(e).__name__ for e in tracing._exporters()] == ["ConsoleSpanExporter"]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    assert [type(e).__name__ for e in tracing._exporters()] == ["OTLPSpanExporter"]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="zipkin"):
        tracing._exporters()
