from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    DefaultJob,
    Inbound,
    Setting,
    obj,
)

# Segment pushes events to a per-connection webhook URL of this service, signed with a shared
# secret issued when the connection is saved (X-Signature: hex HMAC-SHA1 of the body):
# https://segment.com/docs/connections/destinations/catalog/webhooks/
# https://segment.com/docs/connections/spec/ (track, identify, group)
CONNECTOR = Connector(
    key="SEGMENT_IO",
    name="Segment",
    category=Category.PRODUCT_ANALYTICS,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        Setting(
            "requests_per_minute",
            "Deliveries accepted a minute",
            type="integer",
            required=False,
            default=600,
            help="Beyond this the webhook answers 429 and Segment retries later.",
        ),
    ),
    objects=(
        obj(
            "track",
            "messageId:id type event userId anonymousId timestamp:datetime properties:object",
            cursor="timestamp",
        ),
        obj("identify", "messageId:id userId traits:object timestamp:datetime", cursor="timestamp"),
        obj(
            "group",
            "messageId:id userId groupId traits:object timestamp:datetime",
            cursor="timestamp",
        ),
    ),
    default_jobs=(
        DefaultJob(
            "Segment track events",
            "track",
            "event",
            (
                ("messageId", "external_id", True),
                ("event", "name", False),
                ("userId", "user_id", False),
                ("timestamp", "occurred_at", False),
                ("properties", "properties", False),
            ),
        ),
        DefaultJob(
            "Segment identified users",
            "identify",
            "person",
            (
                ("userId", "external_id", True),
                ("traits.email", "email", False),
                ("traits.name", "name", False),
                ("timestamp", "seen_at", False),
            ),
        ),
        DefaultJob(
            "Segment groups",
            "group",
            "company",
            (
                ("groupId", "external_id", True),
                ("traits.name", "name", False),
                ("timestamp", "seen_at", False),
            ),
        ),
    ),
    docs_url="https://segment.com/docs/connections/destinations/catalog/webhooks/",
    inbound=Inbound.WEBHOOK,
)
