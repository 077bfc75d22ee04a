# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The RAM modules end to end through main(), with the client factory patched to a fake RAM."""

from __future__ import annotations


import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
from ansible_collections.aliyun.ram.plugins.modules import ram_access_key, ram_access_key_info, ram_user, ram_user_info
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    Sleeper,
    api_error,
    read_timeout,
    throttled,
)

AUTH = {'access_key': 'LTAIcaller', 'secret_key': 'caller-secret-value-123'}
# the `run` fixture (conftest.py) passes these to every module unless defaults=False
MODULE_ARGS = AUTH


@pytest.fixture
def ram(monkeypatch):
    fake = FakeRam()
    connections = []

    def fake_connect(auth, connection, policy=None):
        connections.append((auth, connection, policy))
        return RamApi(fake, RetryPolicy(max_retries=policy.max_retries, sleep=Sleeper()), secrets=auth.secrets())

    monkeypatch.setattr(_ram_module, 'connect', fake_connect)
    fake.connections = connections
    return fake


def test_ram_user_create_then_idempotent(run, ram):
    args = {'name': 'alice', 'display_name': 'Alice', 'policies': ['System:AliyunOSSReadOnlyAccess'], 'groups': ['dev']}
    checked, dummy = run(ram_user, args, check=True, diff=True)
    assert checked['changed'] and checked['diff']['before'] == {'state': 'absent'} and ram.writes() == []
    first, dummy = run(ram_user, args)
    assert first['changed'] and first['user']['user_name'] == 'alice' and first['retries'] == 0
    assert 'diff' not in first
    second, dummy = run(ram_user, args)
    assert not second['changed']
    assert ram.writes() == ['CreateUser', 'AttachPolicyToUser', 'AddUserToGroup']


def test_ram_user_alias_and_absent(run, ram):
    ram.add_user('bob')
    ram.add_key('bob', 'K1')
    result, dummy = run(ram_user, {'user_name': 'bob', 'state': 'absent', 'force': True})
    assert result['changed'] and result['deleted_access_key_ids'] == ['K1'] and 'bob' not in ram.users


def test_ram_user_bad_input_fails_before_any_call(run, ram):
    result, dummy = run(ram_user, {'name': 'alice@corp'})
    assert result['failed'] and 'name must be 1-64' in result['msg']
    assert ram.calls == [] and ram.connections == []


def test_half_given_key_pair_fails_before_any_call(run, ram):
    result, out = run(ram_user, {'name': 'alice', 'secret_key': 'lonely-secret-value'}, defaults=False)
    assert result['failed'] and 'secret_key is set but access_key is not' in result['msg']
    assert ram.calls == [] and 'lonely-secret-value' not in out


def test_env_fallbacks_feed_the_auth(run, ram, monkeypatch):
    monkeypatch.setenv('ALICLOUD_ACCESS_KEY', 'LTAIfromenv')
    monkeypatch.setenv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'env-secret-value-1')
    monkeypatch.setenv('ALIBABA_CLOUD_RAM_ENDPOINT', '127.0.0.1:9999')
    run(ram_user_info, {}, defaults=False)
    auth, connection, policy = ram.connections[0]
    assert (auth.access_key_id, auth.access_key_secret) == ('LTAIfromenv', 'env-secret-value-1')
    assert connection.endpoints['ram'] == ('127.0.0.1:9999', 'http')
    assert policy.max_retries == 5 and connection.timeout_ms == 10000


def test_api_failure_reports_code_status_request_id_without_secret(run, ram):
    ram.fail('GetUser', lambda: api_error('NoPermission', 'denied for caller-secret-value-123'))
    result, out = run(ram_user, {'name': 'alice'})
    assert result['failed']
    assert result['error'] == {'code': 'NoPermission', 'status': 400, 'request_id': 'REQ-1', 'action': 'GetUser'}
    assert 'AliyunRAMReadOnlyAccess' in result['msg']
    assert 'caller-secret-value-123' not in out
    assert 'exception' not in result


def test_retries_are_returned(run, ram):
    ram.fail('GetUser', throttled, count=2)
    result, dummy = run(ram_user, {'name': 'alice'})
    assert result['changed'] and result['retries'] == 2


