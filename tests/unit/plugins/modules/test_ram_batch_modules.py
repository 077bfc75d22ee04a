# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_users and ram_access_keys end to end through main(), with the client factory patched to a fake RAM."""

from __future__ import annotations

import json
import threading

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
from ansible_collections.aliyun.ram.plugins.modules import ram_access_keys, ram_users
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_reconcile import (
    ROOT_KEY_ID,
    ROOT_SECRET,
    KeyAwareFakeRam,
    secret_of,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    Sleeper,
    api_error,
    throttled,
)

AUTH = {'access_key': 'LTAIcaller', 'secret_key': 'caller-secret-value-123'}
# the `run` fixture (conftest.py) passes these to every module
MODULE_ARGS = AUTH


def patch_connect(monkeypatch, fake):
    connections = []

    def fake_connect(auth, connection, policy=None):
        connections.append(auth)
        return RamApi(fake, RetryPolicy(max_retries=policy.max_retries, sleep=Sleeper()), secrets=auth.secrets())

    monkeypatch.setattr(_ram_module, 'connect', fake_connect)
    fake.connections = connections
    return fake


@pytest.fixture
def ram(monkeypatch):
    return patch_connect(monkeypatch, FakeRam())


@pytest.fixture
def keyed_ram(monkeypatch):
    return patch_connect(monkeypatch, KeyAwareFakeRam())


USERS = [
    {'name': 'alice', 'display_name': 'Alice', 'policies': ['System:AliyunOSSReadOnlyAccess'], 'groups': ['dev']},
    {'name': 'bob', 'comments': 'Builder'},
    {'name': 'alice', 'groups': ['dev']},
]


def test_ram_users_check_real_idempotent(run, ram):
    checked, dummy = run(ram_users, {'users': USERS}, check=True, diff=True)
    assert checked['changed'] and checked['summary']['created'] == 2 and ram.writes() == []
    assert [d['before_header'] for d in checked['diff']] == ['alice', 'bob']
    first, dummy = run(ram_users, {'users': USERS})
    assert first['changed'] and [u['name'] for u in first['users']] == ['alice', 'bob']
    assert first['users'][0]['attached_policies'] == ['System:AliyunOSSReadOnlyAccess'] and first['retries'] == 0
    assert sorted(ram.writes()) == ['AddUserToGroup', 'AttachPolicyToUser', 'CreateUser', 'CreateUser']
    del ram.calls[:]
    second, dummy = run(ram_users, {'users': USERS})
    assert not second['changed'] and second['summary'] == {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 2, 'failed': 0}
    assert sorted(action for action, params in ram.calls) == ['GetUser', 'GetUser', 'ListGroupsForUser', 'ListPoliciesForUser']


def test_ram_users_conflict_fails_before_any_call(run, ram):
    result, dummy = run(ram_users, {'users': [{'name': 'alice', 'comments': 'a'}, {'name': 'alice', 'comments': 'b'}]})
    assert result['failed'] and 'user alice is listed more than once with different comments' in result['msg']
    assert ram.calls == [] and ram.connections == []


def test_ram_users_exclusive_needs_a_filter(run, ram):
    result, dummy = run(ram_users, {'users': [{'name': 'alice'}], 'exclusive': True})
    assert result['failed'] and 'exclusive_name_prefix or exclusive_name_regex' in result['msg'] and ram.calls == []


def test_ram_users_exclusive_deletes_unlisted_matching_users_with_force(run, ram):
    for name in ('app-a', 'app-old', 'other'):
        ram.add_user(name)
    ram.add_key('app-old', 'K1')
    ram.users['app-old']['policies'].append(('System', 'ReadOnlyAccess'))
    result, dummy = run(ram_users, {'users': [{'name': 'app-a'}], 'exclusive': True, 'exclusive_name_prefix': 'app-'})
    assert result['changed'] and sorted(ram.users) == ['app-a', 'other']
    deleted = result['users'][1]
    assert deleted['name'] == 'app-old' and deleted['deleted'] and deleted['deleted_access_key_ids'] == ['K1']
    assert result['summary']['deleted'] == 1


