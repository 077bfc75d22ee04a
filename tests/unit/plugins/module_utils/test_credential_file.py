# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure format functions: create, merge byte-for-byte, update, idempotence, absent, parse errors, redaction, validation."""

from __future__ import annotations

import configparser
import json

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import (
    REDACTED,
    CredentialFileError,
    CredentialParseError,
    build_spec,
    default_mode,
    default_paths,
    merge,
    mode_problem,
    read_profile,
    redact,
)
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.env import quote as env_quote

KEY_ID = 'LTAI5tUnitTestKeyId001'
SECRET = 'UnitTestSecretValue0123456789x'
NEW_ID = 'LTAI5tUnitTestKeyId002'
NEW_SECRET = 'AnotherSecretValue98765432100y'
OTHER_SECRET = 'OtherProfilesSecretMustHide77'


def spec(fmt, profile=None, key_id=KEY_ID, secret=SECRET, region=None, extra=None, state='present'):
    return build_spec(fmt, profile, key_id, secret, region, extra, state)


def absent(fmt, profile=None, extra=None):
    return build_spec(fmt, profile, state='absent', extra=extra)


# ---------------------------------------------------------------- sdk INI

SDK_EXISTING = (
    "# managed by hand; keep me\n"
    "[default]\n"
    "type = ram_role_arn\n"
    "role_arn = acs:ram::123:role/x\n"
    "\n"
    "; other tool\n"
    "[other]\n"
    "access_key_id = LTAIother\n"
    "access_key_secret = " + OTHER_SECRET + "\n"
    "unknown_key=kept as is   \n"
)


def test_sdk_create_from_nothing():
    assert merge(spec('sdk'), None) == (
        "[default]\nenable = true\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n" % (KEY_ID, SECRET))


def test_sdk_new_profile_keeps_everything_else_byte_for_byte():
    result = merge(spec('sdk', 'prod'), SDK_EXISTING)
    assert result == SDK_EXISTING + (
        "\n[prod]\nenable = true\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n" % (KEY_ID, SECRET))


def test_sdk_update_edits_lines_in_place_and_keeps_unknown_keys():
    first = merge(spec('sdk', 'other'), SDK_EXISTING)
    assert first == SDK_EXISTING.replace('LTAIother', KEY_ID).replace(OTHER_SECRET, SECRET) + "enable = true\ntype = access_key\n"
    second = merge(spec('sdk', 'other', NEW_ID, NEW_SECRET), first)
    assert second == first.replace(KEY_ID, NEW_ID).replace(SECRET, NEW_SECRET)


def test_sdk_keys_match_case_insensitively_and_keep_their_spelling():
    text = "[default]\nAccess_Key_Id: old\r\nType=x\r\n"
    assert merge(spec('sdk'), text) == (
        "[default]\nAccess_Key_Id: %s\r\nType=access_key\r\nenable = true\naccess_key_secret = %s\n" % (KEY_ID, SECRET))


def test_sdk_is_idempotent():
    once = merge(spec('sdk', 'prod'), SDK_EXISTING)
    assert merge(spec('sdk', 'prod'), once) == once


def test_sdk_absent_removes_only_that_section():
    with_prod = merge(spec('sdk', 'prod'), SDK_EXISTING)
    assert merge(absent('sdk', 'prod'), with_prod) == SDK_EXISTING
    middle_removed = merge(absent('sdk', 'default'), SDK_EXISTING)
    assert middle_removed == "# managed by hand; keep me\n\n; other tool\n" + SDK_EXISTING[SDK_EXISTING.index('[other]'):]


def test_absent_of_missing_profile_or_file_changes_nothing():
    assert merge(absent('sdk', 'nope'), SDK_EXISTING) == SDK_EXISTING
    assert merge(absent('sdk'), None) == ''
    assert merge(absent('aliyun_cli'), None) == ''


def test_sdk_result_is_read_by_configparser_like_the_python_sdk():
    parser = configparser.ConfigParser()
    parser.read_string(merge(spec('sdk', 'prod'), SDK_EXISTING))
    assert dict(parser['prod']) == {'enable': 'true', 'type': 'access_key', 'access_key_id': KEY_ID, 'access_key_secret': SECRET}
    assert parser['other']['unknown_key'] == 'kept as is'


