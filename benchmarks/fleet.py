#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet benchmark: playbooks/provision.yml on many test hosts, cold and converged, against a baseline of the same run.

--hosts test hosts (tests/hosts/hostctl, 10.99.7.100 and up; default 100) hold one env credential file each for one of
10 users shared by the fleet, and the first 10 hosts a second file for a user of their own (20 users). For each added
API latency (--latency, default 0,50 ms), from a fresh emulator:

* cold: the first provision run (users and keys created, every file written; the files of users the run creates are
  not read, so each host is contacted once);
* converged: the same run again (asserted: 0 write calls);
* baseline: what no design of the collection can avoid, measured in the same run: an ``ansible.builtin.ping`` play over
  the same hosts with the same forks, plus a play of the controller's own two batch tasks (``ram_users`` and
  ``ram_access_keys`` for the same users, converged). Converged run and baseline alternate for --runs rounds (default
  3); the converged verdict is the median of the rounds' ratios, the cold one uses the first round's baseline.

Printed: wall seconds; SSH round trips per host (min/median/max: ssh, sftp and scp invocations naming the host's
address, counted through wrappers); API calls by action; converged / baseline and cold / baseline; the peak RSS of
the largest controller process (ansible-playbook or one of its workers). Targets (issue "Speed"): converged <= 1.3x
the baseline, cold <= 2x, 1 round trip per host converged, 0 writes converged. Needs root (network namespaces).
A benchmark, never a timed test: absolute seconds depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BIN, BRIDGE_IP, COLLECTIONS_DIR, HOSTCTL, REPO_ROOT, Bench, log, ssh_counting_env  # noqa: E402

from tests.support.emulator import Emulator, read_env_file  # noqa: E402  pylint: disable=wrong-import-position

FIRST_HOST = 100
SHARED_USERS = 10
OWN_USERS = 10
TARGETS = {'converged_ratio': 1.3, 'cold_ratio': 2.0}
# where tests/hosts/hostctl keeps each host's root filesystem (its HOSTCTL_BASE, the same default)
HOSTS_DIR = Path(os.environ.get('HOSTCTL_BASE', '/var/tmp/aliyun-ram-hosts')) / 'hosts'


def address(index):
    return '10.99.7.%d' % (FIRST_HOST + index)


