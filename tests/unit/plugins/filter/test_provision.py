# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aliyun.ram.plugins.filter.provision import (
    held_credential_problems,
    held_credentials,
    held_secrets,
    name_list,
    outside_credential_files,
)

try:  # ansible-core 2.19+
    from ansible.template import is_trusted_as_template, trust_as_template
except ImportError:  # ansible-core < 2.19
    is_trusted_as_template = trust_as_template = None

JINJA = "{{ lookup('pipe', 'touch /tmp/evaluated') }}"
BAD_IDS = [JINJA, "{% set x = lookup('pipe', 'id') %}", '{% raw %}', 'LTAI\x1b[31m', 'LTAI 5t', '', 'A' * 129, 42, None,
           ['LTAI1']]
BAD_SECRETS = [JINJA, '{% raw %}', 'abc{#comment', 'sec\x00ret', 'sec\nret', ' padded', 'padded ', 'zero\u200bwidth',
               'x' * 257, 42]


def read_result(user, key_id, secret='s', **extra):
    result = {'item': [{'user': user, 'files': []}, {'format': 'sdk'}], 'file_exists': True, 'exists': True,
              'access_key_id': key_id, 'access_key_secret': secret}
    result.update(extra)
    return result


def test_held_credentials_keeps_found_keys_with_user_and_host():
    results = [read_result('app', 'LTAI1'), read_result('web', 'LTAI2', secret='t')]
    assert held_credentials(results, 'web1') == [
        {'user_name': 'app', 'access_key_id': 'LTAI1', 'access_key_secret': 's', 'host': 'web1'},
        {'user_name': 'web', 'access_key_id': 'LTAI2', 'access_key_secret': 't', 'host': 'web1'},
    ]


def test_held_credentials_drops_skipped_failed_unreachable_and_missing():
    results = [
        read_result('app', 'LTAI1', skipped=True),
        read_result('app', 'LTAI2', failed=True),
        read_result('app', 'LTAI3', unreachable=True),
        read_result('app', 'LTAI4', exists=False),
        read_result('app', None),
        {'skipped': True, 'item': [{'user': 'app'}, {'template': 'x.j2'}]},
    ]
    assert not held_credentials(results, 'web1')


def test_held_credentials_deduplicates_the_same_key_in_several_files():
    results = [read_result('app', 'LTAI1'), read_result('app', 'LTAI1')]
    assert len(held_credentials(results, 'web1')) == 1


def test_held_credentials_takes_the_host_from_delegated_items():
    result = {'item': {'host': 'old1', 'user': 'app', 'file': {'format': 'sdk'}}, 'exists': True,
              'access_key_id': 'LTAI9', 'access_key_secret': 'x'}
    assert held_credentials([result]) == [{'user_name': 'app', 'access_key_id': 'LTAI9', 'access_key_secret': 'x', 'host': 'old1'}]


def test_outside_credential_files_lists_builtin_files_of_wanted_users_only():
    hostvars = {
        'old1': {'provision_credentials': [
            {'user': 'app', 'files': [{'format': 'sdk'}, {'template': 'a.j2', 'dest': '/x'}]},
            {'user': 'other', 'files': [{'format': 'env', 'path': '/e'}]},
        ]},
        'old2': {},
    }
    assert outside_credential_files(hostvars, ['old1', 'old2', 'missing'], ['app']) == [
        {'host': 'old1', 'user': 'app', 'file': {'format': 'sdk'}},
    ]


@pytest.mark.parametrize('key_id', BAD_IDS, ids=range(len(BAD_IDS)))
def test_held_credentials_drops_a_key_id_that_is_no_key_id(key_id):
    """Breaks when a key id read from a host is passed on unchecked: a Jinja expression or garbage then reaches the
    controller's ram_access_keys task, which fails for every host of the play."""
    assert held_credentials([read_result('app', key_id), read_result('app', 'LTAI2')], 'web1') == [
        {'user_name': 'app', 'access_key_id': 'LTAI2', 'access_key_secret': 's', 'host': 'web1'}]


@pytest.mark.parametrize('secret', BAD_SECRETS, ids=range(len(BAD_SECRETS)))
def test_held_credentials_keeps_the_key_without_a_secret_that_is_no_secret(secret):
    """Breaks when a held secret with Jinja delimiters, control characters or surrounding blanks is passed on (it
    would be sent to STS and templated wherever the play refers to it); the id alone still counts as held."""
    assert held_credentials([read_result('app', 'LTAI1', secret=secret)], 'web1') == [
        {'user_name': 'app', 'access_key_id': 'LTAI1', 'access_key_secret': None, 'host': 'web1'}]


def test_held_credentials_marks_what_hosts_hold_as_data():
    """Breaks when the values read from hosts keep a trust-as-template mark (ansible-core 2.19+) or are not wrapped
    as unsafe (older cores): a later task could then evaluate them as templates."""
    if trust_as_template is None:
        from ansible.utils.unsafe_proxy import AnsibleUnsafe  # pylint: disable=import-outside-toplevel
        entry = held_credentials([read_result('app', 'LTAI1', secret='s3cret')], 'web1')[0]
        assert all(isinstance(value, AnsibleUnsafe) for value in entry.values())
        return
    result = read_result(trust_as_template('app'), trust_as_template('LTAI1'), secret=trust_as_template('s3cret'))
    entry = held_credentials([result], trust_as_template('web1'))[0]
    assert entry == {'user_name': 'app', 'access_key_id': 'LTAI1', 'access_key_secret': 's3cret', 'host': 'web1'}
    assert not any(is_trusted_as_template(value) for value in entry.values())


