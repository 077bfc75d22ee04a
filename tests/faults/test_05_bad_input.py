# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input: each case fails with an error naming the problem, before any change.

All cases run as tasks of one playbook (one ansible start-up instead of one per case); the emulator's
write counter per action and the bytes and modes of every file are compared before and after. The missing-SDK
case runs the module with a Python that lacks the SDK: a virtualenv made from the test's own interpreter without
its packages (so it needs nothing from the machine), and it alone is skipped if that Python has the SDK after all.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys

import pytest

from tests.support.faults import failure_text

BAD_SECRET = 'wrongSecretwrongSecretwrong123'
UNKNOWN_KEY_ID = 'LTAI5tNoSuchKeyNoSuchKey00'
ROLE = 'faults-admin-role'
# secrets the cases pass to modules: the leak scan of the run looks for them too
CALLER_SECRETS = (BAD_SECRET, 'has#hash' + BAD_SECRET)


def python_has_sdk(python):
    return subprocess.run([python, '-c', 'import alibabacloud_ram20150501'], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0


def expired_sts_credentials(emu):
    """An AssumeRole session of 900 s (the minimum), then the emulator's clock moved past its expiry."""
    from alibabacloud_ram20150501 import models as ram_models  # pylint: disable=import-outside-toplevel
    from alibabacloud_ram20150501.client import Client as RamClient  # pylint: disable=import-outside-toplevel
    from alibabacloud_sts20150401 import models as sts_models  # pylint: disable=import-outside-toplevel
    from alibabacloud_sts20150401.client import Client as StsClient  # pylint: disable=import-outside-toplevel
    from alibabacloud_tea_openapi.utils_models import Config  # pylint: disable=import-outside-toplevel

    def config():
        return Config(access_key_id=emu.admin_env['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                      access_key_secret=emu.admin_env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                      endpoint=emu.endpoint, protocol='http')
    account = emu.state()['account_id']
    trust = {'Statement': [{'Action': 'sts:AssumeRole', 'Effect': 'Allow', 'Principal': {'RAM': ['acs:ram::%s:root' % account]}}],
             'Version': '1'}
    ram = RamClient(config())
    role = ram.create_role(ram_models.CreateRoleRequest(role_name=ROLE, assume_role_policy_document=json.dumps(trust)))
    ram.attach_policy_to_role(ram_models.AttachPolicyToRoleRequest(policy_type='System', policy_name='AdministratorAccess',
                                                                   role_name=ROLE))
    session = StsClient(config()).assume_role(sts_models.AssumeRoleRequest(
        role_arn=role.body.role.arn, role_session_name='faults', duration_seconds=900)).body.credentials
    emu.admin('POST', 'clock', {'offset_seconds': 1000})
    return {'access_key': session.access_key_id, 'secret_key': session.access_key_secret,
            'security_token': session.security_token}


def cases(files, sts):
    """(case id, task, regex the failure message must match)."""
    return [
        ('invalid_user_name', {'aliyun.ram.ram_users': {'users': [{'name': 'bad-input-ok'}, {'name': 'bad name!'}]}},
         r'bad name!'),
        ('user_name_too_long', {'aliyun.ram.ram_user': {'name': 'u' * 65}}, r'name.*64|64.*name'),
        ('conflicting_duplicate_user', {'aliyun.ram.ram_users': {'users': [
            {'name': 'bad-input-dup', 'comments': 'one'}, {'name': 'bad-input-dup', 'comments': 'two'}]}},
         r'bad-input-dup.*comments|comments.*bad-input-dup'),
        ('unknown_policy_type', {'aliyun.ram.ram_user': {'name': 'bad-input-ptype', 'policies': ['Managed:Foo']}},
         r'Managed'),
        ('key_for_missing_user', {'aliyun.ram.ram_access_keys': {'users': ['bad-input-nobody']}, 'no_log': True},
         r'bad-input-nobody.*EntityNotExist\.User|EntityNotExist\.User.*bad-input-nobody'),
        ('parallelism_out_of_range', {'aliyun.ram.ram_users': {'users': [{'name': 'bad-input-par'}], 'parallelism': 0}},
         r'parallelism'),
        ('unknown_format', {'aliyun.ram.credential_file': {
            'format': 'yaml', 'path': files['good'], 'access_key_id': UNKNOWN_KEY_ID, 'access_key_secret': BAD_SECRET},
            'no_log': True}, r'format.*yaml|yaml.*format'),
        ('malformed_json_config', {'aliyun.ram.credential_file': {
            'format': 'aliyun_cli', 'path': files['broken_json'], 'region': 'cn-hangzhou',
            'access_key_id': UNKNOWN_KEY_ID, 'access_key_secret': BAD_SECRET}, 'no_log': True},
         re.escape(files['broken_json']) + r'.*cannot be parsed'),
        ('malformed_ini_config', {'aliyun.ram.credential_file': {
            'format': 'sdk', 'path': files['broken_ini'], 'access_key_id': UNKNOWN_KEY_ID,
            'access_key_secret': BAD_SECRET}, 'no_log': True},
         re.escape(files['broken_ini']) + r'.*cannot be parsed'),
        ('secret_unsafe_for_format', {'aliyun.ram.credential_file': {
            'format': 'sdk', 'path': files['good'], 'access_key_id': UNKNOWN_KEY_ID,
            'access_key_secret': 'has#hash' + BAD_SECRET}, 'no_log': True}, r'#'),
        ('wrong_secret', {'aliyun.ram.ram_users': {'users': [{'name': 'bad-input-auth'}],
                                                   'secret_key': BAD_SECRET}},
         r'IncompleteSignature|SignatureDoesNotMatch'),
        ('unknown_key_id', {'aliyun.ram.ram_users': {'users': [{'name': 'bad-input-auth'}],
                                                     'access_key': UNKNOWN_KEY_ID, 'secret_key': BAD_SECRET}},
         r'InvalidAccessKeyId\.NotFound'),
        ('expired_sts_token', {'aliyun.ram.ram_users': dict({'users': [{'name': 'bad-input-sts'}]}, **sts), 'no_log': True},
         r'InvalidSecurityToken\.Expired'),
    ]


@pytest.fixture
def files(tmp_path):
    paths = {
        'good': ('creds.ini', '[default]\ntype = access_key\naccess_key_id = LTAI5tKeepKeepKeep000000\n'
                              'access_key_secret = keepkeepkeepkeepkeepkeepkeep00\n'),
        'broken_json': ('config.json', '{"current": "default", "profiles": [\n  {"name": "default",\n'),
        'broken_ini': ('broken.ini', '[default\ntype = access_key\n'),
    }
    out = {}
    for key, (name, text) in paths.items():
        path = tmp_path / name
        path.write_text(text)
        path.chmod(0o600)
        out[key] = str(path)
    return out


def snapshot(directory):
    return {p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in sorted(directory.iterdir())}


@pytest.fixture(scope='module')
def python_without_sdk(tmp_path_factory):
    """A Python with the standard library only: a virtualenv of the test's interpreter, without its packages."""
    venv = tmp_path_factory.mktemp('no-sdk-python')
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    python = str(venv / 'bin' / 'python')
    if python_has_sdk(python):
        pytest.skip('the base interpreter of %s has the SDK installed: no Python without it here' % sys.executable)
    return python


def test_bad_input_fails_clearly_before_any_change(ansible, emu, files, tmp_path):
    sts = expired_sts_credentials(emu)
    table = cases(files, sts)
    tasks = [dict(task, name='case %s' % case_id, register=case_id) for case_id, task, dummy in table]
    before_files = snapshot(tmp_path)
    users_before = set(emu.state()['users'])
    emu.reset_counters()
    run = ansible.tasks('bad-input', tasks, secrets=CALLER_SECRETS)

    problems = []
    for case_id, dummy, pattern in table:
        result = run.results.get(case_id)
        if result is None:
            problems.append('%s: no result' % case_id)
        elif not result.get('failed'):
            problems.append('%s: did not fail' % case_id)
        elif not re.search(pattern, result.get('msg', ''), re.S):
            problems.append('%s: message %r does not match %r' % (case_id, result.get('msg'), pattern))
    writes = {action: c['calls'] for action, c in emu.counters()['actions'].items() if c['write']}
    assert not problems and not writes, 'problems: %s\nwrite calls: %s\n%s' % (
        '\n'.join(problems), writes, failure_text(run, emu))
    assert set(emu.state()['users']) == users_before
    assert snapshot(tmp_path) == before_files


def test_missing_sdk_fails_naming_the_package_before_any_call(ansible, emu, python_without_sdk):
    """Fails if the modules stop reporting a missing SDK by name (checked: the missing_sdk() check in
    AliyunRamModule.api() disabled: the module then fails with "name 'SdkConfig' is not defined"), or call
    anything before failing."""
    users_before = set(emu.state()['users'])
    emu.reset_counters()
    run = ansible.tasks('bad-input-no-sdk', [
        {'name': 'case missing_sdk', 'aliyun.ram.ram_users': {'users': [{'name': 'bad-input-nosdk'}]},
         'vars': {'ansible_python_interpreter': python_without_sdk}, 'register': 'missing_sdk'}])
    result = run.results['missing_sdk']
    assert result.get('failed') and re.search(r'alibabacloud', result.get('msg', '')), failure_text(run, emu)
    assert emu.counters()['reads'] + emu.counters()['writes'] == 0
    assert set(emu.state()['users']) == users_before


def test_unknown_policy_fails_before_the_user_is_created(ansible, emu):
    tasks = [
        {'name': 'batch', 'aliyun.ram.ram_users': {'users': [
            {'name': 'bad-input-policy', 'policies': ['System:NoSuchPolicyAtAll']}], 'consistency_window': 1},
         'register': 'batch'},
        {'name': 'single', 'aliyun.ram.ram_user': {'name': 'bad-input-policy1', 'policies': ['Custom:NoSuchCustom'],
                                                   'consistency_window': 1},
         'register': 'single'},
    ]
    run = ansible.tasks('bad-input-policy', tasks)
    assert run.results['batch'].get('failed') and run.results['single'].get('failed')
    assert 'NoSuchPolicyAtAll' in run.results['batch']['msg'] and 'NoSuchCustom' in run.results['single']['msg']
    assert emu.counters()['writes'] == 0
    assert not {'bad-input-policy', 'bad-input-policy1'} & set(emu.state()['users'])
