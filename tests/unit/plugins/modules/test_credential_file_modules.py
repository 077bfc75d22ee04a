# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""credential_file and credential_file_info modules end to end through main(), on real files under tmp_path."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat

import pytest

from ansible_collections.aliyun.ram.plugins.modules import credential_file, credential_file_info

KEY_ID = 'LTAI5tModuleTestKeyId01'
SECRET = 'ModuleTestSecret0123456789abcd'
ME = pwd.getpwuid(os.geteuid())
MY_GROUP = grp.getgrgid(os.getegid()).gr_name


# the `run` fixture (conftest.py) runs these modules in diff mode unless a test says diff=False
MODULE_ARGS = {'_ansible_diff': True}


def present(path, fmt='aliyun_cli', **kwargs):
    args = {'format': fmt, 'path': str(path), 'access_key_id': KEY_ID, 'access_key_secret': SECRET}
    if fmt == 'aliyun_cli':
        args['region'] = 'cn-hangzhou'
    args.update(kwargs)
    return args


def file_mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith('.tmp'))


def test_create_then_idempotent(run, tmp_path):
    path = tmp_path / 'home' / '.aliyun' / 'config.json'
    result, out = run(credential_file, present(path, owner=ME.pw_name))
    assert result['changed'] is True and result['path'] == str(path) and result['paths'] == [str(path)]
    assert (result['profile'], result['format'], result['state'], result['mode'], result['owner']) == (
        'default', 'aliyun_cli', 'file', '0600', ME.pw_name)
    assert SECRET not in out
    assert file_mode(path) == 0o600
    assert file_mode(path.parent) == 0o700 and file_mode(path.parent.parent) == 0o700
    assert json.loads(path.read_text())['profiles'][0]['access_key_secret'] == SECRET
    assert leftovers(path.parent) == []

    again, dummy = run(credential_file, present(path, owner=ME.pw_name))
    assert again['changed'] is False and again['diff'] == []


def test_check_mode_writes_nothing_and_diff_is_redacted(run, tmp_path):
    path = tmp_path / 'cfg' / 'config.json'
    result, out = run(credential_file, present(path), check=True)
    assert result['changed'] is True
    assert not path.parent.exists()
    after = result['diff'][0]['after']
    assert KEY_ID in after and '********' in after and SECRET not in out
    assert result['diff'][0]['before'] == ''


def test_update_shows_redacted_before_and_after(run, tmp_path):
    path = tmp_path / 'credentials.ini'
    path.write_text('# mine\n[default]\naccess_key_id = LTAIold\naccess_key_secret = OldSecretValue42\n[keep]\nx = 1\n')
    path.chmod(0o600)
    result, out = run(credential_file, present(path, 'sdk'))
    assert result['changed'] is True
    diff = result['diff'][0]
    assert 'OldSecretValue42' not in out and SECRET not in out
    assert 'access_key_secret = ********' in diff['before'] and 'access_key_secret = ********' in diff['after']
    assert path.read_text() == ('# mine\n[default]\naccess_key_id = %s\naccess_key_secret = %s\nenable = true\ntype = access_key\n'
                                '[keep]\nx = 1\n' % (KEY_ID, SECRET))


def test_mode_only_change_is_a_change_and_check_mode_leaves_it(run, tmp_path):
    path = tmp_path / 'config.json'
    run(credential_file, present(path))
    path.chmod(0o644)
    checked, dummy = run(credential_file, present(path), check=True)
    assert checked['changed'] is True and file_mode(path) == 0o644
    fixed, dummy = run(credential_file, present(path))
    assert fixed['changed'] is True and file_mode(path) == 0o600
    assert (fixed['diff'][0]['before'], fixed['diff'][0]['after']) == ({'mode': '0644'}, {'mode': '0600'})
    assert run(credential_file, present(path))[0]['changed'] is False


