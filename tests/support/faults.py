# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the fault-injection suite (tests/faults), importable by name from any test run (a test module's
`from conftest import ...` would find whichever conftest.py pytest loaded last when several suites run together)."""

from __future__ import annotations

from tests.support.leaks import LeakGuard


def failure_text(run, emulator):
    """The tail of a run's output with every secret the emulator issued masked, for assertion messages."""
    return '%r (output in %s):\n%s' % (run, run.log_path, LeakGuard(emulator.all_secrets).mask(run.output[-6000:]))


def provision_tasks(users, max_retries, held=None, keys_when=None):
    """The controller side of a provision: ram_users for ``users`` (each with one policy), then one
    ram_access_keys task for all of them (registered as ``users`` and ``keys``)."""
    keys_task = {'name': 'One key per user', 'aliyun.ram.ram_access_keys': {
        'users': users, 'held': held or [], 'max_retries': max_retries}, 'register': 'keys', 'no_log': True}
    if keys_when:
        keys_task['when'] = keys_when
    return [
        {'name': 'Ensure the users', 'aliyun.ram.ram_users': {
            'users': [{'name': name, 'policies': ['System:AliyunOSSReadOnlyAccess']} for name in users],
            'max_retries': max_retries}, 'register': 'users'},
        keys_task,
    ]