def test_ram_users_collects_failures_and_finishes_the_others(run, ram):
    ram.fail('CreateUser', lambda: api_error('NoPermission', 'denied'))
    result, out = run(ram_users, {'users': [{'name': 'u1'}, {'name': 'u2'}, {'name': 'u3'}], 'parallelism': 1})
    assert result['failed'] and result['changed']
    assert '1 of 3 RAM users failed' in result['msg'] and 'u1: CreateUser failed: NoPermission' in result['msg']
    assert 'request id REQ-' in result['msg']
    assert result['users'][0]['error']['code'] == 'NoPermission' and result['summary']['failed'] == 1
    assert sorted(ram.users) == ['u2', 'u3'] and 'caller-secret-value-123' not in out


def test_ram_users_run_in_parallel(run, ram, monkeypatch):
    barrier = threading.Barrier(4, timeout=30)
    original = ram._GetUser

    def get_user(params):
        barrier.wait()   # BrokenBarrierError (a failed task) unless 4 users are handled at the same time
        return original(params)

    monkeypatch.setattr(ram, '_GetUser', get_user)
    for index in range(4):
        ram.add_user('u%d' % index)
    result, dummy = run(ram_users, {'users': [{'name': 'u%d' % i} for i in range(4)], 'parallelism': 4})
    assert not result.get('failed') and result['summary']['unchanged'] == 4


def test_ram_users_throttling_retries_are_returned(run, ram):
    ram.fail('GetUser', throttled, count=3)
    result, dummy = run(ram_users, {'users': [{'name': 'u1'}, {'name': 'u2'}]})
    assert result['retries'] == 3 and result['summary']['created'] == 2


def test_ram_users_diff_is_summarised_beyond_20_users(run, ram):
    result, dummy = run(ram_users, {'users': [{'name': 'u%02d' % i} for i in range(21)]}, check=True, diff=True)
    assert 'created (21): u00, u01' in result['diff']['prepared']


@pytest.mark.parametrize('parallelism', [0, 33])
def test_ram_users_parallelism_out_of_range_is_refused_before_any_call(run, ram, parallelism):
    """What this test checks is the option's range (the pool's bound itself: test_batch.test_run_parallel_bounds_the_workers).
    Fails if either end of 1..32 is accepted (checked: MAX_PARALLELISM raised to 64)."""
    result, dummy = run(ram_users, {'users': [{'name': 'u1'}], 'parallelism': parallelism})
    assert result['failed'] and 'parallelism must be between 1 and 32, got %d' % parallelism in result['msg']
    assert ram.calls == []


# --- ram_access_keys ------------------------------------------------------------------------------------------

def test_access_keys_create_then_converged(run, keyed_ram):
    keyed_ram.add_user('u1')
    keyed_ram.add_user('u2')
    checked, dummy = run(ram_access_keys, {'users': ['u1', 'u2']}, check=True)
    assert checked['changed'] and checked['access_keys']['u1']['access_key_id'] is None and keyed_ram.writes() == []
    first, out = run(ram_access_keys, {'users': ['u1', 'u2']})
    assert first['changed'] and first['created_count'] == 2
    held = []
    for name in ('u1', 'u2'):
        entry = first['access_keys'][name]
        assert entry['access_key_secret'] == secret_of(keyed_ram, name, entry['access_key_id'])
        held.append({'user_name': name, 'access_key_id': entry['access_key_id'], 'access_key_secret': entry['access_key_secret'],
                     'host': 'web-%s' % name})
    del keyed_ram.calls[:]
    second, out = run(ram_access_keys, {'users': ['u1', 'u2'], 'held': held})
    assert not second['changed'] and keyed_ram.writes() == []
    # converged: no call signed with a held key (it would count as the key's last use), one listing and one GetUser
    # (the compromised keys recorded in the user's Comments) per user
    assert sorted(action for action, params in keyed_ram.calls) == ['GetUser'] * 2 + ['ListAccessKeys'] * 2
    for index, name in enumerate(('u1', 'u2')):
        entry = second['access_keys'][name]
        assert entry['held_index'] == index and entry['holders'] == ['web-' + name] and 'access_key_secret' not in entry
        # held secrets are no_log inputs: never echoed back
        assert held[index]['access_key_secret'] not in out


