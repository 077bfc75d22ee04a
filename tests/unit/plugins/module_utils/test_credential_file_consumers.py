# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The official Python credential library loads what our format functions write.

alibabacloud_credentials reads its environment at import time, so each load runs in a fresh
interpreter with a temporary HOME and a clean environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import build_spec, default_paths, merge
from ansible_collections.aliyun.ram.tests.support.pinned import require

require('alibabacloud_credentials')

KEY_ID = 'LTAI5tConsumerKeyId0001'
SECRET = 'ConsumerSecret0123456789abcdef'
OTHER_ID = 'LTAI5tSomebodyElse00001'

_LOAD = """
import json
from alibabacloud_credentials.client import Client
credential = Client().get_credential()
print(json.dumps([credential.access_key_id, credential.access_key_secret, credential.provider_name]))
"""


def load_with_default_chain(home, profile):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('ALIBABA_CLOUD_', 'ALICLOUD_', 'ALIBABACLOUD_')))
    env.update(HOME=str(home), ALIBABA_CLOUD_PROFILE=profile, ALIBABA_CLOUD_ECS_METADATA_DISABLED='true')
    done = subprocess.run([sys.executable, '-c', _LOAD], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:].replace(SECRET, '<secret>')
    return json.loads(done.stdout)


def write(fmt, home, profile, text=None, region=None):
    path = default_paths(fmt, str(home))[0]
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    content = merge(build_spec(fmt, profile, KEY_ID, SECRET, region), text)
    with open(path, 'w') as handle:
        handle.write(content)
    os.chmod(path, 0o600)
    return path


def test_cli_config_json_profile_is_loaded(tmp_path):
    other = merge(build_spec('aliyun_cli', 'someone', OTHER_ID, 'OtherSecret000', 'cn-beijing'), None)
    write('aliyun_cli', tmp_path, 'app', other, region='cn-hangzhou')
    key_id, secret, provider = load_with_default_chain(tmp_path, 'app')
    assert (key_id, secret) == (KEY_ID, SECRET)
    assert provider == 'default/cli_profile/static_ak'


def test_sdk_credentials_ini_profile_is_loaded(tmp_path):
    existing = '# hand-written\n[default]\nenable = true\ntype = access_key\naccess_key_id = %s\naccess_key_secret = OtherSecret000\n' % OTHER_ID
    write('sdk', tmp_path, 'prod', existing)
    key_id, secret, provider = load_with_default_chain(tmp_path, 'prod')
    assert (key_id, secret) == (KEY_ID, SECRET)
    assert provider == 'default/profile/static_ak'


def test_profile_missing_from_config_json_falls_through_to_the_ini(tmp_path):
    write('aliyun_cli', tmp_path, 'cli-only', region='cn-hangzhou')
    write('sdk', tmp_path, 'ini-only')
    assert load_with_default_chain(tmp_path, 'ini-only') == [KEY_ID, SECRET, 'default/profile/static_ak']
