# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two provision runs started at the same time for the same users (runs last: it is the slowest case).

Without a shared secret store this cannot be made safe: run B cannot learn the secret of the key run A
has just created, so it must create its own. With `provision_secret_store` the role takes a lock around
reading the store, reconciling and writing the store, so B waits and then finds A's keys.

The runs provably meet at the lock: the test holds the store's lock itself (tests/support/locks.py) until both runs
have opened it, so both are waiting inside the locked step at once; then they can only go one after the other. Each
API call is slowed down (latency) so that the second run's wait is long and visible in the runs' time spans too.
The store is checked to be vault-encrypted, and the runs' output for the vault password as well.

Pseudo-hosts with a local connection: what is under test is the controller step; the per-host part
only writes files, here in one directory per host.
"""

from __future__ import annotations

import yaml

from tests.support.playbook import REPO_ROOT, user_keys
from tests.support.faults import failure_text
from tests.support.leaks import assert_vault_encrypted
from tests.support.locks import GateLock

USERS = ['conc-user-%d' % i for i in range(5)]
HOSTS = ['conc-host-%d' % i for i in range(4)]
VAULT_PASSWORD = 'faults-suite-vault-password'
LATENCY_MS = 100


def read_env(path):
    return dict(line.split('=', 1) for line in path.read_text().splitlines() if '=' in line)


def test_two_concurrent_provision_runs_create_one_key_per_user(ansible, emu, tmp_path):
    """Fails without the store's lock (checked: StoreLock.__enter__ returning at once): both runs, released together,
    read an empty store and each creates a key per user; fails as well if the runs never met at the lock (a run
    ending before both waited there) or the store is written unencrypted."""
    host_dirs = {host: tmp_path / host for host in HOSTS}
    inventory = {'all': {
        'vars': {
            'ansible_connection': 'local',
            'provision_users': [{'name': user} for user in USERS],
            'provision_secret_store': str(tmp_path / 'store' / 'ram-keys.vault.yml'),
        },
        'hosts': {host: {'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': str(host_dirs[host] / ('%s.env' % user))}]}
            for user in USERS]} for host in HOSTS},
    }}
    (tmp_path / 'store').mkdir()
    inventory_file = tmp_path / 'inventory.yml'
    inventory_file.write_text(yaml.safe_dump(inventory))
    password_file = tmp_path / 'vault-pass'
    password_file.write_text(VAULT_PASSWORD + '\n')
    password_file.chmod(0o600)
    plays = yaml.safe_load((REPO_ROOT / 'playbooks' / 'provision.yml').read_text())
    env = {'ANSIBLE_VAULT_PASSWORD_FILE': str(password_file)}

    store = tmp_path / 'store' / 'ram-keys.vault.yml'
    emu.set_faults(latency_ms=LATENCY_MS)
    with GateLock(store) as gate:
        runs = [ansible.start('concurrent-%s' % name, plays, inventory=str(inventory_file), env=env) for name in 'ab']
        gate.release_when(2, lambda: all(handle[1].poll() is None for handle in runs))
    finished = [ansible.finish(handle, secrets=[VAULT_PASSWORD]) for handle in runs]
    emu.clear_faults()
    for run in finished:
        assert run.returncode == 0, failure_text(run, emu)
    # both runs waited at the lock at once (lock-wait evidence), and their time spans overlap
    assert len(gate.waiting_at_release) >= 2, gate.waiting_at_release
    first, second = sorted(finished, key=lambda run: run.ended)
    assert second.started < first.ended
    assert_vault_encrypted(store)

    keys = user_keys(emu.state())
    assert {user: len(keys.get(user, [])) for user in USERS} == {user: 1 for user in USERS}
    secrets = set(emu.secrets())
    for user in USERS:
        deployed = {host: read_env(host_dirs[host] / ('%s.env' % user)) for host in HOSTS}
        pairs = {(d['ALIBABA_CLOUD_ACCESS_KEY_ID'], d['ALIBABA_CLOUD_ACCESS_KEY_SECRET']) for d in deployed.values()}
        assert len(pairs) == 1, 'the hosts of %s hold different keys' % user
        key_id, secret = pairs.pop()
        assert [key_id] == keys[user] and secret in secrets
