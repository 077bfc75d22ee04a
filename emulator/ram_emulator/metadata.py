"""The ECS instance metadata service's RAM role credentials (what ``ecs_role_name`` reads).

An ECS instance with an attached RAM role gets that role's STS credentials from
``http://100.100.100.200/latest/meta-data/ram/security-credentials/<role>``; the hardened mode (IMDSv2) first asks
``PUT /latest/api/token`` for a session token and sends it as ``X-aliyun-ecs-metadata-token``. This server answers
those paths for one emulated instance. The sessions it mints are the emulator's STS sessions, so the RAM/STS
endpoint accepts them like AssumeRole's.

The role must exist in the emulated account and trust the ECS service (``"Service": ["ecs.aliyuncs.com"]`` in its
trust policy), as for attaching it to a real instance; otherwise the credentials path answers 404.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Optional

from ram_emulator.server import LocalHTTPServer
from ram_emulator.store import Store, format_date

CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/"
TOKEN_PATH = "/latest/api/token"
TOKEN_TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"
MAX_TOKEN_TTL = 21600
INSTANCE_ID = "i-emulator0000000000"
SESSION_SECONDS = 3600
ECS_SERVICE = "ecs.aliyuncs.com"
MAX_BODY_BYTES = 4096       # the token request has no body


def trusts_ecs(role: dict) -> bool:
    try:
        statements = json.loads(role["AssumeRolePolicyDocument"]).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    for statement in statements:
        services = (statement.get("Principal") or {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        if statement.get("Effect") == "Allow" and ECS_SERVICE in services:
            return True
    return False


class MetadataServer(LocalHTTPServer):
    def __init__(self, address, store: Store, instance_role: Optional[str], require_token: bool = False):
        super().__init__(address, MetadataHandler)
        self.store = store
        self.instance_role = instance_role
        self.require_token = require_token
        self.tokens = {}            # token -> expiry (monotonic)
        self.tokens_lock = threading.Lock()

    def new_token(self, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        with self.tokens_lock:
            now = time.monotonic()
            self.tokens = {t: expiry for t, expiry in self.tokens.items() if expiry > now}
            self.tokens[token] = now + ttl
        # a metadata token is a credential of the instance: the leak scans search for it like any issued secret
        self.store.remember_secret(token)
        return token

    def token_valid(self, token: str) -> bool:
        with self.tokens_lock:
            return self.tokens.get(token, 0) > time.monotonic()

    def role_credentials(self, role_name: str) -> Optional[dict]:
        """The instance role's STS credentials, or None when it is not attached, gone, or does not trust ECS."""
        if not self.instance_role or role_name != self.instance_role:
            return None
        with self.store.lock:
            role = next((r for r in self.store.state["roles"].values() if r["RoleName"] == role_name), None)
            if role is None or not trusts_ecs(role):
                return None
            session = self.store.new_session(role, "vm-ram-" + INSTANCE_ID, SESSION_SECONDS)
            self.store.save()
            return {"AccessKeyId": session["AccessKeyId"], "AccessKeySecret": session["secret"],
                    "SecurityToken": session["token"], "Expiration": format_date(session["expiration"]),
                    "LastUpdated": self.store.now_str(), "Code": "Success"}


class MetadataHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ram-emulator-metadata"
    server: MetadataServer

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def _reply(self, status: int, text: str, content_type: str = "text/plain") -> None:
        payload = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_PUT(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(400, "Bad Content-Length")
            return
        if length:
            self.rfile.read(length)
        if self.path != TOKEN_PATH:
            self._reply(404, "Not Found")
            return
        try:
            ttl = int(self.headers.get(TOKEN_TTL_HEADER, ""))
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            self._reply(400, f"{TOKEN_TTL_HEADER} must be 1-{MAX_TOKEN_TTL}")
            return
        self._reply(200, self.server.new_token(ttl))

    def do_GET(self):
        token = self.headers.get(TOKEN_HEADER)
        if (token is not None and not self.server.token_valid(token)) or (token is None and self.server.require_token):
            self._reply(401, "Unauthorized")
            return
        if self.path == CREDENTIALS_PATH:
            if self.server.instance_role:
                self._reply(200, self.server.instance_role)
            else:
                self._reply(404, "Not Found")
            return
        if self.path.startswith(CREDENTIALS_PATH):
            credentials = self.server.role_credentials(self.path[len(CREDENTIALS_PATH):])
            if credentials is None:
                self._reply(404, "Not Found")
            else:
                self._reply(200, json.dumps(credentials, indent=2), "application/json")
            return
        self._reply(404, "Not Found")
