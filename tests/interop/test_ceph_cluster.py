"""The Ceph harness itself (tests/interop/ceph.py): the throwaway cluster's radosgw behaves as
the S3 peer the upstream object backend tests will need, and its process controls do what they
say. These talk to radosgw directly with boto3; Tessera is not involved."""

from __future__ import annotations

import re
import secrets
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from ceph import CephError
from helpers import MiB, expect_error, md5_hex, multipart_etag, rand

REGION = "us-east-1"
HANG_TIMEOUT = 2  # the client's connect and read timeouts while radosgw is paused


def ceph_client(cluster, secret_key: str | None = None, **config):
    """A boto3 S3 client for the cluster's radosgw as the service user (path style, us-east-1,
    boto3's default checksum behaviour). `config` overrides botocore Config settings, e.g.
    retries={"total_max_attempts": 1} for a single attempt (botocore's "max_attempts" counts
    retries: max_attempts=1 means two attempts)."""
    settings = dict(s3={"addressing_style": "path"},
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=10, read_timeout=60)
    settings.update(config)
    return boto3.client(
        "s3", endpoint_url=cluster.endpoint, region_name=REGION,
        aws_access_key_id=cluster.service_access_key,
        aws_secret_access_key=secret_key if secret_key is not None
        else cluster.service_secret_key,
        config=Config(**settings))


@pytest.fixture
def s3c(ceph):
    return ceph_client(ceph)


@pytest.fixture
def ceph_bucket(s3c, request):
    """A fresh bucket on radosgw, emptied and removed afterwards."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"cc-{slug}-{secrets.token_hex(4)}"
    s3c.create_bucket(Bucket=name)
    yield name
    for page in s3c.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for up in page.get("Uploads", []):
            s3c.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
    for page in s3c.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3c.delete_object(Bucket=name, Key=obj["Key"])
    s3c.delete_bucket(Bucket=name)


def test_start_time_and_memory(ceph, capsys):
    """Not a check: what the session's cluster cost to start and what it holds in memory."""
    rss = ceph.rss_bytes()
    with capsys.disabled():
        print(f"\nCeph test cluster: started in {ceph.start_seconds:.2f} s; resident memory "
              + ", ".join(f"{name} {size / MiB:.0f} MiB" for name, size in rss.items())
              + f" ({sum(rss.values()) / MiB:.0f} MiB in all)")
    assert set(rss) == {"mon", "osd", "rgw"}


def test_objects_small_large_multipart_list_delete(s3c):
    bucket = f"cc-objects-{secrets.token_hex(4)}"
    s3c.create_bucket(Bucket=bucket)
    assert bucket in [b["Name"] for b in s3c.list_buckets()["Buckets"]]

    small, large = rand(4 * 1024), rand(6 * MiB)
    for key, body in (("small", small), ("dir/large", large)):
        put = s3c.put_object(Bucket=bucket, Key=key, Body=body)
        assert put["ETag"].strip('"') == md5_hex(body)
        got = s3c.get_object(Bucket=bucket, Key=key)
        assert got["ContentLength"] == len(body)
        assert got["Body"].read() == body

    parts = [rand(5 * MiB), rand(5 * MiB)]
    up = s3c.create_multipart_upload(Bucket=bucket, Key="multi")
    done = []
    for number, part in enumerate(parts, start=1):
        r = s3c.upload_part(Bucket=bucket, Key="multi", UploadId=up["UploadId"],
                            PartNumber=number, Body=part)
        done.append({"PartNumber": number, "ETag": r["ETag"]})
    complete = s3c.complete_multipart_upload(Bucket=bucket, Key="multi",
                                             UploadId=up["UploadId"],
                                             MultipartUpload={"Parts": done})
    # radosgw 16.2 answers CompleteMultipartUpload with an empty <ETag></ETag>; the object's
    # ETag (HEAD, GET, listings) is the usual md5-of-md5s with the part count.
    assert complete["ETag"].strip('"') in ("", multipart_etag(parts))
    assert s3c.head_object(Bucket=bucket, Key="multi")["ETag"].strip('"') == \
        multipart_etag(parts)
    assert s3c.get_object(Bucket=bucket, Key="multi")["Body"].read() == b"".join(parts)

    listed = s3c.list_objects_v2(Bucket=bucket)["Contents"]
    assert {o["Key"]: o["Size"] for o in listed} == {
        "dir/large": 6 * MiB, "multi": 10 * MiB, "small": 4 * 1024}
    assert [p["Prefix"] for p in s3c.list_objects_v2(Bucket=bucket, Delimiter="/")
            .get("CommonPrefixes", [])] == ["dir/"]

    for key in ("small", "dir/large", "multi"):
        s3c.delete_object(Bucket=bucket, Key=key)
    assert s3c.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    code, status, _ = expect_error(s3c.get_object, Bucket=bucket, Key="small")
    assert (code, status) == ("NoSuchKey", 404)
    s3c.delete_bucket(Bucket=bucket)
    assert bucket not in [b["Name"] for b in s3c.list_buckets()["Buckets"]]


