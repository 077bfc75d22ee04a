# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch worker pool and the backoff every worker shares."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._batch import BackoffGate, raise_failures, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError
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
    """The first workers block until the pool is full (3 running), then keep blocking until a 4th worker shows up or
    the main thread has seen nothing more for a while: without a bound every item is already submitted to a thread of
    its own by then, so the 4th arrives at once. Fails without the bound (checked: run_parallel's pool made with
    max_workers=len(items): 300 of 300 trials saw a peak above 3); the old version, which released the workers as soon
    as 3 ran, saw a peak of 3 either way."""
    bound, items = 3, 12
    running, peak = [0], [0]
    condition = threading.Condition()
    pool_full = threading.Event()
    judged = threading.Event()

    def work(item):
        with condition:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            if running[0] >= bound:
                pool_full.set()
            condition.notify_all()
            # block until the pool is full; then the first wave waits for the verdict (a worker beyond the bound)
            condition.wait_for(pool_full.is_set, timeout=30)
            condition.wait_for(lambda: judged.is_set() or running[0] > bound, timeout=30)
            running[0] -= 1
        return item

    def judge():
        # the verdict: once the pool is full, give a worker beyond the bound the time it needs to start (it is
        # submitted already: run_parallel submits every item before it waits for any), then release everybody
        pool_full.wait(30)
        with condition:
            condition.wait_for(lambda: running[0] > bound, timeout=0.5)
            judged.set()
            condition.notify_all()

    judge_thread = threading.Thread(target=judge)
    judge_thread.start()
    outcomes = run_parallel(range(items), work, parallelism=bound)
    judge_thread.join()
    assert [o.result for o in outcomes] == list(range(items))
    assert peak[0] == bound


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


def test_failures_are_collected_then_raised_once_without_secrets():
    raise_failures('nothing failed', [])
    failures = [('u1', ApiError('ListAccessKeys', code='NoPermission', request_id='REQ-7')),
                ('u2', ConflictError('at the limit, held secret-value-123'))]
    with pytest.raises(ConflictError) as info:
        raise_failures('2 of 3 users failed', failures, ['secret-value-123'], users=['u1', 'u2', 'u3'])
    message = str(info.value)
    assert message.startswith('2 of 3 users failed: u1: ') and '; u2: at the limit' in message
    assert 'secret-value-123' not in message and info.value.details['users'] == ['u1', 'u2', 'u3']
    errors = info.value.details['errors']
    assert errors['u1']['code'] == 'NoPermission' and errors['u1']['request_id'] == 'REQ-7'
    assert errors['u2'] == {'code': None, 'message': 'at the limit, held ********'}
