"""Fault injection, counters and the admin API."""

from __future__ import annotations

import ipaddress
import time

import pytest
from alibabacloud_tea_openapi.exceptions import ServerException, ThrottlingException
from Tea.exceptions import TeaException

from conftest import api_error, ram
from ram_emulator import admin
from ram_emulator.server import EmulatorServer
from ram_emulator.store import Store


def test_throttle_rate_one(emu):
    emu.admin("POST", "faults", {"throttle_rate": 1.0})
    assert api_error(lambda: emu.ram().list_users(ram.ListUsersRequest())) == ("Throttling.User", 400)
    emu.admin("POST", "faults", {"throttle_retry_after_ms": 250})
    with pytest.raises(ThrottlingException) as info:
        emu.ram().list_users(ram.ListUsersRequest())
    assert info.value.retry_after == 250
    emu.admin("DELETE", "faults")
    emu.ram().list_users(ram.ListUsersRequest())


def test_error_rate_one(emu):
    emu.admin("POST", "faults", {"error_rate": 1.0})
    with pytest.raises(ServerException) as info:
        emu.ram().list_users(ram.ListUsersRequest())
    assert (info.value.code, info.value.status_code) == ("ServiceUnavailable", 503)
    assert emu.admin("GET", "health") == (200, {"ok": True})


def test_latency_is_a_lower_bound(emu):
    c = emu.ram()
    emu.admin("POST", "faults", {"latency_ms": 120})
    started = time.monotonic()
    c.list_users(ram.ListUsersRequest())
    assert time.monotonic() - started >= 0.12


def test_qps_limit_per_access_key(emu, server):
    frozen = time.monotonic()
    server.faults.clock = lambda: frozen
    try:
        emu.admin("POST", "faults", {"qps_limit": 2})
        c = emu.ram()
        c.list_users(ram.ListUsersRequest())
        c.list_users(ram.ListUsersRequest())
        assert api_error(lambda: c.list_users(ram.ListUsersRequest())) == ("Throttling.User", 400)
        admin_id, admin_secret = emu.key("admin")
        emu.ram(admin_id, admin_secret).list_users(ram.ListUsersRequest())  # another key has its own budget
        frozen += 1.5
        c.list_users(ram.ListUsersRequest())
    finally:
        server.faults.clock = time.monotonic


def test_one_shot_counts(emu):
    status, faults = emu.admin("POST", "faults", {"one_shot": [
        {"action": "CreateUser", "count": 2, "code": "EntityAlreadyExists.User", "status": 409}]})
    assert status == 200 and faults["one_shot"][0]["count"] == 2
    c = emu.ram()
    c.list_users(ram.ListUsersRequest())
    for _i in range(2):
        assert api_error(lambda: c.create_user(ram.CreateUserRequest(user_name="one"))) == \
            ("EntityAlreadyExists.User", 409)
    c.create_user(ram.CreateUserRequest(user_name="one"))
    assert emu.admin("GET", "faults")[1]["one_shot"] == []


def test_commit_then_drop(emu, server):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="dropped"))
    emu.admin("POST", "faults", {"drop_after_commit": [{"action": "CreateAccessKey", "count": 1}]})
    with pytest.raises(TeaException) as info:
        c.create_access_key(ram.CreateAccessKeyRequest(user_name="dropped"))
    assert info.value.code is None  # a transport error, not an API error
    keys = c.list_access_keys(ram.ListAccessKeysRequest(user_name="dropped")).body.access_keys.access_key
    assert len(keys) == 1
    c.create_access_key(ram.CreateAccessKeyRequest(user_name="dropped"))
    assert emu.admin("GET", "faults")[1]["drop_after_commit"] == []


def test_counters_split_reads_and_writes(emu):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="cnt"))
    c.get_user(ram.GetUserRequest(user_name="cnt"))
    api_error(lambda: c.get_user(ram.GetUserRequest(user_name="missing")))
    api_error(lambda: emu.ram("LTAI" + "z" * 20, "x").get_user(ram.GetUserRequest(user_name="cnt")))
    status, counters = emu.admin("GET", "counters")
    assert status == 200
    assert counters == {"reads": 2, "writes": 1, "actions": {"CreateUser": {"calls": 1, "write": True},
                                                             "GetUser": {"calls": 2, "write": False}}}
    emu.admin("POST", "counters/reset")
    assert emu.admin("GET", "counters")[1] == {"reads": 0, "writes": 0, "actions": {}}


def test_admin_faults_validation_and_routes(emu):
    assert emu.admin("POST", "faults", {"throttle_rate": 2})[0] == 400
    assert emu.admin("POST", "faults", {"bogus": 1})[0] == 400
    assert emu.admin("POST", "faults", {"one_shot": [{"count": 1}]})[0] == 400
    assert emu.admin("GET", "nothing")[0] == 404
    merged = emu.admin("POST", "faults", {"latency_ms": 5})[1]
    assert merged["latency_ms"] == 5 and merged["throttle_rate"] == 0.0
    assert emu.admin("DELETE", "faults")[1]["latency_ms"] == 0


