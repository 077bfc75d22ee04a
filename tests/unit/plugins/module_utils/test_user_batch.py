# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_users: merging the same user listed several times, the exclusive filter, the diff summary."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._users.apply import unlisted_users
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import (
    batch_diff,
    exclusive_filter,
    merge_user_specs,
    summarise,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam, make_api


def test_identical_and_complementary_entries_merge():
    specs = merge_user_specs([
        {'name': 'u1', 'display_name': 'One', 'policies': ['System:A', 'B']},
        {'name': 'u2'},
        {'name': 'u1', 'policies': [{'name': 'B'}, {'name': 'A', 'type': 'system'}], 'groups': ['g']},
        {'name': 'u1', 'display_name': 'One'},
    ])
    assert [s['name'] for s in specs] == ['u1', 'u2']
    u1 = specs[0]
    assert u1['display_name'] == 'One' and u1['groups'] == ['g'] and u1['state'] == 'present'
    assert u1['policies'] == [{'name': 'A', 'type': 'System'}, {'name': 'B', 'type': 'System'}]
    assert u1['purge_policies'] is False and u1['force'] is False
    assert specs[1]['policies'] is None and specs[1]['groups'] is None


@pytest.mark.parametrize('second, option', [
    ({'name': 'u1', 'display_name': 'Other'}, 'display_name'),
    ({'name': 'u1', 'state': 'absent'}, 'state'),
    ({'name': 'u1', 'policies': ['System:C']}, 'policies'),
    ({'name': 'u1', 'purge_groups': False}, 'purge_groups'),
])
def test_conflicting_entries_name_the_user_and_the_option(second, option):
    with pytest.raises(ValidationError) as info:
        merge_user_specs([{'name': 'u1', 'display_name': 'One', 'policies': ['A'], 'purge_groups': True}, second])
    assert 'user u1 is listed more than once with different %s' % option in str(info.value)


@pytest.mark.parametrize('entries, message', [
    ([{'name': 'ok'}, {'name': 'bad@name'}], 'users[1].name must be 1-64'),
    ([{'name': 'u1', 'email': 'not-an-email'}], 'users[0] (user u1): email must be'),
    ([{'name': 'u1', 'policies': ['Weird:X']}], 'users[0] (user u1): policies: policy type must be'),
    (['u1'], 'users[0] must be a dictionary'),
])
def test_every_entry_is_validated(entries, message):
    with pytest.raises(ValidationError) as info:
        merge_user_specs(entries)
    assert message in str(info.value)


def test_exclusive_filter():
    with pytest.raises(ValidationError):
        exclusive_filter(None, None)
    with pytest.raises(ValidationError) as info:
        exclusive_filter(None, '(')
    assert 'exclusive_name_regex' in str(info.value)
    both = exclusive_filter('app-', r'-\d+$')
    assert both('app-1') and not both('app-x') and not both('db-1')
    assert exclusive_filter('app-', None)('app-x') and exclusive_filter(None, 'web')('my-web-1')


def test_unlisted_users_match_the_filter_and_spare_the_listed_and_the_caller():
    fake = FakeRam()
    for name in ('app-a', 'app-b', 'app-c', 'db-a'):
        fake.add_user(name)
    api, dummy = make_api(fake)
    specs = merge_user_specs([{'name': 'app-a'}])
    deletions = unlisted_users(api, specs, exclusive_filter('app-', None))
    assert [(s['name'], s['state'], s['force']) for s in deletions] == [('app-b', 'absent', True), ('app-c', 'absent', True)]
    # the caller (ram-admin in the fake STS) matching the filter stops everything
    fake.add_user('ram-admin')
    with pytest.raises(ValidationError) as info:
        unlisted_users(api, specs, exclusive_filter('ram-', None))
    assert 'ram-admin' in str(info.value)


def test_nothing_to_delete_costs_no_sts_call():
    fake = FakeRam()
    fake.add_user('app-a')
    api, dummy = make_api(fake)
    assert unlisted_users(api, merge_user_specs([{'name': 'app-a'}]), exclusive_filter('app-', None)) == []
    assert [action for action, params in fake.calls] == ['ListUsers']


def entry(name, created=False, deleted=False, changed=True):
    return {'name': name, 'created': created, 'deleted': deleted, 'changed': changed}


def test_summary_counts():
    entries = [entry('a', created=True), entry('b'), entry('c', deleted=True), entry('d', changed=False),
               dict(entry('e', changed=False), error={'code': 'X'})]
    assert summarise(entries) == {'created': 1, 'updated': 1, 'deleted': 1, 'unchanged': 1, 'failed': 1}


def test_diff_per_user_then_summarised_beyond_the_limit():
    changes = [('u%d' % i, entry('u%d' % i, created=i < 3, deleted=i == 3), {'before': {'state': 'absent'}, 'after': {}})
               for i in range(5)]
    detailed = batch_diff(changes, limit=5)
    assert [d['before_header'] for d in detailed] == ['u0', 'u1', 'u2', 'u3', 'u4']
    summary = batch_diff(changes, limit=4)['prepared']
    assert '5 RAM users' in summary and 'created (3): u0, u1, u2' in summary
    assert 'deleted (1): u3' in summary and 'updated (1): u4' in summary


def run_batch(fake, names, check_mode=False):
    """ram_users' own entry point on the fake RAM, with every user as a plain present spec."""
    from ansible_collections.aliyun.ram.plugins.module_utils._users.run import run_ram_users  # pylint: disable=import-outside-toplevel
    api, dummy = make_api(fake)

    class Module:
        params = {'users': [{'name': name} for name in names], 'report': 'changes', 'parallelism': 8,
                  'exclusive': False, 'exclusive_name_prefix': None, 'exclusive_name_regex': None}
        _diff = False

        def __init__(self):
            self.check_mode = check_mode

        def api(self):
            return api

    return run_ram_users(Module())


def fake_with_users(names):
    """A fake RAM holding these users, with no call recorded yet."""
    fake = FakeRam()
    for name in names:
        fake.add_user(name)
    fake.calls.clear()
    return fake


def test_a_large_converged_batch_reads_its_users_from_one_listing():
    """1000 converged users: one ListUsers page of 1000, no GetUser (fails with a GetUser per user, as before)."""
    names = ['bulk-%04d' % index for index in range(1000)]
    fake = fake_with_users(names)
    result = run_batch(fake, names)
    assert result['changed'] is False and result['summary']['unchanged'] == 1000
    assert [action for action, dummy in fake.calls] == ['ListUsers']
    assert fake.calls[0][1]['MaxItems'] == 1000


def test_names_the_listing_lacks_are_read_one_by_one_and_created():
    names = ['bulk-%02d' % index for index in range(12)]
    fake = fake_with_users(names[:10])
    result = run_batch(fake, names)
    actions = [action for action, dummy in fake.calls]
    assert actions.count('ListUsers') == 1 and actions.count('CreateUser') == 2
    # GetUser only for the two new names (once to find them missing, once to see each created user)
    assert sorted(params['UserName'] for action, params in fake.calls if action == 'GetUser') == ['bulk-10', 'bulk-10', 'bulk-11', 'bulk-11']
    assert result['summary']['created'] == 2 and result['summary']['unchanged'] == 10


def test_a_handful_of_users_is_read_with_get_user_not_by_listing_the_account():
    names = ['few-%d' % index for index in range(3)]
    fake = fake_with_users(names)
    run_batch(fake, names)
    assert sorted(action for action, dummy in fake.calls) == ['GetUser'] * 3
