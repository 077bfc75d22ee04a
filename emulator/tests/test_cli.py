"""The command line in a subprocess: key files, port file, persistence across restarts, quiet logs."""

from __future__ import annotations

import http.client
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ram
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.utils_models import Config

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def start(tmp: Path, *extra: str):
    (tmp / "port").unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "ram_emulator", "--host", "127.0.0.1", "--port", "0", "--port-file", str(tmp / "port"),
         "--state", str(tmp / "state.json"), "--root-key-file", str(tmp / "root.env"),
         "--admin-key-file", str(tmp / "admin.env"), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ((tmp / "port").exists() and (tmp / "port").read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"emulator did not start: {process.communicate()}")
        time.sleep(0.02)
    return process


def stop(process) -> tuple:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    return out, err


def read_env(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def clients(env: dict, v2=False):
    config = Config(access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                    access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                    endpoint=env["ALIBABA_CLOUD_RAM_ENDPOINT"], protocol="http")
    if v2:
        config.signature_algorithm = "v2"
    return RamClient(config), StsClient(config)


def test_cli_files_persistence_and_quiet_logs(tmp_path):
    process = start(tmp_path, "--verbose")
    try:
        port = (tmp_path / "port").read_text().strip()
        root_env, admin_env = read_env(tmp_path / "root.env"), read_env(tmp_path / "admin.env")
        assert set(root_env) == {"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                                 "ALIBABA_CLOUD_RAM_ENDPOINT", "ALIBABA_CLOUD_STS_ENDPOINT"}
        assert root_env["ALIBABA_CLOUD_RAM_ENDPOINT"] == root_env["ALIBABA_CLOUD_STS_ENDPOINT"] == f"127.0.0.1:{port}"
        for name in ("root.env", "admin.env", "state.json"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        root_ram, root_sts = clients(root_env, v2=True)
        root_ram.create_user(ram.CreateUserRequest(user_name="persisted"))
        made = root_ram.create_access_key(ram.CreateAccessKeyRequest(user_name="persisted")).body.access_key
        assert root_sts.get_caller_identity().body.identity_type == "Account"
        admin_identity = clients(admin_env)[1].get_caller_identity().body
        assert (admin_identity.identity_type, admin_identity.arn.split("/")[-1]) == ("RAMUser", "ram-admin")
    finally:
        out, err = stop(process)
    assert str(tmp_path / "root.env") in out
    assert "CreateUser 200" in err and "GetCallerIdentity 200" in err
    for secret in (root_env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], made.access_key_secret, "Signature"):
        assert secret not in out + err

    process = start(tmp_path)
    try:
        assert read_env(tmp_path / "root.env")["ALIBABA_CLOUD_ACCESS_KEY_ID"] == \
            root_env["ALIBABA_CLOUD_ACCESS_KEY_ID"]
        root_ram = clients(read_env(tmp_path / "root.env"))[0]
        assert root_ram.get_user(ram.GetUserRequest(user_name="persisted")).body.user.user_name == "persisted"
        keys = root_ram.list_access_keys(ram.ListAccessKeysRequest(user_name="persisted")).body.access_keys
        assert [k.access_key_id for k in keys.access_key] == [made.access_key_id]
        session_env = dict(read_env(tmp_path / "root.env"), ALIBABA_CLOUD_ACCESS_KEY_ID=made.access_key_id,
                           ALIBABA_CLOUD_ACCESS_KEY_SECRET=made.access_key_secret)
        assert clients(session_env)[1].get_caller_identity().body.identity_type == "RAMUser"
    finally:
        stop(process)


def admin_call(port: str, path: str, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    try:
        conn.request("GET", "/_emulator/" + path, headers={} if token is None else {"X-Emulator-Token": token})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_admin_token_file(tmp_path):
    """By default admin.token next to the root key file: 0600, a new token at every start, needed by the admin API."""
    process = start(tmp_path)
    try:
        port = (tmp_path / "port").read_text().strip()
        token_file = tmp_path / "admin.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600 and token_file.is_file()
        token = token_file.read_text().strip()
        assert len(token) >= 32
        assert admin_call(port, "health", token) == (200, {"ok": True})
        assert admin_call(port, "secrets")[0] == 401
        assert admin_call(port, "secrets", "not-" + token)[0] == 401
        assert admin_call(port, "secrets", token)[0] == 200
    finally:
        out, _err = stop(process)
    assert str(token_file) in out and token not in out

    process = start(tmp_path)
    try:
        port = (tmp_path / "port").read_text().strip()
        new_token = token_file.read_text().strip()
        assert new_token != token and stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert admin_call(port, "health", token)[0] == 401
        assert admin_call(port, "health", new_token)[0] == 200
    finally:
        stop(process)


def test_admin_token_file_option_replaces_a_symlink(tmp_path):
    """--admin-token-file names the file; it is created afresh (temp file + rename), never written through a link."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("do not touch\n")
    elsewhere.chmod(0o644)
    token_file = tmp_path / "private" / "token"
    token_file.parent.mkdir()
    token_file.symlink_to(elsewhere)
    process = start(tmp_path, "--admin-token-file", str(token_file))
    try:
        port = (tmp_path / "port").read_text().strip()
        assert not token_file.is_symlink() and stat.S_IMODE(token_file.lstat().st_mode) == 0o600
        assert elsewhere.read_text() == "do not touch\n"
        assert not (tmp_path / "admin.token").exists()
        assert admin_call(port, "health", token_file.read_text().strip())[0] == 200
    finally:
        stop(process)


def test_corrupt_state_refuses_to_start(tmp_path):
    (tmp_path / "state.json").write_text("{not json")
    result = subprocess.run([sys.executable, "-m", "ram_emulator", "--state", str(tmp_path / "state.json"),
                             "--root-key-file", str(tmp_path / "root.env")],
                            env=dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT)), capture_output=True, text=True, check=False,
                            timeout=30)
    assert result.returncode == 2 and "state file" in result.stderr
    assert (tmp_path / "state.json").read_text() == "{not json"
