# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RAM users: the planners (pure) and ensure/remove/find against a fake RAM."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._users.apply import ensure_user, find_users, remove_user
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import (
    diff_user_attributes,
    plan_groups,
    plan_policies,
    user_spec,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    api_error,
    internal_error,
    make_api,
    read_timeout,
)

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
SYS_OSS = {'name': 'AliyunOSSReadOnlyAccess', 'type': 'System'}
SYS_ECS = {'name': 'AliyunECSReadOnlyAccess', 'type': 'System'}
CUSTOM = {'name': 'my-policy', 'type': 'Custom'}
CUSTOM_NAMED_LIKE_SYSTEM = {'name': 'AliyunOSSReadOnlyAccess', 'type': 'Custom'}


@pytest.mark.parametrize('current, desired, expected', [
    ({}, {}, {}),
    ({'display_name': 'A'}, {'display_name': None}, {}),                         # not managed
    ({'display_name': 'A'}, {'display_name': 'A'}, {}),
    ({'display_name': 'A'}, {'display_name': 'B'}, {'display_name': 'B'}),
    ({}, {'comments': 'x', 'email': 'a@b.co'}, {'comments': 'x', 'email': 'a@b.co'}),
    ({'comments': None}, {'comments': ''}, {}),                                  # missing and empty are the same
    ({'comments': 'x'}, {'comments': ''}, {'comments': ''}),                     # clearing is a change
    ({'mobile_phone': '86-1'}, {'mobile_phone': '86-2', 'email': None}, {'mobile_phone': '86-2'}),
])
def test_diff_user_attributes(current, desired, expected):
    assert diff_user_attributes(current, desired) == expected


@pytest.mark.parametrize('current, desired, purge, attach, detach', [
    ([SYS_OSS], None, True, [], []),                                    # not managed, even with purge
    ([], [SYS_OSS], False, [SYS_OSS], []),
    ([SYS_OSS], [SYS_OSS], True, [], []),
    ([SYS_OSS, CUSTOM], [SYS_ECS], False, [SYS_ECS], []),
    ([SYS_OSS, CUSTOM], [SYS_ECS], True, [SYS_ECS], [SYS_OSS, CUSTOM]),
    ([SYS_OSS], [CUSTOM_NAMED_LIKE_SYSTEM], True, [CUSTOM_NAMED_LIKE_SYSTEM], [SYS_OSS]),   # type is part of identity
    ([SYS_OSS], [], True, [], [SYS_OSS]),
])
def test_plan_policies(current, desired, purge, attach, detach):
    assert plan_policies(current, desired, purge) == (attach, detach)


@pytest.mark.parametrize('current, desired, purge, add, remove', [
    (['a'], None, True, [], []),
    ([], ['a', 'b'], False, ['a', 'b'], []),
    (['a', 'c'], ['a', 'b'], False, ['b'], []),
    (['a', 'c'], ['a', 'b'], True, ['b'], ['c']),
    (['a'], [], True, [], ['a']),
])
def test_plan_groups(current, desired, purge, add, remove):
    assert plan_groups(current, desired, purge) == (add, remove)


def spec(**kwargs):
    base = {'name': 'alice', 'state': 'present', 'display_name': None, 'comments': None, 'email': None,
            'mobile_phone': None, 'policies': None, 'purge_policies': False, 'groups': None, 'purge_groups': False,
            'force': False}
    base.update(kwargs)
    return user_spec(base)


def test_create_with_everything():
    api, ram = make_api()
    result = ensure_user(api, spec(display_name='Alice', email='alice@example.com', policies=['System:AliyunOSSReadOnlyAccess'],
                                   groups=['dev']), check_mode=False)
    assert result['changed'] and result['created']
    assert result['user']['user_name'] == 'alice' and result['user']['display_name'] == 'Alice'
    assert result['attached_policies'] == ['System:AliyunOSSReadOnlyAccess'] and result['added_groups'] == ['dev']
    assert ram.writes() == ['CreateUser', 'AttachPolicyToUser', 'AddUserToGroup']
    # nothing is listed for a user that did not exist before the writes; after each write, one read shows it (RAM is
    # eventually consistent: the next task must read what this one wrote)
    reads = [a for a, p in ram.calls if a not in ram.writes()]
    assert reads == ['GetUser', 'GetPolicy', 'GetGroup', 'GetUser', 'ListPoliciesForUser', 'ListGroupsForUser']
    assert result['diff']['before'] == {'state': 'absent'}
    assert result['diff']['after']['policies'] == ['System:AliyunOSSReadOnlyAccess']


def test_converged_user_makes_no_write_and_minimal_reads():
    api, ram = make_api()
    ram.add_user('alice', DisplayName='Alice')
    result = ensure_user(api, spec(display_name='Alice'), check_mode=False)
    assert not result['changed'] and ram.writes() == []
    assert [a for a, p in ram.calls] == ['GetUser']


