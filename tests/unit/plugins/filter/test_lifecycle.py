# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rotation and revocation filters of the provision role: table tests of who is retired and what is reported."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.filter.lifecycle import (
    retirement_inputs,
    revocation_report,
    rotation_report,
)
from ansible_collections.aliyun.ram.plugins.filter.provision import credential_file_reads


def held(user, key_id, host):
    return {'user_name': user, 'access_key_id': key_id, 'access_key_secret': 's-' + key_id, 'host': host}


def outside_read(user, host, key_id=None, **state):
    result = {'item': {'host': host, 'user': user, 'file': {'format': 'env', 'path': '/e'}}}
    if key_id:
        result.update(file_exists=True, exists=True, access_key_id=key_id, access_key_secret='s-' + key_id)
    result.update(state)
    return result


def read_back(*entries):
    """A host's registered credential_file_info result holding these keys."""
    return {'results': [{'item': {'user': entry['user_name'], 'file': {'format': 'env', 'path': '/e'}}, 'file_exists': True,
                         'exists': True, 'access_key_id': entry['access_key_id'],
                         'access_key_secret': entry['access_key_secret']} for entry in entries]}


HOSTVARS = {
    'web1': {'provision_readback': read_back(held('app', 'NEW1', 'web1'))},
    'web2': {'provision_readback': read_back(held('app', 'NEW1', 'web2'))},
    'db1': {},
    # unreachable from the start: never read, its declarations never merged by the role
    'db2': {'provision_credentials': [{'user': 'db', 'files': []}]},
}
# the role's provision_hosts; db1 failed during the deploy: it still holds what it held before
HOSTS = {
    'web1': {'held': [held('app', 'OLD1', 'web1')], 'credentials': [{'user': 'app', 'files': []}]},
    'web2': {'held': [], 'credentials': [{'user': 'app', 'files': []}]},
    'db1': {'held': [held('db', 'OLDDB', 'db1')],
            'credentials': [{'user': 'db', 'files': []}, {'access_key_id': 'LTAIexplicit', 'files': []}]},
}


@pytest.mark.parametrize('play_hosts, outside, rotating, expected_held, unconfirmed, retiring', [
    # every host of the play confirmed, nothing outside: every rotating user retires
    (['web1', 'web2', 'db1', 'db2'], [], ['app', 'db'],
     ['NEW1', 'NEW1'], [], ['app', 'db']),
    # db1 failed and db2 became unreachable: db keeps its old key, what db1 held before still counts
    (['web1', 'web2'], [], ['app', 'db'],
     ['NEW1', 'NEW1', 'OLDDB'], ['db'], ['app']),
    # an outside host holds the old key (read): it counts as held, the user still retires
    (['web1', 'web2', 'db1', 'db2'], [outside_read('app', 'old1', 'OLD1')], ['app', 'db'],
     ['NEW1', 'NEW1', 'OLD1'], [], ['app', 'db']),
    # an outside host could not be read (unreachable, or failed): its user is not retired; a skipped read is fine
    (['web1', 'web2', 'db1', 'db2'], [outside_read('app', 'old1', unreachable=True), outside_read('db', 'old2', skipped=True)],
     ['app', 'db'], ['NEW1', 'NEW1'], ['app'], ['db']),
    (['web1', 'web2', 'db1', 'db2'], [outside_read('db', 'old2', failed=True, msg='cannot be parsed')], ['db', 'app'],
     ['NEW1', 'NEW1'], ['db'], ['app']),
])
def test_retirement_inputs(play_hosts, outside, rotating, expected_held, unconfirmed, retiring):
    """Breaks when a host that failed, was unreachable, or could not be read outside the play lets its users' old keys
    be deactivated (they would stop working on that host), or when what such a host held stops counting as held."""
    result = retirement_inputs(HOSTS, HOSTVARS, ['web1', 'web2', 'db1', 'db2'], play_hosts, outside, rotating)
    assert [entry['access_key_id'] for entry in result['held']] == expected_held
    assert result['unconfirmed_users'] == unconfirmed
    assert result['retiring_users'] == retiring


KEYS = {'access_keys': {
    'app': {'access_key_id': 'NEW1', 'created': True, 'rotated_from': 'OLD1', 'deleted_access_key_ids': ['GONE1'],
            'rotation': {'decision': 'rotate'}},
    'db': {'access_key_id': 'DB1', 'created': False, 'deleted_access_key_ids': [], 'rotation': {'decision': 'resume'}},
    'web': {'access_key_id': 'W1', 'created': False},
}}
RETIRED = {'access_keys': {
    'app': {'deactivated_access_key_ids': ['OLD1'], 'deleted_access_key_ids': ['OLDER1'], 'pending_access_key_ids': [],
            'still_held_access_key_ids': []},
    'db': {'deactivated_access_key_ids': [], 'deleted_access_key_ids': [], 'pending_access_key_ids': ['DBOLD'],
           'still_held_access_key_ids': ['DBHELD']},
}}


def test_rotation_report_of_a_real_run():
    report = rotation_report(KEYS, RETIRED, ['app', 'db'], ['db'], False)
    assert report == {
        'check_mode': False, 'decisions': {'app': 'rotate', 'db': 'resume'}, 'created_for': ['app'], 'created': ['NEW1'],
        'deactivated': ['OLD1'], 'deleted': ['GONE1', 'OLDER1'], 'pending_deletion': ['DBOLD'], 'still_held': ['DBHELD'],
        'not_retired': ['db'], 'message': report['message']}
    assert report['message'] == (
        "Created new keys for ['app'] ['NEW1']; deactivated ['OLD1']; deleted ['GONE1', 'OLDER1']; kept Inactive for "
        "rollback until their grace period ends: ['DBOLD']; left Active because a host still holds them: ['DBHELD']; not "
        "retired because some of their hosts were not reached: ['db']; decisions: {'app': 'rotate', 'db': 'resume'}")


