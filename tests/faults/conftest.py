# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault-injection suite: playbooks against the emulator while it throttles, fails, drops or stalls.

The runner, the fixtures and the leak scans are tests/support's (see tests/support/fixtures.py): every playbook
runs at -vvvv with --diff, and each run's output, ansible log, leftover temporary files and the emulator's whole log
are scanned for every secret of the session as soon as the run ends. Registered results come back to the test.
The suite's helpers are in tests/support/faults.py (test modules import them from there, not from this file).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# pylint: disable=wrong-import-position,unused-import
from tests.support.fixtures import ansible, emu, emulator, leak_guard, run_dir  # noqa: E402,F401
