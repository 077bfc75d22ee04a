# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sts_caller_info through main(): identity fields, root detection and fail_on_root."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.modules import sts_caller_info
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam

AUTH = {'access_key': 'LTAIcaller', 'secret_key': 'caller-secret-value-123'}
# the `run` fixture (conftest.py) passes these to the module
MODULE_ARGS = AUTH


@pytest.fixture
def caller(monkeypatch, run):
    """sts_caller_info's main() against ``fake`` with ``args``: its result."""
    def runner(fake, **args):
        monkeypatch.setattr(_ram_module, 'connect', lambda auth, connection, policy=None: RamApi(fake, policy))
        return run(sts_caller_info, args)[0]
    return runner


def test_ram_user_identity(caller):
    result = caller(FakeRam(), fail_on_root=True)
    assert not result.get('failed') and not result['changed']
    assert result['identity_type'] == 'RAMUser' and result['is_root'] is False
    assert result['arn'] == 'acs:ram::1234567890123456:user/ram-admin' and result['account_id'] == '1234567890123456'


def test_root_identity_is_flagged(caller):
    result = caller(FakeRam(identity_type='Account'))
    assert result['is_root'] is True and not result.get('failed')


def test_fail_on_root(caller):
    result = caller(FakeRam(identity_type='Account'), fail_on_root=True)
    assert result['failed'] and result['is_root'] is True
    assert 'root AccessKey' in result['msg'] and 'RAM user' in result['msg']