def test_sdk_read_profile():
    text = merge(spec('sdk', 'prod'), SDK_EXISTING)
    assert read_profile(build_spec('sdk', 'prod', reading=True), text) == {
        'access_key_id': KEY_ID, 'access_key_secret': SECRET, 'region': None}
    assert read_profile(build_spec('sdk', 'missing', reading=True), text) is None
    assert read_profile(build_spec('sdk', reading=True), '') is None


@pytest.mark.parametrize('text, line, reason', [
    ("[default]\naccess_key_id = a\n" + SECRET + "\n", 3, 'expected a [section] header'),
    ("access_key_secret = " + SECRET + "\n[default]\n", 1, 'key outside any [section]'),
    ("[a]\nx=1\n[a]\ny=" + SECRET + "\n", 3, 'duplicate section'),
    ("[a]\nkey=1\nKEY=" + SECRET + "\n", 3, 'duplicate key'),
    ("[a]\n[b" + SECRET + "\n", 2, 'malformed section header'),
])
def test_ini_parse_errors_name_the_line_not_the_content(text, line, reason):
    with pytest.raises(CredentialParseError) as caught:
        merge(spec('sdk'), text)
    assert caught.value.line == line
    assert str(caught.value).startswith('line %d: %s' % (line, reason))
    assert SECRET not in str(caught.value)


# ---------------------------------------------------------------- aliyun CLI config.json

def test_cli_create_from_nothing_matches_the_cli_layout():
    text = merge(spec('aliyun_cli', region='cn-hangzhou'), None)
    assert text == (
        '{\n\t"current": "default",\n\t"profiles": [\n\t\t{\n\t\t\t"name": "default",\n\t\t\t"mode": "AK",\n'
        '\t\t\t"access_key_id": "%s",\n\t\t\t"access_key_secret": "%s",\n\t\t\t"region_id": "cn-hangzhou",\n'
        '\t\t\t"output_format": "json",\n\t\t\t"language": "en"\n\t\t}\n\t],\n\t"meta_path": ""\n}' % (KEY_ID, SECRET))


CLI_EXISTING = json.dumps({
    'current': 'ops', 'unknown_top': {'x': 1},
    'profiles': [{'name': 'ops', 'mode': 'StsToken', 'access_key_id': 'LTAIops', 'access_key_secret': OTHER_SECRET,
                  'sts_token': 'tok', 'region_id': 'cn-beijing', 'site': 'china', 'retry_count': 3}],
    'meta_path': '/x'})


def test_cli_merge_keeps_other_profiles_and_unknown_keys():
    data = json.loads(merge(spec('aliyun_cli', 'app', region='cn-shanghai', extra={'output_format': 'table'}), CLI_EXISTING))
    original = json.loads(CLI_EXISTING)
    assert data['profiles'][0] == original['profiles'][0]
    assert data['unknown_top'] == {'x': 1} and data['meta_path'] == '/x'
    assert data['current'] == 'ops'
    assert data['profiles'][1] == {'name': 'app', 'mode': 'AK', 'access_key_id': KEY_ID, 'access_key_secret': SECRET,
                                   'region_id': 'cn-shanghai', 'output_format': 'table', 'language': 'en'}


def test_cli_update_existing_profile_keeps_its_other_keys_and_region():
    data = json.loads(merge(spec('aliyun_cli', 'ops'), CLI_EXISTING))
    profile = data['profiles'][0]
    assert (profile['mode'], profile['access_key_id'], profile['access_key_secret']) == ('AK', KEY_ID, SECRET)
    assert profile['region_id'] == 'cn-beijing' and profile['site'] == 'china' and profile['retry_count'] == 3


def test_cli_unchanged_content_returns_the_original_text_even_if_formatted_differently():
    compact = json.dumps(json.loads(merge(spec('aliyun_cli', region='cn-hangzhou'), None)))
    assert merge(spec('aliyun_cli', region='cn-hangzhou'), compact) == compact


@pytest.mark.parametrize('current, expected', [(None, 'ops'), (True, 'app'), (False, 'ops')])
def test_cli_current_setting(current, expected):
    extra = {} if current is None else {'current': current}
    data = json.loads(merge(spec('aliyun_cli', 'app', region='cn-hangzhou', extra=extra), CLI_EXISTING))
    assert data['current'] == expected


def test_cli_current_false_in_new_file_stays_empty():
    data = json.loads(merge(spec('aliyun_cli', region='cn-hangzhou', extra={'current': 'no'}), None))
    assert data['current'] == ''


