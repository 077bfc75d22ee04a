# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Standard attributes of the RAM/STS modules (support levels are set per module).
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: all
    details: The modules call a cloud API; run them on the controller (C(delegate_to) V(localhost)).
'''

    ACTION_GROUP = r'''
attributes:
  action_group:
    description: Use C(group/aliyun.ram.ram) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - aliyun.ram.ram
'''

    # For read-only (info) modules.
    INFO_MODULE = r'''
attributes:
  check_mode:
    support: full
    details: This module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details: This module does not change anything, so it returns no diff.
'''

    # For the report writers (audit_report, respond_report): the formats they write and how they run.
    REPORT = r'''
options:
  formats:
    description: The reports to write.
    type: list
    elements: str
    choices: [markdown, html, json]
    default: [markdown, html, json]
attributes:
  check_mode:
    support: full
    details: In check mode the reports are not written; C(changed) says whether they would change.
  diff_mode:
    support: none
  platform:
    platforms: all
    support: full
    details: Runs on the controller (C(delegate_to) C(localhost)).
'''
