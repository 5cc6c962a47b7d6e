"""The S3 fake is moto's real server, seeded and faulted as tests need (tests/fakes/s3.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.fakes.s3 import S3Fake


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Fake]:
    with S3Fake() as fake:
        fake.create_bucket("exports")
        fake.put_csv("exports", "crm/2024/accounts.csv", [{"id": "1", "name": "Acme"}])
        fake.put_jsonl("exports", "crm/2024/events.jsonl", [{"e": "a"}, {"e": "b"}])
        fake.put_object("exports", "other/readme.txt", b"hi", "text/plain")
        yield fake


def test_listing_under_a_prefix(s3: S3Fake) -> None:
    listing = s3.client().list_objects_v2(Bucket="exports", Prefix="crm/")
    assert sorted(o["Key"] for o in listing["Contents"]) == [
        "crm/2024/accounts.csv",
        "crm/2024/events.jsonl",
    ]


def test_objects_read_back(s3: S3Fake) -> None:
    raw = s3.client().get_object(Bucket="exports", Key="crm/2024/accounts.csv")["Body"].read()
    assert list(csv.DictReader(io.StringIO(raw.decode()))) == [{"id": "1", "name": "Acme"}]
    body = s3.client().get_object(Bucket="exports", Key="crm/2024/events.jsonl")["Body"].read()
    assert [json.loads(line) for line in body.decode().splitlines()] == [{"e": "a"}, {"e": "b"}]


def test_slow_down_and_internal_error_are_s3_errors(s3: S3Fake) -> None:
    s3.slow_down(path="/exports")
    with pytest.raises(ClientError) as slow:
        s3.client().list_objects_v2(Bucket="exports")
    assert slow.value.response["Error"]["Code"] == "SlowDown"
    assert slow.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    s3.internal_error(path="/exports")
    with pytest.raises(ClientError) as internal:
        s3.client().get_object(Bucket="exports", Key="crm/2024/accounts.csv")
    assert internal.value.response["Error"]["Code"] == "InternalError"
    assert s3.client().list_objects_v2(Bucket="exports")["KeyCount"] == 3


def test_missing_bucket_is_no_such_bucket(s3: S3Fake) -> None:
    with pytest.raises(ClientError) as missing:
        s3.client().list_objects_v2(Bucket="nope")
    assert missing.value.response["Error"]["Code"] == "NoSuchBucket"
