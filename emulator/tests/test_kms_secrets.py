"""KMS 2016-01-20 secrets through the official KMS SDK: every action, versions and stages, paging, the real error
codes, the deletion window, atomic CreateSecret, faults, persistence and quiet logs."""

from __future__ import annotations

import base64
import calendar
import re
import threading
import time

import pytest
from Tea.exceptions import TeaException

from conftest import Emu, api_error
from kms_support import kms, kms_client
from test_cli import read_env, start, stop

DATE_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
VALUE = "s3cr3t-value-never-logged"


def create(client, name, data=VALUE, version="v1", **extra):
    return client.create_secret(kms.CreateSecretRequest(secret_name=name, secret_data=data, version_id=version,
                                                        **extra)).body


def get(client, name, **extra):
    return client.get_secret_value(kms.GetSecretValueRequest(secret_name=name, **extra)).body


def put(client, name, version, data, **extra):
    return client.put_secret_value(kms.PutSecretValueRequest(secret_name=name, version_id=version, secret_data=data,
                                                             **extra)).body


def account(emu):
    return emu.server.store.state["account_id"]


def epoch(value):
    return calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))


# -- create, read, describe -------------------------------------------------------------------------------------------

def test_create_get_describe(emu):
    c = kms_client(emu)
    made = create(c, "aliyun-ram/app-1", description="db password",
                  tags='[{"TagKey":"team","TagValue":"ops"},{"TagKey":"env","TagValue":"dev"}]')
    assert made.arn == f"acs:kms:cn-hangzhou:{account(emu)}:secret/aliyun-ram/app-1"
    assert (made.secret_name, made.version_id, made.secret_type) == ("aliyun-ram/app-1", "v1", "Generic")
    assert made.request_id
    value = get(c, "aliyun-ram/app-1")
    assert (value.secret_data, value.secret_data_type, value.version_id) == (VALUE, "text", "v1")
    assert value.version_stages.version_stage == ["ACSCurrent"] and DATE_RE.fullmatch(value.create_time)
    plain = c.describe_secret(kms.DescribeSecretRequest(secret_name="aliyun-ram/app-1")).body
    assert (plain.arn, plain.description, plain.secret_type) == (made.arn, "db password", "Generic")
    assert plain.tags is None and plain.planned_delete_time is None
    assert DATE_RE.fullmatch(plain.create_time) and plain.update_time == plain.create_time
    tagged = c.describe_secret(kms.DescribeSecretRequest(secret_name="aliyun-ram/app-1", fetch_tags="true")).body
    assert [(t.tag_key, t.tag_value) for t in tagged.tags.tag] == [("team", "ops"), ("env", "dev")]


def test_region_comes_from_the_signature_scope(emu):
    """The V4 (ACS4) signer names its region in the credential scope; V3 carries none: the default region."""
    shanghai = kms_client(emu, v4=True, region="cn-shanghai")
    assert create(shanghai, "regional").arn.startswith("acs:kms:cn-shanghai:")
    assert get(shanghai, "regional").secret_data == VALUE
    assert kms_client(emu, v4=True).describe_secret(
        kms.DescribeSecretRequest(secret_name="regional")).body.arn.startswith("acs:kms:cn-hangzhou:")


def test_wrong_secret_is_refused_for_both_signatures(emu):
    key_id = emu.key("root")[0]
    for v4 in (False, True):
        assert api_error(lambda: get(kms_client(emu, key_id, "wrong-secret", v4=v4), "x")) == ("IncompleteSignature", 400)


def test_binary_secret_data(emu):
    c = kms_client(emu)
    data = base64.b64encode(b"\x00\x01binary").decode()
    create(c, "bin", data=data, secret_data_type="binary")
    assert (get(c, "bin").secret_data, get(c, "bin").secret_data_type) == (data, "binary")
    assert api_error(lambda: create(c, "bin2", data="not base64!", secret_data_type="binary")) == \
        ("InvalidParameter", 400)


def test_secret_name_may_be_its_arn(emu):
    c = kms_client(emu)
    arn = create(c, "by-arn").arn
    assert get(c, arn).secret_name == "by-arn"
    foreign = arn.replace(f":{account(emu)}:", ":1234567890123456:")
    assert api_error(lambda: get(c, foreign)) == ("Forbidden.ResourceNotFound", 404)


# -- versions and stages ----------------------------------------------------------------------------------------------

def stages(client, name):
    request = kms.ListSecretVersionIdsRequest(secret_name=name, include_deprecated="true")
    listed = client.list_secret_version_ids(request).body
    return {v.version_id: v.version_stages.version_stage for v in listed.version_ids.version_id}


