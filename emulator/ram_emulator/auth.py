"""Request authentication: V3 (ACS3, and ACS4 of the POP gateway SDKs)/V2 signature, timestamp window, nonce replay,
STS tokens."""

from __future__ import annotations

import calendar
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Mapping, Optional

from ram_emulator import errors, signature
from ram_emulator.store import Store

TIMESTAMP_WINDOW_SECONDS = 15 * 60
NONCE_TTL_SECONDS = 2 * TIMESTAMP_WINDOW_SECONDS + 60


@dataclass
class Principal:
    kind: str                       # Account | RAMUser | AssumedRoleUser
    access_key_id: str
    user_name: Optional[str] = None
    session: Optional[dict] = None
    region: Optional[str] = None    # the region of an ACS4 credential scope (the KMS SDK signs with one), else None


@dataclass
class SignedRequest:
    method: str
    path: str
    params: Mapping[str, str]       # decoded query (+ form body) parameters
    headers: Mapping[str, str]      # lower-case names
    body: bytes
    query: Optional[Mapping[str, str]] = None   # the query alone: V3 signs it, and the body only by its hash


class NonceCache:
    """Remembers (access key, nonce) pairs for longer than the timestamp window accepts a request."""

    def __init__(self):
        self._seen = {}
        self._lock = threading.Lock()
        self._next_prune = time.monotonic() + NONCE_TTL_SECONDS

    def first_use(self, access_key_id: str, nonce: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now >= self._next_prune:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
                self._next_prune = now + NONCE_TTL_SECONDS
            key = (access_key_id, nonce)
            if key in self._seen:
                return False
            self._seen[key] = now + NONCE_TTL_SECONDS
            return True


def parse_timestamp(value: str) -> float:
    try:
        return calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
    except (ValueError, OverflowError):
        raise errors.timestamp_format() from None


def check_window(value: Optional[str], name: str, wall_clock: float) -> None:
    if not value:
        raise errors.missing_parameter(name)
    if abs(parse_timestamp(value) - wall_clock) > TIMESTAMP_WINDOW_SECONDS:
        raise errors.timestamp_expired()


def authenticate(request: SignedRequest, store: Store, nonces: NonceCache) -> Principal:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return _authenticate_v3(request, authorization, store, nonces)
    if "Signature" in request.params:
        return _authenticate_v2(request, store, nonces)
    raise errors.incomplete_signature()


def _authenticate_v3(request: SignedRequest, authorization: str, store: Store, nonces: NonceCache) -> Principal:
    parsed = signature.parse_acs3_authorization(authorization)
    if parsed is None:
        raise errors.incomplete_signature()
    credential, signed_headers, given = parsed
    acs4 = signature.authorization_algorithm(authorization) == signature.ACS4_ALGORITHM
    scope = signature.parse_acs4_scope(credential) if acs4 else (credential, "", "", "")
    if scope is None:
        raise errors.incomplete_signature()
    access_key_id, scope_date, scope_region, scope_product = scope
    if signature.acs3_unsigned_required(request.headers, signed_headers):
        raise errors.incomplete_signature()
    check_window(request.headers.get("x-acs-date"), "x-acs-date", time.time())
    if acs4 and scope_date != request.headers["x-acs-date"][:10].replace("-", ""):
        raise errors.incomplete_signature()
    nonce = request.headers.get("x-acs-signature-nonce")
    if not nonce:
        raise errors.missing_parameter("x-acs-signature-nonce")
    payload_sha256 = hashlib.sha256(request.body).hexdigest()
    if request.headers.get("x-acs-content-sha256", payload_sha256) != payload_sha256:
        raise errors.incomplete_signature()
    with store.lock:
        principal, secret = _resolve_key(store, access_key_id, request.headers.get("x-acs-security-token"))
    query = request.params if request.query is None else request.query
    canonical = signature.acs3_canonical_request(request.method, request.path, query, request.headers,
                                                 signed_headers, payload_sha256)
    if acs4:
        expected = signature.acs4_signature(signature.acs4_signing_key(secret, scope_date, scope_region, scope_product),
                                            canonical)
    else:
        expected = signature.acs3_signature(secret, canonical)
    if not signature.signatures_equal(expected, given):
        algorithm = signature.ACS4_ALGORITHM if acs4 else signature.ACS3_ALGORITHM
        raise errors.incomplete_signature(signature.acs3_string_to_sign(canonical, algorithm).replace("\n", " "))
    if not nonces.first_use(access_key_id, nonce):
        raise errors.nonce_used()
    if acs4:
        principal.region = scope_region
    return principal


def _authenticate_v2(request: SignedRequest, store: Store, nonces: NonceCache) -> Principal:
    params = request.params
    access_key_id = params.get("AccessKeyId")
    if not access_key_id:
        raise errors.missing_parameter("AccessKeyId")
    if params.get("SignatureMethod", "HMAC-SHA1") != "HMAC-SHA1":
        raise errors.invalid_value("SignatureMethod")
    if params.get("SignatureVersion", "1.0") != "1.0":
        raise errors.invalid_value("SignatureVersion")
    check_window(params.get("Timestamp"), "Timestamp", time.time())
    nonce = params.get("SignatureNonce")
    if not nonce:
        raise errors.missing_parameter("SignatureNonce")
    with store.lock:
        principal, secret = _resolve_key(store, access_key_id, params.get("SecurityToken"))
    if not signature.signatures_equal(signature.rpc_signature(secret, request.method, params), params["Signature"]):
        raise errors.signature_mismatch(signature.rpc_string_to_sign(request.method, params))
    if not nonces.first_use(access_key_id, nonce):
        raise errors.nonce_used()
    return principal


def _key_error(store: Store, specific: errors.ApiError) -> errors.ApiError:
    """The error for an unknown or disabled key, as the mode asks: the specific code or a bare InvalidAccessKeyId."""
    return errors.access_key_invalid() if store.modes.access_key_error == "bare" else specific


def _resolve_key(store: Store, access_key_id: str, token: Optional[str]):
    # Keys are read as propagated (lagged_auth): a new key cannot sign until its creation has propagated, and a
    # deleted or disabled one keeps working until that change has. STS sessions work at once.
    state = store.auth_view()
    if access_key_id.startswith("STS."):
        session = store.state["sessions"].get(access_key_id)
        if session is None:
            raise _key_error(store, errors.access_key_not_found())
        if not token:
            raise errors.security_token_missing()
        if not signature.signatures_equal(session["token"], token):
            if any(s["token"] == token for s in state["sessions"].values()):
                raise errors.security_token_mismatch()
            raise errors.security_token_malformed()
        if session["expiration"] <= store.now():
            raise errors.security_token_expired()
        return Principal("AssumedRoleUser", access_key_id, session=session), session["secret"]
    key = state["access_keys"].get(access_key_id)
    if key is None:
        raise _key_error(store, errors.access_key_not_found())
    if key["Status"] != "Active":
        raise _key_error(store, errors.access_key_inactive())
    if key["owner"] == "root":
        return Principal("Account", access_key_id), key["secret"]
    return Principal("RAMUser", access_key_id, user_name=key["owner"]), key["secret"]
