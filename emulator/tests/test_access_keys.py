"""Access keys: limits (inactive keys count), caller-scoped operations, last use tracking."""

from __future__ import annotations

import re

from conftest import api_error, ram, sts


def test_key_lifecycle_and_limit(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="k"))
    first = c.create_access_key(ram.CreateAccessKeyRequest(user_name="k")).body.access_key
    assert re.match(r"^LTAI[A-Za-z0-9]{20}$", first.access_key_id)
    assert re.match(r"^[A-Za-z0-9]{30}$", first.access_key_secret) and first.status == "Active"
    c.update_access_key(ram.UpdateAccessKeyRequest(user_name="k", user_access_key_id=first.access_key_id,
                                                   status="Inactive"))
    c.create_access_key(ram.CreateAccessKeyRequest(user_name="k"))
    assert api_error(lambda: c.create_access_key(ram.CreateAccessKeyRequest(user_name="k"))) == \
        ("LimitExceeded.User.AccessKey", 409)
    keys = c.list_access_keys(ram.ListAccessKeysRequest(user_name="k")).body.access_keys.access_key
    assert sorted(k.status for k in keys) == ["Active", "Inactive"]
    assert all(k.to_map().keys() == {"AccessKeyId", "Status", "CreateDate"} for k in keys)
    c.delete_access_key(ram.DeleteAccessKeyRequest(user_name="k", user_access_key_id=first.access_key_id))
    assert len(c.list_access_keys(ram.ListAccessKeysRequest(user_name="k")).body.access_keys.access_key) == 1


def test_key_errors(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="k"))
    assert api_error(lambda: c.create_access_key(ram.CreateAccessKeyRequest(user_name="nobody"))) == \
        ("EntityNotExist.User", 404)
    assert api_error(lambda: c.delete_access_key(ram.DeleteAccessKeyRequest(
        user_name="k", user_access_key_id="LTAInotthere"))) == ("EntityNotExist.User.AccessKey", 404)
    other = c.create_access_key(ram.CreateAccessKeyRequest(user_name="ram-admin")).body.access_key
    assert api_error(lambda: c.update_access_key(ram.UpdateAccessKeyRequest(
        user_name="k", user_access_key_id=other.access_key_id, status="Inactive"))) == \
        ("EntityNotExist.User.AccessKey", 404)
    assert api_error(lambda: c.update_access_key(ram.UpdateAccessKeyRequest(
        user_name="ram-admin", user_access_key_id=other.access_key_id, status="Disabled"))) == \
        ("InvalidParameter.Status", 400)
    assert c.list_access_keys(ram.ListAccessKeysRequest(user_name="k")).body.access_keys.access_key == []


def test_root_account_keys_without_user_name(emu):
    c = emu.ram()
    root_id = emu.key("root")[0]
    listed = c.list_access_keys(ram.ListAccessKeysRequest()).body.access_keys.access_key
    assert [k.access_key_id for k in listed] == [root_id]
    second = c.create_access_key(ram.CreateAccessKeyRequest()).body.access_key
    assert api_error(lambda: c.create_access_key(ram.CreateAccessKeyRequest())) == \
        ("LimitExceeded.User.AccessKey", 409)
    identity = emu.sts(second.access_key_id, second.access_key_secret).get_caller_identity().body
    assert identity.identity_type == "Account"
    c.delete_access_key(ram.DeleteAccessKeyRequest(user_access_key_id=second.access_key_id))


def test_ram_user_acts_on_own_keys_without_user_name(emu):
    key_id, secret = emu.user_with_key("self", "AliyunRAMFullAccess")
    me = emu.ram(key_id, secret)
    assert [k.access_key_id for k in me.list_access_keys(ram.ListAccessKeysRequest()).body.access_keys.access_key] \
        == [key_id]
    me.create_access_key(ram.CreateAccessKeyRequest())
    owners = {k["owner"] for k in emu.server.store.state["access_keys"].values() if k["owner"] == "self"}
    assert owners == {"self"}
    assert len(me.list_access_keys(ram.ListAccessKeysRequest(user_name="self")).body.access_keys.access_key) == 2


def test_last_used_tracks_real_signed_use(emu):
    c = emu.ram()
    key_id, secret = emu.user_with_key("lu", "AliyunRAMReadOnlyAccess")
    request = ram.GetAccessKeyLastUsedRequest(user_name="lu", user_access_key_id=key_id)
    assert c.get_access_key_last_used(request).body.access_key_last_used.last_used_date is None
    emu.sts(key_id, secret).get_caller_identity()
    used = c.get_access_key_last_used(request).body.access_key_last_used.last_used_date
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", used)


def test_deleted_user_keys_are_gone(emu):
    c = emu.ram()
    key_id, secret = emu.user_with_key("gone")
    c.delete_access_key(ram.DeleteAccessKeyRequest(user_name="gone", user_access_key_id=key_id))
    c.delete_user(ram.DeleteUserRequest(user_name="gone"))
    assert api_error(lambda: emu.sts(key_id, secret).get_caller_identity()) == ("InvalidAccessKeyId.NotFound", 404)


def test_renamed_user_keeps_keys(emu):
    c = emu.ram()
    key_id, secret = emu.user_with_key("old")
    c.update_user(ram.UpdateUserRequest(user_name="old", new_user_name="new"))
    assert emu.sts(key_id, secret).get_caller_identity().body.arn.endswith(":user/new")
    assert len(c.list_access_keys(ram.ListAccessKeysRequest(user_name="new")).body.access_keys.access_key) == 1


def test_sts_client_uses_sts_models(emu):
    assert isinstance(emu.sts().get_caller_identity().body, sts.GetCallerIdentityResponseBody)
