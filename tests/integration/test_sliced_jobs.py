# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sliced AWX job, as AWX runs it: four ansible-runner runs of playbooks/provision.yml at once, each with its own
private data directory and its own copy of the project, each limited to its slice (AWX takes the inventory's hosts
sorted by name, and slice k of N gets every Nth host from the kth), sharing nothing but the (emulated) cloud account:
the secrets travel through the KMS secret store, and the slices take turns per user with its claims.

40 test hosts (network namespaces with sshd, tests/hosts/hostctl: needs root, skipped visibly otherwise), 5 RAM users
that every slice uses, 20% of all calls (RAM, STS and KMS) throttled:

* every user ends with exactly one active key, every host of a user holds that key, the store names it (no orphan), and
  a second sliced run makes no write call;
* a slice SIGKILLed right after it claimed a user: the other slices finish within the claim's lease plus a bounded
  wait, and after the next run no orphan key remains.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.support.fixtures import fresh
from tests.support.leaks import LeakGuard
from tests.support.netns_hosts import NEEDS_TEST_HOSTS, SSH_OPTIONS, hostctl, hosts_up, ssh
from tests.support.playbook import REPO_ROOT, ensure_collection_link, user_keys

# the collection's own code, from this checkout, to read the KMS store as the slices left it
if str(ensure_collection_link()) not in sys.path:
    sys.path.insert(0, str(ensure_collection_link()))
# pylint: disable=wrong-import-position,wrong-import-order
from ansible_collections.aliyun.ram.plugins.module_utils._kms_store import HELD, RELEASED, KmsStore, claim_state
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import Auth, Connection, connect

HOSTS = dict(('slice%02d' % index, '10.99.7.%d' % (200 + index)) for index in range(40))
USERS = ['slice-user-%d' % index for index in range(5)]
SLICES = 4
PREFIX = 'it-slices/'
LEASE_SECONDS = 20
# four ansible-playbook runs on a shared 2-core machine, each over 10 hosts, under throttling
RUN_SECONDS = 420

pytestmark = NEEDS_TEST_HOSTS


@pytest.fixture(scope='module')
def test_hosts():
    with hosts_up(HOSTS) as hosts:
        yield hosts


def awx_slices(hosts, count):
    """The hosts of each slice as AWX computes them: sorted by name, slice k gets hosts[k-1::count]."""
    ordered = sorted(hosts)
    return [ordered[index::count] for index in range(count)]


def inventory_data():
    hosts = {}
    for index, (name, address) in enumerate(sorted(HOSTS.items())):
        # consecutive hosts have different users, so that every user spans every slice
        user = USERS[index % len(USERS)]
        hosts[name] = {'ansible_host': address, 'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': '/etc/slices/app.env'}]}]}
    return {'all': {'hosts': hosts, 'vars': {
        'ansible_user': 'root', 'ansible_python_interpreter': '/usr/bin/python3',
        'provision_users': [{'name': user} for user in USERS],
        'provision_secret_store_backend': 'kms',
        'provision_secret_store_name_prefix': PREFIX,
        'provision_secret_store_lease_seconds': LEASE_SECONDS}}}


class Slice:
    """One ansible-runner run in its own private data directory, with its own copy of the project."""

    def __init__(self, root, index, hosts, env):
        self.index, self.hosts = index, hosts
        self.data_dir = root / ('slice-%d' % index)
        shutil.copytree(REPO_ROOT / 'playbooks', self.data_dir / 'project', ignore=shutil.ignore_patterns('inventory'))
        (self.data_dir / 'inventory').mkdir()
        (self.data_dir / 'inventory' / 'hosts.json').write_text(json.dumps(inventory_data()))
        (self.data_dir / 'env').mkdir()
        (self.data_dir / 'env' / 'envvars').write_text(json.dumps(env))
        self.process = None

    def start(self, name):
        self.log = self.data_dir / ('%s.log' % name)
        handle = open(self.log, 'wb')  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            ['ansible-runner', 'run', str(self.data_dir), '-p', 'provision.yml', '--limit', ','.join(self.hosts),
             '--ident', '%s-%d' % (name, self.index)],
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        return self

    def wait(self, timeout):
        return self.process.wait(timeout=timeout)

    def owns(self, pid):
        """Whether ``pid`` is this slice's ansible-runner or one of its descendants (ansible-runner starts
        ansible-playbook in a session of its own, so process groups do not tell)."""
        while pid > 1:
            if pid == self.process.pid:
                return True
            pid = parent_of(pid)
        return False

    def kill(self):
        """SIGKILL this slice's whole process tree at once, as a lost execution node would end it."""
        for pid in [self.process.pid] + descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def output(self):
        return self.log.read_text(errors='replace')


