# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kms backend of the secret store: its pure decisions (tables), KmsStore against a fake KMS (lost responses,
throttling, races), and coordinated_reconcile with a fake module, clock and sleep."""

from __future__ import annotations

import json

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _kms_store as kms
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy

from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeSdkError, read_timeout, throttled

SECRET = 'Sec-of-the-key-0123456789'
T0 = 1_800_000_000.0


# ---------------------------------------------------------------- a fake KMS

def kms_error(code, status):
    return FakeSdkError(code, status, code)


class FakeKms(object):
    """KMS generic secrets in memory: CreateSecret atomic per name, version ids unique per secret (the same id with
    another value: Rejected.ResourceExist).  ``fail(action, exc, after)`` as FakeRam's (after: committed, then lost)."""

    def __init__(self):
        self.secrets = {}
        self.calls = []
        self.faults = []

    def fail(self, action, exc, after=False, count=1):
        self.faults.extend([(action, exc, after)] * count)

    def endpoint(self, service):
        return 'http://fake-%s' % service

    def writes(self):
        return [a for a, p in self.calls if a not in ('GetSecretValue', 'DescribeSecret')]

    def invoke(self, service, action, params):
        assert service == 'kms'
        self.calls.append((action, dict(params)))
        fault = next((f for f in self.faults if f[0] == action), None)
        if fault:
            self.faults.remove(fault)
            if not fault[2]:
                raise fault[1]()
        body = getattr(self, '_' + action)(params)
        if fault:
            raise fault[1]()
        body['RequestId'] = 'KREQ-%d' % len(self.calls)
        return body

    def _secret(self, params):
        secret = self.secrets.get(params['SecretName'])
        if secret is None:
            raise kms_error('Forbidden.ResourceNotFound', 404)
        return secret

    def _CreateSecret(self, params):
        if params['SecretName'] in self.secrets:
            raise kms_error('Rejected.ResourceExist', 409)
        self.secrets[params['SecretName']] = {
            'versions': {params['VersionId']: params['SecretData']}, 'current': params['VersionId'],
            'Description': params.get('Description'), 'Tags': json.loads(params.get('Tags') or '[]')}
        return {'SecretName': params['SecretName'], 'VersionId': params['VersionId']}

    def _GetSecretValue(self, params):
        secret = self._secret(params)
        return {'SecretName': params['SecretName'], 'VersionId': secret['current'],
                'SecretData': secret['versions'][secret['current']]}

    def _PutSecretValue(self, params):
        secret = self._secret(params)
        existing = secret['versions'].get(params['VersionId'])
        if existing is not None and existing != params['SecretData']:
            raise kms_error('Rejected.ResourceExist', 409)
        secret['versions'][params['VersionId']] = params['SecretData']
        secret['current'] = params['VersionId']
        return {'SecretName': params['SecretName'], 'VersionId': params['VersionId']}

    def _UpdateSecret(self, params):
        self._secret(params)['Description'] = params.get('Description')
        return {'SecretName': params['SecretName']}

    def _DescribeSecret(self, params):
        secret = self._secret(params)
        return {'SecretName': params['SecretName'], 'Description': secret['Description']}

    def _DeleteSecret(self, params):
        self._secret(params)
        assert params.get('ForceDeleteWithoutRecovery') == 'true'
        del self.secrets[params['SecretName']]
        return {'SecretName': params['SecretName']}

    def value(self, name):
        secret = self.secrets[name]
        return json.loads(secret['versions'][secret['current']])


