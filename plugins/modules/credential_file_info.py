#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: credential_file_info
short_description: Read one Alibaba Cloud AccessKey profile back from a credential file
version_added: 1.0.0
author: aliyun.ram contributors (@aliyun-ram)
description:
  - Reads the profile that M(aliyun.ram.credential_file) writes, in any of its formats, and returns the AccessKey ID
    (and, only on request, the secret), so a play can tell which key a host already holds.
  - A missing file or profile is not an error; RV(exists) is V(false).
  - A file that cannot be parsed is an error naming the path and the line number, never the content.
  - Runs on the target host and needs only the Python standard library.
options:
  format:
    description:
      - The file format, as for M(aliyun.ram.credential_file).
    type: str
    required: true
    choices: [aliyun_cli, sdk, ossutil, ossfs, env]
  path:
    description:
      - The credential file.
      - Defaults as for M(aliyun.ram.credential_file) in the home directory of O(owner) (or of the user the module runs as);
        for O(format=sdk) the default is C(~/.alibabacloud/credentials.ini), the file the Python SDK reads.
      - Required for O(format=env).
    type: path
  profile:
    description:
      - The profile to read. Defaults to V(default); for O(format=ossfs) the bucket name, omitted or empty for the bare default line.
    type: str
  owner:
    description:
      - User whose home directory holds the default O(path).
    type: str
  return_secret:
    description:
      - Also return RV(access_key_secret).
      - The result then contains a secret in clear text; set C(no_log) on the task and do not print the registered variable.
    type: bool
    default: false
extends_documentation_fragment:
  - aliyun.ram.credential_file
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Every string option (those in O(extra) included) is refused when it contains a control character such as a
    newline (a trailing one too), a carriage return, a tab or NUL, with a message naming the option, before any
    file is read.
seealso:
  - module: aliyun.ram.credential_file
"""

EXAMPLES = r"""
- name: Which key does the aliyun CLI of user app hold?
  aliyun.ram.credential_file_info:
    format: aliyun_cli
    owner: app
  register: held

- name: Show it
  ansible.builtin.debug:
    msg: "{{ held.access_key_id if held.exists else 'no key' }}"

- name: Read the secret too (keep it out of logs)
  aliyun.ram.credential_file_info:
    format: sdk
    owner: app
    profile: prod
    return_secret: true
  register: held_sdk
  no_log: true
"""

RETURN = r"""
path:
  description: The file read.
  returned: always
  type: str
  sample: /home/app/.aliyun/config.json
profile:
  description: The profile looked up, after defaults were applied.
  returned: always
  type: str
  sample: default
format:
  description: The value of O(format).
  returned: always
  type: str
  sample: aliyun_cli
file_exists:
  description: Whether the file exists.
  returned: always
  type: bool
  sample: true
exists:
  description: Whether the profile exists in the file.
  returned: always
  type: bool
  sample: true
access_key_id:
  description: The AccessKey ID of the profile.
  returned: when RV(exists) is true
  type: str
  sample: LTAI5tExampleKeyId01
access_key_secret:
  description: The AccessKey secret of the profile. Set C(no_log) on the task.
  returned: when RV(exists) is true and O(return_secret=true)
  type: str
region:
  description: The region stored with the profile, if the format stores one (aliyun CLI C(region_id), ossutil 2.0 C(region), env region variable).
  returned: when RV(exists) is true
  type: str
  sample: cn-hangzhou
mode:
  description: The file mode, four octal digits.
  returned: when RV(file_exists) is true
  type: str
  sample: "0600"
owner:
  description: The file owner's name (the numeric ID when it has no name).
  returned: when RV(file_exists) is true
  type: str
  sample: app
group:
  description: The file group's name (the numeric ID when it has no name).
  returned: when RV(file_exists) is true
  type: str
  sample: app
"""

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import EXTRA_OPTIONS, FORMATS
from ansible_collections.aliyun.ram.plugins.module_utils._credential_file_host import run_credential_file_info
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import CheckedModule


def main():
    module = CheckedModule(
        argument_spec=dict(
            format=dict(type='str', required=True, choices=list(FORMATS)),
            path=dict(type='path'),
            profile=dict(type='str'),
            owner=dict(type='str'),
            extra=dict(type='dict', options=EXTRA_OPTIONS),
            return_secret=dict(type='bool', default=False, no_log=False),
        ),
        supports_check_mode=True,
    )
    run_credential_file_info(module)


if __name__ == '__main__':
    main()
