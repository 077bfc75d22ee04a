"""Eventual consistency: reads (List*/Get*, authentication, authorization) see a write only after it propagates.

Time-dependent checks move the emulator's clock (``POST /_emulator/clock``) instead of sleeping; one test uses a
real 0.2 s delay and polls, with a bound, until the write shows.
"""

from __future__ import annotations

import time

import pytest

from conftest import api_error, ram, start_in_thread
from ram_emulator.store import Store

DELAY = 60.0


@pytest.fixture
def lagging(emu):
    """Every write propagates after DELAY seconds of the emulator's clock; ``advance(s)`` moves that clock."""
    assert emu.admin("POST", "modes", {"propagation_delay": DELAY})[0] == 200
    offset = [0.0]

    def advance(seconds):
        offset[0] += seconds
        assert emu.admin("POST", "clock", {"offset_seconds": offset[0]})[0] == 200

    return advance


def user_names(client):
    return [u.user_name for u in client.list_users(ram.ListUsersRequest(max_items=1000)).body.users.user]


def key_ids(client, user):
    return [k.access_key_id for k in client.list_access_keys(ram.ListAccessKeysRequest(user_name=user)).body.access_keys.access_key]


def test_default_is_immediate(emu):
    assert emu.admin("GET", "modes")[1]["propagation_delay"] == 0
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="now"))
    assert c.get_user(ram.GetUserRequest(user_name="now")).body.user.user_name == "now"
    assert emu.admin("GET", "propagation")[1]["pending"] == []


def test_new_user_is_invisible_until_propagated_but_blocks_a_second_create(emu, lagging):
    c = emu.ram()
    created = c.create_user(ram.CreateUserRequest(user_name="late")).body.user
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="late"))) == ("EntityNotExist.User", 404)
    assert "late" not in user_names(c)
    # Writes check the latest state: a resend gets the real duplicate error at once.
    assert api_error(lambda: c.create_user(ram.CreateUserRequest(user_name="late"))) == \
        ("EntityAlreadyExists.User", 409)
    lagging(DELAY - 1)
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="late"))) == ("EntityNotExist.User", 404)
    lagging(1)
    assert c.get_user(ram.GetUserRequest(user_name="late")).body.user.user_id == created.user_id
    assert "late" in user_names(c)
    assert emu.admin("GET", "propagation")[1]["pending"] == []


def test_new_key_is_neither_listed_nor_usable_until_propagated(emu, lagging):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="kp"))
    lagging(DELAY)
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="kp")).body.access_key
    assert key_ids(c, "kp") == []
    assert api_error(lambda: emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity()) == \
        ("InvalidAccessKeyId.NotFound", 404)
    # The limit counts the keys that exist, listed or not.
    c.create_access_key(ram.CreateAccessKeyRequest(user_name="kp"))
    assert api_error(lambda: c.create_access_key(ram.CreateAccessKeyRequest(user_name="kp"))) == \
        ("LimitExceeded.User.AccessKey", 409)
    summary = emu.admin("GET", "propagation")[1]
    assert {(p["collection"], p["visible_now"]) for p in summary["pending"]} == {("access_keys", "absent")}
    assert key.access_key_secret not in str(summary)
    lagging(DELAY)
    assert key.access_key_id in key_ids(c, "kp")
    identity = emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity().body
    assert identity.identity_type == "RAMUser"


def test_deleted_and_disabled_keys_keep_working_until_propagated(emu, lagging):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="kd"))
    first = c.create_access_key(ram.CreateAccessKeyRequest(user_name="kd")).body.access_key
    second = c.create_access_key(ram.CreateAccessKeyRequest(user_name="kd")).body.access_key
    lagging(DELAY)
    c.update_access_key(ram.UpdateAccessKeyRequest(user_name="kd", user_access_key_id=first.access_key_id,
                                                   status="Inactive"))
    c.delete_access_key(ram.DeleteAccessKeyRequest(user_name="kd", user_access_key_id=second.access_key_id))
    listed = {k.access_key_id: k.status for k in
              c.list_access_keys(ram.ListAccessKeysRequest(user_name="kd")).body.access_keys.access_key}
    assert listed == {first.access_key_id: "Active", second.access_key_id: "Active"}
    emu.sts(first.access_key_id, first.access_key_secret).get_caller_identity()
    emu.sts(second.access_key_id, second.access_key_secret).get_caller_identity()
    # ... and the write path already sees the deletion.
    assert api_error(lambda: c.delete_access_key(ram.DeleteAccessKeyRequest(
        user_name="kd", user_access_key_id=second.access_key_id))) == ("EntityNotExist.User.AccessKey", 404)
    lagging(DELAY)
    assert api_error(lambda: emu.sts(first.access_key_id, first.access_key_secret).get_caller_identity()) == \
        ("InvalidAccessKeyId.Inactive", 400)
    assert api_error(lambda: emu.sts(second.access_key_id, second.access_key_secret).get_caller_identity()) == \
        ("InvalidAccessKeyId.NotFound", 404)
    assert key_ids(c, "kd") == [first.access_key_id]


