# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of every controller-side module run as written against the emulator.

Each module's examples become one play, after a play that creates what they refer to (users, keys
registered under the names the examples use, keys aged with the emulator clock so that the rotation
and age branches run).  Every example task must run (none skipped), pass, and leak no secret.
The controller user's home holds a ``ram-admin`` profile (the examples' module_defaults name it) with
the same key as the environment; the inventory is a file (so ``inventory_dir`` is set, as in a project)
and a vault password file is configured (for the vault-encrypted secret store).

audit_report's examples write to /srv/reports/ram-audit, as written: they run in a private mount namespace with a
tmpfs on /srv (root and unshare needed, as in CI; otherwise that module alone is skipped, visibly). They read what
playbooks/audit.yml gathers, which the prerequisites gather with the same modules; one user's key is held by no host,
so the second example really fails the play with its findings (EXPECTED_FAILURE).
"""

from __future__ import annotations

import os
import re
import secrets as random_secrets
import shutil

import pytest
import yaml
from ansible.parsing.plugin_docs import read_docstring

from tests.support.playbook import REPO_ROOT
from tests.support.targets import emulator_context

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
    # no_log: the admin token is in the arguments, which -vvvv prints before ansible-core 2.19
    return {'name': 'Prerequisite: emulator clock offset %d s' % offset_seconds, 'no_log': True,
            'ansible.builtin.uri': {'url': '{{ emulator_admin_url }}/clock', 'headers': '{{ emulator_admin_headers }}',
                                    'method': 'POST', 'body_format': 'json',
                                    'body': {'offset_seconds': offset_seconds}}}


def _old_key(user, register):
    """A key created 100 days ago (older than the examples' 90 days)."""
    return [
        _set_clock(-100 * 86400),
        {'name': 'Prerequisite: old key of %s' % user, 'aliyun.ram.ram_access_key': {'user_name': user},
         'no_log': True, 'register': register},
        _set_clock(0),
    ]


def _held_by_hosts(user):
    """``keys_read_from_hosts``: one host (web1) holds a key of ``user``, as the provision role reads them."""
    return [
        {'name': 'Prerequisite: the key a host holds for %s' % user, 'aliyun.ram.ram_access_key': {'user_name': user},
         'no_log': True, 'register': 'host_held_key'},
        {'name': 'Prerequisite: what the examples read from the hosts', 'no_log': True,
         'ansible.builtin.set_fact': {'keys_read_from_hosts': [
             {'user_name': user, 'access_key_id': '{{ host_held_key.access_key.access_key_id }}',
              'access_key_secret': '{{ host_held_key.access_key.access_key_secret }}', 'host': 'web1'}]}},
    ]


def _audit_inputs(env_file):
    """What playbooks/audit.yml gathers before its audit_report task: backup-job's key is held by this host (in
    ``env_file``), app-web's by none (an orphan: a finding)."""
    return [
        _user('backup-job'), _user('app-web'),
        {'name': 'Prerequisite: the key the host holds', 'aliyun.ram.ram_access_key': {'user_name': 'backup-job'},
         'no_log': True, 'register': 'held_key'},
        {'name': 'Prerequisite: an orphan key', 'aliyun.ram.ram_access_key': {'user_name': 'app-web'}, 'no_log': True},
        {'name': 'Prerequisite: the host file', 'aliyun.ram.credential_file': {
            'format': 'env', 'path': env_file, 'access_key_id': '{{ held_key.access_key.access_key_id }}',
            'access_key_secret': '{{ held_key.access_key.access_key_secret }}'}, 'no_log': True},
        {'name': 'Prerequisite: read the host file as the credentials role does',
         'aliyun.ram.credential_file_info': {'format': '{{ item.1.format }}', 'path': '{{ item.1.path }}'},
         'loop': [[{'user': 'backup-job', 'files': [{'format': 'env', 'path': env_file}]},
                   {'format': 'env', 'path': env_file}]],
         'register': 'audit_read'},
        {'name': 'Prerequisite: what the host read', 'ansible.builtin.set_fact': {
            'audit_host_read': {'host': '{{ inventory_hostname }}', 'result': '{{ audit_read }}'}}},
        {'name': 'Prerequisite: the controller identity', 'aliyun.ram.sts_caller_info': {},
         'register': 'audit_controller_identity'},
        {'name': 'Prerequisite: the audited keys', 'aliyun.ram.ram_access_key_info': {
            'user_names': ['backup-job', 'app-web'], 'include_last_used': True}, 'register': 'audit_keys'},
    ]


# What each module's examples refer to.
PREREQUISITES = {
    # the examples look up what backup-job's keys did: one key, used once
    'actiontrail_event_info': [
        _user('backup-job'),
        {'name': 'Prerequisite: a key of backup-job', 'aliyun.ram.ram_access_key': {'user_name': 'backup-job'},
         'no_log': True},
        {'name': 'Prerequisite: the keys of backup-job', 'aliyun.ram.ram_access_key_info': {'user_name': 'backup-job'},
         'register': 'backup_keys'},
    ],
    'audit_report': _audit_inputs('{{ audit_env_file }}'),
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
    # the examples stop a key of app-web that leaked
    'ram_access_key_compromised': [_user('app-web')] + _old_key('app-web', 'leaked_key') + [
        {'name': 'Prerequisite: the leaked key id', 'ansible.builtin.set_fact': {
            'leaked_access_key_id': '{{ leaked_key.access_key.access_key_id }}'}}],
    # the examples look up a key id that no user of the account has
    'ram_access_key_owner_info': [],
    'ram_access_keys': [_user('app-web'), _user('app-worker')] + _held_by_hosts('app-web'),
    # the examples create, update and delete their users themselves
    'ram_users': [],
    'respond_report': [{'name': 'Prerequisite: the leaked key ids, as -e or an AWX survey gives them',
                        'ansible.builtin.set_fact': {'leaked_access_key_ids': 'LTAI5tExampleExample0000'}}],
    'secret_store': [_user('app-web')] + _held_by_hosts('app-web'),
    'sts_caller_info': [
        _user('backup-job'),
        {'name': 'Prerequisite: the new key the example verifies', 'aliyun.ram.ram_access_key': {'user_name': 'backup-job'},
         'no_log': True, 'register': 'new_key'},
    ],
}


# Variables of the examples play, templated when an example uses them (after the tasks they depend on).
EXAMPLE_VARS = {
    # after the rotation example, the hosts hold (have read back) the new key of app-web
    'ram_access_keys': {'keys_read_back_from_hosts': [
        {'user_name': 'app-web', 'access_key_id': "{{ rotated.access_keys['app-web'].access_key_id }}",
         'access_key_secret': "{{ rotated.access_keys['app-web'].access_key_secret }}", 'host': 'web1'}]},
}

# Examples that end the play on purpose, with what their failure must say.
EXPECTED_FAILURE = {
    'audit_report': r'\d+ findings, see /srv/reports/ram-audit/audit\.html',
}
# Examples that write outside every test directory: (why, command prefix that gives them a private place to write).
PRIVATE_SRV = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
               'mount -t tmpfs -o mode=0755 aliyun-ram-examples /srv && exec "$@"', 'sh']
