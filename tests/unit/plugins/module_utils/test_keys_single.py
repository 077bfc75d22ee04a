# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_access_key and ram_access_key_info: the plan of one user's key run against a fake RAM (check mode, the key
limit, lost responses, status changes), and the info of one or many users."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import access_key_info
from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import ensure_access_key, remove_access_key
from ansible_collections.aliyun.ram.plugins.module_utils._keys.run import access_key_spec, run_ram_access_key_info
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, ValidationError
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_plan import NOW, OLD, YOUNG, key
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    api_error,
    internal_error,
    make_api,
    read_timeout,
    refused,
)


def spec(**kwargs):
    base = {'user_name': 'alice', 'state': 'present', 'id': None, 'status': None, 'max_age_days': None,
            'on_limit': 'fail'}
    base.update(kwargs)
    return base


@pytest.fixture
def ram():
    fake = FakeRam()
    fake.add_user('alice')
    return fake


def test_first_run_creates_and_returns_the_secret(ram):
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(), check_mode=False, now=NOW)
    assert result['changed'] and result['created']
    created = result['access_key']
    assert created['access_key_id'] == ram.key_ids('alice')[0]
    assert created['access_key_secret'] == 'secret-of-' + created['access_key_id']
    assert ram.writes() == ['CreateAccessKey']


def test_second_run_without_held_key_changes_nothing(ram):
    ram.add_key('alice', 'A')
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(), check_mode=False, now=NOW)
    assert not result['changed'] and not result['created']
    assert result['access_key'] == key('A', create_date=OLD)
    assert 'access_key_secret' not in result['access_key']
    assert ram.writes() == [] and [a for a, p in ram.calls] == ['ListAccessKeys']


def test_held_key_reused(ram):
    ram.add_key('alice', 'A')
    ram.add_key('alice', 'H')
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(id='H'), check_mode=False, now=NOW)
    assert not result['changed'] and result['access_key']['access_key_id'] == 'H'
    assert ram.writes() == []


def test_check_mode_never_creates_or_invents_a_secret(ram):
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(), check_mode=True, now=NOW)
    assert result['changed'] and result['created']
    assert result['access_key'] == {'access_key_id': None, 'status': 'Active', 'create_date': None}
    assert ram.writes() == [] and ram.key_ids('alice') == []


def test_check_mode_at_limit_reports_without_deleting(ram):
    ram.add_key('alice', 'I1', 'Inactive')
    ram.add_key('alice', 'I2', 'Inactive', create_date=YOUNG)
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(on_limit='delete_inactive'), check_mode=True, now=NOW)
    assert result['deleted_access_key_ids'] == ['I1'] and result['created']
    assert ram.writes() == [] and ram.key_ids('alice') == ['I1', 'I2']


def test_delete_inactive_makes_room_then_creates(ram):
    ram.add_key('alice', 'I1', 'Inactive')
    ram.add_key('alice', 'I2', 'Inactive', create_date=YOUNG)
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(on_limit='delete_inactive'), check_mode=False, now=NOW)
    assert ram.writes() == ['DeleteAccessKey', 'CreateAccessKey']
    assert ram.key_ids('alice') == ['I2', result['access_key']['access_key_id']]
    assert result['deleted_access_key_ids'] == ['I1']


def test_limit_fails_before_any_write(ram):
    ram.add_key('alice', 'A')
    ram.add_key('alice', 'B')
    api, dummy = make_api(ram)
    with pytest.raises(ConflictError) as info:
        ensure_access_key(api, spec(id='GONE', on_limit='delete_inactive'), check_mode=False, now=NOW)
    assert [k['access_key_id'] for k in info.value.details['access_keys']] == ['A', 'B']
    assert info.value.details['access_keys'][0]['age_days'] == 151
    assert ram.writes() == []


def test_rotation_keeps_the_old_key(ram):
    ram.add_key('alice', 'H', create_date=OLD)
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(id='H', max_age_days=90), check_mode=False, now=NOW)
    assert result['created'] and result['rotated_from'] == 'H'
    assert ram.key_ids('alice') == ['H', result['access_key']['access_key_id']]
    assert ram.users['alice']['keys'][0]['Status'] == 'Active'
    assert ram.writes() == ['CreateAccessKey']


