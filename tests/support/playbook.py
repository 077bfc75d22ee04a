# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run generated playbooks with the real ansible-playbook, at -vvvv, and leak-scan everything each run leaves.

One PlaybookRunner per test session directory. A run writes its playbook, extra vars, output (NAME.out) and ansible
log (NAME.ansible.log) to that directory, and gets its own temporary directories (ANSIBLE_LOCAL_TEMP and
ANSIBLE_REMOTE_TEMP under NAME.tmp/). When it ends, its output, its log, every file left under NAME.tmp/ and the
emulator's whole log are scanned for every secret the LeakGuard knows at that moment.

Registered results can come back to the test (``save_results``): registered tasks get ``ignore_errors`` (the test
asserts on failures, not ansible), and one no_log task at the end of each play saves them into a 0600 JSON file,
which the runner reads back and deletes at once: they carry the secrets of created keys, the logs must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_DIR = REPO_ROOT / '.cache' / 'collections'
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
PROXY_VARS = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy')
CLOUD_VAR_PREFIXES = ('ALIBABA_CLOUD_', 'ALICLOUD_')


def ensure_collection_link():
    """The checkout as .cache/collections/ansible_collections/aliyun/ram (what scripts/lib.sh `activate` makes)."""
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        try:
            link.symlink_to(REPO_ROOT, target_is_directory=True)
        except FileExistsError:  # another worker made it first
            pass
    return COLLECTIONS_DIR


class Run:
    """One finished ansible-playbook run."""

    def __init__(self, name, returncode, output, results, started, ended, log_path):
        self.name = name
        self.returncode = returncode
        self.output = output          # stdout and stderr, then the ansible log
        self.results = results        # {register name: result} when the run saved its results
        self.started = started        # time.time() at start and end (comparable between concurrent runs)
        self.ended = ended
        self.log_path = log_path

    @property
    def elapsed(self):
        return self.ended - self.started

    def __repr__(self):
        return '<Run %s rc=%s %.1fs>' % (self.name, self.returncode, self.elapsed)


