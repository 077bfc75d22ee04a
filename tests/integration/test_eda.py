# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The aliyun.ram.access_keys event source and the collection's rulebooks in the real engine (ansible-rulebook, with
its Java rule engine) against the emulator, as an operator runs them: ``ansible-rulebook -r aliyun.ram.<rulebook>``
with the collection found through ANSIBLE_COLLECTIONS_PATH.

* A key older than the policy makes rotate_old_keys run the collection's playbooks/rotate.yml on two test hosts
  (network namespaces with their own sshd, tests/hosts/hostctl), over SSH: both hosts get the new key, the old one is
  deactivated.
* An ActionTrail event injected from an address outside the expected networks makes contain_unexpected_use run the
  collection's playbooks/respond.yml once, although the engine polls again and again: the test host holding the key
  gets a replacement and the key is deactivated; restarted with the same state file it does not run it again.

The engine is stopped by the test (once mode, or SIGTERM to its process group after the condition or a deadline),
never left running. Its whole output (events printed with --print-events, the playbooks' output) is scanned for every
secret the emulator issued. Without Java (ansible-rulebook's rule engine needs a Java 17 runtime; scripts/test.sh
installs it) or without ansible-rulebook the tests are skipped, saying why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.support.emulator import key_statuses
from tests.support.fixtures import fresh
from tests.support.netns_hosts import NEEDS_TEST_HOSTS, SSH_OPTIONS, hostctl, hosts_up, ssh
from tests.support.playbook import REPO_ROOT, PlaybookRunner

BIN_DIR = os.path.dirname(sys.executable)
ANSIBLE_RULEBOOK = os.path.join(BIN_DIR, 'ansible-rulebook')
ENGINE_TIMEOUT = 300            # seconds an engine run may take before the test stops it and fails
APP = 'eda-app'
LEAKY = 'eda-leaky'
UNEXPECTED_IP = '203.0.113.7'


def _missing():
    if importlib.util.find_spec('ansible_rulebook') is None or not os.path.exists(ANSIBLE_RULEBOOK):
        return 'ansible-rulebook is not installed in %s (requirements-dev.txt pins it)' % BIN_DIR
    if not (os.environ.get('JAVA_HOME') or shutil.which('java')):
        return 'no Java runtime: ansible-rulebook needs Java 17 (apt-get install openjdk-17-jre-headless)'
    return None


pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())), NEEDS_TEST_HOSTS]

HOSTS = {'eda1': '10.99.7.86', 'eda2': '10.99.7.87', 'eda-ir1': '10.99.7.88'}
ENV_FILE = '/etc/eda/app.env'


@pytest.fixture(scope='module')
def test_hosts():
    with hosts_up(HOSTS) as hosts:
        yield hosts


def ssh_env():
    """The environment of every run that reaches the test hosts (the engine's playbooks included)."""
    return {'ANSIBLE_PRIVATE_KEY_FILE': hostctl('key').strip(), 'ANSIBLE_HOST_KEY_CHECKING': 'false',
            'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=60s ' + SSH_OPTIONS}


def write_inventory(path, users, hosts):
    """An inventory of test ``hosts``, each with ``ENV_FILE`` for the user of its ``users`` entry."""
    path.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_user': 'root', 'ansible_python_interpreter': '/usr/bin/python3',
                 'provision_users': [{'name': user} for user in users]},
        'hosts': dict((host, {'ansible_host': HOSTS[host], 'provision_credentials': [
            {'user': users[0], 'files': [{'format': 'env', 'path': ENV_FILE}]}]}) for host in hosts)}}))
    return path


def held_key(host):
    """The key id in ``ENV_FILE`` on the test host (None: no file)."""
    text = ssh(HOSTS[host], 'cat %s 2>/dev/null' % ENV_FILE, check=False)
    values = dict(line.split('=', 1) for line in text.splitlines() if '=' in line)
    return values.get('ALIBABA_CLOUD_ACCESS_KEY_ID')