def test_cli_absent_removes_profile_and_clears_current_pointing_at_it():
    data = json.loads(merge(absent('aliyun_cli', 'ops'), CLI_EXISTING))
    assert data['profiles'] == [] and data['current'] == '' and data['unknown_top'] == {'x': 1}
    assert merge(absent('aliyun_cli', 'nope'), CLI_EXISTING) == CLI_EXISTING


def test_cli_new_profile_needs_region():
    with pytest.raises(CredentialFileError, match='region'):
        merge(spec('aliyun_cli', 'app'), CLI_EXISTING)


@pytest.mark.parametrize('text, line', [('{\n"current": "x",\n"profiles": [\n{"access_key_secret": "%s"\n]}' % SECRET, 5),
                                        ('[1, 2]', 0), ('{"profiles": {"a": "%s"}}' % SECRET, 0)])
def test_cli_parse_errors_do_not_leak(text, line):
    with pytest.raises(CredentialParseError) as caught:
        merge(spec('aliyun_cli', region='cn-hangzhou'), text)
    assert caught.value.line == line
    assert SECRET not in str(caught.value)


def test_cli_redaction_hides_every_secret():
    text = merge(spec('aliyun_cli', 'app', region='cn-hangzhou'), CLI_EXISTING)
    shown = redact(spec('aliyun_cli', 'app', region='cn-hangzhou'), text)
    assert SECRET not in shown and OTHER_SECRET not in shown and '"tok"' not in shown and 'LTAIops' not in shown
    assert json.loads(shown)['profiles'][0]['access_key_secret'] == REDACTED
    assert json.loads(shown)['profiles'][1] == '<profile ops: 8 keys not shown>'
    assert KEY_ID in shown


# ---------------------------------------------------------------- ossutil

OSSUTIL_V1 = (
    "[Credentials]\n"
    "language=CH\n"
    "endpoint=oss-cn-beijing.aliyuncs.com\n"
    "accessKeyId=LTAIold\n"
    "access_key_secret=" + OTHER_SECRET + "\n"
    "stsToken=stale\n"
    "outputDir=ossutil_output\n"
    "[Bucket-Endpoint]\n"
    "bucket1=oss-cn-beijing.aliyuncs.com\n"
)


def test_ossutil_v1_create_from_nothing():
    assert merge(spec('ossutil', region='cn-hangzhou', extra={'language': 'EN'}), None) == (
        "[Credentials]\nlanguage=EN\nendpoint=oss-cn-hangzhou.aliyuncs.com\naccessKeyID=%s\naccessKeySecret=%s\n" % (KEY_ID, SECRET))


def test_ossutil_v1_update_matches_aliases_drops_stale_token_keeps_rest():
    assert merge(spec('ossutil'), OSSUTIL_V1) == OSSUTIL_V1.replace('LTAIold', KEY_ID).replace(OTHER_SECRET, SECRET).replace('stsToken=stale\n', '')
    endpoint = merge(spec('ossutil', extra={'endpoint': 'oss-cn-shanghai-internal.aliyuncs.com'}), OSSUTIL_V1)
    assert 'endpoint=oss-cn-shanghai-internal.aliyuncs.com\n' in endpoint and 'language=CH\n' in endpoint


def test_ossutil_v1_rejects_profiles():
    with pytest.raises(CredentialFileError, match='ossutil_version: 2'):
        spec('ossutil', 'prod')


def test_ossutil_v2_profiles():
    text = "# ossutil 2\n[default]\naccess-key-id = a\nregion=cn-beijing\n"
    result = merge(spec('ossutil', extra={'ossutil_version': 2}), text)
    assert result == "# ossutil 2\n[default]\naccess-key-id = %s\nregion=cn-beijing\naccessKeySecret = %s\n" % (KEY_ID, SECRET)
    named = merge(spec('ossutil', 'backup', region='cn-shanghai', extra={'ossutil_version': 2}), result)
    assert named == result + "\n[profile backup]\naccessKeyId = %s\naccessKeySecret = %s\nregion = cn-shanghai\n" % (KEY_ID, SECRET)
    assert read_profile(build_spec('ossutil', 'backup', extra={'ossutil_version': 2}, reading=True), named)['region'] == 'cn-shanghai'
    assert merge(absent('ossutil', 'backup', extra={'ossutil_version': 2}), named) == result


def test_ossutil_v2_profile_default_section_spelling_is_recognised():
    text = "[profile default]\naccessKeyId=a\naccessKeySecret=b\nregion=cn-beijing\n"
    assert merge(spec('ossutil', extra={'ossutil_version': 2}), text) == text.replace('=a', '=' + KEY_ID).replace('=b', '=' + SECRET)


