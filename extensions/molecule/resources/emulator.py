# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start or stop the RAM/STS emulator of a molecule scenario, as a background process with a pid file.

    emulator.py start DIR --host ADDRESS     # state.json, root.env, admin.env, admin.token, port, pid, emulator.log in DIR
    emulator.py stop DIR

Runs with the Python that runs ansible-playbook (it has the ram_emulator package). Prints one JSON line
({"changed": ..., "port": ...}); the key files and the admin API token stay in DIR and are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time


def _paths(directory):
    return {name: os.path.join(directory, name)
            for name in ('pid', 'port', 'state.json', 'root.env', 'admin.env', 'admin.token', 'emulator.log')}


def _running_pid(directory):
    """The pid of this directory's emulator if it still runs (a recycled pid or a zombie does not count)."""
    try:
        with open(_paths(directory)['pid'], encoding='ascii') as handle:
            pid = int(handle.read().strip())
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')
        with open('/proc/%d/stat' % pid, encoding='ascii', errors='replace') as handle:
            state = handle.read().rsplit(')', 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    if state == 'Z' or b'ram_emulator' not in argv or _paths(directory)['state.json'].encode() not in argv:
        return None
    return pid


def _read_port(path):
    try:
        with open(path, encoding='ascii') as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text else None


def _log_tail(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.read()[-2000:]
    except FileNotFoundError:
        return ''


def start(directory, host, timeout):
    paths = _paths(directory)
    if _running_pid(directory):
        return {'changed': False, 'port': _read_port(paths['port'])}
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for stale in ('pid', 'port'):
        if os.path.exists(paths[stale]):
            os.unlink(paths[stale])
    cmd = [sys.executable, '-m', 'ram_emulator', '--host', host, '--port', '0', '--port-file', paths['port'],
           '--state', paths['state.json'], '--root-key-file', paths['root.env'], '--admin-key-file', paths['admin.env'],
           '--admin-token-file', paths['admin.token'],
           # RAM is eventually consistent: reads see a write this much later (as in tests/support/emulator.py)
           '--propagation-delay', os.environ.get('ALIYUN_RAM_TEST_PROPAGATION_DELAY', '0.2'),
           # a log line per request: the scenario's leak scan reads the whole log (no_secret_in_output.yml)
           '--verbose']
    with open(paths['emulator.log'], 'ab') as log:
        # A new session: the emulator must outlive this command and the ansible task that ran it.
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   start_new_session=True)
    with open(paths['pid'], 'w', encoding='ascii') as handle:
        handle.write('%d\n' % process.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit('ram-emulator exited with %s:\n%s' % (process.returncode, _log_tail(paths['emulator.log'])))
        port = _read_port(paths['port'])
        if port:
            return {'changed': True, 'port': port, 'pid': process.pid}
        time.sleep(0.05)
    stop(directory, timeout)
    raise SystemExit('ram-emulator did not listen within %ss:\n%s' % (timeout, _log_tail(paths['emulator.log'])))


def stop(directory, timeout):
    paths = _paths(directory)
    pid = _running_pid(directory)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _running_pid(directory) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _running_pid(directory):
            os.kill(pid, signal.SIGKILL)
    # A scenario's emulator lives from create to destroy: the next create starts from a fresh account.
    for name in ('pid', 'port', 'state.json', 'root.env', 'admin.env', 'admin.token'):
        if os.path.exists(paths[name]):
            os.unlink(paths[name])
    return {'changed': bool(pid)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=['start', 'stop'])
    parser.add_argument('directory')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--timeout', type=float, default=20.0)
    args = parser.parse_args(argv)
    directory = os.path.abspath(args.directory)
    result = start(directory, args.host, args.timeout) if args.action == 'start' else stop(directory, args.timeout)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