def test_status_update_of_held_key(ram):
    ram.add_key('alice', 'H')
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(id='H', status='inactive'), check_mode=False, now=NOW)
    assert result['changed'] and result['access_key']['status'] == 'Inactive'
    assert ram.users['alice']['keys'][0]['Status'] == 'Inactive'
    again = ensure_access_key(api, spec(id='H', status='inactive'), check_mode=False, now=NOW)
    assert not again['changed'] and ram.writes() == ['UpdateAccessKey']


def test_replacement_created_inactive(ram):
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(id='GONE', status='inactive'), check_mode=False, now=NOW)
    assert result['access_key']['status'] == 'Inactive' and 'access_key_secret' in result['access_key']
    assert ram.writes() == ['CreateAccessKey', 'UpdateAccessKey']


def test_failed_status_update_after_create_deletes_the_new_key(ram):
    ram.fail('UpdateAccessKey', api_error('NoPermission'))
    api, dummy = make_api(ram)
    with pytest.raises(ApiError):
        ensure_access_key(api, spec(id='GONE', status='inactive'), check_mode=False, now=NOW)
    assert ram.key_ids('alice') == []


@pytest.mark.parametrize('fault', [read_timeout, internal_error], ids=['timeout', 'internal-error'])
def test_lost_create_response_leaves_exactly_one_key(ram, fault):
    ram.add_key('alice', 'I', 'Inactive')
    ram.fail('CreateAccessKey', fault, after=True)   # committed, response lost: its secret is unrecoverable
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(), check_mode=False, now=NOW)
    remaining = ram.key_ids('alice')
    assert len(remaining) == 2 and remaining[0] == 'I'
    assert result['access_key']['access_key_id'] == remaining[1]
    assert result['access_key']['access_key_secret'] == 'secret-of-' + remaining[1]
    lost = [p['UserAccessKeyId'] for a, p in ram.calls if a == 'DeleteAccessKey']
    assert len(lost) == 1 and lost[0] not in remaining
    assert result['deleted_access_key_ids'] == lost
    assert ram.writes() == ['CreateAccessKey', 'DeleteAccessKey', 'CreateAccessKey']
    assert api.retries == 1


def test_create_not_sent_is_simply_resent(ram):
    ram.fail('CreateAccessKey', refused)
    api, dummy = make_api(ram)
    result = ensure_access_key(api, spec(), check_mode=False, now=NOW)
    assert ram.key_ids('alice') == [result['access_key']['access_key_id']]
    assert ram.writes() == ['CreateAccessKey', 'CreateAccessKey'] and result['deleted_access_key_ids'] == []


def test_repeated_lost_responses_give_up_without_orphans(ram):
    ram.fail('CreateAccessKey', read_timeout, after=True, count=5)
    api, dummy = make_api(ram, max_retries=2)
    with pytest.raises(ApiError):
        ensure_access_key(api, spec(), check_mode=False, now=NOW)
    assert ram.key_ids('alice') == []
    assert ram.writes().count('CreateAccessKey') == 3


def test_missing_user_fails_with_its_code():
    api, dummy = make_api()
    with pytest.raises(ApiError) as info:
        ensure_access_key(api, spec(user_name='nobody'), check_mode=False, now=NOW)
    assert info.value.code == 'EntityNotExist.User'


def test_absent(ram):
    ram.add_key('alice', 'A')
    ram.add_key('alice', 'B')
    api, dummy = make_api(ram)
    checked = remove_access_key(api, spec(state='absent', id='A'), check_mode=True)
    assert checked['changed'] and ram.key_ids('alice') == ['A', 'B']
    result = remove_access_key(api, spec(state='absent', id='A'), check_mode=False)
    assert result['changed'] and result['deleted_access_key_ids'] == ['A'] and ram.key_ids('alice') == ['B']
    again = remove_access_key(api, spec(state='absent', id='A'), check_mode=False)
    assert not again['changed']
    gone_user = remove_access_key(api, spec(user_name='nobody', state='absent', id='A'), check_mode=False)
    assert not gone_user['changed']


def test_delete_of_an_already_deleted_key_after_a_lost_response(ram):
    ram.add_key('alice', 'A')
    ram.fail('DeleteAccessKey', read_timeout, after=True)
    api, dummy = make_api(ram)
    result = remove_access_key(api, spec(state='absent', id='A'), check_mode=False)
    assert result['changed'] and ram.key_ids('alice') == []
    assert ram.writes() == ['DeleteAccessKey']