class Clock(object):
    def __init__(self, now=T0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def make_store(fake, holder='host-a:1:aaaa', clock=None, lease=60, check_mode=False):
    policy = RetryPolicy(max_retries=3, sleep=lambda s: None, rand=lambda: 0.5, consistency_window=1)
    return kms.KmsStore(RamApi(fake, policy=policy), name_prefix='test/', lease_seconds=lease, check_mode=check_mode,
                        holder=holder, clock=clock or Clock())


def entry(user='alice', key_id='LTAI-new-1', secret=SECRET):
    return {'user_name': user, 'access_key_id': key_id, 'access_key_secret': secret, 'create_date': '2027-01-15T08:00:00Z'}


# ---------------------------------------------------------------- pure decisions

CLAIM = {'user_name': 'alice', 'holder': 'h', 'generation': 3, 'state': kms.HELD, 'claimed_at': T0, 'lease_expires': T0 + 60}


@pytest.mark.parametrize('claim, now, expected', [
    (None, T0, kms.FREE),
    (dict(CLAIM, state=kms.RELEASED), T0, kms.RELEASED),
    (dict(CLAIM, state=kms.RELEASED), T0 + 1000, kms.RELEASED),
    (CLAIM, T0, kms.HELD),
    (CLAIM, T0 + 59.9, kms.HELD),
    (CLAIM, T0 + 60, kms.EXPIRED),
    (CLAIM, T0 + 3600, kms.EXPIRED),
])
def test_claim_state(claim, now, expected):
    assert kms.claim_state(claim, now) == expected


def test_next_and_released_claims_move_one_generation_on():
    first = kms.next_claim(None, 'alice', 'me', T0, 30)
    assert first == {'user_name': 'alice', 'holder': 'me', 'generation': 1, 'state': kms.HELD, 'claimed_at': T0,
                     'lease_expires': T0 + 30}
    taken = kms.next_claim(CLAIM, 'alice', 'me', T0 + 100, 30)
    assert (taken['generation'], taken['holder']) == (4, 'me')
    released = kms.released_claim(taken, T0 + 101)
    assert (released['generation'], released['state'], released['holder']) == (5, kms.RELEASED, 'me')
    assert kms.claim_version(released['generation']) == 'claim-5'


def key(key_id, create_date, status='Active'):
    return {'access_key_id': key_id, 'status': status, 'create_date': create_date}


CLAIMED_AT = 1_800_000_000.0   # 2027-01-15T08:00:00Z


@pytest.mark.parametrize('keys, stored, held, expected', [
    # the dead holder's key: created after its claim, named by nothing
    ([key('K1', '2027-01-15T08:00:05Z')], [], [], ['K1']),
    # a key a host holds is never an orphan, however new
    ([key('K1', '2027-01-15T08:00:05Z')], [], ['K1'], []),
    # the stored key is not one
    ([key('K1', '2027-01-15T08:00:05Z')], ['K1'], [], []),
    # an older key nobody declared is an operator's, not this run's to delete
    ([key('OLD', '2026-01-01T00:00:00Z')], [], [], []),
    # within the clock skew before the claim: still the holder's
    ([key('K1', '2027-01-15T07:59:30Z')], [], [], ['K1']),
    ([key('K1', '2027-01-15T07:58:30Z')], [], [], []),
    # inactive or active alike, and only the unnamed ones
    ([key('A', '2027-01-15T08:00:01Z', 'Inactive'), key('B', '2027-01-15T08:00:02Z')], ['B'], [], ['A']),
    ([key('X', None)], [], [], []),
])
def test_orphan_keys(keys, stored, held, expected):
    assert kms.orphan_keys(keys, stored, held, CLAIMED_AT) == expected


@pytest.mark.parametrize('attempt, rand, expected', [(0, 0.0, 0.25), (0, 1.0, 0.5), (3, 0.5, 3.0), (10, 1.0, 5.0),
                                                     (10, 0.0, 2.5)])
def test_wait_delay_is_jittered_and_capped(attempt, rand, expected):
    assert kms.wait_delay(attempt, lambda: rand) == pytest.approx(expected)


@pytest.mark.parametrize('prefix, ok', [('aliyun-ram/', True), ('', True), ('a/b=c+d@e.f_', True), ('has space', False),
                                        ('bad:colon', False), ('x' * 116, True), ('x' * 117, False)])
def test_name_prefix(prefix, ok):
    if ok:
        assert kms.check_name_prefix(prefix) == prefix
    else:
        with pytest.raises(ValidationError, match='name_prefix'):
            kms.check_name_prefix(prefix)


def test_users_to_claim_are_those_a_check_run_would_create_for():
    plan = {'access_keys': {'a': {'created': True}, 'b': {'created': False}, 'c': {'created': True}}}
    assert kms.users_to_claim(plan) == ['a', 'c']


# ---------------------------------------------------------------- store entries

def test_entry_round_trip_with_key_id_in_description_and_tags():
    fake = FakeKms()
    store = make_store(fake)
    assert store.read_entry('alice') is None
    assert store.put_entry(entry()) is True
    secret = fake.secrets['test/alice']
    assert 'LTAI-new-1' in secret['Description'] and SECRET not in secret['Description']
    assert {'TagKey': kms.USER_TAG, 'TagValue': 'alice'} in secret['Tags']
    assert store.read_entry('alice') == entry()
    writes = len(fake.writes())
    assert store.put_entry(entry()) is False
    assert len(fake.writes()) == writes                     # the same key again: nothing written


def test_a_new_key_is_a_new_version_and_the_description_follows():
    fake = FakeKms()
    store = make_store(fake)
    store.put_entry(entry())
    store.put_entry(entry(key_id='LTAI-new-2', secret='other-secret-value-xyz'))
    assert store.read_entry('alice')['access_key_id'] == 'LTAI-new-2'
    assert 'LTAI-new-2' in fake.secrets['test/alice']['Description']


def test_a_lost_create_secret_response_is_recognised():
    fake = FakeKms()
    fake.fail('CreateSecret', read_timeout, after=True)
    store = make_store(fake)
    assert store.put_entry(entry()) is True
    assert fake.writes() == ['CreateSecret']
    assert store.read_entry('alice') == entry()


def test_throttled_kms_calls_are_retried():
    fake = FakeKms()
    fake.fail('GetSecretValue', throttled, count=2)
    fake.fail('CreateSecret', throttled)
    store = make_store(fake)
    assert store.put_entry(entry()) is True
    assert store.api.retries == 3


def test_remove_entry_only_when_it_names_a_deleted_key():
    fake = FakeKms()
    store = make_store(fake)
    store.put_entry(entry())
    assert store.remove_entry('alice', ['LTAI-other']) is False
    assert store.remove_entry('alice', ['LTAI-new-1']) is True
    assert 'test/alice' not in fake.secrets


def test_a_compromised_key_is_recorded_once_and_its_entry_leaves_the_store():
    fake = FakeKms()
    store = make_store(fake)
    store.put_entry(entry())
    assert store.read_compromised('alice') == []
    assert store.record_compromised('alice', 'LTAI-new-1') is True
    assert 'test/alice' not in fake.secrets                   # the leaked secret is gone from the store
    record = fake.secrets['test/compromised/alice']
    assert {'TagKey': kms.STORE_TAG, 'TagValue': kms.COMPROMISED_KIND} in record['Tags'] and SECRET not in json.dumps(record)
    writes = len(fake.writes())
    assert store.record_compromised('alice', 'LTAI-new-1') is False
    assert len(fake.writes()) == writes                       # recorded already: nothing written
    assert store.record_compromised('alice', 'LTAI-new-2') is True
    assert store.read_compromised('alice') == ['LTAI-new-1', 'LTAI-new-2']
    assert make_store(FakeKms(), check_mode=True).record_compromised('bob', 'LTAI-x') is True


def test_two_runs_recording_keys_of_one_user_at_once_both_get_recorded():
    fake = FakeKms()
    first, second = make_store(fake), make_store(fake, holder='host-b:2:bbbb')
    first.record_compromised('alice', 'LTAI-one')
    # the second run read the record before the first run's next write and writes the same version id
    real_read = second.read_compromised
    reads = []

    def stale_once(user_name):
        reads.append(user_name)
        return ['LTAI-one'] if len(reads) == 1 else real_read(user_name)

    second.read_compromised = stale_once
    first.record_compromised('alice', 'LTAI-two')
    assert second.record_compromised('alice', 'LTAI-three') is True
    assert real_read('alice') == ['LTAI-one', 'LTAI-two', 'LTAI-three']


def test_a_lost_record_response_is_recognised():
    fake = FakeKms()
    fake.fail('CreateSecret', read_timeout, after=True)
    store = make_store(fake)
    assert store.record_compromised('alice', 'LTAI-one') is True
    assert store.read_compromised('alice') == ['LTAI-one'] and fake.writes() == ['CreateSecret']


def test_a_secret_that_is_not_ours_is_refused_without_quoting_it():
    fake = FakeKms()
    fake.secrets['test/alice'] = {'versions': {'v': 'not json ' + SECRET}, 'current': 'v', 'Description': None, 'Tags': []}
    with pytest.raises(kms.StoreError) as info:
        make_store(fake).read_entry('alice')
    assert 'test/alice' in str(info.value) and SECRET not in str(info.value)


def test_check_mode_writes_nothing():
    fake = FakeKms()
    assert make_store(fake, check_mode=True).put_entry(entry()) is True
    assert fake.writes() == []


# ---------------------------------------------------------------- claims

def test_of_two_runs_claiming_at_once_exactly_one_wins():
    fake = FakeKms()
    clock = Clock()
    a, b = make_store(fake, 'a', clock), make_store(fake, 'b', clock)
    claim_a, other = a.try_claim('alice')
    assert claim_a['holder'] == 'a' and other is None
    claim_b, current = b.try_claim('alice')
    assert claim_b is None and current['holder'] == 'a'


def test_a_create_whose_answer_was_lost_and_then_reports_already_exists_is_ours():
    fake = FakeKms()
    # committed, the answer lost; the check read fails too, so the resend gets the real "already exists"
    fake.fail('CreateSecret', read_timeout, after=True)
    original = fake._GetSecretValue
    reads = []

    def blind_once(params):
        reads.append(params)
        if len(reads) == 2:
            raise kms_error('ServiceUnavailableTemporary', 503)
        return original(params)

    fake._GetSecretValue = blind_once
    claim, other = make_store(fake, 'a').try_claim('alice')
    assert claim is not None and claim['holder'] == 'a'
    assert fake.value('test/claims/alice')['holder'] == 'a'


def test_create_already_exists_with_another_holder_is_lost():
    fake = FakeKms()
    clock = Clock()
    a, b = make_store(fake, 'a', clock), make_store(fake, 'b', clock)
    # b reads "no claim", then a creates it: b's CreateSecret gets the real "already exists"
    b_current = b.read_claim('alice')
    a.try_claim('alice')
    assert b._write_claim('alice', b_current, kms.next_claim(None, 'alice', 'b', clock(), 60)) is False


def test_an_expired_claim_is_taken_over_by_exactly_one_run():
    fake = FakeKms()
    clock = Clock()
    dead, b, c = make_store(fake, 'dead', clock), make_store(fake, 'b', clock), make_store(fake, 'c', clock)
    dead_claim, dummy = dead.try_claim('alice')
    clock.now += 61
    seen_by_c = c.read_claim('alice')
    claim_b, taken = b.try_claim('alice')
    assert claim_b['generation'] == 2 and taken['holder'] == 'dead'
    # c saw the same expired claim: its takeover writes the same version id with another value, refused
    assert c._write_claim('alice', seen_by_c, kms.next_claim(seen_by_c, 'alice', 'c', clock(), 60)) is False
    assert not dead.still_holds(dead_claim) and b.still_holds(claim_b)
    # the dead run's late release cannot undo the takeover
    assert dead.release(dead_claim) is False
    assert fake.value('test/claims/alice')['holder'] == 'b'


def test_release_then_claim_again():
    fake = FakeKms()
    clock = Clock()
    a, b = make_store(fake, 'a', clock), make_store(fake, 'b', clock)
    claim, dummy = a.try_claim('alice')
    assert a.release(claim) is True
    assert kms.claim_state(b.read_claim('alice'), clock()) == kms.RELEASED
    claim_b, taken = b.try_claim('alice')
    assert claim_b['generation'] == 3 and taken is None


def test_claim_errors_other_than_already_exists_fail():
    fake = FakeKms()
    fake.fail('CreateSecret', lambda: kms_error('Forbidden.NoPermission', 403))
    with pytest.raises(ApiError) as info:
        make_store(fake).try_claim('alice')
    assert info.value.code == 'Forbidden.NoPermission' and 'CreateSecret' in str(info.value)


# ---------------------------------------------------------------- coordinated_reconcile

class FakeAccount(object):
    """RAM keys and a module that behaves as ram_access_keys does: keep a held active key, else create one."""

    def __init__(self):
        self.keys = {}
        self.created = []
        self.deleted = []
        self.runs = []

    def run_module(self, users, held, check_mode):
        self.runs.append((tuple(users), check_mode))
        result = {'changed': False, 'access_keys': {}}
        for user in users:
            ids = [h['access_key_id'] for h in held if h['user_name'] == user]
            kept = next((k for k in self.keys.get(user, []) if k['access_key_id'] in ids), None)
            if kept:
                result['access_keys'][user] = {'access_key_id': kept['access_key_id'], 'created': False,
                                               'access_key_secret': 'secret-of-' + kept['access_key_id']}
                continue
            result['changed'] = True
            if check_mode:
                result['access_keys'][user] = {'access_key_id': None, 'created': True}
                continue
            new = key('K%d-%s' % (len(self.created) + 1, user), '2027-01-15T08:00:10Z')
            self.keys.setdefault(user, []).append(new)
            self.created.append(new['access_key_id'])
            result['access_keys'][user] = {'access_key_id': new['access_key_id'], 'created': True,
                                           'access_key_secret': 'secret-of-' + new['access_key_id'],
                                           'create_date': new['create_date']}
        return result

    def list_keys(self, user):
        return list(self.keys.get(user, []))

    def delete_key(self, user, key_id):
        self.keys[user] = [k for k in self.keys[user] if k['access_key_id'] != key_id]
        self.deleted.append(key_id)

    def world(self, clock, on_step=None):
        return kms.Coordination(self.run_module, self.list_keys, self.delete_key, sleep=clock.sleep, rand=lambda: 0.5,
                                monotonic=clock, on_step=on_step)


def test_first_run_creates_stores_and_releases_then_a_rerun_writes_nothing():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)
    result = kms.coordinated_reconcile(make_store(fake, 'a', clock), account.world(clock), ['alice', 'bob'], [])
    assert result['changed'] and not result.get('failed')
    assert sorted(result['secret_store']['added_access_key_ids']) == sorted(account.created)
    assert kms.claim_state(fake.value('test/claims/alice'), clock()) == kms.RELEASED
    writes = len(fake.writes())
    again = kms.coordinated_reconcile(make_store(fake, 'b', clock), account.world(clock), ['alice', 'bob'], [])
    assert not again['changed'] and len(fake.writes()) == writes and len(account.created) == 2
    assert again['access_keys']['alice']['access_key_id'] == account.created[0]


