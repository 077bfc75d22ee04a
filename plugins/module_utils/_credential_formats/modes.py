# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.


"""File modes as ansible.builtin.file takes them: octal numbers and strings, and chmod's symbolic grammar."""

from __future__ import annotations

import os
import re

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import CONTROL_RE, CredentialFileError, fullmatch

_OCTAL_MODE_RE = re.compile(r'(?:0[oO])?[0-7]+')
# One chmod clause: who, then one or more actions; each action is an operator and either permission letters or
# one class to copy from (u=rw,go-rwx, a=r, u+rw, g=u, u=rw-x+X).
_SYMBOLIC_CLAUSE_RE = re.compile(r'(?P<who>[ugoa]*)(?P<actions>(?:[-+=](?:[ugo]|[rwxXst]*))+)')
_SYMBOLIC_ACTION_RE = re.compile(r'([-+=])([ugo]|[rwxXst]*)')
_CLASS_BITS = {'u': (0o4700, 6), 'g': (0o2070, 3), 'o': (0o1007, 0)}  # '=' clears these; rwx shift
_MODE_BITS = 0o7777


def _process_umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _symbolic_bits(who, perms, mode, umask):
    """Bits of perms for one class, the way AnsibleModule._get_octal_mode_from_symbolic_perms computes them."""
    dummy, shift = _CLASS_BITS[who]
    if perms in ('u', 'g', 'o'):
        # copy the rwx bits of another class (from the mode as changed so far)
        return ((mode >> _CLASS_BITS[perms][1]) & 0o7) << shift
    bits = 0
    for letter in perms:
        if letter in 'rwx':
            bits |= ({'r': 4, 'w': 2, 'x': 1}[letter] << shift) & ~umask
        elif letter == 'X':
            # execute only if some class already has it (a credential file is never a directory)
            if mode & 0o111:
                bits |= 1 << shift
        elif letter == 's' and who in 'ug':
            bits |= 0o4000 if who == 'u' else 0o2000
        elif letter == 't' and who == 'o':
            bits |= 0o1000
    return bits


def resolve_mode(mode, current_mode, umask=None):
    """The numeric mode that ``mode`` gives a file whose mode is now ``current_mode`` (0o600 for a new file).

    ``mode`` is what ansible.builtin.file accepts: an int (taken as is), an octal string (``'0600'``, ``'600'``,
    ``'0o600'``) or a symbolic mode with chmod's grammar, comma-separated clauses ``[ugoa]*[-+=][rwxXst]*``
    (``u=rw,g=r,o=``, ``go-rwx``, ``a=r``, ``u+rw``; ``g=u`` copies a class; several actions per clause as in
    ``u=rw-x+X``), applied in order to ``current_mode`` exactly as AnsibleModule applies them: a clause without
    who (``=rw``, ``+r``) affects every class but only the bits the umask allows (``umask``, by default the
    process umask, as AnsibleModule does); ``a`` or an explicit class ignores the umask.
    Raises CredentialFileError for anything else, including what AnsibleModule would quietly take as "no change"
    (an empty mode or clause, a clause without operator such as ``u``) and octal values above 07777.
    """
    if isinstance(mode, bool) or not isinstance(mode, (int, str)):
        raise CredentialFileError('mode must be an octal number such as 0600 or a symbolic mode such as u=rw,g=,o=')
    if isinstance(mode, int):
        if not 0 <= mode <= _MODE_BITS:
            raise CredentialFileError('mode %d is out of range (at most 07777)' % mode)
        return mode
    if CONTROL_RE.search(mode):
        raise CredentialFileError('mode must not contain control characters')
    if fullmatch(_OCTAL_MODE_RE, mode):
        number = int(mode[2:] if mode[:2] in ('0o', '0O') else mode, 8)
        if number > _MODE_BITS:
            raise CredentialFileError('mode %s is out of range (at most 07777)' % mode)
        return number
    if isinstance(current_mode, bool) or not isinstance(current_mode, int):
        raise CredentialFileError('a symbolic mode needs the current mode of the file')
    result = current_mode & _MODE_BITS
    for clause in mode.split(','):
        match = _SYMBOLIC_CLAUSE_RE.fullmatch(clause)
        if not match:
            raise CredentialFileError('mode %r is neither octal (0600) nor symbolic (u=rw,g=,o=): clause %r is not '
                                      '[ugoa]*[-+=][rwxXst]* or [ugoa]*[-+=][ugo]' % (mode, clause))
        who = match.group('who')
        if who == '':
            classes, clause_umask = 'ugo', _process_umask() if umask is None else umask
        else:
            classes, clause_umask = ('ugo' if 'a' in who else ''.join(c for c in 'ugo' if c in who)), 0
        for operator, perms in _SYMBOLIC_ACTION_RE.findall(match.group('actions')):
            for cls in classes:
                bits = _symbolic_bits(cls, perms, result, clause_umask)
                if operator == '=':
                    result = (result & ~_CLASS_BITS[cls][0]) | bits
                elif operator == '+':
                    result |= bits
                else:
                    result &= ~bits
    return result & _MODE_BITS
