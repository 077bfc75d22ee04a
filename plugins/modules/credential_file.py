#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: credential_file
short_description: Write or remove an Alibaba Cloud AccessKey profile in one credential file, or in several at once
version_added: 1.0.0
author: aliyun.ram contributors (@aliyun-ram)
description:
  - Writes (or removes) one AccessKey profile in a credential file read by an Alibaba Cloud tool, merging into what
    the file already holds.
  - Other profiles, sections, unknown keys and comments are kept byte-for-byte in the INI, ossfs and env formats;
    the JSON of the aliyun CLI keeps other profiles and unknown keys and is written tab-indented as the CLI writes it.
  - The file is written atomically (temporary file in the same directory, final owner and mode set before any content
    is written, then renamed over the target), so readers never see a partial file or a file with a wider mode.
  - The path is walked from C(/) one directory at a time through file descriptors, and every change (directory
    creation, temporary file, owner, mode, rename, removal) is made relative to the directory already held, so a user
    who owns a directory on the path cannot redirect the write while the module runs as root.
  - Symbolic links are followed only when the link is owned by root and lies in a directory owned by root (system
    layout such as C(/bin -> usr/bin) or C(/etc/alternatives)). Any other link on the path, the file itself included,
    fails the task before any change, naming the link and its owner.
  - Ownership along the path may pass from root to one user (the file's owner), never from one user to another or from
    a user back to root; directories writable by their group or by others are refused unless sticky (like C(/tmp)); an
    existing file must be a regular file with a single hard link, owned by root or the file's owner. See the security
    guide in the collection's docsite for the attacks this rules out.
  - Runs on the target host and needs only the Python standard library.
  - The diff shows the managed profile, section or lines before and after, with the AccessKey ID in clear and the
    secret (and any other value in them) replaced by C(********); other profiles, sections and lines are only
    counted (for example C(3 other lines not shown)), never shown, as they may hold other applications' secrets.
options:
  format:
    description:
      - Which consumer the file is for.
      - V(aliyun_cli) is the aliyun CLI C(config.json), also read by the official SDK credential chain and Terraform.
      - V(sdk) is the INI file of the official SDK credential libraries (C([profile]), C(type = access_key)).
      - V(ossutil) is C(.ossutilconfig), the C([Credentials]) section of ossutil 1.x or, with O(extra.ossutil_version=2),
        the C([default]) or C([profile NAME]) sections of ossutil 2.0.
      - V(ossfs) is the s3fs-style password file of ossfs 1.x, one C(bucket:AccessKeyId:AccessKeySecret) line per bucket.
      - V(env) is a C(NAME=value) file for systemd C(EnvironmentFile=) or a shell.
      - V(template) writes O(content) as the whole file (the text of the user's own template, rendered on the controller;
        the R(aliyun.ram.credentials,ansible_collections.aliyun.ram.credentials_role) role uses it), with the same path rules; V(state=absent) removes the file.
      - Required unless O(files) is given.
    type: str
    choices: [aliyun_cli, sdk, ossutil, ossfs, env, template]
  path:
    description:
      - The credential file.
      - Defaults, in the home directory of O(owner) (looked up in the user database) or of the user the module runs as,
        are V(aliyun_cli) C(~/.aliyun/config.json);
        V(sdk) both C(~/.alibabacloud/credentials.ini) (read by Python) and C(~/.alibabacloud/credentials) (read by Go and Java);
        V(ossutil) C(~/.ossutilconfig); V(ossfs) C(/etc/passwd-ossfs).
      - Required for O(format=env) and O(format=template).
      - With O(format=sdk), giving O(path) writes only that file.
      - Missing parent directories are created with mode C(0700), owned by O(owner) and O(group), through the descriptor
        of their parent; they are removed again when the write fails.
      - A symbolic link is followed only when it is owned by root and lies in a directory owned by root; any other link
        fails the task before any change (see the description).
    type: path
  profile:
    description:
      - The profile to write or remove. Defaults to V(default).
      - For O(format=ossfs) it is the bucket name; omitted or empty means the bare C(AccessKeyId:AccessKeySecret) line used for every bucket.
      - O(format=ossutil) 1.x has only the C([Credentials]) section and O(format=env) has no profiles, so both accept only V(default).
      - 1 to 64 letters, digits, dots, dashes or underscores.
    type: str
  access_key_id:
    description:
      - The AccessKey ID. Required when O(state=present), except for O(format=template).
    type: str
  access_key_secret:
    description:
      - The AccessKey secret. Required when O(state=present), except for O(format=template), where it is optional and
        only used to mask the secret in the diff.
      - Never returned and never shown in diffs or error messages.
      - Must not contain control characters or surrounding whitespace; the INI formats also reject C(#) and C(;)
        (comment characters for their readers, Python's reader cuts values at C(#)), O(format=sdk) rejects C(%)
        (Python's configparser interpolation), O(format=ossfs) rejects C(:) and O(format=env) rejects C(').
    type: str
  region:
    description:
      - Region ID such as V(cn-hangzhou).
      - Required for a new O(format=aliyun_cli) profile (the CLI rejects an AK profile without C(region_id)) and for a new
        ossutil 2.0 profile (V4 signing needs it).
      - For ossutil 1.x it sets C(endpoint=oss-REGION.aliyuncs.com) unless O(extra.endpoint) is given.
      - For O(format=env) it is written to O(extra.region_var). Not used by O(format=sdk) and O(format=ossfs).
    type: str
  content:
    description:
      - O(format=template) only. The whole text of the file, usually C(lookup('ansible.builtin.template', ...)) of the
        user's own template.
      - Not logged. The diff masks the AccessKey secret and every value of the file (C(key = ********)).
    type: str
  state:
    description:
      - V(present) writes the profile; V(absent) removes it.
      - V(absent) removes only the profile (for O(format=env) the key pair variables, for ossutil 1.x the C([Credentials]) section);
        the file itself is kept, even when it ends up empty, and a missing file stays missing.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Overwrite an existing file that cannot be parsed, losing its content.
      - When V(false), such a file is an error naming the path and the line number.
    type: bool
    default: false
  mode:
    description:
      - The permissions of the credential file, octal (V('0600')) or symbolic (V(u=rw,g=,o=)) as for M(ansible.builtin.file);
        a symbolic mode applies to the existing file's mode, or to C(0600) for a new file.
      - Defaults to V(0600), or V(0640) for C(/etc/passwd-ossfs) owned by root (what ossfs accepts).
      - O(format=ossfs) rejects modes that ossfs refuses to mount with (any permission for others; group permissions
        except on C(/etc/passwd-ossfs)), in either notation.
    type: raw
  owner:
    description:
      - Owner of the credential file and of parent directories this module creates.
      - Also selects the home directory of the default O(path).
      - When the file exists and O(owner) is not given, the current owner is kept.
      - A new file in a directory that belongs to a user needs O(owner) set to that user (a file of root's in a user's
        directory could be replaced by that user).
    type: str
  group:
    description:
      - Group of the credential file and of parent directories this module creates.
      - Defaults to the primary group of O(owner) for a new file when O(owner) is given; an existing file keeps its group.
    type: str
  files:
    description:
      - Write several files in one run (one round trip to the host) instead of the one given by the other options.
      - Every entry is checked, and every file read and planned, before any file is written, so an entry with bad input
        or a file that cannot be used fails the task with no file changed. Each file is then written atomically as for
        one file; if a write fails, the message names the file and the files already written (RV(results) lists them).
      - The result is RV(results), one entry per file in this order, each as the module returns for one file; the diff
        lists the files in this order.
    type: list
    elements: dict
    suboptions:
      format:
        description: As O(format).
        type: str
        required: true
        choices: [aliyun_cli, sdk, ossutil, ossfs, env, template]
      path:
        description: As O(path).
        type: path
      profile:
        description: As O(profile).
        type: str
      access_key_id:
        description: As O(access_key_id).
        type: str
      access_key_secret:
        description: As O(access_key_secret). Never returned and never shown in diffs or error messages.
        type: str
      content:
        description: As O(content). Not logged.
        type: str
      region:
        description: As O(region).
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
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
      force:
        description: As O(force).
        type: bool
        default: false
      mode:
        description: As O(mode).
        type: raw
      owner:
        description: As O(owner).
        type: str
      group:
        description: As O(group).
        type: str
      item:
        description: Returned as it is with the entry's result (RV(results[].item)), to tell the results apart.
        type: raw
extends_documentation_fragment:
  - aliyun.ram.credential_file
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Every string option except O(content) (those in O(extra) included) is refused when it contains a control character
    such as a newline (a trailing one too), a carriage return, a tab or NUL, with a message naming the option, before
    any file is read or written.
  - SELinux contexts and file attributes are not set by this module (the file options of M(ansible.builtin.file) are
    not offered); a new file gets the default context of its directory.
  - Register results and set C(no_log) on tasks that pass the secret; with C(diff) the secret is redacted, but the task
    arguments still contain it.
  - The aliyun CLI reads C(config.json) only as the whole JSON document, so its formatting is rewritten when the content changes.
seealso:
  - module: aliyun.ram.credential_file_info
"""

EXAMPLES = r"""
- name: Deploy an AccessKey for the aliyun CLI of user app
  aliyun.ram.credential_file:
    format: aliyun_cli
    owner: app
    profile: default
    access_key_id: "{{ ram_key.access_key_id }}"
    access_key_secret: "{{ ram_key.access_key_secret }}"
    region: cn-hangzhou
  no_log: true

- name: Deploy the same key for the SDKs (credentials.ini and credentials)
  aliyun.ram.credential_file:
    format: sdk
    owner: app
    profile: prod
    access_key_id: "{{ ram_key.access_key_id }}"
    access_key_secret: "{{ ram_key.access_key_secret }}"
  no_log: true

- name: ossutil 2.0 profile
  aliyun.ram.credential_file:
    format: ossutil
    owner: app
    profile: backup
    access_key_id: "{{ ram_key.access_key_id }}"
    access_key_secret: "{{ ram_key.access_key_secret }}"
    region: cn-shanghai
    extra:
      ossutil_version: 2
  no_log: true

- name: ossfs password line for one bucket
  aliyun.ram.credential_file:
    format: ossfs
    profile: my-bucket
    access_key_id: "{{ ram_key.access_key_id }}"
    access_key_secret: "{{ ram_key.access_key_secret }}"
  no_log: true

- name: EnvironmentFile for a systemd service
  aliyun.ram.credential_file:
    format: env
    path: /etc/myapp/alibaba.env
    owner: myapp
    mode: "0600"
    access_key_id: "{{ ram_key.access_key_id }}"
    access_key_secret: "{{ ram_key.access_key_secret }}"
    extra:
      access_key_id_var: OSS_ACCESS_KEY_ID
      access_key_secret_var: OSS_ACCESS_KEY_SECRET
  no_log: true

- name: The same key for the aliyun CLI and a service, in one round trip to the host
  aliyun.ram.credential_file:
    files:
      - format: aliyun_cli
        owner: app
        access_key_id: "{{ ram_key.access_key_id }}"
        access_key_secret: "{{ ram_key.access_key_secret }}"
        region: cn-hangzhou
      - format: env
        path: /etc/myapp/alibaba.env
        owner: myapp
        access_key_id: "{{ ram_key.access_key_id }}"
        access_key_secret: "{{ ram_key.access_key_secret }}"
  no_log: true

- name: Remove the profile again
  aliyun.ram.credential_file:
    format: aliyun_cli
    owner: app
    profile: default
    state: absent
"""

RETURN = r"""
path:
  description: The file written, or the first of them for O(format=sdk) with the default paths.
  returned: without O(files)
  type: str
  sample: /home/app/.aliyun/config.json
paths:
  description: Every file handled.
  returned: without O(files)
  type: list
  elements: str
  sample: [/home/app/.alibabacloud/credentials.ini, /home/app/.alibabacloud/credentials]
profile:
  description: The profile (bucket name for O(format=ossfs)) after defaults were applied.
  returned: without O(files)
  type: str
  sample: default
format:
  description: The value of O(format).
  returned: without O(files)
  type: str
  sample: aliyun_cli
state:
  description: Type of RV(path) after the run (added by Ansible for every module that returns a path); C(file) for a credential file.
  returned: when RV(path) exists
  type: str
  sample: file
mode:
  description: Mode of RV(path), four octal digits.
  returned: when RV(path) exists
  type: str
  sample: "0600"
owner:
  description: Owner of RV(path).
  returned: when RV(path) exists
  type: str
  sample: app
group:
  description: Group of RV(path).
  returned: when RV(path) exists
  type: str
  sample: app
results:
  description:
    - With O(files), one entry per file, in the order of O(files), each with RV(path), RV(paths), RV(profile), RV(format)
      and C(changed) for that file, and C(item) (O(files[].item)).
    - When a write fails, the entries of the files handled before it.
  returned: when O(files) is given
  type: list
  elements: dict
  contains:
    item:
      description: The O(files[].item) of the entry.
      type: raw
    changed:
      description: Whether this file (its content, owner, group or mode) changed.
      type: bool
"""

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import EXTRA_OPTIONS, FORMATS
from ansible_collections.aliyun.ram.plugins.module_utils._credential_file_host import TEMPLATE_FORMAT, run_credential_file
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import CheckedModule

# content is the whole rendered template of format=template: several lines by nature. It is written as given and
# masked in the diff (redact_generic); every other option is a single value that must not break a line.
MULTILINE_OPTIONS = ('content', 'files.content')


def file_options(format_required):
    """The options of one file: the module's own, and those of each entry of files (where format is required)."""
    return dict(
        format=dict(type='str', required=format_required, choices=list(FORMATS) + [TEMPLATE_FORMAT]),
        path=dict(type='path'),
        profile=dict(type='str'),
        access_key_id=dict(type='str', no_log=False),
        access_key_secret=dict(type='str', no_log=True),
        content=dict(type='str', no_log=True),
        region=dict(type='str'),
        extra=dict(type='dict', options=EXTRA_OPTIONS),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        force=dict(type='bool', default=False),
        owner=dict(type='str'),
        group=dict(type='str'),
        mode=dict(type='raw'),
    )


def main():
    single_file = file_options(format_required=False)
    module = CheckedModule(
        argument_spec=dict(
            single_file,
            files=dict(type='list', elements='dict', options=dict(file_options(format_required=True), item=dict(type='raw'))),
        ),
        mutually_exclusive=[(name, 'files') for name in single_file],
        required_one_of=[('format', 'files')],
        multiline_options=MULTILINE_OPTIONS,
        supports_check_mode=True,
    )
    run_credential_file(module)


if __name__ == '__main__':
    main()
