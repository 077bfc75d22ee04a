"""Virtual MFA devices: RFC 6238 TOTP codes (HMAC-SHA1, 30 s steps, 6 digits) and the QR code PNG field."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import zlib
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6


def new_seed() -> str:
    """A Base32 seed of 20 random bytes (160 bits, the RFC 4226 recommendation), without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(seed: str) -> bytes:
    text = seed.upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP with dynamic truncation."""
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** digits).zfill(digits)


def step(epoch: float) -> int:
    return int(epoch // STEP_SECONDS)


def code(seed: str, epoch: float, digits: int = DIGITS) -> str:
    """The TOTP code of the Base32 ``seed`` at time ``epoch``."""
    return hotp(_key(seed), step(epoch), digits)


def consecutive_codes_match(seed: str, epoch: float, code1: str, code2: str, window: int = 2) -> bool:
    """Whether ``code1``/``code2`` are the codes of two consecutive steps ending near ``epoch``.

    An authenticator shows one code per 30 s step; binding asks for two in a row. The pair (k, k+1) is accepted
    for k from ``step(epoch) - window`` to ``step(epoch)``: the codes may be up to a minute old, or the client's
    clock one step ahead.
    """
    key = _key(seed)
    now = step(epoch)
    return any(hmac.compare_digest(hotp(key, k), code1) and hmac.compare_digest(hotp(key, k + 1), code2)
               for k in range(now - window, now + 1))


def otpauth_uri(device_name: str, account: str, seed: str) -> str:
    return f"otpauth://totp/{quote(device_name)}@{quote(account)}?secret={seed}"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def qr_code_png_base64(uri: str) -> str:
    """The ``QRCodePNG`` field: a valid PNG, Base64-encoded.

    It is a blank 1x1 image that carries the otpauth URI in a ``tEXt`` chunk (keyword ``otpauth``), not a
    scannable QR code: drawing one needs a QR encoder, which the standard library does not have.
    """
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)     # 1x1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\xff")                         # filter byte 0, one white pixel
    png = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"tEXt", b"otpauth\x00" + uri.encode("utf-8"))
           + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b""))
    return base64.b64encode(png).decode("ascii")
