from tortoise import migrations
from tortoise.migrations import operations as ops
from models.lifecycle import ActivityKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_auto_20261129_0327')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Activity',
            name='kind',
            field=fields.CharEnumField(description='JOB_RUN: JOB_RUN\nTOKEN_REFRESH: TOKEN_REFRESH\nCONNECTION_CREATED: CONNECTION_CREATED\nCONNECTION_UPDATED: CONNECTION_UPDATED\nCONNECTION_AUTHORIZED: CONNECTION_AUTHORIZED\nCONNECTION_REVOKED: CONNECTION_REVOKED\nCONNECTION_REAUTHORIZED: CONNECTION_REAUTHORIZED\nCONNECTION_DELETED: CONNECTION_DELETED\nJOB_CREATED: JOB_CREATED\nJOB_UPDATED: JOB_UPDATED\nJOB_DELETED: JOB_DELETED\nCONNECTION_TESTED: CONNECTION_TESTED', enum_type=ActivityKind, max_length=32),
        ),
    ]
