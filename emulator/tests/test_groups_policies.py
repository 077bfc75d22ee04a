"""Groups, memberships, the policy catalog, custom policies and attachments."""

from __future__ import annotations

import json

import pytest

from conftest import api_error, ram

DOC = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:Get*", "Resource": "*"}]})


def test_group_lifecycle(emu):
    c = emu.ram()
    created = c.create_group(ram.CreateGroupRequest(group_name="dev-team", comments="devs")).body.group
    assert created.group_name == "dev-team" and created.group_id and created.comments == "devs"
    assert api_error(lambda: c.create_group(ram.CreateGroupRequest(group_name="dev-team"))) == \
        ("EntityAlreadyExists.Group", 409)
    assert api_error(lambda: c.create_group(ram.CreateGroupRequest(group_name="bad name"))) == \
        ("InvalidParameter.GroupName.InvalidChars", 400)
    assert c.get_group(ram.GetGroupRequest(group_name="dev-team")).body.group.update_date
    updated = c.update_group(ram.UpdateGroupRequest(group_name="dev-team", new_group_name="devs",
                                                    new_comments="x")).body.group
    assert (updated.group_name, updated.comments) == ("devs", "x")
    assert [g.group_name for g in c.list_groups(ram.ListGroupsRequest()).body.groups.group] == ["devs"]
    c.delete_group(ram.DeleteGroupRequest(group_name="devs"))
    assert api_error(lambda: c.get_group(ram.GetGroupRequest(group_name="devs"))) == ("EntityNotExist.Group", 404)
    assert c.list_groups(ram.ListGroupsRequest()).body.groups.group == []


def test_memberships_and_limits(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="m"))
    for i in range(11):
        c.create_group(ram.CreateGroupRequest(group_name=f"g{i}"))
    for i in range(10):         # 10 groups per user (RAM limits page, 2025)
        c.add_user_to_group(ram.AddUserToGroupRequest(group_name=f"g{i}", user_name="m"))
    assert api_error(lambda: c.add_user_to_group(ram.AddUserToGroupRequest(group_name="g10", user_name="m"))) == \
        ("LimitExceeded.User.Group", 409)
    assert api_error(lambda: c.add_user_to_group(ram.AddUserToGroupRequest(group_name="g0", user_name="m"))) == \
        ("EntityAlreadyExists.User.Group", 409)
    groups = c.list_groups_for_user(ram.ListGroupsForUserRequest(user_name="m")).body.groups.group
    assert sorted(g.group_name for g in groups) == sorted(f"g{i}" for i in range(10)) and all(g.join_date for g in groups)
    members = c.list_users_for_group(ram.ListUsersForGroupRequest(group_name="g0")).body.users.user
    assert [u.user_name for u in members] == ["m"]
    assert api_error(lambda: c.delete_group(ram.DeleteGroupRequest(group_name="g0"))) == \
        ("DeleteConflict.Group.User", 409)
    c.remove_user_from_group(ram.RemoveUserFromGroupRequest(group_name="g0", user_name="m"))
    assert api_error(lambda: c.remove_user_from_group(ram.RemoveUserFromGroupRequest(group_name="g0",
                                                                                     user_name="m"))) == \
        ("EntityNotExist.User.Group", 404)
    assert api_error(lambda: c.add_user_to_group(ram.AddUserToGroupRequest(group_name="nope", user_name="m"))) == \
        ("EntityNotExist.Group", 404)


def test_system_catalog(emu):
    c = emu.ram()
    body = c.list_policies(ram.ListPoliciesRequest(policy_type="System", max_items=1000)).body
    names = {p.policy_name for p in body.policies.policy}
    assert {"AdministratorAccess", "AliyunRAMFullAccess", "AliyunRAMReadOnlyAccess", "ReadOnlyAccess",
            "AliyunOSSFullAccess", "AliyunOSSReadOnlyAccess", "AliyunECSFullAccess",
            "AliyunSTSAssumeRoleAccess"} <= names and len(names) >= 10
    got = c.get_policy(ram.GetPolicyRequest(policy_type="System", policy_name="AliyunRAMReadOnlyAccess")).body
    assert got.policy.policy_type == "System" and got.policy.attachment_count == 0
    assert "ram:Get*" in json.loads(got.default_policy_version.policy_document)["Statement"][0]["Action"]
    assert api_error(lambda: c.get_policy(ram.GetPolicyRequest(policy_type="System", policy_name="Nope"))) == \
        ("EntityNotExist.Policy", 404)
    assert api_error(lambda: c.get_policy(ram.GetPolicyRequest(policy_type="Other", policy_name="X"))) == \
        ("InvalidParameter.PolicyType", 400)