NEEDS_PRIVATE_SRV = {'audit_report'}


def test_every_controller_module_has_prerequisites():
    assert sorted(PREREQUISITES) == controller_modules()


def example_params():
    private_srv = os.geteuid() == 0 and shutil.which('unshare')
    skip = pytest.mark.skip(reason='its EXAMPLES write to /srv: needs root and unshare for a private /srv')
    return [pytest.param(name, marks=skip) if name in NEEDS_PRIVATE_SRV and not private_srv else name
            for name in controller_modules()]


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


def project_files(tmp_path):
    """An inventory file (so that inventory_dir is a project directory) and a vault password file."""
    inventory_dir = tmp_path / 'project'
    inventory_dir.mkdir()
    inventory = inventory_dir / 'hosts.ini'
    inventory.write_text('localhost ansible_connection=local\n')
    vault_password = tmp_path / 'vault-password'
    descriptor = os.open(str(vault_password), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, 'w') as handle:
        handle.write(random_secrets.token_urlsafe(24) + '\n')
    return str(inventory), str(vault_password)


@pytest.mark.parametrize('name', example_params())
def test_module_examples_run_against_emulator(name, emulator, runner, tmp_path):
    """Fails if an example task fails, is skipped (so never tested) or leaks a secret; audit_report's also if its
    fail-on-findings example does not fail with the findings (checked: the orphan-key prerequisite removed)."""
    env, extra_vars = emulator_context(emulator, 'examples-%s' % name)
    env['HOME'] = controller_home(tmp_path, env)
    inventory, env['ANSIBLE_VAULT_PASSWORD_FILE'] = project_files(tmp_path)
    extra_vars['audit_env_file'] = str(tmp_path / 'backup-job.env')
    plays = [
        {'name': 'Prerequisites of the aliyun.ram.%s examples' % name, 'hosts': 'localhost', 'gather_facts': False,
         'tasks': PREREQUISITES.get(name) or [{'name': 'No prerequisites', 'ansible.builtin.meta': 'noop'}]},
        {'name': EXAMPLES_PLAY % name, 'hosts': 'localhost', 'gather_facts': False, 'vars': EXAMPLE_VARS.get(name, {}),
         'tasks': module_examples(name)},
    ]
    with open(env['ANSIBLE_VAULT_PASSWORD_FILE'], encoding='utf-8') as handle:
        vault_password = handle.read().strip()
    run = runner.run('examples_%s' % name, plays, inventory=inventory, extra_vars=extra_vars, env=env, connection='local',
                     diff=False, save_results=False, secrets=[vault_password],
                     prefix=PRIVATE_SRV if name in NEEDS_PRIVATE_SRV else ())
    examples_output = run.output.split('PLAY [%s]' % (EXAMPLES_PLAY % name), 1)[-1]
    if name in EXPECTED_FAILURE:
        assert run.returncode != 0 and re.search(EXPECTED_FAILURE[name], examples_output), runner.failure_text(run, 8000)
        assert not re.search(r'^fatal: .*', run.output.split('PLAY [%s]' % (EXAMPLES_PLAY % name), 1)[0], re.M), \
            runner.failure_text(run, 8000)
    else:
        assert run.returncode == 0, runner.failure_text(run, 8000)
    skipped = re.findall(r'^TASK \[(.*?)\][^\n]*\n(?:(?!TASK \[).*\n)*?skipping: \[localhost\]', examples_output, re.M)
    assert not skipped, 'example tasks of aliyun.ram.%s were skipped, so they were not tested: %s' % (name, sorted(set(skipped)))
