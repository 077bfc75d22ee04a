# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.ram_access_key_compromised on the controller: runs the module in Ansible's worker process when the task runs on this
controller, otherwise as a module (plugin_utils/_in_process.py)."""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.plugin_utils._in_process import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    pass
