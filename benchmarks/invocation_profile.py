"""Where one invocation of aliyun.ram.ram_user spends its time, against ali_ram_user (prints tables; never a timed test).

    python benchmarks/invocation_profile.py [--runs 5] [--venv .cache/bench-peer-venv]

Needs the benchmark-only virtualenv of benchmarks/peer.py (run that first; this script does not install).
Against the emulator, with bench-user existing (converged), on that venv's interpreter:

1. The AnsiballZ payloads Ansible ships for ram_user and ali_ram_user (pipelining off, remote files kept):
   size, files inside, compile time of the zipped sources by folder, and the wall time of running each payload as Ansible does (median of --runs), against
   `python -c pass`.
2. `python -X importtime` of each payload run: self time summed by top-level package, and the largest
   cumulative imports.
3. cProfile of one payload run of ram_user: the largest cumulative entries.
4. cProfile of the payload build on the controller (ansible.executor.module_common.modify_module) for each.
"""

from __future__ import annotations

import argparse
import cProfile  # noqa: F401  pylint: disable=unused-import
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / 'benchmarks'))

from peer import DEFAULT_VENV, PeerBench, peer_library, seed, USER  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position


def timed(cmd, env, cwd):
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    return elapsed, proc


def keep_payload(bench, name, task):
    """Run a one-task playbook without pipelining, keeping the remote files; return the AnsiballZ file."""
    remote = Path(bench.work) / ('remote-' + name)
    remote.mkdir()
    env = dict(bench.env, ANSIBLE_PIPELINING='0', ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=str(remote))
    path = bench.write_playbook('keep-' + name, task)
    proc = subprocess.run([str(bench.bin / 'ansible-playbook'), '-i', 'localhost,', str(path)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, cwd=str(bench.work))
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout.decode(errors='replace')[-3000:])
        raise SystemExit('keep-%s failed' % name)
    found = glob.glob(str(remote / '**' / 'AnsiballZ_*.py'), recursive=True)
    if len(found) != 1:
        raise SystemExit('expected one AnsiballZ file for %s, found %s' % (name, found))
    return Path(found[0])


def payload_zip(ansiballz, work):
    """Extract the zip of module and module_utils from an AnsiballZ wrapper (its longest base64 literal)."""
    import base64  # pylint: disable=import-outside-toplevel
    data = max(re.findall(r"['\"]([A-Za-z0-9+/=]{1000,})['\"]", ansiballz.read_text()), key=len)
    out = Path(work) / (ansiballz.stem + '.zip')
    out.write_bytes(base64.b64decode(data))
    return out


COMPILE_CODE = r'''
import sys, time, zipfile
groups = {}
with zipfile.ZipFile(sys.argv[1]) as zipped:
    for name in zipped.namelist():
        if not name.endswith('.py'):
            continue
        source = zipped.read(name)
        parts = name.split('/')
        group = '/'.join(parts[:5]) if parts[0] == 'ansible_collections' else '/'.join(parts[:3])
        started = time.perf_counter()
        compile(source, name, 'exec', dont_inherit=True)
        elapsed = time.perf_counter() - started
        files, size, seconds = groups.get(group, (0, 0, 0.0))
        groups[group] = (files + 1, size + len(source), seconds + elapsed)
for group, (files, size, seconds) in sorted(groups.items(), key=lambda item: -item[1][2]):
    print('%s\t%d\t%d\t%.4f' % (group, files, size, seconds))
'''


def compile_table(python, payloads, work):
    """Modules in an AnsiballZ zip are imported from source: compile time by folder (zipimport on 3.12 compiles twice)."""
    print('| payload | folder in the zip | .py files | source KiB | compile s (once) |')
    print('|---|---|---|---|---|')
    for label, path in payloads.items():
        archive = payload_zip(path, work)
        out = subprocess.run([str(python), '-c', COMPILE_CODE, str(archive)], stdout=subprocess.PIPE, check=True).stdout.decode()
        total = 0.0
        for line in out.splitlines():
            group, files, size, seconds = line.split('\t')
            total += float(seconds)
            print('| %s | %s | %s | %.0f | %.3f |' % (label, group, files, int(size) / 1024, float(seconds)))
        print('| %s | all | | | %.3f |' % (label, total))
    print()