def test_rotation_report_of_a_dry_run_with_the_retire_step_skipped():
    """In check mode nothing is deployed, so retire is skipped; the old key of a user that gets a new one is what would
    be deactivated, and a key that would be created has no id yet."""
    keys = {'access_keys': {'app': {'access_key_id': None, 'created': True, 'rotated_from': 'OLD1',
                                    'rotation': {'decision': 'rotate'}},
                            'new': {'access_key_id': None, 'created': True}}}
    report = rotation_report(keys, {'skipped': True, 'changed': False}, ['app', 'gone'], [], True)
    assert report['created_for'] == ['app', 'new'] and report['created'] == []
    assert report['deactivated'] == ['OLD1'] and report['deleted'] == []
    assert report['decisions'] == {'app': 'rotate', 'gone': 'none'}
    assert report['message'].startswith("Would create new keys for ['app', 'new'] []; would deactivate (once deployed) ['OLD1']; "
                                        "would delete [];")


REVOKED = {'access_keys': {
    'solo': {'user_exists': True, 'deleted_access_key_ids': ['S1', 'S2'], 'kept_access_key_ids': [], 'holders': {}},
    'shared': {'user_exists': True, 'deleted_access_key_ids': [], 'kept_access_key_ids': ['SH1'],
               'holders': {'SH1': ['rev3']}},
    'gone': {'user_exists': False, 'deleted_access_key_ids': [], 'kept_access_key_ids': [], 'holders': {}},
}}


@pytest.mark.parametrize('delete_users, check_mode, users, message_end', [
    (False, False, [], 'users deleted: []'),
    (True, False, ['solo'], "users deleted: ['solo']"),
    (True, True, ['solo'], "users that would be deleted: ['solo']"),
])
def test_revocation_report(delete_users, check_mode, users, message_end):
    """Breaks when a user whose key a host outside the run still holds, or a user that does not exist, is deleted."""
    report = revocation_report(REVOKED, delete_users, check_mode)
    assert report['deleted'] == ['S1', 'S2']
    assert report['kept_in_use_elsewhere'] == {'SH1': ['rev3']}
    assert report['users_to_delete'] == users
    assert report['user_specs_to_delete'] == [{'name': user, 'state': 'absent', 'force': True} for user in users]
    assert report['message'].startswith(('Would delete' if check_mode else 'Deleted') + " AccessKeys ['S1', 'S2']; left alone "
                                        "because hosts outside this run hold them (provision_revoke_force deletes them too): "
                                        "{'SH1': ['rev3']}; ")
    assert report['message'].endswith(message_end)


def test_revocation_report_of_a_failed_or_skipped_revoke_is_empty():
    assert revocation_report({'failed': True, 'msg': 'x'}, True)['users_to_delete'] == []


CREDENTIALS = [
    {'user': 'app', 'files': [{'format': 'sdk', 'owner': 'app'}, {'template': 'a.j2', 'dest': '/a'}]},
    {'access_key_id': 'LTAIexplicit', 'access_key_secret': 'explicit-secret', 'security_token': 'tok',
     'files': [{'format': 'env', 'path': '/e'}]},
    {'user': 'db', 'access_key_id': 'ignored', 'files': [{'format': 'ossfs', 'profile': 'b'}]},
]


@pytest.mark.parametrize('explicit_keys, expected', [
    (False, [{'user': 'app', 'file': {'format': 'sdk', 'owner': 'app'}},
             {'user': 'db', 'file': {'format': 'ossfs', 'profile': 'b'}}]),
    (True, [{'user': 'app', 'file': {'format': 'sdk', 'owner': 'app'}},
            {'access_key_id': 'LTAIexplicit', 'file': {'format': 'env', 'path': '/e'}},
            {'user': 'db', 'file': {'format': 'ossfs', 'profile': 'b'}}]),
])
def test_credential_file_reads_lists_builtin_files_and_never_a_secret(explicit_keys, expected):
    """Breaks when a templated file is read back (it cannot be), when an explicit key's entry is read by the provision
    role (its files are not the role's to judge), or when a secret of the entry reaches the read list (its loop label
    and results are shown)."""
    reads = credential_file_reads(CREDENTIALS, explicit_keys)
    assert reads == expected
    assert 'secret' not in repr(reads) and 'tok' not in repr(reads)


def test_reports_show_strings_of_the_play_as_plain_text():
    """Registered results hold unsafe text (ansible-core < 2.19) or tagged text (2.19+): breaks when the message shows
    anything but the plain ids (the molecule scenarios and operators read them)."""
    try:
        from ansible.template import trust_as_template as mark  # pylint: disable=import-outside-toplevel
    except ImportError:
        from ansible.utils.unsafe_proxy import wrap_var as mark  # pylint: disable=import-outside-toplevel
    keys = {'access_keys': {mark('app'): {'access_key_id': mark('NEW1'), 'created': True, 'rotation': {'decision': mark('rotate')}}}}
    message = rotation_report(keys, {}, [mark('app')], [], False)['message']
    assert message.startswith("Created new keys for ['app'] ['NEW1']; ") and message.endswith("decisions: {'app': 'rotate'}")
