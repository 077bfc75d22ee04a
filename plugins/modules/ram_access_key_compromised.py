#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_access_key_compromised
short_description: Record a RAM user's AccessKey as compromised, and deactivate it
version_added: 1.0.0
description:
  - "Records the key in its user's C(Comments), in front of what they say (RAM 2015-05-01 has no user tags), as
    C([compromised AccessKey: LTAI...]) and, with O(deactivate=true), makes the key Inactive."

  - The key is never deleted (it is evidence; delete it after the investigation) and never reactivated.
    M(aliyun.ram.ram_access_keys), and so the provision and rotate playbooks, read the record and never keep, deploy,
    reactivate or delete a key it names; M(aliyun.ram.ram_user) and M(aliyun.ram.ram_users) keep it in front of
    declared comments.
  - The C(Comments) of a user hold 128 characters, so about four keys of one user can be recorded; the user's own
    text is shortened to make room, never the record.
  - Used by C(playbooks/respond.yml).
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  user_name:
    description: The key's user.
    type: str
    required: true
  access_key_id:
    description: The compromised key's ID.
    type: str
    required: true
  deactivate:
    description: Also make the key Inactive (a key already Inactive is left so).
    type: bool
    default: false
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written; RV(recorded) and RV(deactivated) say what would be done.
  diff_mode:
    support: none
seealso:
  - module: aliyun.ram.ram_access_key_owner_info
  - module: aliyun.ram.ram_access_keys
'''

EXAMPLES = r'''
- name: Stop a leaked key now and remember it was leaked
  aliyun.ram.ram_access_key_compromised:
    user_name: app-web
    access_key_id: "{{ leaked_access_key_id }}"
    deactivate: true
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
user_name:
  description: The user.
  returned: success
  type: str
access_key_id:
  description: The key.
  returned: success
  type: str
recorded:
  description: Whether the record was added now (V(false) when it was there).
  returned: success
  type: bool
recorded_at:
  description: When the record was added (UTC), null when it was there already.
  returned: success
  type: str
deactivated:
  description: Whether the key was made Inactive now.
  returned: success
  type: bool
deactivated_at:
  description: When it was made Inactive (UTC), null when it was not now.
  returned: success
  type: str
status:
  description: The key's status after the task.
  returned: success
  type: str
comments:
  description: The user's Comments after the task.
  returned: success
  type: str
retries:
  description: How many API requests were retried.
  returned: always
  type: int
'''

from ansible_collections.aliyun.ram.plugins.module_utils._keys.incident import run_ram_access_key_compromised
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_ram_access_key_compromised,
        argument_spec=dict(
            user_name=dict(type='str', required=True),
            access_key_id=dict(type='str', required=True, no_log=False),
            deactivate=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
