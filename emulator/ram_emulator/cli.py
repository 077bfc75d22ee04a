"""Command line: ``ram-emulator`` / ``python -m ram_emulator``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from typing import Optional

from ram_emulator import __version__
from ram_emulator.faults import THROTTLE_CODES, Faults
from ram_emulator.metadata import MetadataServer
from ram_emulator.modes import ACCESS_KEY_ERROR_STYLES, Modes
from ram_emulator.server import EmulatorServer
from ram_emulator.store import Store, StateFileError, write_private_file

ADMIN_TOKEN_FILE_NAME = "admin.token"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ram-emulator", description=(
        "Local Alibaba Cloud RAM 2015-05-01 + STS 2015-04-01 (+ ActionTrail 2020-07-06 LookupEvents) endpoint for the official SDKs "
        "(Config(endpoint='HOST:PORT', protocol='http'))."))
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)")
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    parser.add_argument("--state", help="JSON state file (atomically replaced on every change); default in memory")
    parser.add_argument("--root-key-file", help="where to write the account root key env file (mode 0600); "
                        "default: root.env next to --state, else in a new temporary directory")
    parser.add_argument("--admin-key-file", help="seed RAM user ram-admin (AdministratorAccess) and write its key "
                        "env file here (mode 0600)")
    parser.add_argument("--admin-token-file", help="where to write the admin API token (mode 0600, replaced "
                        "atomically at every start); every /_emulator/ request must send it in the X-Emulator-Token "
                        f"header. Default: {ADMIN_TOKEN_FILE_NAME} in the directory of the root key file")
    parser.add_argument("--latency-ms", type=int, default=0, help="added latency per API call")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="fraction of calls answered Throttling.User")
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of calls answered 503 ServiceUnavailable")
    parser.add_argument("--qps-limit", type=int, default=0, help="calls per second per AccessKey before Throttling.User")
    parser.add_argument("--throttle-retry-after-ms", type=int, default=0,
                        help="send x-acs-retry-after with injected throttling (0: no header)")
    parser.add_argument("--throttle-code", choices=THROTTLE_CODES, default="Throttling.User",
                        help="error code of injected throttling and of the QPS limit (default Throttling.User)")
    parser.add_argument("--propagation-delay", type=float, default=0.0, metavar="SECONDS",
                        help="eventual consistency: reads (List*/Get*, authentication, authorization) see a write only "
                        "this many seconds after it (default 0: at once)")
    parser.add_argument("--last-used-lag", type=float, default=0.0, metavar="SECONDS",
                        help="GetAccessKeyLastUsed reports a use of a key only this many seconds after it (real RAM: up "
                        "to about 7200; default 0)")
    parser.add_argument("--access-key-error", choices=ACCESS_KEY_ERROR_STYLES, default="specific",
                        help="answer an unknown or disabled key with InvalidAccessKeyId.NotFound/.Inactive (specific, "
                        "the default) or with a bare InvalidAccessKeyId (bare)")
    parser.add_argument("--admin-allow", action="append", default=[], metavar="CIDR",
                        help="also allow the admin API from this network (repeatable)")
    parser.add_argument("--metadata-host", help="also serve the ECS instance metadata service's RAM role credentials "
                        "on this address (an ECS instance reads them from 100.100.100.200; bind that address only "
                        "inside a network namespace)")
    parser.add_argument("--metadata-port", type=int, default=80, help="port of the metadata service (default 80)")
    parser.add_argument("--instance-role", help="name of the RAM role attached to the emulated instance; it must "
                        "exist and trust ecs.aliyuncs.com when its credentials are asked for")
    parser.add_argument("--metadata-require-token", action="store_true",
                        help="hardened mode: answer 401 to metadata reads without an IMDSv2 token")
    parser.add_argument("--verbose", action="store_true", help="log one line per request to stderr (no secrets)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def endpoint(host: str, port: int) -> str:
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def key_env(key: dict, endpoint_value: str) -> str:
    return (f"ALIBABA_CLOUD_ACCESS_KEY_ID={key['AccessKeyId']}\n"
            f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={key['secret']}\n"
            f"ALIBABA_CLOUD_RAM_ENDPOINT={endpoint_value}\n"
            f"ALIBABA_CLOUD_STS_ENDPOINT={endpoint_value}\n")


def default_root_key_file(state: Optional[str]) -> str:
    if state:
        return os.path.join(os.path.dirname(os.path.abspath(state)), "root.env")
    return os.path.join(tempfile.mkdtemp(prefix="ram-emulator-"), "root.env")


def default_admin_token_file(root_key_file: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(root_key_file)), ADMIN_TOKEN_FILE_NAME)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faults = Faults(latency_ms=args.latency_ms, throttle_rate=args.throttle_rate, error_rate=args.error_rate,
                        qps_limit=args.qps_limit, throttle_retry_after_ms=args.throttle_retry_after_ms,
                        throttle_code=args.throttle_code)
        modes = Modes(propagation_delay=args.propagation_delay, last_used_lag=args.last_used_lag,
                      access_key_error=args.access_key_error)
    except ValueError as exc:
        print(f"ram-emulator: {exc}", file=sys.stderr)
        return 2
    try:
        store = Store(args.state, seed_admin=bool(args.admin_key_file), modes=modes)
    except StateFileError as exc:
        print(f"ram-emulator: {exc}", file=sys.stderr)
        return 2
    try:
        server = EmulatorServer((args.host, args.port), store, faults=faults, verbose=args.verbose,
                                admin_allow=args.admin_allow)
    except (OSError, ValueError) as exc:
        print(f"ram-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    metadata = None
    if args.metadata_host:
        try:
            metadata = MetadataServer((args.metadata_host, args.metadata_port), store, args.instance_role,
                                      require_token=args.metadata_require_token)
        except (OSError, ValueError) as exc:
            print(f"ram-emulator: cannot listen on {args.metadata_host}:{args.metadata_port}: {exc}", file=sys.stderr)
            server.server_close()
            return 2
        threading.Thread(target=metadata.serve_forever, name="ram-emulator-metadata", daemon=True).start()

    # Installed before the banner and the port file: whoever sees either may already send SIGTERM for a clean stop.
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        where = endpoint(args.host, server.port)
        root_key_file = args.root_key_file or default_root_key_file(args.state)
        admin_token_file = args.admin_token_file or default_admin_token_file(root_key_file)
        with store.lock:
            write_private_file(root_key_file, key_env(store.seed_key("root"), where))
            if args.admin_key_file:
                write_private_file(args.admin_key_file, key_env(store.seed_key("admin"), where))
        # A new token at every start, written before the port file: a client that waits for the port finds it.
        write_private_file(admin_token_file, server.admin_token + "\n")
        if args.port_file:
            write_private_file(args.port_file, f"{server.port}\n")
        print(f"ram-emulator {__version__} listening on http://{where} (RAM 2015-05-01, STS 2015-04-01, ActionTrail 2020-07-06)",
              flush=True)
        print(f"ram-emulator: root key file {os.path.abspath(root_key_file)}", flush=True)
        if args.admin_key_file:
            print(f"ram-emulator: ram-admin key file {os.path.abspath(args.admin_key_file)}", flush=True)
        if metadata is not None:
            print(f"ram-emulator: ECS instance metadata on http://{endpoint(args.metadata_host, metadata.port)} "
                  f"(instance role: {args.instance_role or 'none'})", flush=True)
        print(f"ram-emulator: admin API token file {os.path.abspath(admin_token_file)}", flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if metadata is not None:
            metadata.shutdown()
            metadata.server_close()
        with store.lock:
            store.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
