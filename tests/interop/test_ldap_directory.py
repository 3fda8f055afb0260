"""The OpenLDAP test directory itself (tests/ldap/ driven by ldap.py), not Tessera: ACLs, the
accounts and groups of directory.ldif, how slapd escapes and normalises DNs and filters, LDAPS
and StartTLS with the test CA, and the harness's restart and pause. Checked with ldap-utils."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest

from ldap import (BASE_DN, CONTRACTORS_DN, GROUP_MEMBERS, GROUPS_DN, LOOKUP_DN,
                  LOOKUP_PASSWORD, PASSWORDS, PEOPLE_DN, USER_DNS, USER_SEARCH_BASES, LdapError,
                  Slapd, SlapdError, find_tool)

ALICE = "uid=alice,ou=people,dc=tessera,dc=test"
FRANK = "uid=frank\\2Cjr,ou=people,dc=tessera,dc=test"  # as slapd returns it
FRANK_AS_WRITTEN = "uid=frank\\,jr,ou=people,dc=tessera,dc=test"  # as directory.ldif has it
READERS = "cn=readers,ou=groups,dc=tessera,dc=test"
WRITERS = "cn=writers,ou=groups,dc=tessera,dc=test"


@pytest.fixture
def own_slapd(tmp_path):
    """A directory of the test's own, for tests that restart, pause or change it."""
    server = Slapd(tmp_path / "slapd")
    server.start()
    yield server
    server.stop()


def groups_of(slapd, dn: str) -> set[str]:
    """Group DNs found with Tessera's group filter for a member DN (backslashes escaped as a
    filter value needs them)."""
    value = dn.replace("\\", "\\5c")
    return set(slapd.search_dns(GROUPS_DN, f"(&(objectclass=groupOfNames)(member={value}))"))


# ---------------------------------------------------------------------------------------------
# ACLs


def test_lookup_account_reads_people_but_never_passwords(slapd):
    [entry] = slapd.search(PEOPLE_DN, "(uid=alice)", ("mail", "cn", "userPassword"))
    assert entry["dn"] == [ALICE]
    assert entry["mail"] == ["alice@tessera.test"]
    assert entry["cn"] == ["Alice Example"]
    assert "userPassword" not in entry
    # Not even as a filter: with no access, a userPassword assertion matches nothing.
    assert slapd.search_dns(PEOPLE_DN, "(userPassword=*)") == []
    assert slapd.search_dns(PEOPLE_DN, "(userPassword=alice-secret)") == []
    everyone = slapd.search_dns(BASE_DN, "(objectClass=inetOrgPerson)")
    assert sorted(everyone) == sorted(dn for dns in USER_DNS.values() for dn in dns)


def test_anonymous_may_only_bind(slapd):
    with pytest.raises(LdapError) as e:
        slapd.search(PEOPLE_DN, "(uid=alice)", bind_dn=None)
    assert e.value.returncode == 50  # insufficient access


def test_a_user_reads_their_own_entry_only(slapd):
    [own] = slapd.search(USER_DNS["bob"][0], scope="base", bind_dn=USER_DNS["bob"][0],
                         password="bob-secret")
    assert own["mail"] == ["bob@tessera.test"]
    with pytest.raises(LdapError) as e:
        slapd.search(PEOPLE_DN, "(uid=alice)", bind_dn=USER_DNS["bob"][0],
                     password="bob-secret")
    assert e.value.returncode == 32  # ou=people is not disclosed to bob


def test_alice_binds_with_her_password_and_not_with_another(slapd):
    assert slapd.whoami(ALICE, "alice-secret") == f"dn:{ALICE}"
    for wrong in ("alice-secret ", "Alice-secret", "bob-secret"):
        with pytest.raises(LdapError) as e:
            slapd.whoami(ALICE, wrong)
        assert e.value.returncode == 49  # invalid credentials


def test_an_empty_password_is_an_unauthenticated_bind_that_succeeds_as_anonymous(slapd):
    # RFC 4513 5.1.2: a DN with an empty password is an anonymous bind; slapd.conf.in allows
    # it (bind_anon_dn). Whoever checks passwords with a bind must refuse empty ones first.
    assert slapd.whoami(ALICE, "") == "anonymous"


def test_every_account_binds_with_its_password(slapd):
    assert slapd.whoami(LOOKUP_DN, LOOKUP_PASSWORD) == f"dn:{LOOKUP_DN}"
    for uid, dns in USER_DNS.items():
        for dn in dns:
            assert slapd.whoami(dn, PASSWORDS[uid]) == f"dn:{dn}"


