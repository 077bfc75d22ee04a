# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each integration target: check mode, real run, idempotent re-run and error paths, through ansible-playbook."""

from __future__ import annotations

import pytest
import yaml

from conftest import (  # pylint: disable=import-error
    LIVE_CONFIG,
    assert_no_secret_leaked,
    emulator_context,
    failure_report,
    run_target,
    target_aliases,
    target_names,
)


@pytest.mark.parametrize('name', target_names())
def test_target_against_emulator(name, emulator, tmp_path):
    env, extra_vars = emulator_context(emulator, name)
    run = run_target(name, env, extra_vars, tmp_path)
    # Every secret the emulator ever issued (created keys, STS keys, the root and admin keys) must be absent
    # from the -vvvv output and from the ansible log.
    secrets = emulator.secrets()
    assert run.returncode == 0, failure_report('target %s' % name, run, secrets)
    assert_no_secret_leaked(run.output, secrets, 'the -vvvv output of target %s' % name)


@pytest.mark.parametrize('name', target_names())
def test_target_against_live_account(name, tmp_path):
    if not LIVE_CONFIG.is_file():
        pytest.skip('live account: no %s (copy the .sample and fill in a RAM user key)' % LIVE_CONFIG.name)
    if 'emulator_only' in target_aliases(name):
        pytest.skip('target %s needs the emulator (fault injection or counters)' % name)
    config = yaml.safe_load(LIVE_CONFIG.read_text()) or {}
    env = {
        'ALIBABA_CLOUD_ACCESS_KEY_ID': config['access_key_id'],
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET': config['access_key_secret'],
    }
    extra_vars = {
        'aliyun_ram_test_backend': 'live',
        'resource_prefix': '%s-%s' % (config.get('resource_prefix', 'ansible-it'), name.replace('_', '-')),
    }
    run = run_target(name, env, extra_vars, tmp_path)
    assert run.returncode == 0, failure_report('target %s (live account)' % name, run, [config['access_key_secret']])
    assert_no_secret_leaked(run.output, [config['access_key_secret']], 'the -vvvv output of target %s' % name)
