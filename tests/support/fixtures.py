# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures shared by the suites that run playbooks (tests/integration, tests/faults).

A suite's conftest.py imports the ones it uses (``from tests.support.fixtures import emulator, ...``):

- ``emulator``: one emulator per session (--verbose, reads lagging writes by SUITE_PROPAGATION_DELAY); at the end
  of the session its whole log is scanned once more for every secret it issued (calls the tests made through the SDK
  directly included);
- ``emu``: that emulator back to a fresh account with no faults, zero counters, the real clock and its start modes;
- ``leak_guard``: the LeakGuard of the session (the emulator's secrets and admin token; tests add their own);
- ``run_dir``: where every run's playbook, output and ansible log are kept;
- ``ansible``: a PlaybookRunner on the fresh emulator, scanning each run as it ends.
"""

from __future__ import annotations

import pytest

from tests.support.emulator import SUITE_PROPAGATION_DELAY, Emulator
from tests.support.leaks import LeakGuard
from tests.support.playbook import PlaybookRunner


@pytest.fixture(scope='session')
def emulator(tmp_path_factory):
    emu = Emulator(state_dir=str(tmp_path_factory.mktemp('emulator')), verbose=True,
                   propagation_delay=SUITE_PROPAGATION_DELAY)
    with emu:
        yield emu
        secrets = emu.all_secrets()
    LeakGuard().add(*secrets).assert_clean(emu.log_text(), "the emulator's log at the end of the session")


@pytest.fixture(scope='session')
def leak_guard(emulator):
    return LeakGuard(emulator.all_secrets)


@pytest.fixture(scope='session')
def run_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('runs')


def fresh(emulator):
    """The emulator back to a fresh account: no faults, zero counters, the real clock, the modes it started with."""
    emulator.reset()
    emulator.admin('DELETE', 'modes')
    emulator.clear_faults()
    emulator.reset_counters()
    emulator.admin('POST', 'clock', {'offset_seconds': 0})
    return emulator


@pytest.fixture
def emu(emulator):
    yield fresh(emulator)
    emulator.clear_faults()


@pytest.fixture
def ansible(emu, run_dir, leak_guard):
    return PlaybookRunner(run_dir, leak_guard, emulator=emu)
