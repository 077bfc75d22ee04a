# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch worker pool and the backoff every worker shares."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._batch import BackoffGate, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam, make_api, throttled


class FakeClock(object):
    """Time that moves only when someone sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self.now

    def sleep(self, seconds):
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_gate_holds_everyone_until_the_latest_not_before_time():
    clock = FakeClock()
    gate = BackoffGate(clock=clock, sleep=clock.sleep, rand=lambda: 0.0)
    gate.wait()
    assert clock.sleeps == []
    gate.hold(2.0)
    gate.hold(1.0)   # a shorter hold does not shorten the wait
    gate.wait()
    assert clock.sleeps == [2.0] and gate.holds == 2
    gate.wait()
    assert clock.sleeps == [2.0]


def test_gate_jitters_the_resume():
    clock = FakeClock()
    gate = BackoffGate(clock=clock, sleep=clock.sleep, rand=lambda: 1.0)
    gate.hold(1.0)
    gate.wait()
    assert clock.sleeps == [pytest.approx(1.2)]


def test_throttled_worker_holds_the_gate_for_all_and_retries_are_counted():
    fake = FakeRam()
    fake.add_user('alice')
    api, dummy = make_api(fake)
    gate = share_backoff(api)
    fake.fail('GetUser', lambda: throttled(retry_after=1500))
    assert api.read('GetUser', UserName='alice')['User']['UserName'] == 'alice'
    assert api.retries == 1 and gate.holds == 1
    # the delay honoured x-acs-retry-after, through the gate
    assert api.policy.sleep.delays and api.policy.sleep.delays[0] >= 1.5
    assert share_backoff(api) is gate


def test_derived_apis_share_the_gate_and_the_retry_count():
    fake = FakeRam()
    api, dummy = make_api(fake)
    share_backoff(api)
    fake.with_credentials = lambda credentials: fake
    derived = api.with_access_key('LTAIother', 'other-secret-value')
    fake.fail('GetCallerIdentity', throttled)
    derived.read('GetCallerIdentity', service='sts')
    assert api.retries == 1 and derived.retries == 0 and api.transport.gate.holds == 1


def test_run_parallel_really_runs_in_parallel_and_keeps_order():
    barrier = threading.Barrier(4, timeout=30)

    def work(item):
        barrier.wait()   # breaks (BrokenBarrierError) unless 4 items run at the same time
        return item * 2

    outcomes = run_parallel([1, 2, 3, 4], work, parallelism=4)
    assert [o.result for o in outcomes] == [2, 4, 6, 8]


def test_run_parallel_bounds_the_workers():
    running, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def work(item):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            if peak[0] >= 3:
                release.set()
        release.wait(30)
        with lock:
            running[0] -= 1
        return item

    run_parallel(range(12), work, parallelism=3)
    assert peak[0] == 3


def test_run_parallel_collects_api_failures_and_finishes_the_rest():
    def work(item):
        if item == 2:
            raise ApiError('GetUser', code='NoPermission', request_id='REQ-9')
        return item

    outcomes = run_parallel([1, 2, 3], work, parallelism=2)
    assert [o.failed for o in outcomes] == [False, True, False]
    assert outcomes[1].error.code == 'NoPermission' and outcomes[2].result == 3


def test_run_parallel_reraises_bugs():
    def work(item):
        raise KeyError(item)

    with pytest.raises(KeyError):
        run_parallel([1, 2], work, parallelism=2)
