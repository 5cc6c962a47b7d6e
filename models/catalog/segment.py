from models.catalog.base import AuthMethod, Category, Connector, DefaultJob, obj

# https://segment.com/docs/connections/destinations/catalog/actions-webhook/
# Segment pushes events to a per-connection webhook URL, signed with a secret we issue.
CONNECTOR = Connector(
    key="SEGMENT_IO",
    name="Segment",
    category=Category.PRODUCT_ANALYTICS,
    auth_method=AuthMethod.API_KEY,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(),
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
            ),
        ),
    ),
    docs_url="https://segment.com/docs/connections/spec/",
)
