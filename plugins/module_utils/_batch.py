# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Batch modules: a bounded worker pool over one RamApi, with one backoff shared by every worker.

Throttling is per account, not per thread: when one worker is told to slow down, every worker waits
until the shared not-before time, each with a little jitter so that they do not resume in lock step.

Thread safety of the SDK: tea-openapi clients keep no per-request state on the instance, and darabonba
sends every request through one process-wide ``requests.Session`` per endpoint whatever the client, so
one client per worker would share the same session anyway; the pool therefore shares the RamApi.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, ValidationError, scrub
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy, is_throttled

MIN_PARALLELISM = 1
MAX_PARALLELISM = 32
# a waiting worker resumes up to this fraction of the remaining wait later than the shared time
RESUME_JITTER = 0.2


def check_parallelism(value):
    if value is None or not MIN_PARALLELISM <= value <= MAX_PARALLELISM:
        raise ValidationError('parallelism must be between %d and %d, got %r' % (MIN_PARALLELISM, MAX_PARALLELISM, value))
    return value


class BackoffGate(object):
    """A not-before time every worker respects before sending a request."""

    def __init__(self, clock=None, sleep=None, rand=None):
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._rand = rand or random.random
        self._lock = threading.Lock()
        self._not_before = 0.0
        self.holds = 0

    def hold(self, seconds):
        """Nobody sends anything for ``seconds`` from now (a longer hold already in place wins)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)
            self.holds += 1

    def wait(self):
        waited_for = None
        while True:
            with self._lock:
                not_before = self._not_before
                remaining = not_before - self._clock()
            # after sleeping out one hold, wait again only if another worker has pushed the time further
            if remaining <= 0 or not_before == waited_for:
                return
            waited_for = not_before
            self._sleep(remaining * (1.0 + RESUME_JITTER * self._rand()))


class _SharedBackoffPolicy(RetryPolicy):
    """The module's retry policy, except that a throttled worker holds the gate for all workers."""

    def __init__(self, policy, gate):
        super().__init__(max_retries=policy.max_retries, base_delay=policy.base_delay, max_delay=policy.max_delay,
                         sleep=policy.sleep, rand=policy.rand, consistency_window=policy.consistency_window)
        self.gate = gate

    def pause(self, retry_number, err):
        delay = self.delay(retry_number, err.retry_after_ms)
        if is_throttled(err):
            self.gate.hold(delay)
            self.gate.wait()
        else:
            self.sleep(delay)


class _GatedTransport(object):
    """Waits at the gate before every request."""

    def __init__(self, transport, gate):
        self.inner = transport
        self.gate = gate

    def invoke(self, service, action, params):
        self.gate.wait()
        return self.inner.invoke(service, action, params)

    def endpoint(self, service):
        return self.inner.endpoint(service)

    def with_credentials(self, credentials):
        return _GatedTransport(self.inner.with_credentials(credentials), self.gate)


def share_backoff(api, gate=None):
    """Make every request of ``api`` (and of RamApis derived from it) respect one shared backoff gate."""
    if isinstance(api.transport, _GatedTransport):
        return api.transport.gate
    policy = api.policy
    gate = gate or BackoffGate(sleep=policy.sleep, rand=policy.rand)
    api.policy = _SharedBackoffPolicy(policy, gate)
    api.transport = _GatedTransport(api.transport, gate)
    return gate


class Outcome(object):
    """What one work item gave: ``result``, or the expected failure in ``error``."""

    def __init__(self, item, result=None, error=None):
        self.item = item
        self.result = result
        self.error = error

    @property
    def failed(self):
        return self.error is not None


EXPECTED_FAILURES = (ApiError, ConflictError)


def run_parallel(items, work, parallelism):
    """``work(item)`` for every item on at most ``parallelism`` threads; Outcomes in the order of ``items``.

    API failures and conflicts of one item are recorded and the others carry on; anything else is a bug
    and is re-raised once every item is done.
    """
    items = list(items)
    if not items:
        return []

    def guarded(item):
        try:
            return Outcome(item, result=work(item))
        except EXPECTED_FAILURES as err:
            return Outcome(item, error=err)

    workers = max(1, min(int(parallelism), len(items)))
    if workers == 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix='aliyun-ram') as pool:
        futures = [pool.submit(guarded, item) for item in items]
        outcomes = []
        unexpected = None
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as exc:  # pylint: disable=broad-exception-caught
                unexpected = unexpected or exc
                outcomes.append(None)
    if unexpected is not None:
        raise unexpected
    return outcomes


def error_result(err):
    """The ``error`` entry of a failed item: C(code), C(status), C(request_id), C(action) of an API failure, and
    ``message`` (which names the RAM code and request id, never a secret)."""
    if isinstance(err, ApiError):
        return dict(err.as_result(), message=str(err))
    return {'code': None, 'message': str(err)}


def raise_failures(lead, failures, secrets=(), **details):
    """Collect, then fail once: ``failures`` is ``[(name, error)]`` of the items that failed while the others went on.

    Raises ConflictError ``'<lead>: <name>: <error>; ...'`` (``secrets`` scrubbed) with ``errors`` (per name, see
    ``error_result``) and ``details`` next to the message; does nothing when nothing failed."""
    if not failures:
        return
    message = '%s: %s' % (lead, '; '.join('%s: %s' % (name, err) for name, err in failures))
    errors = dict((name, dict(error_result(err), message=scrub(str(err), secrets))) for name, err in failures)
    raise ConflictError(scrub(message, secrets), errors=errors, **details)
