"""Where real RAM is strict: policy name case, today's limits, STS policy checks, GetCallerIdentity fields, throttling
codes, bare InvalidAccessKeyId, and the last-use lag."""

from __future__ import annotations

import json

import pytest

from conftest import api_error, ram, sts
from ram_emulator import validation as v
from test_sts import trust


@pytest.fixture
def role(emu):
    c = emu.ram()
    created = c.create_role(ram.CreateRoleRequest(role_name="Deployer", assume_role_policy_document=trust(emu))).body.role
    c.attach_policy_to_role(ram.AttachPolicyToRoleRequest(role_name="Deployer", policy_type="System",
                                                          policy_name="AliyunRAMReadOnlyAccess"))
    return created


# -- system policy names are case-insensitive ------------------------------------------------------------------------

def test_system_policy_names_match_case_insensitively(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="case"))
    c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AliyunOssFullAccess",
                                                          user_name="case"))
    listed = c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="case")).body.policies.policy
    assert [p.policy_name for p in listed] == ["AliyunOSSFullAccess"]
    assert api_error(lambda: c.attach_policy_to_user(ram.AttachPolicyToUserRequest(
        policy_type="System", policy_name="aliyunossfullaccess", user_name="case"))) == \
        ("EntityAlreadyExists.User.Policy", 409)
    got = c.get_policy(ram.GetPolicyRequest(policy_type="System", policy_name="ALIYUNOSSFULLACCESS")).body.policy
    assert got.policy_name == "AliyunOSSFullAccess" and got.attachment_count == 1
    c.detach_policy_from_user(ram.DetachPolicyFromUserRequest(policy_type="System", policy_name="aliyunOSSfullaccess",
                                                              user_name="case"))
    assert c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="case")).body.policies.policy == []
    assert api_error(lambda: c.detach_policy_from_user(ram.DetachPolicyFromUserRequest(
        policy_type="System", policy_name="AliyunOssFullAccess", user_name="case"))) == \
        ("EntityNotExist.User.Policy", 404)
    # The canonical name authorizes as usual.
    c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="System", policy_name="aliyunramreadonlyaccess",
                                                          user_name="case"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="case")).body.access_key
    assert emu.ram(key.access_key_id, key.access_key_secret).list_users(ram.ListUsersRequest()).body.users.user


def test_custom_policy_may_not_shadow_a_system_name(emu):
    c = emu.ram()
    document = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]})
    assert api_error(lambda: c.create_policy(ram.CreatePolicyRequest(
        policy_name="administratoraccess", policy_document=document))) == ("EntityAlreadyExists.Policy", 409)
    c.create_policy(ram.CreatePolicyRequest(policy_name="Mine", policy_document=document))
    assert api_error(lambda: c.get_policy(ram.GetPolicyRequest(policy_type="Custom", policy_name="mine"))) == \
        ("EntityNotExist.Policy", 404)


def test_group_and_role_attachments_use_the_canonical_name(emu, role):
    c = emu.ram()
    c.create_group(ram.CreateGroupRequest(group_name="cg"))
    c.attach_policy_to_group(ram.AttachPolicyToGroupRequest(policy_type="System", policy_name="readonlyaccess",
                                                            group_name="cg"))
    assert [p.policy_name for p in c.list_policies_for_group(
        ram.ListPoliciesForGroupRequest(group_name="cg")).body.policies.policy] == ["ReadOnlyAccess"]
    assert api_error(lambda: c.attach_policy_to_role(ram.AttachPolicyToRoleRequest(
        policy_type="System", policy_name="aliyunramreadonlyaccess", role_name="Deployer"))) == \
        ("EntityAlreadyExists.Role.Policy", 409)


# -- limits and validation -----------------------------------------------------------------------------------------

def test_limits_are_todays():
    assert (v.MAX_USERS, v.MAX_GROUPS_PER_USER, v.MAX_GROUPS, v.MAX_KEYS_PER_PRINCIPAL, v.MAX_MFA_DEVICES) == \
        (5000, 10, 300, 2, 5000)


def test_300_groups_per_account(emu, server, monkeypatch):
    monkeypatch.setattr(server.store, "verify_touches", False)     # 300 full-state copies would dominate the run
    c = emu.ram()
    for i in range(300):
        c.create_group(ram.CreateGroupRequest(group_name=f"grp-{i}"))
    assert api_error(lambda: c.create_group(ram.CreateGroupRequest(group_name="grp-300"))) == \
        ("LimitExceeded.Group", 409)


def test_user_limit(emu, monkeypatch):
    monkeypatch.setattr("ram_emulator.validation.MAX_USERS", 3)
    c = emu.ram()                       # ram-admin is one of them
    c.create_user(ram.CreateUserRequest(user_name="u1"))
    c.create_user(ram.CreateUserRequest(user_name="u2"))
    assert api_error(lambda: c.create_user(ram.CreateUserRequest(user_name="u3"))) == ("LimitExceeded.User", 409)


@pytest.mark.parametrize("value, code", [
    ("d" * 128, None), ("张强 Zhang-Qiang@dev.", None), ("d" * 129, "InvalidParameter.DisplayName.Length"),
    ("tab\tname", "InvalidParameter.DisplayName.InvalidChars"),
])
def test_display_name(emu, value, code):
    c = emu.ram()

    def call():
        return c.create_user(ram.CreateUserRequest(user_name="dn", display_name=value))

    if code is None:
        assert call().body.user.display_name == value
    else:
        assert api_error(call) == (code, 400)


def test_new_display_name_may_not_be_empty(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="dn2"))
    assert api_error(lambda: c.update_user(ram.UpdateUserRequest(user_name="dn2", new_display_name=""))) == \
        ("InvalidParameter.NewDisplayName.Length", 400)