def test_wrong_secret_key_is_refused(ceph, ceph_bucket):
    wrong = ceph_client(ceph, secret_key="wrong" + ceph.service_secret_key[5:])
    code, status, _ = expect_error(wrong.list_objects_v2, Bucket=ceph_bucket)
    assert status == 403, code
    assert code == "SignatureDoesNotMatch"


def test_paused_radosgw_times_out_then_recovers(ceph, s3c, ceph_bucket):
    s3c.put_object(Bucket=ceph_bucket, Key="k", Body=b"still here")
    hanging = ceph_client(ceph, connect_timeout=HANG_TIMEOUT, read_timeout=HANG_TIMEOUT,
                          retries={"total_max_attempts": 1, "mode": "standard"})
    ceph.pause_rgw()
    try:
        began = time.monotonic()
        with pytest.raises(ReadTimeoutError):  # the kernel accepts the connection
            hanging.get_object(Bucket=ceph_bucket, Key="k")
        waited = time.monotonic() - began
    finally:
        ceph.resume_rgw()
    assert HANG_TIMEOUT - 0.5 <= waited < HANG_TIMEOUT + 3, waited  # one attempt, no retry
    assert hanging.get_object(Bucket=ceph_bucket, Key="k")["Body"].read() == b"still here"


def test_stop_and_start_radosgw_keeps_the_data(ceph, s3c, ceph_bucket):
    body = rand(64 * 1024)
    s3c.put_object(Bucket=ceph_bucket, Key="kept", Body=body)
    endpoint = ceph.endpoint
    ceph.stop_rgw()
    assert ceph.rgw_pid is None
    down = ceph_client(ceph, connect_timeout=HANG_TIMEOUT, read_timeout=HANG_TIMEOUT,
                       retries={"total_max_attempts": 1, "mode": "standard"})
    with pytest.raises(EndpointConnectionError):  # refused: nothing listens
        down.get_object(Bucket=ceph_bucket, Key="kept")
    began = time.monotonic()
    ceph.start_rgw()
    restart = time.monotonic() - began
    assert ceph.endpoint == endpoint
    fresh = ceph_client(ceph)
    assert fresh.get_object(Bucket=ceph_bucket, Key="kept")["Body"].read() == body
    assert ceph_bucket in [b["Name"] for b in fresh.list_buckets()["Buckets"]]
    # Not a check: how long radosgw takes to come back.
    print(f"radosgw restarted in {restart:.2f} s")


def test_pausing_a_stopped_radosgw_is_an_error(ceph):
    """pause_rgw on a stopped radosgw is an error, not a signal to a stale pid; the cluster is
    left as it was (radosgw running)."""
    ceph.stop_rgw()
    try:
        with pytest.raises(CephError):
            ceph.pause_rgw()
    finally:
        ceph.start_rgw()
    with pytest.raises(ClientError):  # radosgw answers again: a refusal, not a timeout
        ceph_client(ceph, secret_key="x" * 40).list_buckets()
