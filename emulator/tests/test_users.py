"""Users: happy paths, validation, limits and conflicts through the official SDK."""

from __future__ import annotations

import re

import pytest

from conftest import api_error, ram

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_create_get_update_delete_user(emu):
    c = emu.ram()
    created = c.create_user(ram.CreateUserRequest(user_name="alice", display_name="Alice Smith", comments="hi ~*",
                                                  email="a@b.com", mobile_phone="86-18600000000")).body
    assert created.user.user_name == "alice" and created.user.display_name == "Alice Smith"
    assert created.user.comments == "hi ~*" and created.user.email == "a@b.com"
    assert created.user.mobile_phone == "86-18600000000" and DATE_RE.match(created.user.create_date)
    assert created.request_id
    got = c.get_user(ram.GetUserRequest(user_name="alice")).body.user
    assert got.user_id == created.user.user_id and DATE_RE.match(got.update_date)
    updated = c.update_user(ram.UpdateUserRequest(user_name="alice", new_user_name="alice2",
                                                  new_display_name="A2", new_comments="")).body.user
    assert (updated.user_name, updated.display_name, updated.comments) == ("alice2", "A2", None)
    assert updated.user_id == created.user.user_id
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="alice"))) == ("EntityNotExist.User", 404)
    c.delete_user(ram.DeleteUserRequest(user_name="alice2"))
    assert api_error(lambda: c.delete_user(ram.DeleteUserRequest(user_name="alice2"))) == ("EntityNotExist.User", 404)


def test_display_name_defaults_to_user_name(emu):
    user = emu.ram().create_user(ram.CreateUserRequest(user_name="bob")).body.user
    assert user.display_name == "bob"


def test_create_user_twice_conflicts(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="dup"))
    assert api_error(lambda: c.create_user(ram.CreateUserRequest(user_name="dup"))) == \
        ("EntityAlreadyExists.User", 409)


def test_rename_onto_existing_user_conflicts(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="u1"))
    c.create_user(ram.CreateUserRequest(user_name="u2"))
    assert api_error(lambda: c.update_user(ram.UpdateUserRequest(user_name="u1", new_user_name="u2"))) == \
        ("EntityAlreadyExists.User", 409)


@pytest.mark.parametrize("fields,code", [
    ({"user_name": "alice@example"}, "InvalidParameter.UserName.InvalidChars"),
    ({"user_name": "a" * 65}, "InvalidParameter.UserName.Length"),
    ({"user_name": "ok", "display_name": "d" * 129}, "InvalidParameter.DisplayName.Length"),
    ({"user_name": "ok", "comments": "c" * 129}, "InvalidParameter.Comments.Length"),
    ({"user_name": "ok", "email": "not-an-email"}, "InvalidParameter.Email.Format"),
    ({"user_name": "ok", "mobile_phone": "18600000000"}, "InvalidParameter.MobilePhone.Format"),
    ({}, "MissingParameter"),
])
def test_create_user_validation(emu, fields, code):
    assert api_error(lambda: emu.ram().create_user(ram.CreateUserRequest(**fields))) == (code, 400)


def test_update_user_validation(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="v"))
    assert api_error(lambda: c.update_user(ram.UpdateUserRequest(user_name="v", new_user_name="bad name"))) == \
        ("InvalidParameter.NewUserName.InvalidChars", 400)
    assert api_error(lambda: c.update_user(ram.UpdateUserRequest(user_name="v", new_email="x"))) == \
        ("InvalidParameter.NewEmail.Format", 400)


def test_chinese_display_name_and_64_char_name(emu):
    user = emu.ram().create_user(ram.CreateUserRequest(user_name="a" * 64, display_name="张三")).body.user
    assert user.display_name == "张三"