def test_admin_state_secrets_reset_and_clock(emu, server):
    root_id, root_secret = emu.key("root")
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="st"))
    made = c.create_access_key(ram.CreateAccessKeyRequest(user_name="st")).body.access_key
    state = emu.admin("GET", "state")[1]
    assert "st" in state["users"] and state["access_keys"][made.access_key_id]["Status"] == "Active"
    assert made.access_key_secret not in str(state) and root_secret not in str(state)
    secrets = emu.admin("GET", "secrets")[1]["secrets"]
    assert made.access_key_secret in secrets and root_secret in secrets
    assert emu.admin("POST", "reset") == (200, {"ok": True})
    state = emu.admin("GET", "state")[1]
    assert set(state["users"]) == {"ram-admin"} and root_id in state["access_keys"]
    assert made.access_key_secret in emu.admin("GET", "secrets")[1]["secrets"]
    admin_id, admin_secret = emu.key("admin")
    emu.ram(admin_id, admin_secret).list_users(ram.ListUsersRequest())
    assert emu.admin("POST", "clock", {"offset_seconds": 60})[1]["offset_seconds"] == 60
    assert emu.admin("POST", "clock", {"offset_seconds": "x"})[0] == 400


def test_admin_refuses_foreign_clients(emu, monkeypatch):
    monkeypatch.setattr(admin, "client_allowed", lambda ip, networks: False)
    status, body = emu.admin("GET", "health")   # even with the right token
    assert status == 403 and body["Code"] == "Emulator.Forbidden" and "error" in body


BAD_TOKENS = {
    "missing": lambda right: None,
    "empty": lambda right: "",
    "blank": lambda right: " ",
    "wrong": lambda right: "wrong-token",
    "longer": lambda right: right + "x",
    "truncated": lambda right: right[:-1],
    "other-case": lambda right: right.swapcase() if right.swapcase() != right else right + "X",
}


@pytest.mark.parametrize("bad", list(BAD_TOKENS))
@pytest.mark.parametrize("method,path", [("GET", "health"), ("GET", "secrets"), ("GET", "state"),
                                         ("POST", "reset"), ("POST", "faults"), ("DELETE", "faults"),
                                         ("GET", "counters"), ("POST", "clock"), ("GET", "no-such-route")])
def test_admin_needs_the_token(emu, server, method, path, bad):
    faults_before = server.faults.snapshot()
    status, body = emu.admin(method, path, {"latency_ms": 9, "offset_seconds": 5} if method == "POST" else None,
                             token=BAD_TOKENS[bad](server.admin_token))
    assert status == 401 and body["Code"] == "Emulator.Unauthorized", body
    assert set(body) == {"Code", "error"}
    assert server.faults.snapshot() == faults_before and server.store.clock_offset == 0.0


def test_admin_with_the_token(emu, server):
    assert emu.admin("GET", "health", token=server.admin_token) == (200, {"ok": True})
    assert emu.admin("GET", "secrets", token=" %s " % server.admin_token)[0] == 200


def test_server_token_is_random_or_given():
    first = EmulatorServer(("127.0.0.1", 0), Store(None))
    second = EmulatorServer(("127.0.0.1", 0), Store(None), admin_token="given-token")
    third = EmulatorServer(("127.0.0.1", 0), Store(None))
    try:
        assert len(first.admin_token) >= 32 and first.admin_token != third.admin_token
        assert second.admin_token == "given-token"
    finally:
        for server in (first, second, third):
            server.server_close()


@pytest.mark.parametrize("given,expected,ok", [
    ("tok", "tok", True), (" tok\t", "tok", True), ("tok", "tok2", False), ("", "tok", False), (None, "tok", False),
    ("tok", "", False), ("t\u00f6k", "tok", False),
])
def test_token_matches(given, expected, ok):
    assert admin.token_matches(given, expected) is ok


@pytest.mark.parametrize("client,networks,allowed", [
    ("127.0.0.1", [], True), ("127.9.9.9", [], True), ("::1", [], True), ("::ffff:127.0.0.1", [], True),
    ("10.0.0.5", [], False), ("10.0.0.5", ["10.0.0.0/24"], True), ("10.0.1.5", ["10.0.0.0/24"], False),
    ("fd00::5", ["10.0.0.0/24"], False), ("not-an-ip", [], False),
])
def test_admin_client_allowed(client, networks, allowed):
    assert admin.client_allowed(client, [ipaddress.ip_network(n) for n in networks]) is allowed


def test_bound_networks():
    assert admin.bound_networks("127.0.0.1") == []
    assert admin.bound_networks("0.0.0.0") == []
    assert admin.bound_networks("0.0.0.0", ["192.168.7.0/24"]) == [ipaddress.ip_network("192.168.7.0/24")]
    # An address on no local interface falls back to its /24.
    assert admin.bound_networks("203.0.113.7") == [ipaddress.ip_network("203.0.113.0/24")]
