# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's pure part: registered results -> records, and records + policy + now -> findings."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._audit import (
    FINDING_KINDS,
    SEVERITY_ORDER,
    build_report,
    collect_controller_identity,
    collect_host_reads,
    collect_identities,
    collect_users,
    unknown_held_key_ids,
)

NOW = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
POLICY = {'max_age_days': 90, 'inactive_grace_days': 7, 'unused_days': 90}


def ago(days, hours=0):
    return (NOW - datetime.timedelta(days=days, hours=hours)).strftime('%Y-%m-%dT%H:%M:%SZ')


def key(key_id, status='Active', created=10, last_used=None):
    return {'access_key_id': key_id, 'status': status, 'create_date': ago(created),
            'last_used_date': ago(last_used) if last_used is not None else None}


def user(name, *keys, exists=True, error=None):
    return {'user_name': name, 'exists': exists, 'error': error, 'access_keys': list(keys)}


def held(host, key_id, user_name='app', path='/etc/app.env'):
    return {'host': host, 'user_name': user_name, 'access_key_id': key_id, 'format': 'env', 'path': path, 'profile': 'default'}


def reads(*entries, unreachable=(), unreadable=()):
    return {'held': list(entries), 'hosts_read': sorted({e['host'] for e in entries}), 'unreachable': list(unreachable),
            'unreadable': list(unreadable)}


def kinds(report):
    return sorted((f['kind'], f['access_key_id']) for f in report['findings'])


