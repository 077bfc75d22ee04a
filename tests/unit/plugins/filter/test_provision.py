# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aliyun.ram.plugins.filter.provision import (
    credential_file_batch_reads,
    credential_file_reads,
    credential_file_writes,
    held_credential_problems,
    held_credentials,
    held_secrets,
    keyed_credential_files,
    name_list,
    outside_credential_files,
    pending_credential_writes,
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


# One read per host with compare, then only the files a write would change -----------------------------------------

APP_ENV = {'format': 'env', 'path': '/etc/app.env', 'mode': '0640'}
APP_CLI = {'format': 'aliyun_cli', 'owner': 'app'}
TEMPLATE = {'template': 'app.j2', 'dest': '/etc/app.conf'}
HOST_CREDENTIALS = [
    {'user': 'app', 'region': 'cn-shanghai', 'files': [APP_ENV, APP_CLI, TEMPLATE]},
    {'access_key_id': 'LTAIexplicit0001', 'access_key_secret': 'explicit-secret', 'files': [{'format': 'sdk'}]},
]
APP_KEY = {'access_key_id': 'LTAIapp000000001', 'access_key_secret': 'app-secret'}


def compared_reads(**states):
    """Results of one batch read of HOST_CREDENTIALS, each file in sync with the key it holds unless ``states``
    says otherwise (by format: a dict of result fields)."""
    reads = credential_file_reads(HOST_CREDENTIALS, explicit_keys=True, compare=True, region='cn-hangzhou')
    results = []
    for read in reads:
        key = APP_KEY if read.get('user') == 'app' else HOST_CREDENTIALS[1]
        result = {'item': read, 'exists': True, 'file_exists': True, 'in_sync': True,
                  'access_key_id': key['access_key_id'], 'access_key_secret': key['access_key_secret']}
        result.update(states.get(read['file']['format'], {}))
        results.append(result)
    return results


def test_reads_with_compare_carry_the_region_a_write_would_set_and_leave_templates_out():
    reads = credential_file_reads(HOST_CREDENTIALS, explicit_keys=True, compare=True, region='cn-hangzhou')
    assert [(read.get('user'), read.get('access_key_id'), read['file'], read['compare']) for read in reads] == [
        ('app', None, APP_ENV, {'region': 'cn-shanghai'}), ('app', None, APP_CLI, {'region': 'cn-shanghai'}),
        (None, 'LTAIexplicit0001', {'format': 'sdk'}, {'region': 'cn-hangzhou'})]
    assert all('explicit-secret' not in repr(read) for read in reads)
    files = credential_file_batch_reads(reads)
    assert files[0] == {'format': 'env', 'path': '/etc/app.env', 'mode': '0640', 'compare': True, 'region': 'cn-shanghai',
                        'item': reads[0]}
    assert 'compare' not in credential_file_batch_reads(credential_file_reads(HOST_CREDENTIALS))[0]


def test_a_host_whose_files_hold_their_keys_in_sync_has_nothing_to_write_but_its_templates():
    pending = pending_credential_writes(HOST_CREDENTIALS, {'app': APP_KEY}, compared_reads())
    assert pending == [dict(HOST_CREDENTIALS[0], files=[TEMPLATE])]


@pytest.mark.parametrize('state', [
    {'in_sync': False},                              # mode, owner, other content: what a write would change
    {'access_key_id': 'LTAIolder0000001'},           # another key
    {'access_key_secret': 'stale-secret'},           # the same id with another secret
    {'exists': False},                               # the profile is missing
    {'failed': True, 'msg': 'cannot read'},          # unreadable: the write reports it
    {'in_sync': None},                               # not compared
])
def test_a_file_is_written_unless_its_read_shows_it_holding_its_key_in_sync(state):
    pending = pending_credential_writes(HOST_CREDENTIALS, {'app': APP_KEY}, compared_reads(env=state))
    assert pending == [dict(HOST_CREDENTIALS[0], files=[APP_ENV, TEMPLATE])]
    explicit = pending_credential_writes(HOST_CREDENTIALS[1:], {}, compared_reads(sdk=state))
    assert explicit == HOST_CREDENTIALS[1:]


def test_a_key_to_be_created_or_without_a_read_makes_every_file_pending():
    assert pending_credential_writes(HOST_CREDENTIALS[:1], {'app': {'access_key_id': None}}, compared_reads()) == HOST_CREDENTIALS[:1]
    assert pending_credential_writes(HOST_CREDENTIALS, {'app': APP_KEY}, []) == HOST_CREDENTIALS


def test_keyed_files_carry_their_key_and_region_for_one_inclusion_of_the_role():
    files = keyed_credential_files(HOST_CREDENTIALS, {'app': APP_KEY}, 'cn-hangzhou')
    assert [(f.get('format', f.get('template')), f['access_key_id'], f['access_key_secret'], f.get('region')) for f in files] == [
        ('env', 'LTAIapp000000001', 'app-secret', 'cn-shanghai'), ('aliyun_cli', 'LTAIapp000000001', 'app-secret', 'cn-shanghai'),
        ('app.j2', 'LTAIapp000000001', 'app-secret', 'cn-shanghai'),
        ('sdk', 'LTAIexplicit0001', 'explicit-secret', 'cn-hangzhou')]
    assert files[0]['mode'] == '0640' and 'region' not in HOST_CREDENTIALS[0]['files'][0]


def test_keyed_files_use_a_placeholder_for_a_key_to_be_created_only_in_a_dry_run():
    files = keyed_credential_files(HOST_CREDENTIALS[:1], {'app': {}}, None, check_mode=True)
    assert {(f['access_key_id'], f['access_key_secret']) for f in files} == {('NewAccessKeyWouldBeCreated', 'new-secret')}
    with pytest.raises(AnsibleFilterError, match='no AccessKey for user app'):
        keyed_credential_files(HOST_CREDENTIALS[:1], {'app': {}}, None)


def test_writes_turn_keyed_files_into_one_module_run_with_templates_rendered_in_order():
    files = keyed_credential_files(HOST_CREDENTIALS, {'app': APP_KEY}, 'cn-hangzhou')
    writes = credential_file_writes(files, ['rendered app.j2'])
    assert [entry['item'] for entry in writes] == [
        '%s %s' % (files[0]['format'], files[0]['path']), '%s %s' % (files[1]['format'], files[1].get('path', '(default path)')),
        files[2]['dest'], '%s %s' % (files[3]['format'], files[3].get('path', '(default path)'))]
    assert writes[2] == {'format': 'template', 'path': files[2]['dest'], 'content': 'rendered app.j2',
                         'access_key_secret': 'app-secret', 'item': files[2]['dest']}
    assert writes[0]['access_key_secret'] == 'app-secret' and writes[0]['mode'] == '0640' and 'template' not in writes[0]
    assert writes[3]['access_key_id'] == 'LTAIexplicit0001' and writes[3]['region'] == 'cn-hangzhou'
    with pytest.raises(AnsibleFilterError, match='was not rendered'):
        credential_file_writes(files)
