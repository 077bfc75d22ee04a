"""Pure signature functions: ACS3-HMAC-SHA256 (V3), ACS4-HMAC-SHA256 (the POP gateway SDKs', e.g. KMS) and
RPC HMAC-SHA1 (V2).

Both canonicalise the query with RFC 3986 encoding of the *decoded* parameters, so a
server must parse the wire query (``+`` is a space) and re-encode it here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
# alibabacloud_gateway_pop (the KMS SDK's signer): the V3 canonical request, signed with a key derived from the secret
# and the credential scope <AccessKeyId>/<yyyymmdd>/<region>/<product>/aliyun_v4_request.
ACS4_ALGORITHM = "ACS4-HMAC-SHA256"
ACS4_SIGN_PREFIX = "aliyun_v4"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def rfc3986(value: str) -> str:
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: Mapping[str, str], exclude: Iterable[str] = ()) -> str:
    skip = set(exclude)
    return "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in sorted(params.items()) if k not in skip)


def acs3_canonical_request(method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str],
                           signed_headers: Sequence[str], payload_sha256: str) -> str:
    """``headers`` must have lower-case names; ``signed_headers`` is the request's own list."""
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    return "\n".join([method, path or "/", canonical_query(params), canonical_headers,
                      ";".join(signed_headers), payload_sha256])


def acs3_unsigned_required(headers: Iterable[str], signed_headers: Sequence[str]) -> Tuple[str, ...]:
    """The headers a V3 request carries that must be signed but are not: ``host`` and every ``x-acs-*``.

    The real gateway answers such a request with ``IncompleteSignature`` (V3 signature page: every common
    request header except ``Authorization`` must be in ``SignedHeaders``). ``headers`` are lower-case names.
    """
    signed = set(signed_headers)
    required = {"host"} | {name for name in headers if name.startswith("x-acs-")}
    return tuple(sorted(required - signed))


def acs3_string_to_sign(canonical_request: str, algorithm: str = ACS3_ALGORITHM) -> str:
    return f"{algorithm}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"


def acs3_signature(secret: str, canonical_request: str) -> str:
    return hmac.new(secret.encode("utf-8"), acs3_string_to_sign(canonical_request).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def acs4_signing_key(secret: str, date: str, region: str, product: str) -> bytes:
    """HMAC-SHA256 chain over the scope: ``aliyun_v4<secret>`` -> date -> region -> product -> ``aliyun_v4_request``."""
    key = (ACS4_SIGN_PREFIX + secret).encode("utf-8")
    for part in (date, region, product, f"{ACS4_SIGN_PREFIX}_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def acs4_signature(signing_key: bytes, canonical_request: str) -> str:
    return hmac.new(signing_key, acs3_string_to_sign(canonical_request, ACS4_ALGORITHM).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def parse_acs4_scope(credential: str) -> Optional[Tuple[str, str, str, str]]:
    """``AK/yyyymmdd/region/product/aliyun_v4_request`` -> (access_key_id, date, region, product), or None."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != f"{ACS4_SIGN_PREFIX}_request" or not all(parts[:4]):
        return None
    return parts[0], parts[1], parts[2], parts[3]


def parse_acs3_authorization(value: str) -> Optional[Tuple[str, Tuple[str, ...], str]]:
    """Return (credential, signed_headers, signature) or None if the header is malformed.

    ACS3: the credential is the AccessKey id. ACS4 (see ``authorization_algorithm``): the whole credential scope.
    """
    algorithm, _sep, rest = value.strip().partition(" ")
    if algorithm not in (ACS3_ALGORITHM, ACS4_ALGORITHM):
        return None
    fields = {}
    for part in rest.split(","):
        name, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[name] = val
    try:
        credential, signed, signature = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
    except KeyError:
        return None
    names = tuple(signed.split(";"))
    if not credential or not signature or not all(names) or list(names) != sorted(names) or signed != signed.lower():
        return None
    return credential, names, signature


def authorization_algorithm(value: str) -> str:
    return value.strip().partition(" ")[0]


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{rfc3986('/')}&{rfc3986(canonical_query(params, exclude=('Signature',)))}"


def rpc_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new((secret + "&").encode("utf-8"), rpc_string_to_sign(method, params).encode("utf-8"),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signatures_equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogateescape"))
