"""The Tortoise models. Every row belongs to exactly one tenant."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus, SyncMode


class Connection(Model):
    id = fields.UUIDField(primary_key=True)
    tenant = fields.CharField(max_length=128, db_index=True)
    name = fields.CharField(max_length=200)
    # Case-folded name: "Salesforce" and "salesforce" are the same name to a person.
    name_key = fields.CharField(max_length=200)
    connector_key = fields.CharField(max_length=32)
    status = fields.CharEnumField(ConnectionStatus, max_length=32)
    settings = fields.JSONField(default=dict)
    # field name -> sealed value (models.vault); never leaves this column in clear.
    secrets = fields.JSONField(default=dict)
    credential_version = fields.IntField(default=0)
    token_expires_at = fields.DatetimeField(null=True)
    # The source account the credentials belong to (Salesforce org, HubSpot portal, ...).
    source_account = fields.CharField(max_length=255, null=True)
    created_by = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    authorized_at = fields.DatetimeField(null=True)

    class Meta:
        table = "connections"
        unique_together = (("tenant", "name_key"),)


class Job(Model):
    id = fields.UUIDField(primary_key=True)
    tenant = fields.CharField(max_length=128, db_index=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="jobs", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    source_object = fields.CharField(max_length=255)
    destination_object = fields.CharField(max_length=255)
    field_mappings = fields.JSONField(default=list)
    sync_mode = fields.CharEnumField(SyncMode, max_length=16, default=SyncMode.FULL)
    schedule = fields.CharField(max_length=128, null=True)
    enabled = fields.BooleanField(default=True)
    built_in = fields.BooleanField(default=False)
    # Where the last incremental run stopped, saved only after the page it covers is loaded.
    cursor = fields.JSONField(null=True)
    next_run_at = fields.DatetimeField(null=True, db_index=True)
    created_by = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    connection_id: str

    class Meta:
        table = "jobs"
        unique_together = (("connection", "name"),)


class Activity(Model):
    id = fields.UUIDField(primary_key=True)
    tenant = fields.CharField(max_length=128, db_index=True)
    kind = fields.CharEnumField(ActivityKind, max_length=32)
    status = fields.CharEnumField(ActivityStatus, max_length=32)
    # Activities outlive their connection and job: the links go null, the names stay.
    connection: fields.ForeignKeyNullableRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    connection_name = fields.CharField(max_length=200)
    job: fields.ForeignKeyNullableRelation[Job] = fields.ForeignKeyField(
        "models.Job", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    actor = fields.CharField(max_length=255, null=True)
    message = fields.TextField(null=True)
    error = fields.TextField(null=True)
    records_read = fields.IntField(default=0)
    records_written = fields.IntField(default=0)
    records_failed = fields.IntField(default=0)
    attempts = fields.IntField(default=0)
    idempotency_key = fields.CharField(max_length=255, null=True)
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    connection_id: str | None
    job_id: str | None

    class Meta:
        table = "activities"
        unique_together = (("tenant", "idempotency_key"),)


class ConnectionLimit(Model):
    id = fields.IntField(primary_key=True)
    tenant = fields.CharField(max_length=128)
    connector_key = fields.CharField(max_length=32)
    max_connections = fields.IntField()
    updated_by = fields.CharField(max_length=255)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "connection_limits"
        unique_together = (("tenant", "connector_key"),)


class OAuthState(Model):
    """One authorization attempt: the `state` sent to the source system, accepted once."""

    id = fields.CharField(max_length=64, primary_key=True)
    tenant = fields.CharField(max_length=128)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "models.Connection", related_name="oauth_states", on_delete=fields.CASCADE
    )
    user = fields.CharField(max_length=255)
    reauthorize = fields.BooleanField(default=False)
    allow_account_change = fields.BooleanField(default=False)
    sealed_verifier = fields.JSONField(null=True)  # PKCE code_verifier, sealed by the vault
    # Non-secret settings a reauthorization brings; applied only when the new tokens arrive.
    pending_settings = fields.JSONField(null=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    connection_id: str

    class Meta:
        table = "oauth_states"


class Record(Model):
    """A row of a tenant's destination object, as data jobs loaded it, keyed by the mapping."""

    id = fields.BigIntField(primary_key=True)
    tenant = fields.CharField(max_length=128)
    object = fields.CharField(max_length=255)
    key = fields.CharField(max_length=512)
    data = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "records"
        unique_together = (("tenant", "object", "key"),)