@pytest.mark.parametrize('mode, expected', [('0640', 0o640), ('0400', 0o400), ('u=rw', 0o600), (0o640, 0o640)])
def test_requested_mode_is_in_place_before_the_rename(run, tmp_path, monkeypatch, mode, expected):
    path = tmp_path / 'credentials'
    seen = []
    real_rename = os.rename

    def spy(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        fd = os.open(src, os.O_RDONLY, dir_fd=src_dir_fd)
        with os.fdopen(fd) as handle:
            seen.append((stat.S_IMODE(os.fstat(fd).st_mode), handle.read()))
        return real_rename(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    monkeypatch.setattr(os, 'rename', spy)
    run(credential_file, present(path, 'sdk', mode=mode, group=MY_GROUP))
    assert seen == [(expected, path.read_text())] and file_mode(path) == expected


def test_failed_write_leaves_no_temp_file_and_the_old_content(run, tmp_path, monkeypatch):
    path = tmp_path / 'config.json'
    run(credential_file, present(path))
    before = path.read_text()

    def broken(src, dst, **kwargs):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'rename', broken)
    result, dummy = run(credential_file, present(path, region='cn-beijing'))
    assert result['failed'] is True and result['msg'] == 'cannot write %s: No space left on device' % path
    assert path.read_text() == before and leftovers(tmp_path) == []


def test_unparseable_file_fails_with_line_number_and_force_overwrites(run, tmp_path):
    path = tmp_path / '.ossutilconfig'
    path.write_text('[Credentials]\naccessKeyID=LTAIx\nLeakyLine LeakedSecretValue99\n')
    result, out = run(credential_file, present(path, 'ossutil'))
    assert result['failed'] is True
    assert str(path) in result['msg'] and 'line 3' in result['msg'] and 'force' in result['msg']
    assert 'LeakedSecretValue99' not in out
    assert 'LeakyLine' in path.read_text()

    forced, out = run(credential_file, present(path, 'ossutil', force=True))
    assert forced['changed'] is True and 'LeakedSecretValue99' not in out
    assert forced['diff'][0]['before'] == '<unparseable content (3 lines) not shown>\n'
    assert path.read_text() == '[Credentials]\naccessKeyID=%s\naccessKeySecret=%s\n' % (KEY_ID, SECRET)


def test_invalid_input_fails_before_touching_anything(run, tmp_path):
    path = tmp_path / 'passwd-ossfs'
    result, out = run(credential_file, present(path, 'ossfs', access_key_secret='has:colon'))
    assert result['failed'] is True and "':'" in result['msg'] and not path.exists()
    result, dummy = run(credential_file, present(path, 'ossfs', mode='0644'))
    assert result['failed'] is True and 'others' in result['msg'] and not path.exists()
    result, dummy = run(credential_file, {'format': 'env', 'access_key_id': KEY_ID, 'access_key_secret': SECRET})
    assert result['failed'] is True and 'path' in result['msg']
    result, dummy = run(credential_file, {'format': 'sdk', 'path': str(path)})
    assert result['failed'] is True and 'access_key_id' in result['msg']


def test_absent_removes_only_the_profile_and_keeps_the_file(run, tmp_path):
    path = tmp_path / 'app.env'
    path.write_text('OTHER=1\n')
    run(credential_file, present(path, 'env', region='cn-hangzhou'))
    assert path.read_text() == 'OTHER=1\nALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\nALIBABA_CLOUD_REGION_ID=cn-hangzhou\n' % (
        KEY_ID, SECRET)
    removed, dummy = run(credential_file, {'format': 'env', 'path': str(path), 'state': 'absent'})
    assert removed['changed'] is True and path.read_text() == 'OTHER=1\nALIBABA_CLOUD_REGION_ID=cn-hangzhou\n'
    assert run(credential_file, {'format': 'env', 'path': str(path), 'state': 'absent'})[0]['changed'] is False
    missing = tmp_path / 'missing.env'
    assert run(credential_file, {'format': 'env', 'path': str(missing), 'state': 'absent'})[0]['changed'] is False
    assert not missing.exists()


def test_default_paths_come_from_the_owners_home(run, tmp_path, monkeypatch):
    fake = pwd.struct_passwd((ME.pw_name, ME.pw_passwd, ME.pw_uid, ME.pw_gid, ME.pw_gecos, str(tmp_path), ME.pw_shell))
    monkeypatch.setattr(pwd, 'getpwnam', lambda name: fake if name == ME.pw_name else pwd.getpwuid(-1))
    result, dummy = run(credential_file, {'format': 'sdk', 'owner': ME.pw_name, 'profile': 'prod',
                                          'access_key_id': KEY_ID, 'access_key_secret': SECRET})
    expected = [str(tmp_path / '.alibabacloud' / 'credentials.ini'), str(tmp_path / '.alibabacloud' / 'credentials')]
    assert result['paths'] == expected and result['path'] == expected[0]
    assert all(file_mode(p) == 0o600 for p in expected) and file_mode(tmp_path / '.alibabacloud') == 0o700
    assert [len(result['diff']), result['changed']] == [2, True]

    info, dummy = run(credential_file_info, {'format': 'sdk', 'owner': ME.pw_name, 'profile': 'prod'})
    assert info['path'] == expected[0] and info['access_key_id'] == KEY_ID


def test_unknown_owner_fails_clearly(run):
    result, dummy = run(credential_file, {'format': 'aliyun_cli', 'owner': 'no-such-user-xyz', 'region': 'cn-hangzhou',
                                          'access_key_id': KEY_ID, 'access_key_secret': SECRET})
    assert result['failed'] is True and 'no-such-user-xyz does not exist' in result['msg']


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to own links as root and as another uid')
def test_only_a_root_link_in_a_root_directory_is_followed(run, tmp_path):
    target = tmp_path / 'real.ini'
    target.write_text('[other]\nx = 1\n')
    link = tmp_path / 'link.ini'
    link.symlink_to(target)
    result, dummy = run(credential_file, present(link, 'sdk'))
    assert result['path'] == str(target) and link.is_symlink()
    assert target.read_text().startswith('[other]\nx = 1\n\n[default]\n')

    os.lchown(link, 54321, 54321)
    before = target.read_text()
    refused, dummy = run(credential_file, present(link, 'sdk', region='cn-beijing', profile='second'))
    assert refused['failed'] is True and refused['msg'].startswith('%s is a symbolic link owned by uid 54321' % link)
    assert target.read_text() == before


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to hand a file to another uid')
def test_rewrite_keeps_the_existing_owner_when_none_is_given(run, tmp_path):
    path = tmp_path / 'config.json'
    run(credential_file, present(path))
    os.chown(path, 54321, 54321)
    result, dummy = run(credential_file, present(path, region='cn-beijing'))
    assert result['changed'] is True
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (54321, 54321)


def test_info_missing_present_secret_and_parse_error(run, tmp_path):
    path = tmp_path / 'passwd-ossfs'
    missing, dummy = run(credential_file_info, {'format': 'ossfs', 'path': str(path), 'profile': 'bucket-a'})
    assert (missing['exists'], missing['file_exists'], missing['changed']) == (False, False, False)
    assert 'mode' not in missing and 'access_key_id' not in missing

    run(credential_file, present(path, 'ossfs', profile='bucket-a'))
    info, out = run(credential_file_info, {'format': 'ossfs', 'path': str(path), 'profile': 'bucket-a'})
    assert (info['exists'], info['access_key_id'], info['mode'], info['owner'], info['group']) == (
        True, KEY_ID, '0600', ME.pw_name, grp.getgrgid(os.stat(path).st_gid).gr_name)
    assert 'access_key_secret' not in info and SECRET not in out
    other, dummy = run(credential_file_info, {'format': 'ossfs', 'path': str(path), 'profile': 'bucket-b'})
    assert (other['exists'], other['file_exists']) == (False, True)

    with_secret, dummy = run(credential_file_info, {'format': 'ossfs', 'path': str(path), 'profile': 'bucket-a', 'return_secret': True})
    assert with_secret['access_key_secret'] == SECRET

    path.write_text('bucket-a:%s:%s\nnot a valid line %s\n' % (KEY_ID, SECRET, SECRET))
    broken, out = run(credential_file_info, {'format': 'ossfs', 'path': str(path), 'profile': 'bucket-a'})
    assert broken['failed'] is True and str(path) in broken['msg'] and 'line 2' in broken['msg'] and SECRET not in out


def test_info_accepts_the_same_extra_as_the_writer(run, tmp_path):
    path = tmp_path / '.ossutilconfig'
    extra = {'ossutil_version': 2, 'endpoint': 'oss-cn-hangzhou.aliyuncs.com'}
    run(credential_file, present(path, 'ossutil', profile='backup', region='cn-hangzhou', extra=extra))
    info, dummy = run(credential_file_info, {'format': 'ossutil', 'path': str(path), 'profile': 'backup', 'extra': extra})
    assert (info['exists'], info['access_key_id'], info['region']) == (True, KEY_ID, 'cn-hangzhou')


def test_attribute_failure_inside_the_write_removes_the_temp_file_and_new_directories(run, tmp_path, monkeypatch):
    def refuse(fd, uid, gid):
        raise OSError(1, 'Operation not permitted')

    monkeypatch.setattr(os, 'fchown', refuse)
    path = tmp_path / 'new' / 'config.json'
    result, dummy = run(credential_file, present(path, group='54321'))
    assert result['failed'] is True and result['msg'] == 'cannot write %s: Operation not permitted' % path
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to change the group to an arbitrary gid')
def test_in_place_group_change_happens_only_after_the_mode_is_narrowed(run, tmp_path, monkeypatch):
    path = tmp_path / 'config.json'
    run(credential_file, present(path))
    path.chmod(0o664)
    modes_at_chown = []
    real_fchown = os.fchown

    def spy(fd, uid, gid):
        modes_at_chown.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_fchown(fd, uid, gid)

    monkeypatch.setattr(os, 'fchown', spy)
    result, dummy = run(credential_file, present(path, group='54321', mode='0640'))
    assert result['changed'] is True and modes_at_chown == [0o640]
    assert (file_mode(path), os.stat(path).st_gid) == (0o640, 54321)
    assert result['diff'][0]['before']['mode'] == '0664' and result['diff'][0]['after']['mode'] == '0640'
    assert run(credential_file, present(path, group='54321', mode='0640'))[0]['changed'] is False


def compared(path, fmt='aliyun_cli', item=None, **kwargs):
    read = {'format': fmt, 'path': str(path), 'compare': True, 'item': item}
    if fmt == 'aliyun_cli':
        read['region'] = 'cn-hangzhou'
    read.update(kwargs)
    return read


def test_info_reads_several_files_in_one_run_and_says_which_a_write_would_leave_alone(run, tmp_path):
    cli, env = tmp_path / 'config.json', tmp_path / 'app.env'
    run(credential_file, present(cli))
    run(credential_file, present(env, 'env', mode='0640'))
    reads = [compared(cli, item={'user': 'alice'}), compared(env, 'env', item={'user': 'bob'}, mode='0640'),
             compared(tmp_path / 'missing.env', 'env', item={'user': 'carol'})]
    result, out = run(credential_file_info, {'files': reads, 'return_secret': True})
    assert result['changed'] is False and SECRET in out  # asked for: the provision role reads with no_log
    first, second, third = result['results']
    assert [entry['item'] for entry in result['results']] == [{'user': 'alice'}, {'user': 'bob'}, {'user': 'carol'}]
    assert (first['access_key_id'], first['access_key_secret'], first['in_sync']) == (KEY_ID, SECRET, True)
    assert (second['exists'], second['in_sync']) == (True, True)
    assert (third['exists'], third['file_exists']) == (False, False) and 'in_sync' not in third


@pytest.mark.parametrize('change', [
    {'region': 'cn-shanghai'},      # the CLI profile's region_id would change
    {'mode': '0640'},               # attributes count, not only the content
    {'group': 'root'} if os.geteuid() == 0 and MY_GROUP != 'root' else {'mode': '0400'},
])
def test_in_sync_is_false_when_the_write_would_change_the_file(run, tmp_path, change):
    path = tmp_path / 'config.json'
    run(credential_file, present(path))
    result, dummy = run(credential_file_info, {'files': [compared(path, **change)]})
    assert result['results'][0]['in_sync'] is False
    # and the write agrees: it changes the file
    written, dummy = run(credential_file, present(path, **change))
    assert written['changed'] is True


def test_in_sync_checks_both_sdk_files(run, tmp_path, monkeypatch):
    fake = pwd.struct_passwd((ME.pw_name, ME.pw_passwd, ME.pw_uid, ME.pw_gid, ME.pw_gecos, str(tmp_path), ME.pw_shell))
    monkeypatch.setattr(pwd, 'getpwnam', lambda name: fake if name == ME.pw_name else pwd.getpwuid(-1))
    run(credential_file, {'format': 'sdk', 'owner': ME.pw_name, 'access_key_id': KEY_ID, 'access_key_secret': SECRET})
    reads = [{'format': 'sdk', 'owner': ME.pw_name, 'compare': True}]
    result, dummy = run(credential_file_info, {'files': reads})
    assert result['results'][0]['in_sync'] is True
    # the second file (read by Go and Java) lost the profile: the first still has it
    (tmp_path / '.alibabacloud' / 'credentials').write_text('[other]\ntype = access_key\n')
    result, dummy = run(credential_file_info, {'files': reads})
    assert result['results'][0]['exists'] is True and result['results'][0]['in_sync'] is False


def test_a_file_that_cannot_be_read_fails_its_entry_and_the_task_after_the_others(run, tmp_path):
    good, bad = tmp_path / 'good.env', tmp_path / 'bad.env'
    run(credential_file, present(good, 'env'))
    bad.write_text('this is not an env file %s\n' % SECRET)
    result, out = run(credential_file_info, {'files': [compared(bad, 'env', item=1), compared(good, 'env', item=2)]})
    assert result['failed'] is True and '1 of 2 credential files cannot be read' in result['msg'] and SECRET not in out
    assert result['results'][0]['failed'] is True and str(bad) in result['results'][0]['msg']
    assert (result['results'][1]['item'], result['results'][1]['in_sync']) == (2, True)


def test_info_needs_format_or_files_but_not_both(run, tmp_path):
    neither, dummy = run(credential_file_info, {})
    assert neither['failed'] and 'format' in neither['msg'] and 'files' in neither['msg']
    both, dummy = run(credential_file_info, {'format': 'env', 'path': str(tmp_path / 'a.env'), 'files': []})
    assert both['failed'] and 'mutually exclusive' in both['msg']


def entry(path, fmt='env', **kwargs):
    """One entry of credential_file's files option."""
    return dict(present(path, fmt), item=str(path), **kwargs)


def test_files_writes_several_files_in_one_run_then_changes_nothing(run, tmp_path):
    env, ini = tmp_path / 'app' / 'app.env', tmp_path / 'sdk' / 'credentials.ini'
    template = tmp_path / 'tpl' / 'app.conf'
    files = [entry(env), entry(ini, 'sdk'),
             {'format': 'template', 'path': str(template), 'content': 'id=%s\nsecret=%s\n' % (KEY_ID, SECRET),
              'access_key_secret': SECRET, 'item': 'mine'}]
    result, out = run(credential_file, {'files': files})
    assert result['changed'] is True and SECRET not in out
    assert [(entry['item'], entry['changed'], entry['paths']) for entry in result['results']] == [
        (str(env), True, [str(env)]), (str(ini), True, [str(ini)]), ('mine', True, [str(template)])]
    assert [diff['after_header'] for diff in result['diff']] == [str(env), str(ini), str(template)]
    assert SECRET in env.read_text() and SECRET in ini.read_text() and template.read_text().endswith('secret=%s\n' % SECRET)
    assert {file_mode(env), file_mode(ini), file_mode(template)} == {0o600}

    again, dummy = run(credential_file, {'files': files})
    assert again['changed'] is False and again['diff'] == [] and not any(entry['changed'] for entry in again['results'])


def test_files_with_one_bad_entry_change_no_file(run, tmp_path):
    first, second = tmp_path / 'first.env', tmp_path / 'second' / 'bucket-pass'
    result, out = run(credential_file, {'files': [entry(first), entry(second, 'ossfs', access_key_secret='has:colon')]})
    assert result['failed'] is True and result['msg'].startswith('files[1]: ') and result['msg'].endswith('no file was changed')
    assert 'has:colon' not in out
    assert not first.exists() and not second.parent.exists()


def test_files_failing_write_names_the_file_and_those_written_before_it(run, tmp_path, monkeypatch):
    first, second = tmp_path / 'first.env', tmp_path / 'second.env'
    real_rename = os.rename

    def rename_first_only(src, dst, **kwargs):
        if dst == 'second.env':
            raise OSError(28, 'No space left on device')
        return real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, 'rename', rename_first_only)
    result, out = run(credential_file, {'files': [entry(first), entry(second)]})
    assert result['failed'] is True and SECRET not in out
    assert result['msg'] == 'files[1]: cannot write %s: No space left on device; written before it: %s' % (second, first)
    assert [entry['item'] for entry in result['results']] == [str(first)]
    assert SECRET in first.read_text() and not second.exists() and leftovers(tmp_path) == []