def test_info_with_age_and_last_use(ram):
    ram.add_key('alice', 'A', create_date=OLD)
    ram.add_key('alice', 'B', 'Inactive', create_date=YOUNG)
    ram.last_used['A'] = '2026-05-31T10:00:00Z'
    api, dummy = make_api(ram)
    keys = access_key_info(api, 'alice', include_last_used=True, now=NOW)
    assert keys == [dict(key('A', create_date=OLD), age_days=151, last_used_date='2026-05-31T10:00:00Z'),
                    dict(key('B', 'Inactive'), age_days=12, last_used_date=None)]
    assert 'AccessKeySecret' not in str(ram.calls) and 'secret' not in str(keys)
    assert access_key_info(api, 'nobody', now=NOW) is None


def test_info_without_last_use_makes_one_call(ram):
    ram.add_key('alice', 'A')
    api, dummy = make_api(ram)
    keys = access_key_info(api, 'alice', now=NOW)
    assert 'last_used_date' not in keys[0] and len(ram.calls) == 1


class InfoModule(object):
    """What run_ram_access_key_info needs of the module: its params and an api."""

    def __init__(self, api, **params):
        self.params = dict(user_name=None, user_names=None, include_last_used=False, parallelism=8)
        self.params.update(params)
        self._api = api
        self.check_mode = False

    def api(self):
        return self._api


def test_info_of_many_users_in_one_invocation(ram):
    ram.add_user('bob')
    ram.add_key('alice', 'A', create_date=OLD)
    ram.add_key('bob', 'B')
    ram.last_used['B'] = '2026-05-31T10:00:00Z'
    api, dummy = make_api(ram)
    result = run_ram_access_key_info(InfoModule(api, user_names=['bob', 'nobody', 'alice', 'bob'],
                                                include_last_used=True, parallelism=3))
    assert [(u['user_name'], u['user_exists'], [k['access_key_id'] for k in u['access_keys']])
            for u in result['users']] == [('bob', True, ['B']), ('nobody', False, []), ('alice', True, ['A'])]
    assert result['users'][0]['access_keys'][0]['last_used_date'] == '2026-05-31T10:00:00Z'
    assert result['changed'] is False and 'secret' not in str(result)
    assert sorted(c[0] for c in ram.calls if c[0] == 'ListAccessKeys') == ['ListAccessKeys'] * 3


def test_info_of_many_users_lists_the_others_then_fails_naming_the_failed_user(ram):
    ram.add_user('bob')
    ram.add_key('bob', 'B')
    ram.fail('ListAccessKeys', lambda: api_error('NoPermission'))
    api, dummy = make_api(ram)
    with pytest.raises(ConflictError) as info:
        run_ram_access_key_info(InfoModule(api, user_names=['alice', 'bob'], parallelism=1))
    assert 'the keys of 1 of 2 users could not be listed' in str(info.value)
    assert 'alice: ' in str(info.value) and 'NoPermission' in str(info.value)
    alice, bob = info.value.details['users']
    assert alice['error']['code'] == 'NoPermission' and alice['access_keys'] == [] and 'user_exists' not in alice
    assert bob == {'user_name': 'bob', 'user_exists': True, 'access_keys': bob['access_keys']}
    assert [k['access_key_id'] for k in bob['access_keys']] == ['B']


def test_info_of_no_users_makes_no_call(ram):
    api, dummy = make_api(ram)
    assert run_ram_access_key_info(InfoModule(api, user_names=[])) == {'changed': False, 'users': []}
    assert ram.calls == []


@pytest.mark.parametrize('params, message', [
    (dict(user_names=['ok', 'bad@name']), 'user_names'),
    (dict(user_names=['ok'], parallelism=0), 'parallelism must be between 1 and 32'),
])
def test_info_of_many_users_checks_every_input_before_any_call(ram, params, message):
    api, dummy = make_api(ram)
    with pytest.raises(ValidationError) as info:
        run_ram_access_key_info(InfoModule(api, **params))
    assert message in str(info.value) and ram.calls == []


@pytest.mark.parametrize('params, message', [
    (dict(user_name='bad@name'), 'user_name'),
    (dict(id='not a key!'), 'id must be'),
    (dict(max_age_days=0), 'max_age_days'),
    (dict(status='inactive'), 'status=inactive needs id'),
    (dict(state='absent'), 'state=absent needs id'),
])
def test_spec_validation(params, message):
    with pytest.raises(ValidationError) as info:
        access_key_spec(spec(**params))
    assert message in str(info.value)
