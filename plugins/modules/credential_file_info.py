#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: credential_file_info
short_description: Read Alibaba Cloud AccessKey profiles back from credential files
version_added: 1.0.0
author: aliyun.ram contributors (@aliyun-ram)
description:
  - Reads the profile that M(aliyun.ram.credential_file) writes, in any of its formats, and returns the AccessKey ID
    (and, only on request, the secret), so a play can tell which key a host already holds.
  - With O(files), reads several files in one run (one round trip to the host), and can tell for each whether
    M(aliyun.ram.credential_file) would leave it as it is when writing the key pair it already holds (RV(results[].in_sync)).
  - A missing file or profile is not an error; RV(exists) is V(false).
  - A file that cannot be parsed is an error naming the path and the line number, never the content.
  - Runs on the target host and needs only the Python standard library.
options:
  format:
    description:
      - The file format, as for M(aliyun.ram.credential_file).
      - Required unless O(files) is given.
    type: str
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
  files:
    description:
      - Read several files at once instead of the one given by O(format), O(path), O(profile), O(owner) and O(extra).
      - The result is RV(results), one entry per file in this order, each as the module returns for one file.
      - A file that cannot be read fails its entry (C(failed), C(msg)) and the task, after every other file is read.
    type: list
    elements: dict
    suboptions:
      format:
        description: As O(format).
        type: str
        required: true
        choices: [aliyun_cli, sdk, ossutil, ossfs, env]
      path:
        description: As O(path).
        type: path
      profile:
        description: As O(profile).
        type: str
      owner:
        description: As O(owner); also the owner a write would give the file (as for M(aliyun.ram.credential_file)).
        type: str
      extra:
        description: As O(extra).
        type: dict
        suboptions:
          current:
            description: As O(extra.current).
            type: bool
          output_format:
            description: As O(extra.output_format).
            type: str
          language:
            description: As O(extra.language).
            type: str
          ossutil_version:
            description: As O(extra.ossutil_version).
            type: int
            choices: [1, 2]
          endpoint:
            description: As O(extra.endpoint).
            type: str
          access_key_id_var:
            description: As O(extra.access_key_id_var).
            type: str
          access_key_secret_var:
            description: As O(extra.access_key_secret_var).
            type: str
          region_var:
            description: As O(extra.region_var).
            type: str
          export:
            description: As O(extra.export).
            type: bool
      region:
        description: With O(files[].compare), the region a write would set, as for M(aliyun.ram.credential_file).
        type: str
      group:
        description: With O(files[].compare), the group a write would set.
        type: str
      mode:
        description: With O(files[].compare), the mode a write would set.
        type: raw
      force:
        description: With O(files[].compare), the O(aliyun.ram.credential_file#module:force) of a write.
        type: bool
        default: false
      compare:
        description:
          - Also return RV(results[].in_sync) for a file that holds the profile.
        type: bool
        default: false
      item:
        description: Any value, returned unchanged as the C(item) of the file's entry in RV(results) (what a loop would register).
        type: raw
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

- name: Read the aliyun CLI and ossutil files of user app at once, and whether each already matches what a write would leave
  aliyun.ram.credential_file_info:
    files:
      - format: aliyun_cli
        owner: app
        region: cn-hangzhou
        compare: true
      - format: ossutil
        owner: app
        region: cn-hangzhou
        compare: true
  register: held_all

- name: Say which files a write would change
  ansible.builtin.debug:
    msg: "{{ held_all.results | rejectattr('in_sync', 'true') | map(attribute='path') | list }}"
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
results:
  description:
    - With O(files), one entry per file, each with the values above for that file, C(item) (O(files[].item)) and, with
      O(files[].compare), C(in_sync).
    - C(in_sync) is V(true) when writing the key pair the file holds, with the options of the entry, would change
      neither the content nor the owner, group or mode of any file (both files of O(format=sdk) by default).
  returned: when O(files) is given
  type: list
  elements: dict
  contains:
    item:
      description: The O(files[].item) of the entry.
      type: raw
    in_sync:
      description: Whether a write of the key pair the file holds, with the options of the entry, would leave every file as it is.
      type: bool
      returned: with O(files[].compare), when the profile exists
"""

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import EXTRA_OPTIONS, FORMATS
from ansible_collections.aliyun.ram.plugins.module_utils._credential_file_host import run_credential_file_info
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import CheckedModule


def main():
    module = CheckedModule(
        argument_spec=dict(
            format=dict(type='str', choices=list(FORMATS)),
            path=dict(type='path'),
            profile=dict(type='str'),
            owner=dict(type='str'),
            extra=dict(type='dict', options=EXTRA_OPTIONS),
            files=dict(type='list', elements='dict', options=dict(
                format=dict(type='str', required=True, choices=list(FORMATS)),
                path=dict(type='path'),
                profile=dict(type='str'),
                owner=dict(type='str'),
                extra=dict(type='dict', options=EXTRA_OPTIONS),
                region=dict(type='str'),
                group=dict(type='str'),
                mode=dict(type='raw'),
                force=dict(type='bool', default=False),
                compare=dict(type='bool', default=False),
                item=dict(type='raw'),
            )),
            return_secret=dict(type='bool', default=False, no_log=False),
        ),
        mutually_exclusive=[('format', 'files'), ('path', 'files'), ('profile', 'files'), ('owner', 'files'), ('extra', 'files')],
        required_one_of=[('format', 'files')],
        supports_check_mode=True,
    )
    run_credential_file_info(module)


if __name__ == '__main__':
    main()
