"""The strictness flags on the command line: propagation delay, last-use lag, throttling code, key error style."""

from __future__ import annotations

import subprocess
import sys

from conftest import api_error, ram
from test_cli import PACKAGE_ROOT, admin_call, clients, read_env, start, stop


def test_strictness_flags_set_the_start_modes(tmp_path):
    process = start(tmp_path, "--propagation-delay", "30", "--last-used-lag", "7200", "--throttle-code",
                    "Rejected.Throttling", "--access-key-error", "bare")
    try:
        port = (tmp_path / "port").read_text().strip()
        token = (tmp_path / "admin.token").read_text().strip()
        status, modes = admin_call(port, "modes", token)
        assert status == 200 and (modes["propagation_delay"], modes["last_used_lag"], modes["access_key_error"]) == \
            (30.0, 7200.0, "bare")
        assert admin_call(port, "faults", token)[1]["throttle_code"] == "Rejected.Throttling"
        ram_client = clients(read_env(tmp_path / "root.env"))[0]
        ram_client.create_user(ram.CreateUserRequest(user_name="flagged"))
        assert api_error(lambda: ram_client.get_user(ram.GetUserRequest(user_name="flagged"))) == \
            ("EntityNotExist.User", 404)
        assert [p["key"] for p in admin_call(port, "propagation", token)[1]["pending"]] == ["flagged"]
    finally:
        stop(process)


def test_bad_strictness_flags_refuse_to_start(tmp_path):
    for flags in (["--propagation-delay", "-1"], ["--last-used-lag", "1e9"], ["--throttle-code", "Slow"]):
        result = subprocess.run([sys.executable, "-m", "ram_emulator", "--port", "0", "--state",
                                 str(tmp_path / "state.json"), *flags], cwd=PACKAGE_ROOT, capture_output=True,
                                text=True, timeout=30, check=False)
        assert result.returncode == 2, flags
