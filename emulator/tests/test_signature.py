"""Pure signature functions against the two official vectors (ram-api.md section 2)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ram_emulator import signature


def test_acs3_official_vector():
    headers = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
               "x-acs-version": "2014-05-26", "x-acs-date": "2023-10-26T10:22:32Z",
               "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
               "x-acs-content-sha256": signature.EMPTY_SHA256}
    query = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
    canonical = signature.acs3_canonical_request("POST", "/", query, headers, sorted(headers), signature.EMPTY_SHA256)
    assert hashlib.sha256(canonical.encode()).hexdigest() == \
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    assert signature.acs3_signature("YourAccessKeySecret", canonical) == \
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


def test_rpc_v2_official_vector():
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert signature.rpc_string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")
    assert signature.rpc_signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert signature.rpc_signature("testsecret", "GET", dict(params, Signature="ignored")) == \
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_canonical_query_uses_rfc3986():
    assert signature.canonical_query({"b": "a b*~", "a": "x@y/z"}) == "a=x%40y%2Fz&b=a%20b%2A~"


def test_parse_authorization():
    parsed = signature.parse_acs3_authorization(
        "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc")
    assert parsed == ("AK", ("host", "x-acs-date"), "abc")
    for bad in ("ACS3-HMAC-SHA1 Credential=AK,SignedHeaders=host,Signature=abc",
                "ACS3-HMAC-SHA256 Credential=AK,Signature=abc",
                "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=x-acs-date;host,Signature=abc",
                "ACS3-HMAC-SHA256 garbage", ""):
        assert signature.parse_acs3_authorization(bad) is None


def test_acs3_unsigned_required_headers():
    sent = ["host", "accept", "user-agent", "x-acs-action", "x-acs-date", "x-acs-version"]
    assert signature.acs3_unsigned_required(sent, sorted(sent)) == ()
    # accept and user-agent may stay unsigned; host and every x-acs-* may not
    assert signature.acs3_unsigned_required(sent, ["host", "x-acs-action", "x-acs-date", "x-acs-version"]) == ()
    assert signature.acs3_unsigned_required(sent, ["x-acs-action", "x-acs-date", "x-acs-version"]) == ("host",)
    assert signature.acs3_unsigned_required(sent, ["host", "x-acs-date", "x-acs-version"]) == ("x-acs-action",)
    assert signature.acs3_unsigned_required(sent, ["x-acs-date", "x-acs-version"]) == ("host", "x-acs-action")
    # host must be signed even when the request carries no Host header
    assert signature.acs3_unsigned_required(["x-acs-date"], ["x-acs-date"]) == ("host",)


# -- V3 requests that leave a header unsigned, through the server (ram-api.md section 8: the V3 signature page
# requires host and every x-acs-* header in SignedHeaders; the gateway answers 400 IncompleteSignature).

def _root_get_caller_identity(emu, **kwargs):
    key_id, secret = emu.key("root")
    return emu.raw_v3("GetCallerIdentity", {}, key_id, secret, version="2015-04-01", **kwargs)


@pytest.mark.parametrize("unsigned", [
    ("host",),
    ("x-acs-action",),
    ("x-acs-version",),
    ("x-acs-date",),
    ("x-acs-signature-nonce",),
    ("x-acs-content-sha256",),
    ("host", "x-acs-action"),
    ("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"),
])
def test_v3_request_leaving_host_or_x_acs_header_unsigned_is_rejected(emu, unsigned):
    status, body = _root_get_caller_identity(emu, unsigned=unsigned)
    assert (status, body["Code"]) == (400, "IncompleteSignature"), body
    assert body["Message"] == "The request signature does not conform to Aliyun standards."
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}


def test_v3_extra_x_acs_header_must_be_signed_too(emu):
    extra = {"x-acs-credentials-provider": "static_ak", "x-acs-retry-attempts": "1"}
    assert _root_get_caller_identity(emu, extra_headers=extra)[0] == 200
    for name in extra:
        status, body = _root_get_caller_identity(emu, extra_headers=extra, unsigned=(name,))
        assert (status, body["Code"]) == (400, "IncompleteSignature"), name


def test_v3_sts_security_token_header_must_be_signed(emu):
    key_id, secret = emu.user_with_key("signer", "AliyunSTSAssumeRoleAccess")
    trust = json.dumps({"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [f"acs:ram::{emu.server.store.state['account_id']}:root"]}}]})
    status, body = emu.raw_v3("CreateRole", {"RoleName": "signed-role", "AssumeRolePolicyDocument": trust}, *emu.key("root"))
    assert status == 200, body
    status, body = emu.raw_v3("AssumeRole", {"RoleArn": body["Role"]["Arn"], "RoleSessionName": "s1"}, key_id, secret,
                              version="2015-04-01")
    assert status == 200, body
    creds = body["Credentials"]
    call = dict(version="2015-04-01", token=creds["SecurityToken"])
    assert emu.raw_v3("GetCallerIdentity", {}, creds["AccessKeyId"], creds["AccessKeySecret"], **call)[0] == 200
    status, body = emu.raw_v3("GetCallerIdentity", {}, creds["AccessKeyId"], creds["AccessKeySecret"],
                              unsigned=("x-acs-security-token",), **call)
    assert (status, body["Code"]) == (400, "IncompleteSignature")


def test_v3_all_required_headers_signed_is_accepted(emu):
    # every header signed (what the official SDK does) and only accept left out: both accepted
    assert _root_get_caller_identity(emu)[0] == 200
    status, body = _root_get_caller_identity(emu, unsigned=("accept",))
    assert status == 200 and body["IdentityType"] == "Account", body
