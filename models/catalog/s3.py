from models.catalog.base import (
    AuthMethod,
    Category,
    Connector,
    Setting,
    choice,
    obj,
    secret,
)

# https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
CONNECTOR = Connector(
    key="S3",
    name="Amazon S3",
    category=Category.FILE_STORAGE,
    auth_method=AuthMethod.ACCESS_KEY,
    requires_authorization=False,
    supports_multiple_connections=True,
    settings=(
        Setting("bucket", "Bucket"),
        Setting("region", "Region", default="us-east-1"),
        Setting("prefix", "Key prefix", required=False, default=""),
        choice("format", "File format", ("csv", "jsonl"), "csv"),
        Setting("access_key_id", "Access key ID"),
        secret("secret_access_key", "Secret access key"),
    ),
    api_url="https://s3.{region}.amazonaws.com",
    objects=(obj("files", "key:id last_modified:datetime", cursor="last_modified"),),
    docs_url="https://docs.aws.amazon.com/AmazonS3/latest/API/",
)
