# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""provision.yml run the way AWX runs it: through ansible-runner, with only the environment the credential type injects.

Pseudo-hosts with a local connection: what is under test is the job as AWX starts it (runner, injected
credential, sliced inventories), not the transport; the per-host part only writes files, one directory per host.
The credential's role inputs are checked the same way with a job that asks STS who it runs as: the role session
name reaches AssumeRole, and the ECS instance role is read from the emulator's instance metadata service in a
network namespace (tests/support/imds.py), where the job runs through ansible-runner's command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT
from test_awx_credential_type import UnsafeAwareLoader, render_injectors

sys.path.insert(0, str(REPO_ROOT))

# pylint: disable=wrong-import-position
from tests.support.emulator import SUITE_PROPAGATION_DELAY, Emulator  # noqa: E402
from tests.support.imds import (  # noqa: E402
    INSTANCE_SESSION,
    create_instance_role,
    metadata_emulator,
    metadata_namespace,
    needs_namespaces,
)
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


def injected_env(emulator, **inputs):
    """The environment the AWX credential injects: by default the emulator's ram-admin key (no token, no role);
    ``inputs`` sets or empties the credential's other inputs."""
    credential_type = yaml.load(CREDENTIAL_TYPE.read_text(), Loader=UnsafeAwareLoader)  # nosec: safe loader
    values = {
        'access_key': emulator.admin_env['ALIBABA_CLOUD_ACCESS_KEY_ID'],
        'secret_key': emulator.admin_env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
        'security_token': '',
        'assume_role_arn': '',
        'role_session_name': '',
        'ecs_role_name': '',
        'ram_endpoint': 'http://' + emulator.endpoint,
        'sts_endpoint': 'http://' + emulator.endpoint,
        'actiontrail_endpoint': 'http://' + emulator.endpoint,
    }
    assert set(inputs) <= set(values), inputs
    values.update(inputs)
    assert {field['id'] for field in credential_type['inputs']['fields']} == set(values)
    env, extra_vars = render_injectors(credential_type, values)[0::2]
    assert not extra_vars
    return env


def host_inventory(hosts, user, files_dir, store=None):
    group_vars = {'ansible_connection': 'local', 'provision_users': [{'name': user}]}
    if store:
        group_vars['provision_secret_store'] = str(store)
    return {'all': {'vars': group_vars, 'hosts': {
        host: {'provision_credentials': [{'user': user, 'files': [{'format': 'env', 'path': str(files_dir / host / ('%s.env' % user))}]}]}
        for host in hosts}}}


def private_data_dir(base, name, inventory, envvars, plays=None):
    """An ansible-runner private_data_dir as AWX lays it out: env/envvars, inventory/hosts, project/.
    The project's playbook is provision.yml, or whoami.yml made of ``plays``."""
    data_dir = base / name
    for sub in ('env', 'inventory', 'project'):
        (data_dir / sub).mkdir(parents=True)
    (data_dir / 'env' / 'envvars').write_text(yaml.safe_dump(envvars))
    (data_dir / 'env' / 'envvars').chmod(0o600)
    (data_dir / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    if plays is None:
        shutil.copy2(str(PROVISION_PLAYBOOK), str(data_dir / 'project' / 'provision.yml'))
    else:
        (data_dir / 'project' / 'whoami.yml').write_text(yaml.safe_dump(plays, sort_keys=False))
    return data_dir


def runner_kwargs(data_dir, playbook='provision.yml'):
    return {'private_data_dir': str(data_dir), 'playbook': playbook, 'quiet': True}


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


# A job that asks STS who it runs as, then reads RAM with those credentials.
WHOAMI_PLAYS = [{
    'name': 'Who runs the job',
    'hosts': 'localhost',
    'gather_facts': False,
    'tasks': [
        {'name': 'Caller identity', 'aliyun.ram.sts_caller_info': {}, 'register': 'caller'},
        {'name': 'Read the admin user', 'aliyun.ram.ram_user_info': {'name': 'ram-admin'}, 'register': 'admin_user'},
        {'name': 'Check', 'ansible.builtin.assert': {'that': [
            "admin_user.users | map(attribute='user_name') | list == ['ram-admin']"]}},
    ],
}]
LOCALHOST_INVENTORY = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}


def caller_identity(result):
    """The sts_caller_info result of a WHOAMI_PLAYS job, from its events."""
    found = [event['event_data']['res'] for event in result.events
             if event.get('event') == 'runner_on_ok' and event['event_data'].get('task') == 'Caller identity']
    assert len(found) == 1, found
    return found[0]


