"""IAM through MinIO's admin API with minio-py's MinioAdmin, enforced on S3 with boto3: the
home-directory policy, group policies with a Deny, live detach and disable, service accounts
with an embedded policy, admin rights, and bad input (malformed policies, wrong payload key)."""

from __future__ import annotations

import json
import secrets

import pytest
import requests
from minio import MinioAdmin
from minio.credentials import StaticProvider
from minio.error import MinioAdminException

from helpers import expect_error, make_s3_client

HOME_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::BUCKET"],
         "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": ["arn:aws:s3:::BUCKET/${aws:username}/*"]},
    ],
}


def admin_for(server, access_key: str, secret_key: str) -> MinioAdmin:
    return MinioAdmin(endpoint=server.host, credentials=StaticProvider(access_key, secret_key), secure=False)


@pytest.fixture(scope="module")
def admin(server) -> MinioAdmin:
    return admin_for(server, server.access_key, server.secret_key)


def new_user(admin: MinioAdmin, prefix: str) -> tuple[str, str]:
    name = f"{prefix}{secrets.token_hex(3)}"
    secret = secrets.token_urlsafe(18)
    admin.user_add(name, secret)
    return name, secret


def policy(admin: MinioAdmin, name: str, document: dict) -> str:
    admin.policy_add(name, policy=document)
    return name


def home_policy(bucket: str) -> dict:
    return json.loads(json.dumps(HOME_POLICY).replace("BUCKET", bucket))


def test_home_directory_policy(admin, server, s3, bucket):
    name, secret = new_user(admin, "home")
    admin.attach_policy([policy(admin, f"home-{bucket}", home_policy(bucket))], user=name)
    s3.put_object(Bucket=bucket, Key="other/secret.txt", Body=b"no")
    user = make_s3_client(server, name, secret)
    user.put_object(Bucket=bucket, Key=f"{name}/a.txt", Body=b"mine")
    assert user.get_object(Bucket=bucket, Key=f"{name}/a.txt")["Body"].read() == b"mine"
    listed = user.list_objects_v2(Bucket=bucket, Prefix=f"{name}/")
    assert [o["Key"] for o in listed["Contents"]] == [f"{name}/a.txt"]
    for call in (lambda: user.get_object(Bucket=bucket, Key="other/secret.txt"),
                 lambda: user.put_object(Bucket=bucket, Key="other/x", Body=b"x"),
                 lambda: user.list_objects_v2(Bucket=bucket, Prefix="other/"),
                 lambda: user.list_objects_v2(Bucket=bucket)):
        with pytest.raises(Exception) as e:
            call()
        assert "AccessDenied" in str(e.value)


def test_group_policies_add_up_and_deny_wins(admin, server, bucket, s3):
    name, secret = new_user(admin, "grp")
    group = f"g{secrets.token_hex(3)}"
    admin.group_add(group, [name])
    admin.policy_set("readwrite", group=group)
    deny = policy(admin, f"nodelete-{group}", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["arn:aws:s3:::*"]}]})
    admin.attach_policy([deny], user=name)
    user = make_s3_client(server, name, secret)
    user.put_object(Bucket=bucket, Key="k", Body=b"v")
    code, status, _ = expect_error(user.delete_object, Bucket=bucket, Key="k")
    assert (code, status) == ("AccessDenied", 403)
    # Detaching the Deny takes effect at the next request.
    admin.detach_policy([deny], user=name)
    user.delete_object(Bucket=bucket, Key="k")
    # Disabling the group removes its policies at the next request.
    admin.group_disable(group)
    code, status, _ = expect_error(user.put_object, Bucket=bucket, Key="k2", Body=b"v")
    assert (code, status) == ("AccessDenied", 403)


def test_disabling_a_user_stops_its_keys_at_once(admin, server, bucket):
    name, secret = new_user(admin, "dis")
    admin.policy_set("readwrite", user=name)
    user = make_s3_client(server, name, secret)
    user.put_object(Bucket=bucket, Key="k", Body=b"v")
    admin.user_disable(name)
    code, status, _ = expect_error(user.get_object, Bucket=bucket, Key="k")
    assert (code, status) == ("InvalidAccessKeyId", 403)
    admin.user_enable(name)
    assert user.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    admin.user_remove(name)
    code, _, _ = expect_error(user.get_object, Bucket=bucket, Key="k")
    assert code == "InvalidAccessKeyId"


