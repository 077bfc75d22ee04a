# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Translation of SDK exceptions into ApiError: code, status, request id, hint, secrets scrubbed."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import (
    REDACTED,
    TRANSPORT_AMBIGUOUS,
    TRANSPORT_NOT_SENT,
    ApiError,
    is_sdk_exception,
    scrub,
    translate,
)

from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeSdkError,
    FakeUnretryable,
    RetryError,
    read_timeout,
    refused,
    throttled,
)
from ansible_collections.aliyun.ram.tests.support.pinned import require

SECRET = 'Sup3rSecretValueXYZ'


@pytest.mark.parametrize('code, status, action, hint_part', [
    ('NoPermission', 403, 'CreateUser', 'AliyunRAMFullAccess'),
    # a least-privilege policy needs the action's name to be extended
    ('NoPermission', 403, 'CreateUser', 'grant ram:CreateUser'),
    ('NoPermission', 403, 'ListUsers', 'AliyunRAMReadOnlyAccess'),
    ('NoPermission', 403, 'ListUsers', 'grant ram:ListUsers'),
    ('NoPermission', 403, 'AssumeRole', 'AliyunSTSAssumeRoleAccess'),
    ('InvalidAccessKeyId.NotFound', 404, 'GetUser', 'check access_key:'),
    ('InvalidAccessKeyId.Inactive', 400, 'GetUser', 'inactive'),
    ('IncompleteSignature', 400, 'GetUser', 'check secret_key'),
    ('SignatureDoesNotMatch', 400, 'GetUser', 'clock'),
    ('InvalidTimeStamp.Expired', 400, 'GetUser', 'clock'),
    ('InvalidSecurityToken.Expired', 400, 'GetUser', 'security_token'),
    ('InvalidCredentials', None, 'GetUser', 'set access_key and secret_key (or their environment variables), profile'),
    ('Throttling.User', 400, 'GetUser', 'max_retries'),
    ('ServiceUnavailable', 503, 'GetUser', 'temporary'),
    ('DeleteConflict.User.AccessKey', 409, 'DeleteUser', 'force: true'),
    ('LimitExceeded.User.AccessKey', 409, 'CreateAccessKey', 'on_limit'),
    ('EntityNotExist.Policy', 404, 'AttachPolicyToUser', 'System or Custom'),
    ('EntityNotExist.Group', 404, 'AddUserToGroup', 'create it first'),
])
def test_translation_names_code_status_request_id_and_hint(code, status, action, hint_part):
    err = translate(FakeSdkError(code, status, 'Some message.', request_id='REQ-42'), action)
    assert (err.code, err.status, err.request_id, err.action) == (code, status, 'REQ-42', action)
    text = str(err)
    assert text.startswith('%s failed: %s' % (action, code))
    assert 'request id REQ-42' in text
    assert hint_part in text
    assert err.as_result() == {'code': code, 'status': status, 'request_id': 'REQ-42', 'action': action}


def test_unknown_code_has_no_hint():
    err = translate(FakeSdkError('InvalidParameter.Foo', 400, 'bad foo'), 'CreateUser')
    assert 'Hint' not in str(err)
    assert str(err) == 'CreateUser failed: InvalidParameter.Foo (HTTP 400, request id REQ-1): bad foo'


def test_secret_is_scrubbed_from_message():
    err = translate(FakeSdkError('SignatureDoesNotMatch', 400, 'string to sign with %s inside' % SECRET), 'GetUser',
                    secrets=[SECRET])
    assert SECRET not in str(err)
    assert REDACTED in str(err)


def test_transport_errors_are_classified():
    not_sent = translate(refused(), 'CreateUser', endpoint='http://127.0.0.1:1')
    assert not_sent.transport == TRANSPORT_NOT_SENT and not_sent.code is None
    assert 'could not connect to the endpoint http://127.0.0.1:1' in str(not_sent)
    assert not_sent.as_result()['transport'] == TRANSPORT_NOT_SENT
    ambiguous = translate(read_timeout(), 'CreateUser')
    assert ambiguous.transport == TRANSPORT_AMBIGUOUS
    assert 'may or may not have been applied' in str(ambiguous)
    dropped = translate(FakeUnretryable(RetryError("('Connection aborted.', RemoteDisconnected('Remote end closed connection'))")), 'X')
    assert dropped.transport == TRANSPORT_AMBIGUOUS


def test_credential_failure_inside_the_sdk():
    class CredentialException(Exception):
        pass
    err = translate(FakeUnretryable(CredentialException('unable to load credentials from any of the providers')), 'GetUser')
    assert err.code == 'CredentialsUnavailable'
    assert 'ecs_role_name' in str(err)


def test_ecs_role_failure_names_the_role_and_what_to_check():
    class CredentialSourceError(ValueError):
        pass
    err = translate(FakeUnretryable(CredentialSourceError(
        'ECS instance role Ops could not be loaded: EcsRamRoleCredentialsProvider: Failed to get RAM session '
        'credentials from ECS metadata service. HttpCode=404')), 'GetUser')
    assert err.code == 'CredentialsUnavailable'
    assert 'ECS instance role Ops' in str(err) and 'attached to the ECS instance' in str(err)


def test_throttling_retry_after_is_kept():
    err = translate(throttled(retry_after=1500), 'GetUser')
    assert err.retry_after_ms == 1500


def test_sdk_none_strings_are_cleaned():
    exc = FakeSdkError('None', 500, '')
    exc.request_id = 'None'
    exc.data = {'statusCode': 500}
    err = translate(exc, 'GetUser')
    assert err.code is None and err.request_id is None and err.status == 500


def test_retries_are_reported():
    err = ApiError('GetUser', code='Throttling.User', status=400)
    err.retries = 5
    assert 'gave up after 5 retries' in str(err)


def test_scrub_ignores_short_and_empty_values():
    assert scrub('abc secret-value-1 abc', ['abc', '', None, 'secret-value-1']) == 'abc %s abc' % REDACTED


def test_plain_python_errors_are_not_sdk_errors():
    assert not is_sdk_exception(TypeError('bug'))
    assert is_sdk_exception(FakeSdkError('X', 400))


def test_real_sdk_exceptions():
    exceptions = require('alibabacloud_tea_openapi.exceptions')
    darabonba = require('darabonba.exceptions')
    policy = require('darabonba.policy.retry')
    body = {'Code': 'EntityNotExist.User', 'Message': 'The user does not exist.', 'RequestId': 'R-9'}
    exc = exceptions.ClientException(status_code=404, code='EntityNotExist.User', message='code: 404, x request id: R-9',
                                     data=dict(body), request_id='R-9')
    err = translate(exc, 'GetUser')
    assert (err.code, err.status, err.request_id, err.message) == ('EntityNotExist.User', 404, 'R-9', 'The user does not exist.')
    throttling = exceptions.ThrottlingException(status_code=400, code='Throttling.User', message='m', data=dict(body),
                                                request_id='R-9', retry_after=2000)
    assert translate(throttling, 'GetUser').retry_after_ms == 2000
    context = policy.RetryPolicyContext(retries_attempted=1, exception=darabonba.RetryError(
        "HTTPConnectionPool: Failed to establish a new connection: [Errno 111] Connection refused"))
    transport = darabonba.UnretryableException(context)
    assert is_sdk_exception(transport)
    assert translate(transport, 'CreateUser').transport == TRANSPORT_NOT_SENT