def create_assumable_role(emulator, name, policy='AliyunRAMReadOnlyAccess'):
    """A role any principal of the emulated account may assume (trust: the account's root); returns its ARN."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    account = emulator.state()['account_id']
    trust = json.dumps({'Version': '1', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                       'Principal': {'RAM': ['acs:ram::%s:root' % account]}}]})
    client = emulator.ram_client('admin')
    arn = client.create_role(models.CreateRoleRequest(role_name=name, assume_role_policy_document=trust)).body.role.arn
    client.attach_policy_to_role(models.AttachPolicyToRoleRequest(role_name=name, policy_type='System',
                                                                  policy_name=policy))
    emulator.admin('POST', 'propagation/flush')   # the job should not wait out the emulator's consistency window
    return arn


def sessions_of(emulator, role_name):
    """The names of the role's sessions (each module of a job assumes the role for itself: one name, many sessions)."""
    sessions = emulator.state()['sessions']
    sessions = sessions.values() if isinstance(sessions, dict) else sessions
    return sorted({session['session_name'] for session in sessions if session['role_name'] == role_name})


def assume_role_calls(emulator):
    return emulator.counters()['actions'].get('AssumeRole', {}).get('calls', 0)


def test_role_session_name_reaches_assume_role(emu, clean_environ, tmp_path):
    """The credential's role and session name inputs: the job acts as the role, in a session of that name. Without the
    session name input the session has the modules' default name, so the name seen is the injected one."""
    role_arn = create_assumable_role(emu, 'AwxTarget')
    envvars = dict(EXECUTION_ENVIRONMENT, **injected_env(emu, assume_role_arn=role_arn, role_session_name='awx-job-42'))
    assert envvars['ALIBABA_CLOUD_ROLE_SESSION_NAME'] == 'awx-job-42'
    emu.reset_counters()
    named = ansible_runner.run(**runner_kwargs(private_data_dir(tmp_path, 'named', LOCALHOST_INVENTORY, envvars,
                                                                plays=WHOAMI_PLAYS), 'whoami.yml'))
    assert_successful(named, emu)
    assert_no_secret(named, emu)
    identity = caller_identity(named)
    assert identity['identity_type'] == 'AssumedRoleUser'
    assert identity['arn'].endswith(':assumed-role/awxtarget/awx-job-42'), identity['arn']
    assert sessions_of(emu, 'AwxTarget') == ['awx-job-42']
    assert assume_role_calls(emu) >= 2      # each module assumes the role for itself

    envvars = dict(EXECUTION_ENVIRONMENT, **injected_env(emu, assume_role_arn=role_arn))
    assert envvars['ALIBABA_CLOUD_ROLE_SESSION_NAME'] == ''
    unnamed = ansible_runner.run(**runner_kwargs(private_data_dir(tmp_path, 'unnamed', LOCALHOST_INVENTORY, envvars,
                                                                  plays=WHOAMI_PLAYS), 'whoami.yml'))
    assert_successful(unnamed, emu)
    assert caller_identity(unnamed)['arn'].endswith(':assumed-role/awxtarget/ansible-aliyun-ram')
    assert sessions_of(emu, 'AwxTarget') == ['ansible-aliyun-ram', 'awx-job-42']


# The ECS instance role jobs: the emulator and the job in a network namespace with the instance metadata service.
# A /30 of its own (tests/integration/test_ecs_role.py has 10.99.9.0/30).
IMDS_HOST_SIDE, IMDS_NAMESPACE_SIDE = '10.99.9.5', '10.99.9.6'
INSTANCE_ROLE = 'AwxInstance'


@pytest.fixture(scope='module')
def imds_namespace():
    """Only for tests marked needs_namespaces (the mark skips them, before this runs, without root or ip)."""
    with metadata_namespace('awxmd', IMDS_HOST_SIDE, IMDS_NAMESPACE_SIDE) as netns:
        yield netns