def test_attachments_memberships_and_permissions_propagate(emu, lagging):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="pp"))
    c.create_group(ram.CreateGroupRequest(group_name="ops"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="pp")).body.access_key
    lagging(DELAY)
    c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AliyunRAMReadOnlyAccess",
                                                          user_name="pp"))
    c.add_user_to_group(ram.AddUserToGroupRequest(group_name="ops", user_name="pp"))
    assert c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="pp")).body.policies.policy == []
    assert c.list_groups_for_user(ram.ListGroupsForUserRequest(user_name="pp")).body.groups.group == []
    assert api_error(lambda: c.attach_policy_to_user(ram.AttachPolicyToUserRequest(
        policy_type="System", policy_name="AliyunRAMReadOnlyAccess", user_name="pp"))) == \
        ("EntityAlreadyExists.User.Policy", 409)
    assert api_error(lambda: c.add_user_to_group(ram.AddUserToGroupRequest(group_name="ops", user_name="pp"))) == \
        ("EntityAlreadyExists.User.Group", 409)
    # RAM's FAQ: permission changes take a while to apply; the user's own key is not allowed yet.
    user_client = emu.ram(key.access_key_id, key.access_key_secret)
    assert api_error(lambda: user_client.list_users(ram.ListUsersRequest())) == ("NoPermission", 403)
    lagging(DELAY)
    assert [p.policy_name for p in c.list_policies_for_user(
        ram.ListPoliciesForUserRequest(user_name="pp")).body.policies.policy] == ["AliyunRAMReadOnlyAccess"]
    assert [g.group_name for g in c.list_groups_for_user(
        ram.ListGroupsForUserRequest(user_name="pp")).body.groups.group] == ["ops"]
    assert "pp" in user_names(user_client)


def test_rename_shows_the_old_name_until_propagated(emu, lagging):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="old"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="old")).body.access_key
    lagging(DELAY)
    c.update_user(ram.UpdateUserRequest(user_name="old", new_user_name="new"))
    assert user_names(c) == sorted(user_names(c)) and "old" in user_names(c) and "new" not in user_names(c)
    assert key_ids(c, "old") == [key.access_key_id]
    lagging(DELAY)
    assert "new" in user_names(c) and "old" not in user_names(c)
    assert key_ids(c, "new") == [key.access_key_id]


def test_lagged_auth_off_lets_a_new_key_sign_at_once(emu, lagging):
    emu.admin("POST", "modes", {"lagged_auth": False})
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="fast"))
    key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="fast")).body.access_key
    assert emu.sts(key.access_key_id, key.access_key_secret).get_caller_identity().body.user_id
    assert api_error(lambda: c.list_access_keys(ram.ListAccessKeysRequest(user_name="fast"))) == \
        ("EntityNotExist.User", 404)


def test_propagation_fault_slows_the_next_writes_of_one_action(emu):
    status, faults = emu.admin("POST", "faults", {"propagation": [
        {"action": "CreateAccessKey", "count": 1, "delay_seconds": 30}]})
    assert status == 200 and faults["propagation"] == [{"action": "CreateAccessKey", "count": 1, "delay_seconds": 30}]
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="fk"))
    assert c.get_user(ram.GetUserRequest(user_name="fk")).body.user     # other actions: at once
    # A failing call does not use the fault up.
    assert api_error(lambda: c.create_access_key(ram.CreateAccessKeyRequest(user_name="missing"))) == \
        ("EntityNotExist.User", 404)
    slow = c.create_access_key(ram.CreateAccessKeyRequest(user_name="fk")).body.access_key
    fast = c.create_access_key(ram.CreateAccessKeyRequest(user_name="fk")).body.access_key
    assert key_ids(c, "fk") == [fast.access_key_id]
    assert emu.admin("GET", "faults")[1]["propagation"] == []
    emu.admin("POST", "clock", {"offset_seconds": 30})
    assert sorted(key_ids(c, "fk")) == sorted([slow.access_key_id, fast.access_key_id])


def test_the_newest_write_wins_whatever_the_delays(emu, lagging):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="w", comments="v1"))
    emu.admin("POST", "faults", {"propagation": [{"action": "UpdateUser", "count": 1, "delay_seconds": 10}]})
    # The update shows at +10 and carries the create with it (a replica that has a write has the ones before it);
    # the create, due at +60, must not bring the older version back.
    c.update_user(ram.UpdateUserRequest(user_name="w", new_comments="v2"))
    lagging(9)
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="w"))) == ("EntityNotExist.User", 404)
    lagging(1)
    assert c.get_user(ram.GetUserRequest(user_name="w")).body.user.comments == "v2"
    lagging(DELAY)
    assert c.get_user(ram.GetUserRequest(user_name="w")).body.user.comments == "v2"
    # A write that propagates at once hides nothing older.
    emu.admin("POST", "faults", {"propagation": [{"action": "UpdateUser", "count": 1, "delay_seconds": 0}]})
    c.update_user(ram.UpdateUserRequest(user_name="w", new_comments="v3"))
    assert c.get_user(ram.GetUserRequest(user_name="w")).body.user.comments == "v3"


