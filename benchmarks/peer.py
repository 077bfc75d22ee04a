"""One-task playbooks of aliyun.ram side by side with alibaba.alicloud's ali_ram_* (prints a table; never a timed test).

    python benchmarks/peer.py [--runs 7] [--warmup 1] [--venv .cache/bench-peer-venv] [--no-install]

The peer is ansible-alicloud 1.20.0 (footmark, aliyun-python-sdk-core 2.16.1). It is installed into a
benchmark-only virtualenv under .cache/ (git-ignored), never into the collection's requirements; the same
virtualenv holds ansible-core at our version and the collection's SDK requirements (meta/ee-requirements.txt),
so both collections run on one interpreter. pip takes the machine's own configuration (mirrors, CA bundles).

The peer reaches the project's emulator through a sitecustomize.py written into a temporary directory on
PYTHONPATH: once aliyunsdkcore.client is imported it registers the emulator's endpoint for the products Ram and
Sts (aliyunsdkcore.profile.region_provider.add_endpoint) and sets the default protocol to http (and, since
aliyun-python-sdk-ram's request classes set https in their constructors, makes set_protocol_type keep http).
The hook costs
nothing until aliyunsdkcore is imported, so the ping baseline and our modules pay only its tiny import.

After --warmup uncounted rounds, each playbook runs --runs times, round robin (ping, ours, peer, ...) so that drift of the machine hits all alike;
the table gives median and min wall time, the median over the ping playbook, our/peer ratio of the medians over
ping, and PASS/MISS for "ours <= peer" (medians); the same over-ping figures from the minimums follow, since on a
loaded machine the minimum is the steadier figure. API calls by action come from the emulator's counters, reset
before every run; every run of a playbook must make the same calls, and the peer's calls must appear there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_DIR = REPO_ROOT / '.cache' / 'collections'
DEFAULT_VENV = REPO_ROOT / '.cache' / 'bench-peer-venv'
sys.path.insert(0, str(REPO_ROOT))

from tests.support.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

PEER_PINS = ['ansible-alicloud==1.20.0', 'footmark==1.26.0', 'aliyun-python-sdk-core==2.16.1']
PROXY_VARS = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy')
REGION = 'cn-hangzhou'
USER = 'bench-user'              # exists before the runs: ram_user / ali_ram_user converge on it
OUR_KEY_USER = 'bench-key-ours'  # one key, held: ram_access_key with its id converges
PEER_KEY_USER = 'bench-key-peer'  # two keys: ali_ram_access_key creates none (it creates while fewer than 2)

SITECUSTOMIZE = r'''
# Written by benchmarks/peer.py: point aliyunsdkcore (the peer's SDK) at the emulator, once it is imported.
import importlib.machinery, os, sys   # not importlib.abc: it costs some 30 ms at every interpreter start

_ENDPOINT = os.environ.get('PEER_BENCH_ENDPOINT')
_REGION = os.environ.get('PEER_BENCH_REGION', 'cn-hangzhou')


def _register():
    from aliyunsdkcore.profile import region_provider
    from aliyunsdkcore import request
    for product in ('Ram', 'Sts'):
        region_provider.add_endpoint(product, _REGION, _ENDPOINT)
    request.set_default_protocol_type('http')
    # aliyun-python-sdk-ram's request classes call set_protocol_type('https') in their constructors, which
    # overrides the default: keep them on http (the emulator serves plain http only).
    request.AcsRequest.set_protocol_type = lambda self, protocol_type: setattr(self, '_protocol_type', 'http')


class _Hook:   # a meta path finder
    def find_spec(self, name, path, target=None):
        if name != 'aliyunsdkcore.client':
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            _register()
        spec.loader.exec_module = exec_and_register
        return spec


if _ENDPOINT:
    sys.meta_path.insert(0, _Hook())
'''


def log(msg):
    print('... %s' % msg, file=sys.stderr, flush=True)


# --- the benchmark-only virtualenv --------------------------------------------------------------
def requirements():
    core = metadata.version('ansible-core')
    ee = [line.strip() for line in (REPO_ROOT / 'meta' / 'ee-requirements.txt').read_text().splitlines()
          if line.strip() and not line.startswith('#')]
    return ['ansible-core==%s' % core] + ee + PEER_PINS


def ensure_venv(venv, install=True):
    reqs = requirements()
    stamp = venv / '.peer-bench.sha256'
    want = hashlib.sha256('\n'.join(reqs).encode()).hexdigest()
    python = venv / 'bin' / 'python'
    if python.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return python
    if not install:
        raise SystemExit('%s is missing or out of date; run without --no-install' % venv)
    if not python.exists():
        log('creating %s' % venv)
        subprocess.run([getattr(sys, '_base_executable', sys.executable), '-m', 'venv', str(venv)], check=True)
    log('pip install %s' % ' '.join(reqs))
    proc = subprocess.run([str(python), '-m', 'pip', 'install', '-q'] + reqs, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout.decode(errors='replace')[-5000:])
        raise SystemExit('pip install failed')
    stamp.write_text(want + '\n')
    return python


def peer_library(python):
    """ansible-alicloud installs its modules into ansible/modules/cloud/alicloud of the venv's site-packages."""
    out = subprocess.run([str(python), '-c', 'import ansible, os; print(os.path.dirname(ansible.__file__))'],
                         stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    library = Path(out) / 'modules' / 'cloud' / 'alicloud'
    if not (library / 'ali_ram_user.py').exists():
        raise SystemExit('ali_ram_user.py not found under %s' % library)
    return library


def versions(python):
    code = ('from importlib import metadata as m\n'
            'for n in ("ansible-core", "ansible-alicloud", "footmark", "aliyun-python-sdk-core", "aliyun-python-sdk-ram",'
            ' "alibabacloud-ram20150501", "alibabacloud-tea-openapi"):\n'
            '    print("%s %s" % (n, m.version(n)))')
    return subprocess.run([str(python), '-c', code], stdout=subprocess.PIPE, check=True).stdout.decode().split('\n')


# --- runs ----------------------------------------------------------------------------------------
class PeerBench:
    def __init__(self, python, work, emu, library):
        self.python = Path(python)
        self.bin = self.python.parent
        self.work = Path(work)
        self.emu = emu
        self.site = self.work / 'site'
        self.site.mkdir()
        (self.site / 'sitecustomize.py').write_text(SITECUSTOMIZE)
        admin = emu.env_for('admin')
        self.env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and k != 'PYTHONPATH'}
        self.env.update(admin)
        self.env.update({
            # the peer's credentials and region (its options' environment fallbacks)
            'ALICLOUD_ACCESS_KEY': admin['ALIBABA_CLOUD_ACCESS_KEY_ID'],
            'ALICLOUD_SECRET_KEY': admin['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
            'ALICLOUD_REGION': REGION,
            'PEER_BENCH_ENDPOINT': emu.endpoint, 'PEER_BENCH_REGION': REGION,
            'PYTHONPATH': str(self.site),
            'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS_DIR), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_LIBRARY': str(library),
            'ANSIBLE_PYTHON_INTERPRETER': str(self.python), 'ANSIBLE_PIPELINING': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false', 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_DEPRECATION_WARNINGS': 'false',
            'PATH': '%s:%s' % (self.bin, os.environ.get('PATH', '')),
        })

    def write_playbook(self, name, task):
        path = self.work / ('%s.yml' % name)
        path.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False,
                                     'vars': {'ansible_connection': 'local'}, 'tasks': [task]}]))
        return path

    def run(self, path):
        self.emu.reset_counters()
        started = time.perf_counter()
        proc = subprocess.run([str(self.bin / 'ansible-playbook'), '-i', 'localhost,', str(path)], env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, cwd=str(self.work))
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            sys.stdout.write(proc.stdout.decode(errors='replace')[-5000:])
            raise SystemExit('playbook %s failed (rc %d)' % (path.name, proc.returncode))
        if 'changed=0' not in proc.stdout.decode(errors='replace'):   # converged: the recap shows no change
            sys.stdout.write(proc.stdout.decode(errors='replace')[-5000:])
            raise SystemExit('playbook %s changed something' % path.name)
        counters = self.emu.counters()
        calls = {action: c['calls'] for action, c in sorted(counters['actions'].items())}
        return elapsed, calls


