"""Custom policies whose Resource names RAM users and KMS secrets: least privilege, Deny wins, wildcards, several
resources per call, conditions, sessions. Through the official RAM, STS and KMS SDKs."""

from __future__ import annotations

import json

import pytest
from Tea.exceptions import TeaException

from conftest import api_error, ram, sts
from kms_support import document, kms, kms_client, policy_user


def account(emu):
    return emu.server.store.state["account_id"]


def refusal(call):
    """(code, status, AccessDeniedDetail) of a call that must be refused."""
    with pytest.raises(TeaException) as info:
        call()
    data = info.value.data
    return info.value.code, data.get("statusCode"), data.get("AccessDeniedDetail")


def least_privilege(emu, user="operator"):
    """The operator of app-* users and aliyun-ram/* secrets. CreateUser/ListUsers act on user/*, CreateSecret and
    ListSecrets on the secret container (RAM's and KMS's authorization tables), so they get statements of their own;
    the user ARNs use RAM's own empty region, the secret ARNs a wildcard region."""
    acct = account(emu)
    return policy_user(
        emu, user, "least-privilege",
        {"Effect": "Allow", "Action": ["ram:CreateUser", "ram:ListUsers"], "Resource": f"acs:ram:*:{acct}:user/*"},
        {"Effect": "Allow", "Action": ["ram:*User*", "ram:*AccessKey*"], "Resource": [f"acs:ram::{acct}:user/app-*"]},
        {"Effect": "Allow", "Action": ["kms:CreateSecret", "kms:ListSecrets"], "Resource": f"acs:kms:*:{acct}:secret"},
        {"Effect": "Allow", "Action": "kms:*Secret*", "Resource": f"acs:kms:*:{acct}:secret/aliyun-ram/*"})


def secret(client, name, data="value-0123456789"):
    return client.create_secret(kms.CreateSecretRequest(secret_name=name, secret_data=data, version_id="v1")).body


def get_secret(client, name):
    return client.get_secret_value(kms.GetSecretValueRequest(secret_name=name)).body


# -- least privilege: RAM users -----------------------------------------------------------------------------------------

def test_least_privilege_user_prefix(emu):
    root = emu.ram()
    root.create_user(ram.CreateUserRequest(user_name="other"))
    c = emu.ram(*least_privilege(emu))
    c.create_user(ram.CreateUserRequest(user_name="app-1"))
    assert c.get_user(ram.GetUserRequest(user_name="app-1")).body.user.user_name == "app-1"
    c.update_user(ram.UpdateUserRequest(user_name="app-1", new_comments="managed"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="app-1")).body.access_key
    assert [k.access_key_id for k in c.list_access_keys(ram.ListAccessKeysRequest(user_name="app-1"))
            .body.access_keys.access_key] == [key.access_key_id]
    c.update_access_key(ram.UpdateAccessKeyRequest(user_name="app-1", user_access_key_id=key.access_key_id,
                                                   status="Inactive"))
    c.get_access_key_last_used(ram.GetAccessKeyLastUsedRequest(user_name="app-1",
                                                               user_access_key_id=key.access_key_id))
    c.list_groups_for_user(ram.ListGroupsForUserRequest(user_name="app-1"))
    assert "other" in [u.user_name for u in c.list_users(ram.ListUsersRequest()).body.users.user]

    code, status, detail = refusal(lambda: c.get_user(ram.GetUserRequest(user_name="other")))
    assert (code, status) == ("NoPermission", 403)
    assert detail["AuthAction"] == "ram:GetUser" and detail["NoPermissionType"] == "ImplicitDeny"
    assert (detail["AuthPrincipalType"], detail["AuthPrincipalDisplayName"], detail["AuthPrincipalOwnerId"]) == \
        ("SubUser", "operator", account(emu))
    for call in (lambda: c.create_access_key(ram.CreateAccessKeyRequest(user_name="other")),
                 lambda: c.list_access_keys(ram.ListAccessKeysRequest(user_name="other")),
                 lambda: c.update_user(ram.UpdateUserRequest(user_name="other", new_comments="x")),
                 lambda: c.delete_user(ram.DeleteUserRequest(user_name="other")),
                 lambda: c.list_access_keys(ram.ListAccessKeysRequest()),       # the caller itself: user/operator
                 lambda: c.list_groups(ram.ListGroupsRequest())):
        assert api_error(call) == ("NoPermission", 403)
    c.delete_access_key(ram.DeleteAccessKeyRequest(user_name="app-1", user_access_key_id=key.access_key_id))
    c.delete_user(ram.DeleteUserRequest(user_name="app-1"))
    assert "other" in emu.server.store.state["users"] and "app-1" not in emu.server.store.state["users"]


