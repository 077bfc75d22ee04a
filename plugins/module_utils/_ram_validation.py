# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Local checks of names and attributes (RAM's own rules), so bad input fails before any API call."""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import describe_character
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError

POLICY_TYPES = ('System', 'Custom')

# Always used with fullmatch: with match, '$' also matches before a trailing newline ('alice\n' would pass).
_USER_NAME = re.compile(r'[A-Za-z0-9._-]{1,64}')
_GROUP_NAME = re.compile(r'[A-Za-z0-9._-]{1,64}')
_POLICY_NAME = re.compile(r'[A-Za-z0-9._-]{1,128}')
_EMAIL = re.compile(r'[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+')
_MOBILE_PHONE = re.compile(r'[0-9]{1,4}-[0-9]{4,20}')
_ACCESS_KEY_ID = re.compile(r'[A-Za-z0-9.]{1,128}')
_NAME_PREFIX = re.compile(r'[A-Za-z0-9._-]{1,64}')
# Free text (display_name, comments) has no character set of its own, but never a control character.
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def _matches(pattern, value):
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _control_character(option, value):
    """Raise when value holds a control character (a newline would end the line a reader or a log shows)."""
    match = _CONTROL.search(value)
    if match:
        raise ValidationError('%s must not contain control characters (found %s at position %d)'
                              % (option, describe_character(match.group()), match.start()))


def user_name(value, option='name'):
    if not _matches(_USER_NAME, value):
        raise ValidationError('%s must be 1-64 characters of letters, digits, "." "_" "-" (no "@"), got %r' % (option, value))
    return value


def group_name(value, option='groups'):
    if not _matches(_GROUP_NAME, value):
        raise ValidationError('%s: group name must be 1-64 characters of letters, digits, "." "_" "-", got %r' % (option, value))
    return value


def name_prefix(value, option='name_prefix'):
    """A prefix of user names: what a user name may hold, possibly empty (no filter)."""
    if value and not _matches(_NAME_PREFIX, value):
        raise ValidationError('%s must be at most 64 characters of letters, digits, "." "_" "-" (a user name prefix), got %r'
                              % (option, value))
    return value


def access_key_id(value, option='access_key_id'):
    if not _matches(_ACCESS_KEY_ID, value):
        raise ValidationError('%s must be an AccessKey id (letters and digits), got %r' % (option, value))
    return value


def user_attributes(display_name=None, comments=None, email=None, mobile_phone=None):
    """Check the optional user attributes that are set (None means 'not managed')."""
    if display_name is not None:
        _control_character('display_name', display_name)
        if not 1 <= len(display_name) <= 128:
            raise ValidationError('display_name must be 1-128 characters (got %d)' % len(display_name))
    if comments is not None:
        _control_character('comments', comments)
        if len(comments) > 128:
            raise ValidationError('comments must be at most 128 characters (got %d)' % len(comments))
    if email and not _matches(_EMAIL, email):
        raise ValidationError('email must be an e-mail address like name@example.com, got %r' % email)
    if mobile_phone and not _matches(_MOBILE_PHONE, mobile_phone):
        raise ValidationError('mobile_phone must be <country code>-<number>, e.g. 86-18600008888, got %r' % mobile_phone)


def _policy_type(value, option):
    for known in POLICY_TYPES:
        if isinstance(value, str) and value.lower() == known.lower():
            return known
    raise ValidationError('%s: policy type must be System or Custom, got %r' % (option, value))


def policy(item, option='policies'):
    """One policy as ``{'name': ..., 'type': 'System'|'Custom'}`` from a dict, ``Type:Name`` or a bare name (System)."""
    if isinstance(item, dict):
        unknown = set(item) - set(('name', 'type', 'policy_name', 'policy_type'))
        if unknown:
            raise ValidationError('%s: unknown key(s) %s in %r (use name and type)' % (option, ', '.join(sorted(unknown)), item))
        name = item.get('name', item.get('policy_name'))
        kind = _policy_type(item.get('type', item.get('policy_type', 'System')), option)
    elif isinstance(item, str):
        if ':' in item:
            kind, name = item.split(':', 1)
            kind = _policy_type(kind, option)
        else:
            kind, name = 'System', item
    else:
        raise ValidationError('%s: each policy is a {name, type} dict or a "Type:Name" string, got %r' % (option, item))
    if not _matches(_POLICY_NAME, name):
        raise ValidationError('%s: policy name must be 1-128 characters of letters, digits, "." "_" "-", got %r' % (option, name))
    return {'name': name, 'type': kind}


def policies(items, option='policies'):
    """Normalised, de-duplicated list of policies (None stays None: not managed)."""
    if items is None:
        return None
    result = []
    for item in items:
        normalised = policy(item, option)
        if normalised not in result:
            result.append(normalised)
    return result


def groups(items, option='groups'):
    if items is None:
        return None
    result = []
    for item in items:
        group_name(item, option)
        if item not in result:
            result.append(item)
    return result
