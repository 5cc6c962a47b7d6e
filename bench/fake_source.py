"""A Salesforce-shaped source for benchmarks, run in its own process so that serving pages
does not compete with the pipeline under test for the interpreter.

It answers the REST query API the way the Salesforce source reads it (`/query?q=` then
`nextRecordsUrl` pages of 2,000) for `count` generated Accounts; page bodies are built on
demand, so the fake holds no more than one page either. They are encoded with orjson: on a
small machine the fake shares the cores with the job and PostgreSQL, and a real source's
encoding costs the job nothing.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGE = 2000
DATA = "/services/data/v60.0"


def account(number: int) -> dict[str, Any]:
    return {
        "attributes": {"type": "Account", "url": f"{DATA}/sobjects/Account/001{number:012d}"},
        "Id": f"001{number:012d}",
        "Name": f"Account {number}",
        "Industry": ("Technology", "Retail", "Energy")[number % 3],
        "Website": f"https://a{number}.example.com",
        "SystemModstamp": "2024-03-01T00:00:00.000+0000",
    }


def page(count: int, offset: int) -> bytes:
    end = min(count, offset + PAGE)
    body: dict[str, Any] = {"totalSize": count, "done": end >= count}
    if end < count:
        body["nextRecordsUrl"] = f"{DATA}/query/01gBENCH-{end}"
    body["records"] = [account(n) for n in range(offset, end)]
    return orjson.dumps(body)


def app(count: int) -> Starlette:
    async def first(request: Request) -> Response:
        return Response(page(count, 0), media_type="application/json")

    async def more(request: Request) -> Response:
        offset = int(request.path_params["locator"].rpartition("-")[2])
        return Response(page(count, offset), media_type="application/json")

    return Starlette(
        routes=[Route(f"{DATA}/query", first), Route(f"{DATA}/query/{{locator}}", more)]
    )


def _serve(count: int, port: int) -> None:
    uvicorn.run(app(count), host="127.0.0.1", port=port, log_level="warning")


class FakeSource:
    def __init__(self, count: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(count, self.port), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeSource:
        self.process.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("the benchmark's fake source did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(10)
