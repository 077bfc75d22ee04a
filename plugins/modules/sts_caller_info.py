#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: sts_caller_info
short_description: Show which Alibaba Cloud identity a set of credentials belongs to
version_added: 1.0.0
description:
  - Calls STS GetCallerIdentity with the configured credentials, or with an explicit key pair given as
    O(access_key) and O(secret_key), and returns the account, identity type and ARN.
  - Use it to verify that a key works and to detect the root AccessKey of an account, which Alibaba Cloud advises
    against using; O(fail_on_root=true) turns that into a failure.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  fail_on_root:
    description:
      - Fail when the credentials are the root AccessKey of the account (identity type V(Account)).
    type: bool
    default: false
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
  - aliyun.ram.attributes.info_module
seealso:
  - module: aliyun.ram.ram_access_key
'''

EXAMPLES = r'''
- name: Refuse to run with the account root key
  aliyun.ram.sts_caller_info:
    fail_on_root: true
  delegate_to: localhost
  run_once: true

- name: Verify a freshly created key
  aliyun.ram.sts_caller_info:
    access_key: "{{ new_key.access_key.access_key_id }}"
    secret_key: "{{ new_key.access_key.access_key_secret }}"
  delegate_to: localhost
  run_once: true
  no_log: true
  register: new_key_identity
  when: new_key.created | default(false)
'''

RETURN = r'''
account_id:
  description: ID of the Alibaba Cloud account.
  returned: success
  type: str
  sample: "123456789012****"
identity_type:
  description: V(Account) (root key of the account), V(RAMUser) or V(AssumedRoleUser).
  returned: success
  type: str
  sample: RAMUser
arn:
  description: ARN of the identity.
  returned: success
  type: str
  sample: acs:ram::123456789012****:user/backup-job
user_id:
  description: ID of the RAM user (or of the account for the root key).
  returned: success
  type: str
principal_id:
  description: ID of the principal.
  returned: success
  type: str
role_id:
  description: ID of the role, for an assumed role.
  returned: success
  type: str
is_root:
  description: Whether the credentials are the root AccessKey of the account.
  returned: success
  type: bool
  sample: false
retries:
  description: How many API requests were retried.
  returned: always
  type: int
error:
  description: The failed API call (C(code), C(status), C(request_id), C(action)).
  returned: on an API failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._keys.run import run_sts_caller_info
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_sts_caller_info,
        argument_spec=dict(
            fail_on_root=dict(type='bool', default=False),
        ),
        services=('sts',),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
