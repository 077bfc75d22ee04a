# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""resolve_mode: octal and symbolic modes to the number ansible.builtin.file would set; mode_problem judges that number."""

from __future__ import annotations

import os
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import (
    CredentialFileError,
    mode_problem,
    resolve_mode,
)

NEW_FILE = 0o600


@pytest.mark.parametrize('mode, current, expected', [
    # numbers and octal strings
    (0o600, 0o644, 0o600), (384, 0o644, 0o600), (0, 0o644, 0), (0o7777, 0, 0o7777),
    ('0600', 0o644, 0o600), ('600', 0o644, 0o600), ('0o600', 0o644, 0o600), ('0O640', 0o644, 0o640),
    ('0644', NEW_FILE, 0o644), ('7', NEW_FILE, 0o007), ('00600', NEW_FILE, 0o600), ('1777', NEW_FILE, 0o1777),
    # symbolic, applied to the current mode
    ('u=rw,g=r,o=r', NEW_FILE, 0o644), ('u=rw,g=,o=', 0o777, 0o600), ('u=rw,g=r,o=', NEW_FILE, 0o640),
    ('go-rwx', 0o777, 0o700), ('go-rwx', 0o644, 0o600), ('a=r', 0o777, 0o444), ('u+rw', 0o000, 0o600),
    ('u+rw', 0o044, 0o644), ('o+r', NEW_FILE, 0o604), ('g+r', NEW_FILE, 0o640), ('ug=rw', NEW_FILE, 0o660),
    ('go=', 0o666, 0o600), ('a-x', 0o755, 0o644), ('o=g', 0o640, 0o644), ('g=u', 0o600, 0o660),
    ('u=rw-x+X', 0o755, 0o755), ('u=rw-x+X', 0o644, 0o644), ('a+X', 0o600, 0o600), ('a+X', 0o700, 0o711),
    ('u+s,g+s,o+t', 0o600, 0o7600), ('a-s', 0o6755, 0o755), ('o-t', 0o1777, 0o777), ('u=', 0o644, 0o044),
    ('u=rw,u-w', NEW_FILE, 0o400),
])
def test_resolve_mode(mode, current, expected):
    assert resolve_mode(mode, current) == expected


@pytest.mark.parametrize('mode, umask, expected', [
    ('=rw', 0o022, 0o644), ('=rw', 0o077, 0o600), ('+r', 0o022, 0o644), ('-w', 0o022, 0o400), ('=rw', 0, 0o666),
    ('a=rw', 0o077, 0o666),  # an explicit class ignores the umask
])
def test_a_clause_without_who_honours_the_umask(mode, umask, expected):
    assert resolve_mode(mode, 0o600, umask=umask) == expected


@pytest.mark.parametrize('mode', [
    'u=rw,g=r,o=r', 'u=rw,g=,o=', 'go-rwx', 'a=r', 'u+rw', '=rw', '+r', '-w', 'g=u', 'o=g', 'u=rw-x+X', 'a+X',
    'u+s,g+s,o+t', 'ug=rw', 'go=', 'a-s', 'o-t', '-rw',
])
@pytest.mark.parametrize('current', [0o600, 0o644, 0o755, 0o4711, 0o1777, 0o000, 0o070, 0o606])
def test_symbolic_modes_resolve_exactly_like_ansible(mode, current):
    """The number must be the one AnsibleModule itself would set, or the check would judge another mode."""
    status = os.stat_result((stat.S_IFREG | current, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    umask = os.umask(0o022)
    try:
        expected = AnsibleModule._symbolic_mode_to_octal(status, mode)  # pylint: disable=protected-access
        assert resolve_mode(mode, current) == expected
        assert resolve_mode(mode, current, umask=0o022) == expected
    finally:
        os.umask(umask)


@pytest.mark.parametrize('mode, fragment', [
    ('0800', 'neither octal'), ('rw', 'neither octal'), ('u', 'neither octal'), ('u=rw,', 'neither octal'),
    ('u=rwz', 'neither octal'), ('x=rw', 'neither octal'), ('u=ug', 'neither octal'), ('', 'neither octal'),
    ('0600\n', 'control characters'), ('u=rw\n', 'control characters'), ('u=rw\t', 'control characters'),
    ('010000', 'out of range'), (0o10000, 'out of range'), (-1, 'out of range'), (True, 'octal number'),
    (6.0, 'octal number'), (None, 'octal number'), (['0600'], 'octal number'),
])
def test_invalid_modes_raise(mode, fragment):
    with pytest.raises(CredentialFileError, match=fragment):
        resolve_mode(mode, NEW_FILE)


def test_a_symbolic_mode_needs_the_current_mode():
    with pytest.raises(CredentialFileError, match='current mode'):
        resolve_mode('u=rw', None)
    assert resolve_mode('0600', None) == 0o600


@pytest.mark.parametrize('mode', [0o644, '0644', '644', '0o644', 'u=rw,g=r,o=r', 'o+r', 'a+r', 'go=r', 'u=rw,g=r,o=g'])
@pytest.mark.parametrize('path', ['/home/a/.passwd-ossfs', '/etc/passwd-ossfs'])
def test_ossfs_refuses_a_mode_others_can_read_in_either_notation(mode, path):
    problem = mode_problem('ossfs', path, mode)
    assert problem is not None and 'others' in problem


@pytest.mark.parametrize('path, mode, current, refused', [
    ('/home/a/.passwd-ossfs', 'u=rw,g=,o=', 0o644, False), ('/home/a/.passwd-ossfs', 'go-rwx', 0o666, False),
    ('/home/a/.passwd-ossfs', 'g+r', 0o600, True), ('/home/a/.passwd-ossfs', 'u=rw,g=r,o=', 0o600, True),
    ('/etc/passwd-ossfs', 'u=rw,g=r,o=', 0o600, False), ('/etc/passwd-ossfs', 'g+w', 0o640, True),
    ('/etc/passwd-ossfs', 'o-r', 0o644, False), ('/etc/passwd-ossfs', 'u+x', 0o604, True),
])
def test_symbolic_modes_are_applied_to_the_current_mode_before_judging(path, mode, current, refused):
    assert (mode_problem('ossfs', path, mode, current_mode=current) is not None) is refused


def test_symbolic_mode_is_the_same_problem_as_its_number():
    assert mode_problem('ossfs', '/home/a/.passwd-ossfs', 'u=rw,g=r,o=r') == mode_problem('ossfs', '/home/a/.passwd-ossfs', 0o644)
    assert mode_problem('ossfs', '/etc/passwd-ossfs', 'u=rw,g=rw,o=') == mode_problem('ossfs', '/etc/passwd-ossfs', '0660')


def test_an_invalid_mode_is_a_problem_for_every_format():
    assert 'neither octal' in mode_problem('sdk', '/x', 'u=banana')
    assert mode_problem('sdk', '/x', 'u=rw,g=r,o=r') is None