def test_user_info(run, ram):
    ram.add_user('app-1')
    ram.add_user('db-1')
    ram.add_key('app-1', 'K1')
    result, dummy = run(ram_user_info, {'name_prefix': 'app-', 'include': ['access_keys']}, check=True)
    assert not result['changed'] and [u['user_name'] for u in result['users']] == ['app-1']
    assert result['users'][0]['access_keys'][0]['access_key_id'] == 'K1'
    missing, dummy = run(ram_user_info, {'name': 'nobody'})
    assert missing['users'] == [] and not missing.get('failed')


def test_access_key_secret_only_on_creation(run, ram):
    ram.add_user('alice')
    first, out = run(ram_access_key, {'user_name': 'alice'})
    key_id = first['access_key']['access_key_id']
    assert first['created'] and first['access_key']['access_key_secret'] == 'secret-of-' + key_id
    assert 'secret-of-' + key_id in out          # returned as is: the task must set no_log
    second, out = run(ram_access_key, {'user_name': 'alice', 'id': key_id})
    assert not second['changed'] and 'access_key_secret' not in second['access_key']
    third, out = run(ram_access_key, {'user_name': 'alice'})
    assert not third['changed'] and third['access_key']['access_key_id'] == key_id
    assert ram.writes() == ['CreateAccessKey']


@pytest.mark.parametrize('caller', [
    {'access_key': 'LTAIcaller', 'secret_key': 'caller-secret-value-123'},
    {'alicloud_access_key': 'LTAIcaller', 'alicloud_secret_key': 'caller-secret-value-123'},
])
def test_access_key_takes_the_caller_key_by_the_same_names_as_every_module(run, ram, caller):
    # the caller's key (as set for the whole group in module_defaults) never names the managed key
    ram.add_user('alice')
    ram.add_key('alice', 'HELD')
    result, dummy = run(ram_access_key, dict(caller, user_name='alice', id='HELD'), defaults=False)
    assert not result['changed'] and result['access_key']['access_key_id'] == 'HELD'
    assert ram.connections[0][0].access_key_id == 'LTAIcaller' and ram.writes() == []


def test_access_key_check_mode(run, ram):
    ram.add_user('alice')
    result, dummy = run(ram_access_key, {'user_name': 'alice'}, check=True)
    assert result['changed'] and result['access_key']['access_key_id'] is None
    assert 'access_key_secret' not in result['access_key'] and ram.writes() == []


def test_access_key_limit_failure_lists_keys(run, ram):
    ram.add_user('alice')
    ram.add_key('alice', 'A')
    ram.add_key('alice', 'B')
    result, dummy = run(ram_access_key, {'user_name': 'alice', 'id': 'GONE'})
    assert result['failed'] and 'on_limit=fail' in result['msg']
    assert [k['access_key_id'] for k in result['access_keys']] == ['A', 'B']


def test_access_key_lost_response(run, ram):
    ram.add_user('alice')
    ram.fail('CreateAccessKey', read_timeout, after=True)
    result, dummy = run(ram_access_key, {'user_name': 'alice'})
    assert ram.key_ids('alice') == [result['access_key']['access_key_id']]
    assert len(result['deleted_access_key_ids']) == 1 and result['retries'] == 1


def test_access_key_absent_requires_id(run, ram):
    result, dummy = run(ram_access_key, {'user_name': 'alice', 'state': 'absent'})
    assert result['failed'] and 'missing: id' in result['msg'] and ram.calls == []


def test_access_key_info(run, ram):
    ram.add_user('alice')
    ram.add_key('alice', 'K1')
    ram.last_used['K1'] = '2026-05-01T00:00:00Z'
    result, out = run(ram_access_key_info, {'user_name': 'alice', 'include_last_used': True})
    assert result['user_exists'] and result['access_keys'][0]['last_used_date'] == '2026-05-01T00:00:00Z'
    assert isinstance(result['access_keys'][0]['age_days'], int)
    assert 'secret-of-K1' not in out
    missing, dummy = run(ram_access_key_info, {'user_name': 'nobody'})
    assert missing['access_keys'] == [] and missing['user_exists'] is False


def test_user_info_name_prefix_is_validated_before_any_call(run, ram):
    result, dummy = run(ram_user_info, {'name_prefix': 'app@'})
    assert result['failed'] and 'name_prefix must be' in result['msg']
    assert ram.calls == [] and ram.connections == []


def test_a_trailing_newline_in_a_name_fails_before_any_call(run, ram):
    result, dummy = run(ram_user, {'name': 'alice\n'})
    assert result['failed'] and result['msg'] == 'option name must not contain control characters (found \\n at position 5)'
    assert ram.calls == [] and ram.connections == []