class PlaybookRunner:
    """Generates, runs and leak-scans playbooks in ``run_dir``; ``emulator`` (optional) adds its endpoints and the key
    of ``identity`` to their environment (identity None: the endpoints only)."""

    def __init__(self, run_dir, guard, emulator=None, identity='admin'):
        self.run_dir = Path(run_dir)
        self.guard = guard
        self.emulator = emulator
        self.identity = identity
        ensure_collection_link()

    def env(self, extra=None):
        """The test process's environment without proxies and without any Alibaba Cloud variable it may have (a
        developer's own credentials never reach a test run), plus the emulator's endpoints and, unless identity is
        None, its key of ``identity`` ('admin': ram-admin, 'root': the account root)."""
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and not k.startswith(CLOUD_VAR_PREFIXES)}
        if self.emulator is not None:
            emulator_env = self.emulator.env_for(self.identity or 'admin')
            if self.identity is None:
                emulator_env = {k: v for k, v in emulator_env.items() if k.endswith('_ENDPOINT')}
            env.update(emulator_env)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS_DIR),
            'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'ANSIBLE_PIPELINING': '1',
            'ANSIBLE_HOST_KEY_CHECKING': 'false',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_NOCOLOR': '1',
        })
        env.update(extra or {})
        return env

    def _path(self, name, suffix):
        return self.run_dir / (name + suffix)

    def _unique(self, name):
        candidate, number = name, 1
        while self._path(candidate, '.yml').exists():
            number += 1
            candidate = '%s-%d' % (name, number)
        return candidate

    def start(self, name, plays, inventory=None, extra_vars=None, check=False, diff=True, env=None, prefix=(),
              connection=None, save_results=True):
        """Start a playbook in the background (concurrent runs); ``finish`` it later. A name used before in the
        same directory gets a number: no run overwrites what another left."""
        name = self._unique(name)
        result_dir = None
        if save_results:
            result_dir = self._path(name, '.results')
            result_dir.mkdir(mode=0o700)
            plays = [dict(play, tasks=with_saved_results(play.get('tasks', []), result_dir)) for play in plays]
        playbook = self._path(name, '.yml')
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
        cmd = [ANSIBLE_PLAYBOOK, '-vvvv', '-i', inventory or 'localhost,']
        if connection:
            cmd += ['-c', connection]
        if diff:
            cmd.append('--diff')
        if check:
            cmd.append('--check')
        if extra_vars:
            vars_file = self._path(name, '.vars.yml')
            vars_file.write_text(yaml.safe_dump(extra_vars))
            cmd += ['-e', '@%s' % vars_file]
        cmd = list(prefix) + cmd + [str(playbook)]
        temp_dir = self._path(name, '.tmp')
        (temp_dir / 'local').mkdir(parents=True, mode=0o700)
        (temp_dir / 'remote').mkdir(mode=0o700)
        full_env = self.env(env)
        full_env.update({'ANSIBLE_LOG_PATH': str(self._path(name, '.ansible.log')),
                         'ANSIBLE_LOCAL_TEMP': str(temp_dir / 'local'), 'ANSIBLE_REMOTE_TEMP': str(temp_dir / 'remote')})
        with open(self._path(name, '.out'), 'wb') as output:
            proc = subprocess.Popen(cmd, env=full_env, stdout=output, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                    cwd=str(REPO_ROOT), stdin=subprocess.DEVNULL)
        return (name, proc, result_dir, time.time())

    def finish(self, handle, timeout=900, secrets=()):
        """Wait for the run, read its saved results, and leak-scan what it left (``secrets``: more to look for)."""
        name, proc, result_dir, started = handle
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ended = time.time()
        output = self._path(name, '.out').read_text(errors='replace')
        ansible_log = self._path(name, '.ansible.log')
        if ansible_log.exists():
            output += ansible_log.read_text(errors='replace')
        results = {}
        if result_dir is not None:
            for path in sorted(result_dir.glob('*.json')):
                loaded = json.loads(path.read_text())
                results.update(loaded if path.name == 'all.json' else {path.stem: loaded})
                path.unlink()
            result_dir.rmdir()
        run = Run(name, proc.returncode, output, results, started, ended, self._path(name, '.out'))
        self.scan(run, secrets)
        return run

    def scan(self, run, secrets=()):
        """The run's output and log, the files under its temporary directories, and the emulator's whole log."""
        known = sorted(set(self.guard.secrets()) | {s for s in secrets if s})
        self.guard.assert_clean(run.output, 'the -vvvv output or ansible log of playbook %s' % run.name, known)
        self.guard.assert_files_clean(self._path(run.name, '.tmp'), secrets=known)
        if self.emulator is not None:
            self.guard.assert_clean(self.emulator.log_text(), "the emulator's log (after playbook %s)" % run.name, known)

    def run(self, name, plays, secrets=(), **kwargs):
        return self.finish(self.start(name, plays, **kwargs), secrets=secrets)

    def tasks(self, name, tasks, hosts='localhost', **kwargs):
        """One play of ``tasks`` on localhost (local connection, no facts)."""
        return self.run(name, [{'name': name, 'hosts': hosts, 'gather_facts': False,
                                'vars': {'ansible_connection': 'local'}, 'tasks': tasks}], **kwargs)

    def failure_text(self, run, tail=6000):
        """The tail of a run's output with every known secret masked, for assertion messages."""
        return '%r (output in %s):\n%s' % (run, run.log_path, self.guard.mask(run.output[-tail:]))


def registered_names(tasks):
    names = []
    for task in tasks:
        for section in ('block', 'rescue', 'always'):
            names.extend(registered_names(task.get(section, [])))
        if task.get('register'):
            names.append(task['register'])
    return names


def with_saved_results(tasks, result_dir):
    """Registered tasks get ``ignore_errors``; one no_log task at the end saves every registered result to
    result_dir (one copy task costs one module run, so all of them go into one file when there are several)."""
    def ignoring_errors(task_list):
        out = []
        for task in task_list:
            task = dict(task)
            for section in ('block', 'rescue', 'always'):
                if section in task:
                    task[section] = ignoring_errors(task[section])
            if task.get('register'):
                task.setdefault('ignore_errors', True)
            out.append(task)
        return out

    names = registered_names(tasks)
    if not names:
        return list(tasks)
    saves = [{'name': 'Save %s for the test' % name,
              'ansible.builtin.copy': {'content': '{{ %s | to_json }}' % name, 'dest': str(result_dir / ('%s.json' % name)),
                                       'mode': '0600'}} for name in names]
    if len(saves) > 1:
        everything = ', '.join("'%s': %s | default(None)" % (name, name) for name in names)
        saves = [{'name': 'Save the registered results for the test',
                  'ansible.builtin.copy': {'content': '{{ {%s} | to_json }}' % everything,
                                           'dest': str(result_dir / 'all.json'), 'mode': '0600'}}]
    for save in saves:
        save.update({'delegate_to': 'localhost', 'run_once': True, 'no_log': True, 'check_mode': False, 'diff': False})
    return ignoring_errors(tasks) + saves


def user_keys(state):
    """{user name: [access key ids]} from the emulator's state dump (every status)."""
    keys = {}
    for key in state['access_keys'] if isinstance(state['access_keys'], list) else state['access_keys'].values():
        keys.setdefault(key['owner'], []).append(key.get('AccessKeyId') or key.get('access_key_id'))
    return keys
