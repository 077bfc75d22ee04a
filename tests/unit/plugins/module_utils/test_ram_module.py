# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import AliyunRamModule, auth_argument_spec

ENV_KEY = {'ALIBABA_CLOUD_ACCESS_KEY_ID': 'LTAIenvironmentkey', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET': 'environment-secret'}


def module_auth(monkeypatch, args, spec=None, env=None):
    for option in auth_argument_spec().values():  # a clean environment: only the variables the test sets
        for name in option.get('fallback', (None, []))[1]:
            monkeypatch.delenv(name, raising=False)
    for name, value in (ENV_KEY if env is None else env).items():
        monkeypatch.setenv(name, value)
    with patch_module_args(args):
        module = AliyunRamModule(spec or {}, supports_check_mode=True)
    return module.auth()


@pytest.mark.parametrize('option, aliases, no_log, env', [
    ('access_key', ['alicloud_access_key'], False,
     ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALICLOUD_ACCESS_KEY', 'ALICLOUD_ACCESS_KEY_ID']),
    ('secret_key', ['alicloud_secret_key'], True, ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY']),
    ('security_token', ['alicloud_security_token'], True, ['ALIBABA_CLOUD_SECURITY_TOKEN', 'ALICLOUD_SECURITY_TOKEN']),
])
def test_caller_credential_options(option, aliases, no_log, env):
    spec = auth_argument_spec()[option]
    assert (spec['aliases'], spec['no_log'], spec['fallback'][1]) == (aliases, no_log, env)


def test_no_caller_option_is_named_like_a_managed_key():
    names = set()
    for name, spec in auth_argument_spec().items():
        names.update([name] + list(spec.get('aliases', [])))
    assert not names & {'access_key_id', 'access_key_secret', 'id'}


@pytest.mark.parametrize('args', [
    {'access_key': 'LTAItaskkey', 'secret_key': 'task-secret', 'security_token': 'task-token'},
    {'alicloud_access_key': 'LTAItaskkey', 'alicloud_secret_key': 'task-secret', 'alicloud_security_token': 'task-token'},
])
def test_caller_key_by_option_or_alias(monkeypatch, args):
    auth = module_auth(monkeypatch, args)
    assert (auth.access_key_id, auth.access_key_secret, auth.security_token) == ('LTAItaskkey', 'task-secret', 'task-token')


@pytest.mark.parametrize('env', [
    {'ALIBABA_CLOUD_ACCESS_KEY_ID': 'LTAIenvkey', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET': 'env-secret',
     'ALIBABA_CLOUD_SECURITY_TOKEN': 'env-token'},
    {'ALICLOUD_ACCESS_KEY': 'LTAIenvkey', 'ALICLOUD_SECRET_KEY': 'env-secret', 'ALICLOUD_SECURITY_TOKEN': 'env-token'},
    {'ALICLOUD_ACCESS_KEY_ID': 'LTAIenvkey', 'ALICLOUD_SECRET_KEY': 'env-secret', 'ALICLOUD_SECURITY_TOKEN': 'env-token'},
])
def test_caller_key_from_each_environment_variable(monkeypatch, env):
    auth = module_auth(monkeypatch, {}, env=env)
    assert (auth.access_key_id, auth.access_key_secret, auth.security_token) == ('LTAIenvkey', 'env-secret', 'env-token')


def test_environment_key_is_used_when_nothing_else_is_asked_for(monkeypatch):
    auth = module_auth(monkeypatch, {})
    assert (auth.access_key_id, auth.access_key_secret) == ('LTAIenvironmentkey', 'environment-secret')


@pytest.mark.parametrize('option, value', [('profile', 'prod'), ('ecs_role_name', 'ops-role')])
def test_an_explicit_profile_or_ecs_role_beats_an_environment_key(monkeypatch, option, value):
    auth = module_auth(monkeypatch, {option: value})
    assert auth.access_key_id is None and auth.access_key_secret is None
    assert getattr(auth, option) == value


@pytest.mark.parametrize('key_args', [
    {'access_key': 'LTAItaskkey', 'secret_key': 'task-secret'},
    {'alicloud_access_key': 'LTAItaskkey', 'alicloud_secret_key': 'task-secret'},
])
def test_an_explicit_key_still_wins_over_an_explicit_profile(monkeypatch, key_args):
    auth = module_auth(monkeypatch, dict(key_args, profile='prod'))
    assert (auth.access_key_id, auth.access_key_secret) == ('LTAItaskkey', 'task-secret')


@pytest.mark.parametrize('variable, option', [('ALIBABA_CLOUD_PROFILE', 'profile'),
                                              ('ALIBABA_CLOUD_ECS_METADATA', 'ecs_role_name'),
                                              ('ALICLOUD_ECS_ROLE_NAME', 'ecs_role_name')])
def test_an_environment_profile_or_ecs_role_does_not_beat_an_environment_key(monkeypatch, variable, option):
    auth = module_auth(monkeypatch, {}, env=dict(ENV_KEY, **{variable: 'from-env'}))
    assert getattr(auth, option) == 'from-env'
    assert auth.access_key_id == 'LTAIenvironmentkey'
    assert auth.source_kind() == 'static'


def test_ecs_role_name_falls_back_to_the_sdk_variable():
    assert auth_argument_spec()['ecs_role_name']['fallback'][1] == ['ALIBABA_CLOUD_ECS_METADATA', 'ALICLOUD_ECS_ROLE_NAME']


AWX_EMPTY = dict.fromkeys(['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN',
                           'ALIBABA_CLOUD_ROLE_ARN', 'ALIBABA_CLOUD_ROLE_SESSION_NAME', 'ALIBABA_CLOUD_ECS_METADATA'], '')


def test_ecs_role_from_the_environment_alone_is_used(monkeypatch):
    """What the AWX credential injects for an instance role: every other variable empty."""
    auth = module_auth(monkeypatch, {}, env=dict(AWX_EMPTY, ALIBABA_CLOUD_ECS_METADATA='ops-role'))
    auth.validate()
    assert auth.source_kind() == 'ecs_role' and auth.ecs_role_name == 'ops-role'
    assert auth.access_key_id is None and auth.assume_role_arn is None


def test_empty_environment_values_are_not_set(monkeypatch):
    auth = module_auth(monkeypatch, {}, env=dict(AWX_EMPTY, **ENV_KEY))
    auth.validate()
    assert auth.source_kind() == 'static' and auth.ecs_role_name is None
    assert auth.role_session_name == 'ansible-aliyun-ram'


def test_empty_ecs_role_in_the_task_does_not_drop_the_environment_key(monkeypatch):
    auth = module_auth(monkeypatch, {'ecs_role_name': ''})
    assert auth.source_kind() == 'static' and auth.access_key_id == 'LTAIenvironmentkey'


@pytest.mark.parametrize('variable', ['ALIBABA_CLOUD_ROLE_SESSION_NAME', 'ALICLOUD_ASSUME_ROLE_SESSION_NAME'])
def test_role_session_name_from_the_environment(monkeypatch, variable):
    auth = module_auth(monkeypatch, {}, env=dict(ENV_KEY, ALIBABA_CLOUD_ROLE_ARN='acs:ram::1234567890123456:role/ops',
                                                 **{variable: 'awx-job-42'}))
    auth.validate()
    assert (auth.assume_role_arn, auth.role_session_name) == ('acs:ram::1234567890123456:role/ops', 'awx-job-42')


def test_a_module_option_named_like_a_key_is_not_the_caller_key(monkeypatch):
    # e.g. the managed key of ram_access_key (id) or the key credential_file writes (access_key_id)
    auth = module_auth(monkeypatch, {'profile': 'prod', 'access_key_id': 'LTAIheldkey', 'id': 'LTAIheldkey'},
                       spec={'access_key_id': dict(type='str'), 'id': dict(type='str')})
    assert auth.access_key_id is None and auth.profile == 'prod'