def test_custom_policy_lifecycle(emu):
    c = emu.ram()
    created = c.create_policy(ram.CreatePolicyRequest(policy_name="read-ram", policy_document=DOC,
                                                      description="d")).body.policy
    assert (created.policy_type, created.default_version) == ("Custom", "v1")
    assert api_error(lambda: c.create_policy(ram.CreatePolicyRequest(policy_name="read-ram",
                                                                     policy_document=DOC))) == \
        ("EntityAlreadyExists.Policy", 409)
    assert api_error(lambda: c.create_policy(ram.CreatePolicyRequest(policy_name="bad",
                                                                     policy_document="{nope"))) == \
        ("MalformedPolicyDocument", 400)
    got = c.get_policy(ram.GetPolicyRequest(policy_type="Custom", policy_name="read-ram")).body
    assert got.default_policy_version.policy_document == DOC and got.default_policy_version.is_default_version
    custom = c.list_policies(ram.ListPoliciesRequest(policy_type="Custom")).body.policies.policy
    assert [p.policy_name for p in custom] == ["read-ram"]
    c.create_user(ram.CreateUserRequest(user_name="pu"))
    c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="read-ram",
                                                          user_name="pu"))
    assert c.get_policy(ram.GetPolicyRequest(policy_type="Custom",
                                             policy_name="read-ram")).body.policy.attachment_count == 1
    assert api_error(lambda: c.delete_policy(ram.DeletePolicyRequest(policy_name="read-ram"))) == \
        ("DeleteConflict.Policy.User", 409)
    c.delete_policy(ram.DeletePolicyRequest(policy_name="read-ram", cascading_delete=True))
    assert c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="pu")).body.policies.policy == []
    assert api_error(lambda: c.delete_policy(ram.DeletePolicyRequest(policy_name="read-ram"))) == \
        ("EntityNotExist.Policy", 404)


def test_attach_detach_user_policies(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="a"))

    def attach(name, kind="System"):
        return c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type=kind, policy_name=name, user_name="a"))

    attach("ReadOnlyAccess")
    assert api_error(lambda: attach("ReadOnlyAccess")) == ("EntityAlreadyExists.User.Policy", 409)
    assert api_error(lambda: attach("NoSuchPolicy")) == ("EntityNotExist.Policy", 404)
    listed = c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="a")).body.policies.policy
    assert [(p.policy_name, p.policy_type) for p in listed] == [("ReadOnlyAccess", "System")]
    assert listed[0].attach_date and listed[0].default_version == "v1" and listed[0].description

    def detach(name):
        return c.detach_policy_from_user(ram.DetachPolicyFromUserRequest(policy_type="System", policy_name=name, user_name="a"))

    detach("ReadOnlyAccess")
    assert api_error(lambda: detach("ReadOnlyAccess")) == ("EntityNotExist.User.Policy", 404)
    assert api_error(lambda: detach("NoSuchPolicy")) == ("EntityNotExist.Policy", 404)


@pytest.mark.parametrize("kind,limit", [("System", 20), ("Custom", 10)])
def test_policy_per_user_limits(emu, monkeypatch, kind, limit):
    monkeypatch.setattr("ram_emulator.validation.MAX_SYSTEM_POLICIES_PER_ENTITY", 2)
    monkeypatch.setattr("ram_emulator.validation.MAX_CUSTOM_POLICIES_PER_ENTITY", 1)
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="lim"))
    names = ["ReadOnlyAccess", "AliyunOSSFullAccess", "AliyunECSFullAccess"] if kind == "System" else ["c1", "c2"]
    for name in names if kind == "Custom" else []:
        c.create_policy(ram.CreatePolicyRequest(policy_name=name, policy_document=DOC))
    for name in names[:-1]:
        c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type=kind, policy_name=name, user_name="lim"))
    assert api_error(lambda: c.attach_policy_to_user(ram.AttachPolicyToUserRequest(
        policy_type=kind, policy_name=names[-1], user_name="lim"))) == ("LimitExceeded.User.Policy", 409)


def test_group_policies(emu):
    c = emu.ram()
    c.create_group(ram.CreateGroupRequest(group_name="gp"))
    c.attach_policy_to_group(ram.AttachPolicyToGroupRequest(group_name="gp", policy_type="System",
                                                            policy_name="AliyunRAMReadOnlyAccess"))
    listed = c.list_policies_for_group(ram.ListPoliciesForGroupRequest(group_name="gp")).body.policies.policy
    assert [p.policy_name for p in listed] == ["AliyunRAMReadOnlyAccess"]
    assert api_error(lambda: c.delete_group(ram.DeleteGroupRequest(group_name="gp"))) == \
        ("DeleteConflict.Group.Policy", 409)
    c.detach_policy_from_group(ram.DetachPolicyFromGroupRequest(group_name="gp", policy_type="System",
                                                                policy_name="AliyunRAMReadOnlyAccess"))
    c.delete_group(ram.DeleteGroupRequest(group_name="gp"))
