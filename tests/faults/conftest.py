# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault-injection suite: playbooks against the emulator while it throttles, fails, drops or stalls.

Every playbook runs at -vvvv with --diff; its output and ansible log land in one session directory,
and every run is scanned for the secrets the emulator has issued (test_99_leak_scan scans them all
again at the end). Registered results are saved by one no_log task at the end of the play into a 0600
JSON file, read back by the test and deleted at once: they carry the secrets of created keys, the
logs must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
COLLECTIONS_DIR = REPO_ROOT / '.cache' / 'collections'
sys.path.insert(0, str(REPO_ROOT))

from tests.support.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
PROXY_VARS = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy')


def ensure_collection_link():
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT)


@pytest.fixture(scope='session')
def emulator(tmp_path_factory):
    with Emulator(state_dir=str(tmp_path_factory.mktemp('emulator'))) as emu:
        yield emu


@pytest.fixture(scope='session')
def run_dir(tmp_path_factory):
    """Where every playbook's output and ansible log of the session is kept (for the final leak scan)."""
    return tmp_path_factory.mktemp('fault-runs')


@pytest.fixture
def emu(emulator):
    """The session emulator, back to a fresh account with no faults, zero counters and the real clock."""
    emulator.reset()
    emulator.clear_faults()
    emulator.reset_counters()
    emulator.admin('POST', 'clock', {'offset_seconds': 0})
    yield emulator
    emulator.clear_faults()


@pytest.fixture
def ansible(emu, run_dir):
    return Ansible(emu, run_dir)


class Run:
    def __init__(self, name, returncode, output, results, elapsed):
        self.name = name
        self.returncode = returncode
        self.output = output
        self.results = results
        self.elapsed = elapsed

    def __repr__(self):
        return '<Run %s rc=%s %.1fs>' % (self.name, self.returncode, self.elapsed)


class Ansible:
    """Generates, runs and leak-scans playbooks; the registered results come back as dicts."""

    def __init__(self, emulator, run_dir):
        self.emulator = emulator
        self.run_dir = Path(run_dir)
        ensure_collection_link()

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        env.update(self.emulator.env_for('admin'))
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

    def _prepare(self, name, plays, inventory, extra_vars, check, env):
        result_dir = self.run_dir / ('%s.results' % name)
        result_dir.mkdir(mode=0o700)
        plays = [dict(play, tasks=with_saved_results(play.get('tasks', []), result_dir)) for play in plays]
        playbook = self.run_dir / ('%s.yml' % name)
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
        cmd = [ANSIBLE_PLAYBOOK, '-vvvv', '--diff', '-i', inventory or 'localhost,', str(playbook)]
        if extra_vars:
            vars_file = self.run_dir / ('%s.vars.yml' % name)
            vars_file.write_text(yaml.safe_dump(extra_vars))
            cmd[1:1] = ['-e', '@%s' % vars_file]
        if check:
            cmd.insert(1, '--check')
        full_env = self.env(env)
        full_env['ANSIBLE_LOG_PATH'] = str(self.run_dir / ('%s.ansible.log' % name))
        return cmd, full_env, result_dir

    def start(self, name, plays, inventory=None, extra_vars=None, check=False, env=None):
        """Start a playbook in the background; ``finish`` it later (concurrent runs)."""
        cmd, full_env, result_dir = self._prepare(name, plays, inventory, extra_vars, check, env)
        output = open(self.run_dir / ('%s.out' % name), 'wb')  # pylint: disable=consider-using-with
        proc = subprocess.Popen(cmd, env=full_env, stdout=output, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                cwd=str(REPO_ROOT), stdin=subprocess.DEVNULL)
        output.close()
        return (name, proc, result_dir, time.monotonic())

    def finish(self, handle, timeout=600):
        name, proc, result_dir, started = handle
        proc.wait(timeout=timeout)
        elapsed = time.monotonic() - started
        output = (self.run_dir / ('%s.out' % name)).read_text(errors='replace')
        ansible_log = self.run_dir / ('%s.ansible.log' % name)
        if ansible_log.exists():
            output += ansible_log.read_text(errors='replace')
        results = {}
        for path in sorted(result_dir.glob('*.json')):
            loaded = json.loads(path.read_text())
            results.update(loaded if path.name == 'all.json' else {path.stem: loaded})
            path.unlink()
        result_dir.rmdir()
        run = Run(name, proc.returncode, output, results, elapsed)
        assert_no_secret_in(output, self.emulator.secrets(), 'the output of playbook %s' % name)
        return run

    def run(self, name, plays, **kwargs):
        return self.finish(self.start(name, plays, **kwargs))

    def tasks(self, name, tasks, hosts='localhost', **kwargs):
        """One play of ``tasks`` on localhost (local connection, no facts)."""
        return self.run(name, [{'name': name, 'hosts': hosts, 'gather_facts': False,
                                'vars': {'ansible_connection': 'local'}, 'tasks': tasks}], **kwargs)


def registered_names(tasks):
    names = []
    for task in tasks:
        for section in ('block', 'rescue', 'always'):
            names.extend(registered_names(task.get(section, [])))
        if task.get('register'):
            names.append(task['register'])
    return names


def with_saved_results(tasks, result_dir):
    """Registered tasks get ``ignore_errors`` (the test asserts on failures, not ansible); one no_log task at
    the end saves every registered result to result_dir/<register>.json (one copy task costs a module run)."""
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


def assert_no_secret_in(text, secrets, where):
    leaked = sum(1 for secret in secrets if secret and secret in text)
    assert not leaked, '%d secret(s) issued by the emulator appear in %s' % (leaked, where)


def failure_text(run, emulator):
    """The tail of a run's output with every issued secret masked, for assertion messages."""
    tail = run.output[-6000:]
    for secret in emulator.secrets():
        if secret:
            tail = tail.replace(secret, '********')
    return '%r:\n%s' % (run, tail)


def provision_tasks(users, max_retries, held=None, keys_when=None):
    """The controller side of a provision: ram_users for ``users`` (each with one policy), then one
    ram_access_keys task for all of them (registered as ``users`` and ``keys``)."""
    keys_task = {'name': 'One key per user', 'aliyun.ram.ram_access_keys': {
        'users': users, 'held': held or [], 'max_retries': max_retries}, 'register': 'keys', 'no_log': True}
    if keys_when:
        keys_task['when'] = keys_when
    return [
        {'name': 'Ensure the users', 'aliyun.ram.ram_users': {
            'users': [{'name': name, 'policies': ['System:AliyunOSSReadOnlyAccess']} for name in users],
            'max_retries': max_retries}, 'register': 'users'},
        keys_task,
    ]


def user_keys(state):
    """{user name: [access key ids]} from the emulator's state dump (every status)."""
    keys = {}
    for key in state['access_keys'] if isinstance(state['access_keys'], list) else state['access_keys'].values():
        keys.setdefault(key['owner'], []).append(key.get('AccessKeyId') or key.get('access_key_id'))
    return keys
