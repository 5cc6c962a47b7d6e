"""S3 against moto's server over real HTTP: SigV4, ListObjectsV2, CSV and JSON lines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from models.tables import Connection
from tests.conftest import GraphQLClient
from tests.fakes.s3 import ACCESS_KEY, SECRET_KEY, S3Fake, error_xml
from tests.workers.sources.conftest import create_connection, custom_job, drive, records


@pytest.fixture(scope="module")
def moto() -> Iterator[S3Fake]:
    with S3Fake() as fake:
        yield fake


@pytest.fixture
def s3(moto: S3Fake, point_connector: Any) -> Iterator[tuple[S3Fake, str]]:
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    moto.create_bucket(bucket)
    point_connector("S3", api_url=moto.url)
    yield moto, bucket
    moto.faults.clear()


async def connect(admin: GraphQLClient, bucket: str, **settings: Any) -> Connection:
    values = {
        "bucket": bucket,
        "region": "us-east-1",
        "prefix": "exports/",
        "format": "csv",
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        **settings,
    }
    return await create_connection(admin, "S3", values)


def people(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": i, "email": f"p{i}@example.com", "note": 'a, "quoted"\nline'}
        for i in range(start, start + count)
    ]


async def test_csv_and_jsonl_files_load_through_faults_without_duplicates(
    admin: GraphQLClient, s3: tuple[S3Fake, str]
) -> None:
    fake, bucket = s3
    fake.put_csv(bucket, "exports/big.csv", people(12000))
    fake.put_jsonl(bucket, "exports/more.jsonl", people(5, start=20000))
    fake.put_csv(bucket, "elsewhere/skip.csv", people(3))
    connection = await connect(admin, bucket)
    assert connection.source_account == f"s3://{bucket}"
    job = await custom_job(
        admin,
        connection,
        "files",
        "s3_person",
        [("id", "id", True), ("email", "email", False), ("note", "note", False)],
    )
    fake.slow_down(path=f"/{bucket}")
    fake.internal_error(path="/exports/big.csv")
    fake.faults.add(
        403, error_xml("InvalidAccessKeyId", "The key does not exist."), path="/exports/"
    )

    first = await drive(job)
    second = await drive(job)

    loaded = await admin.data(
        'query { records(object: "s3_person", first: 1) { totalCount nodes } }'
    )
    assert loaded["records"]["totalCount"] == 12005
    assert first.outcome.records_read == second.outcome.records_read == 12005
    assert first.activity.records_written == 12005
    one = await admin.data('query { records(object: "s3_person", first: 200) { nodes } }')
    notes = {node["note"] for node in one["records"]["nodes"]}
    assert notes == {'a, "quoted"\nline'}


async def test_incremental_reads_only_files_changed_since_the_saved_one(
    admin: GraphQLClient, s3: tuple[S3Fake, str]
) -> None:
    fake, bucket = s3
    fake.put_csv(bucket, "exports/a.csv", people(2))
    fake.put_csv(bucket, "exports/b.csv", people(2, start=10))
    connection = await connect(admin, bucket)
    job = await custom_job(
        admin,
        connection,
        "files",
        "s3_inc",
        [("_file", "file", True), ("_row", "row", True), ("email", "email", False)],
        mode="INCREMENTAL",
    )
    first = await drive(job)
    fake.put_jsonl(bucket, "exports/c.jsonl", people(3, start=20))
    second = await drive(job)

    assert (first.outcome.records_read, second.outcome.records_read) == (4, 3)
    assert len(await records(admin, "s3_inc")) == 7


async def test_source_objects_are_the_files_and_fields_their_columns(
    admin: GraphQLClient, s3: tuple[S3Fake, str]
) -> None:
    fake, bucket = s3
    fake.put_csv(bucket, "exports/accounts.csv", [{"account_id": "1", "name": "Acme"}])
    connection = await connect(admin, bucket)
    data = await admin.data(
        """query ($id: ID!) { connection(id: $id) {
             sourceObjects sourceFields(object: "exports/accounts.csv") { name } } }""",
        id=str(connection.id),
    )
    assert data["connection"]["sourceObjects"] == ["files", "exports/accounts.csv"]
    names = [f["name"] for f in data["connection"]["sourceFields"]]
    assert names == ["account_id", "name", "_file", "_row"]


async def test_saving_with_a_missing_bucket_is_refused_with_s3s_words(
    admin: GraphQLClient, s3: tuple[S3Fake, str]
) -> None:
    body = await admin.execute(
        """mutation ($input: CreateConnectionInput!) {
             createConnection(input: $input) { userErrors { code message } } }""",
        input={
            "connectorKey": "S3",
            "name": "No bucket",
            "settings": {
                "bucket": "no-such-bucket-here",
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY,
            },
        },
    )
    error = body["data"]["createConnection"]["userErrors"][0]
    assert error["code"] == "AUTHORIZATION_FAILED" and "NoSuchBucket" in error["message"]