def test_put_secret_value_moves_current_and_previous(emu):
    c = kms_client(emu)
    create(c, "rotated", data="value-1")
    moved = put(c, "rotated", "v2", "value-2")
    assert (moved.secret_name, moved.version_id, moved.version_stages.version_stage) == ("rotated", "v2", ["ACSCurrent"])
    assert stages(c, "rotated") == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}
    put(c, "rotated", "v3", "value-3")
    assert stages(c, "rotated") == {"v1": [], "v2": ["ACSPrevious"], "v3": ["ACSCurrent"]}
    assert get(c, "rotated").secret_data == "value-3"
    assert get(c, "rotated", version_stage="ACSPrevious").secret_data == "value-2"
    assert get(c, "rotated", version_id="v1").secret_data == "value-1"
    assert get(c, "rotated", version_id="v2", version_stage="ACSPrevious").version_id == "v2"
    current_only = c.list_secret_version_ids(kms.ListSecretVersionIdsRequest(secret_name="rotated")).body
    assert [v.version_id for v in current_only.version_ids.version_id] == ["v2", "v3"]     # v1 has no stage left
    assert current_only.total_count == 2


def test_custom_stages(emu):
    c = kms_client(emu)
    create(c, "staged", data="value-1")
    marked = put(c, "staged", "v2", "value-2", version_stages='["Canary"]')
    assert marked.version_stages.version_stage == ["Canary"]
    assert get(c, "staged").version_id == "v1"                   # ACSCurrent did not move
    assert get(c, "staged", version_stage="Canary").secret_data == "value-2"
    put(c, "staged", "v3", "value-3", version_stages='{"VersionStage": ["Canary", "ACSCurrent"]}')
    assert stages(c, "staged") == {"v1": ["ACSPrevious"], "v2": [], "v3": ["Canary", "ACSCurrent"]}
    assert api_error(lambda: put(c, "staged", "v4", "x", version_stages="[]")) == ("InvalidParameter", 400)


def test_put_secret_value_is_idempotent_per_version(emu):
    c = kms_client(emu)
    create(c, "idem", data="value-1")
    put(c, "idem", "v2", "value-2")
    again = put(c, "idem", "v2", "value-2")
    assert again.version_stages.version_stage == ["ACSCurrent"]
    assert stages(c, "idem") == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}
    assert api_error(lambda: put(c, "idem", "v2", "another value")) == ("Rejected.ResourceExist", 409)
    assert get(c, "idem").secret_data == "value-2"


def test_old_versions_without_a_stage_roll_off(emu):
    c = kms_client(emu)
    create(c, "many", data="value-1")
    for n in range(2, 14):
        put(c, "many", f"v{n}", f"value-{n}")
    versions = stages(c, "many")
    assert len(versions) == 10 and not {"v1", "v2", "v3"} & set(versions) and "v4" in versions
    assert versions["v13"] == ["ACSCurrent"] and versions["v12"] == ["ACSPrevious"]


# -- errors -----------------------------------------------------------------------------------------------------------

def test_read_errors(emu):
    c = kms_client(emu)
    assert api_error(lambda: get(c, "missing")) == ("Forbidden.ResourceNotFound", 404)
    assert api_error(lambda: c.describe_secret(kms.DescribeSecretRequest(secret_name="missing"))) == \
        ("Forbidden.ResourceNotFound", 404)
    create(c, "present")
    assert api_error(lambda: get(c, "present", version_id="v9")) == ("Forbidden.ResourceNotFound", 404)
    assert api_error(lambda: get(c, "present", version_stage="Nope")) == ("Forbidden.ResourceNotFound", 404)
    assert api_error(lambda: get(c, "present", version_id="v1", version_stage="ACSPrevious")) == \
        ("InvalidParameter", 400)
    assert api_error(lambda: c.get_secret_value(kms.GetSecretValueRequest())) == ("MissingParameter", 400)