# name, users, reads, identities, policy, controller identity, expected (kind, key id) findings
CASES = [
    ('held active young key is clean',
     [user('app', key('K1'))], reads(held('web1', 'K1')), {}, POLICY, None, []),
    ('active key held by nobody is an orphan',
     [user('app', key('K1'))], reads(), {}, POLICY, None, [('orphan_key', 'K1')]),
    ('inactive key held by nobody is no orphan',
     [user('app', key('K1', 'Inactive', created=3))], reads(), {}, POLICY, None, []),
    ('active key one day past the policy is too old',
     [user('app', key('K1', created=91, last_used=1))], reads(held('web1', 'K1')), {}, POLICY, None, [('key_too_old', 'K1')]),
    ('active key exactly at the policy age is not too old',
     [user('app', key('K1', created=90))], reads(held('web1', 'K1')), {}, POLICY, None, []),
    ('max_age_days 0 turns the age check off',
     [user('app', key('K1', created=900))], reads(held('web1', 'K1')), {}, {'max_age_days': 0, 'inactive_grace_days': 7},
     None, []),
    ('old inactive key is judged by its grace, not by the age policy',
     [user('app', key('K1', created=200, status='Inactive', last_used=2))], reads(), {}, POLICY, None, []),
    ('inactive key never used, created past the grace',
     [user('app', key('K1', 'Inactive', created=8))], reads(), {}, POLICY, None, [('inactive_past_grace', 'K1')]),
    ('inactive key last used within the grace',
     [user('app', key('K1', 'Inactive', created=30, last_used=6))], reads(), {}, POLICY, None, []),
    ('inactive key last used past the grace',
     [user('app', key('K1', 'Inactive', created=30, last_used=8))], reads(), {}, POLICY, None, [('inactive_past_grace', 'K1')]),
    ('grace 0: a key created this very second is not past it yet',
     [user('app', key('K1', 'Inactive', created=0, last_used=None))], reads(), {},
     {'max_age_days': 90, 'inactive_grace_days': 0}, None, []),
    ('inactive key still deployed is stale on the host',
     [user('app', key('K1', 'Inactive', created=3))], reads(held('web1', 'K1')), {}, POLICY, None,
     [('stale_key_on_host', 'K1')]),
    ('two keys is the limit',
     [user('app', key('K1'), key('K2', 'Inactive', created=1))], reads(held('web1', 'K1')), {}, POLICY, None,
     [('user_at_key_limit', None)]),
    ('missing user',
     [user('gone', exists=False)], reads(), {}, POLICY, None, [('user_missing', None)]),
    ('unknown key on a host verified as the account root key',
     [user('app', key('K1'))], reads(held('web1', 'K1'), held('web2', 'ROOT1')),
     {'ROOT1': {'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True, 'error': None}}, POLICY, None,
     [('root_key_in_use', 'ROOT1')]),
    ('unknown key of another RAM user is listed, not a finding',
     [user('app', key('K1'))], reads(held('web1', 'K1'), held('web2', 'OTHER')),
     {'OTHER': {'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/other', 'is_root': False, 'error': None}}, POLICY, None, []),
    ('unknown key that does not authenticate is stale',
     [user('app', key('K1'))], reads(held('web1', 'K1'), held('web2', 'DEAD')),
     {'DEAD': {'identity_type': None, 'arn': None, 'is_root': False, 'error': 'InvalidAccessKeyId.NotFound'}}, POLICY, None,
     [('stale_key_on_host', 'DEAD')]),
    ('active key never used since its creation 91 days ago is unused (and too old)',
     [user('app', key('K1', created=91))], reads(held('web1', 'K1')), {}, POLICY, None,
     [('key_too_old', 'K1'), ('unused_key', 'K1')]),
    ('active key never used, created 89 days ago, is not unused yet',
     [user('app', key('K1', created=89))], reads(held('web1', 'K1')), {}, POLICY, None, []),
    ('active key last used 31 days ago is unused for a 30-day policy',
     [user('app', key('K1', created=80, last_used=31))], reads(held('web1', 'K1')), {}, dict(POLICY, unused_days=30), None,
     [('unused_key', 'K1')]),
    ('active key used yesterday is not unused',
     [user('app', key('K1', created=80, last_used=1))], reads(held('web1', 'K1')), {}, dict(POLICY, unused_days=30), None, []),
    ('active key held by no host and unused is both',
     [user('app', key('K1', created=80, last_used=31))], reads(), {}, dict(POLICY, unused_days=30), None,
     [('orphan_key', 'K1'), ('unused_key', 'K1')]),
    ('inactive key last used long ago is judged by its grace, not as unused',
     [user('app', key('K1', 'Inactive', created=80, last_used=60))], reads(), {}, dict(POLICY, unused_days=30), None,
     [('inactive_past_grace', 'K1')]),
    ('inactive key never used for long is judged by its grace, not as unused',
     [user('app', key('K1', 'Inactive', created=300))], reads(), {}, POLICY, None, [('inactive_past_grace', 'K1')]),
    ('unused_days 0 turns the unused check off',
     [user('app', key('K1', created=80, last_used=70))], reads(held('web1', 'K1')), {}, dict(POLICY, unused_days=0), None, []),
    ('unknown key that was not verified',
     [user('app', key('K1'))], reads(held('web1', 'K1'), held('web2', 'ODD')), {}, POLICY, None,
     [('key_not_verified', 'ODD')]),
    ('controller runs with the root key',
     [user('app', key('K1'))], reads(held('web1', 'K1')), {}, POLICY,
     {'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True}, [('root_key_in_use', None)]),
    ('controller runs with a RAM user key',
     [user('app', key('K1'))], reads(held('web1', 'K1')), {}, POLICY,
     {'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/ram-admin', 'is_root': False}, []),
    ('unreachable host and unreadable file are reported',
     [user('app', key('K1'))],
     reads(held('web1', 'K1'), unreachable=[{'host': 'web9', 'message': 'timed out', 'declared_users': []}],
           unreadable=[{'host': 'web2', 'user_name': 'app', 'format': 'sdk', 'path': '/x', 'message': 'line 3'}]),
     {}, POLICY, None, [('file_unreadable', None), ('host_unreachable', None)]),
]


@pytest.mark.parametrize('users, host_reads, identities, policy, controller, expected',
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_findings(users, host_reads, identities, policy, controller, expected):
    report = build_report(users, host_reads, identities, policy, NOW, controller_identity=controller)
    assert kinds(report) == sorted(expected)
    assert report['summary']['findings'] == len(expected)
    assert report['summary']['unused_keys'] == sum(1 for kind, dummy in expected if kind == 'unused_key')


def test_the_cases_produce_every_kind_of_finding_and_each_kind_has_a_known_severity():
    assert {kind for case in CASES for kind, dummy in case[6]} == set(FINDING_KINDS)
    assert all(severity in SEVERITY_ORDER and title for severity, title in FINDING_KINDS.values())


@pytest.mark.parametrize('last_used', [True, False], ids=['last used', 'never used'])
def test_unused_days_boundary_is_more_than_n_days(last_used):
    """Exactly N days since the last use (or, never used, since creation) is not unused; one second more is."""
    def report_at(seconds_past):
        at = NOW - datetime.timedelta(days=30, seconds=seconds_past)
        stamp = at.strftime('%Y-%m-%dT%H:%M:%SZ')
        row = {'access_key_id': 'K1', 'status': 'Active', 'create_date': ago(40) if last_used else stamp,
               'last_used_date': stamp if last_used else None}
        return build_report([user('app', row)], reads(held('web1', 'K1')), {}, dict(POLICY, unused_days=30), NOW)
    assert kinds(report_at(0)) == []
    assert kinds(report_at(1)) == [('unused_key', 'K1')]


def test_unused_key_message_says_how_last_use_is_known_and_that_it_lags():
    report = build_report([user('app', key('K1', created=80, last_used=31), key('K2', created=95))], reads(held('web1', 'K1')),
                          {}, dict(POLICY, max_age_days=0, unused_days=30), NOW)
    used, never = sorted((f for f in report['findings'] if f['kind'] == 'unused_key'), key=lambda f: f['access_key_id'])
    assert 'Active key K1 of app was last used 31 days ago (%s) (policy: unused for at most 30 days)' % ago(31) in used['message']
    assert 'Active key K2 of app has never been used in the 95 days since it was created' in never['message']
    for finding in (used, never):
        assert "RAM's GetAccessKeyLastUsed" in finding['message'] and "the audit signs no call with an audited user's key" in finding['message']
        assert 'up to about two hours' in finding['message'] and 'used in the last two hours may show an older last use' in finding['message']
        assert finding['severity'] == 'warning' and finding['user_name'] == 'app'
    assert used['hosts'] == ['web1'] and never['hosts'] == []
    # oldest first: K2, then K1
    assert [k['findings'] for k in report['keys']] == [['orphan_key', 'unused_key'], ['unused_key']]


def test_a_last_use_that_was_not_read_is_never_taken_for_never_used():
    row = dict(key('K1', created=400), last_used_read=False)
    report = build_report([user('app', row)], reads(held('web1', 'K1')), {}, dict(POLICY, max_age_days=0), NOW)
    assert kinds(report) == [] and report['keys'][0]['last_used_read'] is False
    row['last_used_read'] = True
    report = build_report([user('app', row)], reads(held('web1', 'K1')), {}, dict(POLICY, max_age_days=0), NOW)
    assert kinds(report) == [('unused_key', 'K1')]


def test_a_policy_without_unused_days_has_no_unused_check():
    report = build_report([user('app', key('K1', created=80, last_used=70))], reads(held('web1', 'K1')), {},
                          {'max_age_days': 90, 'inactive_grace_days': 7}, NOW)
    assert kinds(report) == [] and report['policy']['unused_days'] == 0


@pytest.mark.parametrize('proven, error, says, not_says', [
    (False, 'not identified (STS not asked)', ['was not identified', 'audit_users', 'audit_prove_held_keys=true',
                                               'records a use of the key', 'account root key'], ['could not be read']),
    (True, 'not verified (no secret read)', ['was not verified', 'its secret could not be read'], ['audit_prove_held_keys']),
], ids=['not proven', 'proven'])
def test_a_key_of_no_audited_user_without_identity_says_why_and_how_to_identify_it(proven, error, says, not_says):
    report = build_report([user('app', key('K1', last_used=1))], reads(held('web1', 'K1'), held('web2', 'ODD')), {}, POLICY, NOW,
                          held_keys_proven=proven)
    finding, = report['findings']
    assert (finding['kind'], finding['access_key_id'], finding['hosts']) == ('key_not_verified', 'ODD', ['web2'])
    assert finding['title'] == 'Key of no audited user not identified'
    assert all(text in finding['message'] for text in says), finding['message']
    assert not any(text in finding['message'] for text in not_says), finding['message']
    assert report['other_keys'][0]['error'] == error


def test_grace_zero_reports_any_inactive_key():
    report = build_report([user('app', key('K1', 'Inactive', created=0))], reads(), {},
                          {'max_age_days': 90, 'inactive_grace_days': 0}, NOW + datetime.timedelta(minutes=1))
    assert kinds(report) == [('inactive_past_grace', 'K1')]


def test_orphan_is_unconfirmed_when_a_host_declaring_the_user_was_unreachable():
    report = build_report([user('app', key('K1'))],
                          reads(unreachable=[{'host': 'web9', 'message': 'refused', 'declared_users': ['app']}]), {}, POLICY, NOW)
    orphan = [f for f in report['findings'] if f['kind'] == 'orphan_key'][0]
    assert 'not confirmed' in orphan['message'] and 'web9' in orphan['message']


def test_keys_table_rows_carry_holders_age_and_their_findings():
    report = build_report([user('app', key('K1', created=100, last_used=1), key('K2', 'Inactive', created=20))],
                          reads(held('web1', 'K1'), held('web2', 'K1', path='/other.env')), {}, POLICY, NOW)
    k1, k2 = report['keys']
    assert (k1['access_key_id'], k1['age_days'], k1['hosts'], k1['findings']) == ('K1', 100, ['web1', 'web2'], ['key_too_old'])
    assert [entry['path'] for entry in k1['held_by']] == ['/etc/app.env', '/other.env']
    assert k1['last_used_date'] == ago(1)
    assert (k2['age_days'], k2['hosts'], k2['findings']) == (20, [], ['inactive_past_grace'])
    too_old = [f for f in report['findings'] if f['kind'] == 'key_too_old'][0]
    assert too_old['hosts'] == ['web1', 'web2'] and '100 days old (policy: 90 days)' in too_old['message']


def test_findings_are_most_severe_first_and_summarised():
    report = build_report([user('app', key('K1'), key('K2'))], reads(held('web1', 'ROOT1')),
                          {'ROOT1': {'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True, 'error': None}},
                          POLICY, NOW)
    assert [f['severity'] for f in report['findings']] == ['critical', 'warning', 'warning', 'info']
    assert report['summary']['findings_by_severity'] == {'critical': 1, 'warning': 2, 'info': 1}
    assert report['summary']['findings_by_kind'] == {'orphan_key': 2, 'root_key_in_use': 1, 'user_at_key_limit': 1}
    assert report['other_keys'][0]['identity_type'] == 'Account' and report['other_keys'][0]['hosts'] == ['web1']


def test_unknown_held_key_ids_are_those_no_audited_user_lists():
    users = [user('app', key('K1')), user('db', key('K2'))]
    assert unknown_held_key_ids(users, [held('a', 'K1'), held('b', 'X2'), held('c', 'X1'), held('d', 'X2')]) == ['X1', 'X2']


# ---------------------------------------------------------------- registered results -> records

def test_collect_users_from_a_registered_loop():
    results = [
        {'item': 'app', 'user_name': 'app', 'user_exists': True, 'changed': False,
         'access_keys': [{'access_key_id': 'K1', 'status': 'Active', 'create_date': ago(3), 'age_days': 3,
                          'last_used_date': None, 'unexpected': 'dropped'}]},
        {'item': 'gone', 'user_name': 'gone', 'user_exists': False, 'access_keys': []},
        {'item': 'broken', 'failed': True, 'msg': 'NoPermission', 'error': {'code': 'NoPermission'}},
        {'item': 'skipped', 'skipped': True},
    ]
    assert collect_users(results) == [
        {'user_name': 'app', 'exists': True, 'error': None,
         'access_keys': [{'access_key_id': 'K1', 'status': 'Active', 'create_date': ago(3), 'last_used_date': None,
                          'last_used_read': True}]},
        {'user_name': 'broken', 'exists': False, 'error': 'NoPermission', 'access_keys': []},
        {'user_name': 'gone', 'exists': False, 'error': None, 'access_keys': []},
    ]


def test_collect_users_from_the_users_of_one_batch_invocation():
    users = [
        {'user_name': 'app', 'user_exists': True,
         'access_keys': [{'access_key_id': 'K1', 'status': 'Active', 'create_date': ago(3), 'age_days': 3,
                          'last_used_date': ago(1)}]},
        {'user_name': 'gone', 'user_exists': False, 'access_keys': []},
        {'user_name': 'denied', 'access_keys': [], 'error': {'code': 'NoPermission', 'message': 'ListAccessKeys failed'}},
        {'user_name': 'odd', 'access_keys': [], 'error': {'code': None, 'message': 'connection refused'}},
    ]
    assert collect_users(users) == [
        {'user_name': 'app', 'exists': True, 'error': None,
         'access_keys': [{'access_key_id': 'K1', 'status': 'Active', 'create_date': ago(3), 'last_used_date': ago(1),
                          'last_used_read': True}]},
        {'user_name': 'denied', 'exists': False, 'error': 'NoPermission', 'access_keys': []},
        {'user_name': 'gone', 'exists': False, 'error': None, 'access_keys': []},
        {'user_name': 'odd', 'exists': False, 'error': 'connection refused', 'access_keys': []},
    ]


def test_collect_users_tells_a_last_use_not_read_from_never_used():
    results = [{'user_name': 'app', 'user_exists': True, 'access_keys': [
        {'access_key_id': 'K1', 'status': 'Active', 'create_date': ago(3), 'last_used_date': None},
        {'access_key_id': 'K2', 'status': 'Active', 'create_date': ago(3)}]}]
    assert [(k['access_key_id'], k['last_used_date'], k['last_used_read']) for k in collect_users(results)[0]['access_keys']] == [
        ('K1', None, True), ('K2', None, False)]


def read_item(user_name, key_id=None, path='/etc/app.env', **extra):
    result = {'item': [{'user': user_name, 'files': [{'format': 'env', 'path': path}]}, {'format': 'env', 'path': path}],
              'format': 'env', 'path': path, 'profile': 'default', 'exists': key_id is not None}
    if key_id:
        result['access_key_id'] = key_id
    result.update(extra)
    return result


def test_collect_host_reads_keeps_found_keys_and_reports_what_could_not_be_read():
    host_reads = [
        {'host': 'web1', 'result': {'results': [read_item('app', 'K1', access_key_secret='s3cr3t-never-copied'),
                                                read_item('app', path='/missing.env'),
                                                read_item('db', path='/bad.env', failed=True, msg='/bad.env line 2: bad'),
                                                {'item': [{'user': 'app'}, {'template': 'x.j2'}], 'skipped': True}]}},
        {'host': 'web2', 'result': {'unreachable': True, 'msg': 'ssh: connect refused',
                                    'results': [read_item('app', unreachable=True)]}},
        {'host': 'web3', 'result': {'unreachable': True, 'msg': 'timed out'}},
        {'host': 'web4', 'result': {'results': [read_item('app', unreachable=True, msg='per item')]}},
        {'host': 'idle', 'result': {'skipped': True, 'results': []}},
    ]
    collected = collect_host_reads(host_reads)
    assert collected['held'] == [{'host': 'web1', 'user_name': 'app', 'access_key_id': 'K1', 'format': 'env',
                                  'path': '/etc/app.env', 'profile': 'default'}]
    assert collected['hosts_read'] == ['web1']
    assert collected['unreachable'] == [
        {'host': 'web2', 'message': 'ssh: connect refused', 'declared_users': ['app']},
        {'host': 'web3', 'message': 'timed out', 'declared_users': []},
        {'host': 'web4', 'message': 'per item', 'declared_users': ['app']},
    ]
    assert collected['unreadable'] == [{'host': 'web1', 'user_name': 'db', 'format': 'env', 'path': '/bad.env',
                                        'message': '/bad.env line 2: bad'}]
    assert 's3cr3t' not in json.dumps(collected)


def test_collect_host_reads_accepts_delegated_items():
    item = {'host': 'web9', 'user': 'app', 'file': {'format': 'sdk'}}
    collected = collect_host_reads([{'host': 'web9', 'result': {'results': [
        {'item': item, 'exists': True, 'access_key_id': 'K9', 'path': '/root/.alibabacloud/credentials.ini', 'format': 'sdk'}]}}])
    assert collected['held'][0]['user_name'] == 'app' and collected['held'][0]['format'] == 'sdk'


def test_collect_identities_from_a_loop_over_key_ids():
    results = [
        {'item': 'ROOT1', 'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True,
         'invocation': {'module_args': {'access_key_secret': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'}}},
        {'item': 'U1', 'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/x', 'is_root': False},
        {'item': 'DEAD', 'failed': True, 'msg': 'InvalidAccessKeyId.NotFound: ...', 'error': {'code': 'InvalidAccessKeyId.NotFound'}},
        {'item': 'SKIP', 'skipped': True},
    ]
    assert collect_identities(results) == {
        'ROOT1': {'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True, 'error': None},
        'U1': {'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/x', 'is_root': False, 'error': None},
        'DEAD': {'identity_type': None, 'arn': None, 'is_root': False, 'error': 'InvalidAccessKeyId.NotFound'},
    }


@pytest.mark.parametrize('result, expected', [
    (None, None),
    ({'skipped': True}, None),
    ({'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/a', 'is_root': False},
     {'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/a', 'is_root': False}),
    ({'identity_type': 'Account', 'arn': 'acs:ram::1:root'}, {'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True}),
])
def test_collect_controller_identity(result, expected):
    assert collect_controller_identity(result) == expected