def test_ossutil_v2_new_profile_needs_region():
    with pytest.raises(CredentialFileError, match='region'):
        merge(spec('ossutil', 'x', extra={'ossutil_version': 2}), None)


def test_ossutil_redaction():
    shown = redact(spec('ossutil'), merge(spec('ossutil'), OSSUTIL_V1))
    assert SECRET not in shown and OTHER_SECRET not in shown
    assert 'access_key_secret=' + REDACTED + '\n' in shown


# ---------------------------------------------------------------- ossfs

OSSFS_EXISTING = "# ossfs credentials\nLTAIdefault:" + OTHER_SECRET + "\nbucket-b:LTAIb:secretb\n"


def test_ossfs_create_and_merge_one_line_per_bucket():
    assert merge(spec('ossfs', 'bucket-a'), None) == 'bucket-a:%s:%s\n' % (KEY_ID, SECRET)
    assert merge(spec('ossfs'), None) == '%s:%s\n' % (KEY_ID, SECRET)
    added = merge(spec('ossfs', 'bucket-a'), OSSFS_EXISTING)
    assert added == OSSFS_EXISTING + 'bucket-a:%s:%s\n' % (KEY_ID, SECRET)
    updated = merge(spec('ossfs', 'bucket-b'), OSSFS_EXISTING + 'bucket-b:dup:dup')
    assert updated == "# ossfs credentials\nLTAIdefault:%s\nbucket-b:%s:%s\n" % (OTHER_SECRET, KEY_ID, SECRET)
    default_updated = merge(spec('ossfs'), OSSFS_EXISTING)
    assert default_updated == OSSFS_EXISTING.replace('LTAIdefault:' + OTHER_SECRET, KEY_ID + ':' + SECRET)
    assert merge(spec('ossfs', 'bucket-a'), added) == added


def test_ossfs_absent_and_read():
    added = merge(spec('ossfs', 'bucket-a'), OSSFS_EXISTING)
    assert merge(absent('ossfs', 'bucket-a'), added) == OSSFS_EXISTING
    assert merge(absent('ossfs'), OSSFS_EXISTING) == "# ossfs credentials\nbucket-b:LTAIb:secretb\n"
    assert read_profile(build_spec('ossfs', 'bucket-a', reading=True), added) == {
        'access_key_id': KEY_ID, 'access_key_secret': SECRET, 'region': None}
    assert read_profile(build_spec('ossfs', reading=True), added)['access_key_id'] == 'LTAIdefault'


def test_ossfs_parse_error_and_redaction():
    with pytest.raises(CredentialParseError) as caught:
        merge(spec('ossfs'), "ok:line\n" + SECRET + "\n")
    assert caught.value.line == 2 and SECRET not in str(caught.value)
    shown = redact(spec('ossfs', 'bucket-a'), merge(spec('ossfs', 'bucket-a'), OSSFS_EXISTING))
    assert SECRET not in shown and OTHER_SECRET not in shown and 'secretb' not in shown and 'LTAIb' not in shown
    assert shown == '# 3 other lines not shown\nbucket-a:%s:%s\n' % (KEY_ID, REDACTED)


def test_ossfs_validation():
    with pytest.raises(CredentialFileError, match="':'"):
        spec('ossfs', secret='abc:def')
    with pytest.raises(CredentialFileError, match='bucket'):
        spec('ossfs', 'Bad_Bucket')


def test_ossfs_modes():
    assert default_mode('ossfs', '/etc/passwd-ossfs', True) == 0o640
    assert default_mode('ossfs', '/etc/passwd-ossfs', False) == 0o600
    assert default_mode('ossfs', '/home/a/.passwd-ossfs', True) == 0o600
    assert mode_problem('ossfs', '/etc/passwd-ossfs', 0o640) is None
    assert 'others' in mode_problem('ossfs', '/etc/passwd-ossfs', 0o644)
    assert mode_problem('ossfs', '/etc/passwd-ossfs', 0o660)
    assert mode_problem('ossfs', '/home/a/.passwd-ossfs', 0o640)
    assert mode_problem('sdk', '/x', 0o644) is None
    assert mode_problem('ossfs', '/home/a/.passwd-ossfs', None) is None


# ---------------------------------------------------------------- env

ENV_EXISTING = "# app settings\nAPP_MODE=prod\nexport DB_PASSWORD='p w'\nALIBABA_CLOUD_ACCESS_KEY_ID=LTAIold\n"


