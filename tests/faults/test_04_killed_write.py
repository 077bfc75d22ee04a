# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""credential_file killed with SIGKILL at random points while it rewrites a large aliyun CLI config.

Each trial forks a child that runs the module's main() (the whole module: argument parsing, merge,
atomic write), and kills it -9 either after a random delay over the module's whole run time, or at a
random moment after its temporary file appears (the write window, which a uniform delay rarely hits).
After every trial the file must be byte-for-byte the old or the new content, and neither it nor any
temporary file may have a mode wider than the requested 0600.

A kill counts as "in the write window" only when it provably landed between the creation of the temporary file and
the rename (plugins/module_utils/_atomic_write.py replace_at): the child's own temporary file (its pid is in the name)
still exists after the kill. The test requires a minimum number of such kills, and that the stale temporary files
they leave exist until the next write removes them.

Forking from an interpreter that has already imported the module keeps a trial at the cost of the
module's own work, so 200 trials take seconds rather than the minutes 200 `ansible` runs would.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import sys
import time

import pytest

from tests.support.playbook import COLLECTIONS_DIR, ensure_collection_link

TRIALS = int(os.environ.get('FAULTS_KILL_TRIALS', '200'))
# of the TRIALS // 2 trials aimed at the write window, at least this many must provably land inside it
MIN_KILLS_IN_WRITE_WINDOW = max(1, TRIALS // 20)
PROFILES = 1000
MODE = 0o600
KEYS = [('LTAI5tAAAAAAAAAAAAAAAAAA', 'secretAAAAAAAAAAAAAAAAAAAAAAAA'),
        ('LTAI5tBBBBBBBBBBBBBBBBBB', 'secretBBBBBBBBBBBBBBBBBBBBBBBB')]


def big_config():
    profiles = [{'name': 'other-%04d' % i, 'mode': 'AK', 'access_key_id': 'LTAI5tOther%013d' % i,
                 'access_key_secret': 'x' * 30, 'region_id': 'cn-hangzhou', 'output_format': 'json', 'language': 'en'}
                for i in range(PROFILES)]
    return json.dumps({'current': 'other-0000', 'profiles': profiles, 'meta_path': ''}, indent='\t') + '\n'


def run_module_in_child(path, key):
    """Fork; the child runs credential_file's main() with these arguments and never returns."""
    args = {'ANSIBLE_MODULE_ARGS': {'format': 'aliyun_cli', 'path': str(path), 'profile': 'app',
                                    'access_key_id': key[0], 'access_key_secret': key[1],
                                    'region': 'cn-hangzhou', 'mode': '0600'}}
    pid = os.fork()
    if pid:
        return pid
    status = 70
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
        from ansible_collections.aliyun.ram.plugins.modules import credential_file  # pylint: disable=import-outside-toplevel
        basic._ANSIBLE_ARGS = json.dumps(args).encode()  # pylint: disable=protected-access
        basic._ANSIBLE_PROFILE = 'legacy'  # pylint: disable=protected-access
        credential_file.main()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    finally:
        os._exit(status)  # pylint: disable=protected-access
    return None


def temp_files(directory, target, pid=None):
    """The temporary files of writes to ``target`` (of the process ``pid`` only, when given: its pid is in the name)."""
    prefix = '.%s.' % target.name if pid is None else '.%s.%d.' % (target.name, pid)
    return [name for name in os.listdir(directory) if name.startswith(prefix) and name.endswith('.tmp')]


@pytest.fixture(scope='module')
def module_importable():
    ensure_collection_link()
    if str(COLLECTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_DIR))
    # import in the parent: every forked child starts with the module loaded
    from ansible_collections.aliyun.ram.plugins.modules import credential_file  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import


def complete_run(path, key):
    pid = run_module_in_child(path, key)
    started = time.monotonic()
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return time.monotonic() - started


@pytest.fixture
def config(tmp_path, module_importable):
    """A large config whose two possible contents (profile `app` with key A or key B) are known."""
    path = tmp_path / 'config.json'
    path.write_text(big_config())
    path.chmod(MODE)
    complete_run(path, KEYS[1])
    with_b = path.read_bytes()
    run_time = complete_run(path, KEYS[0])
    with_a = path.read_bytes()
    assert with_a != with_b
    return path, {0: with_a, 1: with_b}, run_time


