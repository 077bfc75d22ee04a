# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every string option of every module refuses control characters, naming the option, before any API call or file change.

Table-driven: the options come from each module's own argument spec (captured from main(), so the shared auth
options and suboptions are included and a new option is covered without touching this file), cross-checked
against its DOCUMENTATION. Options a module declares in MULTILINE_OPTIONS are exempt and must accept newlines.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import types
from unittest import mock

import pytest
import yaml

from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS, AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.aliyun.ram.plugins import modules as modules_package
from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import describe_character
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam, Sleeper

MODULE_NAMES = sorted(info.name for info in pkgutil.iter_modules(modules_package.__path__))
STRING_TYPES = ('str', 'path', 'raw')
# (name, value): a newline inside, the other characters the task names, and a trailing newline
BAD_CHARACTERS = [('newline', '\n', 'inside'), ('carriage_return', '\r', 'inside'), ('tab', '\t', 'inside'),
                  ('nul', '\x00', 'inside'), ('trailing_newline', '\n', 'end')]
CALLER = {'access_key': 'LTAIcallerControl01', 'secret_key': 'caller-secret-control-01'}
ENVIRONMENT = ('ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_ACCESS_KEY', 'ALICLOUD_ACCESS_KEY_ID',
               'ALICLOUD_SECRET_KEY', 'ALIBABA_CLOUD_SECURITY_TOKEN', 'ALICLOUD_SECURITY_TOKEN', 'ALIBABA_CLOUD_PROFILE',
               'ALICLOUD_PROFILE', 'ALIBABA_CLOUD_ROLE_ARN', 'ALICLOUD_ASSUME_ROLE_ARN', 'ALIBABA_CLOUD_ROLE_SESSION_NAME',
               'ALICLOUD_ASSUME_ROLE_SESSION_NAME', 'ALIBABA_CLOUD_RAM_ENDPOINT', 'ALIBABA_CLOUD_STS_ENDPOINT',
               'ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT')


def minimal_args(name, tmp_path):
    """The least each module needs besides the option under test (files only ever inside tmp_path)."""
    return {
        'actiontrail_event_info': {},
        'audit_report': {'users': [], 'output_dir': str(tmp_path / 'reports')},
        'credential_file': {'format': 'env', 'path': str(tmp_path / 'app.env'), 'access_key_id': 'LTAI5tControlChar01',
                            'access_key_secret': 'control-char-secret-01'},
        'credential_file_info': {'format': 'env', 'path': str(tmp_path / 'app.env')},
        'ram_access_key': {'user_name': 'alice'},
        'ram_access_key_compromised': {'user_name': 'alice', 'access_key_id': 'LTAI5tControlChar0000001'},
        'ram_access_key_info': {'user_name': 'alice'},
        'ram_access_key_owner_info': {'access_key_ids': ['LTAI5tControlChar0000001']},
        'ram_access_keys': {'users': ['alice']},
        'ram_user': {'name': 'alice'},
        'ram_user_info': {},
        'ram_users': {'users': [{'name': 'alice'}]},
        'respond_report': {'stage': 'check', 'access_key_ids': ['LTAI5tControlChar0000001']},
        'secret_store': {'secret_store': {'path': str(tmp_path / 'store.vault.yml')}},
        'sts_caller_info': {},
    }[name]


class _Captured(Exception):
    def __init__(self, argument_spec, kwargs):
        super().__init__('argument spec captured')
        self.argument_spec = argument_spec
        self.kwargs = kwargs


def _action_plugin(name):
    return importlib.import_module('ansible_collections.aliyun.ram.plugins.action.%s' % name)


def captured_spec(name):
    """(argument spec, AnsibleModule keyword arguments) exactly as main() builds them, without running the module."""
    module = importlib.import_module('ansible_collections.aliyun.ram.plugins.modules.%s' % name)
    if not hasattr(module, 'main'):
        return dict(_action_plugin(name).ARGUMENT_SPEC), {}

    def capture(self, argument_spec, **kwargs):
        spec = dict(argument_spec)
        if kwargs.get('add_file_common_args'):
            spec.update((key, value) for key, value in FILE_COMMON_ARGUMENTS.items() if key not in spec)
        raise _Captured(spec, kwargs)

    with mock.patch.object(AnsibleModule, '__init__', capture):
        with pytest.raises(_Captured) as caught:
            module.main()
    return caught.value.argument_spec, caught.value.kwargs


