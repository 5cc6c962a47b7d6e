"""Data pushed to this service: Segment's signed webhooks and the Gainsight API's access keys.

A connector declares `inbound` in the catalog; connections.py calls `on_create` and `issue`
without knowing which kind it is.

- WEBHOOK (Segment): saving the connection issues a signing secret, sealed in the vault and
  shown once in the create payload beside the connection's webhook URL. Segment signs each
  delivery with `X-Signature: hex(HMAC-SHA1(secret, body))`; for a batched array it signs the
  first event as JSON.stringify writes it. Accepted events are loaded through the enabled jobs
  of the connection whose source object is the event's type (track, identify, group).
- ACCESS_KEY (Gainsight API): "Authorize" issues `gsk_<connection id>_<random>`, shown once;
  only its SHA-256, sealed, is kept. A partner posts a JSON array of records to
  `/inbound/v1/objects/{object}/records` with `Authorization: Bearer <key>`. Records are keyed
  by the key fields of an enabled job of the connection whose destination is that object
  (mapped through it), else by the field named in `?key=` (default `id`), stored as sent.

Every accepted delivery records a JOB_RUN activity with what arrived and what was written;
a bad signature or key writes nothing. Limits: body size, records per request, and requests a
minute per connection (the `requests_per_minute` setting), counted in Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from models import credentials, events
from models import settings as config
from models.actors import Actor
from models.catalog import get_connector
from models.catalog.base import Inbound
from models.errors import InvalidState
from models.lifecycle import (
    AUTHORIZABLE,
    ActivityKind,
    ActivityStatus,
    ConnectionStatus,
    check_connection_transition,
)
from models.services import activities, jobs, loading
from models.tables import Connection, Job

SIGNING_SECRET = "signing_secret"
KEY_HASH = "access_key_sha256"
KEY_PREFIX = "gsk_"
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_RECORDS = 1000
OBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}$")
FAILURES_KEPT = 10


@dataclass(frozen=True)
class IssuedCredential:
    """A secret shown once, and where the sender uses it."""

    name: str  # signingSecret | accessKey
    value: str
    endpoint: str


class Refused(Exception):
    """A push this service will not take; the HTTP status says why, nothing was written."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass
class Delivery:
    received: int = 0
    written: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)
    jobs: list[Job] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "written": self.written,
            "failed": self.failed,
            "skipped": self.skipped,
            "errors": self.failures,
        }


# ---- what the admin sees -----------------------------------------------------------------


def endpoint(connection: Connection) -> str | None:
    """The address a sender posts to, or None for a connector that is not pushed to."""
    kind = get_connector(connection.connector_key).inbound
    base = config.current().public_url.rstrip("/")
    if kind is Inbound.WEBHOOK:
        return f"{base}/webhooks/segment/{connection.id}"
    if kind is Inbound.ACCESS_KEY:
        return f"{base}/inbound/v1/objects/{{object}}/records"
    return None


async def on_create(connection: Connection, actor: Actor) -> IssuedCredential | None:
    """A webhook gets its signing secret at once; an access key waits for "Authorize"."""
    if get_connector(connection.connector_key).inbound is not Inbound.WEBHOOK:
        return None
    return await _issue_signing_secret(connection)


async def issue(actor: Actor, connection: Connection, *, reissue: bool = False) -> IssuedCredential:
    """Authorize (or reauthorize): a new secret or key replaces the old one, which stops working."""
    kind = get_connector(connection.connector_key).inbound
    if kind is Inbound.WEBHOOK:
        issued = await _issue_signing_secret(connection)
    elif not reissue and connection.status not in AUTHORIZABLE:
        raise InvalidState(
            f"This connection is {connection.status.value} and already has an access key; use "
            "reauthorizeConnection to issue a new one (the old one stops working)."
        )
    else:
        issued = await _issue_access_key(connection, actor)
    await _record_issue(actor, connection, issued, reissue)
    return issued


async def _issue_signing_secret(connection: Connection) -> IssuedCredential:
    secret = secrets.token_urlsafe(32)
    await credentials.replace_if_version(
        connection,
        connection.credential_version,
        credentials.seal_all(connection, {SIGNING_SECRET: secret}),
    )
    return IssuedCredential("signingSecret", secret, endpoint(connection) or "")


async def _issue_access_key(connection: Connection, actor: Actor) -> IssuedCredential:
    key = f"{KEY_PREFIX}{connection.id.hex}_{secrets.token_urlsafe(32)}"
    first_activation = connection.authorized_at is None
    check_connection_transition(connection.status, ConnectionStatus.ACTIVE)
    await credentials.replace_if_version(
        connection,
        connection.credential_version,
        credentials.seal_all(connection, {KEY_HASH: _sha256(key)}),
        status=ConnectionStatus.ACTIVE,
        authorized_at=activities.now(),
    )
    if first_activation:
        await jobs.create_default_jobs(connection, actor)
    return IssuedCredential("accessKey", key, endpoint(connection) or "")


