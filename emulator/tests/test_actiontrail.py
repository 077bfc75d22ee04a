"""ActionTrail 2020-07-06 LookupEvents through the official SDK: what the emulator records, filters, paging, errors."""

from __future__ import annotations

import base64
import calendar
import json
import stat
import time

import pytest
from alibabacloud_actiontrail20200706 import models as trail
from alibabacloud_actiontrail20200706.client import Client as TrailClient
from alibabacloud_tea_openapi.utils_models import Config

from conftest import api_error, ram, sts
from ram_emulator import store as store_module
from ram_emulator.store import Store, format_date
from test_cli import read_env, start, stop
from test_sts import trust


def trail_client(emu, key_id=None, secret=None, token=None, v2=False) -> TrailClient:
    if key_id is None:
        key_id, secret = emu.key("root")
    return TrailClient(emu.config(key_id, secret, token, v2))


def lookup(client, *conditions, **kwargs):
    """LookupEvents with (key, value) conditions; returns the response body."""
    attributes = [trail.LookupEventsRequestLookupAttribute(key=key, value=value) for key, value in conditions]
    return client.lookup_events(trail.LookupEventsRequest(lookup_attribute=attributes or None, **kwargs)).body


def every_page(client, *conditions, **kwargs):
    """The events of each page, following NextToken (at most 10 pages: a token that never ends fails the test)."""
    pages, token = [], None
    for _page in range(10):
        body = lookup(client, *conditions, next_token=token, **kwargs)
        pages.append(body.events)
        token = body.next_token
        if token is None:
            return pages
    pytest.fail("NextToken never ran out")


def names(events):
    return [event["eventName"] for event in events]


def iso(epoch: float) -> str:
    return format_date(epoch)