# ---------------------------------------------------------------------------------------------
# Filters and DNs


def test_an_escaped_filter_finds_one_entry_where_the_unescaped_one_finds_several(slapd):
    assert slapd.search_dns(PEOPLE_DN, "(uid=eve\\2a\\28x\\29)") == USER_DNS["eve*(x)"]
    assert sorted(slapd.search_dns(PEOPLE_DN, "(uid=eve*)")) == sorted(
        USER_DNS["eve"] + USER_DNS["evelyn"] + USER_DNS["eve*(x)"])
    with pytest.raises(LdapError) as e:
        slapd.search_dns(PEOPLE_DN, "(uid=eve*(x))")
    assert "Bad search filter" in e.value.stderr
    star = "uid=eve*(x),ou=people,dc=tessera,dc=test"  # no escaping needed in a DN
    assert slapd.whoami(star, "star-secret") == f"dn:{star}"


def test_a_comma_in_a_uid_comes_back_hex_escaped_in_the_dn(slapd):
    assert slapd.search_dns(PEOPLE_DN, "(uid=frank,jr)") == [FRANK]
    # Either escaping binds, and the bound identity is the normalised DN.
    assert slapd.whoami(FRANK_AS_WRITTEN, "frank-secret") == f"dn:{FRANK}"
    assert slapd.whoami(FRANK, "frank-secret") == f"dn:{FRANK}"
    # A member value is returned as it was written, not normalised ...
    [readers] = slapd.search(GROUPS_DN, "(cn=readers)", ("member",))
    assert FRANK_AS_WRITTEN in readers["member"]
    # ... but matches in either form (the filter escapes the DN's backslash as \5c).
    assert groups_of(slapd, FRANK) == {READERS}
    assert groups_of(slapd, FRANK_AS_WRITTEN) == {READERS}


def test_twin_is_found_once_in_each_user_base(slapd):
    found = [dn for base in USER_SEARCH_BASES for dn in slapd.search_dns(base, "(uid=twin)")]
    assert found == ["uid=twin,ou=people,dc=tessera,dc=test",
                     "uid=twin,ou=contractors,dc=tessera,dc=test"]
    assert slapd.search_dns(CONTRACTORS_DN, "(uid=dave)") == USER_DNS["dave"]
    assert slapd.search_dns(PEOPLE_DN, "(uid=dave)") == []


def test_group_search_with_tesseras_filter(slapd):
    assert groups_of(slapd, ALICE) == {READERS, WRITERS}
    assert groups_of(slapd, USER_DNS["bob"][0]) == {READERS}
    assert groups_of(slapd, USER_DNS["carol"][0]) == {"cn=nomap,ou=groups,dc=tessera,dc=test"}
    assert groups_of(slapd, USER_DNS["dave"][0]) == {
        "cn=contractors,ou=groups,dc=tessera,dc=test"}
    for dn in USER_DNS["twin"] + USER_DNS["eve"]:
        assert groups_of(slapd, dn) == set()


def test_group_members_and_member_of_agree_with_the_constants(slapd):
    for group, members in GROUP_MEMBERS.items():
        for dn in members:
            assert group in groups_of(slapd, dn)
    expected = {dn: {g for g, ms in GROUP_MEMBERS.items() if dn in ms}
                for dns in USER_DNS.values() for dn in dns}
    got = {e["dn"][0]: set(e.get("memberOf", []))
           for e in slapd.search(BASE_DN, "(objectClass=inetOrgPerson)", ("memberOf",))}
    assert got == expected


# ---------------------------------------------------------------------------------------------
# TLS


def test_ldaps_with_the_test_ca(slapd):
    assert slapd.whoami(ALICE, "alice-secret", mode="ldaps") == f"dn:{ALICE}"
    with pytest.raises(LdapError):  # the system's CAs do not know the test CA
        slapd.whoami(ALICE, "alice-secret", mode="ldaps",
                     ca_file="/etc/ssl/certs/ca-certificates.crt")


def test_starttls_on_the_plain_port(slapd):
    assert slapd.whoami(ALICE, "alice-secret", mode="starttls") == f"dn:{ALICE}"
    assert slapd.search_dns(PEOPLE_DN, "(uid=bob)", mode="starttls") == USER_DNS["bob"]


