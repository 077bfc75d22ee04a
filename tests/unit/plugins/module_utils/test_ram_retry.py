# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Retry decisions (reads vs writes), backoff, retry-after, bounded attempts, reconciliation, paging."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import (
    TRANSPORT_AMBIGUOUS,
    TRANSPORT_NOT_SENT,
    ApiError,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import (
    FAIL,
    MAX_RETRY_AFTER_SECONDS,
    RECONCILE,
    RETRY,
    RetryPolicy,
    read_disposition,
    write_disposition,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    Sleeper,
    api_error,
    internal_error,
    make_api,
    read_timeout,
    refused,
    throttled,
    unavailable,
)


def err(code=None, status=None, transport=None, retry_after_ms=None):
    return ApiError('Action', code=code, status=status, transport=transport, retry_after_ms=retry_after_ms)


@pytest.mark.parametrize('error, read, write', [
    (err('Throttling.User', 400), RETRY, RETRY),
    (err('Throttling', 400), RETRY, RETRY),
    (err('Throttling.Api', 400), RETRY, RETRY),
    (err('SomethingElse', 400, retry_after_ms=500), RETRY, RETRY),     # ThrottlingException: carries x-acs-retry-after
    (err('ServiceUnavailable', 503), RETRY, RETRY),                     # 503: refused before being applied
    (err('ServiceUnavailable', 500), RETRY, RECONCILE),
    (err('InternalError', 500), RETRY, RECONCILE),
    (err('BadGateway', 502), RETRY, RECONCILE),
    (err(transport=TRANSPORT_NOT_SENT), RETRY, RETRY),
    (err(transport=TRANSPORT_AMBIGUOUS), RETRY, RECONCILE),
    (err('NoPermission', 403), FAIL, FAIL),
    (err('EntityNotExist.User', 404), FAIL, FAIL),
    (err('InvalidAccessKeyId.NotFound', 404), FAIL, FAIL),
    (err('LimitExceeded.User.AccessKey', 409), FAIL, FAIL),
    (err('IncompleteSignature', 400), FAIL, FAIL),
])
def test_dispositions(error, read, write):
    assert read_disposition(error) == read
    assert write_disposition(error) == write


def test_backoff_is_exponential_jittered_and_capped():
    low = RetryPolicy(base_delay=0.2, max_delay=5.0, rand=lambda: 0.0)
    high = RetryPolicy(base_delay=0.2, max_delay=5.0, rand=lambda: 1.0)
    assert [low.delay(n) for n in range(3)] == pytest.approx([0.1, 0.2, 0.4])
    assert [high.delay(n) for n in range(3)] == pytest.approx([0.2, 0.4, 0.8])
    assert high.delay(10) == pytest.approx(5.0)
    assert low.delay(10) == pytest.approx(2.5)


def test_retry_after_is_a_minimum_and_bounded():
    policy = RetryPolicy(base_delay=0.2, rand=lambda: 0.0)
    assert policy.delay(0, retry_after_ms=1500) == pytest.approx(1.5)
    assert policy.delay(0, retry_after_ms=10) == pytest.approx(0.1)
    assert policy.delay(0, retry_after_ms=10 ** 9) == pytest.approx(MAX_RETRY_AFTER_SECONDS)


def test_read_retried_until_success_and_counted():
    sleeper = Sleeper()
    api, fake = make_api(sleeper=sleeper)
    fake.add_user('alice')
    fake.fail('GetUser', throttled, count=2)
    fake.fail('GetUser', read_timeout)
    assert api.read('GetUser', UserName='alice')['User']['UserName'] == 'alice'
    assert api.retries == 3
    assert len(sleeper.delays) == 3 and sleeper.delays == sorted(sleeper.delays)


def test_read_honours_retry_after():
    sleeper = Sleeper()
    api, fake = make_api(sleeper=sleeper)
    fake.add_user('alice')
    fake.fail('GetUser', lambda: throttled(retry_after=2500))
    api.read('GetUser', UserName='alice')
    assert sleeper.delays == [pytest.approx(2.5)]


def test_read_attempts_are_bounded():
    api, fake = make_api(max_retries=3)
    fake.add_user('alice')
    fake.fail('GetUser', unavailable, count=10)
    with pytest.raises(ApiError) as info:
        api.read('GetUser', UserName='alice')
    assert info.value.code == 'ServiceUnavailable'
    assert info.value.retries == 3 and api.retries == 3
    assert [a for a, p in fake.calls] == ['GetUser'] * 4
    assert 'gave up after 3 retries' in str(info.value)


