# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import AliyunRamModule

ENV_KEY = {'ALIBABA_CLOUD_ACCESS_KEY_ID': 'LTAIenvironmentkey', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET': 'environment-secret'}


def module_auth(monkeypatch, args, key_id_option='access_key_id', spec=None):
    for name, value in ENV_KEY.items():
        monkeypatch.setenv(name, value)
    with patch_module_args(args):
        module = AliyunRamModule(spec or {}, key_id_option=key_id_option, supports_check_mode=True)
    return module.auth()


def test_environment_key_is_used_when_nothing_else_is_asked_for(monkeypatch):
    auth = module_auth(monkeypatch, {})
    assert (auth.access_key_id, auth.access_key_secret) == ('LTAIenvironmentkey', 'environment-secret')


@pytest.mark.parametrize('option, value', [('profile', 'prod'), ('ecs_role_name', 'ops-role')])
def test_an_explicit_profile_or_ecs_role_beats_an_environment_key(monkeypatch, option, value):
    auth = module_auth(monkeypatch, {option: value})
    assert auth.access_key_id is None and auth.access_key_secret is None
    assert getattr(auth, option) == value


def test_an_explicit_key_still_wins_over_an_explicit_profile(monkeypatch):
    auth = module_auth(monkeypatch, {'profile': 'prod', 'alicloud_access_key': 'LTAItaskkey', 'access_key_secret': 'task-secret'})
    assert (auth.access_key_id, auth.access_key_secret) == ('LTAItaskkey', 'task-secret')


def test_an_environment_profile_does_not_beat_an_environment_key(monkeypatch):
    monkeypatch.setenv('ALIBABA_CLOUD_PROFILE', 'prod')
    auth = module_auth(monkeypatch, {})
    assert auth.access_key_id == 'LTAIenvironmentkey'


def test_renamed_key_option_of_ram_access_key(monkeypatch):
    auth = module_auth(monkeypatch, {'profile': 'prod', 'access_key_id': 'LTAIheldkey'}, key_id_option='alicloud_access_key',
                       spec={'access_key_id': dict(type='str')})
    assert auth.access_key_id is None and auth.profile == 'prod'
