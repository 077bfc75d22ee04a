# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Retry decisions for RAM/STS calls (tea-openapi 0.4 retries nothing by itself).

Reads are retried on anything transient.  A write is resent only when the failure proves the request
was not applied; an ambiguous failure (no answer, 5xx after the request was accepted) is handed to a
per-action reconciliation that looks at the resulting state instead of resending blindly.
"""

from __future__ import annotations

import random
import time

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import (
    TRANSPORT_AMBIGUOUS,
    TRANSPORT_NOT_SENT,
)

RETRY = 'retry'            # resend the same request
RECONCILE = 'reconcile'    # look at the state first: it may have been applied
FAIL = 'fail'              # final: report it

_TRANSIENT_CODES = ('ServiceUnavailable', 'InternalError', 'ServiceTimeout', 'SignatureNonceUsed')

# A server asking for longer than this is treated as this long; a module run should not hang for minutes.
MAX_RETRY_AFTER_SECONDS = 60.0
# RAM is eventually consistent: how long a read may lag a write, by default (the consistency_window option).
CONSISTENCY_WINDOW_SECONDS = 15.0
# the pauses between reads while waiting for a write to show (the last one repeats)
POLL_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.6, 2.0)


def is_throttled(err):
    code = err.code or ''
    return code.startswith('Throttling') or code == 'Rejected.Throttling' or bool(err.retry_after_ms)


def read_disposition(err):
    """What to do after a failed read."""
    if is_throttled(err) or err.transport in (TRANSPORT_NOT_SENT, TRANSPORT_AMBIGUOUS):
        return RETRY
    if (err.code or '') in _TRANSIENT_CODES or (err.status or 0) >= 500:
        return RETRY
    return FAIL


def write_disposition(err):
    """What to do after a failed write: resend only when the failure proves nothing was applied."""
    if is_throttled(err) or err.transport == TRANSPORT_NOT_SENT:
        return RETRY
    if err.code == 'ServiceUnavailable' and err.status == 503:
        return RETRY
    if err.code == 'SignatureNonceUsed':
        # rejected by the gateway before dispatch; a resend carries a fresh nonce
        return RETRY
    if err.transport == TRANSPORT_AMBIGUOUS or err.code == 'InternalError' or (err.status or 0) >= 500:
        return RECONCILE
    return FAIL


class RetryPolicy(object):
    """Bounded, jittered exponential backoff; ``sleep`` and ``rand`` are injectable for tests."""

    def __init__(self, max_retries=5, base_delay=0.2, max_delay=5.0, sleep=None, rand=None,
                 consistency_window=CONSISTENCY_WINDOW_SECONDS):
        self.max_retries = max(0, int(max_retries))
        self.consistency_window = max(0.0, float(consistency_window))
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.sleep = sleep or time.sleep
        self.rand = rand or random.random

    def delay(self, retry_number, retry_after_ms=None):
        """Seconds to wait before retry ``retry_number`` (0-based): equal jitter, at least what the server asked."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** retry_number))
        wait = ceiling / 2.0 + self.rand() * ceiling / 2.0
        if retry_after_ms:
            wait = max(wait, min(retry_after_ms / 1000.0, MAX_RETRY_AFTER_SECONDS))
        return wait

    def pause(self, retry_number, err):
        self.sleep(self.delay(retry_number, err.retry_after_ms))

    def poll_pauses(self, window=None):
        """The pauses of a wait for a write to show: they add up to the consistency window (or ``window``), so the
        wait is bounded by configuration, not by how long the reads take."""
        budget = self.consistency_window if window is None else max(0.0, float(window))
        pauses = []
        while budget > 0:
            pause = min(budget, POLL_DELAYS[min(len(pauses), len(POLL_DELAYS) - 1)])
            pauses.append(pause)
            budget -= pause
        return pauses
