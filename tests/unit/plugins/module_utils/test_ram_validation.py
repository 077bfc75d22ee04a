# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local validation: RAM's naming and format rules, with messages naming the option."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError


@pytest.mark.parametrize('check, value, ok', [
    (validate.user_name, 'alice', True),
    (validate.user_name, 'a.b_c-d9', True),
    (validate.user_name, 'x' * 64, True),
    (validate.user_name, 'x' * 65, False),
    (validate.user_name, '', False),
    (validate.user_name, 'alice@example', False),
    (validate.user_name, 'al ice', False),
    (validate.user_name, None, False),
    (validate.group_name, 'dev-team.1', True),
    (validate.group_name, 'dev team', False),
    (validate.access_key_id, 'LTAI5tAbCdEf', True),
    (validate.access_key_id, 'STS.NUx1', True),
    (validate.access_key_id, 'LTAI/../x', False),
])
def test_names(check, value, ok):
    if ok:
        assert check(value) == value
    else:
        with pytest.raises(ValidationError):
            check(value)


@pytest.mark.parametrize('kwargs, option', [
    (dict(display_name=''), 'display_name'),
    (dict(display_name='x' * 129), 'display_name'),
    (dict(comments='x' * 129), 'comments'),
    (dict(email='a@b'), 'email'),
    (dict(email='a b@c.d'), 'email'),
    (dict(mobile_phone='8618600008888'), 'mobile_phone'),
    (dict(mobile_phone='86-186x'), 'mobile_phone'),
])
def test_bad_attributes_name_the_option(kwargs, option):
    with pytest.raises(ValidationError) as info:
        validate.user_attributes(**kwargs)
    assert str(info.value).startswith(option)


def test_good_attributes():
    validate.user_attributes(display_name='Алиса 爱丽丝', comments='', email='alice@example.com', mobile_phone='86-18600008888')
    validate.user_attributes()


@pytest.mark.parametrize('item, expected', [
    ('AliyunOSSReadOnlyAccess', {'name': 'AliyunOSSReadOnlyAccess', 'type': 'System'}),
    ('System:AliyunOSSReadOnlyAccess', {'name': 'AliyunOSSReadOnlyAccess', 'type': 'System'}),
    ('Custom:my-policy', {'name': 'my-policy', 'type': 'Custom'}),
    ('CUSTOM:my-policy', {'name': 'my-policy', 'type': 'Custom'}),
    ({'name': 'my-policy', 'type': 'Custom'}, {'name': 'my-policy', 'type': 'Custom'}),
    ({'policy_name': 'p', 'policy_type': 'system'}, {'name': 'p', 'type': 'System'}),
    ({'name': 'p'}, {'name': 'p', 'type': 'System'}),
])
def test_policy_forms(item, expected):
    assert validate.policy(item) == expected


@pytest.mark.parametrize('item', ['Managed:p', 'System:', {'type': 'System'}, {'name': 'p', 'type': 'Other'}, ['p'], 'x' * 129])
def test_bad_policies(item):
    with pytest.raises(ValidationError) as info:
        validate.policy(item)
    assert str(info.value).startswith('policies')


def test_lists_are_deduplicated_and_none_means_unmanaged():
    assert validate.policies(None) is None and validate.groups(None) is None
    assert validate.policies(['p', 'System:p']) == [{'name': 'p', 'type': 'System'}]
    assert validate.groups(['a', 'a', 'b']) == ['a', 'b']
