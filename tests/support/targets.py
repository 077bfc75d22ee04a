# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the integration suite (tests/integration): the targets, their aliases, the emulator context of a run.

Test modules import them from here (a test module's `from conftest import ...` would find whichever conftest.py
pytest loaded last when several suites run together); the fixtures are in tests/integration/conftest.py.
"""

from __future__ import annotations

from tests.support.fixtures import fresh
from tests.support.playbook import REPO_ROOT

TARGETS_DIR = REPO_ROOT / 'tests' / 'integration' / 'targets'
LIVE_CONFIG = REPO_ROOT / 'tests' / 'integration' / 'integration_config.yml'


def target_names():
    return sorted(p.name for p in TARGETS_DIR.iterdir() if (p / 'tasks' / 'main.yml').is_file())


def target_aliases(name):
    path = TARGETS_DIR / name / 'aliases'
    if not path.is_file():
        return set()
    return {line.split('#', 1)[0].strip() for line in path.read_text().splitlines()} - {''}


def run_target(runner, name, extra_vars, env=None, secrets=(), live=False):
    """One target at -vvvv on localhost (local connection), without --diff, as ansible-test runs it.  Against a live
    account the modules keep their default consistency window: the real service's lag is not the emulator's."""
    return runner.run(name, target_play(name, live), extra_vars=extra_vars, env=env, connection='local', diff=False,
                      save_results=False, secrets=secrets)


def emulator_context(emulator, name):
    """Fresh emulator state for one run; returns (env, extra vars) pointing the modules at it."""
    fresh(emulator)
    env = emulator.env_for('admin')
    env['ALIYUN_RAM_TEST_ROOT_ACCESS_KEY_ID'] = emulator.root_env['ALIBABA_CLOUD_ACCESS_KEY_ID']
    env['ALIYUN_RAM_TEST_ROOT_ACCESS_KEY_SECRET'] = emulator.root_env['ALIBABA_CLOUD_ACCESS_KEY_SECRET']
    extra_vars = {
        'aliyun_ram_test_backend': 'emulator',
        'emulator_admin_url': emulator.admin_url,
        # ansible.builtin.uri tasks on emulator_admin_url pass these (the admin API token)
        'emulator_admin_headers': emulator.admin_headers(),
        'emulator_endpoint': 'http://%s' % emulator.endpoint,
        'resource_prefix': 'it-%s' % name.replace('_', '-'),
    }
    return env, extra_vars


# The suite's emulator shows writes 0.2 s late (SUITE_PROPAGATION_DELAY). The targets hold deleted key ids on
# purpose, and each such read waits out the whole consistency window before the id is taken as gone: a window well
# above the delay keeps every wait honest without costing the default 15 s each time.
TARGET_CONSISTENCY_WINDOW = 1.5


def target_play(name, live=False):
    """One target as a role in a generated play on localhost."""
    play = {'name': 'Integration target %s' % name, 'hosts': 'localhost', 'gather_facts': False,
            'roles': [{'role': str(TARGETS_DIR / name)}]}
    if not live:
        play['module_defaults'] = {'group/aliyun.ram.ram': {'consistency_window': TARGET_CONSISTENCY_WINDOW}}
    return [play]
