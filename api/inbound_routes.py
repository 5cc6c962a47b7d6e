"""HTTP endpoints where data is pushed in: Segment's webhook and the Gainsight API's records.

Both are thin: read the body (refusing one over the size limit before reading it all), call
models.services.inbound, and answer JSON. A refusal is `{"error": {"code", "message"}}` with
its status (401 bad signature or key, 400 bad body, 413 too large, 429 with Retry-After).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from models.services import inbound


async def segment_webhook(request: Request) -> JSONResponse:
    try:
        body = await _body(request)
        delivery = await inbound.receive_segment(
            request.path_params["connection_id"], body, request.headers.get("x-signature")
        )
    except inbound.Refused as refused:
        return _refusal(refused)
    return JSONResponse(delivery.as_json())


async def push_records(request: Request) -> JSONResponse:
    try:
        body = await _body(request)
        delivery = await inbound.push_records(
            request.headers.get("authorization"),
            request.path_params["object"],
            body,
            request.query_params.get("key"),
        )
    except inbound.Refused as refused:
        return _refusal(refused)
    return JSONResponse(delivery.as_json())


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > inbound.MAX_BODY_BYTES:
        raise inbound.Refused(
            413, "BODY_TOO_LARGE", f"Bodies are at most {inbound.MAX_BODY_BYTES} bytes."
        )
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > inbound.MAX_BODY_BYTES:
            raise inbound.Refused(
                413, "BODY_TOO_LARGE", f"Bodies are at most {inbound.MAX_BODY_BYTES} bytes."
            )
    return bytes(body)


def _refusal(refused: inbound.Refused) -> JSONResponse:
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
    if refused.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    body = {"error": {"code": refused.code, "message": refused.message}}
    return JSONResponse(body, status_code=refused.status, headers=headers)


ROUTES = [
    Route("/webhooks/segment/{connection_id}", segment_webhook, methods=["POST"]),
    Route("/inbound/v1/objects/{object}/records", push_records, methods=["POST"]),
]
