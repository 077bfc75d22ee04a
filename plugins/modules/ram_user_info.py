#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_user_info
short_description: Get information about Alibaba Cloud RAM users
version_added: 1.0.0
description:
  - Look up one RAM user by name, or list all users of the account (following the API's pages),
    optionally filtered by name prefix or regular expression.
  - Optionally adds each user's AccessKeys (never secrets), policies and groups, at the cost of one API call per user
    and item.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  name:
    description:
      - Name of one user to look up. A user that does not exist gives an empty O(ignore:users) list, not a failure.
      - When not set, all users are listed.
    type: str
    aliases: [user_name]
  name_prefix:
    description:
      - Only return users whose name starts with this prefix.
    type: str
  name_regex:
    description:
      - Only return users whose name matches this Python regular expression (searched anywhere in the name;
        anchor it with C(^) and C($) for a full match).
    type: str
  include:
    description:
      - Extra information to add to each user.
      - V(access_keys) adds the user's AccessKeys with status, creation date and age (never the secret).
      - V(policies) adds the attached policies as C(Type:Name); V(groups) adds the user's groups.
    type: list
    elements: str
    choices: [access_keys, policies, groups]
    default: []
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
  - aliyun.ram.attributes.info_module
seealso:
  - module: aliyun.ram.ram_user
  - module: aliyun.ram.ram_access_key_info
'''

EXAMPLES = r'''
- name: Look up one user
  aliyun.ram.ram_user_info:
    name: backup-job
  delegate_to: localhost
  run_once: true
  register: backup_user

- name: Show whether the user exists
  ansible.builtin.debug:
    msg: "backup-job {{ 'exists' if backup_user.users else 'does not exist' }}"

- name: Every user whose name starts with app- with keys, policies and groups
  aliyun.ram.ram_user_info:
    name_prefix: app-
    include: [access_keys, policies, groups]
  delegate_to: localhost
  run_once: true
  register: app_users

- name: Users with an AccessKey older than 90 days
  ansible.builtin.debug:
    msg: "{{ item.user_name }}"
  loop: "{{ app_users.users }}"
  when: item.access_keys | selectattr('age_days', 'gt', 90) | list | length > 0
'''

RETURN = r'''
users:
  description: The users found, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: Name of the user.
      type: str
      sample: backup-job
    user_id:
      description: ID of the user.
      type: str
    display_name:
      description: Display name.
      type: str
    comments:
      description: Description.
      type: str
    email:
      description: E-mail address.
      type: str
    mobile_phone:
      description: Mobile phone number.
      type: str
    create_date:
      description: Creation time (UTC).
      type: str
    update_date:
      description: Last update time (UTC).
      type: str
    last_login_date:
      description: Last console login time (UTC; only when looked up by O(name)).
      type: str
    access_keys:
      description: The user's AccessKeys, oldest first (with O(include=[access_keys])).
      type: list
      elements: dict
      contains:
        access_key_id:
          description: AccessKey ID.
          type: str
        status:
          description: V(Active) or V(Inactive).
          type: str
        create_date:
          description: Creation time (UTC).
          type: str
        age_days:
          description: Whole days since creation.
          type: int
    policies:
      description: Attached policies as C(Type:Name) (with O(include=[policies])).
      type: list
      elements: str
    groups:
      description: Groups of the user (with O(include=[groups])).
      type: list
      elements: str
retries:
  description: How many API requests were retried.
  returned: always
  type: int
error:
  description: The failed API call (C(code), C(status), C(request_id), C(action)).
  returned: on an API failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import INCLUDE_CHOICES
from ansible_collections.aliyun.ram.plugins.module_utils._users.run import run_ram_user_info


def main():
    run_module(
        run_ram_user_info,
        argument_spec=dict(
            name=dict(type='str', aliases=['user_name']),
            name_prefix=dict(type='str'),
            name_regex=dict(type='str'),
            include=dict(type='list', elements='str', choices=list(INCLUDE_CHOICES), default=[]),
        ),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