def test_a_run_that_finds_a_live_claim_waits_and_reads_the_winners_key():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)
    winner = make_store(fake, 'winner', clock)
    claim, dummy = winner.try_claim('alice')
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock.now += seconds
        if len(waits) == 3:
            # the winner finishes while we wait
            account.keys['alice'] = [key('KW', '2027-01-15T08:00:01Z')]
            winner.put_entry(entry(key_id='KW', secret='secret-of-KW'))
            winner.release(claim)

    world = kms.Coordination(account.run_module, account.list_keys, account.delete_key, sleep=sleep, rand=lambda: 0.5,
                             monotonic=clock)
    result = kms.coordinated_reconcile(make_store(fake, 'waiter', clock), world, ['alice'], [])
    assert result['access_keys']['alice']['access_key_id'] == 'KW' and account.created == []
    assert result['secret_store']['waited_for'] == ['alice']
    assert waits == [0.375, 0.75, 1.5]                      # backoff with jitter, injected


def test_a_dead_winners_claim_is_taken_over_after_its_lease_and_its_orphan_deleted():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)

    class Killed(Exception):
        pass

    def die_after_create(step, users):
        if step == 'created':
            raise Killed()

    with pytest.raises(Killed):
        kms.coordinated_reconcile(make_store(fake, 'dead', clock, lease=30), account.world(clock, die_after_create),
                                  ['alice'], [])
    orphan = account.created[0]
    # a SIGKILL releases nothing: put the claim back as the dead run left it
    fake.secrets['test/claims/alice']['versions'].pop('claim-2')
    fake.secrets['test/claims/alice']['current'] = 'claim-1'
    assert 'test/alice' not in fake.secrets
    result = kms.coordinated_reconcile(make_store(fake, 'next', clock, lease=30), account.world(clock), ['alice'], [])
    assert not result.get('failed'), result.get('msg')
    assert result['secret_store']['orphan_access_key_ids_deleted'] == [orphan]
    assert result['secret_store']['claims_taken_over'][0]['holder'] == 'dead'
    assert [k['access_key_id'] for k in account.keys['alice']] == [account.created[1]]
    assert fake.value('test/alice')['access_key_id'] == account.created[1]
    assert sum(clock.slept) >= 30                           # it waited for the lease, with the injected sleep


