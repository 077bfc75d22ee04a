"""Bad input gets a proper JSON error and never takes the server down."""

from __future__ import annotations

import socket
import threading

import pytest

from conftest import ram


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"400"),
    (b"POST /?a=%ff%fe HTTP/1.1\r\nHost: x\r\nx-acs-version: 2015-05-01\r\nConnection: close\r\n\r\n", b"400"),
    (b"POST /?" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
    (b"POST / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n", b"431"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", b"400"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", b"413"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"411"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", b"400"),
    (b"BREW /pot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"501"),
])
def test_bad_requests_get_json_errors(server, emu, request_bytes, status):
    response = raw_exchange(server.port, request_bytes)
    head, _sep, body = response.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert b"Content-Length" in head and body.startswith(b"{") and b'"Code"' in body
    emu.ram().list_users(ram.ListUsersRequest())


def test_non_utf8_header_and_huge_parameter(emu):
    key_id, secret = emu.key("root")
    status, body = emu.raw_v3("CreateUser", {"UserName": "x" * 5000}, key_id, secret)
    assert (status, body["Code"]) == (400, "InvalidParameter.UserName.Length")
    status, body = emu.raw("POST", "/", {"x-acs-action": "GetUser", "x-acs-version": "2015-05-01",
                                         "Authorization": "ACS3-HMAC-SHA256 Credential=\xff,SignedHeaders=host,"
                                                          "Signature=00", "x-acs-date": "2026-01-01T00:00:00Z"})
    assert status == 400 and body["Code"] in ("IncompleteSignature", "InvalidTimeStamp.Expired")


def test_wrong_path_is_api_not_found(emu):
    status, body = emu.raw("POST", "/other", {"x-acs-action": "GetUser", "x-acs-version": "2015-05-01"})
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")


def test_internal_errors_are_answered(emu, monkeypatch):
    from ram_emulator import actions

    def boom(ctx):
        raise RuntimeError("boom")
    act = actions.ACTIONS["2015-05-01"]["ListUsers"]
    monkeypatch.setitem(actions.ACTIONS["2015-05-01"], "ListUsers",
                        actions.Action(act.name, act.version, act.write, boom))
    from conftest import api_error
    assert api_error(lambda: emu.ram().list_users(ram.ListUsersRequest())) == ("InternalError", 500)


def test_keep_alive_single_write(server, emu):
    """One keep-alive connection carries several calls; each response arrives whole."""
    c = emu.ram()
    for _i in range(20):
        c.get_user(ram.GetUserRequest(user_name="ram-admin"))
    assert threading.active_count() < 50
