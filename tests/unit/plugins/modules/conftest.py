# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Modules run here as they run on a target: never in a controller process.

Once any controller code is imported in the pytest process (an action plugin, ansible.template in the filter tests),
ansible-core 2.19+ marks the process as the controller, and module warnings go to the controller's display
instead of the module result. Tests that check a module's warnings would then depend on which test ran first.
"""

from __future__ import annotations

import pytest

try:  # ansible-core 2.19+
    from ansible.module_utils import _internal as module_utils_internal
except ImportError:  # ansible-core < 2.19: warnings are always returned with the result
    module_utils_internal = None


@pytest.fixture(autouse=True)
def run_modules_as_on_a_target(monkeypatch):
    if module_utils_internal is not None and hasattr(module_utils_internal, 'is_controller'):
        monkeypatch.setattr(module_utils_internal, 'is_controller', False)
