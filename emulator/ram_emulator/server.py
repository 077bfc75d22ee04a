"""HTTP front end: one port for RAM 2015-05-01, STS 2015-04-01, ActionTrail 2020-07-06 and the /_emulator/ admin API.

Every response (headers and body) goes out in ONE socket write with Content-Length and
TCP_NODELAY: a keep-alive client otherwise stalls ~40 ms per call (Nagle + delayed ACK).
"""

from __future__ import annotations

import json
import secrets
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable, Optional
from urllib.parse import parse_qsl

from ram_emulator import actiontrail, admin, errors
# Imported for its side effect: it registers the KMS 2016-01-20 actions.
from ram_emulator import kms  # noqa: F401  pylint: disable=unused-import
from ram_emulator.actions import Context, authorize, find_action
from ram_emulator.auth import NonceCache, SignedRequest, authenticate
from ram_emulator.faults import Counters, Faults
from ram_emulator.store import Store, format_date

MAX_BODY_BYTES = 1 << 20
ADMIN_PREFIX = "/_emulator/"
ADMIN_TOKEN_HEADER = "X-Emulator-Token"
HOST_IDS = {"2015-04-01": "sts.aliyuncs.com", actiontrail.VERSION: actiontrail.HOST, "2016-01-20": "kms.cn-hangzhou.aliyuncs.com"}
PRODUCTS = {"sts": "Sts", "actiontrail": "Actiontrail", "kms": "Kms"}     # by the first label of the HostId; Ram otherwise


class LocalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server on an IPv4 or IPv6 address that never asks DNS about itself."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)

    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can hang on isolated networks.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def port(self) -> int:
        return self.server_address[1]


class EmulatorServer(LocalHTTPServer):
    request_queue_size = 128

    def __init__(self, address, store: Store, faults: Optional[Faults] = None, verbose: bool = False,
                 admin_allow: Iterable[str] = (), admin_token: Optional[str] = None):
        super().__init__(address, Handler)
        self.store = store
        self.faults = faults or Faults()
        self.counters = Counters()
        self.nonces = NonceCache()
        self.verbose = verbose
        self.admin_networks = admin.bound_networks(address[0], admin_allow)
        # The admin API reads every issued secret: a caller must also send this token (X-Emulator-Token).
        self.admin_token = admin_token or secrets.token_urlsafe(32)

    def log(self, line: str) -> None:
        if self.verbose:
            sys.stderr.write(f"ram-emulator: {line}\n")
            sys.stderr.flush()


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def error_body(error: errors.ApiError, request_id: str, host_id: str) -> dict:
    product = PRODUCTS.get(host_id.split(".", 1)[0], "Ram")
    body = {"RequestId": request_id, "HostId": host_id, "Code": error.code, "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product={product}&requestId={request_id}"}
    body.update(error.extra)
    return body