def test_the_certificate_names_the_loopback_address(slapd):
    out = subprocess.run([find_tool("openssl"), "x509", "-in", str(slapd.cert_file), "-noout",
                          "-ext", "subjectAltName"], capture_output=True, text=True, timeout=30)
    assert "IP Address:127.0.0.1" in out.stdout and "DNS:localhost" in out.stdout
    verify = subprocess.run([find_tool("openssl"), "verify", "-CAfile", str(slapd.ca_file),
                             str(slapd.cert_file)], capture_output=True, text=True, timeout=30)
    assert verify.returncode == 0, verify.stderr


def test_tessera_env_per_mode(slapd):
    plain = slapd.tessera_env()
    assert plain == {
        "MINIO_IDENTITY_LDAP_SERVER_ADDR": f"127.0.0.1:{slapd.ldap_port}",
        "MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN": "cn=lookup,ou=service,dc=tessera,dc=test",
        "MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD": "lookup-secret",
        "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN":
            "ou=people,dc=tessera,dc=test;ou=contractors,dc=tessera,dc=test",
        "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER": "(uid=%s)",
        "MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN": "ou=groups,dc=tessera,dc=test",
        "MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER": "(&(objectclass=groupOfNames)(member=%d))",
        "MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES": "mail",
        "MINIO_IDENTITY_LDAP_SERVER_INSECURE": "on",
    }
    common = {k: v for k, v in plain.items() if k != "MINIO_IDENTITY_LDAP_SERVER_INSECURE"}
    ca = {"TESSERA_IDENTITY_LDAP_CA_FILE": str(slapd.ca_file)}
    assert slapd.tessera_env("ldaps") == {
        **common, **ca, "MINIO_IDENTITY_LDAP_SERVER_ADDR": f"127.0.0.1:{slapd.ldaps_port}"}
    assert slapd.tessera_env("starttls") == {
        **common, **ca, "MINIO_IDENTITY_LDAP_SERVER_STARTTLS": "on"}
    with pytest.raises(ValueError):
        slapd.tessera_env("tls")


# ---------------------------------------------------------------------------------------------
# The harness: restart, pause, missing programs


def test_restart_keeps_ports_data_and_run_time_changes(own_slapd):
    ports, pid = (own_slapd.ldap_port, own_slapd.ldaps_port), own_slapd.pid
    own_slapd.modify(f"dn: {WRITERS}\nchangetype: modify\nadd: member\n"
                     f"member: {USER_DNS['bob'][0]}\n")
    # The memberof overlay keeps memberOf up to date at run time.
    [bob] = own_slapd.search(PEOPLE_DN, "(uid=bob)", ("memberOf",))
    assert set(bob["memberOf"]) == {READERS, WRITERS}
    own_slapd.restart()
    assert (own_slapd.ldap_port, own_slapd.ldaps_port) == ports
    assert own_slapd.pid != pid
    assert groups_of(own_slapd, USER_DNS["bob"][0]) == {READERS, WRITERS}
    assert own_slapd.whoami(ALICE, "alice-secret", mode="ldaps") == f"dn:{ALICE}"
    assert own_slapd.whoami(ALICE, "alice-secret", mode="starttls") == f"dn:{ALICE}"


def test_a_start_waits_for_its_port_to_be_free_again(own_slapd):
    own_slapd.stop()
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", own_slapd.ldap_port))
    holder.listen()
    release = threading.Timer(0.5, holder.close)
    release.start()
    try:
        started = time.monotonic()
        own_slapd.start()
        assert time.monotonic() - started >= 0.4
    finally:
        release.cancel()
        holder.close()
    assert own_slapd.whoami(ALICE, "alice-secret") == f"dn:{ALICE}"


def test_a_paused_directory_does_not_answer_until_resumed(own_slapd):
    own_slapd.pause()
    started = time.monotonic()
    with pytest.raises(LdapError) as e:
        own_slapd.search(PEOPLE_DN, "(uid=alice)", timeout=1.0)
    assert e.value.timed_out
    assert time.monotonic() - started < 5
    own_slapd.resume()
    assert own_slapd.search_dns(PEOPLE_DN, "(uid=alice)", timeout=5) == [ALICE]


def test_a_paused_directory_still_stops(own_slapd):
    proc = own_slapd._proc
    own_slapd.pause()
    started = time.monotonic()
    own_slapd.stop()
    assert proc.poll() is not None
    assert time.monotonic() - started < 5


def test_a_missing_program_names_scripts_test():
    with pytest.raises(SlapdError, match="scripts/test"):
        find_tool("slapd-not-installed-here")
