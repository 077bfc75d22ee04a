# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_report through main(): registered results in, findings and report files out; check mode writes nothing."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.aliyun.ram.plugins.modules import audit_report

NOW = '2026-05-01T12:00:00Z'
USERS = [
    {'item': 'app', 'user_name': 'app', 'user_exists': True,
     'access_keys': [{'access_key_id': 'K1', 'status': 'Active', 'create_date': '2026-04-20T00:00:00Z', 'age_days': 11,
                      'last_used_date': '2026-04-30T00:00:00Z'}]},
    {'item': 'spare', 'user_name': 'spare', 'user_exists': True,
     'access_keys': [{'access_key_id': 'K2', 'status': 'Active', 'create_date': '2025-01-01T00:00:00Z', 'age_days': 485,
                      'last_used_date': None}]},
]
HOST_READS = [
    {'host': 'web1', 'result': {'results': [
        {'item': [{'user': 'app', 'files': []}, {'format': 'env', 'path': '/etc/app.env'}], 'exists': True,
         'access_key_id': 'K1', 'path': '/etc/app.env', 'format': 'env', 'profile': 'default'},
        {'item': [{'user': 'app', 'files': []}, {'format': 'sdk'}], 'exists': True, 'access_key_id': 'ROOTK',
         'path': '/root/.alibabacloud/credentials.ini', 'format': 'sdk', 'profile': 'default'}]}},
]
IDENTITIES = [{'item': 'ROOTK', 'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'is_root': True}]


# the `run` fixture (conftest.py) passes these to the module unless a test gives its own
MODULE_ARGS = {'users': USERS, 'now': NOW}


@pytest.fixture
def report(run):
    """audit_report's main() with ``args`` (in check mode with check_mode=True): its result."""
    def runner(check_mode=False, **args):
        return run(audit_report, args, check=check_mode)[0]
    return runner


def test_without_output_dir_it_reports_the_unknown_key_ids_and_writes_nothing(report):
    result = report(host_reads=HOST_READS)
    assert not result['changed'] and 'paths' not in result
    assert result['unknown_key_ids'] == ['ROOTK']
    # K2: created 2025-01-01, never used, so unused for more than the default 90 days
    assert {f['kind'] for f in result['findings']} == {'orphan_key', 'key_too_old', 'unused_key', 'key_not_verified'}
    assert result['summary']['unused_keys'] == 1 and result['report']['policy']['unused_days'] == 90
    not_identified, = [f for f in result['findings'] if f['kind'] == 'key_not_verified']
    assert 'was not identified' in not_identified['message'] and 'audit_prove_held_keys=true' in not_identified['message']


@pytest.mark.parametrize('unused_days, unused', [(0, []), (486, []), (485, ['K2']), (2, ['K2']), (1, ['K1', 'K2'])])
def test_unused_days_sets_how_long_an_active_key_may_go_unused(report, unused_days, unused):
    # K1: last used 2026-04-30T00:00Z, 1.5 days before NOW; K2: never used, created 485.5 days before NOW
    result = report(unused_days=unused_days, max_age_days=0)
    assert sorted(f['access_key_id'] for f in result['findings'] if f['kind'] == 'unused_key') == unused
    assert result['report']['policy']['unused_days'] == unused_days


def test_users_without_last_use_are_never_reported_unused(report):
    users = [dict(USERS[1], access_keys=[{k: v for k, v in USERS[1]['access_keys'][0].items() if k != 'last_used_date'}])]
    result = report(users=users, max_age_days=0)
    assert result['findings'][0]['kind'] == 'orphan_key' and len(result['findings']) == 1
    assert result['report']['keys'][0]['last_used_read'] is False


def test_held_keys_proven_says_a_key_without_identity_could_not_be_verified(report):
    result = report(host_reads=HOST_READS, held_keys_proven=True)
    finding, = [f for f in result['findings'] if f['kind'] == 'key_not_verified']
    assert 'its secret could not be read' in finding['message'] and 'audit_prove_held_keys' not in finding['message']


def test_writes_the_three_reports_0600_then_changes_nothing(report, tmp_path):
    out = tmp_path / 'reports'
    args = dict(host_reads=HOST_READS, identities=IDENTITIES, output_dir=str(out),
                controller_identity={'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/ram-admin', 'is_root': False})
    result = report(**args)
    assert result['changed']
    assert result['paths'] == {'markdown': str(out / 'audit.md'), 'html': str(out / 'audit.html'), 'json': str(out / 'audit.json')}
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    for path in result['paths'].values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads((out / 'audit.json').read_text())
    assert doc == result['report']
    assert sorted((f['kind'], f['access_key_id']) for f in doc['findings']) == [
        ('key_too_old', 'K2'), ('orphan_key', 'K2'), ('root_key_in_use', 'ROOTK'), ('unused_key', 'K2')]
    assert [k['hosts'] for k in doc['keys']] == [['web1'], []]
    assert sorted(os.listdir(out)) == ['audit.html', 'audit.json', 'audit.md'], 'no temporary file left'
    assert not report(**args)['changed'], 'same inputs and time: same files'


def test_check_mode_predicts_the_change_and_writes_nothing(report, tmp_path):
    out = tmp_path / 'reports'
    result = report(check_mode=True, output_dir=str(out), formats=['json'])
    assert result['changed'] and result['paths'] == {'json': str(out / 'audit.json')}
    assert not out.exists()


@pytest.mark.parametrize('args, message', [
    ({'max_age_days': -1}, 'must be 0 or more'),
    ({'unused_days': -1}, 'unused_days must be 0 or more'),
    ({'now': 'yesterday'}, 'YYYY-MM-DDThh:mm:ssZ'),
])
def test_bad_input_is_refused(report, args, message):
    result = report(**args)
    assert result['failed'] and message in result['msg']


def test_output_dir_that_is_a_file_is_refused(report, tmp_path):
    target = tmp_path / 'file'
    target.write_text('x')
    result = report(output_dir=str(target))
    assert result['failed'] and 'not a directory' in result['msg']
