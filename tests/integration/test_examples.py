# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of every controller-side module run as written against the emulator.

Each module's examples become one play, after a play that creates what they refer to (users, keys
registered under the names the examples use, keys aged with the emulator clock so that the rotation
and age branches run).  Every example task must run (none skipped), pass, and leak no secret.
The controller user's home holds a ``ram-admin`` profile (the examples' module_defaults name it) with
the same key as the environment.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from ansible.parsing.plugin_docs import read_docstring

from conftest import (  # pylint: disable=import-error
    REPO_ROOT,
    assert_no_secret_leaked,
    emulator_context,
    failure_report,
    run_playbook,
)

MODULES_DIR = REPO_ROOT / 'plugins' / 'modules'
# Host-side modules have their own tests (they write files on the managed host, no API).
HOST_SIDE_PREFIXES = ('credential_file',)
EXAMPLES_PLAY = 'EXAMPLES of aliyun.ram.%s'


def controller_modules():
    return sorted(p.stem for p in MODULES_DIR.glob('*.py')
                  if not p.stem.startswith('_') and not p.stem.startswith(HOST_SIDE_PREFIXES))


def module_examples(name):
    doc = read_docstring(str(MODULES_DIR / ('%s.py' % name)), ignore_errors=False)
    tasks = yaml.safe_load(doc['plainexamples'] or '') or []
    assert tasks, 'aliyun.ram.%s has no EXAMPLES' % name
    return tasks


def _user(name):
    return {'name': 'Prerequisite: user %s' % name, 'aliyun.ram.ram_user': {'name': name}}


def _set_clock(offset_seconds):
    return {'name': 'Prerequisite: emulator clock offset %d s' % offset_seconds,
            'ansible.builtin.uri': {'url': '{{ emulator_admin_url }}/clock', 'method': 'POST', 'body_format': 'json',
                                    'body': {'offset_seconds': offset_seconds}}}


def _old_key(user, register):
    """A key created 100 days ago (older than the examples' 90 days)."""
    return [
        _set_clock(-100 * 86400),
        {'name': 'Prerequisite: old key of %s' % user, 'aliyun.ram.ram_access_key': {'user_name': user},
         'no_log': True, 'register': register},
        _set_clock(0),
    ]


# What each module's examples refer to.
PREREQUISITES = {
    # the examples create backup-job and alice themselves, then delete backup-job
    'ram_user': [],
    'ram_user_info': [_user('backup-job'), _user('app-web')] + _old_key('app-web', 'app_web_key'),
    'ram_access_key': [_user('backup-job')] + _old_key('backup-job', 'deployed_key') + [
        {'name': 'Prerequisite: the examples hold the old key and retire it after the rotation',
         'ansible.builtin.set_fact': {
             'deployed_access_key_id': '{{ deployed_key.access_key.access_key_id }}',
             'retired_access_key_id': '{{ deployed_key.access_key.access_key_id }}'}},
    ],
    'ram_access_key_info': [_user('backup-job')] + _old_key('backup-job', 'backup_job_key'),
    'ram_access_keys': [_user('app-web'), _user('app-worker'),
                        {'name': 'Prerequisite: the key a host holds for app-web', 'aliyun.ram.ram_access_key': {'user_name': 'app-web'},
                         'no_log': True, 'register': 'app_web_key'},
                        {'name': 'Prerequisite: what the examples read from the hosts', 'no_log': True,
                         'ansible.builtin.set_fact': {'keys_read_from_hosts': [
                             {'user_name': 'app-web', 'access_key_id': '{{ app_web_key.access_key.access_key_id }}',
                              'access_key_secret': '{{ app_web_key.access_key.access_key_secret }}', 'host': 'web1'}]}}],
    # the examples create, update and delete their users themselves
    'ram_users': [],
    'sts_caller_info': [
        _user('backup-job'),
        {'name': 'Prerequisite: the new key the example verifies', 'aliyun.ram.ram_access_key': {'user_name': 'backup-job'},
         'no_log': True, 'register': 'new_key'},
    ],
}


def test_every_controller_module_has_prerequisites():
    assert sorted(PREREQUISITES) == controller_modules()


def controller_home(tmp_path, env):
    """A home directory whose SDK credentials file has the ``ram-admin`` profile (mode 0600)."""
    config_dir = tmp_path / 'home' / '.alibabacloud'
    config_dir.mkdir(parents=True, mode=0o700)
    path = config_dir / 'credentials.ini'
    descriptor = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, 'w') as handle:
        handle.write('[ram-admin]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n' % (
            env['ALIBABA_CLOUD_ACCESS_KEY_ID'], env['ALIBABA_CLOUD_ACCESS_KEY_SECRET']))
    return str(tmp_path / 'home')


@pytest.mark.parametrize('name', controller_modules())
def test_module_examples_run_against_emulator(name, emulator, tmp_path):
    env, extra_vars = emulator_context(emulator, 'examples-%s' % name)
    env['HOME'] = controller_home(tmp_path, env)
    plays = [
        {'name': 'Prerequisites of the aliyun.ram.%s examples' % name, 'hosts': 'localhost', 'gather_facts': False,
         'tasks': PREREQUISITES.get(name) or [{'name': 'No prerequisites', 'ansible.builtin.meta': 'noop'}]},
        {'name': EXAMPLES_PLAY % name, 'hosts': 'localhost', 'gather_facts': False, 'tasks': module_examples(name)},
    ]
    run = run_playbook('examples_%s' % name, plays, env, extra_vars, tmp_path)
    secrets = emulator.secrets()
    assert run.returncode == 0, failure_report('EXAMPLES of aliyun.ram.%s' % name, run, secrets)
    assert_no_secret_leaked(run.output, secrets, 'the -vvvv output of the aliyun.ram.%s examples' % name)
    examples_output = run.output.split('PLAY [%s]' % (EXAMPLES_PLAY % name), 1)[-1]
    skipped = re.findall(r'^TASK \[(.*?)\][^\n]*\n(?:(?!TASK \[).*\n)*?skipping: \[localhost\]', examples_output, re.M)
    assert not skipped, 'example tasks of aliyun.ram.%s were skipped, so they were not tested: %s' % (name, sorted(set(skipped)))
