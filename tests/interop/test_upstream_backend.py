"""Tessera in front of an upstream S3 cluster (a real Ceph radosgw, `TESSERA_UPSTREAM_*`):
clients see Tessera's buckets without the upstream prefix; objects written through Tessera are
plain objects upstream, readable there with the service key; multipart, ranges, metadata and
listings pass through; temporary credentials work; a body that breaks its promise (a wrong
Content-MD5) stores nothing upstream; an upstream that hangs or is down gives clients a prompt
503; the client's signature and session token never reach the upstream."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import (make_s3_client, multipart_etag, rand, signed_request, start_tessera,
                     sts_credentials, sts_request)
from test_ceph_cluster import ceph_client

PREFIX = "tsr-"
TIMEOUT = "3s"  # TESSERA_UPSTREAM_TIMEOUT, so a hanging radosgw is noticed quickly


@pytest.fixture(scope="module")
def gateway(ceph, tmp_path_factory):
    server = start_tessera(tmp_path_factory.mktemp("gateway"), {
        "TESSERA_UPSTREAM_ENDPOINT": ceph.endpoint,
        "TESSERA_UPSTREAM_ACCESS_KEY": ceph.service_access_key,
        "TESSERA_UPSTREAM_SECRET_KEY": ceph.service_secret_key,
        "TESSERA_UPSTREAM_BUCKET_PREFIX": PREFIX,
        "TESSERA_UPSTREAM_TIMEOUT": TIMEOUT,
    })
    yield server
    server.stop()


@pytest.fixture
def bucket(gateway):
    s3 = make_s3_client(gateway)
    name = f"up-{secrets.token_hex(5)}"
    s3.create_bucket(Bucket=name)
    return name


def test_buckets_and_objects_are_plain_upstream_under_the_prefix(gateway, ceph, bucket):
    s3 = make_s3_client(gateway)
    body = rand(4096)
    s3.put_object(Bucket=bucket, Key="dir/a.bin", Body=body, ContentType="application/x-test",
                  Metadata={"color": "blue"})
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    direct = ceph_client(ceph)
    assert f"{PREFIX}{bucket}" in [b["Name"] for b in direct.list_buckets()["Buckets"]]
    got = direct.get_object(Bucket=f"{PREFIX}{bucket}", Key="dir/a.bin")
    assert got["Body"].read() == body
    assert got["Metadata"]["color"] == "blue"
    head = s3.head_object(Bucket=bucket, Key="dir/a.bin")
    assert head["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert head["ContentType"] == "application/x-test"
    assert head["Metadata"] == {"color": "blue"}
    part = s3.get_object(Bucket=bucket, Key="dir/a.bin", Range="bytes=10-19")
    assert part["Body"].read() == body[10:20]
    assert part["ContentRange"] == "bytes 10-19/4096"
    # A bucket outside the prefix, made straight at the cluster, is not Tessera's.
    direct.create_bucket(Bucket="someone-else")
    assert "someone-else" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_listing_with_prefix_delimiter_and_pages(gateway, bucket):
    s3 = make_s3_client(gateway)
    for key in ["a/1", "a/2", "b/1", "c", "d"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in top["Contents"]] == ["c", "d"]
    keys, token = [], None
    for _ in range(10):
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, **kw)
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert keys == ["a/1", "a/2", "b/1", "c", "d"]


def test_multipart_through_the_gateway(gateway, ceph, bucket):
    s3 = make_s3_client(gateway)
    parts = [rand(5 * 1024 * 1024), rand(1024)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    etags = []
    for i, data in enumerate(parts, start=1):
        etags.append(s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=i,
                                    Body=data)["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    assert done["ETag"].strip('"') == multipart_etag(parts)
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"".join(parts)
    direct = ceph_client(ceph).get_object(Bucket=f"{PREFIX}{bucket}", Key="big")
    assert direct["Body"].read() == b"".join(parts)


def test_a_broken_promise_stores_nothing_upstream(gateway, ceph, bucket):
    s3 = make_s3_client(gateway)
    s3.put_object(Bucket=bucket, Key="keep", Body=b"old")
    wrong_md5 = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="keep", Body=rand(300 * 1024), ContentMD5=wrong_md5)
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    direct = ceph_client(ceph)
    assert direct.get_object(Bucket=f"{PREFIX}{bucket}", Key="keep")["Body"].read() == b"old"


def test_an_upload_arriving_slower_than_the_upstream_timeout_is_stored_whole(gateway, ceph,
                                                                            bucket):
    """TESSERA_UPSTREAM_TIMEOUT bounds the cluster's answer, not the client's pace: a body that
    takes longer than the timeout to arrive is stored whole."""
    import http.client
    from urllib.parse import urlsplit

    s3 = make_s3_client(gateway, signature_version="s3v4")
    pieces = [rand(64 * 1024) for _ in range(4)]
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "slow"},
                                    ExpiresIn=300)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
        conn.putheader("Content-Length", str(sum(len(p) for p in pieces)))
        conn.endheaders()
        began = time.monotonic()
        for piece in pieces:
            conn.send(piece)
            time.sleep(1.3)  # 4 × 1.3 s: longer than the 3 s TESSERA_UPSTREAM_TIMEOUT
        answer = conn.getresponse()
        text = answer.read()
    finally:
        conn.close()
    assert time.monotonic() - began > 4.5
    assert answer.status == 200, text
    whole = b"".join(pieces)
    assert s3.get_object(Bucket=bucket, Key="slow")["Body"].read() == whole
    direct = ceph_client(ceph)
    assert direct.get_object(Bucket=f"{PREFIX}{bucket}", Key="slow")["Body"].read() == whole


def test_a_clients_own_checksum_metadata_is_not_kept_as_a_checksum(gateway, bucket):
    s3 = make_s3_client(gateway)
    s3.put_object(Bucket=bucket, Key="forged", Body=b"data", ChecksumAlgorithm="CRC32",
                  Metadata={"tessera-checksum-sha256": "Zm9yZ2Vk", "colour": "blue"})
    head = s3.head_object(Bucket=bucket, Key="forged", ChecksumMode="ENABLED")
    assert head["Metadata"] == {"colour": "blue"}, head["Metadata"]
    assert "ChecksumSHA256" not in head, head
    assert head.get("ChecksumCRC32"), head


def test_temporary_credentials_work_and_never_reach_the_upstream(gateway, bucket):
    resp = sts_request(gateway, {"Action": "AssumeRole", "Version": "2011-06-15",
                                 "DurationSeconds": "900"},
                       access_key=gateway.access_key, secret_key=gateway.secret_key)
    creds = sts_credentials(resp)
    temp = make_s3_client(gateway, creds["AccessKeyId"], creds["SecretAccessKey"],
                          creds["SessionToken"])
    temp.put_object(Bucket=bucket, Key="by-temp", Body=b"t")
    assert temp.get_object(Bucket=bucket, Key="by-temp")["Body"].read() == b"t"
    # The upstream only ever sees Tessera's service key: a client key is unknown there.
    r = signed_request(gateway, "GET", f"/{bucket}/by-temp")
    assert r.status_code == 200


def test_missing_things_and_a_hanging_or_stopped_upstream(gateway, ceph, bucket):
    s3 = boto3.client("s3", endpoint_url=gateway.endpoint, region_name=gateway.region,
                      aws_access_key_id=gateway.access_key,
                      aws_secret_access_key=gateway.secret_key,
                      config=Config(s3={"addressing_style": "path"}, read_timeout=60,
                                    retries={"total_max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="nope")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket="no-such-bucket-here")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    ceph.pause_rgw()
    try:
        began = time.monotonic()
        with pytest.raises(ClientError) as down:
            s3.get_object(Bucket=bucket, Key="k")
        waited = time.monotonic() - began
    finally:
        ceph.resume_rgw()
    assert down.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503, down.value.response
    assert waited < 15, waited
    ceph.stop_rgw()
    try:
        with pytest.raises(ClientError) as down:
            s3.put_object(Bucket=bucket, Key="k2", Body=b"v")
        assert down.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    finally:
        ceph.start_rgw()
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


class _Garbage:
    """An 'upstream' on 127.0.0.1 that no real cluster would be: every answer is 200 with a body
    that is not S3's XML, or, for GET of an object, fewer bytes than its Content-Length says."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _garbage(self):
                body = b"<<this is not S3 XML>>"
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.count("/") >= 2 and "?" not in self.path:
                    # An object read: announce 1000 bytes, send 10, hang up.
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
                    self.end_headers()
                    self.wfile.write(b"0123456789")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._garbage()

            do_PUT = do_POST = do_HEAD = do_DELETE = _garbage

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_an_upstream_answering_garbage_gives_a_clear_error(tmp_path):
    fake = _Garbage()
    server = start_tessera(tmp_path / "garbage", {
        "TESSERA_UPSTREAM_ENDPOINT": fake.endpoint,
        "TESSERA_UPSTREAM_ACCESS_KEY": "svc", "TESSERA_UPSTREAM_SECRET_KEY": "svc-secret",
        "TESSERA_UPSTREAM_TIMEOUT": TIMEOUT,
    })
    try:
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name=server.region,
                          aws_access_key_id=server.access_key,
                          aws_secret_access_key=server.secret_key,
                          config=Config(s3={"addressing_style": "path"},
                                        retries={"total_max_attempts": 1, "mode": "standard"}))
        with pytest.raises(ClientError) as listing:
            s3.list_buckets()
        assert listing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert listing.value.response["Error"]["Code"] == "ServiceUnavailable"
        # A read cut short upstream never looks like a whole object to the client.
        from botocore.exceptions import BotoCoreError
        with pytest.raises((ClientError, BotoCoreError)):
            s3.get_object(Bucket="b", Key="k")["Body"].read()
        # The service key's secret is not in Tessera's logs.
        assert "svc-secret" not in server.stderr() + server.stdout()
    finally:
        server.stop()
        fake.stop()
