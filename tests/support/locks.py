# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make concurrent runs provably meet at the secret store's lock, instead of hoping that they overlap.

The test holds the store's lock (``<store>.lock``, the flock the store takes) before it starts the runs, waits until
every run has opened the lock file (each is then inside the locked step, waiting for the lock: read from /proc), and
only then lets go. From that moment the runs can only take the lock one after the other: the evidence that one run
waited on the other is the list of processes that were waiting at the release.
"""

from __future__ import annotations

import fcntl
import os
import time

POLL_SECONDS = 0.05


class GateLock:
    """The store's lock, held by the test (``with GateLock(store_path) as gate: ... gate.release_when(2, alive)``)."""

    def __init__(self, store_path):
        self.lock_path = str(store_path) + '.lock'
        self.fd = None
        self.waiting_at_release = []

    def __enter__(self):
        self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        self.release()
        return False

    def release(self):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def openers(self):
        """Pids of the other processes that have the lock file open."""
        wanted = os.path.realpath(self.lock_path)
        found = set()
        for pid in os.listdir('/proc'):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            fd_dir = '/proc/%s/fd' % pid
            try:
                names = os.listdir(fd_dir)
            except OSError:         # gone, or not ours to read
                continue
            for name in names:
                try:
                    if os.readlink(os.path.join(fd_dir, name)) == wanted:
                        found.add(int(pid))
                        break
                except OSError:
                    continue
        return sorted(found)

    def release_when(self, count, running, timeout=600):
        """Release the lock once ``count`` other processes wait on it; fails (AssertionError) if ``running()`` turns
        false first (a run ended without reaching the lock) or after ``timeout`` seconds (a guard, never reached)."""
        deadline = time.monotonic() + timeout
        while True:
            openers = self.openers()
            if len(openers) >= count:
                self.waiting_at_release = openers
                self.release()
                return openers
            assert running(), 'a run ended before %d runs waited at the lock %s (waiting: %s)' % (
                count, self.lock_path, openers)
            assert time.monotonic() < deadline, 'no %d runs at the lock %s after %ss' % (count, self.lock_path, timeout)
            time.sleep(POLL_SECONDS)