def test_the_taker_never_deletes_a_key_a_host_holds():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)
    dead = make_store(fake, 'dead', clock, lease=30)
    dead.try_claim('alice')
    account.keys['alice'] = [key('HELD', '2027-01-15T08:00:03Z', 'Inactive')]
    clock.now += 31
    held = [{'user_name': 'alice', 'access_key_id': 'HELD', 'access_key_secret': 'x' * 30, 'host': 'web1'}]
    result = kms.coordinated_reconcile(make_store(fake, 'next', clock, lease=30), account.world(clock), ['alice'], held)
    assert result['secret_store']['orphan_access_key_ids_deleted'] == []
    assert 'HELD' in [k['access_key_id'] for k in account.keys['alice']]


def test_check_mode_takes_no_claim():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)
    result = kms.coordinated_reconcile(make_store(fake, 'a', clock, check_mode=True), account.world(clock), ['alice'], [],
                                       check_mode=True)
    assert result['access_keys']['alice']['created'] and fake.writes() == [] and account.created == []


def test_waiting_is_bounded():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)
    holder = make_store(fake, 'holder', clock, lease=30)
    holder.try_claim('alice')
    original = holder.read_claim

    # a holder that keeps renewing (a misbehaving run): the waiter gives up after its bound
    def renewing_sleep(seconds):
        clock.now += seconds
        current = original('alice')
        fake.secrets['test/claims/alice']['versions']['renew'] = json.dumps(dict(current, lease_expires=clock.now + 30))
        fake.secrets['test/claims/alice']['current'] = 'renew'

    world = kms.Coordination(account.run_module, account.list_keys, account.delete_key, sleep=renewing_sleep,
                             rand=lambda: 0.5, monotonic=clock)
    result = kms.coordinated_reconcile(make_store(fake, 'waiter', clock, lease=30), world, ['alice'], [])
    assert result['failed'] and 'gave up waiting' in result['msg'] and account.created == []
    assert clock.now - CLAIMED_AT <= 2 * 30 + kms.WAIT_MAX_SECONDS + 0.001