def test_update_only_changed_attributes():
    api, ram = make_api()
    ram.add_user('alice', DisplayName='Alice', Comments='old', Email='keep@example.com')
    result = ensure_user(api, spec(display_name='Alice', comments='new'), check_mode=False)
    assert result['changed']
    assert [call for call in ram.calls if call[0] == 'UpdateUser'] == [('UpdateUser', {'UserName': 'alice', 'NewComments': 'new'})]
    assert result['user']['email'] == 'keep@example.com' and result['user']['comments'] == 'new'
    assert result['diff'] == {'before': {'state': 'present', 'name': 'alice', 'display_name': 'Alice', 'comments': 'old'},
                              'after': {'state': 'present', 'name': 'alice', 'display_name': 'Alice', 'comments': 'new'}}


def test_check_mode_makes_no_write():
    api, ram = make_api()
    ram.add_user('bob')
    ram.users['bob']['policies'] = [('System', 'AliyunOSSReadOnlyAccess')]
    created = ensure_user(api, spec(policies=[SYS_ECS]), check_mode=True)
    assert created['changed'] and created['created'] and created['user'] == {'user_name': 'alice'}
    updated = ensure_user(api, spec(name='bob', comments='x', policies=[SYS_ECS], purge_policies=True, groups=['g']),
                          check_mode=True)
    assert updated['attached_policies'] == ['System:AliyunECSReadOnlyAccess']
    assert updated['detached_policies'] == ['System:AliyunOSSReadOnlyAccess']
    assert updated['added_groups'] == ['g'] and updated['user']['comments'] == 'x'
    assert ram.writes() == []


def test_purge_detaches_first_and_keeps_listed():
    api, ram = make_api()
    ram.add_user('alice')
    ram.users['alice']['policies'] = [('System', 'AliyunOSSReadOnlyAccess'), ('Custom', 'my-policy')]
    ram.users['alice']['groups'] = ['old', 'keep']
    result = ensure_user(api, spec(policies=['Custom:my-policy', 'AliyunECSReadOnlyAccess'], purge_policies=True,
                                   groups=['keep', 'new'], purge_groups=True), check_mode=False)
    assert ram.writes() == ['DetachPolicyFromUser', 'AttachPolicyToUser', 'RemoveUserFromGroup', 'AddUserToGroup']
    assert result['policies'] == ['Custom:my-policy', 'System:AliyunECSReadOnlyAccess']
    assert result['groups'] == ['keep', 'new']
    assert sorted(ram.users['alice']['policies']) == [('Custom', 'my-policy'), ('System', 'AliyunECSReadOnlyAccess')]
    again = ensure_user(api, spec(policies=['Custom:my-policy', 'AliyunECSReadOnlyAccess'], purge_policies=True,
                                  groups=['keep', 'new'], purge_groups=True), check_mode=False)
    assert not again['changed']


def test_without_purge_extra_policies_stay():
    api, ram = make_api()
    ram.add_user('alice')
    ram.users['alice']['policies'] = [('System', 'AliyunOSSReadOnlyAccess')]
    result = ensure_user(api, spec(policies=[SYS_ECS]), check_mode=False)
    assert result['detached_policies'] == []
    assert result['policies'] == ['System:AliyunECSReadOnlyAccess', 'System:AliyunOSSReadOnlyAccess']


def test_user_created_concurrently_is_managed_as_existing():
    class Racing(FakeRam):
        def _GetUser(self, params):
            if not any(a == 'CreateUser' for a, p in self.calls):
                raise api_error('EntityNotExist.User')
            return FakeRam._GetUser(self, params)
    ram = Racing()
    ram.add_user('alice', DisplayName='Other')
    api, dummy = make_api(ram)
    result = ensure_user(api, spec(display_name='Alice'), check_mode=False)
    assert not result['created'] and result['changed']
    assert ram.writes() == ['CreateUser', 'UpdateUser']


def test_lost_create_response_is_reconciled():
    api, ram = make_api()
    ram.fail('CreateUser', read_timeout, after=True)
    result = ensure_user(api, spec(display_name='Alice'), check_mode=False)
    assert result['created'] and result['user']['display_name'] == 'Alice'
    assert ram.writes() == ['CreateUser']


def test_lost_attach_response_is_reconciled_by_listing():
    api, ram = make_api()
    ram.add_user('alice')
    ram.fail('AttachPolicyToUser', internal_error, after=True)
    ensure_user(api, spec(policies=[SYS_OSS]), check_mode=False)
    assert ram.writes() == ['AttachPolicyToUser']
    assert ram.users['alice']['policies'] == [('System', 'AliyunOSSReadOnlyAccess')]


