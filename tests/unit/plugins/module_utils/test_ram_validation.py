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


@pytest.mark.parametrize('kwargs', [
    dict(display_name='Алиса 爱丽丝', comments='', email='alice@example.com', mobile_phone='86-18600008888'),
    # the longest values RAM takes: one character more is refused above
    dict(display_name='x' * 128, comments='x' * 128),
    dict(display_name='x'),
    {},
])
def test_good_attributes_are_accepted_up_to_the_limits(kwargs):
    """Fails if a limit is off by one (checked: display_name's `<= 128` made `< 128`) or a valid value is refused."""
    try:
        validate.user_attributes(**kwargs)
    except ValidationError as exc:
        pytest.fail('refused %r: %s' % (sorted(kwargs), exc))


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


# ---------------------------------------------------------------- full matches, no control characters

@pytest.mark.parametrize('check, value', [
    (validate.user_name, 'alice\n'), (validate.user_name, 'alice\r'), (validate.user_name, 'ali\x00ce'),
    (validate.group_name, 'dev\n'), (validate.access_key_id, 'LTAI5tAbCdEf\n'), (validate.name_prefix, 'app-\n'),
    (validate.name_prefix, 'app\t'), (validate.name_prefix, 'a@b'), (validate.name_prefix, 'x' * 65),
])
def test_a_trailing_newline_or_control_character_never_matches(check, value):
    with pytest.raises(ValidationError):
        check(value)


@pytest.mark.parametrize('value', ['', None, 'app-', 'a.b_c'])
def test_name_prefix_accepts_prefixes_and_no_filter(value):
    assert validate.name_prefix(value) == value


def test_policy_name_with_a_trailing_newline_is_refused():
    with pytest.raises(ValidationError, match='policy name'):
        validate.policy('System:AliyunOSSReadOnlyAccess\n')
    with pytest.raises(ValidationError, match='policy name'):
        validate.policy({'name': 'ReadOnly\n', 'type': 'Custom'})


@pytest.mark.parametrize('kwargs, message', [
    (dict(display_name='Alice\n'), r'display_name must not contain control characters \(found \\n at position 5\)'),
    (dict(display_name='Al\x00ice'), r'display_name must not contain control characters \(found \\x00 at position 2\)'),
    (dict(display_name='Alice\x7f'), r'display_name .*\\x7f'),
    (dict(comments='first\r\nsecond'), r'comments must not contain control characters \(found \\r at position 5\)'),
    (dict(comments='tab\there'), r'comments .*\\t'),
    (dict(email='a@example.com\n'), 'email'), (dict(email='a\x00b@example.com'), 'email'),
    (dict(mobile_phone='86-18600008888\n'), 'mobile_phone'),
])
def test_attributes_refuse_control_characters(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        validate.user_attributes(**kwargs)


def test_free_text_attributes_keep_ordinary_text():
    validate.user_attributes(display_name='Zhang San 张三 (ops)', comments='Owner: team #5; see wiki', email='a.b+c@example.com')