@pytest.mark.parametrize('code, status, hint', [
    ('Forbidden.NoPermission', 403, 'may not call kms:CreateSecret'),
    ('Forbidden.ResourceNotFound', 404, 'does not exist'),
    ('Rejected.Throttling', 429, 'rate limiting'),
])
def test_kms_errors_name_the_action_and_a_kms_hint(code, status, hint):
    fake = FakeKms()
    fake.fail('CreateSecret', lambda: kms_error(code, status), count=20)
    with pytest.raises(ApiError) as info:
        make_store(fake).put_entry(entry())
    text = str(info.value)
    assert 'CreateSecret failed: %s' % code in text and hint in text and 'request id' in text
    assert 'AliyunRAMFullAccess' not in text and SECRET not in text


def test_a_run_whose_lease_passes_while_creating_deletes_its_key_and_stores_nothing():
    fake, account, clock = FakeKms(), FakeAccount(), Clock(CLAIMED_AT)
    slow = make_store(fake, 'slow', clock, lease=30)
    real_run = account.run_module

    def slow_module(users, held, check_mode):
        if check_mode:
            return real_run(users, held, check_mode)
        # the lease passes before this run creates its key, and another run takes the user over meanwhile
        clock.now += 31
        taker, dummy = make_store(fake, 'taker', clock, lease=30).try_claim('alice')
        assert taker is not None
        return real_run(users, held, check_mode)

    world = kms.Coordination(slow_module, account.list_keys, account.delete_key, sleep=clock.sleep, rand=lambda: 0.5,
                             monotonic=clock)
    result = kms.coordinated_reconcile(slow, world, ['alice'], [])
    assert result['failed'] and 'expired while its key' in result['msg'] and 'deleted' in result['msg']
    assert account.deleted == account.created and account.keys['alice'] == []
    assert result['access_keys']['alice']['access_key_id'] is None and not result['access_keys']['alice']['access_key_secret']
    assert 'test/alice' not in fake.secrets
    # the slow run's release must not undo the taker's claim
    assert fake.value('test/claims/alice')['holder'] == 'taker'