@pytest.mark.parametrize('existing', [True, False])
@pytest.mark.parametrize('options, code, named', [
    ({'policies': ['System:ReadOnlyAccess', 'System:MissingPolicy']}, 'EntityNotExist.Policy', 'policy System:MissingPolicy'),
    ({'groups': ['ops', 'missing-team']}, 'EntityNotExist.Group', 'group missing-team'),
])
def test_unknown_policy_or_group_fails_before_any_write(existing, options, code, named):
    api, ram = make_api()
    if existing:
        ram.add_user('alice')
    with pytest.raises(ApiError) as info:
        ensure_user(api, spec(display_name='Alice', **options), check_mode=False)
    assert info.value.code == code and named in str(info.value)
    assert ram.writes() == []


def test_remove_without_force_reports_the_conflict():
    api, ram = make_api()
    ram.add_user('alice')
    ram.add_key('alice', 'K1')
    with pytest.raises(ApiError) as info:
        remove_user(api, spec(state='absent'), check_mode=False)
    assert info.value.code == 'DeleteConflict.User.AccessKey' and 'force: true' in str(info.value)


def test_force_remove_order():
    api, ram = make_api()
    ram.add_user('alice')
    ram.add_key('alice', 'K1')
    ram.add_key('alice', 'K2')
    ram.users['alice']['policies'] = [('System', 'AliyunOSSReadOnlyAccess')]
    ram.users['alice']['groups'] = ['dev']
    ram.users['alice']['login_profile'] = True
    ram.users['alice']['mfa'] = 'acs:ram::1:mfa/alice-phone'
    checked = remove_user(api, spec(state='absent', force=True), check_mode=True)
    assert checked['changed'] and checked['deleted_access_key_ids'] == ['K1', 'K2'] and ram.writes() == []
    assert checked['mfa_device_unbound'] == 'acs:ram::1:mfa/alice-phone'
    result = remove_user(api, spec(state='absent', force=True), check_mode=False)
    # real DeleteUser refuses a user with an MFA device (DeleteConflict.User.MFADevice): it is unbound first
    assert ram.writes() == ['DeleteAccessKey', 'DeleteAccessKey', 'DetachPolicyFromUser', 'RemoveUserFromGroup',
                            'DeleteLoginProfile', 'UnbindMFADevice', 'DeleteUser']
    assert result['login_profile_deleted'] and result['removed_groups'] == ['dev'] and 'alice' not in ram.users
    assert result['mfa_device_unbound'] == 'acs:ram::1:mfa/alice-phone'
    assert result['diff']['after'] == {'state': 'absent'}


def test_force_remove_without_mfa_device_unbinds_nothing():
    api, ram = make_api()
    ram.add_user('alice')
    result = remove_user(api, spec(state='absent', force=True), check_mode=False)
    assert result['mfa_device_unbound'] is None and 'alice' not in ram.users


def test_ensure_user_waits_for_a_user_that_exists_but_is_not_visible_yet():
    """Eventual consistency: GetUser does not show a user created a moment ago, CreateUser answers
    EntityAlreadyExists.User. Fails if the module then trusts the first GetUser again (it would report a user without
    attributes, or fail)."""
    api, ram = make_api()
    ram.add_user('alice', DisplayName='Alice')
    ram.lag_reads('GetUser', 'EntityNotExist.User', 2)
    result = ensure_user(api, spec(display_name='Alice'), check_mode=False)
    assert not result['created'] and not result['changed'] and result['user']['display_name'] == 'Alice'
    assert ram.writes() == ['CreateUser']


def test_ensure_user_gives_up_after_the_consistency_window():
    api, ram = make_api()
    ram.add_user('alice')

    def missing(params):
        raise api_error('EntityNotExist.User')

    ram._GetUser = missing
    with pytest.raises(ApiError) as info:
        ensure_user(api, spec(), check_mode=False)
    assert info.value.code == 'EntityNotExist.User' and 'consistency window' in str(info.value)
    assert sum(ram_sleeps(api)) == pytest.approx(api.policy.consistency_window)


def ram_sleeps(api):
    return api.policy.sleep.delays


def test_system_policy_names_compare_without_case():
    """RAM stores AliyunOSSFullAccess when asked for AliyunOssFullAccess. Fails if policies are compared by their
    exact spelling: the second run would attach again."""
    api, ram = make_api()
    ram.add_user('alice')
    ram.users['alice']['policies'] = [('System', 'AliyunOSSFullAccess'), ('Custom', 'app-policy')]
    result = ensure_user(api, spec(policies=[{'name': 'AliyunOssFullAccess', 'type': 'System'},
                                             {'name': 'app-policy', 'type': 'Custom'}], purge_policies=True),
                         check_mode=False)
    assert not result['changed'] and ram.writes() == []


