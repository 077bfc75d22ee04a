# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.secret_store through ansible-playbook against the emulator: vault-only storage, the lock around
reconcile (two concurrent runs create one key per user), keys stored even when the module fails, no secret in -vvvv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.aliyun.ram.tests.support.emulator import Emulator

# The emulator runs as `python -m ram_emulator` (installed in the project's virtualenv).
pytest.importorskip('ram_emulator')
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
VAULT_PASSWORD = 'unit-test-vault-password'

PLAYBOOK = textwrap.dedent('''\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Reconcile through the store
          aliyun.ram.secret_store:
            path: "{{ store }}"
            reconcile:
              users: "{{ users }}"
              parallelism: 1
              max_retries: "{{ max_retries | default(5) }}"
          register: reconciled
          no_log: true
          ignore_errors: true

        - name: Report ids, not secrets
          ansible.builtin.copy:
            dest: "{{ report }}"
            mode: "0600"
            content: >-
              {{ {'failed': reconciled.failed | default(false), 'msg': reconciled.msg | default(''),
                  'ids': reconciled.access_keys | default({}) | dict2items
                         | items2dict(key_name='key', value_name='value') | dict2items
                         | map(attribute='value.access_key_id') | list,
                  'has_secrets': reconciled.access_keys | default({}) | dict2items
                                 | selectattr('value.access_key_secret', 'defined') | list | length,
                  'store': reconciled.secret_store | default({})} | to_json }}
''')


@pytest.fixture(scope='module')
def emulator():
    with Emulator() as emu:
        yield emu


@pytest.fixture
def workdir(tmp_path, emulator):
    emulator.reset()
    emulator.clear_faults()
    (tmp_path / 'playbook.yml').write_text(PLAYBOOK)
    (tmp_path / 'vault-password').write_text(VAULT_PASSWORD + '\n')
    return tmp_path


def env_for(emulator, workdir, vault=True):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_HOST_KEY_CHECKING='false',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', **emulator.env_for())
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ANSIBLE_VAULT_PASSWORD_FILE'):
        env.pop(name, None)
    if vault:
        env['ANSIBLE_VAULT_PASSWORD_FILE'] = str(workdir / 'vault-password')
    return env


def start(emulator, workdir, users, name='run', vault=True, verbosity=None, max_retries=5):
    report = workdir / (name + '.json')
    extra = json.dumps({'store': str(workdir / 'store.vault.yml'), 'users': users, 'report': str(report),
                        'max_retries': max_retries, 'ansible_python_interpreter': sys.executable})
    cmd = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', str(workdir / 'playbook.yml'), '-e', extra]
    if verbosity:
        cmd.append(verbosity)
    process = subprocess.Popen(cmd, env=env_for(emulator, workdir, vault), stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                               stderr=subprocess.STDOUT, text=True)
    return process, report


def finish(run):
    process, report = run
    output, dummy = process.communicate(timeout=120)
    assert process.returncode == 0, output
    return json.loads(report.read_text()), output


def create_users(emulator, names):
    from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import Auth, Connection, connect
    from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
    admin = emulator.admin_env
    api = connect(Auth(access_key_id=admin['ALIBABA_CLOUD_ACCESS_KEY_ID'], access_key_secret=admin['ALIBABA_CLOUD_ACCESS_KEY_SECRET']),
                  Connection(endpoint='http://' + emulator.endpoint, sts_endpoint='http://' + emulator.endpoint), RetryPolicy())
    for name in names:
        api.write('CreateUser', UserName=name)


def keys_of(emulator, user_name):
    return sorted(k['AccessKeyId'] for k in emulator.state()['access_keys'].values() if k.get('owner') == user_name)


def store_text(workdir):
    return (workdir / 'store.vault.yml').read_bytes()


def test_without_a_vault_secret_nothing_is_called_or_written(emulator, workdir):
    create_users(emulator, ['u1'])
    emulator.reset_counters()
    result, dummy = finish(start(emulator, workdir, ['u1'], vault=False))
    assert result['failed'] and 'needs a vault secret' in result['msg']
    assert emulator.counters()['reads'] == 0 and emulator.counters()['writes'] == 0
    assert not (workdir / 'store.vault.yml').exists()


def test_plain_text_store_is_refused(emulator, workdir):
    create_users(emulator, ['u1'])
    (workdir / 'store.vault.yml').write_text('aliyun_ram_secret_store: 1\naccess_keys: []\n')
    emulator.reset_counters()
    result, dummy = finish(start(emulator, workdir, ['u1']))
    assert result['failed'] and 'not ansible-vault encrypted' in result['msg']
    assert emulator.counters()['writes'] == 0


def test_concurrent_runs_create_one_key_per_user_and_never_print_a_secret(emulator, workdir):
    users = ['c1', 'c2', 'c3']
    create_users(emulator, users)
    # slow calls: the two runs' reconciles would overlap without the lock
    emulator.set_faults(latency_ms=150)
    runs = [start(emulator, workdir, users, name='run%d' % index, verbosity='-vvvv') for index in range(2)]
    results = [finish(run) for run in runs]
    for user_name in users:
        assert len(keys_of(emulator, user_name)) == 1, user_name
    first, second = (result for result, dummy in results)
    assert first['ids'] == second['ids'] and None not in first['ids']
    assert first['has_secrets'] == second['has_secrets'] == 3
    assert sorted([len(first['store']['added_access_key_ids']), len(second['store']['added_access_key_ids'])]) == [0, 3]
    assert b'$ANSIBLE_VAULT;' in store_text(workdir)
    output = ''.join(text for dummy, text in results)
    assert 'ansible_collections/aliyun/ram' in output or 'secret_store' in output
    leaked = [secret for secret in emulator.secrets() if secret and (secret in output or secret.encode() in store_text(workdir))]
    assert leaked == []


def test_a_key_created_before_the_module_failed_is_stored(emulator, workdir):
    create_users(emulator, ['f1', 'f2'])
    # parallelism 1, no retries: f1's CreateAccessKey fails, f2's succeeds
    emulator.set_faults(one_shot=[{'action': 'CreateAccessKey', 'count': 1, 'code': 'ServiceUnavailable', 'status': 503}])
    failed, dummy = finish(start(emulator, workdir, ['f1', 'f2'], name='failing', max_retries=0))
    assert failed['failed'] and keys_of(emulator, 'f1') == [] and len(keys_of(emulator, 'f2')) == 1
    assert failed['store']['added_access_key_ids'] == keys_of(emulator, 'f2')
    emulator.clear_faults()
    again, dummy = finish(start(emulator, workdir, ['f1', 'f2'], name='again'))
    assert not again['failed'] and len(keys_of(emulator, 'f1')) == 1 and len(keys_of(emulator, 'f2')) == 1
    assert again['store']['added_access_key_ids'] == keys_of(emulator, 'f1')
