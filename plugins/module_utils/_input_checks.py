# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The check every module runs on its options before anything else: no control characters in any string.

A newline in a profile, a user name or a path ends the line a credential file, a log or a report is made of, so
a value such as ``"prod\\n"`` (a trailing newline from a file lookup or a block scalar) must fail the task,
naming the option, before any API call or file change. The check walks every option, including strings inside
lists and dictionaries; options that legitimately carry multi-line text are exempted by name by the module.

Runs on target hosts (credential_file, credential_file_info), so it needs only the standard library and
``ansible.module_utils.basic``.
"""

from __future__ import annotations

import re

from ansible.module_utils.basic import AnsibleModule

# C0 controls (newline, carriage return, tab, NUL, escape, ...), DEL, C1 controls (NEL) and the Unicode line and
# paragraph separators, which str.splitlines() and YAML also treat as line breaks.
CONTROL_CHARACTER_RE = re.compile('[\x00-\x1f\x7f-\x9f\u2028\u2029]')

_NAMED = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}
# Keys of free-form dictionaries whose values are treated as secrets (no position in the message).
_SECRET_KEY_HINTS = ('secret', 'token', 'password', 'passwd', 'privatekey')


def describe_character(char):
    """A control character the way it is written in YAML or Python: ``\\n``, ``\\t``, ``\\x00``, ``\\u2028``."""
    if char in _NAMED:
        return _NAMED[char]
    return '\\x%02x' % ord(char) if ord(char) < 0x100 else '\\u%04x' % ord(char)


def _is_secret_key(key):
    norm = str(key).lower().replace('-', '').replace('_', '')
    return any(hint in norm for hint in _SECRET_KEY_HINTS)


def _string_problem(name, value, secret):
    match = CONTROL_CHARACTER_RE.search(value)
    if match is None:
        return None
    found = describe_character(match.group())
    if secret:
        # never the value, and not even where in it: only which option and which character
        return 'option %s must not contain control characters (found %s; the value is not shown)' % (name, found)
    return 'option %s must not contain control characters (found %s at position %d)' % (name, found, match.start())


def _key_problem(name, key):
    match = CONTROL_CHARACTER_RE.search(key)
    if match is None:
        return None
    return 'option %s has a key with control characters (found %s at position %d)' % (
        name, describe_character(match.group()), match.start())


def _value_problem(name, value, spec, secret, skip=()):
    """The first problem in one option's value; ``spec`` is its argument spec entry (None for free-form data);
    ``skip`` names suboptions of this option (of each of its elements, for a list) that are not checked."""
    if value is None:
        return None
    secret = secret or bool(spec and spec.get('no_log'))
    if isinstance(value, str):
        return _string_problem(name, value, secret)
    suboptions = spec.get('options') if spec else None
    if isinstance(value, dict):
        for key, item in value.items():
            if key in skip:
                continue
            problem = _key_problem(name, key) if isinstance(key, str) else None
            if problem:
                return problem
            item_spec = suboptions.get(key) if suboptions is not None else None
            item_secret = secret or (suboptions is None and _is_secret_key(key))
            problem = _value_problem('%s.%s' % (name, key), item, item_spec, item_secret)
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        element_spec = {'options': suboptions, 'no_log': secret}
        for index, item in enumerate(value):
            problem = _value_problem('%s[%d]' % (name, index), item, element_spec, secret, skip)
            if problem:
                return problem
    return None


def control_character_problem(argument_spec, params, exempt=()):
    """The message for the first option (in argument spec order) whose value holds a control character, or None.

    ``params`` are the validated module parameters; strings inside lists and dictionaries are checked too, and
    keys of free-form dictionaries. A ``no_log`` option, or a free-form key that names a secret, is checked but
    its message never shows where the character is. ``exempt`` names options that legitimately hold multi-line text,
    top-level (``content``) or one level down (``files.content``: that suboption of every element of ``files``); the
    module declares them (with the reason) next to its argument spec.
    """
    for name, spec in argument_spec.items():
        if name in exempt:
            continue
        skip = set(exempted.split('.', 1)[1] for exempted in exempt if exempted.startswith(name + '.'))
        problem = _value_problem(name, params.get(name), spec, False, skip)
        if problem:
            return problem
    return None


def _leaf_values(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaf_values(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _leaf_values(item)
    elif value not in (None, '', True, False):
        yield str(value)


def no_log_values(argument_spec, params):
    """Every value of a ``no_log`` option, suboptions included: what AnsibleModule masks in a module's result."""
    values = set()
    for name, spec in argument_spec.items():
        value = params.get(name) if isinstance(params, dict) else None
        if value is None:
            continue
        if spec.get('no_log'):
            values.update(_leaf_values(value))
        elif spec.get('options'):
            for item in value if isinstance(value, list) else [value]:
                values |= no_log_values(spec['options'], item)
    return values


def reject_control_characters(module, exempt=()):
    """Fail the task (before any API call or file change) when an option of ``module`` holds a control character."""
    problem = control_character_problem(module.argument_spec, module.params, exempt)
    if problem:
        module.fail_json(msg=problem)


class CheckedModule(AnsibleModule):
    """AnsibleModule whose options are checked for control characters as soon as they are validated.

    The check runs before AnsibleModule logs anything, the invocation first (a NUL would otherwise fail inside syslog with a
    message that names no option) and, when the task is no_log and nothing is logged, at the end of __init__:
    either way before the module does anything. ``multiline_options`` names the options (``files.content`` for a suboption) that
    legitimately hold multi-line text; the module says why next to its argument spec.
    """

    def __init__(self, *args, multiline_options=(), **kwargs):
        self._multiline_options = tuple(multiline_options)
        self._control_characters_checked = False
        super().__init__(*args, **kwargs)
        self._check_control_characters()

    def _check_control_characters(self):
        if not self._control_characters_checked:
            reject_control_characters(self, self._multiline_options)
            self._control_characters_checked = True

    def log(self, msg, log_args=None):
        # AnsibleModule.__init__ logs the invocation through log() right after validating the parameters
        self._check_control_characters()
        super().log(msg, log_args=log_args)
