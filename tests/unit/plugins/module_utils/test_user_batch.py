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