async def _record_issue(
    actor: Actor, connection: Connection, issued: IssuedCredential, reissue: bool
) -> None:
    what = "signing secret" if issued.name == "signingSecret" else "access key"
    kind = ActivityKind.CONNECTION_REAUTHORIZED if reissue else ActivityKind.CONNECTION_AUTHORIZED
    await activities.record(
        kind,
        tenant=connection.tenant,
        actor=actor.user,
        connection=connection,
        message=(
            f"{actor.user} issued a new {what} for {issued.endpoint}; it was shown once and "
            "any earlier one stopped working."
        ),
    )
    await events.connection_changed(connection.tenant, connection.id)


# ---- Segment -----------------------------------------------------------------------------


async def receive_segment(connection_id: str, body: bytes, signature: str | None) -> Delivery:
    connection = await _connection(connection_id, Inbound.WEBHOOK)
    secret = credentials.secret_settings(connection).get(SIGNING_SECRET)
    if not secret or not signature or not _segment_signed(secret, body, signature.strip()):
        raise Refused(401, "BAD_SIGNATURE", "X-Signature does not match the body; not accepted.")
    _require_active(connection)
    _require_size(body)
    await _rate_limit(connection)
    events_in = _segment_events(_json(body))
    delivery = Delivery(received=len(events_in))
    enabled = await Job.filter(connection_id=connection.id, enabled=True).order_by("created_at")
    for job in enabled:
        matching = [e for e in events_in if e.get("type") == job.source_object]
        if matching:
            await _load_into(connection, job, job.field_mappings, matching, delivery)
    loaded_types = {job.source_object for job in enabled}
    delivery.by_type.update(str(e.get("type")) for e in events_in)
    delivery.skipped = sum(1 for e in events_in if e.get("type") not in loaded_types)
    await _record_delivery(connection, delivery, _segment_message(events_in, delivery))
    return delivery


def _segment_signed(secret: str, body: bytes, signature: str) -> bool:
    """Segment signs the body; for a batch, the first event as JSON.stringify writes it."""
    if _hmac_matches(secret, body, signature):
        return True
    parsed = _json(body, refuse=False)
    if isinstance(parsed, list) and parsed:
        first = json.dumps(parsed[0], separators=(",", ":"), ensure_ascii=False)
        return _hmac_matches(secret, first.encode(), signature)
    return False


def _hmac_matches(secret: str, payload: bytes, signature: str) -> bool:
    digest = hmac.new(secret.encode(), payload, hashlib.sha1).hexdigest()
    return hmac.compare_digest(digest, signature.lower())


def _segment_events(parsed: Any) -> list[dict[str, Any]]:
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or not all(isinstance(item, dict) for item in items):
        raise Refused(400, "INVALID_BODY", "Send one Segment event object or an array of them.")
    if len(items) > MAX_RECORDS:
        raise Refused(413, "TOO_MANY_RECORDS", f"At most {MAX_RECORDS} events a request.")
    return items


def _segment_message(events_in: list[dict[str, Any]], delivery: Delivery) -> str:
    kinds = ", ".join(f"{n} {t}" for t, n in sorted(delivery.by_type.items()))
    ids = ", ".join(str(e.get("messageId")) for e in events_in[:5])
    more = "…" if len(events_in) > 5 else ""
    return (
        f"Segment delivered {delivery.received} event(s) ({kinds}; messageId {ids}{more}): "
        f"{delivery.written} written, {delivery.failed} failed, {delivery.skipped} not loaded "
        "(no enabled job reads their type)."
    )


# ---- Gainsight API -----------------------------------------------------------------------


async def push_records(
    authorization: str | None, object_name: str, body: bytes, key_field: str | None
) -> Delivery:
    connection = await _authenticate(authorization)
    if not OBJECT_NAME.match(object_name):
        raise Refused(400, "INVALID_OBJECT", "Object names are letters, digits, _ . - only.")
    _require_size(body)
    await _rate_limit(connection)
    records = _records(_json(body))
    delivery = Delivery(received=len(records))
    targets = await Job.filter(
        connection_id=connection.id, destination_object=object_name, enabled=True
    ).order_by("created_at")
    if targets:
        for job in targets:
            await _load_into(connection, job, job.field_mappings, records, delivery)
    else:
        mapping = _identity_mapping(records, key_field or "id")
        await _load_into(connection, None, mapping, records, delivery, object_name)
    await _record_delivery(connection, delivery, _push_message(object_name, delivery))
    return delivery


