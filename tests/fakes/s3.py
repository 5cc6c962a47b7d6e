"""S3 for tests: moto's real S3 server on a loopback port, not a hand-written fake.

moto implements the S3 REST protocol (SigV4, ListObjectsV2 paging, XML errors), so the product's
S3 client meets the real wire format. This module adds what moto lacks for our tests: seeding
helpers and scripted faults. The faults are S3's own retry signals, written from
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (503 SlowDown "Please
reduce your request rate.", 500 InternalError "We encountered an internal error. Please try
again."). moto has no fault injection of its own, so `S3Fake` runs moto's WSGI app behind a
small WSGI layer that answers scripted faults first (the same `Faults` the HTTP fakes use).

moto keeps its state per process: every `S3Fake` in one test process shares buckets;
`reset()` empties them.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from tests.fakes.faults import Fault, Faults

ACCESS_KEY = "AKIAFAKEFAKEFAKE0001"
SECRET_KEY = "fake-secret-key-for-moto"
REGION = "us-east-1"

SLOW_DOWN = "SlowDown", "Please reduce your request rate."
INTERNAL_ERROR = "InternalError", "We encountered an internal error. Please try again."

_WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def error_xml(code: str, message: str) -> bytes:
    """S3's XML error document."""
    request_id = uuid.uuid4().hex[:16].upper()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>fake-host-id</HostId></Error>"
    ).encode()


class _FaultingApp:
    """WSGI middleware: a scripted fault answers instead of moto when its path matches."""

    def __init__(self, app: _WSGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        fault = self.faults.take(environ.get("PATH_INFO", ""))
        if fault is None:
            return self.app(environ, start_response)
        return _fault_answer(fault, start_response)


def _fault_answer(fault: Fault, start_response: Callable[..., Any]) -> list[bytes]:
    body = fault.body if isinstance(fault.body, bytes) else str(fault.body or "").encode()
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    headers += list(fault.headers.items())
    start_response(f"{fault.status} Fault", headers)
    return [body]


class _Server(ThreadedMotoServer):
    """moto's threaded server, with our fault layer around its app."""

    def __init__(self, faults: Faults) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.faults = faults

    def _server_entry(self) -> None:
        app = _FaultingApp(DomainDispatcherApplication(create_backend_app), self.faults)
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


class S3Fake:
    """Start with `S3Fake().start()` (or `with S3Fake() as s3:`); `.url` is the endpoint.

    Seed with `create_bucket`, `put_csv`, `put_jsonl`, `put_object`; script faults with
    `slow_down(path=...)` / `internal_error(path=...)` or `faults.add(...)` directly. The
    dummy credentials are `ACCESS_KEY` / `SECRET_KEY` (moto accepts any).
    """

    def __init__(self) -> None:
        self.faults = Faults()
        self._server = _Server(self.faults)
        self._client: BaseClient | None = None

    def start(self) -> S3Fake:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> S3Fake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self) -> BaseClient:
        """A botocore S3 client aimed at this server (path-style, dummy credentials)."""
        if self._client is None:
            session = botocore.session.get_session()
            self._client = session.create_client(
                "s3",
                region_name=REGION,
                endpoint_url=self.url,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}),
            )
        return self._client

    # ---- seeding -------------------------------------------------------------------------

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.client().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def put_csv(self, bucket: str, key: str, rows: list[dict[str, Any]]) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows(rows)
        self.put_object(bucket, key, buffer.getvalue().encode(), "text/csv")

    def put_jsonl(self, bucket: str, key: str, records: list[dict[str, Any]]) -> None:
        body = "".join(json.dumps(r) + "\n" for r in records).encode()
        self.put_object(bucket, key, body, "application/x-ndjson")

    def reset(self) -> None:
        """Empty every bucket of every moto backend in this process."""
        request = urllib.request.Request(self.url + "/moto-api/reset", method="POST")
        with urllib.request.urlopen(request):
            pass

    # ---- faults --------------------------------------------------------------------------

    def slow_down(self, path: str | None = None, times: int = 1) -> Fault:
        return self.faults.add(503, body=error_xml(*SLOW_DOWN), path=path, times=times)

    def internal_error(self, path: str | None = None, times: int = 1) -> Fault:
        return self.faults.add(500, body=error_xml(*INTERNAL_ERROR), path=path, times=times)
