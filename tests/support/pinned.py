# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Packages the test environment pins (requirements-dev.txt, the emulator) are required, never optional.

``require(name)`` imports it; when it is missing the test fails, where ``pytest.importorskip`` would skip it and a
broken environment would pass with the tests that need the package silently left out.
"""

from __future__ import annotations

import importlib

import pytest


def require(module_name):
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        pytest.fail('%s is pinned for the tests (requirements-dev.txt, emulator/) but cannot be imported: %s'
                    % (module_name, exc), pytrace=False)
        raise  # unreachable: pytest.fail raises
