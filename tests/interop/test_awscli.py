"""The AWS CLI (awscli 1.x from PyPI, run as a subprocess) against a running Tessera."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import MiB, Tool, md5_hex, multipart_etag, rand, sha256_file, write_random_file


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_mb_ls_rb(aws, s3, bucket_name, cleanup_buckets, tmp_path):
    cleanup_buckets.append(bucket_name)
    out = aws("s3", "mb", f"s3://{bucket_name}").stdout
    assert f"make_bucket: {bucket_name}" in out
    assert bucket_name in aws("s3", "ls").stdout.split()
    s3.head_bucket(Bucket=bucket_name)

    f = tmp_path / "one.txt"
    f.write_text("one")
    aws("s3", "cp", str(f), f"s3://{bucket_name}/one.txt")
    p = aws("s3", "rb", f"s3://{bucket_name}", check=False)
    assert p.returncode != 0
    assert "BucketNotEmpty" in p.stderr

    out = aws("s3", "rb", "--force", f"s3://{bucket_name}").stdout
    assert f"remove_bucket: {bucket_name}" in out
    assert bucket_name not in aws("s3", "ls").stdout.split()


def test_cp_up_and_down(aws, s3, bucket, tmp_path):
    small = tmp_path / "small file.txt"
    small.write_bytes(b"hello from the aws cli\n")
    out = aws("s3", "cp", str(small), f"s3://{bucket}/dir/small file.txt",
              "--content-type", "text/x-cli", "--metadata", "tool=awscli").stdout
    assert "upload:" in out
    h = s3.head_object(Bucket=bucket, Key="dir/small file.txt")
    assert h["ContentType"] == "text/x-cli"
    assert h["Metadata"] == {"tool": "awscli"}
    assert h["ETag"] == f'"{md5_hex(small.read_bytes())}"'

    back = tmp_path / "back.txt"
    aws("s3", "cp", f"s3://{bucket}/dir/small file.txt", str(back))
    assert back.read_bytes() == small.read_bytes()

    # stream from stdin and to stdout
    aws("s3", "cp", "-", f"s3://{bucket}/stdin.txt", input="piped text\n")
    assert aws("s3", "cp", f"s3://{bucket}/stdin.txt", "-").stdout == "piped text\n"

    # a missing key fails with a 404
    p = aws("s3", "cp", f"s3://{bucket}/nope", str(tmp_path / "nope"), check=False)
    assert p.returncode != 0
    assert "404" in p.stderr


def test_cp_multipart_12mib(aws, s3, bucket, tmp_path):
    big = tmp_path / "big.bin"
    digest = write_random_file(big, 12 * MiB)
    aws("s3", "cp", str(big), f"s3://{bucket}/big.bin")
    h = s3.head_object(Bucket=bucket, Key="big.bin")
    assert h["ContentLength"] == 12 * MiB
    # the CLI's default 8 MiB threshold and chunk size: 8 + 4 MiB
    data = big.read_bytes()
    assert h["ETag"] == f'"{multipart_etag([data[:8 * MiB], data[8 * MiB:]])}"'

    back = tmp_path / "big.back"
    aws("s3", "cp", f"s3://{bucket}/big.bin", str(back))
    assert sha256_file(back) == digest


def test_ls(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="dir/inner.txt", Body=b"abc")
    s3.put_object(Bucket=bucket, Key="dir/sub/deep.txt", Body=b"")

    lines = aws("s3", "ls", f"s3://{bucket}/").stdout.splitlines()
    assert any(line.split() == ["PRE", "dir/"] for line in lines), lines
    top = [line.split() for line in lines if line.endswith("top.txt")]
    assert len(top) == 1 and top[0][2:] == ["5", "top.txt"], lines
    assert len(lines) == 2

    lines = aws("s3", "ls", "--recursive", f"s3://{bucket}").stdout.splitlines()
    assert sorted((line.split()[2], line.split()[3]) for line in lines) == sorted(
        [("5", "top.txt"), ("3", "dir/inner.txt"), ("0", "dir/sub/deep.txt")])

    p = aws("s3", "ls", f"s3://{bucket}-does-not-exist", check=False)
    assert p.returncode != 0
    assert "NoSuchBucket" in p.stderr


def test_sync_and_rm_recursive(aws, s3, bucket, tmp_path):
    src = tmp_path / "src"
    files = {
        "a.txt": b"alpha",
        "sub/b.txt": b"bravo" * 100,
        "sub/deeper/c d.bin": rand(70_000),
        "ünï/ço+de.txt": b"unicode",
        "empty": b"",
    }
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)

    out = aws("s3", "sync", str(src), f"s3://{bucket}/tree").stdout
    assert out.count("upload:") == len(files)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="tree/")["Contents"]
    assert {o["Key"]: o["Size"] for o in listed} == {f"tree/{k}": len(v) for k, v in files.items()}

    # nothing changed: a second sync transfers nothing
    assert "upload:" not in aws("s3", "sync", str(src), f"s3://{bucket}/tree").stdout

    # a changed file is uploaded again
    (src / "a.txt").write_bytes(b"alpha, changed")
    out = aws("s3", "sync", str(src), f"s3://{bucket}/tree").stdout
    assert out.count("upload:") == 1 and "a.txt" in out
    files["a.txt"] = b"alpha, changed"

    dst = tmp_path / "dst"
    aws("s3", "sync", f"s3://{bucket}/tree", str(dst))
    assert _tree_digest(dst) == _tree_digest(src)

    out = aws("s3", "rm", "--recursive", f"s3://{bucket}/tree").stdout
    assert out.count("delete:") == len(files)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_s3api_multipart_with_parts_file(aws, s3, bucket, tmp_path):
    key = "api/multi part.bin"
    parts = [rand(5 * MiB), rand(5 * MiB), rand(4321)]
    up = json.loads(aws("s3api", "create-multipart-upload", "--bucket", bucket, "--key", key,
                        "--content-type", "application/x-api", "--output", "json").stdout)
    uid = up["UploadId"]
    assert up["Key"] == key

    done = []
    for n, data in enumerate(parts, start=1):
        f = tmp_path / f"part{n}"
        f.write_bytes(data)
        r = json.loads(aws("s3api", "upload-part", "--bucket", bucket, "--key", key,
                           "--upload-id", uid, "--part-number", str(n), "--body", str(f),
                           "--output", "json").stdout)
        assert r["ETag"] == f'"{md5_hex(data)}"'
        done.append({"PartNumber": n, "ETag": r["ETag"]})

    lp = json.loads(aws("s3api", "list-parts", "--bucket", bucket, "--key", key,
                        "--upload-id", uid, "--output", "json").stdout)
    assert [(p["PartNumber"], p["Size"]) for p in lp["Parts"]] == [
        (n, len(d)) for n, d in enumerate(parts, start=1)]

    parts_file = tmp_path / "parts.json"
    parts_file.write_text(json.dumps({"Parts": done}))
    r = json.loads(aws("s3api", "complete-multipart-upload", "--bucket", bucket, "--key", key,
                       "--upload-id", uid, "--multipart-upload", f"file://{parts_file}",
                       "--output", "json").stdout)
    assert r["ETag"] == f'"{multipart_etag(parts)}"'

    out = tmp_path / "out.bin"
    h = json.loads(aws("s3api", "get-object", "--bucket", bucket, "--key", key, str(out),
                       "--output", "json").stdout)
    assert h["ContentLength"] == sum(map(len, parts))
    assert h["ContentType"] == "application/x-api"
    assert out.read_bytes() == b"".join(parts)

    # complete again: the upload no longer exists
    p = aws("s3api", "complete-multipart-upload", "--bucket", bucket, "--key", key,
            "--upload-id", uid, "--multipart-upload", f"file://{parts_file}", check=False)
    assert p.returncode != 0
    assert "NoSuchUpload" in p.stderr


def test_s3api_objects_and_errors(aws, bucket, tmp_path):
    body = tmp_path / "b.txt"
    body.write_bytes(b"s3api body")
    aws("s3api", "put-object", "--bucket", bucket, "--key", "k.txt", "--body", str(body),
        "--metadata", "a=1,b=two", "--content-type", "text/x-k")
    h = json.loads(aws("s3api", "head-object", "--bucket", bucket, "--key", "k.txt",
                       "--output", "json").stdout)
    assert h["Metadata"] == {"a": "1", "b": "two"}
    assert h["ContentType"] == "text/x-k"
    assert h["ContentLength"] == len(b"s3api body")

    lo = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket, "--output", "json").stdout)
    assert [o["Key"] for o in lo["Contents"]] == ["k.txt"]

    p = aws("s3api", "head-object", "--bucket", bucket, "--key", "missing", check=False)
    assert p.returncode != 0
    assert "404" in p.stderr

    p = aws("s3api", "create-bucket", "--bucket", "Bad_Name", check=False)
    assert p.returncode != 0
    assert "InvalidBucketName" in p.stderr

    env = dict(aws.env, AWS_SECRET_ACCESS_KEY="wrong-" + os.urandom(4).hex())
    bad = Tool(aws.argv0, env)
    p = bad("s3", "ls", f"s3://{bucket}", check=False)
    assert p.returncode != 0
    assert "SignatureDoesNotMatch" in p.stderr
