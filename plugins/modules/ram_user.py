#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_user
short_description: Manage an Alibaba Cloud RAM user, its policies and its groups
version_added: 1.0.0
description:
  - Create, update or delete a RAM user, and attach policies to it and add it to groups.
  - Only the attributes that are set in the task are managed; others are left as they are.
  - Idempotent; a run that changes nothing makes no write API call.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  name:
    description:
      - Name of the RAM user, 1-64 characters of letters, digits, V(.), V(_) and V(-).
    type: str
    required: true
    aliases: [user_name]
  state:
    description:
      - V(present) creates or updates the user; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  display_name:
    description:
      - Display name, 1-128 characters. When creating without it, RAM uses the user name.
    type: str
  comments:
    description:
      - Description of the user, at most 128 characters.
    type: str
  email:
    description:
      - E-mail address of the user (China site only, per Alibaba Cloud).
    type: str
  mobile_phone:
    description:
      - Mobile phone number as C(<country code>-<number>), for example V(86-18600008888) (China site only).
    type: str
  policies:
    description:
      - Policies to attach to the user. Each item is a dictionary with C(name) and C(type) (V(System) or V(Custom),
        default V(System)), or a string V(System:AliyunOSSReadOnlyAccess) / V(Custom:my-policy). A bare name means a
        V(System) policy.
      - Policies attached but not listed are kept unless O(purge_policies=true).
      - When not set, the user's policies are not managed.
    type: list
    elements: raw
  purge_policies:
    description:
      - Detach the policies that are attached to the user but not listed in O(policies).
      - Has no effect when O(policies) is not set.
    type: bool
    default: false
  groups:
    description:
      - Groups the user must be a member of (a user can be in at most 10 groups, the limit documented on the RAM limits page).
      - Memberships not listed are kept unless O(purge_groups=true). When not set, memberships are not managed.
    type: list
    elements: str
  purge_groups:
    description:
      - Remove the user from the groups not listed in O(groups).
      - Has no effect when O(groups) is not set.
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), first delete the user's AccessKeys, detach its policies, remove it from its groups,
        delete its console login profile and unbind its MFA device, in that order, then delete the user. The virtual
        MFA device itself stays in the account.
      - Without it, deleting a user that still has any of these fails with RAM's C(DeleteConflict.User.*) error.
    type: bool
    default: false
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The before and after state of the managed attributes, policies and groups.
seealso:
  - module: aliyun.ram.ram_user_info
  - module: aliyun.ram.ram_access_key
'''

EXAMPLES = r'''
- name: Ensure the RAM user for the backup job exists with read access to OSS
  aliyun.ram.ram_user:
    name: backup-job
    display_name: Backup job
    comments: Managed by Ansible
    policies:
      - System:AliyunOSSReadOnlyAccess
  delegate_to: localhost
  run_once: true

- name: Same, with policies as dictionaries, dropping every other policy
  aliyun.ram.ram_user:
    name: backup-job
    policies:
      - name: AliyunOSSReadOnlyAccess
        type: System
    purge_policies: true
  delegate_to: localhost
  run_once: true

- name: Connection settings for every module of the collection (credentials come from the environment)
  module_defaults:
    group/aliyun.ram.ram:
      timeout: 20
      max_retries: 8
  block:
    - name: Ensure a user with contact details
      aliyun.ram.ram_user:
        name: alice
        email: alice@example.com
        mobile_phone: 86-18600008888
      delegate_to: localhost

- name: Delete a user together with its keys, policies, groups and login profile
  aliyun.ram.ram_user:
    name: backup-job
    state: absent
    force: true
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
user:
  description: The user after the change (in check mode, as it would be); null for O(state=absent).
  returned: always
  type: dict
  contains:
    user_name:
      description: Name of the user.
      type: str
      sample: backup-job
    user_id:
      description: ID of the user (absent when the user would be created in check mode).
      type: str
      sample: "122748924538****"
    display_name:
      description: Display name.
      type: str
      sample: Backup job
    comments:
      description: Description.
      type: str
      sample: Managed by Ansible
    email:
      description: E-mail address.
      type: str
    mobile_phone:
      description: Mobile phone number.
      type: str
    create_date:
      description: Creation time (UTC).
      type: str
      sample: "2026-01-23T12:33:18Z"
    update_date:
      description: Last update time (UTC).
      type: str
    last_login_date:
      description: Last console login time (UTC).
      type: str
created:
  description: Whether the user was created.
  returned: when O(state=present)
  type: bool
attached_policies:
  description: Policies attached by this run, as C(Type:Name).
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["System:AliyunOSSReadOnlyAccess"]
detached_policies:
  description: Policies detached by this run, as C(Type:Name).
  returned: always
  type: list
  elements: str
added_groups:
  description: Groups the user was added to.
  returned: when O(state=present)
  type: list
  elements: str
removed_groups:
  description: Groups the user was removed from.
  returned: always
  type: list
  elements: str
policies:
  description: All policies attached to the user after the run, as C(Type:Name).
  returned: when O(policies) is set
  type: list
  elements: str
groups:
  description: All groups of the user after the run.
  returned: when O(groups) is set
  type: list
  elements: str
deleted_access_key_ids:
  description: AccessKeys deleted before deleting the user (O(force=true)).
  returned: when O(state=absent)
  type: list
  elements: str
login_profile_deleted:
  description: Whether the console login profile was deleted (O(force=true)).
  returned: when O(state=absent)
  type: bool
mfa_device_unbound:
  description: Serial number of the MFA device unbound from the user before deleting it (O(force=true)), or V(null).
  returned: when O(state=absent)
  type: str
  sample: acs:ram::1234567890123456:mfa/alice
retries:
  description: How many API requests were retried (throttling, transient errors).
  returned: always
  type: int
  sample: 0
error:
  description: The failed API call.
  returned: on an API failure
  type: dict
  contains:
    code:
      description: RAM error code.
      type: str
      sample: NoPermission
    status:
      description: HTTP status.
      type: int
      sample: 403
    request_id:
      description: Request ID, for Alibaba Cloud support.
      type: str
    action:
      description: API action.
      type: str
      sample: CreateUser
'''

from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import user_argument_spec
from ansible_collections.aliyun.ram.plugins.module_utils._users.run import run_ram_user


def main():
    run_module(
        run_ram_user,
        argument_spec=user_argument_spec(defaults=True),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
