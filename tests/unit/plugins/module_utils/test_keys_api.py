# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Key and identity I/O (_keys.api): the one table of "already gone" answers, the one reading of an STS identity,
and check mode in the one writer (_keys.apply.KeyChanges)."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import (
    GONE,
    caller_identity,
    list_access_keys_if_user,
    parse_identity,
    read_unless_gone,
    write_unless_gone,
)
from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import KeyChanges
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import INACTIVE
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam, api_error, make_api


@pytest.fixture
def ram():
    fake = FakeRam()
    fake.add_user('alice')
    fake.add_key('alice', 'K1')
    return fake


# (action, params, gone: what the fake answers when the object is not there)
GONE_ROWS = [
    ('GetUser', {'UserName': 'nobody'}),
    ('ListAccessKeys', {'UserName': 'nobody'}),
    ('GetAccessKeyLastUsed', {'UserName': 'alice', 'UserAccessKeyId': 'NOKEY'}),
    ('GetLoginProfile', {'UserName': 'alice'}),
]


@pytest.mark.parametrize('action, params', GONE_ROWS, ids=[row[0] for row in GONE_ROWS])
def test_reads_of_something_gone_give_none(ram, action, params):
    api, dummy = make_api(ram)
    assert read_unless_gone(api, action, **params) is None


@pytest.mark.parametrize('action, params', [
    ('DeleteAccessKey', {'UserName': 'alice', 'UserAccessKeyId': 'NOKEY'}),
    ('DeleteUser', {'UserName': 'nobody'}),
    ('DeleteLoginProfile', {'UserName': 'alice'}),
])
def test_deletes_of_something_gone_are_done(ram, action, params):
    api, dummy = make_api(ram)
    assert write_unless_gone(api, action, **params) is False
    assert write_unless_gone(api, 'DeleteAccessKey', UserName='alice', UserAccessKeyId='K1') is True
    assert ram.key_ids('alice') == []


def test_other_failures_are_not_gone(ram):
    ram.fail('DeleteAccessKey', lambda: api_error('NoPermission'))
    api, dummy = make_api(ram)
    with pytest.raises(ApiError) as info:
        write_unless_gone(api, 'DeleteAccessKey', UserName='alice', UserAccessKeyId='K1')
    assert info.value.code == 'NoPermission' and ram.key_ids('alice') == ['K1']
    # a missing user is not "the key is gone": deleting a key of a user that does not exist fails
    assert 'EntityNotExist.User' not in GONE['DeleteAccessKey']


def test_keys_of_a_missing_user(ram):
    api, dummy = make_api(ram)
    assert list_access_keys_if_user(api, 'nobody') is None
    assert [k['access_key_id'] for k in list_access_keys_if_user(api, 'alice')] == ['K1']


@pytest.mark.parametrize('body, expected', [
    ({'AccountId': '1', 'IdentityType': 'RAMUser', 'Arn': 'acs:ram::1:user/alice', 'UserId': '22', 'PrincipalId': '22'},
     {'account_id': '1', 'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/alice', 'user_id': '22', 'principal_id': '22',
      'role_id': None, 'is_root': False}),
    ({'AccountId': '1', 'IdentityType': 'Account', 'Arn': 'acs:ram::1:root', 'UserId': '1', 'PrincipalId': '1'},
     {'account_id': '1', 'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'user_id': '1', 'principal_id': '1',
      'role_id': None, 'is_root': True}),
    ({'AccountId': '1', 'IdentityType': 'AssumedRoleUser', 'Arn': 'acs:ram::1:assumed-role/r/s', 'RoleId': '33', 'UserId': ''},
     {'account_id': '1', 'identity_type': 'AssumedRoleUser', 'arn': 'acs:ram::1:assumed-role/r/s', 'user_id': None,
      'principal_id': None, 'role_id': '33', 'is_root': False}),
    ({}, {'account_id': None, 'identity_type': None, 'arn': None, 'user_id': None, 'principal_id': None, 'role_id': None,
          'is_root': False}),
])
def test_parse_identity(body, expected):
    assert parse_identity(body) == expected


def test_caller_identity_asks_sts_once(ram):
    api, dummy = make_api(ram)
    identity = caller_identity(api)
    assert identity['arn'] == 'acs:ram::1234567890123456:user/ram-admin' and identity['is_root'] is False
    assert ram.calls == [('GetCallerIdentity', {})]


@pytest.mark.parametrize('check_mode', [True, False])
def test_key_changes_decide_check_mode_once(ram, check_mode):
    ram.add_key('alice', 'K2')
    api, dummy = make_api(ram)
    changes = KeyChanges(api, 'alice', check_mode)
    changes.set_status('K2', INACTIVE)
    changes.delete('K1')
    plan = {'delete': [], 'listed': ['K2'], 'new_key_status': 'Active'}
    key, dummy = changes.create(plan)
    assert changes.deactivated == ['K2'] and changes.deleted == ['K1']
    if check_mode:
        assert key == {'access_key_id': None, 'status': 'Active', 'create_date': None}
        assert ram.writes() == [] and ram.key_ids('alice') == ['K1', 'K2']
    else:
        assert ram.writes() == ['UpdateAccessKey', 'DeleteAccessKey', 'CreateAccessKey']
        assert ram.key_ids('alice') == ['K2', key['access_key_id']] and key['access_key_secret']


def test_a_new_key_that_cannot_be_finished_is_deleted(ram):
    api, dummy = make_api(ram)
    changes = KeyChanges(api, 'alice', False)

    def finish(key):
        raise ApiError('GetCallerIdentity', code='UnexpectedIdentity', message='not alice')

    with pytest.raises(ApiError):
        changes.create({'delete': [], 'listed': ['K1'], 'new_key_status': 'Active'}, finish)
    assert ram.key_ids('alice') == ['K1'] and ram.writes() == ['CreateAccessKey', 'DeleteAccessKey']
