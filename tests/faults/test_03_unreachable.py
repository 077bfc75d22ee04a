# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The endpoint refuses connections, accepts them and never answers, or answers later than `timeout`.

The reconcile task must fail with an error naming the problem after exactly what its options allow: max_retries + 1
attempts, counted where they arrive (the silent listener's connections, the emulator's counters), each given up by
the client after `timeout` seconds: the silent listener measures each connection from accept to the client's close,
a bound of the configuration alone (no wall clock over ansible's start-up on a loaded machine). The credential file
that the next task would write stays exactly as it was, with no temporary file left next to it.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from tests.support.faults import failure_text

USER = 'unreach-user'
TIMEOUT = 1.0
MAX_RETRIES = 2
# the module's RetryPolicy defaults (plugins/module_utils/_ram_retry.py)
BASE_DELAY, MAX_DELAY = 0.2, 5.0
OLD_FILE = 'ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIoldOldOldOldOldOld00\nALIBABA_CLOUD_ACCESS_KEY_SECRET=not-a-real-secret-old\n'


# the client must give up an unanswered attempt after `timeout`; it may take up to one more `timeout` to do so
# (scheduling, the SDK's own bookkeeping), never the SDK's default read timeout (10 s) or forever
ATTEMPT_BOUND = 2 * TIMEOUT
# the silent listener closes a connection the client has not given up after this long (and the test fails)
HANG_GUARD = 4 * TIMEOUT


def play(endpoint, env_file, emu, slow=False):
    reconcile = {'users': [USER], 'timeout': TIMEOUT, 'max_retries': MAX_RETRIES}
    healthy = dict(reconcile)
    if endpoint:
        reconcile['endpoint'] = endpoint
    # count only what the failing part calls
    admin_url, headers = emu.admin_url, emu.admin_headers()
    admin = [{'name': 'Reset the counters', 'ansible.builtin.uri': {
        'url': admin_url + '/counters/reset', 'headers': headers, 'method': 'POST'}}]
    if slow:
        admin.append({'name': 'Slow down every answer', 'ansible.builtin.uri': {
            'url': admin_url + '/faults', 'headers': headers, 'method': 'POST', 'body_format': 'json',
            'body': {'latency_ms': int(TIMEOUT * 1000 * 2)}}})
    return [
        {'name': 'Ensure the user', 'aliyun.ram.ram_users': {'users': [{'name': USER}]}},
        # the same options against the healthy endpoint work: what fails below is the endpoint alone
        {'name': 'Healthy reconcile', 'aliyun.ram.ram_access_keys': healthy, 'no_log': True},
    ] + admin + [
        {'name': 'Reconcile, then write the key', 'block': [
            {'name': 'Reconcile', 'aliyun.ram.ram_access_keys': reconcile, 'register': 'keys', 'no_log': True,
             'ignore_errors': False},
            {'name': 'Write the key', 'aliyun.ram.credential_file': {
                'format': 'env', 'path': str(env_file),
                'access_key_id': '{{ keys.access_keys[%r].access_key_id }}' % USER,
                'access_key_secret': '{{ keys.access_keys[%r].access_key_secret }}' % USER}, 'no_log': True},
        ], 'rescue': [
            # the role registers the reconcile with no_log, so its message is only in the registered result
            {'name': 'Keep the failure', 'ansible.builtin.debug': {'var': 'ansible_failed_result'}, 'no_log': True,
             'register': 'failure'},
        ]},
    ]


class SilentListener:
    """Accepts TCP connections (the kernel completes the handshake) and never answers; records, per connection, how
    long the client kept it open and whether the client closed it (or the hang guard had to)."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(('127.0.0.1', 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.attempts = []            # [(seconds open, closed by the client)]
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    @property
    def endpoint(self):
        return '127.0.0.1:%d' % self.server.getsockname()[1]

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, dummy = self.server.accept()
            except socket.timeout:
                continue
            thread = threading.Thread(target=self._hold, args=(connection, time.monotonic()), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _hold(self, connection, accepted):
        connection.settimeout(HANG_GUARD)
        closed_by_client = False
        try:
            while connection.recv(65536):
                pass
            closed_by_client = True
        except socket.timeout:
            pass
        except OSError:       # reset by the client: given up as well
            closed_by_client = True
        finally:
            connection.close()
        with self.lock:
            self.attempts.append((time.monotonic() - accepted, closed_by_client))

    def close(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(HANG_GUARD + 1)
        self.server.close()


@pytest.fixture
def silent_listener():
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture
def closed_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return '127.0.0.1:%d' % port


@pytest.mark.parametrize('kind', ['refused', 'silent', 'slow'])
def test_unreachable_endpoint_fails_in_time_and_writes_nothing(ansible, emu, tmp_path, kind, request):
    """Fails if the module ignores its `timeout` (checked: _ram_client's read_timeout fixed at the SDK's 10 s; the silent
    listener then holds every connection until its guard, and the slow endpoint's answers arrive in time), or makes
    more or fewer attempts than max_retries allows (counted by the listener and the emulator)."""
    env_file = tmp_path / 'app.env'
    env_file.write_text(OLD_FILE)
    env_file.chmod(0o600)
    endpoint = None
    if kind == 'refused':
        endpoint = request.getfixturevalue('closed_port')
    elif kind == 'silent':
        listener = request.getfixturevalue('silent_listener')
        endpoint = listener.endpoint
    run = ansible.tasks('unreach-%s' % kind, play(endpoint, env_file, emu, kind == 'slow'), secrets=['not-a-real-secret-old'])

    failure = (run.results.get('failure') or {}).get('ansible_failed_result')
    assert failure and failure.get('failed'), failure_text(run, emu)
    message = failure['msg']
    expected_words = {'refused': r'refused', 'silent': r'timed? ?out', 'slow': r'timed? ?out'}[kind]
    assert re.search(expected_words, message, re.I), message
    assert 'ListAccessKeys' in message, message
    assert failure['retries'] == MAX_RETRIES

    if kind == 'silent':
        # every attempt arrived and was given up by the client within the bound its `timeout` sets
        listener.close()
        assert len(listener.attempts) == MAX_RETRIES + 1, listener.attempts
        assert all(by_client for dummy, by_client in listener.attempts), \
            'the client kept a connection open past %ss: %r' % (HANG_GUARD, listener.attempts)
        assert max(seconds for seconds, dummy in listener.attempts) <= ATTEMPT_BOUND, listener.attempts
    elif kind == 'slow':
        # every attempt reached the emulator (after the counter reset, the failing reconcile's calls only)
        assert emu.counters()['actions']['ListAccessKeys']['calls'] == MAX_RETRIES + 1

    assert env_file.read_text() == OLD_FILE
    assert oct(env_file.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in tmp_path.iterdir()] == ['app.env']
    assert emu.counters()['writes'] == 0
