"""Control characters in any validated parameter are refused with that parameter's error code.

Python's ``$`` also matches before a trailing newline, so a ``re.match(r"^...$")`` validator let ``"name\\n"``
through: every validator must match the whole value. Each row below is sent signed by hand (the query carries
the raw character, percent-encoded), once with its valid value (accepted) and once per control character.
"""

from __future__ import annotations

import json

import pytest

from ram_emulator import validation

TRUST = json.dumps({"Version": "1", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::@ACCOUNT@:root"]}}]})
POLICY = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:Get*", "Resource": "*"}]})

# The character under test is put at the END of the value for "\n" (the `$` bug) and in the MIDDLE for the
# others; C1 controls and DEL are checked too.
CONTROL_CHARS = {
    "lf-trailing": lambda v: v + "\n",
    "cr": lambda v: v[:1] + "\r" + v[1:],
    "tab": lambda v: v[:1] + "\t" + v[1:],
    "nul": lambda v: v[:1] + "\x00" + v[1:],
    "crlf-trailing": lambda v: v + "\r\n",
    "del": lambda v: v[:1] + "\x7f" + v[1:],
    "nel": lambda v: v[:1] + "\x85" + v[1:],
}

# (version, action, fixed parameters, parameter under test, its valid value, expected error code)
RAM, STS = "2015-05-01", "2015-04-01"
CASES = [
    (RAM, "CreateUser", {}, "UserName", "ctl-new", "InvalidParameter.UserName.InvalidChars"),
    (RAM, "GetUser", {}, "UserName", "ctl-user", "InvalidParameter.UserName.InvalidChars"),
    (RAM, "UpdateUser", {"UserName": "ctl-user"}, "NewUserName", "ctl-renamed",
     "InvalidParameter.NewUserName.InvalidChars"),
    (RAM, "CreateUser", {"UserName": "ctl-new"}, "DisplayName", "Alice Smith", "InvalidParameter.DisplayName.InvalidChars"),
    (RAM, "UpdateUser", {"UserName": "ctl-user"}, "NewDisplayName", "Alice Smith",
     "InvalidParameter.NewDisplayName.InvalidChars"),
    (RAM, "CreateUser", {"UserName": "ctl-new"}, "Comments", "some comment", "InvalidParameter.Comments.InvalidChars"),
    (RAM, "UpdateUser", {"UserName": "ctl-user"}, "NewComments", "some comment",
     "InvalidParameter.NewComments.InvalidChars"),
    (RAM, "CreateUser", {"UserName": "ctl-new"}, "Email", "alice@example.com", "InvalidParameter.Email.Format"),
    (RAM, "UpdateUser", {"UserName": "ctl-user"}, "NewEmail", "alice@example.com", "InvalidParameter.NewEmail.Format"),
    (RAM, "CreateUser", {"UserName": "ctl-new"}, "MobilePhone", "86-18600008888",
     "InvalidParameter.MobilePhone.Format"),
    (RAM, "UpdateUser", {"UserName": "ctl-user"}, "NewMobilePhone", "86-18600008888",
     "InvalidParameter.NewMobilePhone.Format"),
    (RAM, "ListUsers", {}, "MaxItems", "50", "InvalidParameter.MaxItems"),
    (RAM, "ListAccessKeys", {}, "UserName", "ctl-user", "InvalidParameter.UserName.InvalidChars"),
    (RAM, "UpdateAccessKey", {"UserName": "ctl-user", "Status": "Inactive"}, "UserAccessKeyId", "@KEY_ID@",
     "InvalidParameter.UserAccessKeyId.InvalidChars"),
    (RAM, "DeleteAccessKey", {"UserName": "ctl-user"}, "UserAccessKeyId", "@KEY_ID@",
     "InvalidParameter.UserAccessKeyId.InvalidChars"),
    (RAM, "GetAccessKeyLastUsed", {"UserName": "ctl-user"}, "UserAccessKeyId", "@KEY_ID@",
     "InvalidParameter.UserAccessKeyId.InvalidChars"),
    (RAM, "CreateGroup", {}, "GroupName", "ctl-new-group", "InvalidParameter.GroupName.InvalidChars"),
    (RAM, "CreateGroup", {"GroupName": "ctl-new-group"}, "Comments", "group comment",
     "InvalidParameter.Comments.InvalidChars"),
    (RAM, "UpdateGroup", {"GroupName": "ctl-group"}, "NewGroupName", "ctl-group2",
     "InvalidParameter.NewGroupName.InvalidChars"),
    (RAM, "UpdateGroup", {"GroupName": "ctl-group"}, "NewComments", "group comment",
     "InvalidParameter.NewComments.InvalidChars"),
    (RAM, "AddUserToGroup", {"UserName": "ctl-user"}, "GroupName", "ctl-group", "InvalidParameter.GroupName.InvalidChars"),
    (RAM, "CreatePolicy", {"PolicyDocument": POLICY}, "PolicyName", "ctl-policy",
     "InvalidParameter.PolicyName.InvalidChars"),
    (RAM, "CreatePolicy", {"PolicyName": "ctl-policy", "PolicyDocument": POLICY}, "Description", "a policy",
     "InvalidParameter.Description.InvalidChars"),
    (RAM, "AttachPolicyToUser", {"PolicyType": "System", "UserName": "ctl-user"}, "PolicyName", "ReadOnlyAccess",
     "InvalidParameter.PolicyName.InvalidChars"),
    (RAM, "CreateRole", {"AssumeRolePolicyDocument": TRUST}, "RoleName", "ctl-new-role",
     "InvalidParameter.RoleName.InvalidChars"),
    (RAM, "CreateRole", {"RoleName": "ctl-new-role", "AssumeRolePolicyDocument": TRUST}, "Description", "a role",
     "InvalidParameter.Description.InvalidChars"),
    (RAM, "GetRole", {}, "RoleName", "ctl-role", "InvalidParameter.RoleName.InvalidChars"),
    (STS, "AssumeRole", {"RoleArn": "@ROLE_ARN@"}, "RoleSessionName", "ctl-session",
     "InvalidParameter.RoleSessionName"),
    (STS, "AssumeRole", {"RoleSessionName": "ctl-session"}, "RoleArn", "@ROLE_ARN@", "InvalidParameter.RoleArn"),
]
IDS = [f"{action}-{param}" for _v, action, _f, param, _val, _c in CASES]


@pytest.fixture
def world(emu):
    """ctl-user (with a key), ctl-group, ctl-role trusting the account; a caller that may assume roles."""
    root_id, root_secret = emu.key("root")
    account = emu.server.store.state["account_id"]

    def call(action, params, version=RAM, key=(root_id, root_secret)):
        status, body = emu.raw_v3(action, params, *key, version=version)
        assert status == 200, (action, body)
        return body

    call("CreateUser", {"UserName": "ctl-user"})
    key_id = call("CreateAccessKey", {"UserName": "ctl-user"})["AccessKey"]["AccessKeyId"]
    call("CreateGroup", {"GroupName": "ctl-group"})
    role_arn = call("CreateRole", {"RoleName": "ctl-role",
                                   "AssumeRolePolicyDocument": TRUST.replace("@ACCOUNT@", account)})["Role"]["Arn"]
    # root may not assume roles: AssumeRole is sent by a RAM user allowed to
    caller = emu.user_with_key("ctl-caller", "AliyunSTSAssumeRoleAccess")
    return {"key_id": key_id, "role_arn": role_arn, "account": account, "caller": caller,
            "root": (root_id, root_secret)}


def _params(world, fixed, param, value):
    """The request's parameters, with the placeholders @KEY_ID@, @ROLE_ARN@ and @ACCOUNT@ filled in."""
    params = dict(fixed, **{param: value})
    for placeholder, actual in (("@KEY_ID@", world["key_id"]), ("@ROLE_ARN@", world["role_arn"]),
                                ("@ACCOUNT@", world["account"])):
        params = {name: val.replace(placeholder, actual) for name, val in params.items()}
    return params


def _send(emu, world, version, action, params):
    key = world["caller"] if action == "AssumeRole" else world["root"]
    return emu.raw_v3(action, params, *key, version=version)


@pytest.mark.parametrize("version,action,fixed,param,valid,code", CASES, ids=IDS)
def test_valid_value_is_accepted(emu, world, version, action, fixed, param, valid, code):
    status, body = _send(emu, world, version, action, _params(world, fixed, param, valid))
    assert status == 200, body


@pytest.mark.parametrize("char", list(CONTROL_CHARS), ids=list(CONTROL_CHARS))
@pytest.mark.parametrize("version,action,fixed,param,valid,code", CASES, ids=IDS)
def test_control_character_is_rejected(emu, world, version, action, fixed, param, valid, code, char):
    params = _params(world, fixed, param, valid)
    params[param] = CONTROL_CHARS[char](params[param])
    status, body = _send(emu, world, version, action, params)
    assert (status, body["Code"]) == (400, code), body


@pytest.mark.parametrize("pattern", [validation.USER_NAME_RE, validation.GROUP_NAME_RE, validation.POLICY_NAME_RE,
                                     validation.ROLE_NAME_RE, validation.SESSION_NAME_RE, validation.MOBILE_RE,
                                     validation.EMAIL_RE, validation.INTEGER_RE])
def test_patterns_need_a_full_match(pattern):
    good = {validation.MOBILE_RE: "86-18600008888", validation.EMAIL_RE: "a@b.cn",
            validation.INTEGER_RE: "12"}.get(pattern, "abc-1")
    assert pattern.fullmatch(good)
    # the validators call fullmatch; no pattern is anchored with `$` (which matches before a final newline)
    assert not pattern.pattern.endswith("$")
    assert not pattern.fullmatch(good + "\n")


@pytest.mark.parametrize("value", [" 5", "5 ", "+5", "1_0", "٥", "9" * 5000, "0x10"])
def test_max_items_takes_plain_digits_only(emu, value):
    status, body = emu.raw_v3("ListUsers", {"MaxItems": value}, *emu.key("root"))
    assert (status, body["Code"]) == (400, "InvalidParameter.MaxItems"), body
