# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The endpoint refuses connections, accepts them and never answers, or answers later than `timeout`.

The reconcile task must fail with an error naming the problem within what its options allow:
(max_retries + 1) attempts of at most `timeout` seconds each, plus the longest backoff between them,
plus the task's own cost measured on a healthy endpoint in the same test. The credential file that
the next task would write stays exactly as it was, with no temporary file left next to it.
"""

from __future__ import annotations

import re
import socket
from datetime import datetime

import pytest

from conftest import failure_text

USER = 'unreach-user'
TIMEOUT = 1.0
MAX_RETRIES = 2
# the module's RetryPolicy defaults (plugins/module_utils/_ram_retry.py)
BASE_DELAY, MAX_DELAY = 0.2, 5.0
OLD_FILE = 'ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIoldOldOldOldOldOld00\nALIBABA_CLOUD_ACCESS_KEY_SECRET=not-a-real-secret-old\n'


def longest_backoff(max_retries):
    """Upper bound of the module's waits between attempts (equal jitter: at most the ceiling)."""
    return sum(min(MAX_DELAY, BASE_DELAY * 2 ** n) for n in range(max_retries))


def task_durations(log_text):
    """{task name: seconds from its TASK banner to the next banner or the recap} from an ansible log."""
    stamps = re.findall(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*?\| (?:TASK \[(.*?)\]|PLAY RECAP)', log_text, re.M)
    durations = {}
    for (start, name), (end, dummy) in zip(stamps, stamps[1:]):
        if name:
            durations[name] = (datetime.strptime(end, '%Y-%m-%d %H:%M:%S,%f')
                               - datetime.strptime(start, '%Y-%m-%d %H:%M:%S,%f')).total_seconds()
    return durations


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
        # what the task costs when the endpoint answers (start-up, SDK import, one call): the same options
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


@pytest.fixture
def silent_listener():
    """Accepts TCP connections (the kernel completes the handshake) and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(64)
    yield '127.0.0.1:%d' % server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return '127.0.0.1:%d' % port


@pytest.mark.parametrize('kind', ['refused', 'silent', 'slow'])
def test_unreachable_endpoint_fails_in_time_and_writes_nothing(ansible, emu, tmp_path, kind, request):
    env_file = tmp_path / 'app.env'
    env_file.write_text(OLD_FILE)
    env_file.chmod(0o600)
    endpoint = None
    if kind == 'refused':
        endpoint = request.getfixturevalue('closed_port')
    elif kind == 'silent':
        endpoint = request.getfixturevalue('silent_listener')
    run = ansible.tasks('unreach-%s' % kind, play(endpoint, env_file, emu, kind == 'slow'))

    failure = run.results.get('failure', {}).get('ansible_failed_result')
    assert failure and failure.get('failed'), failure_text(run, emu)
    message = failure['msg']
    expected_words = {'refused': r'refused', 'silent': r'timed? ?out', 'slow': r'timed? ?out'}[kind]
    assert re.search(expected_words, message, re.I), message
    assert 'ListAccessKeys' in message, message
    assert failure['retries'] == MAX_RETRIES

    durations = task_durations(run.output)
    spent = durations['Reconcile']
    # the healthy task's cost is doubled: on a loaded 2-core machine it varies that much between two tasks
    allowed = (MAX_RETRIES + 1) * TIMEOUT + longest_backoff(MAX_RETRIES) + 2 * durations['Healthy reconcile']
    assert spent <= allowed, 'Reconcile took %.2fs, the options allow %.2fs' % (spent, allowed)

    assert env_file.read_text() == OLD_FILE
    assert oct(env_file.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in tmp_path.iterdir()] == ['app.env']
    assert emu.counters()['writes'] == 0
