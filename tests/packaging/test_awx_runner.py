# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""provision.yml run the way AWX runs it: through ansible-runner, with only the environment the credential type injects.

Pseudo-hosts with a local connection: what is under test is the job as AWX starts it (runner, injected
credential, sliced inventories), not the transport; the per-host part only writes files, one directory per host.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT
from test_awx_credential_type import UnsafeAwareLoader, render_injectors

sys.path.insert(0, str(REPO_ROOT))

# pylint: disable=wrong-import-position
from tests.support.emulator import SUITE_PROPAGATION_DELAY, Emulator  # noqa: E402
from tests.support.leaks import LeakGuard, assert_vault_encrypted  # noqa: E402
from tests.support.locks import GateLock  # noqa: E402

# ansible-runner is pinned in requirements-dev.txt: missing, it fails the tests (a skip would hide the AWX path)
import ansible_runner  # noqa: E402  pylint: disable=import-error

COLLECTIONS_DIR = REPO_ROOT / '.cache' / 'collections'
CREDENTIAL_TYPE = REPO_ROOT / 'extensions' / 'awx' / 'credential_type.yml'
PROVISION_PLAYBOOK = REPO_ROOT / 'playbooks' / 'provision.yml'
# What the execution environment brings (not credentials): where the collection and the Python with the SDK are.
EXECUTION_ENVIRONMENT = {
    'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS_DIR),
    'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
    'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
    'ANSIBLE_HOST_KEY_CHECKING': 'false',
    'ANSIBLE_RETRY_FILES_ENABLED': 'false',
    'ANSIBLE_NOCOLOR': '1',
}
INHERITED_VARS_TO_DROP = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy',
                          'ANSIBLE_VAULT_PASSWORD_FILE', 'ANSIBLE_CONFIG')


@pytest.fixture(scope='module')
def emulator(tmp_path_factory):
    with Emulator(state_dir=str(tmp_path_factory.mktemp('emulator')), verbose=True,
                  propagation_delay=SUITE_PROPAGATION_DELAY) as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    emulator.reset()
    emulator.clear_faults()
    emulator.reset_counters()
    return emulator


@pytest.fixture
def clean_environ(monkeypatch):
    """The runner inherits the test's environment: no credential may reach the job but the injected one."""
    for name in list(os.environ):
        if name.startswith('ALIBABA_CLOUD_') or name in INHERITED_VARS_TO_DROP:
            monkeypatch.delenv(name)
    # The runner starts the ansible-playbook it finds first on PATH: the one of this virtualenv.
    monkeypatch.setenv('PATH', os.pathsep.join([os.path.dirname(sys.executable), os.environ.get('PATH', '')]))
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT)


def injected_env(emulator):
    """The environment the AWX credential injects for the emulator's ram-admin key (no token, no role)."""
    credential_type = yaml.load(CREDENTIAL_TYPE.read_text(), Loader=UnsafeAwareLoader)  # nosec: safe loader
    inputs = {
        'access_key': emulator.admin_env['ALIBABA_CLOUD_ACCESS_KEY_ID'],
        'secret_key': emulator.admin_env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
        'security_token': '',
        'assume_role_arn': '',
        'ram_endpoint': 'http://' + emulator.endpoint,
        'sts_endpoint': 'http://' + emulator.endpoint,
    }
    env, extra_vars = render_injectors(credential_type, inputs)[0::2]
    assert not extra_vars
    return env


def host_inventory(hosts, user, files_dir, store=None):
    group_vars = {'ansible_connection': 'local', 'provision_users': [{'name': user}]}
    if store:
        group_vars['provision_secret_store'] = str(store)
    return {'all': {'vars': group_vars, 'hosts': {
        host: {'provision_credentials': [{'user': user, 'files': [{'format': 'env', 'path': str(files_dir / host / ('%s.env' % user))}]}]}
        for host in hosts}}}


