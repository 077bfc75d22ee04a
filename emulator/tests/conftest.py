"""Shared fixtures: one in-process emulator per session, reset before every test."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import uuid
from urllib.parse import urlencode

import pytest

for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)

from alibabacloud_ram20150501 import models as ram  # noqa: E402
from alibabacloud_ram20150501.client import Client as RamClient  # noqa: E402
from alibabacloud_sts20150401 import models as sts  # noqa: E402
from alibabacloud_sts20150401.client import Client as StsClient  # noqa: E402
from alibabacloud_tea_openapi.utils_models import Config  # noqa: E402

from ram_emulator import signature  # noqa: E402
from ram_emulator.server import start_in_thread  # noqa: E402
from ram_emulator.store import Store  # noqa: E402


@pytest.fixture(scope="session")
def server():
    store = Store(None, seed_admin=True)
    store.verify_touches = True     # every write must touch() what it changes, or the call fails with 500
    emulator = start_in_thread(store)
    yield emulator
    emulator.shutdown()
    emulator.server_close()


@pytest.fixture(autouse=True)
def fresh(server):
    server.store.reset()
    server.store.clock_offset = 0.0
    server.store.modes.reset()
    server.faults.clear()
    server.counters.reset()
    yield


class Emu:
    """Client factory bound to the running emulator."""

    def __init__(self, server):
        self.server = server
        self.endpoint = f"127.0.0.1:{server.port}"

    def key(self, which: str):
        key = self.server.store.seed_key(which)
        return key["AccessKeyId"], key["secret"]

    def config(self, key_id, secret, token=None, v2=False):
        config = Config(access_key_id=key_id, access_key_secret=secret, security_token=token,
                        endpoint=self.endpoint, protocol="http", read_timeout=5000, connect_timeout=2000)
        if v2:
            config.signature_algorithm = "v2"
        return config

    def ram(self, key_id=None, secret=None, token=None, v2=False) -> RamClient:
        if key_id is None:
            key_id, secret = self.key("root")
        return RamClient(self.config(key_id, secret, token, v2))

    def sts(self, key_id=None, secret=None, token=None, v2=False) -> StsClient:
        if key_id is None:
            key_id, secret = self.key("root")
        return StsClient(self.config(key_id, secret, token, v2))

    def admin(self, method, path, body=None, token=True):
        """Call the admin API; ``token``: True sends the server's token, None none, a string that string."""
        headers = {}
        if token is True:
            token = self.server.admin_token
        if token is not None:
            headers["X-Emulator-Token"] = token
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        try:
            conn.request(method, "/_emulator/" + path, body=None if body is None else json.dumps(body),
                         headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def user_with_key(self, name, *policies):
        """Create a RAM user with the given system policies and a key; return a RAM client for it."""
        root = self.ram()
        root.create_user(ram.CreateUserRequest(user_name=name))
        for policy in policies:
            root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="System", policy_name=policy,
                                                                     user_name=name))
        key = root.create_access_key(ram.CreateAccessKeyRequest(user_name=name)).body.access_key
        return key.access_key_id, key.access_key_secret

    def raw_v3(self, action, params, key_id, secret, version="2015-05-01", date=None, nonce=None, token=None,
               tamper=None, unsigned=(), extra_headers=None):
        """Send a hand-signed V3 request; returns (status, body dict).

        ``unsigned``: header names sent but left out of SignedHeaders (the signature itself is computed
        correctly over the rest); ``extra_headers``: more headers to send (and sign unless in ``unsigned``).
        """
        host = self.endpoint
        headers = {"host": host, "x-acs-action": action, "x-acs-version": version,
                   "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
                   "x-acs-content-sha256": signature.EMPTY_SHA256, "accept": "application/json"}
        if token:
            headers["x-acs-security-token"] = token
        headers.update(extra_headers or {})
        signed = sorted(name for name in headers if name not in unsigned)
        canonical = signature.acs3_canonical_request("POST", "/", params, headers, signed, signature.EMPTY_SHA256)
        headers["Authorization"] = (f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(signed)},"
                                    f"Signature={signature.acs3_signature(secret, canonical)}")
        if tamper:
            tamper(headers)
        return self.raw("POST", "/?" + urlencode(params), headers)

    def raw(self, method, target, headers=None, body=b""):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if "host" not in {k.lower() for k in (headers or {})}:
                conn.putheader("Host", self.endpoint)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data else None
        finally:
            conn.close()


@pytest.fixture
def emu(server):
    return Emu(server)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["ram", "sts", "Emu"]


def api_error(call):
    """Run an SDK call that must fail; return (code, http status)."""
    from Tea.exceptions import TeaException
    with pytest.raises(TeaException) as info:
        call()
    return info.value.code, info.value.data.get("statusCode") if isinstance(info.value.data, dict) else None