def test_max_retries_zero_means_one_attempt():
    api, fake = make_api(max_retries=0)
    fake.fail('ListUsers', throttled)
    with pytest.raises(ApiError):
        api.read('ListUsers')
    assert len(fake.calls) == 1


def test_final_errors_are_not_retried():
    api, fake = make_api()
    with pytest.raises(ApiError) as info:
        api.read('GetUser', UserName='nobody')
    assert info.value.code == 'EntityNotExist.User'
    assert len(fake.calls) == 1 and api.retries == 0


def test_read_optional_maps_missing_to_none():
    api, fake = make_api()
    assert api.read_optional('GetUser', ('EntityNotExist.User',), UserName='nobody') is None


def test_write_resent_when_not_applied():
    api, fake = make_api()
    fake.fail('CreateUser', throttled)
    fake.fail('CreateUser', unavailable)
    fake.fail('CreateUser', refused)
    body = api.write('CreateUser', UserName='alice')
    assert body['User']['UserName'] == 'alice'
    assert fake.writes() == ['CreateUser'] * 4 and api.retries == 3


def test_ambiguous_write_without_verify_is_not_resent():
    api, fake = make_api()
    fake.fail('CreateUser', read_timeout, after=True)
    with pytest.raises(ApiError) as info:
        api.write('CreateUser', UserName='alice')
    assert info.value.transport == TRANSPORT_AMBIGUOUS
    assert fake.writes() == ['CreateUser']


def test_ambiguous_write_applied_is_reconciled_without_resending():
    api, fake = make_api()
    fake.fail('CreateUser', internal_error, after=True)
    verified = []

    def verify():
        verified.append(True)
        return {'User': fake.users['alice']['User']} if 'alice' in fake.users else None

    assert api.write('CreateUser', verify=verify, UserName='alice')['User']['UserName'] == 'alice'
    assert fake.writes() == ['CreateUser'] and verified == [True]


def test_ambiguous_write_not_applied_is_resent():
    api, fake = make_api()
    fake.fail('CreateUser', read_timeout)  # before: nothing applied

    def verify():
        return {} if 'alice' in fake.users else None

    api.write('CreateUser', verify=verify, UserName='alice')
    assert fake.writes() == ['CreateUser', 'CreateUser'] and 'alice' in fake.users


def test_write_final_error_is_raised_at_once():
    api, fake = make_api()
    with pytest.raises(ApiError) as info:
        api.write('DeleteUser', verify=lambda: {}, UserName='nobody')
    assert info.value.code == 'EntityNotExist.User' and len(fake.calls) == 1


def test_write_attempts_are_bounded():
    api, fake = make_api(max_retries=2)
    fake.fail('CreateUser', throttled, count=5)
    with pytest.raises(ApiError):
        api.write('CreateUser', UserName='alice')
    assert fake.writes() == ['CreateUser'] * 3


def test_paging_follows_three_pages():
    fake = FakeRam(page_size=2)
    for name in ('u1', 'u2', 'u3', 'u4', 'u5'):
        fake.add_user(name)
    api, fake = make_api(fake)
    users = api.paginate('ListUsers', 'Users', 'User')
    assert [u['UserName'] for u in users] == ['u1', 'u2', 'u3', 'u4', 'u5']
    markers = [params.get('Marker') for action, params in fake.calls]
    assert markers == [None, '2', '4']
    assert all(params['MaxItems'] == 100 for action, params in fake.calls)


def test_paging_stops_on_a_repeated_marker():
    class Looping(FakeRam):
        def _ListUsers(self, params):
            return {'Users': {'User': []}, 'IsTruncated': True, 'Marker': 'same'}
    api, fake = make_api(Looping())
    with pytest.raises(ApiError) as info:
        api.paginate('ListUsers', 'Users', 'User')
    assert info.value.code == 'UnexpectedResponse' and len(fake.calls) == 2


def test_non_sdk_exceptions_propagate_untranslated():
    class Broken(FakeRam):
        def _GetUser(self, params):
            raise KeyError('bug')
    api, dummy = make_api(Broken())
    with pytest.raises(KeyError):
        api.read('GetUser', UserName='x')


def test_secret_never_in_error_text():
    api, fake = make_api()
    fake.fail('GetUser', lambda: api_error('SignatureDoesNotMatch', 'expected configured-secret-value'))
    with pytest.raises(ApiError) as info:
        api.read('GetUser', UserName='x')
    assert 'configured-secret-value' not in str(info.value)
