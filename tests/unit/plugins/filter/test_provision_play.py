# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The provision role's per-play view: what each host declares, reads, holds and must have written, computed for all
hosts in one controller task."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.aliyun.ram.plugins.filter.provision_play import (
    provision_play_new_users,
    provision_play_plan,
    provision_play_reads,
    provision_play_undelivered_keys,
    provision_play_writes,
)

APP_ENV = {'format': 'env', 'path': '/etc/app.env'}
TEMPLATE = {'template': 'app.j2', 'dest': '/etc/app.conf'}
EXPLICIT = {'access_key_id': 'LTAIexplicit0001', 'access_key_secret': 'explicit-secret', 'files': [{'format': 'sdk'}]}
APP_KEY = {'access_key_id': 'LTAIapp000000001', 'access_key_secret': 'app-secret'}
USERS = [{'name': 'app'}, {'name': 'unused'}]

HOSTVARS = {
    'web1': {'provision_users': USERS, 'provision_credentials': [{'user': 'app', 'files': [APP_ENV, TEMPLATE]}],
             'provision_credentials__explicit': [EXPLICIT]},
    'web2': {'provision_users': USERS, 'provision_credentials': [{'user': 'app', 'files': [APP_ENV]}]},
    # one file for two users
    'bad1': {'provision_users': USERS, 'provision_credentials': [{'user': 'app', 'files': [APP_ENV]}],
             'provision_credentials__x': [{'user': 'unused', 'files': [APP_ENV]}]},
    # a user nobody declared, an entry without files, an entry naming no user and no key
    'bad2': {'provision_users': USERS, 'provision_credentials': [{'user': 'ghost', 'files': [APP_ENV]}, {'user': 'app'},
                                                                 {'files': [APP_ENV]}]},
}
HOSTS = ['web1', 'web2', 'bad1', 'bad2']


def read_of(plan, host, **fields):
    """A registered credential_file_info run of ``host`` whose every file holds the key of its entry in sync."""
    results = []
    for read in plan[host]['reads']:
        key = APP_KEY if read['item'].get('user') else EXPLICIT
        result = {'item': read['item'], 'file_exists': True, 'exists': True, 'in_sync': True,
                  'access_key_id': key['access_key_id'], 'access_key_secret': key['access_key_secret']}
        result.update(fields)
        results.append(result)
    return {'results': results}


def test_each_host_gets_its_merged_declarations_and_one_batch_read():
    plan = provision_play_plan(HOSTVARS, HOSTS, region='cn-hangzhou')
    web1 = plan['web1']
    assert web1['problems'] == [] and web1['user_names'] == ['app'] and web1['users'] == [{'name': 'app'}]
    assert web1['explicit_keys'] == [EXPLICIT]
    assert [(read['format'], read['compare'], read['region'], read['item'].get('user')) for read in web1['reads']] == [
        ('env', True, 'cn-hangzhou', 'app'), ('sdk', True, 'cn-hangzhou', None)]
    assert all('explicit-secret' not in repr(read) for read in web1['reads'])


def test_a_host_with_conflicting_or_incomplete_declarations_reads_nothing_and_says_why():
    plan = provision_play_plan(HOSTVARS, HOSTS)
    assert plan['bad1']['reads'] == [] and plan['bad2']['reads'] == []
    assert len(plan['bad1']['problems']) == 1 and 'declared for two users' in plan['bad1']['problems'][0]
    assert plan['bad2']['problems'] == [
        'host bad2: every provision_credentials entry needs files',
        'host bad2: a provision_credentials entry needs either user (a name listed in provision_users) or an explicit '
        'access_key_id and access_key_secret',
        'host bad2: provision_credentials uses users that provision_users does not declare: ghost']