def test_create_errors(emu):
    c = kms_client(emu)
    create(c, "taken")
    assert api_error(lambda: create(c, "taken", data="other")) == ("Rejected.ResourceExist", 409)
    assert get(c, "taken").secret_data == VALUE
    for bad in ("bad name", "semi;colon", "x" * 193):
        assert api_error(lambda: create(c, bad)) == ("InvalidParameter", 400), bad
    assert api_error(lambda: c.create_secret(kms.CreateSecretRequest(secret_name="nov", secret_data="x"))) == \
        ("MissingParameter", 400)
    assert api_error(lambda: c.create_secret(kms.CreateSecretRequest(secret_name="nod", version_id="v1"))) == \
        ("MissingParameter", 400)
    assert api_error(lambda: create(c, "rds", secret_type="Rds")) == ("InvalidParameter", 400)
    assert api_error(lambda: create(c, "big", data="x" * 30721)) == ("InvalidParameter", 400)
    create(c, "max", data="x" * 30720)
    for tags in ('{"TagKey": "a"}', '[{"TagValue": "v"}]', '[{"TagKey": "acs:x", "TagValue": "v"}]', "not json",
                 '[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]'):
        assert api_error(lambda: create(c, "tagged", tags=tags)) == ("InvalidParameter", 400), tags
    assert api_error(lambda: create(c, "long-version", version="v" * 65)) == ("InvalidParameter", 400)


def test_list_paging_and_filters(emu):
    c = kms_client(emu)
    for name in ("e", "c", "a", "d", "b"):
        create(c, name, tags=f'[{{"TagKey":"name","TagValue":"{name}"}}]')

    def page(number, size, **extra):
        return c.list_secrets(kms.ListSecretsRequest(page_number=number, page_size=size, **extra)).body

    first = page(1, 2)
    assert (first.page_number, first.page_size, first.total_count) == (1, 2, 5)
    assert [s.secret_name for s in first.secret_list.secret] == ["a", "b"] and first.secret_list.secret[0].tags is None
    assert [s.secret_name for s in page(3, 2).secret_list.secret] == ["e"]
    assert page(4, 2).secret_list.secret == [] and page(4, 2).total_count == 5
    default = c.list_secrets(kms.ListSecretsRequest()).body
    assert (default.page_number, default.page_size, len(default.secret_list.secret)) == (1, 10, 5)
    entry = default.secret_list.secret[0]
    assert entry.secret_type == "Generic" and DATE_RE.fullmatch(entry.create_time) and entry.planned_delete_time is None
    by_name = page(1, 10, filters='[{"Key": "SecretName", "Values": ["b", "d", "zz"]}]', fetch_tags="true")
    assert [s.secret_name for s in by_name.secret_list.secret] == ["b", "d"] and by_name.total_count == 2
    assert [(t.tag_key, t.tag_value) for t in by_name.secret_list.secret[1].tags.tag] == [("name", "d")]
    by_tag = page(1, 10, filters='[{"Key": "TagValue", "Values": ["e"]}]')
    assert [s.secret_name for s in by_tag.secret_list.secret] == ["e"]
    for bad in ({"page_size": 101}, {"page_size": 0}, {"page_number": 0},
                {"filters": '[{"Key": "Nope", "Values": ["a"]}]'}, {"filters": '{"Key": "SecretName"}'}):
        assert api_error(lambda: c.list_secrets(kms.ListSecretsRequest(**bad))) == ("InvalidParameter", 400), bad


def test_update_secret(emu):
    c = kms_client(emu)
    create(c, "described", description="old")
    emu.admin("POST", "clock", {"offset_seconds": 120})
    assert c.update_secret(kms.UpdateSecretRequest(secret_name="described", description="new")).body.secret_name == \
        "described"
    after = c.describe_secret(kms.DescribeSecretRequest(secret_name="described")).body
    assert after.description == "new" and epoch(after.update_time) - epoch(after.create_time) >= 120
    assert api_error(lambda: c.update_secret(kms.UpdateSecretRequest(secret_name="missing", description="x"))) == \
        ("Forbidden.ResourceNotFound", 404)


# -- deletion ---------------------------------------------------------------------------------------------------------

def delete(client, name, **extra):
    return client.delete_secret(kms.DeleteSecretRequest(secret_name=name, **extra)).body


