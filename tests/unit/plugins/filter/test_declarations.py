# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's declarations merged from provision_credentials(__*) and provision_users(__*): order, duplicates,
conflicts, and the readers of other hosts' declarations that must see the same merged view."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aliyun.ram.plugins.filter.declarations import (
    declaration_variables,
    file_identity,
    merge_declarations,
    provision_declarations,
)
from ansible_collections.aliyun.ram.plugins.filter.lifecycle import retirement_inputs
from ansible_collections.aliyun.ram.plugins.filter.provision import outside_credential_files


def entry(user, *files):
    return {'user': user, 'files': list(files)}


def env(path):
    return {'format': 'env', 'path': path}


def test_the_plain_variable_comes_first_then_the_suffixes_in_sorted_order():
    variables = {
        'inventory_hostname': 'web1',
        'provision_credentials__zz': [entry('z', env('/z'))],
        'provision_credentials__a': [entry('a', env('/a'))],
        'provision_credentials': [entry('plain', env('/p'))],
        'provision_credentials__b10': [entry('b10', env('/b10'))],
        'provision_credentials__b2': [entry('b2', env('/b2'))],
        'provision_users__x': [{'name': 'x'}],
        'provision_users': [{'name': 'plain'}],
        # not declarations: no suffix, another prefix, a single underscore
        'provision_credentials__': [entry('nothing', env('/n'))],
        'provision_credentials_extra': [entry('nothing', env('/n'))],
        'my_provision_credentials__a': [entry('nothing', env('/n'))],
    }
    merged = merge_declarations(variables)
    assert [item['user'] for item in merged['credentials']] == ['plain', 'a', 'b10', 'b2', 'z']
    assert [user['name'] for user in merged['users']] == ['plain', 'x']
    assert merged['problems'] == []
    assert declaration_variables(variables, 'provision_users') == ['provision_users', 'provision_users__x']


def test_only_suffixed_variables_and_nothing_at_all():
    assert [item['user'] for item in merge_declarations({'provision_credentials__web': [entry('w', env('/w'))]})[
        'credentials']] == ['w']
    assert merge_declarations({}) == {'credentials': [], 'users': [], 'used_users': [], 'unused_user_names': [],
                                      'problems': []}
    # null or "" (an omitted default on ansible-core < 2.19) is no declaration
    assert merge_declarations({'provision_credentials': None, 'provision_users__a': ''})['problems'] == []


def test_identical_declarations_from_two_groups_are_one():
    shared_user = {'name': 'app', 'policies': ['System:AliyunOSSReadOnlyAccess']}
    shared_entry = entry('app', env('/etc/app.env'))
    merged = merge_declarations({'inventory_hostname': 'h', 'provision_users__web': [shared_user],
                                 'provision_users__api': [dict(shared_user)],
                                 'provision_credentials__web': [shared_entry],
                                 'provision_credentials__api': [dict(shared_entry, files=[env('/etc/app.env')])]})
    assert merged['users'] == [shared_user] and merged['credentials'] == [shared_entry]
    assert merged['problems'] == []


def test_one_user_declared_two_ways_is_a_problem_naming_both_variables():
    merged = merge_declarations({'inventory_hostname': 'web1',
                                 'provision_users__a': [{'name': 'app', 'comments': 'one'}],
                                 'provision_users__b': [{'name': 'app', 'comments': 'two'}]})
    assert merged['problems'] == [
        'host web1: user app is declared twice with different attributes, in provision_users__a and in '
        'provision_users__b; declare it once, or the same way in both']
    assert merged['users'] == [{'name': 'app', 'comments': 'one'}]
    with pytest.raises(AnsibleFilterError, match='user app is declared twice'):
        provision_declarations({'provision_users__a': [{'name': 'app', 'comments': 'one'}],
                                'provision_users__b': [{'name': 'app', 'comments': 'two'}]}, 'web1')


@pytest.mark.parametrize('first, second, text', [
    (env('/etc/app.env'), env('/etc/app.env'), 'env file /etc/app.env, profile default'),
    # default path of the same owner, default profile given or not
    ({'format': 'aliyun_cli', 'owner': 'app'}, {'format': 'aliyun_cli', 'owner': 'app', 'profile': 'default'},
     'default aliyun_cli file of owner app, profile default'),
    ({'format': 'sdk'}, {'format': 'sdk', 'region': 'cn-beijing'}, 'default sdk file of the connection user, profile default'),
    ({'format': 'ossfs', 'profile': 'bucket-1'}, {'format': 'ossfs', 'profile': 'bucket-1'},
     'default ossfs file of the connection user, profile bucket-1'),
    ({'template': 'app.conf.j2', 'dest': '/etc/app.conf'}, {'template': 'other.j2', 'dest': '/etc/app.conf'},
     'templated file /etc/app.conf'),
])
def test_one_file_for_two_users_is_a_problem_naming_host_file_and_both_users(first, second, text):
    variables = {'inventory_hostname': 'web1', 'provision_credentials__a': [entry('app-a', first)],
                 'provision_credentials__b': [entry('app-b', second)]}
    merged = merge_declarations(variables)
    assert merged['problems'] == [
        'host web1: the %s is declared for two users, user app-a (in provision_credentials__a) and user app-b (in '
        'provision_credentials__b); a file profile holds one key: give one of them another path or profile' % text]
    with pytest.raises(AnsibleFilterError) as failure:
        provision_declarations(variables)
    assert 'host web1' in str(failure.value) and 'app-a' in str(failure.value) and 'app-b' in str(failure.value)