def test_reads_give_each_read_host_what_it_holds_and_leave_lost_hosts_unread():
    plan = provision_play_plan(HOSTVARS, HOSTS)
    hostvars = dict(HOSTVARS, web1=dict(HOSTVARS['web1'], provision_read=read_of(plan, 'web1')))
    state = provision_play_reads(plan, hostvars, ['web1'], 'provision_read')
    assert [(entry['user_name'], entry['access_key_id'], entry['host']) for entry in state['web1']['held']] == [
        ('app', 'LTAIapp000000001', 'web1')]
    assert state['web1']['explicit_keys_to_write'] == [] and state['web1']['problems'] == []
    # web2 was lost before its read: no read recorded, which the summary reports as "not reached"
    assert 'read' not in state['web2'] and 'read' not in plan['web1']


def test_an_unusable_file_or_a_failed_read_is_a_problem_of_that_host_alone():
    plan = provision_play_plan(HOSTVARS, HOSTS)
    hostvars = {'web1': {'provision_read': read_of(plan, 'web1', access_key_id='{{ lookup("pipe", "id") }}')},
                'web2': {'provision_read': {'failed': True, 'msg': 'Permission denied'}}}
    state = provision_play_reads(plan, hostvars, ['web1', 'web2'], 'provision_read')
    assert len(state['web1']['problems']) == 2 and state['web1']['held'] == []
    assert state['web2']['problems'] == [
        'host web2, credential file the default credential file: it cannot be read: Permission denied. Nothing read from '
        'this host is used: fix or remove the file, then run again']
    # an explicit key no file holds yet is the only one to check with STS before it is written
    assert state['web1']['explicit_keys_to_write'] == [EXPLICIT]


def test_a_skipped_read_holds_nothing():
    plan = provision_play_plan({'idle': {}}, ['idle'])
    state = provision_play_reads(plan, {'idle': {'provision_read': {'skipped': True}}}, ['idle'], 'provision_read')
    assert state['idle']['read'] == [] and state['idle']['held'] == [] and state['idle']['problems'] == []


def test_writes_leave_out_converged_hosts_and_carry_each_changed_file_with_its_key():
    plan = provision_play_plan(HOSTVARS, HOSTS, region='cn-hangzhou')
    hostvars = {'web1': {'provision_read': read_of(plan, 'web1')}, 'web2': {'provision_read': read_of(plan, 'web2')}}
    state = provision_play_reads(plan, hostvars, ['web1', 'web2'], 'provision_read')
    writes = provision_play_writes(state, ['web1', 'web2'], {'app': APP_KEY}, 'cn-hangzhou')
    # web2 holds its key in sync: not contacted again; web1's template cannot be read back, so it is written
    assert list(writes) == ['web1']
    assert [(f['dest'], f['access_key_id']) for f in writes['web1']] == [('/etc/app.conf', 'LTAIapp000000001')]
    stale = {'web2': {'provision_read': read_of(plan, 'web2', in_sync=False)}}
    writes = provision_play_writes(provision_play_reads(plan, stale, ['web2'], 'provision_read'), ['web2'], {'app': APP_KEY})
    assert [(f['path'], f['access_key_secret']) for f in writes['web2']] == [('/etc/app.env', 'app-secret')]


def test_the_files_of_a_user_this_run_created_are_written_without_a_read():
    """A new user has no key: its files are not read, a host with nothing else to read skips the read (a cold host is
    contacted once), and the write step writes them all; an explicit key pair is still read."""
    plan = provision_play_plan(HOSTVARS, HOSTS, region='cn-hangzhou')
    fresh = provision_play_new_users(plan, ['app'])
    assert fresh['web2']['reads'] == [] and fresh['web2']['unread_users'] == ['app']
    assert [read['item'].get('access_key_id') for read in fresh['web1']['reads']] == ['LTAIexplicit0001']
    # the plan it came from is not changed, and no name (or no created user) changes nothing
    assert len(plan['web2']['reads']) == 1
    assert provision_play_new_users(plan, []) == plan and provision_play_new_users(plan, ['other']) == plan
    state = provision_play_reads(fresh, {'web2': {'provision_read': {'skipped': True}}}, ['web2'], 'provision_read')
    writes = provision_play_writes(state, ['web2'], {'app': APP_KEY}, 'cn-hangzhou')
    assert [(f['path'], f['access_key_id']) for f in writes['web2']] == [('/etc/app.env', 'LTAIapp000000001')]


