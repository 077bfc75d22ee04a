# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.ram_access_keys (action + module) through ansible-playbook against the emulator, with and without its
``secret_store`` option: vault-only storage, the lock around the reconcile (two concurrent runs create one key per
user), keys stored even when the module fails, module_defaults applied by ansible-core itself, the vault secret from
the option (a password file, a vaulted variable) or ANSIBLE_VAULT_PASSWORD_FILE, no secret in -vvvv.

Runs with the ansible-core of the interpreter (``.venv-2.16`` for 2.16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.aliyun.ram.plugins.action.ram_access_keys import validated_store_options
from ansible_collections.aliyun.ram.tests.support.emulator import SUITE_PROPAGATION_DELAY, Emulator
from ansible_collections.aliyun.ram.tests.support.pinned import require

# The emulator runs as `python -m ram_emulator` (installed in the project's virtualenv): required, never skipped.
require('ram_emulator')
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
VAULT_PASSWORD = 'unit-test-vault-password'
STORE_PASSWORD = 'store-only-password-0001'

# The task under test takes its options from play variables, so that each test sets only what it is about.
TASK = {
    'name': 'Reconcile, through the store when secret_store is set',
    'aliyun.ram.ram_access_keys': {
        'users': '{{ users }}', 'held': '{{ held | default([]) }}', 'parallelism': 1,
        'max_retries': '{{ max_retries | default(5) }}', 'secret_store': '{{ store_options | default(omit) }}'},
    'register': 'reconciled', 'no_log': True, 'ignore_errors': True,
}
REPORT = {
    'name': 'Report ids and the length of each secret, not the secrets',
    'ansible.builtin.copy': {'dest': '{{ report }}', 'mode': '0600', 'content': (
        "{{ {'failed': reconciled.failed | default(false), 'msg': reconciled.msg | default(''),"
        " 'ids': reconciled.access_keys | default({}) | dict2items | map(attribute='value.access_key_id') | list,"
        " 'secret_lengths': reconciled.access_keys | default({}) | dict2items"
        " | map(attribute='value.access_key_secret', default='') | map('length') | list,"
        " 'store': reconciled.secret_store | default({})} | to_json }}")},
}


def playbook(task_options=None, **play):
    task = dict(TASK)
    if task_options is not None:
        task['aliyun.ram.ram_access_keys'] = task_options
    return yaml.safe_dump([dict({'hosts': 'localhost', 'gather_facts': False, 'module_defaults': {
        'group/aliyun.ram.ram': '{{ group_defaults | default({}) }}',
        'aliyun.ram.ram_access_keys': '{{ keys_defaults | default({}) }}'}, 'tasks': [task, REPORT]}, **play)])


@pytest.fixture(scope='module')
def emulator():
    with Emulator(propagation_delay=SUITE_PROPAGATION_DELAY) as emu:
        yield emu


@pytest.fixture
def workdir(tmp_path, emulator):
    emulator.reset()
    emulator.clear_faults()
    (tmp_path / 'playbook.yml').write_text(playbook())
    (tmp_path / 'vault-password').write_text(VAULT_PASSWORD + '\n')
    (tmp_path / 'store-password').write_text(STORE_PASSWORD + '\n')
    return tmp_path


def env_for(emulator, workdir, vault=True, caller=True):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_HOST_KEY_CHECKING='false',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', **emulator.env_for())
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ANSIBLE_VAULT_PASSWORD_FILE'):
        env.pop(name, None)
    if not caller:
        for name in ('ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'):
            env.pop(name)
    if vault:
        env['ANSIBLE_VAULT_PASSWORD_FILE'] = str(workdir / 'vault-password')
    return env


def start(emulator, workdir, users, name='run', vault=True, caller=True, verbosity=None, store=True, **extra_vars):
    report = workdir / (name + '.json')
    extra = dict({'users': users, 'report': str(report), 'ansible_python_interpreter': sys.executable}, **extra_vars)
    if store and 'store_options' not in extra and 'keys_defaults' not in extra:
        extra['store_options'] = {'path': str(workdir / 'store.vault.yml')}
    (workdir / (name + '.vars.json')).write_text(json.dumps(extra))
    cmd = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', str(workdir / 'playbook.yml'),
           '-e', '@' + str(workdir / (name + '.vars.json'))]
    if verbosity:
        cmd.append(verbosity)
    process = subprocess.Popen(cmd, env=env_for(emulator, workdir, vault, caller), stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
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


def store_ids(workdir, password=VAULT_PASSWORD):
    secret = VaultSecret(password.encode())
    text = VaultLib([('default', secret)]).decrypt(store_text(workdir)).decode()
    return sorted(line.split(':', 1)[1].strip() for line in text.splitlines() if line.strip().startswith('access_key_id:'))


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
    # the second run found the keys in the store: the action put their secrets into its result
    assert all(length > 0 for length in first['secret_lengths'] + second['secret_lengths'])
    assert len(first['secret_lengths']) == len(second['secret_lengths']) == 3
    assert sorted([len(first['store']['added_access_key_ids']), len(second['store']['added_access_key_ids'])]) == [0, 3]
    assert b'$ANSIBLE_VAULT;1.1;AES256' in store_text(workdir) and store_ids(workdir) == sorted(first['ids'])
    output = ''.join(text for dummy, text in results)
    # what the leak check below searches is both runs' -vvvv output of the store task, not an empty or quiet one
    assert all(TASK['name'] in text and 'ESTABLISH LOCAL CONNECTION' in text for dummy, text in results)
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


def test_without_the_store_the_held_secret_is_put_back_into_the_result(emulator, workdir):
    """Breaks when the key to deploy lacks its secret unless it was created now (the module cannot return a held one)."""
    create_users(emulator, ['h1'])
    created, dummy = finish(start(emulator, workdir, ['h1'], name='create', store=False))
    assert created['secret_lengths'][0] > 0 and not (workdir / 'store.vault.yml').exists()
    secret = [s for s in emulator.secrets() if s][-1]
    held = [{'user_name': 'h1', 'access_key_id': created['ids'][0], 'access_key_secret': secret, 'host': 'web1'}]
    kept, dummy = finish(start(emulator, workdir, ['h1'], name='kept', store=False, held=held))
    assert kept['ids'] == created['ids'] and kept['secret_lengths'] == [len(secret)] and kept['store'] == {}


def test_module_defaults_reach_the_module_and_the_store_option(emulator, workdir):
    """The caller's key only in module_defaults of group/aliyun.ram.ram, the store only in module_defaults of the
    module: breaks when the action runs the module without the defaults ansible-core applied to the task's args."""
    create_users(emulator, ['d1'])
    options = dict(TASK['aliyun.ram.ram_access_keys'])
    del options['secret_store']  # an option the task sets (even to omit) is not taken from module_defaults
    (workdir / 'playbook.yml').write_text(playbook(options))
    admin = emulator.admin_env
    group_defaults = {'access_key': admin['ALIBABA_CLOUD_ACCESS_KEY_ID'], 'secret_key': admin['ALIBABA_CLOUD_ACCESS_KEY_SECRET']}
    keys_defaults = {'secret_store': {'path': str(workdir / 'store.vault.yml'), 'vault_password_file': str(workdir / 'store-password')}}
    result, dummy = finish(start(emulator, workdir, ['d1'], caller=False, vault=False, group_defaults=group_defaults,
                                 keys_defaults=keys_defaults))
    assert not result['failed'], result['msg']
    assert result['store']['added_access_key_ids'] == keys_of(emulator, 'd1')
    assert store_ids(workdir, STORE_PASSWORD) == keys_of(emulator, 'd1')


def test_vault_password_from_a_vaulted_variable_with_a_vault_id(emulator, workdir):
    """The store's password is a variable encrypted with the play's vault secret (ANSIBLE_VAULT_PASSWORD_FILE here):
    the store is encrypted with the variable's value, under the given vault id, not with the play's secret."""
    create_users(emulator, ['v1'])
    play_secret = VaultSecret(VAULT_PASSWORD.encode())
    vaulted = VaultLib([('default', play_secret)]).encrypt(STORE_PASSWORD, secret=play_secret).decode()
    (workdir / 'vaulted.yml').write_text('store_password: !vault |\n' + textwrap.indent(vaulted, '  '))
    (workdir / 'playbook.yml').write_text(playbook(vars_files=['vaulted.yml']))
    options = {'path': str(workdir / 'store.vault.yml'), 'vault_password': '{{ store_password }}', 'vault_id': 'ram'}
    result, output = finish(start(emulator, workdir, ['v1'], store_options=options, verbosity='-vvvv'))
    assert not result['failed'], result['msg']
    assert store_text(workdir).startswith(b'$ANSIBLE_VAULT;1.2;AES256;ram\n')
    assert store_ids(workdir, STORE_PASSWORD) == keys_of(emulator, 'v1')
    with pytest.raises(Exception):
        store_ids(workdir, VAULT_PASSWORD)
    assert STORE_PASSWORD not in output


def test_store_password_file_and_password_are_exclusive(emulator, workdir):
    options = {'path': str(workdir / 'store.vault.yml'), 'vault_password': 'x', 'vault_password_file': str(workdir / 'store-password')}
    result, dummy = finish(start(emulator, workdir, ['u1'], store_options=options))
    assert result['failed'] and result['msg'] == 'secret_store: vault_password and vault_password_file are mutually exclusive'
    assert not (workdir / 'store.vault.yml.lock').exists()


@pytest.mark.parametrize('store_args, problem', [
    ({}, 'secret_store.path is required with secret_store.backend=vault_file (the default)'),
    ({'backend': 'consul'}, 'invalid secret_store: value of backend must be one of: vault_file, kms, got: consul'),
    ({'path': '/s\n'}, 'option secret_store.path must not contain control characters (found \\n at position 2)'),
    ({'path': '/s', 'vault_password': 'hunter\t2'},
     'option secret_store.vault_password must not contain control characters (found \\t; the value is not shown)'),
    ({'path': '/s', 'unknown': 1}, 'invalid secret_store: secret_store.unknown. Supported parameters include: backend, '
                                   'kms_endpoint, lease_seconds, lock_timeout, name_prefix, path, region, vault_id, '
                                   'vault_password, vault_password_file.'),
    ('/s', 'invalid secret_store: dictionary requested'),
])
def test_bad_store_options_are_refused_before_anything_else(store_args, problem):
    options, message = validated_store_options(store_args)
    assert options is None and message.startswith(problem), message
    assert 'hunter' not in message


def test_store_options_get_their_defaults():
    assert validated_store_options({'path': '/s'}) == ({'backend': 'vault_file', 'path': '/s', 'vault_id': None,
                                                        'vault_password_file': None, 'vault_password': None,
                                                        'lock_timeout': 300, 'name_prefix': 'aliyun-ram/', 'region': None,
                                                        'kms_endpoint': None, 'lease_seconds': 300}, None)
