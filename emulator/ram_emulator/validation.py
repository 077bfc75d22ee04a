"""Parameter validation with the real InvalidParameter.* codes (ram-api.md section 5)."""

from __future__ import annotations

import json
import re
from typing import Mapping, Optional

from ram_emulator import errors

# Whole-value patterns: always use them with ``fullmatch`` (never ``match`` with ``$``, which also matches
# before a trailing newline, so ``"name\n"`` would pass).
USER_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
GROUP_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
POLICY_NAME_RE = re.compile(r"[A-Za-z0-9-]+")
ROLE_NAME_RE = re.compile(r"[A-Za-z0-9.-]+")
SESSION_NAME_RE = re.compile(r"[A-Za-z0-9.@_-]+")
MFA_DEVICE_NAME_RE = re.compile(r"[A-Za-z0-9.-]+")
AUTHENTICATION_CODE_RE = re.compile(r"[0-9]{6}")
EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]+\.[^@\s\x00-\x1f\x7f-\x9f]+")
MOBILE_RE = re.compile(r"[0-9]{1,4}-[0-9]{4,20}")
INTEGER_RE = re.compile(r"-?[0-9]+")
# C0 and C1 control characters (NUL, TAB, LF, CR, DEL, ...): never valid in a name, id or free text.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# RAM "Limitations" page (help/en/ram/product-overview/limits, updated Dec 2025): see README.md "Limits".
MAX_USERS = 5000
MAX_KEYS_PER_PRINCIPAL = 2
MAX_GROUPS_PER_USER = 10
MAX_SYSTEM_POLICIES_PER_ENTITY = 20
MAX_CUSTOM_POLICIES_PER_ENTITY = 10
MAX_GROUPS = 300
MAX_ROLES = 1000
MAX_CUSTOM_POLICIES = 1500
MAX_POLICY_DOCUMENT = 6144
MAX_MFA_DEVICES = 5000
# STS AssumeRole inline Policy: 1-2048 since the 2022-09 upgrade; the InvalidParameter.PolicySize error counts bytes.
MAX_SESSION_POLICY_BYTES = 2048


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise errors.missing_parameter(name)
    return value


def optional(params: Mapping[str, str], name: str) -> Optional[str]:
    value = params.get(name)
    return None if value is None or value == "" else value


def name(value: str, param: str, pattern: re.Pattern, max_len: int) -> str:
    if len(value) > max_len:
        raise errors.too_long(param)
    if not pattern.fullmatch(value):
        raise errors.invalid_chars(param)
    return value


def user_name(value: str, param: str = "UserName") -> str:
    return name(value, param, USER_NAME_RE, 64)


def group_name(value: str, param: str = "GroupName") -> str:
    return name(value, param, GROUP_NAME_RE, 64)


def policy_name(value: str, param: str = "PolicyName") -> str:
    return name(value, param, POLICY_NAME_RE, 128)


def role_name(value: str, param: str = "RoleName") -> str:
    return name(value, param, ROLE_NAME_RE, 64)


def length(value: str, param: str, max_len: int, min_len: int = 1) -> str:
    if not min_len <= len(value) <= max_len:
        raise errors.too_long(param)
    return value


def text(value: str, param: str, max_len: int, min_len: int = 1) -> str:
    """Free text (DisplayName, Comments, Description): a length, and no control character."""
    length(value, param, max_len, min_len)
    if CONTROL_CHARS_RE.search(value):
        raise errors.invalid_chars(param)
    return value


def access_key_id(value: str, param: str = "UserAccessKeyId") -> str:
    """An AccessKey id is looked up as given; a control character in it is refused outright."""
    if CONTROL_CHARS_RE.search(value):
        raise errors.invalid_chars(param)
    return value


def session_name(value: str, param: str = "RoleSessionName") -> str:
    if not 2 <= len(value) <= 64 or not SESSION_NAME_RE.fullmatch(value):
        raise errors.invalid_value(param)
    return value


def mfa_device_name(value: str, param: str = "VirtualMFADeviceName") -> str:
    return name(value, param, MFA_DEVICE_NAME_RE, 64)


def authentication_code(value: str, param: str) -> str:
    if not AUTHENTICATION_CODE_RE.fullmatch(value):
        raise errors.ApiError(400, "InvalidParameter.AuthenticationCode.Format",
                              'The parameter - "AuthenticationCode" MUST be 6 numbers.')
    return value


def session_policy(value: str) -> dict:
    """AssumeRole's inline Policy: its own size and grammar codes (not MalformedPolicyDocument)."""
    if len(value.encode("utf-8")) > MAX_SESSION_POLICY_BYTES:
        raise errors.ApiError(400, "InvalidParameter.PolicySize",
                              f"The size of the parameter Policy must be less than {MAX_SESSION_POLICY_BYTES} bytes.")
    try:
        return policy_document(value, "Policy")
    except errors.ApiError:
        raise errors.ApiError(400, "InvalidParameter.PolicyGrammar",
                              "The parameter Policy has not passed grammar check.") from None


def email(value: str, param: str = "Email") -> str:
    if len(value) > 128 or not EMAIL_RE.fullmatch(value):
        raise errors.bad_format(param)
    return value


def mobile_phone(value: str, param: str = "MobilePhone") -> str:
    if not MOBILE_RE.fullmatch(value):
        raise errors.bad_format(param)
    return value


def choice(value: str, param: str, allowed: tuple) -> str:
    if value not in allowed:
        raise errors.invalid_value(param)
    return value


def boolean(params: Mapping[str, str], param: str, default: bool = False) -> bool:
    """The SDK sends Python ``str(bool)``; the gateway accepts any case."""
    value = params.get(param)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise errors.invalid_value(param)
    return lowered == "true"


def integer(params: Mapping[str, str], param: str, default: int, low: int, high: int) -> int:
    value = params.get(param)
    if value is None or value == "":
        return default
    if not INTEGER_RE.fullmatch(value) or len(value) > 20:   # int() also takes " 5\n", "+5" and "1_000"
        raise errors.invalid_value(param)
    number = int(value)
    if not low <= number <= high:
        raise errors.invalid_value(param)
    return number


def password(value: str) -> str:
    """The default RAM password policy: 8-32 characters with lower, upper case letters and digits."""
    strong = (8 <= len(value) <= 32 and re.search(r"[a-z]", value) and re.search(r"[A-Z]", value)
              and re.search(r"[0-9]", value))
    if not strong:
        raise errors.ApiError(400, "InvalidParameter.Password.TooWeak",
                              "The password does not satisfy the password policy.")
    return value


def policy_document(value: str, param: str = "PolicyDocument") -> dict:
    if len(value) > MAX_POLICY_DOCUMENT:
        raise errors.too_long(param)
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements):
        raise errors.ApiError(400, "MalformedPolicyDocument", f'The parameter - "{param}" is malformed.')
    for statement in statements:
        if statement.get("Effect") not in ("Allow", "Deny") or "Action" not in statement:
            raise errors.ApiError(400, "MalformedPolicyDocument", f'The parameter - "{param}" is malformed.')
    return document
