# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a RAM/STS module runs (in Ansible's worker process or as a module), and what running it in-process keeps.

The modules' own behaviour both ways is covered by every test in tests/unit/plugins/modules (the ``run`` fixture
runs each test once as a module and once in-process).
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import no_log_values
from ansible_collections.aliyun.ram.plugins.plugin_utils import _in_process
from ansible_collections.aliyun.ram.plugins.plugin_utils._in_process import (
    run_handler,
    sdk_import_time_variables,
    task_environment,
    why_not_here,
)

SECRET = 'caller-secret-value-123'


class Templar:
    def template(self, value):
        return {'{{ ansible_playbook_python }}': sys.executable}.get(value, value)


def action(transport='local', become=None, delegate_to=None):
    return SimpleNamespace(_templar=Templar(), _connection=SimpleNamespace(transport=transport, become=become),
                           _task=SimpleNamespace(delegate_to=delegate_to))


@pytest.mark.parametrize('kwargs, task_vars, environment, reason', [
    ({}, {}, {}, None),
    ({}, {'ansible_python_interpreter': sys.executable}, {}, None),
    ({}, {'ansible_python_interpreter': '{{ ansible_playbook_python }}'}, {}, None),
    ({}, {'ansible_python_interpreter': 'auto_silent'}, {}, None),
    ({}, {'ansible_python_interpreter': '/opt/other/bin/python3'}, {}, 'ansible_python_interpreter is /opt/other/bin/python3'),
    # another virtualenv: its python is a link to the same binary, but its packages are its own
    ({}, {'ansible_python_interpreter': '/opt/venv-without-sdk/bin/python'}, {},
     'ansible_python_interpreter is /opt/venv-without-sdk/bin/python'),
    ({}, {'aliyun_ram_in_process': 'false'}, {}, 'aliyun_ram_in_process is false'),
    ({}, {'aliyun_ram_in_process': False}, {}, 'aliyun_ram_in_process is false'),
    ({'transport': 'ssh'}, {}, {}, 'the connection is ssh'),
    ({'become': object()}, {}, {}, 'become is on'),
    # delegate_to: the delegated host's variables count, not the task host's
    ({'delegate_to': 'localhost'}, {'ansible_python_interpreter': '/usr/bin/python2',
                                    'ansible_delegated_vars': {'localhost': {'ansible_python_interpreter': sys.executable}}},
     {}, None),
    ({'delegate_to': 'bastion'}, {'ansible_delegated_vars': {'bastion': {'ansible_python_interpreter': '/usr/bin/python3.9'}}},
     {}, 'ansible_python_interpreter is /usr/bin/python3.9'),
    ({}, {}, {'ALIBABA_CLOUD_ACCESS_KEY_ID': 'LTAIx', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET': 'y', 'TZ': 'UTC'}, None),
    ({}, {}, {'HOME': '/tmp/elsewhere'}, 'the task environment sets HOME'),
    ({}, {}, {'ALIBABA_CLOUD_CREDENTIALS_FILE': '/tmp/c.ini', 'ALIBABA_CLOUD_PROFILE': 'p'},
     'the task environment sets ALIBABA_CLOUD_CREDENTIALS_FILE'),
])
def test_where_the_module_runs(kwargs, task_vars, environment, reason):
    assert why_not_here(action(**kwargs), task_vars, environment) == reason


def test_only_the_variables_the_sdk_reads_at_import_count():
    # The modules' own options read theirs at each call; HOME and the SDK's other variables are read once.
    assert sdk_import_time_variables({'ALIBABA_CLOUD_ROLE_ARN': 'x', 'ALIBABA_CLOUD_RAM_ENDPOINT': 'x', 'PATH': 'x'}) == []
    assert sdk_import_time_variables({'HOMEPATH': 'x', 'ALIBABA_CLOUD_IMDSV1_DISABLED': 'true'}) == [
        'ALIBABA_CLOUD_IMDSV1_DISABLED', 'HOMEPATH']


def test_the_task_environment_applies_while_the_module_runs_and_is_undone(monkeypatch):
    monkeypatch.setenv('ALIYUN_RAM_TEST_KEPT', 'before')
    monkeypatch.delenv('ALIYUN_RAM_TEST_NEW', raising=False)
    with task_environment({'ALIYUN_RAM_TEST_KEPT': 'during', 'ALIYUN_RAM_TEST_NEW': 7}):
        assert (os.environ['ALIYUN_RAM_TEST_KEPT'], os.environ['ALIYUN_RAM_TEST_NEW']) == ('during', '7')
    assert os.environ['ALIYUN_RAM_TEST_KEPT'] == 'before' and 'ALIYUN_RAM_TEST_NEW' not in os.environ


def test_no_log_values_include_suboptions_and_env_fallbacks():
    spec = {'secret_key': {'no_log': True}, 'name': {},
            'held': {'type': 'list', 'options': {'access_key_secret': {'no_log': True}, 'access_key_id': {'no_log': False}}}}
    params = {'secret_key': SECRET, 'name': 'alice',
              'held': [{'access_key_secret': 'held-secret-1', 'access_key_id': 'LTAI1'}, {'access_key_secret': None}]}
    assert no_log_values(spec, params) == {SECRET, 'held-secret-1'}


AUTH = {'access_key': 'LTAIcaller', 'secret_key': SECRET}


def test_a_handler_result_is_masked_as_a_module_result_would_be():
    def handler(task):
        return {'changed': True, 'echo': 'the secret is %s' % task.params['secret_key'], 'warnings': ['careful']}
    result = run_handler(dict(AUTH), False, False, handler, {})
    assert result['changed'] is True and result['warnings'] == ['careful']
    assert SECRET not in repr(result) and result['invocation']['module_args']['secret_key'] != SECRET


def test_bad_arguments_fail_before_the_handler_runs_and_name_the_option():
    def handler(task):
        raise AssertionError('the handler must not run')
    result = run_handler(dict(AUTH, count='many'), False, False, handler, {'count': {'type': 'int'}})
    assert result['failed'] and 'count' in result['msg']
    result = run_handler(dict(AUTH, name='a\nb'), False, False, handler, {'name': {'type': 'str'}})
    assert result['failed'] and 'control characters' in result['msg']
    result = run_handler(dict(AUTH), False, False, handler, {'a': {}, 'b': {}}, mutually_exclusive=[('a', 'b')],
                         required_one_of=[('a', 'b')])
    assert result['failed'] and 'one of the following is required' in result['msg']


def test_check_mode_reaches_the_handler_and_unsupported_check_mode_skips():
    seen = []
    run_handler(dict(AUTH), True, True, lambda task: seen.append((task.check_mode, task._diff)) or {}, {},
                supports_check_mode=True)
    assert seen == [(True, True)]
    assert run_handler(dict(AUTH), True, False, lambda task: {}, {})['skipped'] is True


def test_a_crash_fails_the_task_without_a_secret_or_a_traceback():
    def handler(task):
        raise RuntimeError('signing with %s failed' % task.params['secret_key'])
    result = run_handler(dict(AUTH), False, False, handler, {})
    assert result['failed'] and result['msg'].startswith('RuntimeError: signing with ')
    assert SECRET not in repr(result) and 'Traceback' not in repr(result)


def test_the_runner_hook_is_removed_after_a_failing_main(monkeypatch):
    from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module

    def failing_main():
        raise KeyError('boom')
    monkeypatch.setattr(_in_process.importlib, 'import_module', lambda name: SimpleNamespace(main=failing_main))
    with pytest.raises(KeyError):
        _in_process.run_here('ram_user', {}, False, False, {})
    assert _ram_module._controller_runner is None


def test_another_virtualenvs_python_is_not_this_one_even_when_both_link_to_one_binary(tmp_path):
    link = tmp_path / 'bin' / 'python'
    link.parent.mkdir()
    link.symlink_to(os.path.realpath(sys.executable))
    assert _in_process.same_python(sys.executable) and not _in_process.same_python(str(link))
