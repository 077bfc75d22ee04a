#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_users
short_description: Manage many Alibaba Cloud RAM users in one task
version_added: 1.0.0
description:
  - The batch form of M(aliyun.ram.ram_user) for scale - one module invocation for any number of users, with a bounded
    number of parallel API calls.
  - Each user is handled exactly as M(aliyun.ram.ram_user) would handle it; only the attributes set for a user are
    managed. A user that is already as described costs no write call, and one C(ListPoliciesForUser) and one
    C(ListGroupsForUser) call only when its policies or groups are managed.
  - The users are read from the account's C(ListUsers) pages (1000 users a page) when 10 or more are to be present,
    otherwise with one C(GetUser) call each; a name the listing lacks (a new user, or one created too recently to be
    listed) is read with C(GetUser). So 1000 converged users without managed policies or groups cost one call.
    The listing has no last login date, so C(last_login_date) is absent from RV(users[].user) for the users read from it.
  - The same user may be listed several times, for example when lists of many hosts are joined. Entries that agree are
    merged; an option that one entry leaves unset agrees with any value (O(users[].state) always counts as set).
    Entries that set an option differently are rejected before any API call, naming the user and the option.
  - Every entry is checked before the first API call. When some users fail, the others are still processed, then the
    task fails naming each failed user with its RAM error code and request ID.
  - When the service throttles requests, every worker pauses until a shared time (with jitter) before it continues.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  users:
    description:
      - The users, each a dictionary of M(aliyun.ram.ram_user) options.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the RAM user, 1-64 characters of letters, digits, V(.), V(_) and V(-).
        type: str
        required: true
        aliases: [user_name]
      state:
        description:
          - V(present) creates or updates the user; V(absent) deletes it.
          - Defaults to V(present); entries for the same user with different states are rejected.
        type: str
        choices: [present, absent]
      display_name:
        description:
          - Display name, 1-128 characters.
        type: str
      comments:
        description:
          - Description of the user, at most 128 characters.
        type: str
      email:
        description:
          - E-mail address of the user (China site only).
        type: str
      mobile_phone:
        description:
          - Mobile phone number as C(<country code>-<number>), for example V(86-18600008888) (China site only).
        type: str
      policies:
        description:
          - Policies to attach, in the forms M(aliyun.ram.ram_user) accepts (V(System:Name), V(Custom:Name), a bare
            name for a V(System) policy, or a dictionary with C(name) and C(type)).
          - When not set, the user's policies are not managed.
        type: list
        elements: raw
      purge_policies:
        description:
          - Detach the policies that are attached but not listed in O(users[].policies). Defaults to V(false).
        type: bool
      groups:
        description:
          - Groups the user must be a member of. When not set, memberships are not managed.
        type: list
        elements: str
      purge_groups:
        description:
          - Remove the user from the groups not listed in O(users[].groups). Defaults to V(false).
        type: bool
      force:
        description:
          - With O(users[].state=absent), first delete the user's AccessKeys, detach its policies, remove it from its
            groups, delete its login profile and unbind its MFA device, then delete the user. Defaults to V(false).
        type: bool
  report:
    description:
      - Which users RV(users) lists. V(all) lists every user. V(changes) lists only the users that changed (or would
        change, in check mode), were deleted or failed; the unchanged ones are only counted in RV(summary).
      - With many users, V(changes) keeps a converged run's result small, and carrying a result back through the
        controller costs time in proportion to its size.
    type: str
    choices: [all, changes]
    default: all
  parallelism:
    description:
      - How many users are handled at the same time (parallel API calls), 1-32.
    type: int
    default: 8
  exclusive:
    description:
      - Also delete the users that match O(exclusive_name_prefix) and O(exclusive_name_regex) but are not listed in
        O(users), removing their keys, policies, groups and login profile first (as O(users[].force=true)).
      - At least one of the two filters is required. The user whose key runs the module is never deleted; the task
        fails instead.
    type: bool
    default: false
  exclusive_name_prefix:
    description:
      - With O(exclusive=true), only users whose name starts with this are candidates for deletion.
    type: str
  exclusive_name_regex:
    description:
      - With O(exclusive=true), only users whose name matches this Python regular expression (searched) are
        candidates for deletion. Combined with O(exclusive_name_prefix), a user must match both.
    type: str
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The before and after state of each changed user's managed attributes, policies and groups.
      - When more than 20 users change, the counts and names of the created, updated and deleted users instead.
