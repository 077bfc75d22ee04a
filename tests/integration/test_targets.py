# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each integration target: check mode, real run, idempotent re-run and error paths, through ansible-playbook.

Every secret the emulator ever issued (created keys, STS keys and tokens, the root and admin keys, its admin token)
must be absent from the -vvvv output, the ansible log and the files a run leaves (the runner's scan).
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.support.targets import LIVE_CONFIG, emulator_context, run_target, target_aliases, target_names


# At -vvvv Ansible names the file of every module it runs as a module (an AnsiballZ payload).
RAN_AS_MODULE = re.compile(r'Using module file \S*/plugins/modules/((?:ram|sts)_\w+)\.py')
# The RAM/STS modules run inside Ansible's worker process when their task runs on the controller
# (plugin_utils/_in_process.py), and as modules otherwise: these targets also run with that turned off (and -vvvv
# says so for each task).
MODULE_PATH_TARGETS = ('ram_user', 'ram_access_key', 'ram_errors')


@pytest.mark.parametrize('name', target_names())
def test_target_against_emulator(name, emulator, runner):
    env, extra_vars = emulator_context(emulator, name)
    run = run_target(runner, name, extra_vars, env)
    assert run.returncode == 0, runner.failure_text(run, 8000)
    # Only where the task needs its own process (its environment sets HOME, for example), and Ansible says why.
    assert len(RAN_AS_MODULE.findall(run.output)) == run.output.count(' runs as a module: ')


@pytest.mark.parametrize('name', MODULE_PATH_TARGETS)
def test_target_with_the_modules_run_as_modules(name, emulator, runner):
    env, extra_vars = emulator_context(emulator, name)
    extra_vars['aliyun_ram_in_process'] = False
    run = run_target(runner, name, extra_vars, env)
    assert run.returncode == 0, runner.failure_text(run, 8000)
    assert RAN_AS_MODULE.findall(run.output) and ' runs as a module: aliyun_ram_in_process is false' in run.output


@pytest.mark.parametrize('name', target_names())
def test_target_against_live_account(name, runner):
    if not LIVE_CONFIG.is_file():
        pytest.skip('live account: no %s (copy the .sample and fill in a RAM user key)' % LIVE_CONFIG.name)
    if 'emulator_only' in target_aliases(name):
        pytest.skip('target %s needs the emulator (fault injection or counters)' % name)
    config = yaml.safe_load(LIVE_CONFIG.read_text()) or {}
    runner.emulator = None
    runner.guard.add(config['access_key_secret'])
    env = {
        'ALIBABA_CLOUD_ACCESS_KEY_ID': config['access_key_id'],
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET': config['access_key_secret'],
    }
    extra_vars = {
        'aliyun_ram_test_backend': 'live',
        'resource_prefix': '%s-%s' % (config.get('resource_prefix', 'ansible-it'), name.replace('_', '-')),
    }
    run = run_target(runner, name, extra_vars, env, secrets=[config['access_key_secret']], live=True)
    assert run.returncode == 0, runner.failure_text(run, 8000)