def seed(emu):
    """The converged state every playbook finds: three users, one with one key, one with two."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    client = emu.ram_client('admin')
    for name in (USER, OUR_KEY_USER, PEER_KEY_USER):
        client.create_user(models.CreateUserRequest(user_name=name, display_name=name))
    held = client.create_access_key(models.CreateAccessKeyRequest(user_name=OUR_KEY_USER)).body.access_key.access_key_id
    for dummy in range(2):
        client.create_access_key(models.CreateAccessKeyRequest(user_name=PEER_KEY_USER))
    return held


def cases(held_key):
    """(label, our task, peer task) rows; the first is the fixed-cost baseline."""
    return [
        ('ping', {'ansible.builtin.ping': {}}, None),
        ('user', {'aliyun.ram.ram_user': {'name': USER}}, {'ali_ram_user': {'user_name': USER}}),
        ('user_info', {'aliyun.ram.ram_user_info': {'name_prefix': USER}}, {'ali_ram_user_info': {'name_prefix': USER}}),
        ('user_info by name', {'aliyun.ram.ram_user_info': {'name': USER}}, None),
        ('access_key', {'aliyun.ram.ram_access_key': {'user_name': OUR_KEY_USER, 'id': held_key}},
         {'ali_ram_access_key': {'user_name': PEER_KEY_USER}}),
    ]


def ratio(ours, peer):
    return '%.2fx' % (ours / peer) if peer > 0 else 'n/a (peer <= ping)'


def fmt_calls(calls):
    return ', '.join('%s %d' % item for item in calls.items()) or 'none'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=7, help='runs of each playbook (default 7)')
    parser.add_argument('--warmup', type=int, default=1, help='uncounted rounds first (default 1)')
    parser.add_argument('--venv', type=Path, default=DEFAULT_VENV, help='the benchmark-only virtualenv')
    parser.add_argument('--no-install', action='store_true', help='fail instead of creating or updating the venv')
    args = parser.parse_args()

    python = ensure_venv(args.venv, install=not args.no_install)
    library = peer_library(python)
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT)
    # the emulator runs on this interpreter (the project's venv); its package is the checkout's emulator/
    os.environ['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO_ROOT / 'emulator'), os.environ.get('PYTHONPATH')) if p)

    started = time.perf_counter()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix='aliyun-ram-peer-') as work:
        os.makedirs(os.path.join(work, 'emulator'))
        with Emulator(state_dir=os.path.join(work, 'emulator')) as emu:
            held = seed(emu)
            bench = PeerBench(python, work, emu, library)
            plays = []   # (label, side, path)
            for label, ours, peer in cases(held):
                plays.append((label, 'ours' if label != 'ping' else 'baseline', bench.write_playbook('ours-' + label.replace(' ', '_'), ours)))
                if peer:
                    plays.append((label, 'peer', bench.write_playbook('peer-' + label.replace(' ', '_'), peer)))
            times = {(label, side): [] for label, side, dummy in plays}
            calls = {}
            for run in range(args.warmup + args.runs):
                log('round %d of %d%s' % (run + 1, args.warmup + args.runs, ' (warm-up)' if run < args.warmup else ''))
                for label, side, path in plays:
                    elapsed, counted = bench.run(path)
                    if run < args.warmup:
                        continue
                    times[(label, side)].append(elapsed)
                    if (label, side) in calls and calls[(label, side)] != counted:
                        raise SystemExit('%s %s: calls differ between runs: %s / %s'
                                         % (side, label, calls[(label, side)], counted))
                    calls[(label, side)] = counted
            for (label, side), counted in calls.items():
                if side == 'peer' and not counted:
                    raise SystemExit('peer %s made no call to the emulator' % label)
                writes = [a for a in counted if not a.startswith(('Get', 'List'))]
                if writes:
                    raise SystemExit('%s %s is not converged: write calls %s' % (side, label, writes))

    median = {key: statistics.median(v) for key, v in times.items()}
    best = {key: min(v) for key, v in times.items()}
    ping = median[('ping', 'baseline')]
    print('Versions (benchmark venv): %s' % '; '.join(v for v in versions(python) if v))
    print('Machine: %d CPUs, load average at start %.1f / %.1f / %.1f; %d runs of each playbook, round robin'
          % (os.cpu_count(), load[0], load[1], load[2], args.runs))
    print()
    print('| one-task playbook | side | median s | min s | median - ping s | API calls per task |')
    print('|---|---|---|---|---|---|')
    for label, side, dummy in plays:
        key = (label, side)
        task = next(iter((dict(c[1]) if side != 'peer' else c[2]) for c in cases(held) if c[0] == label))
        module = next(iter(task))
        print('| %s | %s `%s` | %.2f | %.2f | %+.2f | %s |'
              % (label, side, module.split('.')[-1], median[key], best[key], median[key] - ping, fmt_calls(calls[key])))
    print()
    print('| task | ours - ping s | peer - ping s | ours/peer (over ping) | ours <= peer | min: ours - ping, peer - ping, ours/peer |')
    print('|---|---|---|---|---|---|')
    for label, ours, peer in cases(held):
        if not peer:
            continue
        o, p = median[(label, 'ours')] - ping, median[(label, 'peer')] - ping
        mo, mp = best[(label, 'ours')] - best[('ping', 'baseline')], best[(label, 'peer')] - best[('ping', 'baseline')]
        print('| %s | %.2f | %.2f | %s | %s | %.2f, %.2f, %s |' % (
            label, o, p, ratio(o, p), 'PASS' if median[(label, 'ours')] <= median[(label, 'peer')] else 'MISS',
            mo, mp, ratio(mo, mp)))
    print()
    print('benchmark run time: %.0f s' % (time.perf_counter() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
