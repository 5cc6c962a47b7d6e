from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.lifecycle import ActivityKind, ActivityStatus, ConnectionStatus, SyncMode
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Connection',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.CharField(db_index=True, max_length=128)),
                ('name', fields.CharField(max_length=200)),
                ('name_key', fields.CharField(max_length=200)),
                ('connector_key', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(description='PENDING_AUTHORIZATION: PENDING_AUTHORIZATION\nACTIVE: ACTIVE\nNEEDS_REAUTHORIZATION: NEEDS_REAUTHORIZATION\nREVOKED: REVOKED', enum_type=ConnectionStatus, max_length=32)),
                ('settings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secrets', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('credential_version', fields.IntField(default=0)),
                ('token_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('source_account', fields.CharField(null=True, max_length=255)),
                ('created_by', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('authorized_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'connections', 'app': 'models', 'unique_together': (('tenant', 'name_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConnectionLimit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.CharField(max_length=128)),
                ('connector_key', fields.CharField(max_length=32)),
                ('max_connections', fields.IntField()),
                ('updated_by', fields.CharField(max_length=255)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'connection_limits', 'app': 'models', 'unique_together': (('tenant', 'connector_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Job',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.CharField(db_index=True, max_length=128)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('source_object', fields.CharField(max_length=255)),
                ('destination_object', fields.CharField(max_length=255)),
                ('field_mappings', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sync_mode', fields.CharEnumField(default=SyncMode.FULL, description='FULL: FULL\nINCREMENTAL: INCREMENTAL', enum_type=SyncMode, max_length=16)),
                ('schedule', fields.CharField(null=True, max_length=128)),
                ('enabled', fields.BooleanField(default=True)),
                ('built_in', fields.BooleanField(default=False)),
                ('cursor', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('next_run_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'jobs', 'app': 'models', 'unique_together': (('connection', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Activity',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('tenant', fields.CharField(db_index=True, max_length=128)),
                ('kind', fields.CharEnumField(description='JOB_RUN: JOB_RUN\nTOKEN_REFRESH: TOKEN_REFRESH\nCONNECTION_CREATED: CONNECTION_CREATED\nCONNECTION_UPDATED: CONNECTION_UPDATED\nCONNECTION_AUTHORIZED: CONNECTION_AUTHORIZED\nCONNECTION_REVOKED: CONNECTION_REVOKED\nCONNECTION_REAUTHORIZED: CONNECTION_REAUTHORIZED\nCONNECTION_DELETED: CONNECTION_DELETED\nJOB_CREATED: JOB_CREATED\nJOB_UPDATED: JOB_UPDATED\nJOB_DELETED: JOB_DELETED', enum_type=ActivityKind, max_length=32)),
                ('status', fields.CharEnumField(description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nPARTIAL_SUCCESS: PARTIAL_SUCCESS\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=ActivityStatus, max_length=32)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', null=True, db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.SET_NULL)),
                ('connection_name', fields.CharField(max_length=200)),
                ('job', fields.ForeignKeyField('models.Job', source_field='job_id', null=True, db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.CharField(null=True, max_length=255)),
                ('message', fields.TextField(null=True, unique=False)),
                ('error', fields.TextField(null=True, unique=False)),
                ('records_read', fields.IntField(default=0)),
                ('records_written', fields.IntField(default=0)),
                ('records_failed', fields.IntField(default=0)),
                ('attempts', fields.IntField(default=0)),
                ('idempotency_key', fields.CharField(null=True, max_length=255)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'activities', 'app': 'models', 'unique_together': (('tenant', 'idempotency_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OAuthState',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('tenant', fields.CharField(max_length=128)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='oauth_states', on_delete=OnDelete.CASCADE)),
                ('user', fields.CharField(max_length=255)),
                ('reauthorize', fields.BooleanField(default=False)),
                ('allow_account_change', fields.BooleanField(default=False)),
                ('sealed_verifier', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'oauth_states', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One authorization attempt: the `state` sent to the source system, accepted once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Record',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.CharField(max_length=128)),
                ('object', fields.CharField(max_length=255)),
                ('key', fields.CharField(max_length=512)),
                ('data', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'records', 'app': 'models', 'unique_together': (('tenant', 'object', 'key'),), 'pk_attr': 'id', 'table_description': "A row of a tenant's destination object, as data jobs loaded it, keyed by the mapping."},
            bases=['Model'],
        ),
    ]
