#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_access_key_info
short_description: List the AccessKeys of an Alibaba Cloud RAM user
version_added: 1.0.0
description:
  - Lists the AccessKeys of a RAM user with their status, creation date and age in days, oldest first.
  - Optionally adds when each key was last used (one GetAccessKeyLastUsed call per key).
  - Never returns secrets; Alibaba Cloud returns a secret only when the key is created.
  - With O(user_names), lists the keys of many users in one invocation, with a bounded number of parallel API calls,
    as an audit of hundreds of users needs. When the keys of some users cannot be listed, the others still are, then
    the task fails naming each failed user with its RAM error code and request ID.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  user_name:
    description:
      - Name of the RAM user. A user that does not exist gives an empty list and RV(user_exists=false).
      - Exactly one of O(user_name) and O(user_names) is required.
    type: str
  user_names:
    description:
      - Names of RAM users, listed in one invocation; the result is RV(users), one entry per distinct name in the order
        given.
    type: list
    elements: str
  include_last_used:
    description:
      - Add the date each key was last used to each key. Costs one API call per key.
    type: bool
    default: false
  parallelism:
    description:
      - With O(user_names), how many users are listed at the same time (parallel API calls), 1-32.
    type: int
    default: 8
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
  - aliyun.ram.attributes.info_module
seealso:
  - module: aliyun.ram.ram_access_key
  - module: aliyun.ram.ram_user_info
'''

EXAMPLES = r'''
- name: Keys of backup-job with their last use
  aliyun.ram.ram_access_key_info:
    user_name: backup-job
    include_last_used: true
  delegate_to: localhost
  run_once: true
  register: backup_keys

- name: Report active keys older than 90 days
  ansible.builtin.debug:
    msg: "{{ item.access_key_id }} is {{ item.age_days }} days old, last used {{ item.last_used_date | default('never', true) }}"
  loop: "{{ backup_keys.access_keys }}"
  when: item.status == 'Active' and item.age_days > 90

- name: Keys of many users in one task
  aliyun.ram.ram_access_key_info:
    user_names: [app-web, backup-job, ci-deploy]
  delegate_to: localhost
  run_once: true
  register: fleet_keys

- name: Users without any AccessKey
  ansible.builtin.debug:
    msg: "{{ fleet_keys.users | rejectattr('access_keys') | map(attribute='user_name') | list }}"
'''

RETURN = r'''
access_keys:
  description: The user's keys, oldest first.
  returned: with O(user_name)
  type: list
  elements: dict
  contains:
    access_key_id:
      description: AccessKey ID.
      type: str
      sample: LTAI5tAbCdEfGh****
    status:
      description: V(Active) or V(Inactive).
      type: str
      sample: Active
    create_date:
      description: Creation time (UTC).
      type: str
      sample: "2026-01-23T12:33:18Z"
    age_days:
      description: Whole days since creation.
      type: int
      sample: 12
    last_used_date:
      description: Last time the key was used (UTC); null when never used.
      type: str
      returned: with O(include_last_used=true)
user_name:
  description: The user.
  returned: with O(user_name)
  type: str
user_exists:
  description: Whether the user exists.
  returned: with O(user_name)
  type: bool
users:
  description: One entry per distinct user of O(user_names), in the order given.
  returned: with O(user_names)
  type: list
  elements: dict
  contains:
    user_name:
      description: The user.
      type: str
      sample: app-web
    user_exists:
      description: Whether the user exists.
      type: bool
      returned: unless the keys of this user could not be listed
    access_keys:
      description: The user's keys, oldest first, as RV(access_keys); empty when the user does not exist or on an error.
      type: list
      elements: dict
    error:
      description: Why the keys of this user could not be listed (C(code), C(status), C(request_id), C(action), C(message)).
      type: dict
      returned: when the keys of this user could not be listed
errors:
  description: Per user whose keys could not be listed failed, the failed call (C(code), C(status), C(request_id), C(action), C(message)).
  returned: when listing the keys failed for one or more users
  type: dict
retries:
  description: How many API requests were retried.
  returned: always
  type: int
error:
  description: The failed API call (C(code), C(status), C(request_id), C(action)).
  returned: on an API failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._keys.run import run_ram_access_key_info
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_ram_access_key_info,
        argument_spec=dict(
            user_name=dict(type='str'),
            user_names=dict(type='list', elements='str'),
            include_last_used=dict(type='bool', default=False),
            parallelism=dict(type='int', default=8),
        ),
        mutually_exclusive=[('user_name', 'user_names')],
        required_one_of=[('user_name', 'user_names')],
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
