"""minio-py 7.2 against a running Tessera."""

from __future__ import annotations

import io
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from minio.commonconfig import REPLACE, CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from helpers import MiB, md5_hex, rand, sha256_file, write_random_file


def _s3error(fn, *args, **kwargs) -> S3Error:
    with pytest.raises(S3Error) as ei:
        fn(*args, **kwargs)
    return ei.value


@pytest.fixture
def mbucket(minio_client, s3, bucket_name, cleanup_buckets):
    """A bucket made with minio-py's make_bucket (cleaned up via boto3)."""
    cleanup_buckets.append(bucket_name)
    minio_client.make_bucket(bucket_name)
    return bucket_name


def test_make_list_remove_bucket(minio_client, bucket_name, cleanup_buckets):
    cleanup_buckets.append(bucket_name)
    assert minio_client.bucket_exists(bucket_name) is False
    minio_client.make_bucket(bucket_name)
    assert minio_client.bucket_exists(bucket_name) is True
    assert bucket_name in [b.name for b in minio_client.list_buckets()]

    e = _s3error(minio_client.make_bucket, bucket_name)
    assert e.code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")

    minio_client.put_object(bucket_name, "x", io.BytesIO(b"x"), 1)
    e = _s3error(minio_client.remove_bucket, bucket_name)
    assert e.code == "BucketNotEmpty"
    assert e.response.status == 409

    minio_client.remove_object(bucket_name, "x")
    minio_client.remove_bucket(bucket_name)
    assert minio_client.bucket_exists(bucket_name) is False
    e = _s3error(minio_client.remove_bucket, bucket_name)
    assert e.code == "NoSuchBucket"


def test_put_get_stat_object(minio_client, mbucket):
    body = rand(10_000)
    w = minio_client.put_object(mbucket, "docs/report 1.bin", io.BytesIO(body), len(body),
                                content_type="application/x-report",
                                metadata={"Author": "alice", "x-amz-meta-team": "storage"})
    assert w.etag == md5_hex(body)
    assert w.object_name == "docs/report 1.bin"

    st = minio_client.stat_object(mbucket, "docs/report 1.bin")
    assert st.size == len(body)
    assert st.etag == md5_hex(body)
    assert st.content_type == "application/x-report"
    assert st.metadata.get("x-amz-meta-author") == "alice"
    assert st.metadata.get("x-amz-meta-team") == "storage"
    assert st.last_modified is not None

    resp = minio_client.get_object(mbucket, "docs/report 1.bin")
    try:
        assert resp.status == 200
        assert resp.read() == body
        assert resp.headers["Content-Type"] == "application/x-report"
    finally:
        resp.close()
        resp.release_conn()

    # ranged read via offset/length
    resp = minio_client.get_object(mbucket, "docs/report 1.bin", offset=100, length=50)
    try:
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 100-149/{len(body)}"
        assert resp.read() == body[100:150]
    finally:
        resp.close()
        resp.release_conn()

    minio_client.remove_object(mbucket, "docs/report 1.bin")
    e = _s3error(minio_client.stat_object, mbucket, "docs/report 1.bin")
    assert e.response.status == 404
    e = _s3error(minio_client.get_object, mbucket, "docs/report 1.bin")
    assert e.code == "NoSuchKey"


def test_put_object_unknown_length_streams_multipart(minio_client, mbucket):
    """length=-1 makes minio-py stream the data in part_size pieces (multipart)."""
    body = rand(11 * MiB)
    w = minio_client.put_object(mbucket, "stream.bin", io.BytesIO(body), -1, part_size=5 * MiB)
    assert w.etag.endswith("-3")
    resp = minio_client.get_object(mbucket, "stream.bin")
    try:
        assert resp.read() == body
    finally:
        resp.close()
        resp.release_conn()


def test_fput_fget_multipart(minio_client, mbucket, tmp_path):
    src = tmp_path / "twelve.bin"
    digest = write_random_file(src, 12 * MiB)
    w = minio_client.fput_object(mbucket, "files/twelve.bin", str(src),
                                 content_type="application/x-twelve")
    # minio-py uses 5 MiB parts for a file this size: 5 + 5 + 2
    assert w.etag.endswith("-3"), w.etag
    st = minio_client.stat_object(mbucket, "files/twelve.bin")
    assert st.size == 12 * MiB
    assert st.content_type == "application/x-twelve"

    dst = tmp_path / "back" / "twelve.bin"
    minio_client.fget_object(mbucket, "files/twelve.bin", str(dst))
    assert sha256_file(dst) == digest


KEYS = ["a/1.txt", "a/2.txt", "a/deep/3.txt", "b/1.txt", "top.txt", "sp ace/ü+.txt"]


def test_list_objects(minio_client, mbucket):
    for k in KEYS:
        minio_client.put_object(mbucket, k, io.BytesIO(k.encode()), len(k.encode()))

    flat = list(minio_client.list_objects(mbucket, recursive=True))
    assert [o.object_name for o in flat] == sorted(KEYS, key=lambda k: k.encode())
    assert {o.object_name: o.size for o in flat} == {k: len(k.encode()) for k in KEYS}
    assert all(not o.is_dir for o in flat)
    assert {o.object_name: o.etag for o in flat}["top.txt"] == md5_hex(b"top.txt")

    # minio-py yields a page's objects first, then its common prefixes
    top = list(minio_client.list_objects(mbucket))
    assert sorted((o.object_name, o.is_dir) for o in top) == [
        ("a/", True), ("b/", True), ("sp ace/", True), ("top.txt", False)]

    under_a = list(minio_client.list_objects(mbucket, prefix="a/"))
    assert sorted((o.object_name, o.is_dir) for o in under_a) == [
        ("a/1.txt", False), ("a/2.txt", False), ("a/deep/", True)]

    odd = list(minio_client.list_objects(mbucket, prefix="sp ace/", recursive=True))
    assert [o.object_name for o in odd] == ["sp ace/ü+.txt"]

    after = list(minio_client.list_objects(mbucket, recursive=True, start_after="a/deep/3.txt"))
    assert [o.object_name for o in after] == ["b/1.txt", "sp ace/ü+.txt", "top.txt"]

    v1 = list(minio_client.list_objects(mbucket, recursive=True, use_api_v1=True))
    assert [o.object_name for o in v1] == sorted(KEYS, key=lambda k: k.encode())