def _leaf_kind(entry):
    kind = entry.get('type', 'str')
    if kind in STRING_TYPES:
        return 'scalar'
    if kind == 'list' and entry.get('elements', 'str') in STRING_TYPES and not entry.get('options'):
        return 'list'
    return None


def string_options(spec):
    """[(option, container, leaf, leaf kind, suboptions)] for every string (or list of strings) in the spec."""
    found = []
    for name, entry in sorted(spec.items()):
        kind, suboptions = entry.get('type', 'str'), entry.get('options')
        if suboptions and kind in ('dict', 'list'):
            container = 'dict' if kind == 'dict' else 'list_of_dicts'
            found.extend((name, container, leaf, _leaf_kind(sub), suboptions) for leaf, sub in sorted(suboptions.items())
                         if _leaf_kind(sub))
        elif kind == 'dict' or (kind == 'list' and entry.get('elements') == 'dict'):
            found.append((name, 'free_dict' if kind == 'dict' else 'list_of_free_dicts', 'note', 'scalar', None))
        elif _leaf_kind(entry):
            found.append((name, 'top', None, _leaf_kind(entry), None))
    return found


def multiline_options(name):
    module = importlib.import_module('ansible_collections.aliyun.ram.plugins.modules.%s' % name)
    return tuple(getattr(module, 'MULTILINE_OPTIONS', ()))


def _cases():
    cases = []
    for name in MODULE_NAMES:
        spec, dummy = captured_spec(name)
        exempt = multiline_options(name)
        marks = []
        for option in string_options(spec):
            label = option[0] + ('.' + option[2] if option[2] else '')
            if option[0] in exempt or label in exempt:
                continue
            for char_name, char, where in BAD_CHARACTERS:
                cases.append(pytest.param(name, option, char, where, id='%s-%s-%s' % (name, label, char_name), marks=marks))
    return cases


def bad_value(char, where, path_like, tmp_path):
    base = str(tmp_path / 'target') if path_like else 'abcd'
    return base + char if where == 'end' else base[:-2] + char + base[-2:]


def inject(args, option, value):
    """args with value placed at the option (and the containers and required suboptions around it)."""
    name, container, leaf, leaf_kind, suboptions = option
    leaf_value = [value] if leaf_kind == 'list' else value
    if container == 'top':
        args[name] = leaf_value
        return name + ('[0]' if leaf_kind == 'list' else '')
    if container == 'free_dict':
        args[name] = {leaf: leaf_value}
        return '%s.%s' % (name, leaf)
    if container == 'list_of_free_dicts':
        args[name] = [{leaf: leaf_value}]
        return '%s[0].%s' % (name, leaf)
    element = dict((key, (sub.get('choices') or ['alice'])[0]) for key, sub in suboptions.items() if sub.get('required'))
    element[leaf] = leaf_value
    where = '%s.%s' % (name, leaf) if container == 'dict' else '%s[0].%s' % (name, leaf)
    args[name] = element if container == 'dict' else [element]
    return where + ('[0]' if leaf_kind == 'list' else '')


@pytest.fixture
def fake_ram(monkeypatch):
    fake = FakeRam()
    fake.connections = []

    def fake_connect(auth, connection, policy=None):
        fake.connections.append(auth)
        return RamApi(fake, RetryPolicy(max_retries=policy.max_retries, sleep=Sleeper()), secrets=auth.secrets())

    monkeypatch.setattr(_ram_module, 'connect', fake_connect)
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    return fake


def run_module(name, args, capsys):
    module = importlib.import_module('ansible_collections.aliyun.ram.plugins.modules.%s' % name)
    if not hasattr(module, 'main'):
        return run_action(name, args), ''
    with patch_module_args(dict(args, _ansible_check_mode=False, _ansible_diff=True)):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), out


def run_action(name, args):
    """The action plugin of an action-only module, with a task that holds args and no vault secret."""
    task = types.SimpleNamespace(args=args, async_val=0, check_mode=False, action='aliyun.ram.%s' % name)
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir='unused'))
    loader = types.SimpleNamespace(path_dwim=lambda path: path)
    action = _action_plugin(name).ActionModule(task, connection, None, loader, None, None)
    return action.run(task_vars={})


