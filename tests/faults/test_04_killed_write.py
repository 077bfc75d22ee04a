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

from conftest import COLLECTIONS_DIR, ensure_collection_link

TRIALS = int(os.environ.get('FAULTS_KILL_TRIALS', '200'))
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


def temp_files(directory, target):
    return [name for name in os.listdir(directory) if name.startswith('.%s.' % target.name) and name.endswith('.tmp')]


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
    path, contents, run_time = config
    rng = random.Random(os.environ.get('FAULTS_SEED', '1'))
    current = 0
    killed_in_write_window = replaced = 0
    for trial in range(TRIALS):
        wanted = 1 - current
        stale = set(temp_files(path.parent, path))
        pid = run_module_in_child(path, KEYS[wanted])
        if trial % 2:
            time.sleep(rng.uniform(0, run_time * 1.1))
        else:
            # wait for the temporary file, then kill somewhere inside the write
            deadline = time.monotonic() + run_time * 5 + 1
            while not set(temp_files(path.parent, path)) - stale and time.monotonic() < deadline:
                if os.waitpid(pid, os.WNOHANG) != (0, 0):
                    pid = None
                    break
            if pid:
                killed_in_write_window += 1
                time.sleep(rng.uniform(0, 0.005))
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        data = path.read_bytes()
        assert data in (contents[current], contents[wanted]), \
            'trial %d: the file is neither the old nor the new content (%d bytes)' % (trial, len(data))
        if data == contents[wanted]:
            current = wanted
            replaced += 1
        for name in [path.name] + temp_files(path.parent, path):
            mode = stat.S_IMODE(os.stat(path.parent / name).st_mode)
            assert mode & ~MODE == 0, 'trial %d: %s has mode %04o, wider than %04o' % (trial, name, mode, MODE)
    print('%d SIGKILL trials: %d replaced the file, %d killed after the temp file appeared, %d temp files left'
          % (TRIALS, replaced, killed_in_write_window, len(temp_files(path.parent, path))))
    # both outcomes happened: the kills really landed before and after the rename
    assert 0 < replaced < TRIALS and killed_in_write_window > 0


def test_killed_writes_leave_no_temporary_files(config):
    path, dummy, dummy = config
    for dummy in range(5):
        pid = run_module_in_child(path, KEYS[1])
        while not temp_files(path.parent, path):
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                pytest.fail('the module finished before its temporary file was seen')
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    complete_run(path, KEYS[0])
    assert temp_files(path.parent, path) == []