def test_files_check_mode_writes_nothing(run, tmp_path):
    path = tmp_path / 'dir' / 'app.env'
    result, dummy = run(credential_file, {'files': [entry(path)]}, check=True)
    assert result['changed'] is True and result['results'][0]['changed'] is True and not path.parent.exists()


def test_files_content_may_hold_lines_but_no_other_option_may(run, tmp_path):
    template = tmp_path / 'app.conf'
    ok, dummy = run(credential_file, {'files': [{'format': 'template', 'path': str(template), 'content': 'a\nb\n'}]})
    assert ok['changed'] is True and template.read_text() == 'a\nb\n'
    bad, dummy = run(credential_file, {'files': [entry(tmp_path / 'x.env', profile='default\n')]})
    assert bad['failed'] is True and 'files[0].profile' in bad['msg'] and 'control characters' in bad['msg']
    assert not (tmp_path / 'x.env').exists()


def test_writer_needs_format_or_files_but_not_both(run, tmp_path):
    neither, dummy = run(credential_file, {})
    assert neither['failed'] and 'format' in neither['msg'] and 'files' in neither['msg']
    both, dummy = run(credential_file, {'format': 'env', 'path': str(tmp_path / 'a.env'), 'files': []})
    assert both['failed'] and 'mutually exclusive' in both['msg']