@pytest.mark.parametrize('name, option, char, where', _cases())
def test_control_character_is_refused_naming_the_option(name, option, char, where, fake_ram, capsys, tmp_path):
    spec, kwargs = captured_spec(name)
    args = minimal_args(name, tmp_path)
    if 'secret_key' in spec:
        # the caller's own key pair (every API module)
        args = dict(CALLER, **args)
    for group in kwargs.get('mutually_exclusive') or ():
        if option[0] in group:
            for other in group:
                if other != option[0]:
                    args.pop(other, None)
    entry = (option[4] or spec)[option[2] or option[0]] if option[1] in ('dict', 'list_of_dicts') else spec[option[0]]
    value = bad_value(char, where, entry.get('type') == 'path', tmp_path)
    shown_name = inject(args, option, value)
    before = sorted(os.listdir(tmp_path))

    result, out = run_module(name, args, capsys)

    assert result.get('failed') is True, result
    msg = result['msg']
    if entry.get('choices'):
        # AnsibleModule's own choices check comes first; it names the option too
        assert (option[2] or option[0]) in msg
    else:
        assert msg.startswith('option %s must not contain control characters (found %s' % (shown_name, describe_character(char))), msg
        assert value not in msg
    if entry.get('no_log'):
        assert 'the value is not shown' in msg and value not in out
    assert fake_ram.calls == [] and fake_ram.connections == [], 'an API call was made'
    assert sorted(os.listdir(tmp_path)) == before, 'a file was created'


def test_every_module_is_covered():
    covered = {param.values[0] for param in _cases()}
    assert covered == set(MODULE_NAMES)
    for name in MODULE_NAMES:
        assert string_options(captured_spec(name)[0]), name


@pytest.mark.parametrize('name', MODULE_NAMES)
def test_documented_string_options_are_in_the_checked_spec(name):
    """The documentation and the argument spec agree, so an option documented as a string is never missed."""
    module = importlib.import_module('ansible_collections.aliyun.ram.plugins.modules.%s' % name)
    documented = yaml.safe_load(module.DOCUMENTATION).get('options') or {}
    spec, dummy = captured_spec(name)
    for option, doc in documented.items():
        if doc.get('type', 'str') in STRING_TYPES or (doc.get('type') == 'list' and doc.get('elements', 'str') in STRING_TYPES):
            assert option in spec, option
            if option not in multiline_options(name):
                assert any(case[0] == option for case in string_options(spec)), option


def test_only_the_declared_options_are_exempt():
    exempt = dict((name, multiline_options(name)) for name in MODULE_NAMES)
    assert dict((name, options) for name, options in exempt.items() if options) == {
        'audit_report': ('users', 'host_reads', 'identities', 'controller_identity'),
        'credential_file': ('content', 'files.content'),
        'respond_report': ('owners', 'events', 'host_reads', 'plan', 'user_keys_after', 'containments', 'hosts', 'proofs'),
    }
    for name, options in exempt.items():
        spec, dummy = captured_spec(name)
        # a top-level option, or one suboption of one (files.content)
        assert set(option.split('.')[0] for option in options) <= set(spec), name


def test_audit_inputs_may_carry_multi_line_messages(capsys, tmp_path):
    users = [{'item': 'app', 'user_name': 'app', 'failed': True, 'msg': 'first line\nsecond line\r\n\ttraceback'}]
    host_reads = [{'host': 'web1', 'result': {'unreachable': True, 'msg': 'Failed to connect to the host via ssh:\r\nrefused'}}]
    result, dummy = run_module('audit_report', {'users': users, 'host_reads': host_reads, 'title': 'Audit'}, capsys)
    assert not result.get('failed'), result
    assert result['summary']


def test_template_content_may_span_lines(capsys, tmp_path):
    path = tmp_path / 'app.conf'
    args = {'format': 'template', 'path': str(path), 'content': '[default]\naccess_key_id = LTAI\n\tindented = x\n'}
    result, dummy = run_module('credential_file', args, capsys)
    assert 'control characters' not in result.get('msg', ''), result


def test_auth_options_from_the_environment_are_checked(fake_ram, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv('ALIBABA_CLOUD_PROFILE', 'prod\n')
    result, dummy = run_module('ram_user_info', {}, capsys)
    assert result['failed'] and result['msg'] == 'option profile must not contain control characters (found \\n at position 4)'
    assert fake_ram.calls == [] and fake_ram.connections == []
