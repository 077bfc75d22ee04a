# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Diff redaction: the managed profile with its key id in clear and its secret masked, nothing of any other line."""

from __future__ import annotations

import difflib
import json

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import (
    REDACTED,
    build_spec,
    merge,
    redact,
    redact_generic,
)

KEY_ID = 'LTAI5tRedactKeyId0001'
SECRET = 'RedactTestSecret0123456789ab'
OLD_ID = 'LTAI5tRedactOldKey002'
OLD_SECRET = 'OldManagedSecret987654321zz'
# Values of lines the module does not manage: none may appear in any diff.
UNRELATED = ['hunter2', 'OtherSecret123', 'LTAIotherKeyId', 'OtherToken456', 'other-app-setting', 'note-about-x']

ENV_FILE = (
    "# note-about-x\n"
    "APP_MODE=other-app-setting\n"
    "DB_PASS=hunter2\n"
    "export API_TOKEN='OtherToken456'\n"
    "\n"
    "ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n"
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n"
    "OTHER_KEY_ID=LTAIotherKeyId\n" % (OLD_ID, OLD_SECRET)
)
SDK_FILE = (
    "# note-about-x\n"
    "[other]\n"
    "type = access_key\n"
    "access_key_id = LTAIotherKeyId\n"
    "access_key_secret = OtherSecret123\n"
    "\n"
    "[default]\n"
    "; note-about-x\n"
    "type = access_key\n"
    "access_key_id = %s\n"
    "access_key_secret = %s\n"
    "db_pass = hunter2\n"
    "\n"
    "[app]\n"
    "role_arn = other-app-setting\n"
    "security_token = OtherToken456\n" % (OLD_ID, OLD_SECRET)
)
OSSUTIL_V1_FILE = (
    "[Credentials]\n"
    "language=EN\n"
    "endpoint=oss-cn-beijing.aliyuncs.com\n"
    "accessKeyID=%s\n"
    "accessKeySecret=%s\n"
    "stsToken=OtherToken456\n"
    "outputDir=other-app-setting\n"
    "[Bucket-Endpoint]\n"
    "bucket1=other-app-setting\n"
    "[AkService]\n"
    "ecsAk=OtherSecret123\n" % (OLD_ID, OLD_SECRET)
)
OSSUTIL_V2_FILE = (
    "[profile other]\n"
    "accessKeyId = LTAIotherKeyId\n"
    "accessKeySecret = OtherSecret123\n"
    "region = cn-beijing\n"
    "\n"
    "[default]\n"
    "accessKeyId = %s\n"
    "accessKeySecret = %s\n"
    "region = cn-hangzhou\n"
    "sts_token = OtherToken456\n"
    "\n"
    "[buckets other]\n"
    "note-about-x = hunter2\n" % (OLD_ID, OLD_SECRET)
)
CLI_FILE = json.dumps({
    'current': 'other', 'meta_path': 'other-app-setting', 'unknown': {'password': 'hunter2'},
    'profiles': [
        {'name': 'other', 'mode': 'StsToken', 'access_key_id': 'LTAIotherKeyId', 'access_key_secret': 'OtherSecret123',
         'sts_token': 'OtherToken456', 'region_id': 'cn-beijing'},
        {'name': 'default', 'mode': 'AK', 'access_key_id': OLD_ID, 'access_key_secret': OLD_SECRET,
         'region_id': 'cn-hangzhou', 'output_format': 'json', 'language': 'en', 'sts_token': 'OtherToken456',
         'ram_role_arn': 'other-app-setting'},
    ]}, indent='\t')
OSSFS_FILE = (
    "# note-about-x\n"
    "LTAIotherKeyId:OtherSecret123\n"
    "bucket-b:LTAIotherKeyId:hunter2\n"
    "bucket-a:%s:%s\n"
    "bucket-c:LTAIotherKeyId:OtherToken456\n" % (OLD_ID, OLD_SECRET)
)

CASES = {
    'env': ('env', None, {}, ENV_FILE),
    'sdk': ('sdk', None, {}, SDK_FILE),
    'ossutil1': ('ossutil', None, {}, OSSUTIL_V1_FILE),
    'ossutil2': ('ossutil', None, {'ossutil_version': 2}, OSSUTIL_V2_FILE),
    'aliyun_cli': ('aliyun_cli', None, {}, CLI_FILE),
    'ossfs': ('ossfs', 'bucket-a', {}, OSSFS_FILE),
}


