"""Amazon S3: CSV and JSON-lines objects under a prefix, signed with AWS Signature V4.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (continuation-token)
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (503 SlowDown)

A job's source object is `files` (every object under the connection's prefix), a folder
(`exports/2024/`) or one object's key. Files are read oldest first, streamed line by line,
and each file's rows carry `_file` and `_row`, so a job can key on them when the rows have
no id of their own. An incremental job saves (LastModified, key) of each file once its rows
are loaded, and later reads only files changed after it.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from models.catalog.base import SourceField
from workers.sources.auth import KeyAuth
from workers.sources.budget import Budget
from workers.sources.errors import SourceFailed
from workers.sources.http import Dialect, SourceHttp
from workers.sources.paging import Cursor, Request, json_line, walk
from workers.sources.registry import register
from workers.sources.source import Access, Page, ReadPlan, Session, Source

NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
PAGE = 5000
LISTED = 1000
LIST_PAGES = Cursor("next", "continuation-token")
AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}


@dataclass(frozen=True)
class File:
    key: str
    last_modified: str

    @property
    def position(self) -> dict[str, str]:
        return {"last_modified": self.last_modified, "key": self.key}


# ---- the wire: signing, XML listings and errors --------------------------------------------


def _signer(access: Access) -> KeyAuth:
    access_key = str(access.setting("access_key_id", ""))
    region = str(access.setting("region", "us-east-1"))

    async def sign(request: httpx.Request, secrets: dict[str, str]) -> None:
        credentials = Credentials(access_key, secrets.get("secret_access_key", ""))
        unsigned = AWSRequest(
            method=request.method, url=str(request.url), data=request.content or b""
        )
        S3SigV4Auth(credentials, "s3", region).add_auth(unsigned)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256"):
            if name in unsigned.headers:
                request.headers[name] = unsigned.headers[name]

    return KeyAuth(access.connection, access.secrets, sign)


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return "", response.text[:300] or response.reason_phrase
    return root.findtext("Code") or "", root.findtext("Message") or response.reason_phrase


def _message(response: httpx.Response) -> str:
    code, text = _error(response)
    return f"{code}: {text}" if code else text


def _slow_down(response: httpx.Response) -> bool:
    return response.status_code == 429 or (
        response.status_code == 503 and _error(response)[0] == "SlowDown"
    )


def _unauthorized(response: httpx.Response) -> bool:
    return response.status_code == 401 or (
        response.status_code == 403 and _error(response)[0] in AUTH_CODES
    )


def _listing(http: SourceHttp, response: httpx.Response) -> dict[str, Any]:
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise SourceFailed("S3 answered a listing that is not XML.") from exc
    files = [
        File(item.findtext("s3:Key", "", NS), item.findtext("s3:LastModified", "", NS))
        for item in root.findall("s3:Contents", NS)
    ]
    truncated = root.findtext("s3:IsTruncated", "false", NS) == "true"
    following = root.findtext("s3:NextContinuationToken", None, NS)
    return {"files": files, "next": following if truncated else None}


# ---- reading --------------------------------------------------------------------------------


def _bucket(session: Session) -> str:
    return f"/{session.access.setting('bucket')}"


def _prefix(session: Session, object_name: str) -> str:
    return str(session.access.setting("prefix", "")) if object_name == "files" else object_name


async def listing(session: Session, prefix: str, limit: int | None = None) -> list[File]:
    params: dict[str, Any] = {"list-type": 2, "prefix": prefix, "max-keys": LISTED}
    first = Request("GET", _bucket(session), params=params)
    files: list[File] = []
    async with aclosing(walk(session.http, first, LIST_PAGES, parse=_listing)) as pages:
        async for body in pages:
            files += [f for f in body["files"] if not f.key.endswith("/")]
            if limit is not None and len(files) >= limit:
                break
    return files[:limit] if limit is not None else files


async def _files(session: Session, plan: ReadPlan) -> list[File]:
    prefix = _prefix(session, plan.object)
    files = await listing(session, prefix)
    if plan.object != "files" and not plan.object.endswith("/"):
        files = [f for f in files if f.key == plan.object]
    if plan.incremental and plan.since:
        after = (plan.since["last_modified"], plan.since["key"])
        files = [f for f in files if (f.last_modified, f.key) > after]
    return sorted(files, key=lambda f: (f.last_modified, f.key))


async def read(session: Session, plan: ReadPlan) -> AsyncIterator[Page]:
    for file in await _files(session, plan):
        async for rows in _rows(session, file):
            yield Page(rows)
        if plan.incremental:
            yield Page([], file.position)


async def _rows(session: Session, file: File) -> AsyncIterator[list[dict[str, Any]]]:
    is_csv = _format(session, file.key) == "csv"
    url = f"{_bucket(session)}/{file.key}"
    async with session.http.stream("GET", url) as response:
        lines = _csv_records(response.aiter_lines()) if is_csv else response.aiter_lines()
        header: list[str] | None = None
        batch: list[dict[str, Any]] = []
        number = 0
        async for line in lines:
            if not line.strip():
                continue
            if is_csv and header is None:
                header = _csv_line(line)
                continue
            number += 1
            row = (
                dict(zip(header, _csv_line(line), strict=False))
                if header
                else json_line(line, "An S3 JSON-lines file has a line", "an object")
            )
            batch.append({**row, "_file": file.key, "_row": number})
            if len(batch) >= PAGE:
                yield batch
                batch = []
        if batch:
            yield batch


def _format(session: Session, key: str) -> str:
    lowered = key.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return str(session.access.setting("format", "csv"))


async def _csv_records(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """Whole CSV records: a quoted field may hold line breaks."""
    pending = ""
    async for line in lines:
        pending = f"{pending}\n{line}" if pending else line
        if pending.count('"') % 2 == 0:
            yield pending
            pending = ""
    if pending:
        yield pending


def _csv_line(record: str) -> list[str]:
    return next(csv.reader([record]), [])


# ---- what the console asks -----------------------------------------------------------------


async def check(session: Session) -> str | None:
    await listing(session, str(session.access.setting("prefix", "")), limit=1)
    return f"s3://{session.access.setting('bucket')}"


async def list_objects(session: Session) -> list[str]:
    files = await listing(session, str(session.access.setting("prefix", "")), limit=LISTED)
    return ["files", *(f.key for f in files)]


async def describe(session: Session, object_name: str) -> list[SourceField]:
    found = await listing(session, _prefix(session, object_name), limit=1)
    if not found:
        raise SourceFailed(f"No file under {object_name!r} to read the columns from.")
    names: list[str] = []
    async with aclosing(_rows(session, found[0])) as pages:
        async for rows in pages:
            names = [name for name in rows[0] if name not in {"_file", "_row"}]
            break
    extra = [SourceField("_file", "string", "File key"), SourceField("_row", "integer", "Row")]
    return [*(SourceField(name) for name in names), *extra]


SOURCE = register(
    Source(
        key="S3",
        auth=_signer,
        read=read,
        domains=("amazonaws.com",),
        budget=Budget(50, 1.0),
        dialect=Dialect(message=_message, rate_limited=_slow_down, unauthorized=_unauthorized),
        check=check,
        list_objects=list_objects,
        describe=describe,
    )
)
