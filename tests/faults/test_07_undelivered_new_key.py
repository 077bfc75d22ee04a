# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A new user's files are written without a read: when every host of that user is unreachable or fails its write,
the key created for it is deleted again, so that no Active key is left that nobody holds.

The provision role ensures the users before it reads the hosts, and does not read the files of a user it has just
created (nothing can hold its key yet). A cold host is then first contacted by the write, after the key exists. This
is the case the read used to catch before any key was made: a host that is down, or whose file cannot be merged.

Pseudo-hosts with a local connection, one directory per host; the unreachable host points SSH at a closed local port.
"""

from __future__ import annotations

import re
import socket

import yaml

from tests.support.faults import failure_text
from tests.support.playbook import REPO_ROOT, user_keys

SHARED, LOST_OWN, BAD_OWN = 'nk-shared', 'nk-lost-own', 'nk-bad-own'
# not UTF-8: the env format cannot merge into it
UNMERGEABLE = b'\x00\xff\xfe\x80garbage\n'


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_inventory(tmp_path, lost_reachable=False):
    """good: the shared user; lost (unreachable unless ``lost_reachable``): the shared user and its own; bad: its own
    user, in a file that cannot be merged."""
    files = tmp_path / 'files'
    hosts = {}
    for host, users in (('good', [SHARED]), ('lost', [SHARED, LOST_OWN]), ('bad', [BAD_OWN])):
        (files / host).mkdir(parents=True, exist_ok=True)
        hosts[host] = {'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': str(files / host / ('%s.env' % user))}]} for user in users]}
    if not lost_reachable:
        hosts['lost'].update(ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=closed_port(),
                             ansible_ssh_common_args='-o ConnectTimeout=3 -o BatchMode=yes')
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local', 'provision_users': [{'name': name} for name in (SHARED, LOST_OWN, BAD_OWN)]},
        'hosts': hosts}}))
    return inventory, files


def provision_plays():
    return yaml.safe_load((REPO_ROOT / 'playbooks' / 'provision.yml').read_text())


def recap(output):
    found = {}
    for host, counters in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', output, re.M):
        found[host] = dict((name, int(value)) for name, value in re.findall(r'(\w+)=(\d+)', counters))
    return found


def env_key_id(path):
    return dict(line.split('=', 1) for line in path.read_text().splitlines() if '=' in line)['ALIBABA_CLOUD_ACCESS_KEY_ID']


def test_the_new_key_of_a_new_user_that_no_host_received_is_deleted_and_made_again_next_time(ansible, emu, tmp_path):
    inventory, files = write_inventory(tmp_path)
    bad_file = files / 'bad' / ('%s.env' % BAD_OWN)
    bad_file.write_bytes(UNMERGEABLE)
    bad_file.chmod(0o600)

    run = ansible.run('undelivered-new-key', provision_plays(), inventory=str(inventory))

    assert run.returncode != 0
    counters = recap(run.output)
    assert counters['good']['failed'] == 0 and counters['lost']['failed'] == 1 and counters['bad']['failed'] == 1, \
        failure_text(run, emu)
    keys = user_keys(emu.state())
    # the shared user's key reached the good host and stays; the two own users' keys reached nobody and are gone
    assert keys.get(SHARED) == [env_key_id(files / 'good' / ('%s.env' % SHARED))]
    assert keys.get(LOST_OWN, []) == [] and keys.get(BAD_OWN, []) == [], keys
    assert {LOST_OWN, BAD_OWN} <= set(emu.state()['users'])
    assert bad_file.read_bytes() == UNMERGEABLE
    assert re.search(r'AccessKeys created and deleted again, as no host received them: %s \S+, %s \S+'
                     % (BAD_OWN, LOST_OWN), run.output), failure_text(run, emu)
    assert re.search(r'lost: its credential files were not written \(unreachable\)', run.output), failure_text(run, emu)

    # once the host is back and the file fixed, each user ends with exactly one key, the one its files hold
    inventory, files = write_inventory(tmp_path, lost_reachable=True)
    bad_file.unlink()
    again = ansible.run('undelivered-new-key-again', provision_plays(), inventory=str(inventory))
    assert again.returncode == 0, failure_text(again, emu)
    keys = user_keys(emu.state())
    assert keys[LOST_OWN] == [env_key_id(files / 'lost' / ('%s.env' % LOST_OWN))]
    assert keys[BAD_OWN] == [env_key_id(bad_file)]
    assert keys[SHARED] == [env_key_id(files / 'lost' / ('%s.env' % SHARED))]


def test_when_the_only_host_of_a_new_user_is_unreachable_its_key_is_deleted_all_the_same(ansible, emu, tmp_path):
    """Every host of the play lost: the play still reaches the deletion before it ends."""
    port = closed_port()
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'provision_users': [{'name': LOST_OWN}]},
        'hosts': {'only': {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': port,
                           'ansible_ssh_common_args': '-o ConnectTimeout=3 -o BatchMode=yes',
                           'provision_credentials': [{'user': LOST_OWN, 'files': [{'format': 'env', 'path': '/x/own.env'}]}]}}}}))

    run = ansible.run('undelivered-only-host', provision_plays(), inventory=str(inventory))

    assert run.returncode != 0 and recap(run.output)['only']['failed'] == 1, failure_text(run, emu)
    assert LOST_OWN in emu.state()['users'] and user_keys(emu.state()).get(LOST_OWN, []) == []
