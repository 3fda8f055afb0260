"""rclone and s3cmd (Debian packages) against a running Tessera."""

from __future__ import annotations

from pathlib import Path

from helpers import MiB, md5_hex, rand, sha256_file, write_random_file

FILES = {
    "a.txt": b"alpha\n",
    "sub/b.txt": b"bravo\n" * 500,
    "sub/deeper/c d.bin": None,  # random, filled in below
    "ünï/ço+de.txt": b"unicode\n",
}


def _make_tree(root: Path) -> dict[str, bytes]:
    files = dict(FILES)
    files["sub/deeper/c d.bin"] = rand(200_000)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def _rclone_ls(rclone, remote: str) -> dict[str, int]:
    out = rclone("ls", remote).stdout
    result = {}
    for line in out.splitlines():
        size, name = line.strip().split(" ", 1)
        result[name] = int(size)
    return result


# ---------------------------------------------------------------------------------------------
# rclone


def test_rclone_copy_ls_check_delete(rclone, s3, bucket, tmp_path):
    src = tmp_path / "src"
    files = _make_tree(src)

    rclone("copy", str(src), f"t:{bucket}/tree")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="tree/")["Contents"]
    assert {o["Key"]: o["Size"] for o in listed} == {f"tree/{k}": len(v) for k, v in files.items()}
    assert s3.get_object(Bucket=bucket, Key="tree/sub/deeper/c d.bin")["Body"].read() == \
        files["sub/deeper/c d.bin"]

    assert _rclone_ls(rclone, f"t:{bucket}/tree") == {k: len(v) for k, v in files.items()}

    # check compares sizes and MD5 (the ETag of a single-part upload)
    p = rclone("check", str(src), f"t:{bucket}/tree")
    assert p.returncode == 0

    # a local change is detected
    (src / "a.txt").write_bytes(b"ALPHA\n")  # same size, different content
    p = rclone("check", str(src), f"t:{bucket}/tree", check=False)
    assert p.returncode != 0
    assert "a.txt" in p.stderr

    # copy it back down and compare
    dst = tmp_path / "dst"
    rclone("copy", f"t:{bucket}/tree", str(dst))
    assert (dst / "sub/deeper/c d.bin").read_bytes() == files["sub/deeper/c d.bin"]
    assert (dst / "ünï/ço+de.txt").read_bytes() == files["ünï/ço+de.txt"]

    rclone("delete", f"t:{bucket}/tree")
    assert _rclone_ls(rclone, f"t:{bucket}") == {}
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_rclone_multipart(rclone, s3, bucket, tmp_path):
    big = tmp_path / "big.bin"
    digest = write_random_file(big, 11 * MiB)
    rclone("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", str(big),
           f"t:{bucket}/big.bin")
    h = s3.head_object(Bucket=bucket, Key="big.bin")
    assert h["ContentLength"] == 11 * MiB
    assert h["ETag"].strip('"').endswith("-3")
    # rclone keeps the whole file's MD5 in metadata for multipart objects
    assert h["Metadata"].get("md5chksum")

    rclone("check", str(tmp_path), f"t:{bucket}", "--include", "big.bin")
    back = tmp_path / "back" / "big.bin"
    rclone("copyto", f"t:{bucket}/big.bin", str(back))
    assert sha256_file(back) == digest


def test_rclone_mkdir_lsd_rmdir(rclone, s3, bucket_name, cleanup_buckets):
    cleanup_buckets.append(bucket_name)
    rclone("mkdir", f"t:{bucket_name}")
    s3.head_bucket(Bucket=bucket_name)
    assert bucket_name in rclone("lsd", "t:").stdout.split()
    rclone("rmdir", f"t:{bucket_name}")
    assert bucket_name not in rclone("lsd", "t:").stdout.split()


# ---------------------------------------------------------------------------------------------
# s3cmd


def test_s3cmd_put_get_ls_del(s3cmd, s3, bucket_name, cleanup_buckets, tmp_path):
    cleanup_buckets.append(bucket_name)
    out = s3cmd("mb", f"s3://{bucket_name}").stdout
    assert f"Bucket 's3://{bucket_name}/' created" in out
    assert f"s3://{bucket_name}" in s3cmd("ls").stdout

    f = tmp_path / "hello world.txt"
    f.write_bytes(b"hello from s3cmd\n")
    s3cmd("put", str(f), f"s3://{bucket_name}/dir/hello world.txt")
    h = s3.head_object(Bucket=bucket_name, Key="dir/hello world.txt")
    assert h["ETag"] == f'"{md5_hex(f.read_bytes())}"'
    assert h["ContentType"].startswith("text/plain")

    out = s3cmd("ls", f"s3://{bucket_name}/").stdout
    assert "DIR" in out and f"s3://{bucket_name}/dir/" in out
    out = s3cmd("ls", f"s3://{bucket_name}/dir/").stdout
    line = [ln for ln in out.splitlines() if ln.endswith("hello world.txt")]
    assert len(line) == 1 and line[0].split()[2] == str(len(f.read_bytes())), out

    back = tmp_path / "back.txt"
    s3cmd("get", f"s3://{bucket_name}/dir/hello world.txt", str(back))
    assert back.read_bytes() == f.read_bytes()

    p = s3cmd("rb", f"s3://{bucket_name}", check=False)
    assert p.returncode != 0
    assert "BucketNotEmpty" in p.stderr + p.stdout

    s3cmd("del", f"s3://{bucket_name}/dir/hello world.txt")
    assert s3.list_objects_v2(Bucket=bucket_name)["KeyCount"] == 0
    p = s3cmd("get", f"s3://{bucket_name}/dir/hello world.txt", str(tmp_path / "x"), check=False)
    assert p.returncode != 0

    s3cmd("rb", f"s3://{bucket_name}")
    assert f"s3://{bucket_name}" not in s3cmd("ls").stdout


def test_s3cmd_multipart_and_recursive(s3cmd, s3, bucket, tmp_path):
    big = tmp_path / "big.bin"
    digest = write_random_file(big, 11 * MiB)
    s3cmd("put", "--multipart-chunk-size-mb=5", str(big), f"s3://{bucket}/big.bin")
    h = s3.head_object(Bucket=bucket, Key="big.bin")
    assert h["ContentLength"] == 11 * MiB
    assert h["ETag"].strip('"').endswith("-3")
    back = tmp_path / "big.back"
    s3cmd("get", f"s3://{bucket}/big.bin", str(back))
    assert sha256_file(back) == digest

    src = tmp_path / "src"
    files = _make_tree(src)
    s3cmd("put", "--recursive", f"{src}/", f"s3://{bucket}/tree/")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="tree/")["Contents"]
    assert {o["Key"]: o["Size"] for o in listed} == {f"tree/{k}": len(v) for k, v in files.items()}

    out = s3cmd("ls", "--recursive", f"s3://{bucket}/tree/").stdout
    assert sorted(ln.split(f"s3://{bucket}/", 1)[1] for ln in out.splitlines()) == \
        sorted(f"tree/{k}" for k in files)

    s3cmd("del", "--recursive", "--force", f"s3://{bucket}/tree/")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["big.bin"]