@pytest.fixture
def imds_emu(imds_namespace, tmp_path_factory):
    """The instance role may read RAM and assume roles."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    with metadata_emulator(imds_namespace, IMDS_HOST_SIDE, IMDS_NAMESPACE_SIDE,
                           str(tmp_path_factory.mktemp('imds-emulator')), INSTANCE_ROLE) as emulator:
        create_instance_role(emulator, INSTANCE_ROLE)
        emulator.ram_client('admin').attach_policy_to_role(models.AttachPolicyToRoleRequest(
            role_name=INSTANCE_ROLE, policy_type='System', policy_name='AliyunSTSAssumeRoleAccess'))
        emulator.admin('POST', 'propagation/flush')
        yield emulator


class CommandLineJob(object):
    """A job run by ``ansible-runner run`` (the command line AWX's worker uses), read back from its artifacts
    like the objects ansible_runner.run returns."""

    class Config(object):
        def __init__(self, private_data_dir):
            self.private_data_dir = str(private_data_dir)

    def __init__(self, data_dir, ident):
        artifacts = data_dir / 'artifacts' / ident
        self.config = self.Config(data_dir)
        self.status = (artifacts / 'status').read_text().strip()
        self.rc = int((artifacts / 'rc').read_text().strip())
        self._stdout = artifacts / 'stdout'
        self.events = [json.loads(path.read_text())
                       for path in sorted((artifacts / 'job_events').glob('*.json'),
                                          key=lambda p: int(p.name.split('-', 1)[0]))]

    @property
    def stdout(self):
        return self._stdout.open(encoding='utf-8')


def run_in_namespace(namespace, data_dir, ident='job'):
    proc = subprocess.run(namespace.prefix + [sys.executable, '-m', 'ansible_runner', 'run', str(data_dir),
                                              '-p', 'whoami.yml', '--ident', ident],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                          timeout=600)
    assert (data_dir / 'artifacts' / ident / 'rc').is_file(), proc.stdout[-4000:]
    return CommandLineJob(data_dir, ident)


@needs_namespaces
def test_ecs_instance_role_from_the_credential(imds_emu, imds_namespace, clean_environ, tmp_path):
    """A credential with only the ECS instance RAM role name: the job runs as the instance role. A role name the
    instance does not have fails naming it, so the role used is the injected one (not found by the default chain)."""
    no_key = {'access_key': '', 'secret_key': ''}
    envvars = dict(EXECUTION_ENVIRONMENT, **injected_env(imds_emu, ecs_role_name=INSTANCE_ROLE, **no_key))
    assert envvars['ALIBABA_CLOUD_ECS_METADATA'] == INSTANCE_ROLE and envvars['ALIBABA_CLOUD_ACCESS_KEY_ID'] == ''
    job = run_in_namespace(imds_namespace, private_data_dir(tmp_path, 'ecs', LOCALHOST_INVENTORY, envvars,
                                                            plays=WHOAMI_PLAYS))
    assert_successful(job, imds_emu)
    assert_no_secret(job, imds_emu)
    identity = caller_identity(job)
    assert identity['identity_type'] == 'AssumedRoleUser'
    assert identity['arn'].endswith(':assumed-role/%s/%s' % (INSTANCE_ROLE.lower(), INSTANCE_SESSION)), identity['arn']

    envvars = dict(EXECUTION_ENVIRONMENT, **injected_env(imds_emu, ecs_role_name='NotAttached', **no_key))
    other = run_in_namespace(imds_namespace, private_data_dir(tmp_path, 'ecs-other', LOCALHOST_INVENTORY, envvars,
                                                              plays=WHOAMI_PLAYS))
    assert other.status == 'failed' and other.rc != 0
    assert_no_secret(other, imds_emu)
    failed = [event['event_data']['res'] for event in other.events if event.get('event') == 'runner_on_failed']
    assert failed and 'NotAttached' in failed[0]['msg'], failed


@needs_namespaces
def test_ecs_instance_role_assumes_the_credential_role(imds_emu, imds_namespace, clean_environ, tmp_path):
    """ECS instance role, role to assume and session name together: the instance role's credentials call AssumeRole
    with the injected session name."""
    role_arn = create_assumable_role(imds_emu, 'AwxTarget')
    envvars = dict(EXECUTION_ENVIRONMENT, **injected_env(
        imds_emu, access_key='', secret_key='', ecs_role_name=INSTANCE_ROLE, assume_role_arn=role_arn,
        role_session_name='awx-ecs-job'))
    job = run_in_namespace(imds_namespace, private_data_dir(tmp_path, 'ecs-assume', LOCALHOST_INVENTORY, envvars,
                                                            plays=WHOAMI_PLAYS))
    assert_successful(job, imds_emu)
    assert_no_secret(job, imds_emu)
    assert caller_identity(job)['arn'].endswith(':assumed-role/awxtarget/awx-ecs-job')
    assert sessions_of(imds_emu, 'AwxTarget') == ['awx-ecs-job']
    assert INSTANCE_SESSION in sessions_of(imds_emu, INSTANCE_ROLE)
