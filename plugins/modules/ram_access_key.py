#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_access_key
short_description: Ensure a RAM user has one usable AccessKey, without minting a new key on every run
version_added: 1.0.0
description:
  - Idempotent management of the AccessKey of a RAM user. Alibaba Cloud returns the AccessKeySecret only once, when
    the key is created, and a user may hold at most two keys (inactive ones count). So this module creates a key only
    when the caller does not already hold a usable one, and never deletes an active key to make room.
  - The caller tells which key it holds with O(id) (typically read back from the deployed credential files or a
    secret store), as O(id) of C(amazon.aws.iam_access_key) does. With O(state=present) the rules are as follows.
  - If the held key still exists, it is kept; only its O(status) is changed when asked (C(changed) only then).
    If it is older than O(max_age_days), a new key is created and the held key is returned as RV(rotated_from),
    left as it is, so that a rotation playbook can deploy the new key first and then deactivate and delete the old one.
  - If the held key no longer exists (deleted, or never existed), a replacement key is created.
  - If no key is held (O(id) not set) and the user already has an active key, nothing is created, the module
    reports C(changed=false) and returns that key without a secret. The secret of an existing key cannot be read
    back, and creating another key on every run would only hit the two-key limit (what other modules do). To replace
    a key whose secret is lost, pass its ID as O(id) together with O(max_age_days), or delete it first with
    O(state=absent).
  - If the user has no active key, a key is created.
  - Before creating at the limit of two keys, O(on_limit) decides whether to fail (listing the keys with their status
    and age) or to delete the oldest inactive key that is not the held one.
  - With O(state=absent), the key O(id) is deleted if it exists.
  - The secret is returned only by the run that created the key. Register the result with C(no_log) V(true).
  - A lost CreateAccessKey response (timeout, dropped connection) never leaves an orphan key. The module lists the
    user's keys, deletes the key that appeared without a readable secret, and creates again.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  user_name:
    description:
      - Name of the RAM user owning the key.
    type: str
    required: true
  state:
    description:
      - V(present) ensures a usable key as described above; V(absent) deletes O(id).
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - ID of the AccessKey the caller holds (whose secret it has), or the key to delete with O(state=absent).
      - This is the managed key, never the key that authenticates the API calls (O(access_key)).
    type: str
  status:
    description:
      - Status of the held key (or of a newly created key). V(inactive) needs O(id).
      - When not set, the status of an existing key is left as it is.
    type: str
    choices: [active, inactive]
  max_age_days:
    description:
      - Create a new key when the held key is older than this many days (rotation). The old key is not touched.
    type: int
  on_limit:
    description:
      - What to do when a key must be created and the user already has two keys.
      - V(fail) fails, listing the keys with their status and age.
      - V(delete_inactive) deletes the oldest inactive key that is not O(id); it fails when there is none.
        An active key is never deleted by this module to make room.
    type: str
    choices: [fail, delete_inactive]
    default: fail
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
attributes:
  check_mode:
    support: full
    details: In check mode no key is created or deleted; a key that would be created is returned with a null
      RV(access_key.access_key_id) and no secret.
  diff_mode:
    support: none
notes:
  - A key recorded as compromised in its user's C(Comments) (M(aliyun.ram.ram_access_key_compromised),
    C(playbooks/respond.yml)) named in O(id) is refused unless O(status=inactive); it is never kept or reactivated.
  - The created secret is not hidden from the task result (hiding it would also hide it from the registered variable);
    always set C(no_log) V(true) on the task.
seealso:
  - module: aliyun.ram.ram_access_key_info
  - module: aliyun.ram.sts_caller_info
'''

EXAMPLES = r'''
- name: Ensure backup-job has a key; reuse the one deployed before
  aliyun.ram.ram_access_key:
    user_name: backup-job
    id: "{{ deployed_access_key_id | default(omit) }}"
    max_age_days: 90
    on_limit: delete_inactive
  delegate_to: localhost
  run_once: true
  no_log: true
  register: backup_key

- name: Deploy the secret only when a key was created
  ansible.builtin.debug:
    msg: "new key {{ backup_key.access_key.access_key_id }}"
  when: backup_key.created

- name: Deactivate the old key after a rotation
  aliyun.ram.ram_access_key:
    user_name: backup-job
    id: "{{ backup_key.rotated_from }}"
    status: inactive
  delegate_to: localhost
  run_once: true
  when: backup_key.rotated_from is truthy

- name: Delete a key
  aliyun.ram.ram_access_key:
    user_name: backup-job
    id: "{{ retired_access_key_id }}"
    state: absent
  delegate_to: localhost
  run_once: true
  when: retired_access_key_id is defined
'''

RETURN = r'''
access_key:
  description: The key the caller should use (created, or the existing one kept). Null with O(state=absent).
  returned: always
  type: dict
  contains:
    access_key_id:
      description: AccessKey ID; null when a key would be created in check mode.
      type: str
      sample: LTAI5tAbCdEfGh****
    access_key_secret:
      description: The secret, only in the result of the run that created the key.
      type: str
      returned: when the key was created by this run
    status:
      description: V(Active) or V(Inactive).
      type: str
      sample: Active
    create_date:
      description: Creation time (UTC).
      type: str
      sample: "2026-01-23T12:33:18Z"
created:
  description: Whether a key was created (would be, in check mode).
  returned: always
  type: bool
rotated_from:
  description: The held key that was older than O(max_age_days) and was replaced (left unchanged).
  returned: with O(state=present)
  type: str
deleted_access_key_ids:
  description: Keys deleted by this run, including a key whose CreateAccessKey response was lost.
  returned: always
  type: list
  elements: str
reason:
  description: Why the key was kept or created.
  returned: with O(state=present)
  type: str
  sample: the held key LTAI5tAbCdEfGh**** exists
user_name:
  description: The user.
  returned: always
  type: str
access_keys:
  description: The user's keys with status, creation date and age, when the change was refused at the key limit.
  returned: on failure at the key limit
  type: list
  elements: dict
retries:
  description: How many API requests were retried.
  returned: always
  type: int
error:
  description: The failed API call (C(code), C(status), C(request_id), C(action)).
  returned: on an API failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import ON_LIMIT_CHOICES, STATUS_CHOICES
from ansible_collections.aliyun.ram.plugins.module_utils._keys.run import run_ram_access_key
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_ram_access_key,
        argument_spec=dict(
            user_name=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            id=dict(type='str', no_log=False),
            status=dict(type='str', choices=sorted(STATUS_CHOICES)),
            max_age_days=dict(type='int'),
            on_limit=dict(type='str', default='fail', choices=list(ON_LIMIT_CHOICES)),
        ),
        required_if=[('state', 'absent', ['id'])],
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