def test_create_user_acts_on_all_users(emu):
    """RAM's table: ram:CreateUser acts on user/*, so a statement for user/app-* alone does not allow it."""
    c = emu.ram(*policy_user(emu, "prefix-only", "prefix-only",
                             {"Effect": "Allow", "Action": "ram:*", "Resource": f"acs:ram:*:{account(emu)}:user/app-*"}))
    code, status, detail = refusal(lambda: c.create_user(ram.CreateUserRequest(user_name="app-2")))
    assert (code, status, detail["AuthAction"]) == ("NoPermission", 403, "ram:CreateUser")
    assert api_error(lambda: c.list_users(ram.ListUsersRequest())) == ("NoPermission", 403)
    emu.ram().create_user(ram.CreateUserRequest(user_name="app-2"))
    assert c.get_user(ram.GetUserRequest(user_name="app-2")).body.user.user_name == "app-2"


# -- least privilege: KMS secrets -------------------------------------------------------------------------------------

def test_least_privilege_secret_prefix(emu):
    admin = kms_client(emu)
    secret(admin, "other/db")
    secret(admin, "aliyun-ram/preexisting")
    c = kms_client(emu, *least_privilege(emu))
    secret(c, "aliyun-ram/app-1")
    assert get_secret(c, "aliyun-ram/app-1").secret_data == "value-0123456789"
    c.put_secret_value(kms.PutSecretValueRequest(secret_name="aliyun-ram/app-1", version_id="v2", secret_data="v2"))
    c.describe_secret(kms.DescribeSecretRequest(secret_name="aliyun-ram/preexisting"))
    c.update_secret(kms.UpdateSecretRequest(secret_name="aliyun-ram/app-1", description="rotated"))
    c.list_secret_version_ids(kms.ListSecretVersionIdsRequest(secret_name="aliyun-ram/app-1"))
    assert c.list_secrets(kms.ListSecretsRequest()).body.total_count == 3
    c.delete_secret(kms.DeleteSecretRequest(secret_name="aliyun-ram/app-1"))
    c.restore_secret(kms.RestoreSecretRequest(secret_name="aliyun-ram/app-1"))

    code, status, detail = refusal(lambda: get_secret(c, "other/db"))
    assert (code, status) == ("Forbidden.NoPermission", 403)
    assert detail["AuthAction"] == "kms:GetSecretValue" and detail["NoPermissionType"] == "ImplicitDeny"
    for call in (lambda: c.put_secret_value(kms.PutSecretValueRequest(secret_name="other/db", version_id="v2",
                                                                      secret_data="x")),
                 lambda: c.describe_secret(kms.DescribeSecretRequest(secret_name="other/db")),
                 lambda: c.delete_secret(kms.DeleteSecretRequest(secret_name="other/db")),
                 lambda: get_secret(c, "aliyun-ramX/db"),             # the prefix ends with the slash
                 lambda: get_secret(c, f"acs:kms:cn-hangzhou:{account(emu)}:secret/other/db")):
        assert api_error(call) == ("Forbidden.NoPermission", 403)
    assert get_secret(admin, "other/db").secret_data == "value-0123456789"