def present(fmt, profile, extra):
    return build_spec(fmt, profile, KEY_ID, SECRET, None, dict(extra), 'present')


def absent(fmt, profile, extra):
    return build_spec(fmt, profile, state='absent', extra=dict(extra))


def summary_lines(text):
    return [line for line in text.splitlines() if 'not shown' in line]


def changed_lines(before, after):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm='', n=0)
            if line[:1] in '+-' and not line.startswith(('+++', '---'))]


@pytest.mark.parametrize('case', sorted(CASES))
def test_update_shows_the_managed_key_and_nothing_of_other_lines(case):
    fmt, profile, extra, text = CASES[case]
    spec = present(fmt, profile, extra)
    after = merge(spec, text)
    assert after != text
    shown_before = redact(spec, text, [SECRET])
    shown_after = redact(spec, after, [SECRET])
    for shown in (shown_before, shown_after):
        for value in UNRELATED + [SECRET, OLD_SECRET]:
            assert value not in shown, (value, shown)
        assert REDACTED in shown
    assert OLD_ID in shown_before and KEY_ID in shown_after
    # every other section/profile/line is summarised the same way on both sides: only managed lines differ
    assert summary_lines(shown_before) and summary_lines(shown_before) == summary_lines(shown_after)
    changes = changed_lines(shown_before, shown_after)
    assert changes and all('not shown' not in line for line in changes), changes
    assert any(KEY_ID in line for line in changes)


@pytest.mark.parametrize('case', ['aliyun_cli', 'ossfs', 'ossutil2', 'sdk'])  # env and ossutil 1.x have one profile
def test_new_profile_next_to_other_applications_shows_only_itself(case):
    fmt, dummy, extra, text = CASES[case]
    profile = 'bucket-new' if fmt == 'ossfs' else 'fresh'
    spec = build_spec(fmt, profile, KEY_ID, SECRET, 'cn-shanghai', dict(extra), 'present')
    after = merge(spec, text)
    shown_before, shown_after = redact(spec, text, [SECRET]), redact(spec, after, [SECRET])
    for shown in (shown_before, shown_after):
        for value in UNRELATED + [SECRET, OLD_SECRET, OLD_ID]:
            assert value not in shown, (value, shown)
    assert KEY_ID in shown_after and KEY_ID not in shown_before
    changes = changed_lines(shown_before, shown_after)
    assert changes and all(line.startswith('+') and 'not shown' not in line for line in changes), changes


@pytest.mark.parametrize('case', sorted(CASES))
def test_absent_shows_the_removed_profile_and_nothing_else(case):
    fmt, profile, extra, text = CASES[case]
    spec = absent(fmt, profile, extra)
    after = merge(spec, text)
    assert after != text
    shown_before, shown_after = redact(spec, text), redact(spec, after)
    for shown in (shown_before, shown_after):
        for value in UNRELATED + [OLD_SECRET]:
            assert value not in shown, (value, shown)
    assert OLD_ID in shown_before and OLD_ID not in shown_after


def test_env_summary():
    spec = present('env', None, {})
    assert redact(spec, merge(spec, ENV_FILE)) == (
        '# 4 other lines not shown\n'
        'ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n'
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n'
        '# 1 other line not shown\n' % (KEY_ID, REDACTED))


def test_env_managed_id_with_a_trailing_comment_is_masked():
    spec = present('env', None, {})
    assert redact(spec, 'ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI # hunter2\n') == 'ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n' % REDACTED


def test_ini_summary_masks_unmanaged_keys_of_the_managed_section():
    spec = present('sdk', None, {})
    assert redact(spec, merge(spec, SDK_FILE)) == (
        '# 1 other line not shown\n'
        '# [other]: 3 lines not shown\n'
        '[default]\n'
        '# (comment not shown)\n'
        'type = access_key\n'
        'access_key_id = %s\n'
        'access_key_secret = %s\n'
        'db_pass = %s\n'
        'enable = true\n'
        '\n'
        '# [app]: 2 lines not shown\n' % (KEY_ID, REDACTED, REDACTED))