async def _authenticate(authorization: str | None) -> Connection:
    scheme, _, key = (authorization or "").partition(" ")
    refused = Refused(
        401, "INVALID_KEY", "Send `Authorization: Bearer <access key>`; this one is not valid."
    )
    if scheme.lower() != "bearer" or not key.startswith(KEY_PREFIX):
        raise refused
    connection_hex = key[len(KEY_PREFIX) :].partition("_")[0]
    try:
        connection = await _connection(str(uuid.UUID(hex=connection_hex)), Inbound.ACCESS_KEY)
    except (ValueError, Refused) as exc:
        raise refused from exc
    stored = credentials.secret_settings(connection).get(KEY_HASH)
    if not stored or not hmac.compare_digest(stored, _sha256(key.strip())):
        raise refused
    _require_active(connection)
    return connection


def _records(parsed: Any) -> list[dict[str, Any]]:
    if not isinstance(parsed, list):
        raise Refused(400, "INVALID_BODY", "Send a JSON array of record objects.")
    if len(parsed) > MAX_RECORDS:
        raise Refused(413, "TOO_MANY_RECORDS", f"At most {MAX_RECORDS} records a request.")
    return parsed


def _identity_mapping(records: list[Any], key_field: str) -> list[dict[str, Any]]:
    names = {name for record in records if isinstance(record, dict) for name in record}
    return [{"source": n, "target": n, "key": n == key_field} for n in sorted(names | {key_field})]


def _push_message(object_name: str, delivery: Delivery) -> str:
    return (
        f"A partner pushed {delivery.received} record(s) into {object_name!r}: "
        f"{delivery.written} written, {delivery.failed} failed."
    )


# ---- shared ------------------------------------------------------------------------------


async def _connection(connection_id: str, kind: Inbound) -> Connection:
    try:
        connection = await Connection.get_or_none(id=uuid.UUID(connection_id))
    except ValueError:
        connection = None
    if connection is None or get_connector(connection.connector_key).inbound is not kind:
        raise Refused(404, "NOT_FOUND", "No such connection takes pushed data here.")
    return connection


def _require_active(connection: Connection) -> None:
    if connection.status is not ConnectionStatus.ACTIVE:
        raise Refused(
            403,
            "CONNECTION_NOT_ACTIVE",
            f"The connection is {connection.status.value}; an admin must authorize it again.",
        )


def _require_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "BODY_TOO_LARGE", f"Bodies are at most {MAX_BODY_BYTES} bytes.")


async def _rate_limit(connection: Connection) -> None:
    """A fixed one-minute window per connection, shared by every API process through Redis."""
    limit = int(connection.settings.get("requests_per_minute") or 0)
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"inbound:rate:{connection.id}:{window}"
    redis = events.bus().redis
    count = await redis.incr(key)
    if count == 1:
        await redis.expire(key, 120)
    if count > limit:
        wait = max(1, int((window + 1) * 60 - now))
        raise Refused(
            429, "RATE_LIMITED", f"More than {limit} requests this minute; retry later.", wait
        )


def _json(body: bytes, *, refuse: bool = True) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        if not refuse:
            return None
        raise Refused(400, "INVALID_JSON", "The body is not valid JSON.") from exc


async def _load_into(
    connection: Connection,
    job: Job | None,
    mapping: list[dict[str, Any]],
    records: list[Any],
    delivery: Delivery,
    object_name: str | None = None,
) -> None:
    destination = job.destination_object if job else object_name or ""
    maps = [loading.FieldMap(m["source"], m["target"], bool(m.get("key"))) for m in mapping]
    rows = [r if isinstance(r, dict) else {} for r in records]  # a non-object has no key
    outcome = await loading.load(connection.tenant, destination, maps, rows)
    delivery.written += outcome.written
    delivery.failed += outcome.failed
    room = FAILURES_KEPT - len(delivery.failures)
    delivery.failures.extend(outcome.failures[: max(room, 0)])
    if job is not None:
        delivery.jobs.append(job)


async def _record_delivery(connection: Connection, delivery: Delivery, message: str) -> None:
    status = ActivityStatus.PARTIAL_SUCCESS if delivery.failed else ActivityStatus.SUCCEEDED
    job = delivery.jobs[0] if len(delivery.jobs) == 1 else None
    await activities.record(
        ActivityKind.JOB_RUN,
        tenant=connection.tenant,
        actor="system",
        connection=connection,
        job=job,
        status=status,
        message=message,
        error="; ".join(delivery.failures) or None,
        records_read=delivery.received,
        records_written=delivery.written,
        records_failed=delivery.failed,
        details={"inbound": delivery.as_json(), "jobs": [str(j.id) for j in delivery.jobs]},
    )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