def test_list_users_pagination(emu):
    c = emu.ram()
    for i in range(5):
        c.create_user(ram.CreateUserRequest(user_name=f"p{i}"))
    names, marker, pages = [], None, 0
    while True:
        body = c.list_users(ram.ListUsersRequest(max_items=2, marker=marker)).body
        pages += 1
        names += [u.user_name for u in body.users.user]
        assert isinstance(body.is_truncated, bool)
        if not body.is_truncated:
            assert body.marker is None
            break
        marker = body.marker
        assert marker
    assert sorted(names) == sorted(["p0", "p1", "p2", "p3", "p4", "ram-admin"]) and pages == 3
    assert api_error(lambda: c.list_users(ram.ListUsersRequest(max_items=0))) == ("InvalidParameter.MaxItems", 400)
    assert api_error(lambda: c.list_users(ram.ListUsersRequest(marker="!!!"))) == ("InvalidParameter.Marker", 400)


def test_empty_lists_have_wrappers(emu, server):
    server.store.state["users"].clear()
    body = emu.ram().list_users(ram.ListUsersRequest()).body
    assert body.users.user == [] and body.is_truncated is False


def test_user_limit(emu, server, monkeypatch):
    monkeypatch.setattr("ram_emulator.validation.MAX_USERS", 2)
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="l1"))  # ram-admin is the other one
    assert api_error(lambda: c.create_user(ram.CreateUserRequest(user_name="l2"))) == ("LimitExceeded.User", 409)


@pytest.mark.parametrize("attach,code", [
    ("key", "DeleteConflict.User.AccessKey"), ("policy", "DeleteConflict.User.Policy"),
    ("group", "DeleteConflict.User.Group"), ("login", "DeleteConflict.User.LoginProfile")])
def test_delete_user_conflicts(emu, attach, code):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="busy"))
    if attach == "key":
        c.create_access_key(ram.CreateAccessKeyRequest(user_name="busy"))
    elif attach == "policy":
        c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="System", policy_name="ReadOnlyAccess",
                                                              user_name="busy"))
    elif attach == "group":
        c.create_group(ram.CreateGroupRequest(group_name="g"))
        c.add_user_to_group(ram.AddUserToGroupRequest(group_name="g", user_name="busy"))
    else:
        c.create_login_profile(ram.CreateLoginProfileRequest(user_name="busy", password="Passw0rdX"))
    assert api_error(lambda: c.delete_user(ram.DeleteUserRequest(user_name="busy"))) == (code, 409)


def test_login_profile_lifecycle(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="lp"))

    def get():
        return c.get_login_profile(ram.GetLoginProfileRequest(user_name="lp"))

    assert api_error(get) == ("EntityNotExist.User.LoginProfile", 404)
    assert api_error(lambda: c.create_login_profile(ram.CreateLoginProfileRequest(user_name="lp", password="weak"))) \
        == ("InvalidParameter.Password.TooWeak", 400)
    created = c.create_login_profile(ram.CreateLoginProfileRequest(
        user_name="lp", password="Str0ngPassword", password_reset_required=True)).body.login_profile
    assert created.password_reset_required is True and created.mfabind_required is False
    assert api_error(lambda: c.create_login_profile(ram.CreateLoginProfileRequest(
        user_name="lp", password="Str0ngPassword"))) == ("EntityAlreadyExists.User.LoginProfile", 409)
    c.update_login_profile(ram.UpdateLoginProfileRequest(user_name="lp", password_reset_required=False,
                                                         mfabind_required=True))
    profile = get().body.login_profile
    assert (profile.user_name, profile.password_reset_required, profile.mfabind_required) == ("lp", False, True)
    c.delete_login_profile(ram.DeleteLoginProfileRequest(user_name="lp"))
    assert api_error(lambda: c.delete_login_profile(ram.DeleteLoginProfileRequest(user_name="lp"))) == \
        ("EntityNotExist.User.LoginProfile", 404)
    assert api_error(lambda: c.update_login_profile(ram.UpdateLoginProfileRequest(user_name="lp"))) == \
        ("EntityNotExist.User.LoginProfile", 404)
