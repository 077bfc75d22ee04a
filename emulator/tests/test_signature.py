"""Pure signature functions against the two official vectors (ram-api.md section 2)."""

from __future__ import annotations

import hashlib

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