def test_env_create_merge_update_absent():
    assert merge(spec('env'), None) == 'ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' % (KEY_ID, SECRET)
    merged = merge(spec('env', region='cn-hangzhou'), ENV_EXISTING)
    assert merged == ENV_EXISTING.replace('LTAIold', KEY_ID) + (
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\nALIBABA_CLOUD_REGION_ID=cn-hangzhou\n' % SECRET)
    assert merge(spec('env', region='cn-hangzhou'), merged) == merged
    assert merge(absent('env'), merged) == "# app settings\nAPP_MODE=prod\nexport DB_PASSWORD='p w'\nALIBABA_CLOUD_REGION_ID=cn-hangzhou\n"


def test_env_custom_names_export_and_quoting():
    extra = {'access_key_id_var': 'OSS_ACCESS_KEY_ID', 'access_key_secret_var': 'OSS_ACCESS_KEY_SECRET', 'export': 'yes'}
    text = merge(spec('env', secret='a b$c', extra=extra), 'OSS_ACCESS_KEY_ID=x\nOSS_ACCESS_KEY_ID=y\n')
    assert text == "export OSS_ACCESS_KEY_ID=%s\nexport OSS_ACCESS_KEY_SECRET='a b$c'\n" % KEY_ID
    assert read_profile(build_spec('env', extra=extra, reading=True), text)['access_key_secret'] == 'a b$c'
    assert read_profile(build_spec('env', reading=True), 'A="x\\"y"\nALIBABA_CLOUD_ACCESS_KEY_SECRET="s\\$1"\n') == {
        'access_key_id': None, 'access_key_secret': 's$1', 'region': None}


def test_env_parse_errors_and_redaction():
    with pytest.raises(CredentialParseError) as caught:
        merge(spec('env'), "A=1\nif true; then " + SECRET + "\n")
    assert caught.value.line == 2 and SECRET not in str(caught.value)
    with pytest.raises(CredentialParseError):
        merge(spec('env'), "A='unterminated\n")
    shown = redact(spec('env'), merge(spec('env'), ENV_EXISTING))
    assert SECRET not in shown and "'p w'" not in shown and 'DB_PASSWORD' not in shown and 'prod' not in shown
    assert shown == '# 3 other lines not shown\nALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' % (KEY_ID, REDACTED)


def test_env_has_no_profiles_and_no_default_path():
    with pytest.raises(CredentialFileError, match='no profiles'):
        spec('env', 'prod')
    with pytest.raises(CredentialFileError, match='path'):
        default_paths('env', '/home/a')


# ---------------------------------------------------------------- shared behaviour

def test_default_paths():
    assert default_paths('aliyun_cli', '/home/a') == ['/home/a/.aliyun/config.json']
    assert default_paths('sdk', '/home/a') == ['/home/a/.alibabacloud/credentials.ini', '/home/a/.alibabacloud/credentials']
    assert default_paths('ossutil', '/home/a') == ['/home/a/.ossutilconfig']
    assert default_paths('ossfs', '/home/a') == ['/etc/passwd-ossfs']


@pytest.mark.parametrize('fmt, secret, fragment', [
    ('sdk', 'abc#def', "'#'"), ('sdk', 'abc;def', "';'"), ('sdk', 'abc%def', "'%'"), ('ossutil', 'ab#c', "'#'"),
    ('env', "it's", "single quote"), ('aliyun_cli', 'two\nlines', 'newlines'), ('sdk', ' padded', 'whitespace'),
    ('sdk', '', 'access_key_id and access_key_secret'),
])
def test_secret_validation_never_echoes_the_secret(fmt, secret, fragment):
    with pytest.raises(CredentialFileError) as caught:
        spec(fmt, secret=secret)
    assert fragment in str(caught.value)
    if len(secret) > 3:
        assert secret not in str(caught.value)


@pytest.mark.parametrize('kwargs, fragment', [
    ({'key_id': 'LTAI bad'}, 'access_key_id'), ({'key_id': None}, 'access_key_id'), ({'profile': 'bad name'}, 'profile'),
    ({'profile': 'a]b'}, 'profile'), ({'profile': 'DEFAULT'}, 'DEFAULT'), ({'region': 'CN HZ'}, 'region'),
    ({'extra': {'endpoint': 'x'}}, 'extra keys not supported by format sdk: endpoint'),
    ({'extra': []}, 'dictionary'),
])
def test_input_validation(kwargs, fragment):
    with pytest.raises(CredentialFileError, match=fragment.replace('[', r'\[')):
        spec('sdk', **kwargs)


def test_extra_validation():
    with pytest.raises(CredentialFileError, match='ossutil_version'):
        spec('ossutil', extra={'ossutil_version': 3})
    with pytest.raises(CredentialFileError, match='environment variable'):
        spec('env', extra={'access_key_id_var': 'BAD-NAME'})
    with pytest.raises(CredentialFileError, match='boolean'):
        spec('aliyun_cli', region='cn-hangzhou', extra={'current': 'maybe'})
    with pytest.raises(CredentialFileError, match='format must be'):
        spec('yaml')
    # keys a format does not use may be present as None (the module's argspec fills them in)
    assert spec('sdk', extra={'endpoint': None, 'export': None}).extra == {}


@pytest.mark.parametrize('fmt, profile, region, extra', [
    ('sdk', 'prod', None, None), ('aliyun_cli', 'prod', 'cn-hangzhou', None), ('ossutil', None, 'cn-hangzhou', None),
    ('ossutil', 'prod', 'cn-hangzhou', {'ossutil_version': 2}), ('ossfs', 'bucket-a', None, None), ('env', None, 'cn-hangzhou', None),
])
def test_every_format_round_trips_and_redacts(fmt, profile, region, extra):
    written = merge(spec(fmt, profile, region=region, extra=extra), None)
    assert merge(spec(fmt, profile, region=region, extra=extra), written) == written
    found = read_profile(build_spec(fmt, profile, extra=extra, reading=True), written)
    assert (found['access_key_id'], found['access_key_secret']) == (KEY_ID, SECRET)
    assert SECRET not in redact(spec(fmt, profile, region=region, extra=extra), written)


def test_redaction_of_unparseable_text_shows_nothing():
    shown = redact(spec('sdk'), 'garbage ' + SECRET + '\nmore\n')
    assert shown == '<unparseable content (2 lines) not shown>\n'


def test_redaction_also_replaces_the_known_secret_anywhere():
    # type is a managed, non-secret key shown in clear: the known secret is still masked there
    assert redact(spec('sdk'), '[default]\ntype = ' + SECRET + '\n', [SECRET]) == '[default]\ntype = ' + REDACTED + '\n'


def test_missing_final_newline_is_kept_and_extended_correctly():
    assert merge(spec('sdk'), '[default]\naccess_key_id = x') == (
        '[default]\naccess_key_id = %s\nenable = true\ntype = access_key\naccess_key_secret = %s\n' % (KEY_ID, SECRET))
    assert merge(spec('ossfs', 'bucket-a'), 'bucket-b:i:s') == 'bucket-b:i:s\nbucket-a:%s:%s\n' % (KEY_ID, SECRET)


# ---------------------------------------------------------------- full matches: no trailing newline slips through

@pytest.mark.parametrize('fmt, kwargs, fragment', [
    ('sdk', {'profile': 'prod\n'}, 'profile'), ('sdk', {'profile': 'pr\x00od'}, 'profile'),
    ('sdk', {'key_id': KEY_ID + '\n'}, 'access_key_id'), ('aliyun_cli', {'region': 'cn-hangzhou\n'}, 'region'),
    ('ossfs', {'profile': 'bucket-a\n'}, 'bucket'), ('env', {'profile': 'default\n'}, 'no profiles'),
    ('env', {'extra': {'access_key_id_var': 'OSS_ACCESS_KEY_ID\n'}}, 'environment variable'),
    ('env', {'extra': {'region_var': 'REGION\r'}}, 'environment variable'),
    ('ossutil', {'extra': {'endpoint': 'oss-cn-hangzhou.aliyuncs.com\n'}}, 'endpoint'),
    ('ossutil', {'extra': {'language': 'EN\n'}}, 'single word'),
    ('aliyun_cli', {'extra': {'output_format': 'json\t'}}, 'single word'),
    ('sdk', {'secret': SECRET + '\n'}, 'control characters'),
])
def test_validators_match_the_whole_value(fmt, kwargs, fragment):
    kwargs.setdefault('region', 'cn-hangzhou')
    with pytest.raises(CredentialFileError, match=fragment):
        spec(fmt, **kwargs)


def test_env_quoting_decision_matches_the_whole_value():
    # with match and '$', 'abc\n' counted as safe and was written bare, ending the line early
    assert env_quote('abc') == 'abc' and env_quote('abc\n') == "'abc\n'"