def test_a_dry_run_writes_a_key_to_be_created_as_the_placeholder():
    plan = provision_play_plan(HOSTVARS, ['web2'])
    state = provision_play_reads(plan, {'web2': {'provision_read': {'skipped': True}}}, ['web2'], 'provision_read')
    writes = provision_play_writes(state, ['web2'], {'app': {'access_key_id': None}}, check_mode=True)
    assert [f['access_key_id'] for f in writes['web2']] == ['NewAccessKeyWouldBeCreated']


def test_play_and_role_variables_apply_to_every_host_over_the_inventory():
    """hostvars has no play or role variables: what the task sees that the context host's inventory does not set is
    the play's and counts for every host; what the context host's own inventory sets stays per host."""
    role_credentials = [{'user': 'app', 'files': [{'format': 'env', 'path': '/role/app.env'}]}]
    play_vars = {'provision_users': USERS, 'provision_credentials': role_credentials,
                 'provision_credentials__explicit': [EXPLICIT]}
    hostvars = {'web1': {'provision_credentials__explicit': [EXPLICIT]}, 'web2': {}}
    plan = provision_play_plan(hostvars, ['web1', 'web2'], play_vars=play_vars, context_host='web1')
    assert plan['web1']['credentials'] == role_credentials + [EXPLICIT]
    assert plan['web2']['credentials'] == role_credentials and plan['web2']['users'] == [{'name': 'app'}]


def test_file_specs_are_checked_against_the_credentials_roles_spec_for_every_host_at_once():
    """The role is included without its own per-host argument check: a typo in a file spec must still fail the host,
    before anything is read or called (checked: without the check the misspelled ``pth`` was ignored and the default
    path written)."""
    hostvars = {'web1': {'provision_users': USERS, 'provision_credentials': [
        {'user': 'app', 'files': [{'format': 'env', 'pth': '/etc/app.env'}, {'format': 'yaml'}]}]}}
    problems = provision_play_plan(hostvars, ['web1'])['web1']['problems']
    assert len(problems) == 2 and all(problem.startswith('host web1: the files of app: ') for problem in problems)
    assert 'unknown option files.pth' in ' '.join(problems) and 'got: yaml' in ' '.join(problems)
    assert provision_play_plan(HOSTVARS, ['web1', 'web2'])['web1']['problems'] == []


def test_the_new_key_of_a_new_user_that_no_host_received_is_undelivered():
    """Only keys created now for users created now (unread_users), and only when every host of the user lost it."""
    plan = {'web1': {'user_names': ['app', 'old'], 'unread_users': ['app']},
            'web2': {'user_names': ['app'], 'unread_users': ['app']},
            'db1': {'user_names': ['db'], 'unread_users': ['db']},
            'db2': {'user_names': ['db'], 'unread_users': ['db']}}
    keys = {'app': {'access_key_id': 'NEWAPP', 'created': True}, 'db': {'access_key_id': 'NEWDB', 'created': True},
            # an existing user's new key (a rotation) is never taken back here
            'old': {'access_key_id': 'NEWOLD', 'created': True}}
    hosts = list(plan)

    def undelivered(**written):
        hostvars = dict((host, {'provision_written': result}) for host, result in written.items())
        return provision_play_undelivered_keys(plan, keys, hostvars, hosts, 'provision_written')

    ok, lost, refused = {'changed': True}, {'unreachable': True, 'changed': False}, {'failed': True, 'results': []}
    assert undelivered(web1=ok, web2=lost, db1=ok, db2=lost) == []
    assert undelivered(web1=lost, web2=refused, db1=lost) == [
        {'user': 'app', 'access_key_id': 'NEWAPP'}, {'user': 'db', 'access_key_id': 'NEWDB'}]
    # a write that failed after changing a file may have left the key there: kept
    partial = {'failed': True, 'results': [{'changed': True}]}
    assert undelivered(web1=lost, web2=partial, db1=ok) == []
    # a dry run creates nothing (no id), and an uncreated key is not touched
    assert provision_play_undelivered_keys(plan, {'app': {'access_key_id': None, 'created': True}}, {}, hosts, 'w') == []
    assert provision_play_undelivered_keys(plan, {'app': {'access_key_id': 'KEPT', 'created': False}}, {}, hosts, 'w') == []