def test_real_time_delay_polls_until_visible(emu):
    emu.admin("POST", "modes", {"propagation_delay": 0.2})
    c = emu.ram()
    started = time.monotonic()
    c.create_user(ram.CreateUserRequest(user_name="rt"))
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="rt"))) == ("EntityNotExist.User", 404)
    deadline = started + 5
    while "rt" not in user_names(c):
        assert time.monotonic() < deadline, "the user never showed up"
        time.sleep(0.02)
    assert time.monotonic() - started >= 0.2


def test_flush_and_modes_admin(emu, lagging):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="fl"))
    assert emu.admin("POST", "propagation/flush", {}) == (200, {"flushed": 1})
    assert c.get_user(ram.GetUserRequest(user_name="fl")).body.user
    for bad in ({"propagation_delay": -1}, {"propagation_delay": "1"}, {"lagged_auth": 1}, {"nope": 1},
                {"access_key_error": "loud"}):
        assert emu.admin("POST", "modes", bad)[0] == 400
    assert emu.admin("POST", "faults", {"propagation": [{"action": "X", "delay_seconds": -1}]})[0] == 400
    # Clearing faults leaves the modes alone; DELETE /modes goes back to the start values.
    emu.admin("DELETE", "faults")
    assert emu.admin("GET", "modes")[1]["propagation_delay"] == DELAY
    assert emu.admin("DELETE", "modes")[1]["propagation_delay"] == 0
    # A reset drops what was pending (a fresh account).
    emu.admin("POST", "modes", {"propagation_delay": DELAY})
    c.create_user(ram.CreateUserRequest(user_name="gone"))
    emu.admin("POST", "reset", {})
    assert emu.admin("GET", "propagation")[1]["pending"] == []


def test_pending_writes_survive_a_restart(tmp_path):
    from conftest import Emu
    path = str(tmp_path / "state.json")
    first = start_in_thread(Store(path))
    try:
        first.store.modes.merge({"propagation_delay": DELAY})
        Emu(first).ram().create_user(ram.CreateUserRequest(user_name="persist"))
    finally:
        first.shutdown()
        first.server_close()
    second = start_in_thread(Store(path))
    try:
        c = Emu(second).ram()
        assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="persist"))) == ("EntityNotExist.User", 404)
        second.store.clock_offset = DELAY
        assert c.get_user(ram.GetUserRequest(user_name="persist")).body.user.user_name == "persist"
    finally:
        second.shutdown()
        second.server_close()


def test_a_write_that_skips_touch_is_caught():
    store = Store(None)
    store.verify_touches = True
    with store.lock:
        store.begin_write()
        store.state["groups"]["sneaky"] = {"GroupName": "sneaky"}
        with pytest.raises(AssertionError, match="groups/sneaky"):
            store.commit_write(0)


def test_lost_create_access_key_response_whose_key_is_not_listed_yet(emu):
    """The issue's case: the response of CreateAccessKey is lost and the key is not listed for a while."""
    from Tea.exceptions import TeaException
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="lost"))
    emu.admin("POST", "faults", {"drop_after_commit": [{"action": "CreateAccessKey", "count": 1}],
                                 "propagation": [{"action": "CreateAccessKey", "count": 1, "delay_seconds": 5}]})
    with pytest.raises(TeaException) as info:
        c.create_access_key(ram.CreateAccessKeyRequest(user_name="lost"))
    assert info.value.code is None                                     # a transport error: no response
    assert key_ids(c, "lost") == []                                    # ... and nothing to see yet
    assert [k["owner"] for k in emu.admin("GET", "state")[1]["access_keys"].values()].count("lost") == 1
    emu.admin("POST", "clock", {"offset_seconds": 5})
    assert len(key_ids(c, "lost")) == 1


def test_moving_the_clock_back_makes_earlier_writes_visible(emu, lagging):
    """A test makes an old key by moving the clock back after creating its user: the user must stay visible (without
    the flush it stayed invisible until the clock caught up 100 days later)."""
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="before-jump"))
    assert api_error(lambda: c.get_user(ram.GetUserRequest(user_name="before-jump"))) == ("EntityNotExist.User", 404)
    assert emu.admin("POST", "clock", {"offset_seconds": -100 * 86400})[0] == 200
    assert c.get_user(ram.GetUserRequest(user_name="before-jump")).body.user.user_name == "before-jump"
    c.create_access_key(ram.CreateAccessKeyRequest(user_name="before-jump"))
    assert key_ids(c, "before-jump") == []       # made in the past, and still propagating there
    assert emu.admin("POST", "clock", {"offset_seconds": 0})[0] == 200
    assert len(key_ids(c, "before-jump")) == 1