def test_deletion_window_keeps_the_name_and_refuses_use(emu):
    c = kms_client(emu)
    create(c, "doomed")
    before = time.time()
    deleted = delete(c, "doomed", recovery_window_in_days="7")
    assert deleted.secret_name == "doomed"
    assert abs(epoch(deleted.planned_delete_time) - (before + 7 * 86400)) < 5
    in_window = ("Rejected.ResourceInDeleteWindow", 409)
    assert api_error(lambda: get(c, "doomed")) == in_window
    assert api_error(lambda: put(c, "doomed", "v2", "x")) == in_window
    assert api_error(lambda: create(c, "doomed")) == in_window                 # the name stays taken
    assert api_error(lambda: delete(c, "doomed")) == in_window
    assert api_error(lambda: delete(c, "doomed", force_delete_without_recovery="true")) == in_window
    assert api_error(lambda: c.update_secret(kms.UpdateSecretRequest(secret_name="doomed", description="x"))) == \
        in_window
    described = c.describe_secret(kms.DescribeSecretRequest(secret_name="doomed")).body
    assert described.planned_delete_time == deleted.planned_delete_time
    listed = c.list_secrets(kms.ListSecretsRequest()).body.secret_list.secret
    assert [(s.secret_name, s.planned_delete_time) for s in listed] == [("doomed", deleted.planned_delete_time)]
    assert c.restore_secret(kms.RestoreSecretRequest(secret_name="doomed")).body.secret_name == "doomed"
    assert get(c, "doomed").secret_data == VALUE
    assert c.describe_secret(kms.DescribeSecretRequest(secret_name="doomed")).body.planned_delete_time is None
    assert api_error(lambda: c.restore_secret(kms.RestoreSecretRequest(secret_name="doomed"))) == \
        ("Rejected.ResourceInUse", 409)
    assert api_error(lambda: c.restore_secret(kms.RestoreSecretRequest(secret_name="never"))) == \
        ("Forbidden.ResourceNotFound", 404)


def test_default_window_is_30_days_and_it_ends(emu):
    c = kms_client(emu)
    create(c, "expiring")
    planned = epoch(delete(c, "expiring").planned_delete_time)
    assert abs(planned - (time.time() + 30 * 86400)) < 5
    emu.admin("POST", "clock", {"offset_seconds": 30 * 86400 - 60})
    assert api_error(lambda: get(c, "expiring")) == ("Rejected.ResourceInDeleteWindow", 409)
    emu.admin("POST", "clock", {"offset_seconds": 30 * 86400 + 60})
    assert api_error(lambda: get(c, "expiring")) == ("Forbidden.ResourceNotFound", 404)
    assert api_error(lambda: c.restore_secret(kms.RestoreSecretRequest(secret_name="expiring"))) == \
        ("Forbidden.ResourceNotFound", 404)
    assert c.list_secrets(kms.ListSecretsRequest()).body.total_count == 0
    create(c, "expiring", data="reborn")                                        # the name is free again
    assert get(c, "expiring").secret_data == "reborn"


def test_force_delete_and_window_bounds(emu):
    c = kms_client(emu)
    create(c, "gone")
    assert delete(c, "gone", force_delete_without_recovery="true").secret_name == "gone"
    assert api_error(lambda: get(c, "gone")) == ("Forbidden.ResourceNotFound", 404)
    assert api_error(lambda: delete(c, "gone")) == ("Forbidden.ResourceNotFound", 404)
    create(c, "gone", data="again")
    for days in ("6", "31", "x"):
        assert api_error(lambda: delete(c, "gone", recovery_window_in_days=days)) == ("InvalidParameter", 400), days
    assert api_error(lambda: delete(c, "gone", force_delete_without_recovery="maybe")) == ("InvalidParameter", 400)
    assert get(c, "gone").secret_data == "again"


# -- concurrency, faults, state -----------------------------------------------------------------------------------------