def test_create_and_list_secrets_act_on_the_secret_container(emu):
    """KMS's table: CreateSecret and ListSecrets act on acs:kms:<region>:<account>:secret, which secret/* does not
    match; the other secret actions act on the secret."""
    acct = account(emu)
    c = kms_client(emu, *policy_user(emu, "reader", "reader", {"Effect": "Allow", "Action": "kms:*",
                                                               "Resource": f"acs:kms:*:{acct}:secret/*"}))
    secret(kms_client(emu), "shared")
    assert get_secret(c, "shared").secret_name == "shared"
    for call, action in ((lambda: secret(c, "aliyun-ram/new"), "kms:CreateSecret"),
                         (lambda: c.list_secrets(kms.ListSecretsRequest()), "kms:ListSecrets")):
        code, status, detail = refusal(call)
        assert (code, status, detail["AuthAction"]) == ("Forbidden.NoPermission", 403, action)


def test_region_in_the_secret_arn(emu):
    acct = account(emu)
    key = policy_user(emu, "regional", "regional", {"Effect": "Allow", "Action": "kms:GetSecretValue",
                                                    "Resource": f"acs:kms:cn-shanghai:{acct}:secret/*"})
    secret(kms_client(emu), "anywhere")
    assert get_secret(kms_client(emu, *key, v4=True, region="cn-shanghai"), "anywhere").secret_name == "anywhere"
    assert api_error(lambda: get_secret(kms_client(emu, *key, v4=True, region="cn-beijing"), "anywhere")) == \
        ("Forbidden.NoPermission", 403)
    assert api_error(lambda: get_secret(kms_client(emu, *key), "anywhere")) == ("Forbidden.NoPermission", 403)


# -- Deny, wildcards, case --------------------------------------------------------------------------------------------

def test_explicit_deny_wins(emu):
    acct = account(emu)
    key_id, key_secret = least_privilege(emu)
    root = emu.ram()
    root.create_policy(ram.CreatePolicyRequest(policy_name="no-prod", policy_document=document(
        {"Effect": "Deny", "Action": ["kms:GetSecretValue", "ram:CreateAccessKey"],
         "Resource": [f"acs:kms:*:{acct}:secret/aliyun-ram/prod-*", f"acs:ram:*:{acct}:user/app-prod*"]})))
    root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="no-prod",
                                                             user_name="operator"))
    root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AdministratorAccess",
                                                             user_name="operator"))
    admin = kms_client(emu)
    secret(admin, "aliyun-ram/prod-db")
    secret(admin, "aliyun-ram/dev-db")
    c = kms_client(emu, key_id, key_secret)
    code, status, detail = refusal(lambda: get_secret(c, "aliyun-ram/prod-db"))
    assert (code, status, detail["NoPermissionType"]) == ("Forbidden.NoPermission", 403, "ExplicitDeny")
    assert get_secret(c, "aliyun-ram/dev-db").secret_name == "aliyun-ram/dev-db"
    secret(admin, "outside/db")
    assert get_secret(c, "outside/db").secret_name == "outside/db"          # AdministratorAccess allows the rest
    r = emu.ram(key_id, key_secret)
    r.create_user(ram.CreateUserRequest(user_name="app-prod-1"))
    code, status, detail = refusal(lambda: r.create_access_key(ram.CreateAccessKeyRequest(user_name="app-prod-1")))
    assert (code, detail["NoPermissionType"], detail["AuthAction"]) == ("NoPermission", "ExplicitDeny",
                                                                        "ram:CreateAccessKey")
    r.create_user(ram.CreateUserRequest(user_name="app-dev-1"))
    r.create_access_key(ram.CreateAccessKeyRequest(user_name="app-dev-1"))
    r.create_group(ram.CreateGroupRequest(group_name="allowed-by-admin-access"))