class Engine(object):
    """One ansible-rulebook process: started in its own process group, stopped by ``stop`` whatever happens."""

    def __init__(self, runner, run_dir, name):
        self.runner = runner
        self.output_path = run_dir / ('%s.engine.out' % name)
        self.process = None

    def start(self, rulebook, inventory, variables, cwd):
        vars_file = self.output_path.with_suffix('.vars.yml')
        vars_file.write_text(yaml.safe_dump(variables))
        env = ssh_env()
        env.update({'PATH': BIN_DIR + os.pathsep + os.environ.get('PATH', ''),
                    # the playbooks' own temporary files stay with the test
                    'ANSIBLE_LOCAL_TEMP': str(cwd / 'ansible-tmp'),
                    # as a shell sets it: the playbooks' relative report directories are under cwd
                    'PWD': str(cwd)})
        env = self.runner.env(env)
        cmd = [ANSIBLE_RULEBOOK, '-r', 'aliyun.ram.%s' % rulebook, '-i', str(inventory), '-e', str(vars_file),
               '--print-events', '--shutdown-delay', str(ENGINE_TIMEOUT)]
        with open(self.output_path, 'wb') as output:
            self.process = subprocess.Popen(cmd, env=env, cwd=str(cwd), stdout=output, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait(self, until=None, timeout=ENGINE_TIMEOUT):
        """Until the engine exits, or ``until()`` holds (then it is stopped); fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while self.process.poll() is None:
                if until is not None and until():
                    return self.stop()
                assert time.monotonic() < deadline, 'ansible-rulebook still running after %d s:\n%s' % (timeout, self.tail())
                time.sleep(0.5)
            return self.process.returncode
        finally:
            self.stop()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode if self.process is not None else None

    def output(self):
        return self.output_path.read_text(errors='replace') if self.output_path.exists() else ''

    def tail(self, size=6000):
        return self.runner.guard.mask(self.output()[-size:])

    def scan(self):
        self.runner.guard.assert_clean(self.output(), 'the output of ansible-rulebook (%s)' % self.output_path.name)


@pytest.fixture
def engine_runner(run_dir, leak_guard, emulator):
    return PlaybookRunner(run_dir, leak_guard, emulator=emulator)


def engine(engine_runner, run_dir, name):
    return Engine(engine_runner, run_dir, name)


def set_clock(emulator, offset_seconds):
    emulator.admin('POST', 'clock', {'offset_seconds': offset_seconds})


def provision(engine_runner, name, inventory):
    return engine_runner.run(name, [{'ansible.builtin.import_playbook': str(REPO_ROOT / 'playbooks' / 'provision.yml')}],
                             inventory=str(inventory), diff=False, save_results=False, env=ssh_env())


def test_an_old_key_is_rotated_by_the_rotate_rulebook(emulator, engine_runner, run_dir, tmp_path, test_hosts):
    fresh(emulator)
    hosts = ('eda1', 'eda2')
    inventory = write_inventory(tmp_path / 'inventory.yml', [APP], hosts)

    def deployed():
        return dict((host, held_key(host)) for host in hosts)

    # provisioned 100 days ago (the emulator's clock), so the key is 100 days old now
    set_clock(emulator, -100 * 86400)
    provisioned = provision(engine_runner, 'eda-provision', inventory)
    set_clock(emulator, 0)
    assert provisioned.returncode == 0, engine_runner.failure_text(provisioned)
    old = deployed()
    assert old['eda1'] == old['eda2'] and key_statuses(emulator, APP) == {old['eda1']: 'Active'}

    run = engine(engine_runner, run_dir, 'eda-rotate').start('rotate_old_keys', inventory, {
        'aliyun_ram_once': True, 'aliyun_ram_max_age_days': 90, 'aliyun_ram_user_names': [APP]}, tmp_path)
    run.wait()
    run.scan()
    output = run.output()
    # --print-events shows each event as a Python dict
    assert "'type': 'key_too_old'" in output and "'access_key_id': '%s'" % old['eda1'] in output, run.tail()
    new = deployed()
    assert new['eda1'] == new['eda2'] != old['eda1'], run.tail()
    assert key_statuses(emulator, APP) == {old['eda1']: 'Inactive', new['eda1']: 'Active'}, run.tail()
    assert 'PLAY RECAP' in output and 'failed=0' in output and 'failed=1' not in output, run.tail()


def test_unexpected_use_is_contained_once(emulator, engine_runner, run_dir, tmp_path, test_hosts):
    """The rule runs the collection's playbooks/respond.yml for the key: the test host holding it gets a replacement
    and the key is deactivated and recorded as compromised, once, although the engine polls again and again."""
    fresh(emulator)
    inventory = write_inventory(tmp_path / 'inventory.yml', [LEAKY], ['eda-ir1'])
    provisioned = provision(engine_runner, 'eda-provision-leaky', inventory)
    assert provisioned.returncode == 0, engine_runner.failure_text(provisioned)
    key_id = held_key('eda-ir1')
    assert key_statuses(emulator, LEAKY) == {key_id: 'Active'}
    # used from the loopback (expected), then from an address nobody expects
    emulator.admin('POST', 'events', {'events': [
        {'access_key_id': key_id, 'source_ip': '127.0.0.1', 'event_name': 'GetUser'},
        {'access_key_id': key_id, 'source_ip': UNEXPECTED_IP, 'event_name': 'ListUsers'}]})
    emulator.admin('POST', 'propagation/flush')
    report = tmp_path / 'respond-report' / 'respond.json'
    state_file = tmp_path / 'eda-state.json'
    variables = {'aliyun_ram_expected_source_cidrs': ['127.0.0.0/8'], 'aliyun_ram_poll_interval': 1,
                 'aliyun_ram_state_file': str(state_file)}
    emulator.reset_counters()

    def polls():
        return emulator.counters()['actions'].get('LookupEvents', {}).get('calls', 0)

    def created():
        return emulator.counters()['actions'].get('CreateAccessKey', {}).get('calls', 0)

    # polling every second: the response runs once, and the next polls (at least three more) find nothing new
    run = engine(engine_runner, run_dir, 'eda-contain').start('contain_unexpected_use', inventory, variables, tmp_path)
    after_first = []

    def three_more_polls():
        if not report.exists():
            return False
        after_first.append(after_first[0] if after_first else polls())
        return polls() >= after_first[0] + 3

    run.wait(until=three_more_polls)
    run.scan()
    replacement = held_key('eda-ir1')
    assert replacement != key_id and key_statuses(emulator, LEAKY) == {key_id: 'Inactive', replacement: 'Active'}, run.tail()
    assert created() == 1, run.tail()
    incident, = json.loads(report.read_text())['incidents']
    assert (incident['decision'], incident['user_name'], incident['status_after']) == ('contain', LEAKY, 'Inactive')
    assert UNEXPECTED_IP in incident['source_ips']
    assert run.output().count("'type': 'key_used_from_unexpected_source'") == 1, run.tail()
    assert "'source_ip': '%s'" % UNEXPECTED_IP in run.output() and "'user_name': '%s'" % LEAKY in run.output()
    assert stat_mode(state_file) == 0o600

    # restarted with the same state file: the condition was reported, nothing runs again
    again = engine(engine_runner, run_dir, 'eda-contain-again').start(
        'contain_unexpected_use', inventory, dict(variables, aliyun_ram_once=True), tmp_path)
    again.wait()
    again.scan()
    assert created() == 1 and key_statuses(emulator, LEAKY) == {key_id: 'Inactive', replacement: 'Active'}, again.tail()
    assert 'key_used_from_unexpected_source' not in again.output(), again.tail()
    engine_runner.guard.assert_files_clean(report, state_file)


def stat_mode(path):
    return os.stat(str(path)).st_mode & 0o777