BUILD_CODE = r'''
import json, os, sys, time, cProfile, pstats
from ansible import context
from ansible.module_utils.common.collections import ImmutableDict
context.CLIARGS = ImmutableDict({})
from ansible.plugins.loader import init_plugin_loader, module_loader
init_plugin_loader([os.environ['ANSIBLE_COLLECTIONS_PATH']])
from ansible.executor.module_common import modify_module
from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader
name, args = sys.argv[1], json.loads(sys.argv[2])
t0 = time.perf_counter()
ctx = module_loader.find_plugin_with_context(name)
t1 = time.perf_counter()
prof = cProfile.Profile()
prof.enable()
built = modify_module(module_name=ctx.resolved_fqcn.split('.')[-1] if '.' in ctx.resolved_fqcn else name,
                      module_path=ctx.plugin_resolved_path, module_args=args, templar=Templar(loader=DataLoader()),
                      task_vars={'ansible_python_interpreter': sys.executable, 'ansible_playbook_python': sys.executable}, remote_is_local=True)
prof.disable()
t2 = time.perf_counter()
print(name, 'find_plugin %.3f s, modify_module %.3f s (profiled), payload %d bytes' % (t1 - t0, t2 - t1, len(built.b_module_data)))
s = pstats.Stats(prof).strip_dirs(); s.sort_stats('cumulative').print_stats(12)
'''