def private_data_dir(base, name, inventory, envvars):
    """An ansible-runner private_data_dir as AWX lays it out: env/envvars, inventory/hosts, project/."""
    data_dir = base / name
    for sub in ('env', 'inventory', 'project'):
        (data_dir / sub).mkdir(parents=True)
    (data_dir / 'env' / 'envvars').write_text(yaml.safe_dump(envvars))
    (data_dir / 'env' / 'envvars').chmod(0o600)
    (data_dir / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    shutil.copy2(str(PROVISION_PLAYBOOK), str(data_dir / 'project' / 'provision.yml'))
    return data_dir


def runner_kwargs(data_dir):
    return {'private_data_dir': str(data_dir), 'playbook': 'provision.yml', 'quiet': True}


def job_text(result):
    """Everything a job leaves in AWX: its stdout and its events."""
    with result.stdout as handle:
        stdout = handle.read()
    return stdout + '\n' + '\n'.join(json.dumps(event) for event in result.events)


def assert_successful(result, emulator):
    if result.status == 'successful' and result.rc == 0:
        return
    text = job_text(result)[-6000:]
    for secret in emulator.secrets():
        if secret:
            text = text.replace(secret, '********')
    pytest.fail('job %s rc=%s:\n%s' % (result.status, result.rc, text))


def assert_no_secret(result, emulator, *given):
    """No secret the emulator issued (nor its admin token, nor ``given`` ones) in the job's output, events and the
    files the job left in its private data directory. Two files are the job's input, not its output: env/envvars
    (what AWX injects) and ansible-runner's record of it, artifacts/<job>/command (command line and environment)."""
    guard = LeakGuard(emulator.all_secrets).add(*given)
    guard.assert_clean(job_text(result), 'the job output or events')
    data_dir = Path(result.config.private_data_dir)
    guard.assert_files_clean(data_dir, allowed=[data_dir / 'env' / 'envvars'] + list(data_dir.glob('artifacts/*/command')))


def artifacts(result):
    """What the job exported with set_stats: AWX shows it as the job's artifacts (the stats event's artifact_data)."""
    stats = [event for event in result.events if event.get('event') == 'playbook_on_stats']
    assert len(stats) == 1
    return stats[0]['event_data'].get('artifact_data') or {}


def read_env(path):
    return dict(line.split('=', 1) for line in path.read_text().splitlines() if '=' in line)


def user_key_ids(state, user):
    keys = state['access_keys'] if isinstance(state['access_keys'], list) else list(state['access_keys'].values())
    return [key.get('AccessKeyId') or key.get('access_key_id') for key in keys if key['owner'] == user]


def created_key_count(emulator):
    return emulator.counters()['actions'].get('CreateAccessKey', {}).get('calls', 0)


def test_provision_through_ansible_runner_with_the_injected_credential(emu, clean_environ, tmp_path):
    hosts = ['awx-host-0', 'awx-host-1']
    user = 'awx-runner-user'
    envvars = dict(EXECUTION_ENVIRONMENT, **injected_env(emu))
    assert envvars['ALIBABA_CLOUD_SECURITY_TOKEN'] == envvars['ALIBABA_CLOUD_ROLE_ARN'] == ''
    inventory = host_inventory(hosts, user, tmp_path / 'files')

    first = ansible_runner.run(**runner_kwargs(private_data_dir(tmp_path, 'job-1', inventory, envvars)))
    assert_successful(first, emu)
    assert_no_secret(first, emu)
    assert set(first.stats['changed']) >= set(hosts)
    key_ids = user_key_ids(emu.state(), user)
    assert len(key_ids) == 1
    assert {read_env(tmp_path / 'files' / host / ('%s.env' % user))['ALIBABA_CLOUD_ACCESS_KEY_ID'] for host in hosts} == set(key_ids)
    summary = artifacts(first)['aliyun_ram_summary']
    assert (summary['playbook'], summary['users_created'], summary['keys_created'], summary['keys_kept']) == (
        'provision', [user], {user: key_ids[0]}, {})
    assert sorted(summary['hosts_changed']) == hosts and summary['hosts_failed'] == {}

    emu.reset_counters()
    second = ansible_runner.run(**runner_kwargs(private_data_dir(tmp_path, 'job-2', inventory, envvars)))
    assert_successful(second, emu)
    assert_no_secret(second, emu)
    assert set(second.stats['ok']) >= set(hosts)
    assert {host: second.stats['changed'].get(host, 0) for host in second.stats['ok']} == dict.fromkeys(second.stats['ok'], 0)
    changed_events = [event for event in second.events if event.get('event') == 'runner_on_ok' and event['event_data'].get('res', {}).get('changed')]
    assert not changed_events
    assert emu.counters()['writes'] == 0
    assert user_key_ids(emu.state(), user) == key_ids
    summary = artifacts(second)['aliyun_ram_summary']
    assert (summary['keys_created'], summary['keys_kept'], summary['hosts_changed']) == ({}, {user: key_ids[0]}, {})

    # the audit exports its counts and the report paths; its reports go where audit_output_dir says, not to $PWD
    audit_dir = private_data_dir(tmp_path, 'job-audit', inventory, envvars)
    shutil.copy2(str(REPO_ROOT / 'playbooks' / 'audit.yml'), str(audit_dir / 'project' / 'audit.yml'))
    reports = tmp_path / 'reports'
    audit = ansible_runner.run(private_data_dir=str(audit_dir), playbook='audit.yml', quiet=True,
                               extravars={'audit_output_dir': str(reports)})
    assert_successful(audit, emu)
    assert_no_secret(audit, emu)
    exported = artifacts(audit)['aliyun_ram_audit']
    assert (exported['users'], exported['keys'], exported['hosts_read']) == (1, 1, 2)
    assert exported['paths']['json'] == str(reports / 'audit.json') and json.loads((reports / 'audit.json').read_text())


def test_two_sliced_jobs_share_one_key_through_the_secret_store(emu, clean_environ, tmp_path):
    """The two slices provably meet at the store's lock: the test holds it until both jobs have opened it, so both
    wait inside the locked step at once (lock-wait evidence), with every API call slowed down. Fails without the lock
    (checked: StoreLock.__enter__ taking no flock: both slices read an empty store and each creates a key)."""
    user = 'awx-sliced-user'
    slices = [['slice-a-host-0', 'slice-a-host-1'], ['slice-b-host-0', 'slice-b-host-1']]
    store_dir = tmp_path / 'store'
    store_dir.mkdir()
    store = store_dir / 'ram-keys.vault.yml'
    vault_password = 'awx-runner-vault-password'
    password_file = tmp_path / 'vault-pass'
    password_file.write_text(vault_password + '\n')
    password_file.chmod(0o600)
    envvars = dict(EXECUTION_ENVIRONMENT, ANSIBLE_VAULT_PASSWORD_FILE=str(password_file), **injected_env(emu))

    emu.set_faults(latency_ms=100)
    jobs = []
    with GateLock(store) as gate:
        for index, hosts in enumerate(slices):
            inventory = host_inventory(hosts, user, tmp_path / 'files', store=store)
            data_dir = private_data_dir(tmp_path, 'slice-%d' % index, inventory, envvars)
            jobs.append(ansible_runner.run_async(**runner_kwargs(data_dir)))
        gate.release_when(2, lambda: all(thread.is_alive() for thread, dummy in jobs))
    for thread, dummy in jobs:
        thread.join(timeout=600)
        assert not thread.is_alive()
    emu.clear_faults()
    for dummy, result in jobs:
        assert_successful(result, emu)
        assert_no_secret(result, emu, vault_password)
    assert len(gate.waiting_at_release) >= 2, gate.waiting_at_release
    assert_vault_encrypted(store)

    key_ids = user_key_ids(emu.state(), user)
    assert len(key_ids) == 1
    assert created_key_count(emu) == 1
    all_hosts = [host for hosts in slices for host in hosts]
    deployed = {host: read_env(tmp_path / 'files' / host / ('%s.env' % user)) for host in all_hosts}
    assert {host: values['ALIBABA_CLOUD_ACCESS_KEY_ID'] for host, values in deployed.items()} == dict.fromkeys(all_hosts, key_ids[0])
    assert len({values['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] for values in deployed.values()}) == 1
