"""The ECS instance metadata service: IMDSv2 tokens and the attached RAM role's STS credentials."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading

import pytest

from conftest import api_error, ram, sts

from ram_emulator.metadata import MetadataServer

ROLE = "EcsOps"


def ecs_trust(service="ecs.aliyuncs.com"):
    return json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": [service]}}]})


def serve(store, role=ROLE, **kwargs):
    metadata = MetadataServer(("127.0.0.1", 0), store, role, **kwargs)
    threading.Thread(target=metadata.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return metadata


def stop(metadata):
    metadata.shutdown()
    metadata.server_close()


@pytest.fixture
def imds(server):
    metadata = serve(server.store)
    yield metadata
    stop(metadata)


def fetch(metadata, method, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", metadata.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def make_role(emu, trust=None, policy="AliyunRAMReadOnlyAccess"):
    c = emu.ram()
    c.create_role(ram.CreateRoleRequest(role_name=ROLE, assume_role_policy_document=trust or ecs_trust()))
    c.attach_policy_to_role(ram.AttachPolicyToRoleRequest(role_name=ROLE, policy_type="System", policy_name=policy))


def token(metadata, ttl="21600"):
    status, body = fetch(metadata, "PUT", "/latest/api/token", {"X-aliyun-ecs-metadata-token-ttl-seconds": ttl})
    assert status == 200, body
    return body


def test_role_credentials_are_an_sts_session_of_the_instance_role(emu, imds):
    make_role(emu)
    assert fetch(imds, "GET", "/latest/meta-data/ram/security-credentials/") == (200, ROLE)
    status, body = fetch(imds, "GET", "/latest/meta-data/ram/security-credentials/" + ROLE,
                         {"X-aliyun-ecs-metadata-token": token(imds)})
    assert status == 200
    credentials = json.loads(body)
    assert credentials["Code"] == "Success" and credentials["AccessKeyId"].startswith("STS.")
    assert credentials["Expiration"].endswith("Z") and credentials["SecurityToken"]
    # the RAM/STS endpoint accepts the session, as the role, with the role's policies
    c = emu.sts(credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"])
    identity = c.get_caller_identity().body
    assert identity.identity_type == "AssumedRoleUser"
    assert identity.arn.endswith(":assumed-role/ecsops/vm-ram-i-emulator0000000000")
    reader = emu.ram(credentials["AccessKeyId"], credentials["AccessKeySecret"], credentials["SecurityToken"])
    assert reader.get_user(ram.GetUserRequest(user_name="ram-admin")).body.user.user_name == "ram-admin"
    assert api_error(lambda: reader.create_user(ram.CreateUserRequest(user_name="nope")))[1] == 403
    # the secret and the token count as issued secrets (the leak scans search for them)
    issued = emu.server.store.state["issued_secrets"]
    assert credentials["AccessKeySecret"] in issued and credentials["SecurityToken"] in issued


def test_metadata_tokens_count_as_issued_secrets(imds):
    """Fails if MetadataServer.new_token stops calling Store.remember_secret: the leak scans would not search for
    the metadata session tokens a run obtained."""
    issued = token(imds)
    assert issued in imds.store.issued_secrets()


def test_imdsv1_read_without_token_is_allowed_unless_hardened(emu, server, imds):
    make_role(emu)
    assert fetch(imds, "GET", "/latest/meta-data/ram/security-credentials/" + ROLE)[0] == 200
    hardened = serve(server.store, require_token=True)
    try:
        assert fetch(hardened, "GET", "/latest/meta-data/ram/security-credentials/" + ROLE)[0] == 401
        assert fetch(hardened, "GET", "/latest/meta-data/ram/security-credentials/" + ROLE,
                     {"X-aliyun-ecs-metadata-token": token(hardened)})[0] == 200
    finally:
        stop(hardened)


@pytest.mark.parametrize("ttl", ["0", "21601", "x", ""])
def test_token_ttl_is_checked(imds, ttl):
    status, dummy = fetch(imds, "PUT", "/latest/api/token", {"X-aliyun-ecs-metadata-token-ttl-seconds": ttl})
    assert status == 400


@pytest.mark.parametrize("length", ["x", "-1", "100000"])
def test_bad_content_length_is_refused(imds, length):
    conn = http.client.HTTPConnection("127.0.0.1", imds.port, timeout=5)
    try:
        conn.putrequest("PUT", "/latest/api/token")
        conn.putheader("X-aliyun-ecs-metadata-token-ttl-seconds", "60")
        conn.putheader("Content-Length", length)
        conn.endheaders()
        assert conn.getresponse().status == 400
    finally:
        conn.close()


def test_unknown_token_is_refused(emu, imds):
    make_role(emu)
    status, dummy = fetch(imds, "GET", "/latest/meta-data/ram/security-credentials/" + ROLE,
                          {"X-aliyun-ecs-metadata-token": "made-up"})
    assert status == 401


@pytest.mark.parametrize("case", ["other name", "role missing", "role does not trust ECS"])
def test_no_credentials_but_the_attached_role_trusting_ecs(emu, imds, case):
    if case == "role does not trust ECS":
        make_role(emu, trust=ecs_trust("fc.aliyuncs.com"))
    elif case == "other name":
        make_role(emu)
    name = "SomeOtherRole" if case == "other name" else ROLE
    assert fetch(imds, "GET", "/latest/meta-data/ram/security-credentials/" + name)[0] == 404
    assert emu.server.store.state["sessions"] == {}


def test_no_instance_role_attached(server):
    bare = serve(server.store, role=None)
    try:
        assert fetch(bare, "GET", "/latest/meta-data/ram/security-credentials/")[0] == 404
        assert fetch(bare, "GET", "/latest/meta-data/ram/security-credentials/" + ROLE)[0] == 404
    finally:
        stop(bare)


def test_cli_serves_metadata_next_to_the_api(tmp_path):
    port_file = tmp_path / "port"
    proc = subprocess.Popen([sys.executable, "-m", "ram_emulator", "--port-file", str(port_file),
                             "--root-key-file", str(tmp_path / "root.env"), "--metadata-host", "127.0.0.1",
                             "--metadata-port", "0", "--instance-role", ROLE],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = [proc.stdout.readline() for dummy in range(3)]
        assert "ECS instance metadata on http://127.0.0.1:" in banner[2] and "instance role: EcsOps" in banner[2]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_sts_module_is_untouched_by_metadata(emu):
    # AssumeRole still refuses a role that trusts only the ECS service
    make_role(emu)
    key_id, secret = emu.user_with_key("assumer", "AliyunSTSAssumeRoleAccess")
    account = emu.server.store.state["account_id"]
    request = sts.AssumeRoleRequest(role_arn=f"acs:ram::{account}:role/{ROLE.lower()}", role_session_name="s1")
    assert api_error(lambda: emu.sts(key_id, secret).assume_role(request))[1] == 403
