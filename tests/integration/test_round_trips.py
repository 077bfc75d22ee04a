# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH round trips of playbooks/provision.yml on three test hosts: a cold host (its users new) and a converged host
are contacted once, and a run with one changed host writes to that host only.

The hosts are network namespaces with sshd (tests/hosts/hostctl; needs root, skipped visibly otherwise). Every ssh,
sftp and scp invocation goes through a wrapper that logs its arguments; an invocation is one round trip (pipelining
is on, so a module run is one ssh invocation and nothing is copied).
"""

from __future__ import annotations

import json

import pytest

from tests.support.fixtures import fresh
from tests.support.netns_hosts import NEEDS_TEST_HOSTS, SSH_OPTIONS, hostctl, hosts_up, ssh
from tests.support.playbook import REPO_ROOT

HOSTS = {'trip1': '10.99.7.81', 'trip2': '10.99.7.82', 'trip3': '10.99.7.83'}
SHARED, OWN = 'trip-shared', 'trip-own'
WRAPPER = '''#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
exec /usr/bin/{tool} "$@"
'''

pytestmark = NEEDS_TEST_HOSTS


@pytest.fixture
def test_hosts():
    with hosts_up(HOSTS) as hosts:
        yield hosts


def write_inventory(tmp_path):
    hosts = {}
    for name, address in HOSTS.items():
        credentials = [{'user': SHARED, 'files': [{'format': 'env', 'path': '/etc/trip/shared.env'}]}]
        if name == 'trip3':
            credentials.append({'user': OWN, 'files': [{'format': 'aliyun_cli', 'region': 'cn-hangzhou'},
                                                       {'format': 'env', 'path': '/etc/trip/own.env'}]})
        hosts[name] = {'ansible_host': address, 'provision_credentials': credentials}
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'hosts': hosts, 'vars': {
        'ansible_user': 'root', 'ansible_python_interpreter': '/usr/bin/python3',
        'provision_users': [{'name': SHARED}, {'name': OWN}]}}}))
    return inventory


class Trips:
    """ssh/sftp/scp wrappers that log each invocation; ``count()`` gives {host: invocations} since the last count."""

    def __init__(self, directory):
        self.log = directory / 'ssh.log'
        self.env = {'ANSIBLE_PRIVATE_KEY_FILE': hostctl('key').strip(),
                    'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=60s ' + SSH_OPTIONS}
        for tool in ('ssh', 'sftp', 'scp'):
            wrapper = directory / tool
            wrapper.write_text(WRAPPER.format(log=self.log, tool=tool))
            wrapper.chmod(0o755)
            self.env['ANSIBLE_%s_EXECUTABLE' % tool.upper()] = str(wrapper)

    def count(self):
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        self.log.write_text('')
        by_address = dict((address, name) for name, address in HOSTS.items())
        trips = dict.fromkeys(HOSTS, 0)
        for line in lines:
            for word in line.replace('@', ' ').split():
                if word in by_address:
                    trips[by_address[word]] += 1
                    break
        return trips


def on_host(name, command):
    return ssh(HOSTS[name], command)


def recap_changed(output):
    return dict((parts[0], int(parts[3].split('=')[1])) for parts in (line.split() for line in output.splitlines())
                if len(parts) > 3 and parts[1] == ':' and parts[3].startswith('changed='))


def test_a_converged_fleet_is_contacted_once_per_host_and_a_changed_host_alone_is_written(runner, emulator, test_hosts, tmp_path):
    fresh(emulator)
    inventory = write_inventory(tmp_path)
    trips = Trips(tmp_path)
    plays = [{'ansible.builtin.import_playbook': str(REPO_ROOT / 'playbooks' / 'provision.yml')}]

    def provision(name):
        run = runner.run(name, plays, inventory=str(inventory), env=dict(trips.env), diff=False, save_results=False)
        assert run.returncode == 0, runner.failure_text(run, 6000)
        return run

    provision('cold')
    # the users are created by this run: nothing a host holds can be their key, so no host is read, only written
    # (trip3: its three files in one module run)
    assert trips.count() == {'trip1': 1, 'trip2': 1, 'trip3': 1}

    emulator.reset_counters()
    converged = provision('converged')
    assert trips.count() == {'trip1': 1, 'trip2': 1, 'trip3': 1}
    assert emulator.counters()['writes'] == 0
    assert set(recap_changed(converged.output).values()) == {0}

    # trip2's file loses its mode: trip2 alone is contacted again, to write that file
    on_host('trip2', 'chmod 0644 /etc/trip/shared.env')
    touched = provision('one-host-changed')
    assert trips.count() == {'trip1': 1, 'trip2': 2, 'trip3': 1}
    changed = recap_changed(touched.output)
    assert (changed['trip1'], changed['trip3']) == (0, 0) and changed['trip2'] > 0
    assert on_host('trip2', 'stat -c %a /etc/trip/shared.env').strip() == '600'

    # a host that lost its files, for users that exist: read (it might hold a key), then written
    on_host('trip3', 'rm /etc/trip/shared.env /etc/trip/own.env')
    provision('one-host-wiped')
    assert trips.count() == {'trip1': 1, 'trip2': 1, 'trip3': 2}
    assert on_host('trip3', 'stat -c %a /etc/trip/own.env').strip() == '600'
