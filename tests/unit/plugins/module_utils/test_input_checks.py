# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""control_character_problem: every string of every option, named precisely, secrets never shown."""

from __future__ import annotations

import ast
import pathlib

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _input_checks
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import control_character_problem, describe_character

SPEC = {
    'profile': {'type': 'str'},
    'secret': {'type': 'str', 'no_log': True},
    'groups': {'type': 'list', 'elements': 'str'},
    'extra': {'type': 'dict', 'options': {'endpoint': {'type': 'str'}, 'token': {'type': 'str', 'no_log': True}}},
    'held': {'type': 'list', 'elements': 'dict', 'options': {'host': {'type': 'str'}, 'key': {'type': 'str', 'no_log': True}}},
    'free': {'type': 'dict'},
    'count': {'type': 'int'},
    'notes': {'type': 'str'},
}


@pytest.mark.parametrize('params, message', [
    ({'profile': 'prod\n'}, 'option profile must not contain control characters (found \\n at position 4)'),
    ({'profile': 'pr\rod'}, 'option profile must not contain control characters (found \\r at position 2)'),
    ({'profile': '\tprod'}, 'option profile must not contain control characters (found \\t at position 0)'),
    ({'profile': 'p\x00'}, 'option profile must not contain control characters (found \\x00 at position 1)'),
    ({'profile': 'p\x1b[31m'}, 'option profile must not contain control characters (found \\x1b at position 1)'),
    ({'profile': 'p\x7f'}, 'option profile must not contain control characters (found \\x7f at position 1)'),
    ({'profile': 'p\x85'}, 'option profile must not contain control characters (found \\x85 at position 1)'),
    ({'profile': 'p\u2028'}, 'option profile must not contain control characters (found \\u2028 at position 1)'),
    ({'groups': ['dev', 'ops\n']}, 'option groups[1] must not contain control characters (found \\n at position 3)'),
    ({'extra': {'endpoint': 'oss\n'}}, 'option extra.endpoint must not contain control characters (found \\n at position 3)'),
    ({'held': [{'host': 'web1'}, {'host': 'web\n2'}]}, 'option held[1].host must not contain control characters (found \\n at position 3)'),
    ({'free': {'a': [{'b': 'x\ny'}]}}, 'option free.a[0].b must not contain control characters (found \\n at position 1)'),
    ({'free': {'bad\nkey': 'x'}}, 'option free has a key with control characters (found \\n at position 3)'),
])
def test_the_message_names_the_option_and_the_character(params, message):
    assert control_character_problem(SPEC, params) == message


@pytest.mark.parametrize('params, name', [
    ({'secret': 'hunter2\n'}, 'secret'), ({'extra': {'token': 'hunter2\n'}}, 'extra.token'),
    ({'held': [{'key': 'hun\tter2'}]}, 'held[0].key'), ({'free': {'db_password': 'hunter2\r'}}, 'free.db_password'),
    ({'free': {'nested': {'access_key_secret': 'hunter2\x00'}}}, 'free.nested.access_key_secret'),
])
def test_secrets_are_checked_but_neither_value_nor_position_is_shown(params, name):
    problem = control_character_problem(SPEC, params)
    assert problem.startswith('option %s must not contain control characters (found ' % name)
    assert problem.endswith('; the value is not shown)')
    assert 'hunter' not in problem and 'position' not in problem


def test_clean_values_exempt_options_and_non_strings_pass():
    clean = {'profile': 'prod', 'secret': 's3cr3t value', 'groups': ['dev'], 'extra': {'endpoint': 'oss', 'token': None},
             'held': [{'host': 'web1', 'key': 'k'}], 'free': {'a': 1, 'b': [True, None, 2.5]}, 'count': 5, 'notes': None}
    assert control_character_problem(SPEC, clean) is None
    assert control_character_problem(SPEC, {'notes': 'line one\nline two'}, exempt=('notes',)) is None
    assert control_character_problem(SPEC, {'notes': 'line one\nline two', 'profile': 'x\n'}, exempt=('notes',)).startswith(
        'option profile ')
    assert control_character_problem(SPEC, {}) is None


def test_ordinary_unicode_and_spaces_are_not_control_characters():
    assert control_character_problem(SPEC, {'profile': 'Zhang San 张三 – prod · é'}) is None


def test_the_first_option_in_spec_order_is_reported():
    assert control_character_problem(SPEC, {'groups': ['a\n'], 'profile': 'b\n'}).startswith('option profile ')


@pytest.mark.parametrize('char, shown', [('\n', '\\n'), ('\r', '\\r'), ('\t', '\\t'), ('\x00', '\\x00'), ('\x1f', '\\x1f'),
                                         ('\x9f', '\\x9f'), ('\u2029', '\\u2029')])
def test_describe_character(char, shown):
    assert describe_character(char) == shown


def test_the_check_is_importable_on_hosts_without_anything_but_ansible_basic():
    """credential_file and credential_file_info use it on target hosts: stdlib and ansible.module_utils.basic only."""
    tree = ast.parse(pathlib.Path(_input_checks.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {'__future__', 're', 'ansible.module_utils.basic'}