def controller_build(python, env, tasks, work):
    """cProfile of ansible.executor.module_common.modify_module for each module: the payload build on the controller."""
    for label, task in tasks.items():
        (name, args), = task.items()
        out = subprocess.run([str(python), '-c', BUILD_CODE, name, json.dumps(args)], env=env, cwd=work,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout.decode()
        print('### %s: payload build on the controller' % label)
        print()
        print('```')
        print('\n'.join(line.rstrip()[:150] for line in out.splitlines() if line.strip()))
        print('```')
        print()


def importtime(stderr):
    """(self us by top-level package, [(cumulative us, module)]) from -X importtime output."""
    by_top, cumulative = {}, []
    for line in stderr.splitlines():
        match = re.match(r'import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)', line)
        if not match:
            continue
        self_us, cum_us, indent, module = int(match.group(1)), int(match.group(2)), len(match.group(3)), match.group(4)
        top = module.split('.')[0]
        if top == 'ansible_collections':
            top = '.'.join(module.split('.')[:4])
        elif top == 'ansible':
            top = '.'.join(module.split('.')[:3])
        by_top[top] = by_top.get(top, 0) + self_us
        cumulative.append((cum_us, indent, module))
    return by_top, cumulative


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--venv', type=Path, default=DEFAULT_VENV)
    args = parser.parse_args()
    python = args.venv / 'bin' / 'python'
    if not python.exists():
        raise SystemExit('run benchmarks/peer.py first: it creates %s' % args.venv)
    os.environ['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO_ROOT / 'emulator'), os.environ.get('PYTHONPATH')) if p)
    with tempfile.TemporaryDirectory(prefix='aliyun-ram-profile-') as work:
        os.makedirs(os.path.join(work, 'emulator'))
        with Emulator(state_dir=os.path.join(work, 'emulator')) as emu:
            seed(emu)
            bench = PeerBench(python, work, emu, peer_library(python))
            tasks = {'ours ram_user': {'aliyun.ram.ram_user': {'name': USER}},
                     'peer ali_ram_user': {'ali_ram_user': {'user_name': USER}}}
            payloads = {label: keep_payload(bench, label.split()[0], task) for label, task in tasks.items()}
            print('| payload | AnsiballZ file KiB | zip KiB | files in zip | run wall s median (min) | minus `python -c pass` s |')
            print('|---|---|---|---|---|---|')
            bare = [timed([str(python), '-c', 'pass'], bench.env, work)[0] for dummy in range(args.runs)]
            bare_s = statistics.median(bare)
            runs = {}
            for label, path in payloads.items():
                archive = payload_zip(path, work)
                with zipfile.ZipFile(archive) as zipped:
                    names = zipped.namelist()
                times = []
                for dummy in range(args.runs):
                    elapsed, proc = timed([str(python), str(path)], bench.env, work)
                    if proc.returncode != 0 or b'"failed": true' in proc.stdout:
                        raise SystemExit('%s failed: %s' % (label, proc.stdout[-2000:]))
                    times.append(elapsed)
                runs[label] = statistics.median(times)
                print('| %s | %.0f | %.0f | %d | %.3f (%.3f) | %.3f |' % (
                    label, path.stat().st_size / 1024, archive.stat().st_size / 1024, len(names),
                    runs[label], min(times), runs[label] - bare_s))
            print('| `python -c pass` | | | | %.3f (%.3f) | |' % (bare_s, min(bare)))
            print()
            compile_table(python, payloads, work)
            controller_build(python, bench.env, tasks, work)
            for label, path in payloads.items():
                dummy, proc = timed([str(python), '-X', 'importtime', str(path)], bench.env, work)
                by_top, cumulative = importtime(proc.stderr.decode(errors='replace'))
                total = sum(by_top.values())
                print('### %s: -X importtime, %.3f s of imports in all' % (label, total / 1e6))
                print()
                print('| top-level package | self time s (summed) |')
                print('|---|---|')
                for top, us in sorted(by_top.items(), key=lambda item: -item[1])[:14]:
                    print('| %s | %.3f |' % (top, us / 1e6))
                print()
                print('| largest cumulative imports (module, depth) | s |')
                print('|---|---|')
                for cum_us, indent, module in sorted(cumulative, reverse=True)[:22]:
                    print('| %s%s | %.3f |' % ('. ' * (indent // 2), module, cum_us / 1e6))
                print()
            profile_out = Path(work) / 'ours.prof'
            driver = ('import cProfile, runpy, sys\n'
                      'profile = cProfile.Profile()\n'
                      'profile.enable()\n'
                      'try:\n'
                      '    runpy.run_path(sys.argv[1], run_name="__main__")\n'
                      'except SystemExit:\n'
                      '    pass\n'
                      'profile.disable()\n'
                      'profile.dump_stats(sys.argv[2])\n')
            dummy, proc = timed([str(python), '-c', driver, str(payloads['ours ram_user']), str(profile_out)], bench.env, work)
            if b'"changed": false' not in proc.stdout:
                raise SystemExit('profiled run failed: %s %s' % (proc.stdout[-2000:], proc.stderr[-2000:]))
            report = subprocess.run([str(python), '-c', (
                'import pstats, sys; s = pstats.Stats(sys.argv[1]).strip_dirs(); s.sort_stats("cumulative").print_stats(sys.argv[2])'),
                str(profile_out), r'run_ram_user|ensure_user|run_module|_run_module|ram_user.py|_ram_module.py:1\(|_ram_client.py:1\(|'
                r'basic.py:1\(|basic.py.*(__init__|exit_json)|get_user|client.py:1\(|core.py:1\(|get_adapter|call_api|'
                r'__init__.py:1\(<module>|spec_from_loader|get_code|'],
                stdout=subprocess.PIPE, check=True).stdout.decode()
            print('### ours ram_user: cProfile of one payload run (cumulative; selected entries)')
            print()
            print('```')
            print('\n'.join(line.rstrip()[:170] for line in report.splitlines() if line.strip())[:12000])
            print('```')
            print(json.dumps({'bare_s': bare_s, **runs}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
