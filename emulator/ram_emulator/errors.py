"""API errors with the real codes and HTTP statuses (see README.md for the table)."""

from __future__ import annotations

from typing import Optional


class ApiError(Exception):
    """An error answered to the client as ``{RequestId, HostId, Code, Message, Recommend}``."""

    def __init__(self, status: int, code: str, message: str, retry_after_ms: int = 0, extra: Optional[dict] = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms
        self.extra = extra or {}        # more fields of the body (AccessDeniedDetail)


def missing_parameter(name: str) -> ApiError:
    return ApiError(400, "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid_chars(name: str) -> ApiError:
    return ApiError(400, f"InvalidParameter.{name}.InvalidChars", f'The parameter - "{name}" contains invalid chars.')


def too_long(name: str) -> ApiError:
    return ApiError(400, f"InvalidParameter.{name}.Length", f'The parameter - "{name}" beyond the length limit.')


def bad_format(name: str) -> ApiError:
    return ApiError(400, f"InvalidParameter.{name}.Format", f'The format of the parameter - "{name}" is incorrect.')


def invalid_value(name: str) -> ApiError:
    return ApiError(400, f"InvalidParameter.{name}", f'The parameter - "{name}" is invalid.')


def invalid_parameter_value(name: str) -> ApiError:
    """ActionTrail's code for a parameter whose value is not valid (its common error codes: 400 InvalidParameterValue)."""
    return ApiError(400, "InvalidParameterValue", f'The specified parameter "{name}" is not valid.')


def not_exist(entity: str, message: str) -> ApiError:
    return ApiError(404, f"EntityNotExist.{entity}", message)


def already_exists(entity: str, message: str) -> ApiError:
    return ApiError(409, f"EntityAlreadyExists.{entity}", message)


def limit_exceeded(what: str, message: str) -> ApiError:
    return ApiError(409, f"LimitExceeded.{what}", message)


def delete_conflict(what: str, message: str) -> ApiError:
    return ApiError(409, f"DeleteConflict.{what}", message)


NO_PERMISSION = (403, "NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")


def no_permission(message: str = NO_PERMISSION[2], detail: Optional[dict] = None) -> ApiError:
    """``detail``: the gateway's AccessDeniedDetail (AuthAction names the refused action)."""
    return ApiError(403, "NoPermission", message, extra={"AccessDeniedDetail": detail} if detail else None)


def access_key_not_found() -> ApiError:
    return ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")


def access_key_invalid() -> ApiError:
    """The bare code newer gateways answer for an unknown or disabled key (status not verified)."""
    return ApiError(404, "InvalidAccessKeyId", "Specified access key is not found or invalid.")


def access_key_inactive() -> ApiError:
    return ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")


def incomplete_signature(detail: str = "") -> ApiError:
    msg = "The request signature does not conform to Aliyun standards."
    return ApiError(400, "IncompleteSignature", msg + (f" server string to sign is:{detail}" if detail else ""))


def signature_mismatch(string_to_sign: str) -> ApiError:
    return ApiError(400, "SignatureDoesNotMatch",
                    f"Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}")


def nonce_used() -> ApiError:
    return ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")


def timestamp_expired() -> ApiError:
    return ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")


def timestamp_format() -> ApiError:
    return ApiError(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")


def security_token_missing() -> ApiError:
    return ApiError(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")


def security_token_expired() -> ApiError:
    return ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")


def security_token_mismatch() -> ApiError:
    return ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.")


def security_token_malformed() -> ApiError:
    return ApiError(400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")


def action_not_found() -> ApiError:
    return ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")


def invalid_version() -> ApiError:
    return ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")


THROTTLING_MESSAGES = {
    "Throttling": "Request was denied due to request throttling.",
    "Throttling.User": "Request was denied due to user flow control.",
    "Throttling.Api": "Request was denied due to api flow control.",
    "Rejected.Throttling": "Request was denied due to flow control.",
}


def throttled(retry_after_ms: int = 0, code: str = "Throttling.User") -> ApiError:
    return ApiError(400, code, THROTTLING_MESSAGES[code], retry_after_ms)


def check_code_failed() -> ApiError:
    return ApiError(403, "CheckAuthenticationCodeFail", 'The parameter - "AuthenticationCode" is inccorrect.')


def service_unavailable() -> ApiError:
    return ApiError(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")


def internal_error() -> ApiError:
    return ApiError(500, "InternalError", "An internal error occurred.")
