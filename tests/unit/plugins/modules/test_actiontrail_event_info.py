# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""actiontrail_event_info through main() (as a module and in the worker process), on a fake ActionTrail."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
from ansible_collections.aliyun.ram.plugins.modules import actiontrail_event_info
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam, Sleeper, api_error

MODULE_ARGS = {'access_key': 'LTAIcaller', 'secret_key': 'caller-secret-value-123'}


def ago(**delta):
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(**delta)).strftime('%Y-%m-%dT%H:%M:%SZ')


@pytest.fixture
def trail(monkeypatch):
    fake = FakeRam()
    fake.connections = []

    def fake_connect(auth, connection, policy=None):
        fake.connections.append(connection)
        return RamApi(fake, RetryPolicy(max_retries=policy.max_retries, sleep=Sleeper()), secrets=auth.secrets())

    monkeypatch.setattr(_ram_module, 'connect', fake_connect)
    return fake


def test_events_of_the_given_keys(run, trail):
    trail.add_event('K1', ago(hours=1), source_ip='203.0.113.7')
    trail.add_event('K2', ago(hours=2), identity_type='root-account', user_name='root')
    trail.add_event('K3', ago(hours=3))
    result, out = run(actiontrail_event_info, {'access_key_ids': ['K1', 'K2'], 'since_hours': 24}, check=True)
    assert not result['changed'] and not result.get('failed')
    assert [(e['access_key_id'], e['source_ip']) for e in result['events']] == [('K1', '203.0.113.7'), ('K2', '127.0.0.1')]
    assert result['events_by_access_key_id']['K2'][0]['user_identity']['type'] == 'root-account'
    assert result['retries'] == 0 and 'caller-secret-value-123' not in out


def test_the_actiontrail_endpoint_comes_from_its_environment_variable(run, trail, monkeypatch):
    monkeypatch.setenv('ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT', 'http://127.0.0.1:7777')
    run(actiontrail_event_info, {})
    assert trail.connections[0].endpoints['actiontrail'] == ('127.0.0.1:7777', 'http')


def test_options_are_checked_before_any_call(run, trail):
    result, dummy = run(actiontrail_event_info, {'since_hours': 1, 'start_time': ago(hours=2)})
    assert result['failed'] and 'mutually exclusive' in result['msg'] and trail.calls == []
    result, dummy = run(actiontrail_event_info, {'start_time': 'last week'})
    assert result['failed'] and 'start_time must be an ISO 8601 time' in result['msg'] and trail.calls == []


def test_no_permission_names_the_actiontrail_policy(run, trail):
    trail.fail('LookupEvents', lambda: api_error('NoPermission', 'You are not authorized'))
    result, dummy = run(actiontrail_event_info, {'access_key_ids': ['K1']})
    assert result['failed'] and result['error']['action'] == 'LookupEvents'
    assert 'AliyunActionTrailReadOnlyAccess' in result['msg']
