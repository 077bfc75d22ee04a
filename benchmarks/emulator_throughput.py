"""Sequential SDK call throughput against the RAM emulator (prints figures; never a timed test).

Starts ``python -m ram_emulator`` on a free port in a subprocess, makes N sequential GetUser
calls through the official SDK on one client (keep-alive), and prints calls/s and latency
percentiles. Usage: emulator_throughput.py [-n 1000] [--v2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EMULATOR_SRC = Path(__file__).resolve().parent.parent / "emulator"


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        if process.poll() is not None:
            raise SystemExit(f"emulator exited early with status {process.returncode}")
        time.sleep(0.05)
    raise SystemExit("emulator did not start in time")


def percentile(sorted_values, fraction: float) -> float:
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--calls", type=int, default=1000)
    parser.add_argument("--v2", action="store_true", help="sign with RPC HMAC-SHA1 instead of ACS3-HMAC-SHA256")
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)

    from alibabacloud_ram20150501 import models
    from alibabacloud_ram20150501.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    with tempfile.TemporaryDirectory(prefix="ram-emulator-bench-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(EMULATOR_SRC),
                                                                        os.environ.get("PYTHONPATH")])))
        process = subprocess.Popen([sys.executable, "-m", "ram_emulator", "--host", "127.0.0.1", "--port", "0",
                                    "--port-file", str(work / "port"), "--root-key-file", str(work / "root.env")],
                                   env=env, stdout=subprocess.DEVNULL)
        try:
            wait_for(work / "port", process)
            key = dict(line.split("=", 1) for line in (work / "root.env").read_text().split())
            config = Config(access_key_id=key["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                            access_key_secret=key["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                            endpoint=key["ALIBABA_CLOUD_RAM_ENDPOINT"], protocol="http")
            if args.v2:
                config.signature_algorithm = "v2"
            client = Client(config)
            client.create_user(models.CreateUserRequest(user_name="bench-user"))
            request = models.GetUserRequest(user_name="bench-user")
            client.get_user(request)  # warm-up: connection and first-call costs
            latencies = []
            started = time.perf_counter()
            for _i in range(args.calls):
                t0 = time.perf_counter()
                client.get_user(request)
                latencies.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=10)
    latencies.sort()
    print(f"signature: {'RPC HMAC-SHA1 (v2)' if args.v2 else 'ACS3-HMAC-SHA256 (v3)'}")
    print(f"calls: {args.calls}  elapsed: {elapsed:.3f} s  throughput: {args.calls / elapsed:.0f} calls/s")
    print("latency ms: " + "  ".join(f"p{int(f * 100)}={percentile(latencies, f):.2f}" for f in (0.5, 0.9, 0.99))
          + f"  max={latencies[-1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