def test_ossutil_shows_the_dropped_session_token_masked():
    spec = present('ossutil', None, {})
    before = redact(spec, OSSUTIL_V1_FILE)
    after = redact(spec, merge(spec, OSSUTIL_V1_FILE))
    assert 'stsToken=%s\n' % REDACTED in before and 'stsToken' not in after
    assert '# [Bucket-Endpoint]: 1 line not shown\n' in before and '# [AkService]: 1 line not shown\n' in after
    assert 'endpoint=oss-cn-beijing.aliyuncs.com\n' in after and 'outputDir=%s\n' % REDACTED in after


def test_cli_summary():
    spec = present('aliyun_cli', None, {})
    shown = json.loads(redact(spec, merge(spec, CLI_FILE)))
    assert shown['current'] == 'other' and shown['meta_path'] == REDACTED and shown['unknown'] == REDACTED
    assert shown['profiles'][1] == '<profile other: 6 keys not shown>'
    assert shown['profiles'][0] == {
        'name': 'default', 'mode': 'AK', 'access_key_id': KEY_ID, 'access_key_secret': REDACTED, 'region_id': 'cn-hangzhou',
        'output_format': 'json', 'language': 'en', 'sts_token': REDACTED, 'ram_role_arn': REDACTED}


def test_cli_profile_without_a_name():
    spec = present('aliyun_cli', None, {})
    text = json.dumps({'profiles': [{'access_key_secret': 'hunter2'}]})
    assert json.loads(redact(spec, text))['profiles'] == ['<a profile without a name: 1 key not shown>']


def test_ossfs_summary():
    spec = present('ossfs', 'bucket-a', {})
    assert redact(spec, merge(spec, OSSFS_FILE)) == (
        '# 3 other lines not shown\nbucket-a:%s:%s\n# 1 other line not shown\n' % (KEY_ID, REDACTED))


def test_unparseable_text_shows_nothing():
    assert redact(present('env', None, {}), 'DB_PASS=hunter2\nif true; then\n') == '<unparseable content (2 lines) not shown>\n'
    assert redact(present('aliyun_cli', None, {}), '{"profiles": [hunter2') == '<unparseable content (1 lines) not shown>\n'


# ---------------------------------------------------------------- template (whole file from the user's template)

def test_generic_masks_every_value_and_hides_other_lines():
    text = (
        "# hunter2 in a comment\n"
        "[default]\n"
        "access_key_id = %s\n"
        "access_key_secret=%s\n"
        "\n"
        "  db_pass: hunter2\n"
        "export API_TOKEN='OtherToken456'\n"
        "- password: OtherSecret123\n"
        "\"secret\": \"OtherSecret123\",\n"
        "--oss_access_key_secret=OtherSecret123\n"
        "empty =\n"
        "bucket-b:LTAIotherKeyId:hunter2\n"
        "just-a-value-line other-app-setting\n" % (KEY_ID, SECRET)
    )
    assert redact_generic(text, [SECRET]) == (
        "<line 1 not shown>\n"
        "<line 2 not shown>\n"
        "access_key_id = %s\n"
        "access_key_secret = %s\n"
        "\n"
        "  db_pass: %s\n"
        "export API_TOKEN = %s\n"
        "- password: %s\n"
        "\"secret\": %s\n"
        "--oss_access_key_secret = %s\n"
        "empty =\n"
        "bucket-b: %s\n"
        "<line 13 not shown>\n" % ((REDACTED,) * 8))


def test_generic_masks_a_given_secret_wherever_it_is():
    assert redact_generic('%s = 1\n' % SECRET, [SECRET]) == '%s = %s\n' % (REDACTED, REDACTED)
    assert redact_generic('a = b', ['', None]) == 'a = %s\n' % REDACTED
    assert redact_generic('', [SECRET]) == '' and redact_generic(None) == ''


def test_generic_json_template():
    text = json.dumps({'profiles': [{'name': 'x', 'access_key_secret': SECRET, 'sts_token': 'OtherToken456'}]}, indent=2)
    shown = redact_generic(text, [SECRET])
    for value in (SECRET, 'OtherToken456', '"x"'):
        assert value not in shown
    assert '"access_key_secret": %s' % REDACTED in shown