def test_wildcards_lists_and_case(emu):
    acct = account(emu)
    c = emu.ram(*policy_user(emu, "wild", "wild",
                             {"Effect": "Allow", "Action": "RAM:get?ser",
                              "Resource": f"acs:ram:*:{acct}:user/app-?"},
                             {"Effect": "Allow", "Action": ["ram:List*"],
                              "Resource": [f"acs:ram:*:{acct}:user/APP-*", f"acs:ram:*:{acct}:user/ops-*"]}))
    root = emu.ram()
    for name in ("app-1", "app-10", "ops-1"):
        root.create_user(ram.CreateUserRequest(user_name=name))
    assert c.get_user(ram.GetUserRequest(user_name="app-1")).body.user.user_name == "app-1"      # ? is one character
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="app-10"))) == ("NoPermission", 403)
    c.list_access_keys(ram.ListAccessKeysRequest(user_name="ops-1"))
    # Actions match in any case, resources only in theirs: APP-* does not name app-1.
    assert api_error(lambda: c.list_access_keys(ram.ListAccessKeysRequest(user_name="app-1"))) == ("NoPermission", 403)
    assert api_error(lambda: c.update_user(ram.UpdateUserRequest(user_name="app-1", new_comments="x"))) == \
        ("NoPermission", 403)


def test_resource_wildcard_forms(emu):
    acct = account(emu)
    secret(kms_client(emu), "team/a/db")
    for index, resource in enumerate(("*", "acs:kms:*", f"acs:kms:*:{acct}:secret/team/*", "acs:kms:*:*:secret/*/a/db",
                                      "acs:*:*:*:secret/team/?/db")):
        c = kms_client(emu, *policy_user(emu, f"w{index}", f"w{index}", {"Effect": "Allow", "Action": "kms:Get*",
                                                                         "Resource": resource}))
        assert get_secret(c, "team/a/db").secret_name == "team/a/db", resource
    for index, resource in enumerate(("acs:ram:*:*:*", f"acs:kms:*:{acct}:secret/team", "acs:kms:*:999:secret/*",
                                      f"acs:kms:*:{acct}:secret/team/?")):
        c = kms_client(emu, *policy_user(emu, f"n{index}", f"n{index}", {"Effect": "Allow", "Action": "kms:Get*",
                                                                         "Resource": resource}))
        assert api_error(lambda: get_secret(c, "team/a/db")) == ("Forbidden.NoPermission", 403), resource


# -- several resources, conditions, sessions, no permission needed ---------------------------------------------------

def test_calls_on_two_entities_need_both(emu):
    acct = account(emu)
    root = emu.ram()
    root.create_user(ram.CreateUserRequest(user_name="app-1"))
    root.create_group(ram.CreateGroupRequest(group_name="apps"))
    user_only = {"Effect": "Allow", "Action": ["ram:AddUserToGroup", "ram:AttachPolicyToUser"],
                 "Resource": f"acs:ram:*:{acct}:user/app-*"}
    c = emu.ram(*policy_user(emu, "grouper", "grouper", user_only))
    assert api_error(lambda: c.add_user_to_group(ram.AddUserToGroupRequest(user_name="app-1", group_name="apps"))) == \
        ("NoPermission", 403)
    root.create_policy(ram.CreatePolicyRequest(policy_name="apps-group", policy_document=document(
        {"Effect": "Allow", "Action": "ram:AddUserToGroup", "Resource": f"acs:ram:*:{acct}:group/apps"},
        {"Effect": "Allow", "Action": "ram:AttachPolicyToUser", "Resource": "acs:ram:*:system:policy/AliyunOSS*"})))
    root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="apps-group",
                                                             user_name="grouper"))
    c.add_user_to_group(ram.AddUserToGroupRequest(user_name="app-1", group_name="apps"))
    c.attach_policy_to_user(ram.AttachPolicyToUserRequest(user_name="app-1", policy_type="System",
                                                          policy_name="AliyunOSSReadOnlyAccess"))
    code, status, detail = refusal(lambda: c.attach_policy_to_user(ram.AttachPolicyToUserRequest(
        user_name="app-1", policy_type="System", policy_name="AdministratorAccess")))
    assert (code, detail["AuthAction"]) == ("NoPermission", "ram:AttachPolicyToUser")
    assert set(emu.server.store.state["users"]["app-1"]["policies"]) == {"System:AliyunOSSReadOnlyAccess"}


