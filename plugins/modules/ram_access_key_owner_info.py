#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_access_key_owner_info
short_description: Find the RAM users that own AccessKey IDs, with each key's status, age and last use
version_added: 1.0.0
description:
  - RAM has no call that says whose an AccessKey ID is, so the module lists every user of the account (C(ListUsers))
    and each user's keys (C(ListAccessKeys), on at most O(parallelism) threads), then reads the last use of each key
    it finds (C(GetAccessKeyLastUsed)).
  - A key that no user has is returned with RV(access_keys[].found=false), which means an account root key, another
    account's key, or a deleted key (RAM cannot tell them apart without the secret).
  - Used by C(playbooks/respond.yml) to identify a leaked key. Never returns a secret.
  - Every ID must have the AccessKey ID shape (C(LTAI) and 12 to 30 letters and digits); a typo fails before any call.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  access_key_ids:
    description:
      - The AccessKey IDs to find, a list or one string separated by commas.
    type: list
    elements: str
    required: true
  include_last_used:
    description:
      - Read each found key's last use (C(GetAccessKeyLastUsed)). RAM reports a use up to about two hours late.
    type: bool
    default: true
  parallelism:
    description: At most this many C(ListAccessKeys) calls at once.
    type: int
    default: 8
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
  - aliyun.ram.attributes.info_module
seealso:
  - module: aliyun.ram.ram_access_key_info
  - module: aliyun.ram.ram_access_key_compromised
'''

EXAMPLES = r'''
- name: Whose key is it?
  aliyun.ram.ram_access_key_owner_info:
    access_key_ids: [LTAI5tExampleExample0000]
  delegate_to: localhost
  run_once: true
  register: owners

- name: Show the owner
  ansible.builtin.debug:
    msg: "{{ owners.access_keys[0].user_name if owners.access_keys[0].found else 'no RAM user of this account' }}"
'''

RETURN = r'''
access_keys:
  description: One entry per ID, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    access_key_id:
      description: The ID.
      type: str
    found:
      description: Whether a RAM user of the account has the key.
      type: bool
    user_name:
      description: The owner (when found).
      type: str
    user_id:
      description: The owner's stable UserId (when found).
      type: str
    compromised:
      description: Whether the owner's Comments record the key as compromised (C(playbooks/respond.yml)).
      type: bool
    status:
      description: V(Active) or V(Inactive) (when found).
      type: str
    create_date:
      description: When the key was created (UTC, when found).
      type: str
    age_days:
      description: Whole days since the key was created (when found).
      type: int
    last_used_date:
      description: The last use RAM reports, null when never used (when found and O(include_last_used)).
      type: str
    user_keys:
      description: Every key of the owner (C(access_key_id), C(status), C(create_date), C(age_days)), oldest first.
      type: list
      elements: dict
users_scanned:
  description: How many users were listed.
  returned: success
  type: int
retries:
  description: How many API requests were retried.
  returned: always
  type: int
'''

from ansible_collections.aliyun.ram.plugins.module_utils._keys.incident import run_ram_access_key_owner_info
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_ram_access_key_owner_info,
        argument_spec=dict(
            # AccessKey IDs are not secret (the secret of a key is never asked for)
            access_key_ids=dict(type='list', elements='str', required=True, no_log=False),
            include_last_used=dict(type='bool', default=True),
            parallelism=dict(type='int', default=8),
        ),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