notes:
  - Exclusive deletion lists every user of the account (C(ListUsers)) and, when a user is to be deleted, calls STS
    C(GetCallerIdentity) once to protect the identity running the module.
seealso:
  - module: aliyun.ram.ram_user
  - module: aliyun.ram.ram_access_keys
'''

EXAMPLES = r'''
- name: Ensure the RAM users of the application tier
  aliyun.ram.ram_users:
    users:
      - name: app-web
        display_name: Web front end
        policies:
          - System:AliyunOSSReadOnlyAccess
      - name: app-worker
        comments: Managed by Ansible
        policies:
          - name: AliyunOSSFullAccess
            type: System
        purge_policies: true
      - name: app-legacy
        state: absent
        force: true
    parallelism: 4
  delegate_to: localhost
  run_once: true
  register: app_users

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ app_users.summary }}"

- name: Keep exactly these app- users (delete every other user whose name starts with app-)
  aliyun.ram.ram_users:
    users:
      - name: app-web
      - name: app-worker
    exclusive: true
    exclusive_name_prefix: app-
    # list only the users created, updated or deleted; summary counts the unchanged ones
    report: changes
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
users:
  description:
    - One entry per user, in the order listed (merged duplicates once), then the users deleted by O(exclusive).
    - With O(report=changes), only the users that changed, were deleted or failed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the user.
      type: str
      sample: app-web
    changed:
      description: Whether anything changed (or would change, in check mode) for this user.
      type: bool
    created:
      description: Whether the user was created.
      type: bool
    deleted:
      description: Whether the user was deleted.
      type: bool
    user:
      description: The user after the change, as M(aliyun.ram.ram_user) returns it; V(null) when deleted or failed.
      type: dict
    attached_policies:
      description: Policies attached, as C(Type:Name).
      type: list
      elements: str
    detached_policies:
      description: Policies detached, as C(Type:Name).
      type: list
      elements: str
    added_groups:
      description: Groups the user was added to.
      type: list
      elements: str
    removed_groups:
      description: Groups the user was removed from.
      type: list
      elements: str
    policies:
      description: All policies of the user after the run, when its policies are managed.
      type: list
      elements: str
    groups:
      description: All groups of the user after the run, when its groups are managed.
      type: list
      elements: str
    deleted_access_key_ids:
      description: AccessKeys deleted before deleting the user.
      type: list
      elements: str
    login_profile_deleted:
      description: Whether the login profile was deleted before deleting the user.
      type: bool
    mfa_device_unbound:
      description: Serial number of the MFA device unbound before deleting the user, or V(null).
      type: str
    error:
      description: Why this user failed (C(code), C(status), C(request_id), C(action), C(message)).
      type: dict
  sample:
    - name: app-web
      changed: true
      created: true
      deleted: false
      user: {user_name: app-web, display_name: Web front end}
      attached_policies: ["System:AliyunOSSReadOnlyAccess"]
      detached_policies: []
      added_groups: []
      removed_groups: []
      policies: ["System:AliyunOSSReadOnlyAccess"]
summary:
  description: How many users were created, updated, deleted, left unchanged, and failed.
  returned: always
  type: dict
  sample: {created: 1, updated: 0, deleted: 1, unchanged: 1, failed: 0}
errors:
  description: Per user whose change failed, the failed call (C(code), C(status), C(request_id), C(action), C(message)).
  returned: when the change failed for one or more users
  type: dict
retries:
  description: How many API requests were retried in total (throttling, transient errors).
  returned: always
  type: int
  sample: 0
error:
  description: The failed API call, when the task fails outside any single user (for example listing users).
  returned: on such a failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import user_argument_spec
from ansible_collections.aliyun.ram.plugins.module_utils._users.run import run_ram_users


def main():
    run_module(
        run_ram_users,
        argument_spec=dict(
            users=dict(type='list', elements='dict', required=True, options=user_argument_spec(defaults=False)),
            report=dict(type='str', default='all', choices=['all', 'changes']),
            parallelism=dict(type='int', default=8),
            exclusive=dict(type='bool', default=False),
            exclusive_name_prefix=dict(type='str'),
            exclusive_name_regex=dict(type='str'),
        ),
        services=('ram', 'sts'),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