def test_access_keys_root_key_in_held_is_refused(run, keyed_ram):
    keyed_ram.add_user('u1')
    held = [{'user_name': 'u1', 'access_key_id': ROOT_KEY_ID, 'access_key_secret': ROOT_SECRET, 'host': 'db1'}]
    result, out = run(ram_access_keys, {'users': ['u1'], 'held': held})
    assert result['failed'] and result['root_key_refused'] and 'refusing to deploy an account root key' in result['msg']
    assert keyed_ram.writes() == [] and ROOT_SECRET not in out and 'access_keys' not in result


def test_access_keys_missing_user_is_named(run, keyed_ram):
    result, dummy = run(ram_access_keys, {'users': ['ghost']})
    assert result['failed'] and 'ghost: ListAccessKeys failed: EntityNotExist.User' in result['msg']
    assert result['errors']['ghost']['code'] == 'EntityNotExist.User' and keyed_ram.writes() == []


def test_access_keys_orphan_warning(run, keyed_ram):
    keyed_ram.add_user('u1')
    keyed_ram.add_key('u1', 'ORPHAN')
    result, dummy = run(ram_access_keys, {'users': ['u1']})
    assert result['access_keys']['u1']['orphan_access_key_ids'] == ['ORPHAN']
    # ansible-core 2.19+ returns warnings as structured events
    assert 'no host holds' in json.dumps(result['warnings']) and 'ORPHAN' in json.dumps(result['warnings'])


def test_ram_users_report_changes_lists_changed_deleted_and_failed_users_only(run, ram):
    ram.add_user('kept')
    ram.add_user('gone')
    # parallelism 1 runs the users in order: the first CreateUser is the one for 'broken'
    ram.fail('CreateUser', lambda: api_error('NoPermission', 'denied'))
    users = [{'name': 'kept'}, {'name': 'broken'}, {'name': 'new'}, {'name': 'gone', 'state': 'absent'}]
    result, dummy = run(ram_users, {'users': users, 'report': 'changes', 'parallelism': 1})
    assert result['failed'] and [u['name'] for u in result['users']] == ['broken', 'new', 'gone']
    assert result['users'][0]['error']['code'] == 'NoPermission' and result['users'][2]['deleted']
    assert result['summary'] == {'created': 1, 'updated': 0, 'deleted': 1, 'unchanged': 1, 'failed': 1}


def test_ram_users_report_changes_converged_lists_nobody_but_counts_all(run, ram):
    for name in ('u1', 'u2'):
        ram.add_user(name)
    compact, dummy = run(ram_users, {'users': [{'name': 'u1'}, {'name': 'u2'}], 'report': 'changes'})
    assert not compact['changed'] and compact['users'] == [] and compact['summary']['unchanged'] == 2
    full, dummy = run(ram_users, {'users': [{'name': 'u1'}, {'name': 'u2'}]})
    assert [u['name'] for u in full['users']] == ['u1', 'u2']


def test_ram_users_exclusive_name_prefix_is_validated_before_any_call(run, ram):
    result, dummy = run(ram_users, {'users': [{'name': 'app-1'}], 'exclusive': True, 'exclusive_name_prefix': 'app @'})
    assert result['failed'] and 'exclusive_name_prefix must be' in result['msg']
    assert ram.calls == [] and ram.connections == []