ROLE = Path(__file__).resolve().parents[4] / 'roles' / 'provision'


def test_the_role_options_are_checked_per_host_and_a_play_value_for_every_host():
    """The playbooks import the role with rolespec_validate false: this check stands in for Ansible's, per host."""
    hostvars = {'web1': dict(HOSTVARS['web2']),
                'web2': dict(HOSTVARS['web2'], provision_max_age_days='abc', provision_on_limit='bogus',
                             provision_secret_store_vault_password={'nested': 'the-vault-password'},
                             provision_secret_store_lease_seconds='the-vault-password')}
    plan = provision_play_plan(hostvars, ['web1', 'web2'], entry_point='main')
    assert plan['web1']['problems'] == [] and plan['web2']['reads'] == []
    problems = plan['web2']['problems']
    assert any("'provision_max_age_days' is of type" in problem for problem in problems), problems
    assert 'host web2: value of provision_on_limit must be one of: fail, delete_inactive, got: bogus' in problems
    # a value of an option marked no_log never appears, wherever it is quoted
    assert all(problem.startswith('host web2: ') and 'the-vault-password' not in problem for problem in problems)
    # what the play sets (seen by the task on web1, not in web1's inventory) applies to every host
    plan = provision_play_plan(hostvars, ['web1', 'web2'], entry_point='rotate', context_host='web1',
                               play_vars={'provision_rotate_older_than_days': 'soon'})
    assert all(any('provision_rotate_older_than_days' in problem for problem in plan[host]['problems']) for host in plan)
    # the role's default, which the task on web1 sees, is not a value the play sets: web2's own value is checked
    plan = provision_play_plan(hostvars, ['web1', 'web2'], entry_point='main', context_host='web1',
                               play_vars={'provision_on_limit': 'fail', 'provision_max_age_days': 0})
    assert plan['web1']['problems'] == [] and len(plan['web2']['problems']) == len(problems)
    # without an entry point the options are not checked; an unknown one is refused
    assert provision_play_plan(hostvars, ['web2'])['web2']['problems'] == []
    with pytest.raises(AnsibleFilterError, match="no entry point 'nope'"):
        provision_play_plan(hostvars, ['web2'], entry_point='nope')


def test_the_option_pattern_names_every_option_of_the_role_and_none_of_its_own_facts():
    pattern = yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text())['provision_option_pattern']
    specs = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    options = set(name for spec in specs.values() for name in spec['options'])
    assert sorted(name for name in options if not re.search(pattern, name)) == []
    tasks = ' '.join(path.read_text() for path in (ROLE / 'tasks').glob('*.yml'))
    own = set(re.findall(r'^\s+(provision_\w+):', tasks, re.M)) | set(re.findall(r'register: (provision_\w+)', tasks))
    own |= set(yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text()))
    assert own - options and sorted(name for name in own - options if re.search(pattern, name)) == []


def test_a_secret_of_a_credential_entry_never_appears_in_an_option_problem():
    entry = dict(EXPLICIT, access_key_secret='entry-secret-value')
    hostvars = {'web1': {'provision_credentials': [entry], 'provision_on_limit': 'entry-secret-value'}}
    problems = provision_play_plan(hostvars, ['web1'], entry_point='main')['web1']['problems']
    assert problems == ['host web1: value of provision_on_limit must be one of: fail, delete_inactive, got: ********']