def test_concurrent_create_is_atomic(emu):
    outcomes, barrier = [], threading.Barrier(12)

    def creator(index):
        client = kms_client(emu)
        barrier.wait(timeout=10)
        try:
            create(client, "contended", data=f"value-of-{index}")
            outcomes.append(("ok", index))
        except TeaException as exc:
            outcomes.append((exc.code, index))

    threads = [threading.Thread(target=creator, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [index for code, index in outcomes if code == "ok"]
    assert len(outcomes) == 12 and len(winners) == 1
    assert sorted(code for code, _index in outcomes if code != "ok") == ["Rejected.ResourceExist"] * 11
    assert get(kms_client(emu), "contended").secret_data == f"value-of-{winners[0]}"


def test_faults_apply_to_kms_with_its_codes(emu, server):
    c = kms_client(emu)
    emu.admin("POST", "faults", {"throttle_rate": 1.0, "throttle_code": "Throttling.User"})
    assert api_error(lambda: c.list_secrets(kms.ListSecretsRequest())) == ("Rejected.Throttling", 429)
    emu.admin("DELETE", "faults")
    emu.admin("POST", "faults", {"error_rate": 1.0})
    assert api_error(lambda: c.list_secrets(kms.ListSecretsRequest())) == ("ServiceUnavailableTemporary", 503)
    emu.admin("DELETE", "faults")
    emu.admin("POST", "faults", {"one_shot": [{"action": "GetSecretValue", "code": "InternalFailure", "status": 500}]})
    create(c, "faulty")
    assert api_error(lambda: get(c, "faulty")) == ("InternalFailure", 500)
    assert get(c, "faulty").secret_data == VALUE
    emu.admin("POST", "faults", {"drop_after_commit": [{"action": "PutSecretValue", "count": 1}]})
    with pytest.raises(TeaException) as info:
        put(c, "faulty", "v2", "committed-then-dropped")
    assert info.value.code is None                          # a transport error: the write happened all the same
    assert get(c, "faulty").secret_data == "committed-then-dropped"
    emu.admin("POST", "faults", {"latency_ms": 100})
    started = time.monotonic()
    get(c, "faulty")
    assert time.monotonic() - started >= 0.1
    emu.admin("DELETE", "faults")
    frozen = time.monotonic()
    server.faults.clock = lambda: frozen
    try:
        emu.admin("POST", "faults", {"qps_limit": 1})
        get(c, "faulty")
        assert api_error(lambda: get(c, "faulty")) == ("Rejected.Throttling", 429)
    finally:
        server.faults.clock = time.monotonic


def test_counters_count_kms_calls(emu):
    c = kms_client(emu)
    emu.admin("POST", "counters/reset")
    create(c, "counted")
    get(c, "counted")
    api_error(lambda: get(c, "missing"))
    actions = emu.admin("GET", "counters")[1]["actions"]
    assert actions == {"CreateSecret": {"calls": 1, "write": True}, "GetSecretValue": {"calls": 2, "write": False}}


def test_values_are_issued_secrets_and_absent_from_the_state_dump(emu):
    c = kms_client(emu)
    create(c, "dumped", data="first-value-0001")
    put(c, "dumped", "v2", "second-value-0002")
    state = emu.admin("GET", "state")[1]
    assert set(state["kms_secrets"]["dumped"]["versions"]) == {"v1", "v2"}
    assert "first-value-0001" not in str(state) and "second-value-0002" not in str(state)
    issued = emu.admin("GET", "secrets")[1]["secrets"]
    assert "first-value-0001" in issued and "second-value-0002" in issued
    emu.admin("POST", "reset")
    assert api_error(lambda: get(c, "dumped")) == ("Forbidden.ResourceNotFound", 404)


def test_propagation_delay_does_not_apply_to_kms(emu):
    """KMS documents no propagation: a secret is readable as soon as CreateSecret returns (README "KMS secrets")."""
    emu.admin("POST", "modes", {"propagation_delay": 30})
    c = kms_client(emu)
    create(c, "at-once")
    assert get(c, "at-once").secret_data == VALUE
    put(c, "at-once", "v2", "second")
    assert get(c, "at-once").secret_data == "second"


class Remote(Emu):
    """Client factory for an emulator started from the command line (the key comes from its root key file)."""

    def __init__(self, env):
        self.endpoint = env["ALIBABA_CLOUD_RAM_ENDPOINT"]
        self.root = (env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])


def test_persistence_across_restart_and_quiet_verbose_logs(tmp_path):
    secret_value = "persisted-value-4f1c9a"
    process = start(tmp_path, "--verbose")
    try:
        remote = Remote(read_env(tmp_path / "root.env"))
        c = kms_client(remote, *remote.root)
        create(c, "aliyun-ram/kept", data=secret_value, tags='[{"TagKey":"k","TagValue":"v"}]')
        put(c, "aliyun-ram/kept", "v2", secret_value + "-2")
        create(c, "aliyun-ram/doomed", data=secret_value + "-3")
        delete(c, "aliyun-ram/doomed", recovery_window_in_days="10")
    finally:
        out1, err1 = stop(process)
    process = start(tmp_path, "--verbose")
    try:
        remote = Remote(read_env(tmp_path / "root.env"))
        c = kms_client(remote, *remote.root)
        assert get(c, "aliyun-ram/kept").secret_data == secret_value + "-2"
        assert get(c, "aliyun-ram/kept", version_stage="ACSPrevious").secret_data == secret_value
        assert api_error(lambda: get(c, "aliyun-ram/doomed")) == ("Rejected.ResourceInDeleteWindow", 409)
        described = c.describe_secret(kms.DescribeSecretRequest(secret_name="aliyun-ram/kept", fetch_tags="true")).body
        assert [(t.tag_key, t.tag_value) for t in described.tags.tag] == [("k", "v")]
    finally:
        out2, err2 = stop(process)
    logs = out1 + err1 + out2 + err2
    assert "CreateSecret 200" in err1 and "GetSecretValue 200" in err2     # --verbose did log the calls
    assert secret_value not in logs
