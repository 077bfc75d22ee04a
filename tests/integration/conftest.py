# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the integration targets (tests/integration/targets/<name>/tasks/main.yml) with ansible-playbook.

Against the emulator by default; against a real account when tests/integration/integration_config.yml
exists (see integration_config.yml.sample). The runner, the fixtures and the leak scans are tests/support's
(see tests/support/fixtures.py): every run is at -vvvv, and its output, ansible log, leftover temporary files and
the emulator's whole log are scanned for every secret of the session as soon as it ends. The suite's helpers are in
tests/support/targets.py (test modules import them from there, not from this file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# pylint: disable=wrong-import-position,unused-import
from tests.support.fixtures import emulator, leak_guard, run_dir  # noqa: E402,F401
from tests.support.playbook import PlaybookRunner  # noqa: E402


@pytest.fixture
def runner(tmp_path, leak_guard, emulator):
    """A PlaybookRunner writing into the test's tmp_path, on the session emulator (its endpoints and ram-admin key)."""
    return PlaybookRunner(tmp_path, leak_guard, emulator=emulator)
