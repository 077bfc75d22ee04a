# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The format-specific O(extra) option shared by credential_file and credential_file_info."""

    DOCUMENTATION = r'''
options:
  extra:
    description:
      - Format-specific settings; unknown keys are an error. The same dictionary can be passed to
        M(aliyun.ram.credential_file) and M(aliyun.ram.credential_file_info).
      - When reading, only O(extra.ossutil_version) and the C(*_var) names matter.
    type: dict
    suboptions:
      current:
        description:
          - O(format=aliyun_cli) only. V(true) makes this the CLI's C(current) profile; V(false) never changes C(current).
          - When unset, C(current) is set only if it is empty (for example in a new file).
        type: bool
      output_format:
        description: O(format=aliyun_cli) only. C(output_format) of the profile; a new profile gets V(json).
        type: str
      language:
        description:
          - O(format=aliyun_cli) C(language) (V(en) or V(zh); a new profile gets V(en)), or ossutil 1.x C(language) (V(EN) or V(CH)).
        type: str
      ossutil_version:
        description:
          - O(format=ossutil) only. V(1) writes the C([Credentials]) section; V(2) writes the ossutil 2.0 profile sections.
          - Defaults to V(1).
        type: int
        choices: [1, 2]
      endpoint:
        description: O(format=ossutil) only. The OSS endpoint, for example V(oss-cn-hangzhou.aliyuncs.com).
        type: str
      access_key_id_var:
        description: O(format=env) only. Variable for the AccessKey ID, default C(ALIBABA_CLOUD_ACCESS_KEY_ID).
        type: str
      access_key_secret_var:
        description: O(format=env) only. Variable for the AccessKey secret, default C(ALIBABA_CLOUD_ACCESS_KEY_SECRET).
        type: str
      region_var:
        description: O(format=env) only. Variable for the region (written only when the region is set); default C(ALIBABA_CLOUD_REGION_ID).
        type: str
      export:
        description: O(format=env) only. Prefix the lines with C(export) for shells (systemd does not accept it). Defaults to V(false).
        type: bool
'''