def test_service_account_with_embedded_policy_is_the_intersection(admin, server, bucket, s3):
    name, secret = new_user(admin, "svc")
    admin.policy_set("readwrite", user=name)
    s3.put_object(Bucket=bucket, Key="data.txt", Body=b"data")
    own_admin = admin_for(server, name, secret)
    read_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}
    created = json.loads(own_admin.add_service_account(policy=read_only, name="reader"))
    ak, sk = created["credentials"]["accessKey"], created["credentials"]["secretKey"]
    svc = make_s3_client(server, ak, sk)
    assert svc.get_object(Bucket=bucket, Key="data.txt")["Body"].read() == b"data"
    code, status, _ = expect_error(svc.put_object, Bucket=bucket, Key="x", Body=b"x")
    assert (code, status) == ("AccessDenied", 403)
    listed = json.loads(own_admin.list_service_account(name))
    assert [a["accessKey"] for a in listed["accounts"]] == [ak]
    info = json.loads(own_admin.get_service_account(ak))
    assert info["parentUser"] == name and info["impliedPolicy"] is False
    own_admin.delete_service_account(ak)
    code, _, _ = expect_error(svc.get_object, Bucket=bucket, Key="data.txt")
    assert code == "InvalidAccessKeyId"


def test_admin_calls_need_admin_rights(admin, server):
    name, secret = new_user(admin, "plain")
    plain = admin_for(server, name, secret)
    with pytest.raises(MinioAdminException) as e:
        plain.user_add("someone", "someone-secret")
    assert e.value._code == "403" or "AccessDenied" in str(e.value)
    # A user may read its own record without admin rights.
    assert json.loads(plain.user_info(name))["status"] == "enabled"
    admin.policy_set("consoleAdmin", user=name)
    other, _ = new_user(plain, "made")
    assert other in json.loads(admin.user_list())