def test_an_explicit_key_and_a_user_in_one_file_conflict_without_showing_the_secret():
    merged = merge_declarations({'inventory_hostname': 'db1',
                                 'provision_credentials': [entry('app', env('/etc/db.env'))],
                                 'provision_credentials__vault': [{'access_key_id': 'LTAIexplicit',
                                                                   'access_key_secret': 'do-not-show',
                                                                   'files': [env('/etc/db.env')]}]})
    assert len(merged['problems']) == 1
    assert 'user app (in provision_credentials)' in merged['problems'][0]
    assert 'the explicit key LTAIexplicit (in provision_credentials__vault)' in merged['problems'][0]
    assert 'do-not-show' not in merged['problems'][0]


@pytest.mark.parametrize('first, second', [
    # two profiles of one multi-profile file
    ({'format': 'aliyun_cli', 'owner': 'app', 'profile': 'a'}, {'format': 'aliyun_cli', 'owner': 'app', 'profile': 'b'}),
    ({'format': 'sdk', 'path': '/srv/creds'}, {'format': 'sdk', 'path': '/srv/creds', 'profile': 'other'}),
    ({'format': 'ossfs', 'profile': 'bucket-1'}, {'format': 'ossfs', 'profile': 'bucket-2'}),
    # other files
    (env('/etc/a.env'), env('/etc/b.env')),
    ({'format': 'aliyun_cli', 'owner': 'app'}, {'format': 'aliyun_cli', 'owner': 'web'}),
    ({'format': 'sdk'}, {'format': 'aliyun_cli'}),
    ({'template': 't.j2', 'dest': '/etc/a.conf'}, {'template': 't.j2', 'dest': '/etc/b.conf'}),
])
def test_different_profiles_or_files_are_no_conflict(first, second):
    merged = merge_declarations({'provision_credentials__a': [entry('app-a', first)],
                                 'provision_credentials__b': [entry('app-b', second)]})
    assert merged['problems'] == [] and len(merged['credentials']) == 2


def test_the_same_user_may_declare_one_file_twice():
    merged = merge_declarations({'provision_credentials__a': [entry('app', env('/e'))],
                                 'provision_credentials__b': [{'user': 'app', 'region': 'cn-beijing', 'files': [env('/e')]}]})
    assert merged['problems'] == [] and len(merged['credentials']) == 2


def test_a_declaration_that_is_not_a_list_is_a_problem():
    merged = merge_declarations({'inventory_hostname': 'h', 'provision_credentials__a': {'user': 'x'},
                                 'provision_users': 'app'})
    assert merged['problems'] == ['host h: provision_users must be a list, not str',
                                  'host h: provision_credentials__a must be a list, not dict']


def test_only_the_users_some_entry_uses_are_ensured():
    merged = merge_declarations({'provision_users': [{'name': 'shared'}, {'name': 'batch-web1'}],
                                 'provision_users__web': [{'name': 'web-only'}],
                                 'provision_credentials__web': [entry('web-only', env('/w')), entry('shared', env('/s'))]})
    assert [user['name'] for user in merged['used_users']] == ['shared', 'web-only']
    assert merged['unused_user_names'] == ['batch-web1']
    # a nameless user is never ensured, and stays in users for the role's input check to report
    nameless = merge_declarations({'provision_users': [{'display_name': 'x'}]})
    assert nameless['users'] == [{'display_name': 'x'}] and nameless['used_users'] == []


def test_file_identity_of_what_names_no_file():
    assert file_identity({'format': 'sdk', 'profile': ''})[0] == ('sdk', ('default', None), 'default')
    assert file_identity({'region': 'x'}) is None and file_identity('sdk') is None


def test_hosts_outside_the_play_are_read_through_the_merged_view():
    hostvars = {'web3': {'inventory_hostname': 'web3',
                         'provision_credentials__web': [entry('app', env('/etc/app.env'))],
                         'provision_credentials__mon': [entry('mon', env('/etc/mon.env'))]}}
    # provision_credentials__mon sorts before provision_credentials__web
    assert outside_credential_files(hostvars, ['web3'], ['app', 'mon']) == [
        {'host': 'web3', 'user': 'mon', 'file': env('/etc/mon.env')},
        {'host': 'web3', 'user': 'app', 'file': env('/etc/app.env')}]


def test_a_host_lost_before_validation_counts_with_its_merged_users():
    hosts = {'web1': {'held': [], 'credentials': [entry('app', env('/a'))]}}
    # web2 failed before the validate step: not in the role's provision_hosts, only its inventory variables
    hostvars = {'web1': {'provision_readback': {'results': []}},
                'web2': {'provision_credentials__a': [entry('app', env('/a'))],
                         'provision_credentials__b': [entry('mon', env('/m'))]}}
    result = retirement_inputs(hosts, hostvars, ['web1', 'web2'], ['web1'], [], ['app', 'mon', 'other'])
    assert result['unconfirmed_users'] == ['app', 'mon'] and result['retiring_users'] == ['other']
