"""Scale benchmarks of aliyun.ram against the RAM emulator (prints a table; never a timed test).

    python benchmarks/run.py [--latency 0,50] [--users 1000] [--loop-users 30] [--hosts 20] [--no-hosts]

Every figure is a count, or a ratio of two times measured in the same run on the same machine:

1. N users ensured with one aliyun.ram.ram_users task, cold (create) then converged; API calls by action.
   The converged run must make no write call (checked; the run fails otherwise).
2. The same users as a loop over aliyun.ram.ram_user, timed on a sample of --loop-users users; the
   1000-user loop time is EXTRAPOLATED from the measured per-user cost (an N-invocation loop takes ~20 min).
3. Floor: a plain Python script importing the SDK and making exactly the converged run's calls, in sequence.
4. Per-invocation overhead: a playbook with one ram_user_info task against one with one ansible.builtin.ping
   task plus a bare SDK script making one call.
5. playbooks/provision.yml on --hosts test hosts (tests/hosts/hostctl, 10.99.7.100 and up) sharing 5 users,
   cold and converged: wall time, API calls, SSH round trips per host (pipelining on; counted by wrapping the
   ssh/sftp/scp executables, one line per invocation).

Latency is the emulator's `latency_ms` fault, added to every API call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_DIR = REPO_ROOT / '.cache' / 'collections'
HOSTCTL = REPO_ROOT / 'tests' / 'hosts' / 'hostctl'
BRIDGE_IP = '10.99.7.1'
FIRST_HOST = 100
SHARED_USERS = 5
EMULATOR_USER_LIMIT = 1000   # per account, ram-admin included
sys.path.insert(0, str(REPO_ROOT))

from tests.support.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

BIN = Path(sys.executable).parent
PROXY_VARS = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy')

TARGETS = {
    'converged_50ms_s': 20.0,   # converged N users at 50 ms latency, wall seconds
    'batch_vs_loop': 20.0,      # batch at least this many times faster than the loop
    'converged_calls': 2,       # API calls of a converged ram_users run, whatever N (ListUsers pages of 1000)
}

FLOOR_SCRIPT = r'''
import json, os, sys, time
started = time.perf_counter()
from alibabacloud_ram20150501 import models
from alibabacloud_ram20150501.client import Client
from alibabacloud_tea_openapi.utils_models import Config
imported = time.perf_counter()
calls = json.load(open(sys.argv[1]))
client = Client(Config(access_key_id=os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                       access_key_secret=os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                       endpoint=os.environ['ALIBABA_CLOUD_RAM_ENDPOINT'].split('://')[-1], protocol='http'))
for action, user in calls:
    request = getattr(models, action + 'Request')(user_name=user)
    getattr(client, ''.join('_' + c.lower() if c.isupper() else c for c in action).lstrip('_'))(request)
print(json.dumps({'import_s': imported - started, 'calls_s': time.perf_counter() - imported}))
'''

SSH_WRAPPER = '''#!/bin/sh
printf '%s %s\\n' "$(basename "$0")" "$*" >> "$BENCH_SSH_LOG"
exec {real} "$@"
'''


def ssh_counting_env(work, forks, persist='120s'):
    """Ansible's environment for test hosts, with ssh, sftp and scp going through wrappers that log every invocation
    to $BENCH_SSH_LOG (one line each: an SSH round trip)."""
    wrappers = Path(work) / 'ssh-wrappers'
    wrappers.mkdir(exist_ok=True)
    extra = {'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=%s -o StrictHostKeyChecking=no '
                                 '-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR' % persist,
             'ANSIBLE_FORKS': str(forks)}
    for tool in ('ssh', 'sftp', 'scp'):
        wrapper = wrappers / tool
        wrapper.write_text(SSH_WRAPPER.format(real=shutil.which(tool) or '/usr/bin/%s' % tool))
        wrapper.chmod(0o755)
        extra['ANSIBLE_%s_EXECUTABLE' % tool.upper()] = str(wrapper)
    return extra


def log(msg):
    print('... %s' % msg, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = Path(work)
        self.emu = None
        self.rows = []        # (section, figure, value)
        self.verdicts = []    # (target, measured, ok, note)

    # --- plumbing -------------------------------------------------------------------------------
    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        env.update(self.emu.env_for('admin'))
        env.update({'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS_DIR), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
                    'ANSIBLE_PYTHON_INTERPRETER': sys.executable, 'ANSIBLE_PIPELINING': '1',
                    'ANSIBLE_HOST_KEY_CHECKING': 'false', 'ANSIBLE_RETRY_FILES_ENABLED': 'false', 'ANSIBLE_NOCOLOR': '1',
                    'PATH': '%s:%s' % (BIN, os.environ.get('PATH', ''))})
        env.update(extra or {})
        return env

    def timed(self, cmd, env=None, what=''):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env or self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                              cwd=str(REPO_ROOT))
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            sys.stdout.write(proc.stdout.decode(errors='replace')[-5000:])
            raise SystemExit('%s failed (rc %d)' % (what or cmd[0], proc.returncode))
        return elapsed, proc.stdout.decode(errors='replace')

    def playbook(self, name, tasks, extra_vars=None, hosts='localhost', inventory='localhost,', env=None):
        path = self.work / ('%s.yml' % name)
        path.write_text(json.dumps([{'hosts': hosts, 'gather_facts': False, 'vars': {'ansible_connection': 'local'},
                                     'tasks': tasks}]))
        cmd = [str(BIN / 'ansible-playbook'), '-i', inventory, str(path)]
        if extra_vars is not None:
            vars_path = self.work / ('%s.vars.json' % name)
            vars_path.write_text(json.dumps(extra_vars))
            cmd[1:1] = ['-e', '@%s' % vars_path]
        elapsed, dummy = self.timed(cmd, env=env, what='playbook %s' % name)
        return elapsed

    def fresh(self, latency):
        self.emu.reset()
        self.emu.clear_faults()
        if latency:
            self.emu.set_faults(latency_ms=latency)
        self.emu.reset_counters()

    def counted(self):
        counters = self.emu.counters()
        self.emu.reset_counters()
        return counters

    @staticmethod
    def by_action(counters):
        return ', '.join('%s %d' % (action, c['calls']) for action, c in sorted(counters['actions'].items()))

    def row(self, section, figure, value):
        self.rows.append((section, figure, value))
        log('%s | %s | %s' % (section, figure, value))

    def verdict(self, target, measured, ok, note=''):
        self.verdicts.append((target, measured, 'met' if ok else 'MISSED', note))

    # --- 1-4: one controller, N users ---------------------------------------------------------
    def user_names(self):
        # The emulator (like RAM) holds at most 1000 users per account and ram-admin is one of them: with
        # --users 1000 the list is ram-admin (already there) plus 999 new users.
        count = min(self.args.users, EMULATOR_USER_LIMIT)
        return (['ram-admin'] if count == EMULATOR_USER_LIMIT else []) + \
            ['bench-user-%04d' % i for i in range(count - (1 if count == EMULATOR_USER_LIMIT else 0))]

    def batch_task(self):
        return [{'name': 'Ensure users', 'aliyun.ram.ram_users': {
            'users': '{{ bench_users }}',
            # unchanged users counted, not listed: the per-user result would dominate the converged run
            'report': 'changes',
            'parallelism': self.args.parallelism}}]

    def controller(self, latency, startup):
        users = self.user_names()
        n = len(users)
        section = '%d ms' % latency
        specs = [{'name': name} for name in users]

        # At 0 ms every run is a few seconds and single runs are noisy: take medians there.
        repeats = 3 if latency == 0 else 1
        runs = '(median of 3)' if repeats > 1 else '(one run)'
        self.fresh(latency)
        cold = self.playbook('batch-cold', self.batch_task(), {'bench_users': specs})
        cold_counts = self.counted()
        converged_runs = []
        for dummy in range(repeats):
            converged_runs.append(self.playbook('batch-converged', self.batch_task(), {'bench_users': specs}))
            converged_counts = self.counted()
            if converged_counts['writes'] != 0:
                raise SystemExit('the converged ram_users run made %d write calls: %s'
                                 % (converged_counts['writes'], self.by_action(converged_counts)))
        converged = statistics.median(converged_runs)
        self.row(section, 'ram_users %d users cold: wall s' % n, '%.1f' % cold)
        self.row(section, 'ram_users cold: API calls', '%d (%s)' % (cold_counts['reads'] + cold_counts['writes'],
                                                                    self.by_action(cold_counts)))
        self.row(section, 'ram_users %d users converged: wall s %s' % (n, runs), '%.1f' % converged)
        self.row(section, 'ram_users converged: API calls', '%d (%s)' % (converged_counts['reads'],
                                                                         self.by_action(converged_counts)))
        self.row(section, 'ram_users converged: write calls', '0 (asserted)')

        # 2. loop over ram_user on a sample
        m = min(self.args.loop_users, n)
        sample = users[-m:]
        loop_task = [{'name': 'Ensure user', 'aliyun.ram.ram_user': {'name': '{{ item }}'}, 'loop': '{{ bench_loop }}'}]
        self.fresh(latency)
        loop_cold = self.playbook('loop-cold', loop_task, {'bench_loop': sample})
        loop_cold_counts = self.counted()
        loop_converged = self.playbook('loop-converged', loop_task, {'bench_loop': sample})
        loop_converged_counts = self.counted()
        for label, measured, batch, counts in (('cold', loop_cold, cold, loop_cold_counts),
                                               ('converged', loop_converged, converged, loop_converged_counts)):
            per_user = (measured - startup) / m
            extrapolated = startup + per_user * n
            self.row(section, 'ram_user loop %s: measured wall s for %d users' % (label, m),
                     '%.1f (API calls %d)' % (measured, counts['reads'] + counts['writes']))
            self.row(section, 'ram_user loop %s: per-user cost s (measured)' % label, '%.2f' % per_user)
            self.row(section, 'ram_user loop %s: %d users wall s (EXTRAPOLATED)' % (label, n), '%.0f' % extrapolated)
            ratio = extrapolated / batch
            self.row(section, 'batch vs loop %s: loop/batch (batch is N x faster)' % label, '%.1fx' % ratio)
            self.verdict('batch >= %.0fx faster than loop (%s, %d ms)' % (TARGETS['batch_vs_loop'], label, latency),
                         '%.1fx' % ratio, ratio >= TARGETS['batch_vs_loop'], 'loop extrapolated from %d users' % m)

        # 3. floor: the converged calls, sequentially, from a bare SDK script
        self.fresh(latency)
        self.playbook('floor-setup', self.batch_task(), {'bench_users': specs})
        calls = []
        for action, c in sorted(converged_counts['actions'].items()):
            calls.extend((action, users[i % n]) for i in range(c['calls']))
        calls_file = self.work / 'floor-calls.json'
        calls_file.write_text(json.dumps(calls))
        script = self.work / 'floor.py'
        script.write_text(FLOOR_SCRIPT)
        self.emu.reset_counters()
        floors = []
        for dummy in range(repeats):
            elapsed, out = self.timed([sys.executable, str(script), str(calls_file)], what='floor script')
            floors.append((elapsed, json.loads(out.strip().splitlines()[-1])))
            floor_counts = self.counted()
            assert floor_counts['actions'] == converged_counts['actions'], (floor_counts, converged_counts)
        floor, floor_parts = sorted(floors, key=lambda run: run[0])[len(floors) // 2]
        ratio = converged / floor
        self.row(section, 'floor: bare SDK script, same %d calls sequential: wall s %s' % (len(calls), runs),
                 '%.1f (import %.2f, calls %.1f)' % (floor, floor_parts['import_s'], floor_parts['calls_s']))
        self.row(section, 'converged ram_users / floor', '%.2fx' % ratio)
        # What every ram_users task pays whatever N is: playbook start-up, AnsiballZ build and start, imports,
        # one GetUser, the result. Divided by the floor it bounds the ratio any batch implementation can reach.
        fixed = statistics.median([self.playbook('batch-one-user', self.batch_task(),
                                                 {'bench_users': [{'name': users[0]}]}) for dummy in range(3)])
        self.counted()
        self.row(section, 'fixed cost: ram_users converged with 1 user: wall s (median of 3)', '%.2f' % fixed)
        self.row(section, 'fixed cost / floor (the ratio no batch of any size gets below)', '%.2fx' % (fixed / floor))
        if latency == 0:
            # With no latency the SDK's own work per call is the bottleneck: the client is CPU-bound and its threads
            # share one interpreter lock, so the batch's calls take about as long as the floor's, and the ratio is:
            self.row(section, '(fixed cost + floor calls) / floor (expected ratio when the calls are CPU-bound)',
                     '%.2fx' % ((fixed + floor_parts['calls_s']) / floor))
        # The floor ratio is information, not a target: at 0 ms it measures Ansible's fixed per-task cost.
        converged_calls = converged_counts['reads'] + converged_counts['writes']
        self.verdict('converged %d users without relations in <= %d API calls (%d ms)'
                     % (n, TARGETS['converged_calls'], latency), '%d (%s)' % (converged_calls, self.by_action(converged_counts)),
                     converged_calls <= TARGETS['converged_calls'])
        if latency == 50:
            self.verdict('converged %d users at 50 ms <= %.0f s' % (n, TARGETS['converged_50ms_s']), '%.1f s' % converged,
                         converged <= TARGETS['converged_50ms_s'])
        # where the converged run's time goes: start-up, SDK import, API calls at this parallelism
        api_estimate = len(calls) * (floor_parts['calls_s'] / max(1, len(calls))) / self.args.parallelism
        self.row(section, 'converged breakdown: playbook start-up / SDK import / API calls at parallelism %d if latency-bound (est.) s'
                 % self.args.parallelism, '%.1f / %.2f / %.1f' % (startup, floor_parts['import_s'], api_estimate))

    # --- 4. per-invocation overhead -----------------------------------------------------------
    def overhead(self):
        self.fresh(0)
        script = self.work / 'one-call.py'
        calls_file = self.work / 'one-call.json'
        calls_file.write_text(json.dumps([['GetUser', 'ram-admin']]))
        script.write_text(FLOOR_SCRIPT)
        info, ping, sdk = [], [], []
        for dummy in range(3):
            info.append(self.playbook('info', [{'aliyun.ram.ram_user_info': {'name': 'ram-admin'}}]))
            ping.append(self.playbook('ping', [{'ansible.builtin.ping': {}}]))
            sdk.append(self.timed([sys.executable, str(script), str(calls_file)], what='one-call script')[0])
        info_s, ping_s, sdk_s = (statistics.median(v) for v in (info, ping, sdk))
        self.row('0 ms', 'one ram_user_info task playbook: wall s (median of 3)', '%.2f' % info_s)
        self.row('0 ms', 'one ping task playbook + bare one-call SDK script: wall s', '%.2f + %.2f' % (ping_s, sdk_s))
        self.row('0 ms', 'ram_user_info / (ping + SDK script)', '%.2fx' % (info_s / (ping_s + sdk_s)))
        return statistics.median([self.playbook('empty', []) for dummy in range(3)])

    # --- 5. provision on test hosts ----------------------------------------------------------
    def hosts(self, latency):
        count = self.args.hosts
        names = ['bench%02d' % i for i in range(count)]
        key = subprocess.run([str(HOSTCTL), 'key'], check=True, stdout=subprocess.PIPE).stdout.decode().strip()
        subprocess.run([str(HOSTCTL), 'image'], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(HOSTCTL), 'bridge-up'], check=True, stdout=subprocess.DEVNULL)
        emu = Emulator(host=BRIDGE_IP, state_dir=str(self.work / 'hosts-emulator'))
        os.makedirs(emu.state_dir, exist_ok=True)
        try:
            for i, name in enumerate(names):
                subprocess.run([str(HOSTCTL), 'up', name, '10.99.7.%d' % (FIRST_HOST + i)], check=True,
                               stdout=subprocess.DEVNULL)
            emu.start()
            saved, self.emu = self.emu, emu
            try:
                self._provision_hosts(names, key, latency)
            finally:
                self.emu = saved
        finally:
            emu.stop()
            for name in names:
                subprocess.run([str(HOSTCTL), 'down', name], check=False, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def _provision_hosts(self, names, key, latency):
        section = 'hosts %d ms' % latency
        users = ['bench-shared-%d' % i for i in range(SHARED_USERS)]
        inventory = {'all': {
            'vars': {'ansible_user': 'root', 'ansible_python_interpreter': '/usr/bin/python3',
                     'ansible_ssh_private_key_file': key,
                     'provision_users': [{'name': user} for user in users]},
            'hosts': {name: {'ansible_host': '10.99.7.%d' % (FIRST_HOST + i), 'provision_credentials': [
                {'user': users[i % SHARED_USERS], 'files': [{'format': 'env', 'path': '/etc/bench/aliyun.env'}]}]}
                for i, name in enumerate(names)}}}
        inventory_file = self.work / 'hosts-inventory.json'
        inventory_file.write_text(json.dumps(inventory))
        extra = ssh_counting_env(self.work, self.args.forks)
        self.fresh(latency)
        for run in ('cold', 'converged'):
            ssh_log = self.work / ('ssh-%s.log' % run)
            env = self.env(dict(extra, BENCH_SSH_LOG=str(ssh_log)))
            elapsed, dummy = self.timed([str(BIN / 'ansible-playbook'), '-i', str(inventory_file),
                                         str(REPO_ROOT / 'playbooks' / 'provision.yml')], env=env,
                                        what='provision (%s)' % run)
            counts = self.counted()
            if run == 'converged' and counts['writes']:
                raise SystemExit('the converged provision made %d write calls: %s' % (counts['writes'], self.by_action(counts)))
            per_host = {name: 0 for name in names}
            lines = ssh_log.read_text().splitlines() if ssh_log.exists() else []
            for line in lines:
                for i, name in enumerate(names):
                    if ' 10.99.7.%d ' % (FIRST_HOST + i) in ' %s ' % line or '@10.99.7.%d' % (FIRST_HOST + i) in line:
                        per_host[name] += 1
                        break
            values = sorted(per_host.values())
            self.row(section, 'provision %d hosts / %d users %s: wall s (forks %d)' % (len(names), SHARED_USERS, run,
                                                                                       self.args.forks), '%.1f' % elapsed)
            self.row(section, 'provision %s: API calls' % run, '%d, %d writes (%s)' % (
                counts['reads'] + counts['writes'], counts['writes'], self.by_action(counts)))
            self.row(section, 'provision %s: SSH round trips per host min/median/max' % run,
                     '%d / %d / %d' % (values[0], values[len(values) // 2], values[-1]))

    # --- report -------------------------------------------------------------------------------
    def report(self, run_seconds):
        print()
        print('## Results')
        print()
        print(machine_description())
        print()
        print('| setting | figure | value |')
        print('|---|---|---|')
        for section, figure, value in self.rows:
            print('| %s | %s | %s |' % (section, figure, value))
        print()
        print('| target | measured | verdict | note |')
        print('|---|---|---|---|')
        for target, measured, verdict, note in self.verdicts:
            print('| %s | %s | %s | %s |' % (target, measured, verdict, note))
        print()
        print('benchmark run time: %.0f s' % run_seconds)


def machine_description():
    def version(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False).stdout.decode().split('\n')[0]
        except OSError:
            return '?'
    mem_kb = 0
    with open('/proc/meminfo', encoding='ascii') as handle:
        for line in handle:
            if line.startswith('MemTotal:'):
                mem_kb = int(line.split()[1])
    load = os.getloadavg()
    return ('Machine: %d CPUs (nproc), %.1f GiB RAM, %s, Python %s, %s, load average at start %.1f / %.1f / %.1f'
            % (os.cpu_count(), mem_kb / 1048576.0, platform.platform(terse=True), platform.python_version(),
               version([str(BIN / 'ansible'), '--version']).replace('ansible [core ', 'ansible-core ').rstrip(']'), *load))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--latency', default='0,50', help='comma-separated added API latencies in ms (default 0,50)')
    parser.add_argument('--users', type=int, default=1000, help='users for the batch runs (at most 1000)')
    parser.add_argument('--loop-users', type=int, default=30, help='sample size of the ram_user loop (default 30)')
    parser.add_argument('--parallelism', type=int, default=8, help='ram_users parallelism (the module default is 8)')
    parser.add_argument('--hosts', type=int, default=20, help='test hosts for the provision benchmark (default 20)')
    parser.add_argument('--hosts-latency', type=int, default=None,
                        help='latency for the provision benchmark (default: the largest --latency)')
    parser.add_argument('--forks', type=int, default=10, help='ansible forks for the provision benchmark')
    parser.add_argument('--no-hosts', action='store_true', help='skip the provision benchmark (needs root and hostctl)')
    args = parser.parse_args()
    latencies = [int(x) for x in args.latency.split(',') if x.strip()]
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='aliyun-ram-bench-') as work:
        bench = Bench(args, work)
        os.makedirs(os.path.join(work, 'emulator'))
        with Emulator(state_dir=os.path.join(work, 'emulator')) as emu:
            bench.emu = emu
            log('per-invocation overhead')
            startup = bench.overhead()
            bench.row('0 ms', 'empty playbook (ansible-playbook start-up): wall s (median of 3)', '%.2f' % startup)
            for latency in latencies:
                log('controller benchmarks at %d ms' % latency)
                bench.controller(latency, startup)
        if not args.no_hosts and args.hosts > 0:
            if os.geteuid() != 0 or not HOSTCTL.exists():
                bench.row('hosts', 'provision on test hosts', 'skipped: needs root and tests/hosts/hostctl')
            else:
                latency = args.hosts_latency if args.hosts_latency is not None else max(latencies)
                log('provision on %d test hosts at %d ms' % (args.hosts, latency))
                bench.hosts(latency)
        bench.report(time.perf_counter() - started)
    return 0


if __name__ == '__main__':
    sys.exit(main())