def test_list_objects_many_pages(minio_client, s3, mbucket):
    """minio-py pages with continuation tokens (1000 per page by default): 1005 small keys."""
    keys = sorted(f"many/{i:05d} +" for i in range(1005))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=mbucket, Key=k, Body=b""), keys))
    got = [o.object_name for o in minio_client.list_objects(mbucket, prefix="many/",
                                                            recursive=True)]
    assert got == keys


def test_remove_objects(minio_client, mbucket):
    keys = [f"rm/{i}" for i in range(8)]
    for k in keys:
        minio_client.put_object(mbucket, k, io.BytesIO(b"z"), 1)
    errors = list(minio_client.remove_objects(
        mbucket, [DeleteObject(k) for k in keys[:5]] + [DeleteObject("rm/never-existed")]))
    assert errors == []
    left = [o.object_name for o in minio_client.list_objects(mbucket, recursive=True)]
    assert left == keys[5:]
    errors = list(minio_client.remove_objects(mbucket, (DeleteObject(k) for k in keys[5:])))
    assert errors == []
    assert list(minio_client.list_objects(mbucket, recursive=True)) == []


def test_presigned_get_object(minio_client, mbucket):
    body = rand(3333)
    minio_client.put_object(mbucket, "pre/obj x", io.BytesIO(body), len(body))
    url = minio_client.presigned_get_object(mbucket, "pre/obj x", expires=timedelta(minutes=5))
    assert "X-Amz-Signature=" in url
    r = requests.get(url, timeout=30)
    assert r.status_code == 200
    assert r.content == body

    url = minio_client.presigned_get_object(
        mbucket, "pre/obj x", expires=timedelta(minutes=5),
        response_headers={"response-content-type": "text/x-override"})
    r = requests.get(url, timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/x-override"

    sig = url.split("X-Amz-Signature=")[1][:64]
    forged = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    r = requests.get(url.replace(sig, forged), timeout=30)
    assert r.status_code == 403
    assert b"SignatureDoesNotMatch" in r.content

    put_url = minio_client.presigned_put_object(mbucket, "pre/uploaded",
                                                expires=timedelta(minutes=5))
    r = requests.put(put_url, data=b"via presigned put", timeout=30)
    assert r.status_code == 200
    resp = minio_client.get_object(mbucket, "pre/uploaded")
    try:
        assert resp.read() == b"via presigned put"
    finally:
        resp.close()
        resp.release_conn()


def test_copy_object(minio_client, mbucket, bucket_name, cleanup_buckets):
    body = rand(4096)
    minio_client.put_object(mbucket, "src.bin", io.BytesIO(body), len(body),
                            content_type="application/x-src", metadata={"origin": "minio"})

    w = minio_client.copy_object(mbucket, "dst.bin", CopySource(mbucket, "src.bin"))
    assert w.etag == md5_hex(body)
    st = minio_client.stat_object(mbucket, "dst.bin")
    assert st.size == len(body)
    assert st.content_type == "application/x-src"
    assert st.metadata.get("x-amz-meta-origin") == "minio"

    minio_client.copy_object(mbucket, "dst2.bin", CopySource(mbucket, "src.bin"),
                             metadata={"x-amz-meta-fresh": "yes", "Content-Type": "text/plain"},
                             metadata_directive=REPLACE)
    st = minio_client.stat_object(mbucket, "dst2.bin")
    assert st.metadata.get("x-amz-meta-fresh") == "yes"
    assert "x-amz-meta-origin" not in st.metadata
    assert st.content_type == "text/plain"

    # conditional copy source: a wrong ETag fails
    e = _s3error(minio_client.copy_object, mbucket, "dst3.bin",
                 CopySource(mbucket, "src.bin", match_etag="0123456789abcdef0123456789abcdef"))
    assert e.code == "PreconditionFailed"
    assert e.response.status == 412

    # into another bucket
    other = bucket_name + "-b"
    cleanup_buckets.append(other)
    minio_client.make_bucket(other)
    minio_client.copy_object(other, "copied.bin", CopySource(mbucket, "src.bin"))
    resp = minio_client.get_object(other, "copied.bin")
    try:
        assert resp.read() == body
    finally:
        resp.close()
        resp.release_conn()


def test_wrong_credentials(server, mbucket):
    from minio import Minio

    bad = Minio(server.host, access_key=server.access_key,
                secret_key=server.secret_key + "nope", secure=False, region=server.region)
    e = _s3error(lambda: list(bad.list_objects(mbucket)))
    assert e.code == "SignatureDoesNotMatch"
    bad = Minio(server.host, access_key="NOSUCHKEY" + secrets.token_hex(4),
                secret_key=server.secret_key, secure=False, region=server.region)
    e = _s3error(lambda: list(bad.list_objects(mbucket)))
    assert e.code == "InvalidAccessKeyId"