# -- STS ------------------------------------------------------------------------------------------------------------

def assumer(emu):
    key_id, secret = emu.user_with_key("assumer", "AliyunSTSAssumeRoleAccess")
    return emu.sts(key_id, secret)


def session_policy(size=None):
    document = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:Get*", "Resource": "*"}]}
    text = json.dumps(document)
    if size is not None:
        document["Statement"][0]["Resource"] = "*" + " " * (size - len(text))   # JSON-neutral padding
        text = json.dumps(document)
        assert len(text.encode()) == size
    return text


def test_assume_role_session_policy_size_and_grammar(emu, role):
    client = assumer(emu)

    def assume(policy):
        return client.assume_role(sts.AssumeRoleRequest(role_arn=role.arn, role_session_name="s1", policy=policy))

    assert assume(session_policy(2048)).body.credentials.access_key_id.startswith("STS.")
    assert api_error(lambda: assume(session_policy(2049))) == ("InvalidParameter.PolicySize", 400)
    assert api_error(lambda: assume('{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*",}]}')) == \
        ("InvalidParameter.PolicyGrammar", 400)
    assert api_error(lambda: assume('{"Version": "1", "Statement": [{"Effect": "Maybe", "Action": "*"}]}')) == \
        ("InvalidParameter.PolicyGrammar", 400)


def test_caller_identity_of_an_assumed_role_has_role_id_not_user_id(emu, role):
    creds = assumer(emu).assume_role(sts.AssumeRoleRequest(role_arn=role.arn, role_session_name="who")).body.credentials
    identity = emu.sts(creds.access_key_id, creds.access_key_secret, creds.security_token).get_caller_identity().body
    assert identity.identity_type == "AssumedRoleUser"
    assert identity.role_id == role.role_id and identity.user_id is None
    assert identity.principal_id == f"{role.role_id}:who"
    user = emu.sts(*emu.key("admin")).get_caller_identity().body
    assert user.user_id and user.role_id is None


def test_user_arn_lowercase_mode(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="MixedCase"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="MixedCase")).body.access_key
    caller = emu.sts(key.access_key_id, key.access_key_secret)
    assert caller.get_caller_identity().body.arn.endswith(":user/MixedCase")
    emu.admin("POST", "modes", {"user_arn_lowercase": True})
    identity = caller.get_caller_identity().body
    assert identity.arn.endswith(":user/mixedcase")
    assert identity.user_id == c.get_user(ram.GetUserRequest(user_name="MixedCase")).body.user.user_id


# -- throttling codes and key errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["Throttling", "Throttling.User", "Throttling.Api", "Rejected.Throttling"])
def test_throttling_code_is_selectable(emu, code):
    assert emu.admin("POST", "faults", {"throttle_rate": 1.0, "throttle_code": code})[0] == 200
    assert api_error(lambda: emu.ram().list_users(ram.ListUsersRequest())) == (code, 400)
    emu.admin("POST", "faults", {"throttle_rate": 0.0, "qps_limit": 1})
    c = emu.ram()
    c.list_users(ram.ListUsersRequest())
    assert api_error(lambda: c.list_users(ram.ListUsersRequest()))[0] == code


def test_bad_throttling_code_is_refused(emu):
    assert emu.admin("POST", "faults", {"throttle_code": "Throttling.Whatever"})[0] == 400


def test_bare_invalid_access_key_id_mode(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="bare"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="bare")).body.access_key
    c.update_access_key(ram.UpdateAccessKeyRequest(user_name="bare", user_access_key_id=key.access_key_id,
                                                   status="Inactive"))
    emu.admin("POST", "modes", {"access_key_error": "bare"})
    assert api_error(lambda: emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity()) == \
        ("InvalidAccessKeyId", 404)
    assert api_error(lambda: emu.sts("LTAInotakey000000000000", "x").get_caller_identity()) == \
        ("InvalidAccessKeyId", 404)
    emu.admin("POST", "modes", {"access_key_error": "specific"})
    assert api_error(lambda: emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity()) == \
        ("InvalidAccessKeyId.Inactive", 400)


# -- last use lags --------------------------------------------------------------------------------------------------

def last_used(c, user, key_id):
    return c.get_access_key_last_used(ram.GetAccessKeyLastUsedRequest(
        user_name=user, user_access_key_id=key_id)).body.access_key_last_used.last_used_date


def test_last_use_is_reported_after_the_lag(emu, server):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="lu"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="lu")).body.access_key
    emu.admin("POST", "modes", {"last_used_lag": 7200})
    emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity()
    used_at = server.store.now_str()
    assert last_used(c, "lu", key.access_key_id) is None
    emu.admin("POST", "clock", {"offset_seconds": 3600})
    emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity()      # a second, later use
    second_at = server.store.now_str()
    assert last_used(c, "lu", key.access_key_id) is None
    emu.admin("POST", "clock", {"offset_seconds": 7200})
    assert last_used(c, "lu", key.access_key_id) == used_at                     # the first use shows, not yet the second
    emu.admin("POST", "clock", {"offset_seconds": 3600 + 7200})
    assert last_used(c, "lu", key.access_key_id) == second_at != used_at
    emu.admin("POST", "modes", {"last_used_lag": 0})
    assert last_used(c, "lu", key.access_key_id) == server.store.state["access_keys"][key.access_key_id]["last_used"]


def test_last_use_without_lag_is_immediate(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="lu0"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="lu0")).body.access_key
    assert last_used(c, "lu0", key.access_key_id) is None
    emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity()
    assert last_used(c, "lu0", key.access_key_id)
