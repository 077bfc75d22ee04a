# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hold a secret store's lock so that a scenario can act while a run provably waits inside the locked key step.

    gate_lock.py hold STORE      take STORE.lock (the flock the store takes), print {"pid": N} once it is held, and
                                 keep it until STORE.lock.release exists (then remove that file and let go)
    gate_lock.py wait STORE N [--run-log LOG]
                                 wait until N processes besides the holder have STORE.lock open (each is then inside
                                 the locked step, waiting for the lock); print {"waiting": [pids]}; fail at once when
                                 the run writing LOG ends first
    gate_lock.py release STORE   make the holder let go; print {"released": true}

Event-based: nothing waits for a time, only for a file or for a process to open the lock (tests/support/locks.py);
the --timeout of each command is a guard against a run that never gets there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
sys.path.insert(0, REPO_ROOT)

from tests.support.locks import POLL_SECONDS, GateLock  # noqa: E402  pylint: disable=wrong-import-position


def hold(store, timeout):
    gate = GateLock(store)
    release_file = gate.lock_path + '.release'
    if os.path.exists(release_file):
        os.unlink(release_file)
    # a background holder (ansible async): detach from the caller's output once the lock is held
    with gate:
        with open(gate.lock_path + '.holder', 'w', encoding='utf-8') as handle:
            handle.write(str(os.getpid()))
        print(json.dumps({'pid': os.getpid()}), flush=True)
        deadline = time.monotonic() + timeout
        while not os.path.exists(release_file) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
    os.unlink(gate.lock_path + '.holder')
    if os.path.exists(release_file):
        os.unlink(release_file)
        return 0
    return 1


def run_ended(run_log):
    """Whether the run whose output goes to ``run_log`` has ended (its PLAY RECAP is there)."""
    try:
        with open(run_log, encoding='utf-8', errors='replace') as handle:
            return 'PLAY RECAP' in handle.read()
    except OSError:
        return False


def wait(store, count, timeout, run_log=None):
    gate = GateLock(store)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(gate.lock_path + '.holder', encoding='utf-8') as handle:
                holder = int(handle.read().strip())
        except (OSError, ValueError):
            holder = None
        waiting = [pid for pid in gate.openers() if pid != holder]
        if holder is not None and len(waiting) >= count:
            print(json.dumps({'waiting': waiting}))
            return 0
        if run_log and run_ended(run_log):
            print(json.dumps({'waiting': waiting, 'error': 'the run ended without waiting at the lock (see %s)' % run_log}))
            return 1
        if time.monotonic() >= deadline:
            print(json.dumps({'waiting': waiting, 'error': 'fewer than %d runs at the lock after %ss' % (count, timeout)}))
            return 1
        time.sleep(POLL_SECONDS)


def release(store):
    with open(GateLock(store).lock_path + '.release', 'w', encoding='utf-8'):
        pass
    print(json.dumps({'released': True}))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('command', choices=['hold', 'wait', 'release'])
    parser.add_argument('store')
    parser.add_argument('count', nargs='?', type=int, default=1)
    parser.add_argument('--timeout', type=float, default=1800)
    parser.add_argument('--run-log', help='wait: fail as soon as this run has ended (its PLAY RECAP is in its output)')
    args = parser.parse_args(argv)
    if args.command == 'hold':
        return hold(args.store, args.timeout)
    if args.command == 'wait':
        return wait(args.store, args.count, args.timeout, args.run_log)
    return release(args.store)


if __name__ == '__main__':
    sys.exit(main())
