# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs last: no secret the emulator issued during the suite is in any playbook output or log.

Every playbook of the suite ran at -vvvv with --diff; its stdout/stderr (*.out) and its ansible log
(*.ansible.log) are in the session's run directory. The emulator's own log is scanned too. The list
of secrets is the emulator's (/_emulator/secrets): every AccessKeySecret and STS token it ever issued.
"""

from __future__ import annotations

import pytest

from conftest import assert_no_secret_in


def test_no_issued_secret_in_any_output_or_log(emulator, run_dir):
    logs = sorted(run_dir.glob('*.out')) + sorted(run_dir.glob('*.ansible.log'))
    if not logs:
        pytest.skip('no playbook ran in this session (run the whole suite: pytest tests/faults)')
    secrets = emulator.secrets()
    # the root key, ram-admin's key, and at least the keys the suite created
    assert len(secrets) > 2
    for path in logs:
        assert_no_secret_in(path.read_text(errors='replace'), secrets, path.name)
    assert_no_secret_in(emulator.log_text(), secrets, "the emulator's log")
