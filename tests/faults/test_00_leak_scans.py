# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The leak scans of tests/support catch what they claim to catch: each case leaks one kind of secret on purpose,
in one kind of place, and the run must fail its scan. Order-independent: every run scans itself as it ends.

Each case is the deliberate breakage that proves one part of the scan can fail; the one kind of place a playbook
cannot leak into by itself (the emulator's log beyond its last 4,000 characters) is proven directly on the log.
"""

from __future__ import annotations

import re

import pytest

from tests.support.leaks import LeakGuard, assert_vault_encrypted
from tests.support.playbook import Run

VAULT_PASSWORD = 'leak-scan-vault-password-0001'
CALLER_SECRET = 'leakScanCallerSecret0123456789'


def created_key_tasks():
    return [{'name': 'A user', 'aliyun.ram.ram_user': {'name': 'leak-scan-user'}},
            {'name': 'A key', 'aliyun.ram.ram_access_key': {'user_name': 'leak-scan-user'}, 'no_log': True,
             'register': 'made'}]


def leak_of(run_call):
    with pytest.raises(AssertionError) as caught:
        run_call()
    return str(caught.value)


def test_an_issued_secret_in_the_output_fails_the_run(ansible):
    message = leak_of(lambda: ansible.tasks('leak-output', created_key_tasks() + [
        {'name': 'Print it', 'ansible.builtin.debug': {'msg': '{{ made.access_key.access_key_secret }}'}}]))
    assert re.search(r'1 secret\(s\) of the test session appear in the -vvvv output', message), message
    assert 'leak-output' in message


def scanned(ansible, output, secrets=()):
    """A finished run whose output is ``output``, through the runner's scan (as a real run's output would be)."""
    run = Run('synthetic', 0, output, {}, 0.0, 0.0, None)
    (ansible.run_dir / 'synthetic.tmp').mkdir(exist_ok=True)
    ansible.scan(run, secrets)


def test_a_secret_the_test_was_given_fails_the_scan(ansible):
    """Vault passwords and caller-supplied secrets are searched for, though the emulator never issued them."""
    message = leak_of(lambda: scanned(ansible, 'ok: %s and %s' % (VAULT_PASSWORD, CALLER_SECRET),
                                      secrets=[VAULT_PASSWORD, CALLER_SECRET]))
    assert '2 secret(s)' in message, message


def test_the_emulator_admin_token_is_searched_for(ansible, emu):
    message = leak_of(lambda: scanned(ansible, 'header X-Emulator-Token: %s' % emu.admin_token))
    assert '1 secret(s)' in message, message


def test_a_secret_left_in_a_file_under_the_run_temp_dirs_fails_the_run(ansible):
    message = leak_of(lambda: ansible.tasks('leak-file', created_key_tasks() + [
        {'name': 'Leave it in the local temporary directory', 'no_log': True, 'ansible.builtin.copy': {
            'content': '{{ made.access_key.access_key_secret }}',
            'dest': "{{ lookup('ansible.builtin.env', 'ANSIBLE_LOCAL_TEMP') }}/left-behind", 'mode': '0600'}}]))
    assert re.search(r'files left on disk: .*leak-file\.tmp/local/left-behind \(1\)', message), message


def test_the_whole_emulator_log_is_scanned(emulator):
    """The session emulator runs with --verbose (a line per request) and log_text() is the whole log: a secret written to
    its first line is found after more than 4,000 characters of requests (log_text()[-4000:] would miss it)."""
    with open(emulator.log_path, encoding='utf-8') as handle:
        first_line = handle.readline()
    for dummy in range(60):
        emulator.counters()
    text = emulator.log_text()
    assert len(text) > 4000 + len(first_line) and text.startswith(first_line)
    assert re.search(r'GET /_emulator/counters', text), 'the emulator does not log each request (--verbose)'
    guard = LeakGuard().add(first_line.strip())
    assert guard.leaks_in_text(text) == 1


def test_a_store_that_is_not_vault_encrypted_is_refused(tmp_path):
    plain = tmp_path / 'store.yml'
    plain.write_text('access_keys: []\n')
    plain.chmod(0o600)
    with pytest.raises(AssertionError, match='not ansible-vault encrypted'):
        assert_vault_encrypted(plain)
    wide = tmp_path / 'wide.vault.yml'
    wide.write_text('$ANSIBLE_VAULT;1.1;AES256\n6162\n')
    wide.chmod(0o644)
    with pytest.raises(AssertionError, match='readable by others'):
        assert_vault_encrypted(wide)
