"""Authentication (both signatures, nonce, timestamps, keys) and authorization by policies."""

from __future__ import annotations

import json
import time

import pytest

from conftest import api_error, ram


@pytest.mark.parametrize("v2", [False, True])
def test_both_signature_versions_work_for_ram_and_sts(emu, v2):
    c = emu.ram(v2=v2)
    c.create_user(ram.CreateUserRequest(user_name="sig", comments="a/b c*~+", display_name="Alice Smith*~"))
    assert c.get_user(ram.GetUserRequest(user_name="sig")).body.user.comments == "a/b c*~+"
    assert emu.sts(v2=v2).get_caller_identity().body.identity_type == "Account"


@pytest.mark.parametrize("v2,code", [(False, "IncompleteSignature"), (True, "SignatureDoesNotMatch")])
def test_wrong_secret(emu, v2, code):
    key_id = emu.key("root")[0]
    assert api_error(lambda: emu.sts(key_id, "wrong-secret", v2=v2).get_caller_identity()) == (code, 400)


@pytest.mark.parametrize("v2", [False, True])
def test_unknown_key(emu, v2):
    assert api_error(lambda: emu.ram("LTAI" + "x" * 20, "s", v2=v2).list_users(ram.ListUsersRequest())) == \
        ("InvalidAccessKeyId.NotFound", 404)


def test_inactive_key(emu):
    key_id, secret = emu.user_with_key("inact", "AdministratorAccess")
    emu.ram().update_access_key(ram.UpdateAccessKeyRequest(user_name="inact", user_access_key_id=key_id,
                                                           status="Inactive"))
    assert api_error(lambda: emu.sts(key_id, secret).get_caller_identity()) == ("InvalidAccessKeyId.Inactive", 400)


def test_nonce_replay_rejected(emu):
    key_id, secret = emu.key("root")
    assert emu.raw_v3("GetUser", {"UserName": "ram-admin"}, key_id, secret, nonce="n-1")[0] == 200
    status, body = emu.raw_v3("GetUser", {"UserName": "ram-admin"}, key_id, secret, nonce="n-1")
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}


def test_timestamp_window(emu):
    key_id, secret = emu.key("root")
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    assert emu.raw_v3("ListUsers", {}, key_id, secret, date=old)[1]["Code"] == "InvalidTimeStamp.Expired"
    assert emu.raw_v3("ListUsers", {}, key_id, secret, date="yesterday")[1]["Code"] == "InvalidTimeStamp.Format"
    recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 10 * 60))
    assert emu.raw_v3("ListUsers", {}, key_id, secret, date=recent)[0] == 200


def test_tampered_body_hash_and_query(emu):
    key_id, secret = emu.key("root")

    def bad_hash(headers):
        headers["x-acs-content-sha256"] = "0" * 64
    assert emu.raw_v3("ListUsers", {}, key_id, secret, tamper=bad_hash)[1]["Code"] == "IncompleteSignature"

    def other_action(headers):
        headers["x-acs-action"] = "DeleteUser"
    assert emu.raw_v3("ListUsers", {}, key_id, secret, tamper=other_action)[1]["Code"] == "IncompleteSignature"


def test_unsigned_and_malformed_authorization(emu):
    status, body = emu.raw("POST", "/?UserName=x", {"x-acs-action": "GetUser", "x-acs-version": "2015-05-01"})
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    status, body = emu.raw("POST", "/", {"x-acs-action": "GetUser", "x-acs-version": "2015-05-01",
                                         "Authorization": "ACS3-HMAC-SHA256 nonsense"})
    assert (status, body["Code"]) == (400, "IncompleteSignature")


def test_unknown_action_and_version(emu):
    key_id, secret = emu.key("root")
    status, body = emu.raw_v3("NoSuchThing", {}, key_id, secret)
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    assert body["Message"] == "Specified api is not found, please check your url and method."
    status, body = emu.raw_v3("GetUser", {}, key_id, secret, version="2099-01-01")
    assert (status, body["Code"]) == (400, "InvalidVersion")
    status, body = emu.raw_v3("CreateUser", {"UserName": "x"}, key_id, secret, version="2015-04-01")
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")


@pytest.mark.parametrize("policy,allowed,denied", [
    ("AdministratorAccess", ["CreateUser", "ListUsers"], []),
    ("AliyunRAMFullAccess", ["CreateUser", "ListUsers"], []),
    ("AliyunRAMReadOnlyAccess", ["ListUsers"], ["CreateUser"]),
    ("ReadOnlyAccess", ["ListUsers"], ["CreateUser"]),
    ("AliyunOSSFullAccess", [], ["CreateUser", "ListUsers"]),
    (None, [], ["CreateUser", "ListUsers"]),
])
def test_authorization_by_system_policy(emu, policy, allowed, denied):
    key_id, secret = emu.user_with_key("caller", *([policy] if policy else []))
    c = emu.ram(key_id, secret)
    calls = {"CreateUser": lambda: c.create_user(ram.CreateUserRequest(user_name="made")),
             "ListUsers": lambda: c.list_users(ram.ListUsersRequest())}
    for name in allowed:
        calls[name]()
    for name in denied:
        assert api_error(calls[name]) == ("NoPermission", 403)
    assert emu.sts(key_id, secret).get_caller_identity().body.identity_type == "RAMUser"


def test_authorization_via_group_and_custom_policy_with_deny(emu):
    root = emu.ram()
    key_id, secret = emu.user_with_key("grouped")
    c = emu.ram(key_id, secret)
    assert api_error(lambda: c.list_users(ram.ListUsersRequest())) == ("NoPermission", 403)
    root.create_group(ram.CreateGroupRequest(group_name="readers"))
    root.attach_policy_to_group(ram.AttachPolicyToGroupRequest(group_name="readers", policy_type="System",
                                                               policy_name="AliyunRAMFullAccess"))
    root.add_user_to_group(ram.AddUserToGroupRequest(group_name="readers", user_name="grouped"))
    c.list_users(ram.ListUsersRequest())
    deny = json.dumps({"Version": "1", "Statement": [{"Effect": "Deny", "Action": ["ram:Create*"],
                                                      "Resource": "*"}]})
    root.create_policy(ram.CreatePolicyRequest(policy_name="no-create", policy_document=deny))
    root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="no-create",
                                                             user_name="grouped"))
    assert api_error(lambda: c.create_user(ram.CreateUserRequest(user_name="x"))) == ("NoPermission", 403)
    c.list_users(ram.ListUsersRequest())


def test_admin_seed_identity(emu):
    key_id, secret = emu.key("admin")
    identity = emu.sts(key_id, secret).get_caller_identity().body
    assert identity.identity_type == "RAMUser" and identity.arn.endswith(":user/ram-admin")
    emu.ram(key_id, secret).create_user(ram.CreateUserRequest(user_name="by-admin"))