def decode_params(raw: str) -> dict:
    """Wire query/form -> decoded parameters (``+`` is a space); non UTF-8 is an error."""
    try:
        return dict(parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise errors.ApiError(400, "InvalidParameter", "The request parameters are not valid UTF-8.") from None


def wire_text(value: str) -> str:
    """http.client decodes header bytes as latin-1; clients sign the UTF-8 text."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ram-emulator"
    server: EmulatorServer

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    # BaseHTTPRequestHandler logs every request to stderr with the full path (V2 signatures!).
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def send_error(self, code, message=None, explain=None):
        """Malformed HTTP (bad request line, huge headers, unknown method): JSON error, then close."""
        request_id = new_request_id()
        error = errors.ApiError(code, "InvalidRequest" if code < 500 else "InternalError",
                                message or self.responses.get(code, ("Error",))[0])
        self._respond(code, error_body(error, request_id, "ram.aliyuncs.com"), request_id, close=True)
        self.server.log(f"{self.client_address[0]} - {code} malformed request")

    def do_POST(self):
        self._dispatch()

    do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST

    # -- plumbing -----------------------------------------------------------------------------
    def _respond(self, status: int, body: dict, request_id: str, close: bool = False,
                 extra_headers: Iterable = ()) -> None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('Error',))[0]}",
                 "Content-Type: application/json;charset=utf-8", f"Content-Length: {len(payload)}",
                 f"Date: {self.date_time_string()}", "Server: ram-emulator", f"x-acs-request-id: {request_id}"]
        lines.extend(f"{name}: {value}" for name, value in extra_headers)
        if close:
            self.close_connection = True
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + (b"" if self.command == "HEAD" else payload))
        except OSError:
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise errors.ApiError(411, "InvalidRequest", "Chunked request bodies are not supported.")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise errors.ApiError(400, "InvalidRequest", "Invalid Content-Length.") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise errors.ApiError(413, "InvalidRequest", "The request body is too large.")
        return self.rfile.read(length) if length else b""

    def _drop_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self) -> None:
        started = time.monotonic()
        path, _sep, query = self.path.partition("?")
        request_id = new_request_id()
        try:
            body = self._read_body()
        except errors.ApiError as error:
            self._respond(error.status, error_body(error, request_id, "ram.aliyuncs.com"), request_id, close=True)
            return
        if path.startswith(ADMIN_PREFIX):
            status = self._admin(path, body, request_id)
            self.server.log(f"{self.client_address[0]} {self.command} {path} {status}")
            return
        label, status = self._api(path, query, body, request_id)
        self.server.log(f"{self.client_address[0]} {label} {status} {(time.monotonic() - started) * 1000:.1f}ms")

    # -- API ----------------------------------------------------------------------------------
    def _api(self, path: str, query: str, body: bytes, request_id: str):
        server = self.server
        headers = {name.lower(): wire_text(value) for name, value in self.headers.items()}
        host_id = "ram.aliyuncs.com"
        label = "-"
        act = principal = params = None
        try:
            query_params = decode_params(query)
            params = dict(query_params)
            if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                try:
                    params.update(decode_params(body.decode("utf-8")))
                except UnicodeDecodeError:
                    raise errors.ApiError(400, "InvalidParameter", "The request body is not valid UTF-8.") from None
            version = headers.get("x-acs-version") or params.get("Version")
            host_id = HOST_IDS.get(version or "", host_id)
            if path not in ("", "/"):
                raise errors.action_not_found()
            act = find_action(version, headers.get("x-acs-action") or params.get("Action"))
            label = act.name
            principal = authenticate(SignedRequest(self.command, "/", params, headers, body, query_params),
                                     server.store, server.nonces)
            if principal.kind != "AssumedRoleUser":
                with server.store.lock:
                    server.store.record_use(principal.access_key_id)
            server.counters.record(act.name, act.write)
            latency = server.faults.latency_seconds()
            if latency:
                time.sleep(latency)
            server.faults.check(act.name, principal.access_key_id, act.product)
            authorize(server.store, principal, act, params)
            result = self._run(act, principal, params)
            # Recorded before the answer goes out: a client that looks its call up right after finds it.
            self._record(act, principal, params, headers, request_id)
            if server.faults.take_drop(act.name):
                self._drop_connection()
                return label, "dropped"
            result["RequestId"] = request_id
            self._respond(200, result, request_id)
            return label, 200
        except errors.ApiError as error:
            if principal is not None:
                self._record(act, principal, params, headers, request_id, error)
            extra = [("x-acs-retry-after", str(error.retry_after_ms))] if error.retry_after_ms > 0 else []
            self._respond(error.status, error_body(error, request_id, host_id), request_id, extra_headers=extra)
            return label, f"{error.status} {error.code}"
        except Exception:  # noqa: BLE001 - the server must answer, never crash
            sys.stderr.write(f"ram-emulator: internal error in {label}\n")
            if server.verbose:
                traceback.print_exc()
            if principal is not None:
                self._record(act, principal, params, headers, request_id, errors.internal_error())
            self._respond(500, error_body(errors.internal_error(), request_id, host_id), request_id)
            return label, 500

    def _record(self, act, principal, params, headers, request_id, error=None) -> None:
        """Keep the call as an ActionTrail event: every authenticated call of a known action, as the counters count."""
        try:
            actiontrail.record_call(self.server.store, principal, act, request_id=request_id,
                                    client_address=self.client_address[0], user_agent=headers.get("user-agent"),
                                    params=params, error=error)
        except Exception:  # noqa: BLE001 - a record that cannot be made must not fail the call
            sys.stderr.write(f"ram-emulator: cannot record {act.name} as an event\n")

    def _run(self, act, principal, params) -> dict:
        """Run the handler: a write on the latest state inside a write transaction, a read on the propagated view."""
        store = self.server.store
        with store.lock:
            if not act.write:
                return act.handler(Context(store, principal, params, view=store.view()))
            store.begin_write()
            try:
                result = act.handler(Context(store, principal, params))
            except BaseException:
                store.abort_write()
                raise
            delay = self.server.faults.take_propagation(act.name)
            store.commit_write(store.modes.propagation_delay if delay is None else delay)
            store.save()
            return result

    # -- admin API ----------------------------------------------------------------------------
    def _admin(self, path: str, body: bytes, request_id: str) -> int:
        server = self.server
        if not admin.client_allowed(self.client_address[0], server.admin_networks):
            self._respond(403, {"Code": "Emulator.Forbidden",
                                "error": "admin API is only available from loopback or the local subnet"}, request_id)
            return 403
        if not admin.token_matches(self.headers.get(ADMIN_TOKEN_HEADER), server.admin_token):
            self._respond(401, {"Code": "Emulator.Unauthorized",
                                "error": f"admin API needs the {ADMIN_TOKEN_HEADER} header with the token from the "
                                         "emulator's admin token file (--admin-token-file)"}, request_id)
            return 401
        route = (self.command, path[len(ADMIN_PREFIX):].rstrip("/"))
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            self._respond(400, {"error": "body must be JSON"}, request_id)
            return 400
        try:
            result = self._admin_route(route, payload)
        except ValueError as exc:
            self._respond(400, {"error": str(exc)}, request_id)
            return 400
        if result is None:
            self._respond(404, {"error": f"no admin route {route[0]} {path}"}, request_id)
            return 404
        self._respond(200, result, request_id)
        return 200

    def _admin_route(self, route, payload):
        server = self.server
        if route == ("GET", "health"):
            return {"ok": True}
        if route == ("GET", "counters"):
            return server.counters.snapshot()
        if route == ("POST", "counters/reset"):
            server.counters.reset()
            return {"ok": True}
        if route == ("POST", "reset"):
            server.store.reset()
            return {"ok": True}
        if route == ("GET", "faults"):
            return server.faults.snapshot()
        if route == ("POST", "faults"):
            return server.faults.merge(payload)
        if route == ("DELETE", "faults"):
            server.faults.clear()
            return server.faults.snapshot()
        if route == ("GET", "secrets"):
            return {"secrets": server.store.issued_secrets()}
        if route == ("GET", "state"):
            return server.store.dump()
        if route == ("GET", "modes"):
            return server.store.modes.snapshot()
        if route == ("POST", "modes"):
            return server.store.modes.merge(payload)
        if route == ("DELETE", "modes"):
            return server.store.modes.reset()
        if route == ("GET", "propagation"):
            return server.store.pending_summary()
        if route == ("POST", "propagation/flush"):
            return {"flushed": server.store.flush_pending()}
        if route == ("GET", "events"):
            return actiontrail.listing(server.store)
        if route == ("POST", "events"):
            return actiontrail.inject(server.store, payload)
        if route == ("DELETE", "events"):
            return {"cleared": server.store.clear_events()}
        if route == ("GET", "clock"):
            return {"offset_seconds": server.store.clock_offset, "now": format_date(server.store.now())}
        if route == ("POST", "clock"):
            offset = payload.get("offset_seconds") if isinstance(payload, dict) else None
            if isinstance(offset, bool) or not isinstance(offset, (int, float)):
                raise ValueError("offset_seconds must be a number")
            # Moving the clock back is a test making something old: what was written before has propagated (a write
            # still pending would otherwise stay invisible until the clock caught up again). Forward, it propagates.
            if float(offset) < server.store.clock_offset:
                server.store.flush_pending()
            server.store.clock_offset = float(offset)
            return {"offset_seconds": server.store.clock_offset, "now": format_date(server.store.now())}
        return None


def start_in_thread(store: Store, host: str = "127.0.0.1", port: int = 0, **kwargs):
    """Start a server on a background daemon thread; returns it (``server.shutdown()`` to stop)."""
    server = EmulatorServer((host, port), store, **kwargs)
    thread = threading.Thread(target=server.serve_forever, name="ram-emulator", daemon=True)
    thread.start()
    return server