class Fleet(Bench):
    def __init__(self, args, work, names, key):
        super().__init__(args, work)
        self.names = names
        self.shared = ['fleet-shared-%02d' % i for i in range(SHARED_USERS)]
        self.own = ['fleet-own-%02d' % i for i in range(min(OWN_USERS, len(names)))]
        self.inventory = self.work / 'fleet-inventory.json'
        self.inventory.write_text(json.dumps(self.inventory_data(key)))
        self.ssh_env = ssh_counting_env(self.work, args.forks, persist='300s')

    def inventory_data(self, key):
        hosts = {}
        for i, name in enumerate(self.names):
            credentials = [{'user': self.shared[i % SHARED_USERS], 'files': [{'format': 'env', 'path': '/etc/fleet/shared.env'}]}]
            if i < len(self.own):
                credentials.append({'user': self.own[i], 'files': [{'format': 'env', 'path': '/etc/fleet/own.env'}]})
            hosts[name] = {'ansible_host': address(i), 'provision_credentials': credentials}
        return {'all': {'vars': {'ansible_user': 'root', 'ansible_python_interpreter': '/usr/bin/python3',
                                 'ansible_ssh_private_key_file': key,
                                 'provision_users': [{'name': user} for user in self.shared + self.own]},
                        'hosts': hosts}}

    def run(self, what, cmd):
        """(wall seconds, round trips per host) of one ansible-playbook run."""
        ssh_log = self.work / ('ssh-%s.log' % what.replace(' ', '-'))
        if ssh_log.exists():
            ssh_log.unlink()  # a name measured again (the ping play of each round) counts this run only
        elapsed, dummy = self.timed(cmd, env=self.env(dict(self.ssh_env, BENCH_SSH_LOG=str(ssh_log))), what=what)
        per_host = dict.fromkeys(self.names, 0)
        by_address = dict((address(i), name) for i, name in enumerate(self.names))
        for line in ssh_log.read_text().splitlines() if ssh_log.exists() else []:
            for word in line.replace('@', ' ').split():
                if word in by_address:
                    per_host[by_address[word]] += 1
                    break
        return elapsed, sorted(per_host.values())

    def provision(self, what):
        return self.run(what, [str(BIN / 'ansible-playbook'), '-i', str(self.inventory),
                               str(REPO_ROOT / 'playbooks' / 'provision.yml')])

    def baseline(self, latency, two_pings=False):
        ping = self.work / 'ping.yml'
        ping.write_text(json.dumps([{'hosts': 'all', 'gather_facts': False, 'tasks': [{'ansible.builtin.ping': {}}]}]))
        ping_s, trips = self.run('ping', [str(BIN / 'ansible-playbook'), '-i', str(self.inventory), str(ping)])
        if two_pings:
            # what a cold fleet would cost if each host were read and then written (hosts whose users exist already):
            # two module runs per host; the role reads no file of a user it has just created
            ping.write_text(json.dumps([{'hosts': 'all', 'gather_facts': False,
                                         'tasks': [{'ansible.builtin.ping': {}}, {'ansible.builtin.ping': {}}]}]))
            self.two_pings_s, dummy = self.run('ping twice', [str(BIN / 'ansible-playbook'), '-i', str(self.inventory), str(ping)])
        users = self.shared + self.own
        # the copies the converged fleet holds, as the role passes them: the batch task keeps them (no key is created)
        held = self.held_copies()
        batch_s = self.playbook('batch-%d' % latency, [
            {'name': 'Ensure the users', 'aliyun.ram.ram_users': {'users': [{'name': user} for user in users],
                                                                  'report': 'changes'}},
            {'name': 'Reconcile their keys', 'aliyun.ram.ram_access_keys': {'users': users, 'held': held}, 'no_log': True},
        ], env=self.env())
        if self.counted()['writes']:
            raise SystemExit('the baseline batch tasks made write calls: they must be converged')
        return ping_s, batch_s, trips

    def held_copies(self):
        """What the hosts' credential files hold, one entry per copy, read from their root filesystems on this machine
        (hostctl's overlays) rather than over SSH, which would add to the baseline."""
        held = []
        for i, name in enumerate(self.names):
            root = HOSTS_DIR / name / 'upper'  # the files the runs wrote (the overlay's upper layer)
            files = [('shared.env', self.shared[i % SHARED_USERS])] + ([('own.env', self.own[i])] if i < len(self.own) else [])
            for file_name, user in files:
                values = read_env_file(str(root / 'etc' / 'fleet' / file_name))
                held.append({'user_name': user, 'access_key_id': values['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                             'access_key_secret': values['ALIBABA_CLOUD_ACCESS_KEY_SECRET'], 'host': name})
        return held

    def wipe_hosts(self):
        """Remove the credential files an earlier run left: a fresh emulator does not know their keys, and a held key
        that RAM does not list is waited for (the consistency window), which is not what a cold run measures."""
        self.timed([str(BIN / 'ansible'), 'all', '-i', str(self.inventory), '-m', 'ansible.builtin.file',
                    '-a', 'path=/etc/fleet state=absent'], env=self.env(dict(self.ssh_env, BENCH_SSH_LOG=str(self.work / 'ssh-wipe.log'))),
                   what='wipe the fleet files')

    def measure(self, latency):
        section = '%d ms' % latency
        self.wipe_hosts()
        self.fresh(latency)
        cold_s, cold_trips = self.provision('provision cold %d ms' % latency)
        cold = self.counted()
        # Round robin: a converged run, then its baseline, --runs times, so that the machine's drift (its speed moves by
        # a third between runs an hour apart) falls on both sides of each ratio; the verdict is the median ratio.
        rounds = []
        for index in range(self.args.runs):
            converged_s, converged_trips = self.provision('provision converged %d ms (%d)' % (latency, index + 1))
            converged = self.counted()
            if converged['writes']:
                raise SystemExit('the converged provision made %d write calls: %s' % (converged['writes'], self.by_action(converged)))
            ping_s, batch_s, ping_trips = self.baseline(latency, two_pings=index == 0)
            rounds.append((converged_s / (ping_s + batch_s), converged_s, ping_s, batch_s))
        ratio, converged_s, ping_s, batch_s = sorted(rounds)[(len(rounds) - 1) // 2]
        baseline_s = ping_s + batch_s
        hosts = '%d hosts / %d users' % (len(self.names), len(self.shared) + len(self.own))
        self.row(section, 'provision %s cold: wall s (forks %d)' % (hosts, self.args.forks), '%.1f' % cold_s)
        self.row(section, 'provision cold: API calls', '%d, %d writes (%s)' % (
            cold['reads'] + cold['writes'], cold['writes'], self.by_action(cold)))
        self.row(section, 'provision cold: SSH round trips per host min/median/max', spread(cold_trips))
        self.row(section, 'provision %s converged: wall s (the round of the median ratio)' % hosts, '%.1f' % converged_s)
        self.row(section, 'provision converged: API calls', '%d, %d writes (%s)' % (
            converged['reads'] + converged['writes'], converged['writes'], self.by_action(converged)))
        self.row(section, 'provision converged: SSH round trips per host min/median/max', spread(converged_trips))
        self.row(section, 'baseline: ping play (round trips per host %s) + the two batch tasks: wall s' % spread(ping_trips),
                 '%.1f + %.1f = %.1f' % (ping_s, batch_s, baseline_s))
        floor_s = self.two_pings_s + rounds[0][3]
        first_baseline_s = rounds[0][2] + rounds[0][3]
        self.row(section, 'floor of a read-then-write cold run: a play of two ping tasks + the two batch tasks (round 1): wall s (/ its baseline)',
                 '%.1f + %.1f = %.1f (%.2fx)' % (self.two_pings_s, rounds[0][3], floor_s, floor_s / first_baseline_s))
        self.row(section, 'converged / baseline, each round (%d rounds)' % len(rounds),
                 ', '.join('%.2fx' % entry[0] for entry in rounds))
        self.row(section, 'converged / baseline (median of the rounds)', '%.2fx' % ratio)
        cold_ratio = cold_s / first_baseline_s
        self.row(section, 'cold / baseline (round 1)', '%.2fx' % cold_ratio)
        self.verdict('converged <= %.1fx baseline (%s)' % (TARGETS['converged_ratio'], section), '%.2fx' % ratio,
                     round(ratio, 2) <= TARGETS['converged_ratio'])
        self.verdict('cold <= %.1fx baseline (%s)' % (TARGETS['cold_ratio'], section), '%.2fx' % cold_ratio,
                     round(cold_ratio, 2) <= TARGETS['cold_ratio'])
        self.verdict('1 SSH round trip per host converged (%s)' % section, spread(converged_trips), converged_trips[-1] <= 1)
        self.verdict('0 writes converged (%s)' % section, str(converged['writes']), converged['writes'] == 0)

    def report(self, run_seconds):
        # ru_maxrss of the children: the largest process the runs started (ansible-playbook or a worker), in KiB
        self.row('all', 'controller peak RSS (largest ansible-playbook process): MiB',
                 '%.0f' % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0))
        super().report(run_seconds)


def spread(values):
    return '%d / %d / %d' % (values[0], statistics.median_low(values), values[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=100, help='test hosts (default 100)')
    parser.add_argument('--latency', default='0,50', help='comma-separated added API latencies in ms (default 0,50)')
    parser.add_argument('--forks', type=int, default=25, help='ansible forks (default 25)')
    parser.add_argument('--runs', type=int, default=3,
                        help='rounds of converged run + baseline, the verdict is the median ratio (default 3)')
    args = parser.parse_args()
    if os.geteuid() != 0 or not HOSTCTL.exists():
        raise SystemExit('needs root and tests/hosts/hostctl (network namespaces)')
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT)
    names = ['fleet%03d' % i for i in range(args.hosts)]
    started = time.perf_counter()
    key = subprocess.run([str(HOSTCTL), 'key'], check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    subprocess.run([str(HOSTCTL), 'image'], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(HOSTCTL), 'bridge-up'], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix='aliyun-ram-fleet-') as work:
        try:
            log('starting %d test hosts' % len(names))
            for i, name in enumerate(names):
                subprocess.run([str(HOSTCTL), 'up', name, address(i)], check=True, stdout=subprocess.DEVNULL)
            fleet = Fleet(args, work, names, key)
            os.makedirs(os.path.join(work, 'emulator'))
            with Emulator(host=BRIDGE_IP, state_dir=os.path.join(work, 'emulator')) as emu:
                fleet.emu = emu
                for latency in [int(x) for x in args.latency.split(',') if x.strip()]:
                    log('fleet at %d ms' % latency)
                    fleet.measure(latency)
            fleet.report(time.perf_counter() - started)
        finally:
            for name in names:
                subprocess.run([str(HOSTCTL), 'down', name], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return 0


if __name__ == '__main__':
    sys.exit(main())
