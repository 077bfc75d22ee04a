# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_access_keys operation=reconcile against a fake RAM + STS that knows secrets: verification of held copies,
root keys, check mode, the key limit, lost responses, and failures of some users."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import ensure_access_key, reconcile_keys
from ansible_collections.aliyun.ram.plugins.module_utils._keys.run import access_keys_options
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError, ValidationError
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_plan import NEWER, NOW, OLD, YOUNG
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    FakeSdkError,
    api_error,
    make_api,
    read_timeout,
    throttled,
)

ROOT_KEY_ID = 'LTAIroot0000'
ROOT_SECRET = 'root-secret-value-0000'


class KeyAwareFakeRam(FakeRam):
    """FakeRam whose STS answers as the key that signed the request (wrong secret, unknown key, root key)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.unpropagated = {}   # user name -> how many STS calls with its keys still answer NotFound (propagation)
        self.signers = []
        self._lock = threading.Lock()

    def with_credentials(self, credentials):
        return _SignedAs(self, credentials['access_key_id'], credentials['access_key_secret'])

    def invoke(self, service, action, params):
        with self._lock:
            return super().invoke(service, action, params)

    def identify(self, key_id, secret):
        with self._lock:
            self.calls.append(('GetCallerIdentity', {'as': key_id}))
            self.signers.append(key_id)
            if key_id == ROOT_KEY_ID:
                if secret != ROOT_SECRET:
                    raise FakeSdkError('SignatureDoesNotMatch', 400, 'signature mismatch')
                return {'AccountId': self.account_id, 'IdentityType': 'Account', 'Arn': 'acs:ram::%s:root' % self.account_id,
                        'UserId': self.account_id, 'PrincipalId': self.account_id, 'RequestId': 'REQ-STS'}
            for name, user in self.users.items():
                for ram_key in user['keys']:
                    if ram_key['AccessKeyId'] != key_id:
                        continue
                    if self.unpropagated.get(name):
                        self.unpropagated[name] -= 1
                        raise FakeSdkError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.')
                    if ram_key['AccessKeySecret'] != secret:
                        raise FakeSdkError('IncompleteSignature', 400, 'The request signature does not conform')
                    if ram_key['Status'] != 'Active':
                        raise FakeSdkError('InvalidAccessKeyId.Inactive', 400, 'Specified access key is disabled.')
                    return {'AccountId': self.account_id, 'IdentityType': 'RAMUser',
                            'Arn': 'acs:ram::%s:user/%s' % (self.account_id, name), 'UserId': user['User']['UserId'],
                            'PrincipalId': user['User']['UserId'], 'RequestId': 'REQ-STS'}
            raise FakeSdkError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.')

    def sts_calls(self):
        return [params['as'] for action, params in self.calls if action == 'GetCallerIdentity' and 'as' in params]


class _SignedAs(object):
    def __init__(self, fake, key_id, secret):
        self.fake, self.key_id, self.secret = fake, key_id, secret

    def invoke(self, service, action, params):
        assert (service, action) == ('sts', 'GetCallerIdentity')
        return self.fake.identify(self.key_id, self.secret)

    def endpoint(self, service):
        return self.fake.endpoint(service)

    def with_credentials(self, credentials):
        return self.fake.with_credentials(credentials)


def secret_of(fake, user_name, key_id):
    return next(k['AccessKeySecret'] for k in fake.users[user_name]['keys'] if k['AccessKeyId'] == key_id)


def holding(fake, user_name, key_id, host='web1', secret=None):
    return {'user_name': user_name, 'access_key_id': key_id, 'host': host,
            'access_key_secret': secret if secret is not None else secret_of(fake, user_name, key_id)}


def options(users, held=(), **kwargs):
    params = dict(users=list(users), held=list(held), max_age_days=None, on_limit='fail', verify=True, parallelism=4)
    params.update(kwargs)
    return access_keys_options(params)


@pytest.fixture
def ram():
    fake = KeyAwareFakeRam()
    api, dummy = make_api(fake)
    return api, fake


def reconcile(api, opts, check_mode=False):
    return reconcile_keys(api, opts, check_mode, now=NOW)


def converged(fake):
    held = []
    for index, name in enumerate(('u1', 'u2', 'u3')):
        fake.add_user(name)
        fake.add_key(name, 'K%d' % index, create_date=YOUNG)
        held.append(holding(fake, name, 'K%d' % index, host='h%d' % index))
        held.append(holding(fake, name, 'K%d' % index, host='shared'))
    return held


def test_converged_makes_no_write_no_call_signed_with_a_held_key_and_one_list_per_user(ram):
    """Agreeing copies of a listed key are trusted: an STS proof would be a call signed with the key, which RAM
    records as its last use (checked: with every held key proven, GetCallerIdentity appears three times here).
    One GetUser per user reads the compromised keys recorded in its Comments."""
    api, fake = ram
    result = reconcile(api, options(['u1', 'u2', 'u3'], converged(fake)))
    assert not result['changed'] and fake.writes() == []
    assert sorted(action for action, params in fake.calls) == ['GetUser'] * 3 + ['ListAccessKeys'] * 3
    u2 = result['access_keys']['u2']
    assert u2['access_key_id'] == 'K1' and not u2['created'] and u2['held_index'] == 2
    assert u2['holders'] == ['h1', 'shared'] and 'access_key_secret' not in u2 and 'identity' not in u2
    assert result['created_count'] == 0 and result['warnings'] == []


def test_prove_held_keys_proves_agreeing_copies_with_one_get_user_and_one_sts_call_per_user(ram):
    api, fake = ram
    result = reconcile(api, options(['u1', 'u2', 'u3'], converged(fake), prove_held_keys=True))
    assert not result['changed'] and fake.writes() == []
    # one GetUser per user: the STS identity is compared with the user's stable UserId, not a spelled name
    assert sorted(action for action, params in fake.calls) == (['GetCallerIdentity'] * 3 + ['GetUser'] * 3
                                                               + ['ListAccessKeys'] * 3)
    u2 = result['access_keys']['u2']
    assert u2['identity'] == {'identity_type': 'RAMUser', 'arn': 'acs:ram::1234567890123456:user/u2'}


def test_no_held_secret_is_ever_returned(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'K1')]))
    assert 'secret-of-K1' not in repr(result)


def test_first_run_creates_once_per_user_and_returns_the_new_secret(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_user('u2')
    result = reconcile(api, options(['u1', 'u2', 'u1']))
    assert fake.writes() == ['CreateAccessKey', 'CreateAccessKey']
    for name in ('u1', 'u2'):
        entry = result['access_keys'][name]
        assert entry['created'] and entry['held_index'] is None and entry['holders'] == []
        assert fake.key_ids(name) == [entry['access_key_id']]
        assert entry['access_key_secret'] == secret_of(fake, name, entry['access_key_id'])
        assert entry['identity']['arn'].endswith(':user/' + name)
    assert result['changed'] and result['created_count'] == 2


def test_held_key_deleted_in_ram_gets_a_replacement(ram):
    api, fake = ram
    fake.add_user('u1')
    result = reconcile(api, options(['u1'], [{'user_name': 'u1', 'access_key_id': 'GONE', 'access_key_secret': 'old-secret'}]))
    entry = result['access_keys']['u1']
    assert entry['created'] and entry['reason'] == 'the held key(s) GONE no longer exist'
    # the stale copy was shown to STS (it might have been a root key), then the new key
    assert fake.sts_calls() == ['GONE', entry['access_key_id']]


def test_held_inactive_key_gets_a_replacement(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'I1', status='Inactive')
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'I1')]))
    entry = result['access_keys']['u1']
    assert entry['created'] and fake.key_ids('u1') == ['I1', entry['access_key_id']]
    assert fake.sts_calls() == [entry['access_key_id']]


def test_too_old_held_key_is_rotated_and_left_alone(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'OLD1', create_date=OLD)
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'OLD1')], max_age_days=90))
    entry = result['access_keys']['u1']
    assert entry['created'] and entry['rotated_from'] == 'OLD1' and entry['deleted_access_key_ids'] == []
    assert fake.key_ids('u1') == ['OLD1', entry['access_key_id']]


def test_orphan_active_key_gets_a_new_key_and_is_reported(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'ORPHAN')
    result = reconcile(api, options(['u1']))
    entry = result['access_keys']['u1']
    assert entry['created'] and entry['orphan_access_key_ids'] == ['ORPHAN']
    assert any('ORPHAN' in warning and 'no host holds' in warning for warning in result['warnings'])


def test_limit_fail_creates_nothing_for_anyone(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_user('u2')
    fake.add_key('u1', 'X1')
    fake.add_key('u1', 'X2', status='Inactive')
    with pytest.raises(ConflictError) as info:
        reconcile(api, options(['u1', 'u2']))
    assert 'u1' in str(info.value) and 'X1 (Active' in str(info.value) and 'nothing was created' in str(info.value)
    assert fake.writes() == []


def test_delete_inactive_prefers_the_unheld_inactive_key(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'HELDI', status='Inactive', create_date=OLD)
    fake.add_key('u1', 'FREEI', status='Inactive', create_date=YOUNG)
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'HELDI')], on_limit='delete_inactive'))
    entry = result['access_keys']['u1']
    assert entry['deleted_access_key_ids'] == ['FREEI']
    assert fake.writes() == ['DeleteAccessKey', 'CreateAccessKey']
    assert fake.key_ids('u1') == ['HELDI', entry['access_key_id']]


def test_verification_tries_each_distinct_held_secret(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    held = [holding(fake, 'u1', 'K1', host='bad', secret='tampered-secret'),
            holding(fake, 'u1', 'K1', host='bad2', secret='tampered-secret'),
            holding(fake, 'u1', 'K1', host='good')]
    result = reconcile(api, options(['u1'], held))
    entry = result['access_keys']['u1']
    assert not entry['created'] and entry['held_index'] == 2 and entry['holders'] == ['bad', 'bad2', 'good']
    assert fake.sts_calls() == ['K1', 'K1'] and fake.writes() == []


def test_no_verified_copy_of_the_newest_key_falls_back_to_the_next_held_key(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'OLDER', create_date=OLD)
    fake.add_key('u1', 'NEWEST', create_date=NEWER)
    # two copies of NEWEST that disagree must be proven, and neither passes
    held = [holding(fake, 'u1', 'OLDER', host='a'), holding(fake, 'u1', 'NEWEST', host='b', secret='wrong-secret'),
            holding(fake, 'u1', 'NEWEST', host='c', secret='other-wrong-secret')]
    result = reconcile(api, options(['u1'], held))
    entry = result['access_keys']['u1']
    assert entry['access_key_id'] == 'OLDER' and entry['held_index'] == 0 and not entry['created']
    assert any('NEWEST' in warning for warning in result['warnings'])


def test_no_verified_copy_at_all_creates(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    held = [holding(fake, 'u1', 'K1', secret='wrong-secret'), holding(fake, 'u1', 'K1', secret='other-wrong-secret')]
    result = reconcile(api, options(['u1'], held))
    entry = result['access_keys']['u1']
    assert entry['created'] and entry['reason'] == 'no held copy of the active key(s) K1 could be verified'


@pytest.mark.parametrize('prove_held_keys', [False, True])
def test_a_single_held_secret_is_trusted_unless_prove_held_keys(ram, prove_held_keys):
    """One secret for a listed Active key is kept without a call signed with it; prove_held_keys proves it and then
    replaces a copy that does not pass."""
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'K1', secret='wrong-secret')], prove_held_keys=prove_held_keys))
    entry = result['access_keys']['u1']
    # with the proof, K1 fails it and the new key is proven in turn
    assert entry['created'] is prove_held_keys and fake.sts_calls()[:1] == (['K1'] if prove_held_keys else [])


def test_root_key_in_held_refuses_everything_before_any_write(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_user('u2')
    held = [{'user_name': 'u1', 'access_key_id': ROOT_KEY_ID, 'access_key_secret': ROOT_SECRET, 'host': 'db1'}]
    with pytest.raises(ConflictError) as info:
        reconcile(api, options(['u1', 'u2'], held))
    message = str(info.value)
    assert 'root AccessKey %s' % ROOT_KEY_ID in message and 'held[0] (host db1)' in message and 'u1' in message
    assert ROOT_SECRET not in message and info.value.details == {'root_key_refused': True}
    assert fake.writes() == []


def test_root_key_refused_in_check_mode_too(ram):
    api, fake = ram
    fake.add_user('u1')
    held = [{'user_name': 'u1', 'access_key_id': ROOT_KEY_ID, 'access_key_secret': ROOT_SECRET}]
    with pytest.raises(ConflictError):
        reconcile(api, options(['u1'], held), check_mode=True)


def test_check_mode_never_writes_and_invents_no_key(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_user('u2')
    fake.add_key('u2', 'K2')
    fake.add_key('u1', 'I1', status='Inactive', create_date=OLD)
    fake.add_key('u1', 'I2', status='Inactive')
    opts = options(['u1', 'u2'], [holding(fake, 'u2', 'K2')], on_limit='delete_inactive')
    result = reconcile(api, opts, check_mode=True)
    u1 = result['access_keys']['u1']
    assert u1['created'] and u1['access_key_id'] is None and 'access_key_secret' not in u1
    assert u1['deleted_access_key_ids'] == ['I1'] and result['changed'] and result['created_count'] == 1
    assert result['access_keys']['u2']['held_index'] == 0
    assert fake.writes() == [] and fake.sts_calls() == []


def test_missing_user_is_named_and_blocks_creation_for_the_others(ram):
    api, fake = ram
    fake.add_user('u1')
    with pytest.raises(ConflictError) as info:
        reconcile(api, options(['u1', 'ghost']))
    assert 'ghost: ListAccessKeys failed: EntityNotExist.User' in str(info.value)
    assert info.value.details['errors']['ghost']['code'] == 'EntityNotExist.User'
    assert fake.writes() == []


def test_new_key_propagation_is_waited_for(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.unpropagated['u1'] = 2
    result = reconcile(api, options(['u1']))
    entry = result['access_keys']['u1']
    assert entry['identity']['identity_type'] == 'RAMUser'
    # waiting for a write to show is not a retry: no request failed
    assert fake.sts_calls() == [entry['access_key_id']] * 3 and api.retries == 0
    assert api.policy.sleep.delays[:2] == [0.1, 0.2]


def test_new_key_that_never_verifies_is_deleted_and_reported(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_user('u2')
    fake.unpropagated['u1'] = 100
    with pytest.raises(ConflictError) as info:
        reconcile(api, options(['u1', 'u2'], parallelism=1))
    details = info.value.details
    assert fake.key_ids('u1') == [] and details['errors']['u1']['code'] == 'InvalidAccessKeyId.NotFound'
    assert details['access_keys']['u1']['access_key_id'] is None and not details['access_keys']['u1']['created']
    # the other user's key is returned so that it can still be deployed
    u2 = details['access_keys']['u2']
    assert u2['created'] and u2['access_key_secret'] == secret_of(fake, 'u2', u2['access_key_id'])


def test_lost_create_response_leaves_one_key(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.fail('CreateAccessKey', read_timeout, after=True)
    result = reconcile(api, options(['u1']))
    assert fake.key_ids('u1') == [result['access_keys']['u1']['access_key_id']]


def test_verify_false_makes_no_sts_call_and_points_at_the_first_copy_with_a_secret(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    held = [dict(holding(fake, 'u1', 'K1', host='nosecret'), access_key_secret=None), holding(fake, 'u1', 'K1', host='h2')]
    result = reconcile(api, options(['u1'], held, verify=False))
    entry = result['access_keys']['u1']
    assert entry['held_index'] == 1 and 'identity' not in entry and fake.sts_calls() == []


def test_throttling_is_retried_and_counted(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    fake.fail('ListAccessKeys', throttled, count=2)
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'K1')]))
    assert result['access_keys']['u1']['access_key_id'] == 'K1' and api.retries == 2


def test_other_sts_failures_fail_the_user(ram):
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    original = fake.identify

    def denied(key_id, secret):
        raise api_error('NoPermission', 'denied')
    fake.identify = denied
    with pytest.raises(ConflictError) as info:
        reconcile(api, options(['u1'], [holding(fake, 'u1', 'K1')], prove_held_keys=True))
    fake.identify = original
    assert 'u1: GetCallerIdentity failed: NoPermission' in str(info.value)


@pytest.mark.parametrize('params, message', [
    (dict(users=['bad@name']), 'users must be 1-64'),
    (dict(users=['u1'], held=[{'user_name': 'u1', 'access_key_id': 'no spaces'}]), 'held[0].access_key_id'),
    (dict(users=['u1'], max_age_days=0), 'max_age_days must be 1 or more'),
    (dict(users=['u1'], parallelism=33), 'parallelism must be between 1 and 32'),
])
def test_options_are_checked_before_any_call(params, message):
    with pytest.raises(ValidationError) as info:
        options(**params)
    assert message in str(info.value)


@pytest.mark.parametrize('params, message', [
    (dict(users=['u1'], operation='rotate'), 'operation must be one of reconcile, retire, revoke'),
    (dict(users=['u1'], secret_store={'path': 'store.vault'}), 'handled by the aliyun.ram.ram_access_keys action plugin'),
])
def test_operation_and_a_secret_store_that_reached_the_module(params, message):
    with pytest.raises(ValidationError) as info:
        options(**params)
    assert message in str(info.value)


def test_every_user_reports_its_failure_and_nothing_is_written(ram):
    api, fake = ram
    for name in ('u1', 'u2', 'u3'):
        fake.add_user(name)
    fake.fail('ListAccessKeys', lambda: api_error('NoPermission', 'denied'), count=2)
    with pytest.raises(ConflictError) as info:
        reconcile(api, options(['u1', 'u2', 'u3'], parallelism=1))
    assert 'failed for 2 user(s): u1: ' in str(info.value) and '; u2: ' in str(info.value)
    assert sorted(info.value.details['errors']) == ['u1', 'u2'] and fake.writes() == []


class LaggingFakeRam(KeyAwareFakeRam):
    """Eventual consistency: ListAccessKeys does not show a key created here until ``lag`` more lists of its user have
    been answered (STS answers NotFound for it as long), the way real RAM shows a write only after a while."""

    def __init__(self, lag, **kwargs):
        super().__init__(**kwargs)
        self.lag = lag
        self.hidden = {}   # key id -> lists of its user still to answer without it

    def _CreateAccessKey(self, params):
        body = super()._CreateAccessKey(params)
        self.hidden[body['AccessKey']['AccessKeyId']] = self.lag
        return body

    def _ListAccessKeys(self, params):
        body = super()._ListAccessKeys(params)
        keys = body['AccessKeys']['AccessKey']
        body['AccessKeys']['AccessKey'] = [k for k in keys if not self.hidden.get(k['AccessKeyId'])]
        for key in keys:
            if self.hidden.get(key['AccessKeyId']):
                self.hidden[key['AccessKeyId']] -= 1
        return body

    def identify(self, key_id, secret):
        if self.hidden.get(key_id):
            with self._lock:
                self.calls.append(('GetCallerIdentity', {'as': key_id}))
                self.hidden[key_id] -= 1
            raise FakeSdkError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.')
        return super().identify(key_id, secret)


def test_lost_create_answer_under_lag_waits_for_the_lost_key_and_deletes_it():
    """The answer of CreateAccessKey is lost and the key it made is not listed for 3 more reads. Fails if the module
    resends after one read that does not show it (checked: with RamApi.poll reading once, the user ended with the
    lost key Active, unheld, next to the reported one)."""
    fake = LaggingFakeRam(lag=3)
    api, dummy = make_api(fake)
    fake.add_user('u1')
    fake.fail('CreateAccessKey', read_timeout, after=True)
    result = reconcile(api, options(['u1']))
    entry = result['access_keys']['u1']
    assert fake.key_ids('u1') == [entry['access_key_id']]
    assert len(entry['deleted_access_key_ids']) == 1 and entry['deleted_access_key_ids'][0] != entry['access_key_id']
    assert entry['identity']['identity_type'] == 'RAMUser'


def test_lost_create_answer_then_key_limit_deletes_the_lost_key_and_creates_once_more():
    """The user has one key; the lost CreateAccessKey made a second one that is not listed yet, so the resend meets
    the limit of 2 (it counts keys nobody can list yet). Fails if LimitExceeded after a lost answer fails the user
    (checked: without the retry in create_access_key the run failed with LimitExceeded.User.AccessKey)."""
    fake = LaggingFakeRam(lag=100)
    api, dummy = make_api(fake)
    api.policy.consistency_window = 2.0
    fake.add_user('u1')
    fake.add_key('u1', 'OLD', status='Inactive')
    fake.fail('CreateAccessKey', read_timeout, after=True)

    def show_all_after_first_window(seconds, sleeps=[]):   # noqa: B006  pylint: disable=dangerous-default-value
        sleeps.append(seconds)
        if sum(sleeps) >= 2.0:
            fake.hidden.clear()

    api.policy.sleep = show_all_after_first_window
    result = reconcile(api, options(['u1'], on_limit='fail'))
    entry = result['access_keys']['u1']
    assert sorted(fake.key_ids('u1')) == sorted(['OLD', entry['access_key_id']])
    assert len(entry['deleted_access_key_ids']) == 1


def test_held_key_not_listed_yet_is_waited_for_not_replaced():
    """A host holds a key created a moment ago that RAM does not list yet. Fails if the module decides on the first
    list (checked: with expect_ids ignored it created a second key)."""
    fake = LaggingFakeRam(lag=2)
    api, dummy = make_api(fake)
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    fake.hidden['K1'] = 2
    result = reconcile(api, options(['u1'], [holding(fake, 'u1', 'K1')]))
    assert not result['changed'] and result['access_keys']['u1']['access_key_id'] == 'K1'
    assert fake.writes() == [] and fake.key_ids('u1') == ['K1']


def test_user_not_listed_yet_is_waited_for():
    fake = LaggingFakeRam(lag=0)
    api, dummy = make_api(fake)
    fake.add_user('u1')
    fake.lag_reads('ListAccessKeys', 'EntityNotExist.User', 2)
    result = reconcile(api, options(['u1']))
    assert result['access_keys']['u1']['created'] and fake.writes() == ['CreateAccessKey']


def test_consistency_window_bounds_the_wait():
    """A held id that never shows is waited for the consistency window and no longer (then replaced as stale). Fails
    if the batch's shared backoff policy drops the window (checked: _SharedBackoffPolicy without consistency_window
    waited the default 15 s)."""
    fake = LaggingFakeRam(lag=0)
    api, dummy = make_api(fake)
    api.policy.consistency_window = 3.0
    fake.add_user('u1')
    result = reconcile(api, options(['u1'], [{'user_name': 'u1', 'access_key_id': 'GONE1', 'host': 'h1',
                                              'access_key_secret': 'x'}]))
    assert result['access_keys']['u1']['created']
    assert sum(api.policy.sleep.delays) == pytest.approx(3.0)


def test_check_mode_on_a_user_that_does_not_exist_yet_reports_a_key_to_create_without_waiting(ram):
    """A dry run on a fresh account: ram_users would create the user, so ram_access_keys finds none. Fails if check
    mode waits for the user or fails with EntityNotExist.User (checked: with list_access_keys in check mode the run
    waited out the consistency window, then failed with EntityNotExist.User for new-user)."""
    api, fake = ram
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    result = reconcile(api, options(['u1', 'new-user'], [holding(fake, 'u1', 'K1')]), check_mode=True)
    new = result['access_keys']['new-user']
    assert new['created'] and new['access_key_id'] is None and 'does not exist yet' in new['reason']
    assert result['access_keys']['u1']['access_key_id'] == 'K1' and not result['access_keys']['u1']['created']
    assert fake.writes() == [] and api.policy.sleep.delays == []


def test_a_status_change_is_waited_for_so_that_the_next_task_reads_it():
    """After UpdateAccessKey the list shows the old status for two more reads. The module waits until it shows the
    new one, so that the next run decides on it. Fails if writes return before they show (checked: without
    ``visible`` on UpdateAccessKey the second run read Active and deactivated the key again, changed both times)."""
    fake = LaggingFakeRam(lag=0)
    api, dummy = make_api(fake)
    fake.add_user('u1')
    fake.add_key('u1', 'K1')
    stale = {'reads': 0}
    real_update, real_list = fake._UpdateAccessKey, fake._ListAccessKeys

    def update(params):
        stale['reads'] = 2
        return real_update(params)

    def lagging_list(params):
        body = real_list(params)
        if stale['reads']:
            stale['reads'] -= 1
            for key in body['AccessKeys']['AccessKey']:
                key['Status'] = 'Active'
        return body

    fake._UpdateAccessKey, fake._ListAccessKeys = update, lagging_list
    spec = {'user_name': 'u1', 'id': 'K1', 'status': 'inactive', 'max_age_days': None, 'on_limit': 'fail'}
    first = ensure_access_key(api, spec, check_mode=False)
    second = ensure_access_key(api, spec, check_mode=False)
    assert first['changed'] and not second['changed'] and fake.writes() == ['UpdateAccessKey']