def parent_of(pid):
    try:
        with open('/proc/%d/stat' % pid, encoding='ascii', errors='replace') as handle:
            return int(handle.read().rsplit(')', 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def descendants(root):
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            children.setdefault(parent_of(int(entry)), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run_slices(slices, name, timeout=RUN_SECONDS):
    started = time.monotonic()
    for one in slices:
        one.start(name)
    codes = [one.wait(max(1, timeout - (time.monotonic() - started))) for one in slices]
    return codes, time.monotonic() - started


def on_every_host(command):
    """{host: stdout} of ``command`` on every test host."""
    return dict((name, ssh(address, command, check=False)) for name, address in HOSTS.items())


def held_on_hosts():
    """{host: key id} of the env file on every test host."""
    found = {}
    for name, text in on_every_host('cat /etc/slices/app.env').items():
        values = dict(line.split('=', 1) for line in text.splitlines() if '=' in line)
        found[name] = values.get('ALIBABA_CLOUD_ACCESS_KEY_ID')
    return found


def kms_store(emu):
    """The KMS store as the slices see it, read with the collection's own code (the values are read, never shown)."""
    env = emu.env_for('admin')
    api = connect(Auth(env['ALIBABA_CLOUD_ACCESS_KEY_ID'], env['ALIBABA_CLOUD_ACCESS_KEY_SECRET']),
                  Connection(endpoint=env['ALIBABA_CLOUD_RAM_ENDPOINT'], sts_endpoint=env['ALIBABA_CLOUD_STS_ENDPOINT'],
                             kms_endpoint=env['ALIBABA_CLOUD_KMS_ENDPOINT']))
    return KmsStore(api, PREFIX, LEASE_SECONDS)


def assert_no_leak(emu, slices):
    """No secret of the session in anything the slices left: ansible-runner's artifacts (stdout, job events), the
    logs, the project copies. The controller's own credentials are in each slice's env/envvars, as AWX passes them,
    and ansible-runner records that environment in artifacts/<ident>/command: there, and only there, they are
    allowed, and no other secret."""
    guard = LeakGuard(emu.all_secrets)
    own = set(emu.env_for('admin').values())
    passed_in = [one.data_dir / 'env' / 'envvars' for one in slices]
    passed_in += [path for one in slices for path in (one.data_dir / 'artifacts').glob('*/command')]
    guard.assert_files_clean(*[one.data_dir for one in slices], allowed=passed_in)
    guard.assert_files_clean(*passed_in, secrets=[secret for secret in guard.secrets() if secret not in own])


def assert_converged(emu):
    keys = dict((user, ids) for user, ids in user_keys(emu.state()).items() if user in USERS)
    assert sorted(keys) == sorted(USERS) and all(len(ids) == 1 for ids in keys.values()), keys
    expected = dict((name, keys[USERS[index % len(USERS)]][0]) for index, name in enumerate(sorted(HOSTS)))
    assert held_on_hosts() == expected
    store = kms_store(emu)
    for user in USERS:
        assert store.read_entry(user)['access_key_id'] == keys[user][0], 'the store does not name the key of %s' % user
        assert claim_state(store.read_claim(user), time.time()) == RELEASED


def env_for(emulator):
    env = emulator.env_for('admin')
    env.update({'ANSIBLE_FORKS': '10', 'ANSIBLE_COLLECTIONS_PATH': str(ensure_collection_link()), 'ANSIBLE_PIPELINING': '1',
                'ANSIBLE_HOST_KEY_CHECKING': 'false', 'ANSIBLE_PRIVATE_KEY_FILE': hostctl('key').strip(),
                'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=60s ' + SSH_OPTIONS})
    return env


def test_four_slices_share_nothing_but_the_account_and_converge_on_one_key_per_user(emulator, test_hosts, tmp_path):
    fresh(emulator)
    env = env_for(emulator)
    slices = [Slice(tmp_path, index, hosts, env) for index, hosts in enumerate(awx_slices(test_hosts, SLICES))]
    emulator.set_faults(throttle_rate=0.2)
    codes, dummy = run_slices(slices, 'first')
    emulator.clear_faults()
    assert codes == [0] * SLICES, '\n'.join(one.output()[-4000:] for one in slices)
    assert_converged(emulator)

    emulator.reset_counters()
    codes, dummy = run_slices(slices, 'again')
    assert codes == [0] * SLICES, '\n'.join(one.output()[-4000:] for one in slices)
    assert emulator.counters()['writes'] == 0
    assert_no_leak(emulator, slices)


def claim_holders(store):
    """The runs holding a claim now, as ``hostname:pid:nonce``."""
    holders = []
    for user in USERS:
        claim = store.read_claim(user)
        if claim and claim_state(claim, time.time()) == HELD:
            holders.append(claim['holder'])
    return holders


def test_a_slice_killed_right_after_claiming_is_taken_over_and_leaves_no_orphan(emulator, test_hosts, tmp_path):
    fresh(emulator)
    # a fresh account: the hosts must not hold keys it never made (each would be waited for, the consistency window,
    # inside the claims: longer than this test's short lease)
    on_every_host('rm -rf /etc/slices')
    env = env_for(emulator)
    slices = [Slice(tmp_path, index, hosts, env) for index, hosts in enumerate(awx_slices(test_hosts, SLICES))]
    started = time.monotonic()
    for one in slices:
        one.start('doomed')
    victim, store = None, kms_store(emulator)
    while victim is None and time.monotonic() - started < RUN_SECONDS:
        for holder in claim_holders(store):
            pid = int(holder.split(':')[1])
            victim = next((one for one in slices if one.owns(pid)), None)
            if victim:
                break
        time.sleep(0.02)
    assert victim is not None, 'no slice was seen holding a claim'
    victim.kill()
    killed_at = time.monotonic()
    survivors = [one for one in slices if one is not victim]
    codes = [one.wait(RUN_SECONDS) for one in survivors]
    assert codes == [0] * len(survivors), '\n'.join(one.output()[-4000:] for one in survivors)
    # within the dead slice's lease plus a bounded wait (the survivors' own work included)
    assert time.monotonic() - killed_at < LEASE_SECONDS * 2 + 120

    # the next run of the killed slice (as the next job would) leaves every user one key, held everywhere and stored
    assert victim.start('retry').wait(RUN_SECONDS) == 0, victim.output()[-4000:]
    assert_converged(emulator)
    assert_no_leak(emulator, slices)