def test_policy_documents_and_bad_input(admin):
    name = f"p{secrets.token_hex(3)}"
    admin.policy_add(name, policy={"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                   "Resource": "arn:aws:s3:::b/*"}]})
    assert "s3:GetObject" in admin.policy_info(name)
    assert name in json.loads(admin.policy_list())
    for bad, fragment in [
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjcet",
                                                  "Resource": "arn:aws:s3:::b/*"}]}, "GetObjcet"),
        ({"Version": "2008-10-17", "Statement": []}, "Version"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "b/*"}]}, "Resource"),
        ({"Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]}, "Effect"),
        ({"Statement": [], "Extra": 1}, "Extra"),
    ]:
        with pytest.raises(MinioAdminException) as e:
            admin.policy_add(f"bad{secrets.token_hex(2)}", policy=bad)
        assert "400" in str(e.value) and fragment in str(e.value), str(e.value)
    with pytest.raises(MinioAdminException) as e:
        admin.policy_remove("readwrite")
    assert "built in" in str(e.value)
    user, _ = new_user(admin, "att")
    admin.attach_policy([name], user=user)
    with pytest.raises(MinioAdminException) as e:
        admin.policy_remove(name)
    assert "detach it first" in str(e.value)
    with pytest.raises(MinioAdminException) as e:
        admin.user_add("x", "short")
    assert "400" in str(e.value)
    with pytest.raises(MinioAdminException) as e:
        admin.user_add(admin_root_name(admin), "long-enough-secret")
    assert "root" in str(e.value)


def admin_root_name(admin: MinioAdmin) -> str:
    return json.loads(admin.account_info())["AccountName"]


def test_encrypted_payload_with_the_wrong_key_is_refused(server):
    """An add-user body sealed with another secret is refused and nothing is created."""
    from minio.crypto import encrypt
    from helpers import signed_request
    body = encrypt(json.dumps({"secretKey": "victim-secret-1", "status": "enabled"}).encode(), "not-the-secret")
    resp = signed_request(server, "PUT", "/minio/admin/v3/add-user", params={"accessKey": "victim"}, data=body)
    assert resp.status_code == 400, resp.text
    flipped = bytearray(encrypt(json.dumps({"secretKey": "victim-secret-1"}).encode(), server.secret_key))
    flipped[-5] ^= 1
    resp = signed_request(server, "PUT", "/minio/admin/v3/add-user", params={"accessKey": "victim"}, data=bytes(flipped))
    assert resp.status_code == 400, resp.text
    resp = signed_request(server, "PUT", "/minio/admin/v3/add-user", params={"accessKey": "victim"}, data=b"short")
    assert resp.status_code == 400, resp.text
    admin = admin_for(server, server.access_key, server.secret_key)
    assert "victim" not in json.loads(admin.user_list())


def test_public_read_bucket_policy(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="pub.txt", Body=b"hello world")
    url = f"{server.endpoint}/{bucket}/pub.txt"
    assert requests.get(url, timeout=10).status_code == 403
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(doc))
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.content == b"hello world"
    assert requests.put(f"{server.endpoint}/{bucket}/new.txt", data=b"x", timeout=10).status_code == 403
    assert requests.get(f"{server.endpoint}/{bucket}?list-type=2", timeout=10).status_code == 403
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Action"] == ["s3:GetObject"]
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3.delete_bucket_policy(Bucket=bucket)
    assert requests.get(url, timeout=10).status_code == 403
    code, status, _ = expect_error(s3.get_bucket_policy, Bucket=bucket)
    assert (code, status) == ("NoSuchBucketPolicy", 404)
    no_principal = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}
    code, status, _ = expect_error(s3.put_bucket_policy, Bucket=bucket, Policy=json.dumps(no_principal))
    assert (code, status) == ("MalformedPolicy", 400)
    other_bucket = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::elsewhere/*"]}]}
    code, status, _ = expect_error(s3.put_bucket_policy, Bucket=bucket, Policy=json.dumps(other_bucket))
    assert (code, status) == ("MalformedPolicy", 400)


def test_bucket_policy_grants_another_user(admin, server, s3, bucket):
    name, secret = new_user(admin, "guest")
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared")
    guest = make_s3_client(server, name, secret)
    code, _, _ = expect_error(guest.get_object, Bucket=bucket, Key="shared.txt")
    assert code == "AccessDenied"
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [name]}, "Action": ["s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{bucket}/shared.txt"]}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(doc))
    assert guest.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"shared"
    code, _, _ = expect_error(guest.put_object, Bucket=bucket, Key="shared.txt", Body=b"mine")
    assert code == "AccessDenied"


def test_oversized_policy_is_refused(admin):
    big = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"s{i}", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": [f"arn:aws:s3:::bucket-number-{i}/some/long/prefix/*"]} for i in range(300)]}
    assert len(json.dumps(big)) > 20 * 1024
    with pytest.raises(MinioAdminException) as e:
        admin.policy_add(f"big{secrets.token_hex(2)}", policy=big)
    assert "400" in str(e.value), str(e.value)


def test_concurrent_attachments_lose_nothing(admin, server):
    from concurrent.futures import ThreadPoolExecutor
    name, _ = new_user(admin, "conc")
    names = []
    for i in range(6):
        p = f"c{i}{secrets.token_hex(2)}"
        admin.policy_add(p, policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::b{i}/*"]}]})
        names.append(p)

    def attach(p):
        admin_for(server, server.access_key, server.secret_key).attach_policy([p], user=name)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(attach, names))
    attached = json.loads(admin.user_info(name))["policyName"].split(",")
    assert sorted(attached) == sorted(names)


def test_policy_entities_without_a_filter_lists_every_mapping(admin):
    name, _ = new_user(admin, "ent")
    admin.policy_set("readonly", user=name)
    everything = json.loads(admin.get_policy_entities(users=[], groups=[], policies=[]))
    assert {"user": name, "policies": ["readonly"]} in everything["userMappings"]
    readonly = next(p for p in everything["policyMappings"] if p["policy"] == "readonly")
    assert name in readonly["users"]


def test_account_info_lists_the_buckets_a_user_can_reach(admin, server, s3, bucket):
    """minio-py's account_info: the caller's name, policy, and each bucket its policies reach,
    with read and write access; buckets it cannot touch are left out."""
    name, secret = new_user(admin, "acct")
    readable = policy(admin, f"read-{bucket}", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}]})
    admin.attach_policy([readable], user=name)
    other = f"{bucket}-hidden"
    s3.create_bucket(Bucket=other)
    info = json.loads(admin_for(server, name, secret).account_info())
    assert info["AccountName"] == name
    by_name = {b["name"]: b for b in info["Buckets"]}
    assert by_name[bucket]["access"] == {"read": True, "write": False}
    assert other not in by_name
    root_info = json.loads(admin.account_info())
    root_buckets = {b["name"]: b["access"] for b in root_info["Buckets"]}
    assert root_buckets[other] == {"read": True, "write": True}