def test_custom_policy_names_compare_exactly():
    api, ram = make_api()
    ram.add_user('alice')
    ram.users['alice']['policies'] = [('Custom', 'App-Policy')]
    result = ensure_user(api, spec(policies=[{'name': 'app-policy', 'type': 'Custom'}], purge_policies=True),
                         check_mode=True)
    assert result['attached_policies'] == ['Custom:app-policy'] and result['detached_policies'] == ['Custom:App-Policy']


def test_attach_that_rams_answers_as_already_done_is_done():
    """A policy attached a moment ago is not listed yet; AttachPolicyToUser answers EntityAlreadyExists.User.Policy.
    Fails if that answer fails the task."""
    api, ram = make_api()
    ram.add_user('alice')
    ram.users['alice']['policies'] = [('System', 'AliyunOSSFullAccess')]
    real_list = ram._ListPoliciesForUser
    ram._ListPoliciesForUser = lambda params: {'Policies': {'Policy': []}}
    result = ensure_user(api, spec(policies=[{'name': 'AliyunOSSFullAccess', 'type': 'System'}]), check_mode=False)
    assert result['attached_policies'] == ['System:AliyunOSSFullAccess'] and ram.writes() == ['AttachPolicyToUser']
    ram._ListPoliciesForUser = real_list


def test_remove_missing_user_is_a_no_op():
    api, ram = make_api()
    result = remove_user(api, spec(state='absent', force=True), check_mode=False)
    assert not result['changed'] and ram.writes() == []


def test_find_users_pages_filters_and_includes():
    ram = FakeRam(page_size=2)
    for name in ('app-b', 'app-a', 'db-1', 'app-c'):
        ram.add_user(name)
    ram.add_key('app-a', 'K1', create_date='2026-05-01T00:00:00Z')
    ram.users['app-a']['policies'] = [('Custom', 'p')]
    ram.users['app-a']['groups'] = ['g']
    api, dummy = make_api(ram)
    users = find_users(api, name_prefix='app-', name_regex='[ab]$', include=('access_keys', 'policies', 'groups'), now=NOW)
    assert [u['user_name'] for u in users] == ['app-a', 'app-b']
    assert users[0]['access_keys'] == [{'access_key_id': 'K1', 'status': 'Active', 'create_date': '2026-05-01T00:00:00Z',
                                        'age_days': 31}]
    assert users[0]['policies'] == ['Custom:p'] and users[0]['groups'] == ['g']
    assert [a for a, p in ram.calls].count('ListUsers') == 2


def test_find_one_user_by_name():
    api, ram = make_api()
    ram.add_user('alice')
    assert [u['user_name'] for u in find_users(api, name='alice')] == ['alice']
    assert find_users(api, name='nobody') == []


def test_bad_regex_is_a_validation_error():
    api, dummy = make_api()
    with pytest.raises(ValidationError):
        find_users(api, name_regex='(')


@pytest.mark.parametrize('params, message', [
    (dict(name='bad@name'), 'name must be 1-64'),
    (dict(name='x' * 65), 'name must be 1-64'),
    (dict(display_name=''), 'display_name'),
    (dict(comments='x' * 129), 'comments'),
    (dict(email='not-an-email'), 'email'),
    (dict(mobile_phone='18600008888'), 'mobile_phone'),
    (dict(policies=['Weird:Name']), 'System or Custom'),
    (dict(policies=[{'name': 'x', 'kind': 'System'}]), 'unknown key'),
    (dict(policies=[{'name': 'bad name!'}]), 'policy name'),
    (dict(policies=[42]), 'each policy'),
    (dict(groups=['bad group']), 'group name'),
])
def test_spec_validation(params, message):
    with pytest.raises(ValidationError) as info:
        spec(**params)
    assert message in str(info.value)


def test_policy_forms_are_normalised():
    normalised = spec(policies=['AliyunOSSReadOnlyAccess', 'custom:my-policy', {'name': 'AliyunOSSReadOnlyAccess'},
                                {'name': 'p2', 'type': 'Custom'}])['policies']
    assert normalised == [SYS_OSS, CUSTOM, {'name': 'p2', 'type': 'Custom'}]


def test_lost_create_user_answer_is_verified_with_reads_that_may_lag():
    """CreateUser's answer is lost and GetUser does not show the new user for two more reads; no retry is allowed.
    Fails if the verification trusts the first read (checked: without RamApi.poll in the reconcile step the task
    failed with the lost answer's transport error, as the ram_faults target did under the suite's delay)."""
    api, ram = make_api(max_retries=0)
    ram.fail('CreateUser', read_timeout, after=True)
    ram.lag_reads('GetUser', 'EntityNotExist.User', 3)
    result = ensure_user(api, spec(display_name='Alice'), check_mode=False)
    assert result['created'] and result['user']['user_name'] == 'alice' and ram.writes() == ['CreateUser']
