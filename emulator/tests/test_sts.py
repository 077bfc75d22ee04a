"""Roles, AssumeRole sessions and their tokens."""

from __future__ import annotations

import json
import re

import pytest

from conftest import api_error, ram, sts


def trust(emu, principal=None):
    account = emu.server.store.state["account_id"]
    return json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"RAM": [principal or f"acs:ram::{account}:root"]}}]})


@pytest.fixture
def role(emu):
    c = emu.ram()
    created = c.create_role(ram.CreateRoleRequest(role_name="Deployer", assume_role_policy_document=trust(emu),
                                                  description="d")).body.role
    c.attach_policy_to_role(ram.AttachPolicyToRoleRequest(role_name="Deployer", policy_type="System",
                                                          policy_name="AliyunRAMReadOnlyAccess"))
    return created


def test_role_lifecycle(emu, role):
    c = emu.ram()
    account = emu.server.store.state["account_id"]
    assert role.arn == f"acs:ram::{account}:role/deployer" and role.max_session_duration == 3600
    got = c.get_role(ram.GetRoleRequest(role_name="Deployer")).body.role
    assert got.role_id == role.role_id and got.update_date
    assert [r.role_name for r in c.list_roles(ram.ListRolesRequest()).body.roles.role] == ["Deployer"]
    assert api_error(lambda: c.create_role(ram.CreateRoleRequest(
        role_name="deployer", assume_role_policy_document=trust(emu)))) == ("EntityAlreadyExists.Role", 409)
    listed = c.list_policies_for_role(ram.ListPoliciesForRoleRequest(role_name="Deployer")).body.policies.policy
    assert [p.policy_name for p in listed] == ["AliyunRAMReadOnlyAccess"]
    assert api_error(lambda: c.delete_role(ram.DeleteRoleRequest(role_name="Deployer"))) == \
        ("DeleteConflict.Role.Policy", 409)
    c.detach_policy_from_role(ram.DetachPolicyFromRoleRequest(role_name="Deployer", policy_type="System",
                                                              policy_name="AliyunRAMReadOnlyAccess"))
    c.delete_role(ram.DeleteRoleRequest(role_name="Deployer"))
    assert api_error(lambda: c.get_role(ram.GetRoleRequest(role_name="Deployer"))) == ("EntityNotExist.Role", 404)
    assert api_error(lambda: c.create_role(ram.CreateRoleRequest(role_name="r"))) == ("MissingParameter", 400)


def assume(emu, role, key=None, **kwargs):
    key_id, secret = key or emu.user_with_key("assumer", "AliyunSTSAssumeRoleAccess")
    return emu.sts(key_id, secret).assume_role(sts.AssumeRoleRequest(
        role_arn=role.arn, role_session_name=kwargs.pop("session", "deploy-1"), **kwargs)).body


def test_assume_role_session_is_authorized_by_role_policies(emu, role):
    body = assume(emu, role, duration_seconds=900)
    creds = body.credentials
    assert re.match(r"^STS\.[A-Za-z0-9]{24}$", creds.access_key_id) and creds.security_token
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", creds.expiration)
    assert body.assumed_role_user.arn.endswith(":assumed-role/deployer/deploy-1")
    assert body.assumed_role_user.assumed_role_id == f"{role.role_id}:deploy-1"
    for v2 in (False, True):
        session = emu.ram(creds.access_key_id, creds.access_key_secret, creds.security_token, v2=v2)
        session.list_users(ram.ListUsersRequest())
        assert api_error(lambda: session.create_user(ram.CreateUserRequest(user_name="x"))) == ("NoPermission", 403)
    identity = emu.sts(creds.access_key_id, creds.access_key_secret, creds.security_token).get_caller_identity().body
    assert identity.identity_type == "AssumedRoleUser" and identity.role_id == role.role_id
    assert identity.principal_id == f"{role.role_id}:deploy-1" and identity.arn == body.assumed_role_user.arn
    secrets = emu.admin("GET", "secrets")[1]["secrets"]
    assert creds.access_key_secret in secrets


def test_session_token_errors_and_expiry(emu, role):
    creds = assume(emu, role, duration_seconds=900).credentials
    other = emu.server.store.new_session(emu.server.store.state["roles"]["Deployer"], "other", 900)
    key_id, secret = creds.access_key_id, creds.access_key_secret

    def call(token):
        return lambda: emu.sts(key_id, secret, token).get_caller_identity()

    assert api_error(call(None)) == ("MissingSecurityToken", 400)
    assert api_error(call(other["token"])) == ("InvalidSecurityToken.MismatchWithAccessKey", 400)
    assert api_error(call("CAISgarbage")) == ("InvalidSecurityToken.Malformed", 400)
    call(creds.security_token)()
    emu.server.store.clock_offset = 901
    assert api_error(call(creds.security_token)) == ("InvalidSecurityToken.Expired", 400)


def test_assume_role_refusals(emu, role):
    assert api_error(lambda: assume(emu, role, key=emu.key("root"))) == ("NoPermission", 403)
    key = emu.user_with_key("noperm")
    assert api_error(lambda: assume(emu, role, key=key)) == ("NoPermission", 403)
    admin = emu.key("admin")
    assert api_error(lambda: assume(emu, role, key=admin, duration_seconds=899)) == \
        ("InvalidParameter.DurationSeconds", 400)
    assert api_error(lambda: assume(emu, role, key=admin, duration_seconds=3601)) == \
        ("InvalidParameter.DurationSeconds", 400)
    assert api_error(lambda: assume(emu, role, key=admin, session="x")) == ("InvalidParameter.RoleSessionName", 400)
    missing = type(role)(arn=role.arn.replace("deployer", "nope"))
    assert api_error(lambda: assume(emu, missing, key=admin)) == ("EntityNotExist.Role", 404)
    emu.ram().create_role(ram.CreateRoleRequest(role_name="Picky",
                                                assume_role_policy_document=trust(emu, "acs:ram::1:user/x")))
    picky = emu.ram().get_role(ram.GetRoleRequest(role_name="Picky")).body.role
    assert api_error(lambda: assume(emu, picky, key=admin)) == ("NoPermission", 403)


def test_inline_session_policy_narrows(emu, role):
    inline = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:GetUser", "Resource": "*"}]})
    creds = assume(emu, role, key=emu.key("admin"), policy=inline).credentials
    session = emu.ram(creds.access_key_id, creds.access_key_secret, creds.security_token)
    session.get_user(ram.GetUserRequest(user_name="ram-admin"))
    assert api_error(lambda: session.list_users(ram.ListUsersRequest())) == ("NoPermission", 403)
