"""A real S3-compatible server on loopback for the media tests (docs/decisions/0045-media-object-storage.md).

moto's standalone server (``ThreadedMotoServer``) answers the S3 HTTP API on a free 127.0.0.1 port, in
a thread of the test process; boto3, django-storages and ``manage.py`` child processes reach it over
TCP exactly as they would reach MinIO or AWS. It checks object ACLs for unsigned requests (a private
object is a 403 to anonymous GET), which is what the tests rely on."""

import itertools
import logging
import os
import uuid
from contextlib import contextmanager

ACCESS_KEY = "safeserve-test"
SECRET_KEY = "safeserve-test-secret"  # moto accepts any key; none of these leave the machine
REGION = "us-east-1"
_buckets = itertools.count(1)


@contextmanager
def s3_server():
    """Start moto on a free loopback port; yields its endpoint URL (``http://127.0.0.1:<port>``)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per S3 request in test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def media_env(endpoint: str, bucket: str) -> dict[str, str]:
    """The ``SAFESERVE_MEDIA_S3_*`` settings an operator would set for a bucket on ``endpoint``."""
    return {
        "SAFESERVE_MEDIA_S3_BUCKET": bucket,
        "SAFESERVE_MEDIA_S3_ENDPOINT_URL": endpoint,
        "SAFESERVE_MEDIA_S3_REGION": REGION,
        "SAFESERVE_MEDIA_S3_ACCESS_KEY": ACCESS_KEY,
        "SAFESERVE_MEDIA_S3_SECRET_KEY": SECRET_KEY,
        "SAFESERVE_MEDIA_S3_ADDRESSING_STYLE": "path",
    }


def client(endpoint: str):
    """A boto3 S3 client for looking into the buckets from the test (as an administrator would)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


def new_bucket(endpoint: str) -> str:
    """A fresh, empty, private bucket with a name no other test (or xdist worker) uses."""
    name = f"media-{os.getpid()}-{next(_buckets)}-{uuid.uuid4().hex[:8]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def keys(endpoint: str, bucket: str) -> list[str]:
    pages = client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", ()))


def body(endpoint: str, bucket: str, key: str) -> bytes:
    return client(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
