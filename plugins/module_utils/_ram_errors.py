# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The one translation from Alibaba Cloud SDK exceptions to errors a playbook author can act on.

SDK exceptions are recognised by their attributes, never imported, so this file loads without the SDK.
Messages never carry a secret: callers pass the secrets in play and every text is scrubbed of them.
"""

from __future__ import annotations

import re

REDACTED = '********'

# How a failure relates to the request having been applied (decides write retries, see _ram_retry).
TRANSPORT_NOT_SENT = 'not_sent'      # the request never reached the server: safe to resend
TRANSPORT_AMBIGUOUS = 'ambiguous'    # sent, but no answer: it may or may not have been applied

# urllib3/requests wordings for failures that happen before any byte of the request is sent.
_NOT_SENT_PATTERNS = re.compile(
    r'Connection refused|Failed to establish a new connection|NewConnectionError|NameResolutionError|'
    r'Name or service not known|nodename nor servname|Temporary failure in name resolution|'
    r'No route to host|Network is unreachable|ConnectTimeout|connect timeout=',
    re.IGNORECASE)


class ValidationError(Exception):
    """Bad input found before any API call; the message names the option."""


class ApiError(Exception):
    """A failed API call: what was called, what the service said, and what to do about it."""

    def __init__(self, action, code=None, status=None, request_id=None, message=None,
                 retry_after_ms=None, transport=None, endpoint=None, write=False):
        self.action = action
        self.code = code
        self.status = status
        self.request_id = request_id
        self.message = message or ''
        self.retry_after_ms = retry_after_ms
        self.transport = transport
        self.endpoint = endpoint
        self.write = write
        self.retries = 0
        super().__init__(self.describe())

    def describe(self):
        what = self.code or ('transport error' if self.transport else 'error')
        details = []
        if self.status:
            details.append('HTTP %s' % self.status)
        if self.request_id:
            details.append('request id %s' % self.request_id)
        text = '%s failed: %s' % (self.action, what)
        if details:
            text += ' (%s)' % ', '.join(details)
        if self.message:
            text += ': %s' % self.message.rstrip('. ')
        if self.retries:
            text += ' [gave up after %d retr%s]' % (self.retries, 'y' if self.retries == 1 else 'ies')
        hint = error_hint(self)
        if hint:
            text += '. Hint: %s' % hint
        return text

    def __str__(self):
        return self.describe()

    def as_result(self):
        result = {'code': self.code, 'status': self.status, 'request_id': self.request_id, 'action': self.action}
        if self.transport:
            result['transport'] = self.transport
        return result

    def scrubbed(self, secrets):
        self.message = scrub(self.message, secrets)
        return self


def scrub(text, secrets):
    """Replace every secret in play by a placeholder (belt and braces: messages should not hold any)."""
    if not text:
        return text
    text = str(text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        # very short values would blank out ordinary words; secrets and tokens are long
        if len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return text


def _clean(value):
    # the SDK formats missing fields as the string 'None'
    if value is None or value == 'None' or value == '':
        return None
    return value


def _status_of(exc, data):
    for candidate in (getattr(exc, 'status_code', None), getattr(exc, 'statusCode', None),
                      data.get('statusCode') if isinstance(data, dict) else None):
        if candidate not in (None, '', 'None'):
            try:
                return int(candidate)
            except (TypeError, ValueError):
                continue
    return None


def is_sdk_exception(exc):
    """True for exceptions raised by the Tea/darabonba/alibabacloud stack (and test fakes mimicking them)."""
    if isinstance(exc, ApiError):
        return True
    for klass in type(exc).__mro__:
        module = getattr(klass, '__module__', '') or ''
        if module.split('.')[0] in ('Tea', 'darabonba', 'alibabacloud_tea_openapi', 'alibabacloud_credentials') \
                or module.startswith('alibabacloud_'):
            return True
    return hasattr(exc, 'code') and hasattr(exc, 'data')


def translate(exc, action, endpoint=None, write=False, secrets=()):
    """Turn an SDK exception into an ApiError (message scrubbed of ``secrets``)."""
    if isinstance(exc, ApiError):
        return exc.scrubbed(secrets)
    inner = getattr(exc, 'inner_exception', None)
    if inner is not None:
        # darabonba UnretryableException: the request failed below HTTP or before it was sent
        inner_message = getattr(inner, 'message', None) or str(inner)
        if type(inner).__name__ == 'RetryError':
            transport = TRANSPORT_NOT_SENT if _NOT_SENT_PATTERNS.search(inner_message) else TRANSPORT_AMBIGUOUS
            return ApiError(action, message=scrub(inner_message, secrets), transport=transport,
                            endpoint=endpoint, write=write)
        if 'Credential' in type(inner).__name__:
            return ApiError(action, code='CredentialsUnavailable', message=scrub(inner_message, secrets),
                            endpoint=endpoint, write=write)
        if is_sdk_exception(inner) and getattr(inner, 'code', None):
            exc = inner
        else:
            return ApiError(action, code='UnexpectedResponse', message=scrub(inner_message, secrets),
                            endpoint=endpoint, write=write)
    data = getattr(exc, 'data', None)
    body = data if isinstance(data, dict) else {}
    message = _clean(body.get('Message')) or _clean(getattr(exc, 'message', None)) or str(exc)
    retry_after = getattr(exc, 'retry_after', None)
    try:
        retry_after = int(retry_after) if retry_after not in (None, '') else None
    except (TypeError, ValueError):
        retry_after = None
    return ApiError(
        action,
        code=_clean(getattr(exc, 'code', None)) or _clean(body.get('Code')),
        status=_status_of(exc, data),
        request_id=_clean(getattr(exc, 'request_id', None)) or _clean(body.get('RequestId')),
        message=scrub(message, secrets),
        retry_after_ms=retry_after if retry_after and retry_after > 0 else None,
        endpoint=endpoint,
        write=write,
    )


def error_hint(err):
    """A short, actionable hint for the common failures; None when there is nothing useful to add."""
    code = err.code or ''
    if err.action in KMS_SECRET_ACTIONS:
        return _kms_hint(err, code)
    if err.transport:
        where = (' %s' % err.endpoint) if err.endpoint else ''
        if err.transport == TRANSPORT_NOT_SENT:
            return ('could not connect to the endpoint%s: check endpoint/sts_endpoint/actiontrail_endpoint, DNS, proxy settings '
                    'and the network' % where)
        return ('no answer from the endpoint%s: check the network and raise timeout if the service is slow; '
                'the request may or may not have been applied' % where)
    if code in ('NoPermission', 'Forbidden.RAM', 'Forbidden', 'Forbidden.AccessDenied') or code.startswith('Forbidden'):
        if err.action == 'LookupEvents':
            return ('the identity in use may not query ActionTrail: attach AliyunActionTrailReadOnlyAccess to it '
                    '(ReadOnlyAccess does not cover actiontrail:LookupEvents)')
        if err.action == 'AssumeRole':
            return 'the source identity may not assume the role: attach AliyunSTSAssumeRoleAccess and check the role trust policy'
        # a least-privilege policy is extended by the action itself; the system policies cover every action
        if err.action.startswith(('Get', 'List')):
            return ('the identity in use may not call %s: grant ram:%s (or attach AliyunRAMReadOnlyAccess or '
                    'AliyunRAMFullAccess) to it' % (err.action, err.action))
        return ('the identity in use may not call %s: grant ram:%s (or attach AliyunRAMFullAccess, RAM writes need it) '
                'to it' % (err.action, err.action))
    if code.startswith('InvalidAccessKeyId'):
        return 'check access_key: the AccessKey does not exist, was deleted, or is inactive'
    if code in ('IncompleteSignature', 'SignatureDoesNotMatch'):
        return 'check secret_key (it does not belong to access_key) and that the controller clock is correct'
    if code.startswith('InvalidTimeStamp'):
        return 'the controller clock is off: synchronise it (NTP); requests must be within 15 minutes of server time'
    if code.startswith('InvalidSecurityToken'):
        return 'the security_token is invalid or expired: obtain fresh STS credentials'
    if code == 'CredentialsUnavailable' and 'ECS instance role' in err.message:
        return ('the instance metadata service (100.100.100.200) gave no credentials for ecs_role_name: check that this '
                'RAM role is attached to the ECS instance the module runs on and trusts ecs.aliyuncs.com')
    if code in ('InvalidCredentials', 'CredentialsUnavailable'):
        return ('no usable credentials: set access_key and secret_key (or their environment variables), '
                'profile, assume_role_arn or ecs_role_name')
    if code.startswith('Throttling') or err.retry_after_ms:
        return 'the service is rate limiting this account: lower parallelism or raise max_retries'
    if code in ('ServiceUnavailable', 'InternalError') or (err.status or 0) >= 500:
        return 'a temporary server-side failure: try again later'
    if code == 'EntityNotExist.User':
        return 'the RAM user does not exist'
    if code.startswith('DeleteConflict.User'):
        what = code.split('.')[-1]
        return 'the user still has a %s attached; set force: true to remove keys, policies, groups and login profile first' % what
    if code == 'LimitExceeded.User.AccessKey':
        return 'the user already has the maximum of 2 AccessKeys (inactive ones count): delete one or set on_limit: delete_inactive'
    if code.startswith('EntityNotExist.Policy') or code == 'InvalidParameter.PolicyType':
        return 'check the policy name and its type (System or Custom)'
    if code.startswith('EntityNotExist.Group'):
        return 'the group does not exist: create it first'
    if code == 'Inactive':
        return 'the RAM service is not activated for this account'
    return None


# The KMS Secrets Manager actions of the kms secret store (the only KMS calls the collection makes).
KMS_SECRET_ACTIONS = frozenset(('CreateSecret', 'GetSecretValue', 'PutSecretValue', 'DescribeSecret', 'UpdateSecret',
                                'DeleteSecret', 'RestoreSecret', 'ListSecrets'))


def _kms_hint(err, code):
    if code == 'Forbidden.NoPermission' or code == 'NoPermission':
        return ('the identity in use may not call kms:%s on the secret store\'s secrets: grant kms:%s on '
                'acs:kms:*:*:secret/<secret_store.name_prefix>* (see the least-privilege policy in the AWX guide)'
                % (err.action, err.action))
    if code == 'Forbidden.ResourceNotFound':
        return 'the secret does not exist (another run may have deleted it)'
    if code == 'Rejected.ResourceInDeleteWindow':
        return 'the secret is scheduled for deletion: restore it (RestoreSecret) or wait for its recovery window to end'
    if err.transport == TRANSPORT_NOT_SENT:
        return 'could not connect to the KMS endpoint %s: check secret_store.kms_endpoint and secret_store.region' % (
            err.endpoint or '')
    if code.startswith('Throttling') or code == 'Rejected.Throttling' or err.retry_after_ms:
        return 'KMS is rate limiting this account: lower parallelism or raise max_retries'
    if (err.status or 0) >= 500 or err.transport:
        return 'a temporary KMS failure: try again later'
    return None


class ConflictError(Exception):
    """The account is in a state the requested change cannot be made from (e.g. at the AccessKey limit).

    ``details`` are returned next to the message so a playbook can act on them.
    """

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details