def test_conditions_take_the_strict_side(emu):
    """Conditions are not evaluated: an Allow with one grants nothing, a Deny with one always applies."""
    conditional = {"Bool": {"acs:MFAPresent": "true"}}
    secret(kms_client(emu), "guarded")
    allow_if = kms_client(emu, *policy_user(emu, "allow-if", "allow-if", {
        "Effect": "Allow", "Action": "kms:*", "Resource": "*", "Condition": conditional}))
    assert api_error(lambda: get_secret(allow_if, "guarded")) == ("Forbidden.NoPermission", 403)
    deny_if = kms_client(emu, *policy_user(emu, "deny-if", "deny-if",
                                           {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                                           {"Effect": "Deny", "Action": "kms:GetSecretValue", "Resource": "*",
                                            "Condition": conditional}))
    code, _status, detail = refusal(lambda: get_secret(deny_if, "guarded"))
    assert (code, detail["NoPermissionType"]) == ("Forbidden.NoPermission", "ExplicitDeny")
    assert deny_if.describe_secret(kms.DescribeSecretRequest(secret_name="guarded")).body.secret_name == "guarded"


def assume(emu, key, role_name, policy=None):
    creds = emu.sts(*key).assume_role(sts.AssumeRoleRequest(
        role_arn=f"acs:ram::{account(emu)}:role/{role_name}", role_session_name="s1", policy=policy)).body.credentials
    return creds.access_key_id, creds.access_key_secret, creds.security_token


def test_roles_and_session_policies(emu):
    acct = account(emu)
    root = emu.ram()
    trust = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                       "Principal": {"RAM": [f"acs:ram::{acct}:root"]}}]})
    for role in ("app-role", "admin-role"):
        root.create_role(ram.CreateRoleRequest(role_name=role, assume_role_policy_document=trust))
        root.attach_policy_to_role(ram.AttachPolicyToRoleRequest(role_name=role, policy_type="System",
                                                                 policy_name="AliyunKMSFullAccess"))
    key = policy_user(emu, "assumer", "assumer", {"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Resource": f"acs:ram::{acct}:role/app-*"})
    admin = kms_client(emu)
    secret(admin, "aliyun-ram/a")
    secret(admin, "elsewhere")
    session = assume(emu, key, "app-role")
    assert get_secret(kms_client(emu, *session), "elsewhere").secret_name == "elsewhere"
    assert api_error(lambda: assume(emu, key, "admin-role")) == ("NoPermission", 403)
    narrowed = assume(emu, key, "app-role", policy=document(
        {"Effect": "Allow", "Action": "kms:GetSecretValue", "Resource": "acs:kms:*:*:secret/aliyun-ram/*"}))
    c = kms_client(emu, *narrowed)
    assert get_secret(c, "aliyun-ram/a").secret_name == "aliyun-ram/a"
    code, _status, detail = refusal(lambda: get_secret(c, "elsewhere"))
    assert (code, detail["PolicyType"], detail["AuthPrincipalType"]) == \
        ("Forbidden.NoPermission", "SessionPolicy", "AssumedRoleUser")


def test_get_caller_identity_needs_no_permission(emu):
    acct = account(emu)
    key = policy_user(emu, "denied-all", "denied-all", {"Effect": "Deny", "Action": "*", "Resource": "*"})
    identity = emu.sts(*key).get_caller_identity().body
    assert (identity.identity_type, identity.arn) == ("RAMUser", f"acs:ram::{acct}:user/denied-all")
    assert api_error(lambda: emu.ram(*key).get_user(ram.GetUserRequest(user_name="denied-all"))) == \
        ("NoPermission", 403)
