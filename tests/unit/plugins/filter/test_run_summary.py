# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end-of-run summary: what it counts from registered results and host facts, and what it says about hosts that
failed or were unreachable."""

from __future__ import annotations

import json

import pytest

from ansible_collections.aliyun.ram.plugins.filter.run_summary import run_summary

SECRET = 'secret-that-must-not-appear'


def key(key_id, **fields):
    entry = {'access_key_id': key_id, 'access_key_secret': SECRET if key_id else None, 'created': False}
    entry.update(fields)
    return entry


HOSTVARS = {
    'web1': {'credentials_changed_paths': ['/etc/app.env'], 'credentials_unchanged_paths': []},
    'web2': {'credentials_changed_paths': [], 'credentials_unchanged_paths': ['/etc/app.env']},
    # unreachable from the start: it never read its files, and the role never merged its declarations
    'db1': {'provision_credentials': [{'user': 'db', 'files': []}, {'access_key_id': 'LTAIexplicit', 'files': []}]},
    'db2': {},
}
# the role's provision_hosts: db2 read its files, then failed before writing
HOSTS = {
    'web1': {'read': [], 'user_names': ['app']},
    'web2': {'read': [], 'user_names': ['app']},
    'db2': {'read': [], 'user_names': ['db']},
}
ALL = ['web1', 'web2', 'db1', 'db2']
PLAY = ['web1', 'web2']


def test_a_provision_run_counts_users_keys_and_files_and_names_what_lost_hosts_miss():
    users = {'users': [{'name': 'app', 'changed': True, 'created': True}, {'name': 'ops', 'changed': True}]}
    keys = {'access_keys': {'app': key('NEW1', created=True), 'db': key('DB1'),
                            'old': key('NEW2', created=True, rotated_from='OLD2', deleted_access_key_ids=['GONE'])}}
    summary = run_summary(HOSTVARS, 'provision', ALL, PLAY, users=users, keys=keys,
                          user_names=['app', 'ops', 'db', 'old', 'app'], hosts=HOSTS)
    assert summary['users_created'] == ['app'] and summary['users_updated'] == ['ops'] and summary['users_unchanged'] == 2
    assert summary['keys_created'] == {'app': 'NEW1', 'old': 'NEW2'} and summary['keys_kept'] == {'db': 'DB1'}
    assert summary['keys_rotated'] == {'old': {'from': 'OLD2', 'to': 'NEW2'}} and summary['keys_deleted'] == ['GONE']
    assert summary['hosts_changed'] == {'web1': ['/etc/app.env']} and summary['hosts_unchanged'] == ['web2']
    assert summary['hosts_failed'] == {'db1': 'not reached: unreachable, or failed before its files were read',
                                       'db2': 'failed before its files were written'}
    assert summary['consequences'] == [
        'db1 (not reached: unreachable, or failed before its files were read): the current keys of db may not be on '
        'it; run again with --limit db1 to finish',
        'db2 (failed before its files were written): the current keys of db may not be on it; run again with --limit '
        'db2 to finish']
    assert summary['lines'][:8] == [
        'Provision summary',
        'Users created: app',
        'Users updated: ops',
        'AccessKeys created: app NEW1, old NEW2',
        'AccessKeys replaced: old OLD2 -> NEW2',
        'AccessKeys kept: db DB1',
        'AccessKeys deleted: GONE',
        'Users unchanged: 2']
    assert SECRET not in json.dumps(summary)


def test_a_dry_run_on_a_fresh_account_says_what_would_be_created():
    keys = {'access_keys': {'app': key(None, created=True)}}
    users = {'users': [{'name': 'app', 'changed': True, 'created': True}]}
    summary = run_summary(HOSTVARS, 'provision', PLAY, PLAY, users=users, keys=keys, user_names=['app'], check_mode=True, hosts=HOSTS)
    assert summary['lines'] == [
        'Provision summary (check mode: nothing was changed; this is what a real run would do)',
        'Users that would be created: app',
        'AccessKeys that would be created: app (new key)',
        'Files that would change: web1 (/etc/app.env)',
        'Hosts with nothing to change: web2',
        'Hosts failed or unreachable: none']


def test_a_rotation_names_the_old_key_kept_active_because_of_an_unreachable_host():
    keys = {'access_keys': {'db': key('NEWDB', created=True, rotated_from='OLDDB',
                                      rotation={'decision': 'rotate', 'message': 'AccessKey OLDDB is replaced'})}}
    rotation = {'deactivated': [], 'deleted': [], 'pending_deletion': [], 'still_held': ['HELD'], 'not_retired': ['db']}
    summary = run_summary(HOSTVARS, 'rotate', ALL, PLAY, keys=keys, rotation=rotation, hosts=HOSTS)
    assert summary['rotation_decisions'] == {'db': {'decision': 'rotate', 'message': 'AccessKey OLDDB is replaced'}}
    assert summary['consequences'][-2:] == ['old key of db kept Active because db1, db2 were not reached; rotate '
                                            'again once they are back', 'HELD left Active: a host still holds it']
    assert 'Rotation of db: rotate (AccessKey OLDDB is replaced)' in summary['lines']


def test_a_revocation_lists_the_keys_left_alone_and_the_users_deleted():
    revocation = {'deleted': ['K1'], 'kept_in_use_elsewhere': {'K2': ['web9']}, 'users_to_delete': ['app']}
    summary = run_summary(HOSTVARS, 'revoke', ALL, PLAY, revocation=revocation, hosts=HOSTS)
    assert (summary['keys_deleted'], summary['users_deleted']) == (['K1'], ['app'])
    assert 'AccessKeys left alone because hosts outside this run hold them: K2 (web9)' in summary['lines']
    assert summary['consequences'][0] == ('db1 (not reached: unreachable, or failed before its files were read): its '
                                          'files still hold the keys of db; run again with --limit db1 to remove them')


def test_a_failed_key_is_named_with_its_error_code():
    keys = {'access_keys': {'app': key(None, error={'code': 'Throttling.User', 'message': 'slow down'})}}
    summary = run_summary({}, 'provision', [], [], keys=keys)
    assert summary['keys_failed'] == {'app': 'Throttling.User'} and summary['keys_created'] == {}
    assert 'AccessKeys that failed: app (Throttling.User)' in summary['lines']


def test_skipped_or_missing_results_give_an_empty_summary():
    summary = run_summary({}, 'rotate', [], [], users={'skipped': True}, keys=None, rotation='', revocation=None)
    assert summary['lines'] == ['Rotation summary', 'Files changed: none', 'Hosts failed or unreachable: none']


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match='kind must be one of provision, rotate, revoke, reconcile, deploy'):
        run_summary({}, 'audit', [], [])


def test_a_reconcile_contacts_no_host_and_says_nothing_about_files():
    keys = {'access_keys': {'app': key('NEW1', created=True)}}
    summary = run_summary(HOSTVARS, 'reconcile', PLAY, PLAY, keys=keys, hosts=HOSTS)
    assert summary['lines'] == ['Reconcile summary', 'AccessKeys created: app NEW1', 'Hosts failed: none']


def test_the_roles_one_write_says_which_files_changed_and_how_far_a_lost_host_got():
    hostvars = {
        'web1': {'provision_written': {'changed': True, 'results': [
            {'changed': True, 'paths': ['/etc/a.env']}, {'changed': False, 'paths': ['/etc/b.env']}]}},
        'web2': {'provision_written': {'skipped': True}},
        # failed on its second file, after writing the first
        'db1': {'provision_written': {'failed': True, 'results': [{'changed': True, 'paths': ['/etc/db.env']}]}},
        # failed on its first file
        'db2': {'provision_written': {'failed': True, 'results': []}},
    }
    hosts = dict((host, {'read': [], 'user_names': ['app']}) for host in hostvars)
    summary = run_summary(hostvars, 'provision', list(hostvars), ['web1', 'web2'], hosts=hosts)
    assert summary['hosts_changed'] == {'web1': ['/etc/a.env'], 'db1': ['/etc/db.env']}
    assert summary['hosts_unchanged'] == ['web2']
    assert summary['hosts_failed'] == {'db1': 'failed after some of its files were written',
                                       'db2': 'failed before its files were written'}


def test_a_new_key_that_no_host_received_is_said_deleted_again_not_created():
    """The role deletes the new key of a new user whose every host failed or was unreachable at its write."""
    hostvars = {'web1': {'provision_written': {'changed': True, 'results': [{'changed': True, 'paths': ['/etc/a.env']}]}},
                'db1': {'provision_written': {'unreachable': True, 'changed': False, 'msg': 'Failed to connect'}}}
    hosts = {'web1': {'read': [], 'user_names': ['app']}, 'db1': {'read': [], 'user_names': ['db']}}
    keys = {'access_keys': {'app': key('NEW1', created=True), 'db': key('NEW2', created=True)}}
    withdrawn = [{'item': {'user': 'db', 'access_key_id': 'NEW2'}, 'changed': True}]
    summary = run_summary(hostvars, 'provision', ['web1', 'db1'], ['web1'], keys=keys, hosts=hosts, withdrawn=withdrawn)
    assert summary['keys_created'] == {'app': 'NEW1'} and summary['keys_withdrawn'] == {'db': 'NEW2'}
    # unreachable at the write, which changed nothing
    assert summary['hosts_failed'] == {'db1': 'failed before its files were written'}
    assert 'AccessKeys created and deleted again, as no host received them: db NEW2' in summary['lines']
    # a deletion that failed is not said done
    failed = [{'item': {'user': 'db', 'access_key_id': 'NEW2'}, 'failed': True}]
    assert run_summary(hostvars, 'provision', ['web1', 'db1'], ['web1'], keys=keys, hosts=hosts,
                       withdrawn=failed)['keys_created'] == {'app': 'NEW1', 'db': 'NEW2'}