def test_held_credential_problems_names_host_and_file_never_the_value():
    """Breaks when a host's unusable credential file is not reported, or is reported without the host and the file,
    or with the value it holds (a Jinja expression or a secret)."""
    results = [
        read_result('app', JINJA, path='/home/app/.env'),
        read_result('app', 'LTAI1', secret='{% raw %}s3cretvalue', path='/srv/app.ini'),
        # a read that failed (registered with failed_when: false, so no file_exists and failed false)
        {'item': [{'user': 'web'}, {'format': 'env', 'path': '/etc/web.env'}], 'failed': False, 'changed': False,
         'msg': '/etc/web.env cannot be parsed as a env file (line 3: not valid UTF-8 text)'},
        # a crashed module without a path in its result and without path in the spec
        {'item': [{'user': 'web'}, {'format': 'aliyun_cli'}], 'failed': True, 'msg': 'MODULE FAILURE'},
    ]
    problems = held_credential_problems(results, 'web1')
    assert len(problems) == 4
    assert all(problem.startswith('host web1, credential file ') for problem in problems)
    assert '/home/app/.env (user app): the AccessKey ID in it is not an AccessKey ID' in problems[0]
    assert '/srv/app.ini (user app): the AccessKey secret in it contains Jinja delimiters' in problems[1]
    assert '/etc/web.env (user web): it cannot be read: /etc/web.env cannot be parsed' in problems[2]
    assert 'the default aliyun_cli file (user web): it cannot be read: MODULE FAILURE' in problems[3]
    assert not any('lookup' in problem or 's3cret' in problem for problem in problems)


def test_held_credential_problems_accepts_good_missing_skipped_and_unreachable_reads():
    """Breaks when a file without the profile, a missing file, a skipped item or an unreachable host (handled by
    Ansible itself) is reported as unusable, failing a host that has nothing wrong."""
    results = [
        read_result('app', 'LTAI1'),
        read_result('app', 'LTAI1', secret=None),
        {'item': [{'user': 'app'}, {'format': 'sdk'}], 'file_exists': False, 'exists': False},
        {'item': [{'user': 'app'}, {'format': 'sdk'}], 'file_exists': True, 'exists': False},
        {'item': [{'user': 'app'}, {'template': 'x.j2'}], 'skipped': True},
        {'item': {'host': 'old1', 'user': 'app', 'file': {'format': 'sdk'}}, 'unreachable': True, 'msg': 'ssh: no route'},
    ]
    assert held_credential_problems(results, 'web1') == []


def test_held_credential_problems_names_the_delegated_host():
    """Breaks when a problem found on a host outside the play is reported under the host that read it."""
    result = {'item': {'host': 'old1', 'user': 'app', 'file': {'format': 'env', 'path': '/e'}}, 'file_exists': True,
              'exists': True, 'path': '/e', 'access_key_id': '\x00\x01'}
    assert held_credential_problems([result], 'web1') == [
        'host old1, credential file /e (user app): the AccessKey ID in it is not an AccessKey ID (1 to 128 letters, '
        'digits and dots). Nothing read from this host is used: fix or remove the file, then run again']


def test_held_secrets_maps_usable_key_ids_to_secrets_across_hosts():
    explicit = {'item': {'access_key_id': 'LTAI3', 'file': {'format': 'env'}}, 'file_exists': True, 'exists': True,
                'access_key_id': 'LTAI3', 'access_key_secret': 'u'}
    hostvars = {
        'web1': {'reads': {'results': [read_result('app', 'LTAI1'), read_result('app', 'LTAI9', exists=False)]}},
        'web2': {'reads': {'results': [explicit, read_result('web', 'LTAI2', secret=''), {'skipped': True}]}},
        'down': {},
    }
    assert held_secrets(hostvars, ['web1', 'web2', 'down', 'absent'], 'reads') == {'LTAI1': 's', 'LTAI3': 'u'}


@pytest.mark.parametrize('secret', BAD_SECRETS)
def test_held_secrets_leaves_out_what_cannot_be_a_secret(secret):
    hostvars = {'web1': {'reads': {'results': [read_result('app', 'LTAI1', secret=secret)]}}}
    assert held_secrets(hostvars, ['web1'], 'reads') == {}


@pytest.mark.parametrize('key_id', BAD_IDS)
def test_held_secrets_leaves_out_what_cannot_be_a_key_id(key_id):
    hostvars = {'web1': {'reads': {'results': [read_result('app', key_id)]}}}
    assert held_secrets(hostvars, ['web1'], 'reads') == {}


@pytest.mark.parametrize('value, expected', [
    (['app-web', 'app-db'], ['app-web', 'app-db']),
    ('app-web', ['app-web']),                       # -e provision_rotate_users=app-web (was split into characters)
    ('app-web,app-db', ['app-web', 'app-db']),
    (' app-web , app-db ,', ['app-web', 'app-db']),
    ('app-web\napp-db', ['app-web', 'app-db']),     # an AWX survey textarea
    ('', []),
    (None, []),
    ([], []),
])
def test_name_list_accepts_lists_and_separated_strings(value, expected):
    assert name_list(value, 'provision_rotate_users') == expected


@pytest.mark.parametrize('value', [42, {'app-web': True}, ['app-web', 7], True])
def test_name_list_refuses_anything_else_naming_the_variable(value):
    with pytest.raises(AnsibleFilterError, match='provision_rotate_users must be a list of names'):
        name_list(value, 'provision_rotate_users')