def test_sigkill_never_leaves_a_partial_or_wider_file(config):
    """Fails if the write is not atomic (checked: replace_at renaming the empty temporary file over the target first and
    writing the data after it, so kills inside the write leave an empty or partial file) or the temporary file is
    created wider than 0600.
    The count of kills inside the write window fails if they are counted without proof (a kill after the rename left
    no temporary file of the child) or if too few land there (the window-aimed trials must really hit it)."""
    path, contents, run_time = config
    rng = random.Random(os.environ.get('FAULTS_SEED', '1'))
    current = 0
    killed_in_write_window = replaced = 0
    for trial in range(TRIALS):
        wanted = 1 - current
        pid = run_module_in_child(path, KEYS[wanted])
        if trial % 2:
            time.sleep(rng.uniform(0, run_time * 1.1))
        else:
            # wait for the child's temporary file, then kill somewhere inside the write
            deadline = time.monotonic() + run_time * 5 + 1
            while not temp_files(path.parent, path, pid) and time.monotonic() < deadline:
                if os.waitpid(pid, os.WNOHANG) != (0, 0):
                    pid = None
                    break
            if pid:
                time.sleep(rng.uniform(0, 0.002))
        killed_pid = pid
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        data = path.read_bytes()
        assert data in (contents[current], contents[wanted]), \
            'trial %d: the file is neither the old nor the new content (%d bytes)' % (trial, len(data))
        if killed_pid and temp_files(path.parent, path, killed_pid):
            # killed between the creation of its temporary file and the rename: the target is still the old one
            killed_in_write_window += 1
            assert data == contents[current], 'trial %d: killed before the rename, yet the file changed' % trial
        if data == contents[wanted]:
            current = wanted
            replaced += 1
        for name in [path.name] + temp_files(path.parent, path):
            mode = stat.S_IMODE(os.stat(path.parent / name).st_mode)
            assert mode & ~MODE == 0, 'trial %d: %s has mode %04o, wider than %04o' % (trial, name, mode, MODE)
    print('%d SIGKILL trials: %d replaced the file, %d killed between temp file and rename, %d temp files left'
          % (TRIALS, replaced, killed_in_write_window, len(temp_files(path.parent, path))))
    # both outcomes happened: the kills really landed before and after the rename
    assert 0 < replaced < TRIALS
    assert killed_in_write_window >= MIN_KILLS_IN_WRITE_WINDOW, \
        'only %d kills landed between temp file and rename (need %d)' % (killed_in_write_window, MIN_KILLS_IN_WRITE_WINDOW)


def test_killed_writes_leave_no_temporary_files(config):
    """Fails if the next write stops removing the temporary files of killed writes (checked: the call of
    remove_stale_temp_files_at removed from replace_at), or if no kill left one (the clean-up checked on nothing)."""
    path, contents, dummy = config
    landed = 0
    for dummy in range(100):
        # always the other key: a write of the content already there would change nothing and make no temp file
        pid = run_module_in_child(path, KEYS[0] if path.read_bytes() == contents[1] else KEYS[1])
        while not temp_files(path.parent, path, pid):
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                assert os.waitstatus_to_exitcode(status) == 0, 'the module failed (exit %d)' % os.waitstatus_to_exitcode(status)
                pid = None   # finished between two looks at the directory: try again
                break
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            # killed before the rename when its temp file is still there; each write removes the ones before it
            if temp_files(path.parent, path, pid):
                landed += 1
                if landed == 5:
                    break
    assert landed == 5, 'only %d of 100 kills landed between temp file and rename' % landed
    assert temp_files(path.parent, path, pid), 'no stale temporary file before the clean-up'
    assert temp_files(path.parent, path) == temp_files(path.parent, path, pid), \
        'the writes after a kill did not remove the stale temporary files of the kills before'
    complete_run(path, KEYS[0] if path.read_bytes() == contents[1] else KEYS[1])
    assert temp_files(path.parent, path) == []
