# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the integration targets (tests/integration/targets/<name>/tasks/main.yml) with ansible-playbook.

Against the emulator by default; against a real account when tests/integration/integration_config.yml
exists (see integration_config.yml.sample).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
TARGETS_DIR = HERE / 'targets'
LIVE_CONFIG = HERE / 'integration_config.yml'
sys.path.insert(0, str(REPO_ROOT))

from tests.support.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position


def target_names():
    return sorted(p.name for p in TARGETS_DIR.iterdir() if (p / 'tasks' / 'main.yml').is_file())


def target_aliases(name):
    path = TARGETS_DIR / name / 'aliases'
    if not path.is_file():
        return set()
    return {line.split('#', 1)[0].strip() for line in path.read_text().splitlines()} - {''}


@pytest.fixture(scope='session')
def emulator(tmp_path_factory):
    with Emulator(state_dir=str(tmp_path_factory.mktemp('emulator'))) as emu:
        yield emu


class PlaybookRun:
    def __init__(self, returncode, output, log_path):
        self.returncode = returncode
        self.output = output
        self.log_path = log_path


def emulator_context(emulator, name):
    """Fresh emulator state for one run; returns (env, extra vars) pointing the modules at it."""
    emulator.reset()
    emulator.clear_faults()
    emulator.reset_counters()
    emulator.admin('POST', 'clock', {'offset_seconds': 0})
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


def run_target(name, env, extra_vars, output_dir):
    """Run one target as a role in a generated playbook, at -vvvv, capturing all output."""
    return run_playbook(name, [{
        'name': 'Integration target %s' % name,
        'hosts': 'localhost',
        'gather_facts': False,
        'roles': [{'role': str(TARGETS_DIR / name)}],
    }], env, extra_vars, output_dir)


def run_playbook(name, plays, env, extra_vars, output_dir, inventory='localhost,', prefix=()):
    """Run generated ``plays`` on localhost at -vvvv; the output includes the ansible log.

    ``prefix`` goes before the command, for example ``ip netns exec NAME`` to run it in a network namespace.
    """
    playbook = output_dir / ('%s.yml' % name)
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    log_path = output_dir / ('%s.log' % name)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-vvvv', '-i', inventory, '-c', 'local',
           '-e', '@%s' % write_vars(output_dir / ('%s.vars.yml' % name), extra_vars), str(playbook)]
    cmd = list(prefix) + cmd
    full_env = dict(os.environ)
    full_env.update(env)
    full_env['ANSIBLE_LOG_PATH'] = str(output_dir / ('%s.ansible.log' % name))
    full_env['ANSIBLE_PYTHON_INTERPRETER'] = sys.executable
    proc = subprocess.run(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                          cwd=str(REPO_ROOT), timeout=900)
    output = proc.stdout.decode('utf-8', 'replace')
    log_path.write_text(output)
    ansible_log = output_dir / ('%s.ansible.log' % name)
    if ansible_log.exists():
        output += ansible_log.read_text(errors='replace')
    return PlaybookRun(proc.returncode, output, log_path)


def assert_no_secret_leaked(output, secrets, where):
    leaked = [s for s in secrets if s and s in output]
    assert not leaked, '%d AccessKeySecret(s) issued during the test appear in %s' % (len(leaked), where)


def failure_report(what, run, secrets):
    """The tail of a failed run's output, with every known secret masked (pytest prints it)."""
    tail = run.output[-8000:]
    for secret in secrets:
        if secret:
            tail = tail.replace(secret, '********')
    return '%s failed (rc %s, log %s):\n%s' % (what, run.returncode, run.log_path, tail)


def write_vars(path, data):
    path.write_text(yaml.safe_dump(data))
    return path