def epoch(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def remote_trail(env: dict, key_env: dict) -> TrailClient:
    """An ActionTrail client for an emulator started by the CLI (key files as written by it)."""
    return TrailClient(Config(access_key_id=key_env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                              access_key_secret=key_env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                              endpoint=env["ALIBABA_CLOUD_RAM_ENDPOINT"], protocol="http"))


def inject(emu, *specs):
    status, body = emu.admin("POST", "events", {"events": list(specs)})
    assert status == 200, body
    return body["events"]


def test_ram_and_sts_calls_are_recorded_with_key_identity_address_and_result(emu):
    key_id, secret = emu.user_with_key("alice", "AliyunRAMReadOnlyAccess")
    user_id = emu.ram().get_user(ram.GetUserRequest(user_name="alice")).body.user.user_id
    alice = emu.ram(key_id, secret)
    got = alice.get_user(ram.GetUserRequest(user_name="alice"))
    assert api_error(lambda: alice.create_user(ram.CreateUserRequest(user_name="bob"))) == ("NoPermission", 403)
    emu.sts(key_id, secret, v2=True).get_caller_identity()

    body = lookup(trail_client(emu), ("EventAccessKeyId", key_id))
    assert names(body.events) == ["GetCallerIdentity", "CreateUser", "GetUser"]   # newest first
    identity, read, denied = body.events[0], body.events[2], body.events[1]
    for event in body.events:
        assert event["userIdentity"] == {"type": "ram-user", "principalId": user_id, "accountId": emu.server.store.state[
            "account_id"], "accessKeyId": key_id, "userName": "alice"}
        assert event["sourceIpAddress"] == "127.0.0.1" and event["userAgent"].startswith("AlibabaCloud")
        assert event["eventType"] == "ApiCall" and event["acsRegion"] and event["eventId"]
        assert abs(epoch(event["eventTime"]) - time.time()) < 60
    assert read["requestId"] == got.body.request_id and read["eventRW"] == "Read"
    assert (read["serviceName"], read["eventSource"], read["apiVersion"]) == ("Ram", "ram.aliyuncs.com", "2015-05-01")
    assert "errorCode" not in read and "errorMessage" not in read
    assert read["referencedResources"] == {"ACS::RAM::User": ["alice"]}
    assert (denied["eventRW"], denied["errorCode"]) == ("Write", "NoPermission") and denied["errorMessage"]
    assert (identity["serviceName"], identity["eventSource"], identity["eventRW"]) == ("Sts", "sts.aliyuncs.com", "Read")


def test_root_key_calls_show_the_root_account(emu):
    root_id = emu.key("root")[0]
    account = emu.server.store.state["account_id"]
    emu.ram().list_users(ram.ListUsersRequest())
    events = lookup(trail_client(emu), ("EventName", "ListUsers")).events
    assert len(events) == 1
    assert events[0]["userIdentity"] == {"type": "root-account", "principalId": account, "accountId": account,
                                         "accessKeyId": root_id, "userName": "root"}


def test_assumed_role_calls_show_the_role_session_and_its_sts_key(emu):
    root = emu.ram()
    role = root.create_role(ram.CreateRoleRequest(role_name="Auditor", assume_role_policy_document=trust(emu))).body.role
    root.attach_policy_to_role(ram.AttachPolicyToRoleRequest(role_name="Auditor", policy_type="System",
                                                             policy_name="AliyunActionTrailReadOnlyAccess"))
    admin_id, admin_secret = emu.key("admin")
    creds = emu.sts(admin_id, admin_secret).assume_role(sts.AssumeRoleRequest(
        role_arn=role.arn, role_session_name="audit-1")).body.credentials
    session = trail_client(emu, creds.access_key_id, creds.access_key_secret, creds.security_token)
    lookup(session)
    events = lookup(session, ("RoleName", "Auditor")).events
    assert names(events) == ["LookupEvents"]
    identity = events[0]["userIdentity"]
    assert identity["type"] == "assumed-role" and identity["accessKeyId"] == creds.access_key_id
    assert identity["userName"] == "Auditor:audit-1" and identity["principalId"] == f"{role.role_id}:audit-1"
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert events[0]["serviceName"] == "Actiontrail" and events[0]["apiVersion"] == "2020-07-06"
    assume = lookup(session, ("EventName", "AssumeRole")).events
    assert [e["userIdentity"]["userName"] for e in assume] == ["ram-admin"] and assume[0]["eventRW"] == "Write"


def test_filters_exact_and_case_sensitive_two_conditions_and_the_documented_limits(emu):
    alice_id, alice_secret = emu.user_with_key("alice", "AliyunRAMFullAccess")
    bob_id, bob_secret = emu.user_with_key("bob", "AliyunRAMFullAccess")
    emu.ram(alice_id, alice_secret).create_group(ram.CreateGroupRequest(group_name="ga"))
    emu.ram(bob_id, bob_secret).create_group(ram.CreateGroupRequest(group_name="gb"))
    emu.ram(bob_id, bob_secret).list_groups(ram.ListGroupsRequest())
    client = trail_client(emu)
    assert len(lookup(client, ("EventName", "CreateGroup")).events) == 2
    assert lookup(client, ("EventName", "creategroup")).events == []
    both = lookup(client, ("EventName", "CreateGroup"), ("EventAccessKeyId", bob_id)).events
    assert [e["referencedResources"] for e in both] == [{"ACS::RAM::Group": ["gb"]}]
    # The same key twice: the second condition wins.
    assert names(lookup(client, ("EventAccessKeyId", alice_id), ("EventAccessKeyId", bob_id)).events) == \
        ["ListGroups", "CreateGroup"]
    # More than two conditions: only the first two count.
    assert names(lookup(client, ("EventAccessKeyId", bob_id), ("EventRW", "Read"), ("EventName", "Nothing")).events) == \
        ["ListGroups"]
    assert [e["userIdentity"]["userName"] for e in lookup(client, ("User", "alice"), ("EventRW", "Write")).events] == \
        ["alice"]
    assert names(lookup(client, ("ServiceName", "Ram"), ("ResourceName", "ga")).events) == ["CreateGroup"]
    assert names(lookup(client, ("ResourceType", "ACS::RAM::Group")).events) == ["CreateGroup", "CreateGroup"]
    assert {e["eventName"] for e in lookup(client, ("SourceIpAddress", "127.0.0.1"), ("EventType", "ApiCall")).events} \
        >= {"CreateGroup", "ListGroups", "LookupEvents"}
    assert lookup(client, ("ServiceName", "Ecs")).events == []


def test_time_window_defaults_and_retention(emu, server):
    key_id = emu.key("admin")[0]
    now = server.store.now()
    inject(emu, {"access_key_id": key_id, "source_ip": "198.51.100.1", "event_time": iso(now - 8 * 86400)},
           {"access_key_id": key_id, "source_ip": "198.51.100.2", "event_time": iso(now - 3 * 86400)},
           {"access_key_id": key_id, "source_ip": "198.51.100.3", "event_time": iso(now - 95 * 86400)})
    client = trail_client(emu)
    body = lookup(client, ("EventAccessKeyId", key_id))
    assert [e["sourceIpAddress"] for e in body.events] == ["198.51.100.2"]       # the last 7 days by default
    assert 0 <= epoch(body.end_time) - int(now) <= 2
    assert epoch(body.end_time) - epoch(body.start_time) == 7 * 86400
    window = lookup(client, ("EventAccessKeyId", key_id), start_time=iso(now - 10 * 86400), end_time=iso(now - 5 * 86400))
    assert [e["sourceIpAddress"] for e in window.events] == ["198.51.100.1"]
    assert (window.start_time, window.end_time) == (iso(now - 10 * 86400), iso(now - 5 * 86400))
    # Inclusive bounds, to the second.
    edge = lookup(client, ("EventAccessKeyId", key_id), start_time=iso(now - 3 * 86400), end_time=iso(now - 3 * 86400))
    assert len(edge.events) == 1
    # Older than 90 days: gone, even inside a valid window.
    assert lookup(client, ("EventAccessKeyId", key_id), start_time=iso(now - 100 * 86400),
                  end_time=iso(now - 80 * 86400)).events == []


def test_paging_with_next_token_newest_first_and_forward(emu, server):
    key_id = emu.key("admin")[0]
    now = server.store.now()
    made = inject(emu, *({"access_key_id": key_id, "source_ip": f"192.0.2.{i}", "event_time": iso(now - 3600 * (i + 1)),
                          "event_name": "GetUser"} for i in range(7)))
    expected = [e["eventId"] for e in made]                          # made newest first (i = 0 is an hour ago)
    client = trail_client(emu)
    pages = every_page(client, ("EventAccessKeyId", key_id), max_results="3")
    assert [len(page) for page in pages] == [3, 3, 1] and [e["eventId"] for page in pages for e in page] == expected
    # The same events oldest first.
    pages = every_page(client, ("EventAccessKeyId", key_id), max_results="4", direction="FORWARD")
    assert [len(page) for page in pages] == [4, 3]
    assert [e["eventId"] for page in pages for e in page] == list(reversed(expected))
    # A call made between two pages is newer than the cursor: it does not slip into the next page.
    first = lookup(client, max_results="2")
    emu.ram().get_user(ram.GetUserRequest(user_name="ram-admin"))
    second = lookup(client, max_results="2", next_token=first.next_token)
    assert not {e["eventId"] for e in first.events} & {e["eventId"] for e in second.events}
    assert "GetUser" not in [e["eventName"] for e in second.events if e["sourceIpAddress"] == "127.0.0.1"]
    inject(emu, *({"access_key_id": key_id, "source_ip": "192.0.2.99", "event_time": iso(now - 60)} for _i in range(14)))
    everything = lookup(client, max_results="50").events
    assert everything[0]["eventName"] == "LookupEvents" and len(everything) > 20
    default = lookup(client)                        # its newest event is the call just above, then the same ones
    assert [e["eventId"] for e in default.events[1:]] == [e["eventId"] for e in everything[:19]]
    assert len(default.events) == 20 and default.next_token                 # MaxResults defaults to 20


def bad_token(kind):
    cursor = {"account": "1", "direction": "BACKWARD", "eventId": "x", "time": 1.0, "seq": 1}
    if kind == "garbage":
        return "not-a-token!"
    if kind == "not-json":
        return base64.b64encode(b"{nope").decode()
    return base64.b64encode(json.dumps(cursor).encode()).decode()    # another account's token


@pytest.mark.parametrize("kwargs,conditions,code", [
    ({"start_time": "2026-01-01 00:00:00", "end_time": "2026-01-02T00:00:00Z"}, (), "InvalidParameterValue"),
    ({"start_time": "2026-01-01T00:00:00Z", "end_time": "yesterday"}, (), "InvalidParameterValue"),
    ({"start_time": "2026-01-02T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"}, (), "InvalidParameterValue"),
    ({"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-02-01T00:00:01Z"}, (), "InvalidParameterValue"),
    ({"start_time": "2026-01-01T00:00:00Z"}, (), "MissingParameter"),
    ({"end_time": "2026-01-01T00:00:00Z"}, (), "MissingParameter"),
    ({"max_results": "0"}, (), "InvalidParameterValue"),
    ({"max_results": "51"}, (), "InvalidParameterValue"),
    ({"max_results": "ten"}, (), "InvalidParameterValue"),
    ({"direction": "UP"}, (), "InvalidParameterValue"),
    ({"next_token": bad_token("garbage")}, (), "InvalidParameterValue"),
    ({"next_token": bad_token("not-json")}, (), "InvalidParameterValue"),
    ({"next_token": bad_token("account")}, (), "InvalidParameterValue"),
    ({}, (("AccessKeyId", "LTAI"),), "InvalidParameterValue"),        # LookupInsightEvents' key, not LookupEvents'
    ({}, (("Username", "root"),), "InvalidParameterValue"),
    ({}, (("EventName", ""),), "MissingParameter"),
])
def test_bad_input_gets_the_error_codes(emu, kwargs, conditions, code):
    client = trail_client(emu)
    assert api_error(lambda: lookup(client, *conditions, **kwargs)) == (code, 400)


def test_error_body_and_a_token_from_the_other_direction(emu):
    key_id, secret = emu.key("root")
    status, body = emu.raw_v3("LookupEvents", {"MaxResults": "0"}, key_id, secret, version="2020-07-06")
    assert (status, body["Code"], body["HostId"]) == (400, "InvalidParameterValue", "actiontrail.cn-hangzhou.aliyuncs.com")
    assert "product=Actiontrail" in body["Recommend"] and "MaxResults" in body["Message"]
    for _i in range(3):
        emu.ram().list_users(ram.ListUsersRequest())
    client = trail_client(emu)
    token = lookup(client, max_results="1").next_token
    assert token
    assert api_error(lambda: lookup(client, max_results="1", next_token=token, direction="FORWARD")) == \
        ("InvalidParameterValue", 400)
    status, body = emu.raw_v3("LookupInsightEvents", {}, key_id, secret, version="2020-07-06")
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")


@pytest.mark.parametrize("policy,allowed", [
    ("AliyunActionTrailReadOnlyAccess", True), ("AliyunActionTrailFullAccess", True), ("AdministratorAccess", True),
    ("AliyunRAMFullAccess", False), (None, False),
])
def test_authorisation_by_policy(emu, policy, allowed):
    key_id, secret = emu.user_with_key("viewer", *([policy] if policy else []))
    client = trail_client(emu, key_id, secret)
    if allowed:
        assert isinstance(lookup(client).events, list)
    else:
        assert api_error(lambda: lookup(client)) == ("NoPermission", 403)
    recorded = lookup(trail_client(emu), ("EventAccessKeyId", key_id)).events
    assert [(e["eventName"], e.get("errorCode")) for e in recorded] == [("LookupEvents", None if allowed else "NoPermission")]


def test_signature_refusals_are_not_recorded(emu):
    key_id, secret = emu.user_with_key("sig", "AliyunActionTrailReadOnlyAccess")
    assert api_error(lambda: lookup(trail_client(emu, key_id, "wrong"))) == ("IncompleteSignature", 400)
    assert api_error(lambda: lookup(trail_client(emu, key_id, "wrong", v2=True))) == ("SignatureDoesNotMatch", 400)
    assert api_error(lambda: lookup(trail_client(emu, "LTAI" + "q" * 20, "x"))) == ("InvalidAccessKeyId.NotFound", 404)
    status, body = emu.raw("POST", "/?Action=LookupEvents&Version=2020-07-06", {})
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    assert lookup(trail_client(emu), ("EventAccessKeyId", key_id)).events == []
    lookup(trail_client(emu, key_id, secret, v2=True))                   # the V2 signature, Action/Version dispatch
    assert names(lookup(trail_client(emu), ("EventAccessKeyId", key_id)).events) == ["LookupEvents"]


def test_records_hold_no_secret(emu):
    root = emu.ram()
    root.create_user(ram.CreateUserRequest(user_name="sec"))
    made = root.create_access_key(ram.CreateAccessKeyRequest(user_name="sec")).body.access_key
    root.create_login_profile(ram.CreateLoginProfileRequest(user_name="sec", password="Passw0rd-Secret-1"))
    assert api_error(lambda: emu.ram(made.access_key_id, made.access_key_secret).get_user(
        ram.GetUserRequest(user_name="sec"))) == ("NoPermission", 403)
    listed = json.dumps(emu.admin("GET", "events")[1])
    assert made.access_key_id in listed and "CreateLoginProfile" in listed
    for secret in emu.admin("GET", "secrets")[1]["secrets"] + ["Passw0rd-Secret-1"]:
        assert secret not in listed
    assert "Signature" not in listed and "Authorization" not in listed


def test_admin_injection_of_an_unexpected_address(emu, server):
    key_id, _secret = emu.user_with_key("ops", "AliyunRAMReadOnlyAccess")
    user_id = emu.ram().get_user(ram.GetUserRequest(user_name="ops")).body.user.user_id
    when = iso(server.store.now() - 7200)
    made = inject(emu, {"access_key_id": key_id, "source_ip": "203.0.113.77", "event_time": when,
                        "event_name": "ListUsers", "user_agent": "curl/8.0"})
    assert made[0]["eventTime"] == when and made[0]["eventRW"] == "Read" and made[0]["serviceName"] == "Ram"
    found = lookup(trail_client(emu), ("SourceIpAddress", "203.0.113.77")).events
    assert [(e["eventId"], e["userIdentity"]["userName"], e["userIdentity"]["principalId"], e["userAgent"])
            for e in found] == [(made[0]["eventId"], "ops", user_id, "curl/8.0")]
    # A key the account does not have needs an identity; other services' events need their service name.
    other = inject(emu, {"access_key_id": "LTAIgone0000000000000000", "source_ip": "2001:db8::5", "identity_type": "ram-user",
                         "user_name": "gone", "event_name": "DescribeInstances", "service_name": "Ecs",
                         "error_code": "Forbidden.RAM", "error_message": "denied"})
    assert (other[0]["eventSource"], other[0]["errorCode"], other[0]["sourceIpAddress"]) == \
        ("ecs.aliyuncs.com", "Forbidden.RAM", "2001:db8::5")
    assert names(lookup(trail_client(emu), ("ServiceName", "Ecs")).events) == ["DescribeInstances"]
    listed = emu.admin("GET", "events")[1]
    order = [e["eventId"] for e in listed["events"]]                # as recorded, not by event time
    assert listed["max_events"] == 10000 and listed["count"] == len(order)
    assert order.index(made[0]["eventId"]) < order.index(other[0]["eventId"])


@pytest.mark.parametrize("spec,message", [
    ({"source_ip": "10.0.0.1"}, "access_key_id"),
    ({"access_key_id": "LTAIx", "source_ip": "10.0.0.1"}, "identity_type"),
    ({"access_key_id": "ROOT", "source_ip": "999.1.1.1"}, "source_ip"),
    ({"access_key_id": "ROOT", "source_ip": "10.0.0.1", "event_time": "2026-01-01"}, "event_time"),
    ({"access_key_id": "ROOT", "source_ip": "10.0.0.1", "colour": "red"}, "colour"),
    ({"access_key_id": "ROOT", "source_ip": "10.0.0.1", "event_name": "Foo"}, "service_name"),
    ({"access_key_id": "ROOT", "source_ip": "10.0.0.1", "event_rw": "All"}, "event_rw"),
    ({"access_key_id": "ROOT", "source_ip": "10.0.0.1", "user_agent": "a\nb"}, "user_agent"),
])
def test_admin_injection_is_validated_and_all_or_nothing(emu, spec, message):
    root_id = emu.key("root")[0]
    spec = {k: (root_id if v == "ROOT" else v) for k, v in spec.items()}
    good = {"access_key_id": root_id, "source_ip": "10.0.0.9"}
    before = emu.admin("GET", "events")[1]["count"]
    status, body = emu.admin("POST", "events", {"events": [good, spec]})
    assert status == 400 and message in body["error"]
    assert emu.admin("GET", "events")[1]["count"] == before


def test_admin_events_need_the_token_and_delete_clears(emu):
    root_id = emu.key("root")[0]
    status, _body = emu.admin("POST", "events", {"access_key_id": root_id, "source_ip": "10.0.0.1"}, token=None)
    assert status == 401 and emu.admin("GET", "events")[1]["count"] == 0
    assert emu.admin("GET", "events", token="wrong")[0] == 401
    made = emu.admin("POST", "events", {"access_key_id": root_id, "source_ip": "10.0.0.1"})[1]
    assert made["added"] == 1 and made["events"][0]["userIdentity"]["type"] == "root-account"
    assert emu.admin("DELETE", "events", token=None)[0] == 401
    assert emu.admin("DELETE", "events") == (200, {"cleared": 1})
    assert emu.admin("GET", "events")[1]["events"] == []


def test_the_record_is_bounded_and_the_events_file_compacted(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_EVENTS", 5)
    path = tmp_path / "state.json"
    store = Store(str(path))
    for i in range(12):
        store.record_event(1000.0 + i, {"eventId": f"e{i}"})
    assert [r["event"]["eventId"] for r in store.events] == [f"e{i}" for i in range(7, 12)]
    lines = (tmp_path / "state.json.events").read_text().splitlines()
    assert len(lines) <= 10 and [json.loads(line)["event"]["eventId"] for line in lines][-1] == "e11"
    assert stat.S_IMODE((tmp_path / "state.json.events").stat().st_mode) == 0o600
    with open(tmp_path / "state.json.events", "a", encoding="utf-8") as handle:
        handle.write('{"seq": 99, "time": 1')                          # a write cut short
    again = Store(str(path))
    assert [r["event"]["eventId"] for r in again.events] == [f"e{i}" for i in range(7, 12)]
    assert again.record_event(2000.0, {"eventId": "next"})["seq"] == 13
    # A new state file (the old one removed) starts without the old events, also at its next start.
    path.unlink()
    assert list(Store(str(path)).events) == [] and list(Store(str(path)).events) == []


def test_events_persist_across_a_restart_with_state(tmp_path):
    process = start(tmp_path)
    try:
        env, admin_env = read_env(tmp_path / "root.env"), read_env(tmp_path / "admin.env")
        lookup(remote_trail(env, admin_env))
        before = lookup(remote_trail(env, env)).events
        assert names(before) == ["LookupEvents"]
    finally:
        stop(process)
    events_file = tmp_path / "state.json.events"
    assert stat.S_IMODE(events_file.stat().st_mode) == 0o600
    text = events_file.read_text()
    assert before[0]["eventId"] in text
    assert env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] not in text and admin_env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] not in text

    process = start(tmp_path)
    try:
        env = read_env(tmp_path / "root.env")                       # the port has changed
        after = lookup(remote_trail(env, env), ("EventAccessKeyId", admin_env["ALIBABA_CLOUD_ACCESS_KEY_ID"])).events
        assert [e["eventId"] for e in after] == [before[0]["eventId"]]
        assert after[0]["userIdentity"]["userName"] == "ram-admin"
    finally:
        stop(process)
