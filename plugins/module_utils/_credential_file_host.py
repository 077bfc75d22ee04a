# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Filesystem side of the credential_file modules: home resolution, safe reads and atomic writes.

Stdlib only (plus the AnsibleModule instance handed in), because it runs on target hosts.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat

from ansible_collections.aliyun.ram.plugins.module_utils import _atomic_write
from ansible_collections.aliyun.ram.plugins.module_utils._credential_file import (
    CredentialFileError,
    CredentialParseError,
    build_spec,
    default_mode,
    default_paths,
    merge,
    mode_problem,
    read_profile,
    redact,
)

_OCTAL_MODE_RE = re.compile(r'^0?[0-7]{3,4}$')


def _user_entry(owner):
    try:
        if owner is None:
            return pwd.getpwuid(os.geteuid())
        if str(owner).isdigit():
            return pwd.getpwuid(int(owner))
        return pwd.getpwnam(owner)
    except KeyError:
        raise CredentialFileError('user %s does not exist on this host' % owner)


def _group_id(group):
    try:
        return int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise CredentialFileError('group %s does not exist on this host' % group)


def resolve_paths(fmt, path, owner):
    """The explicit path, or the format's defaults in the owner's home (the running user's when no owner)."""
    if path:
        return [path]
    return default_paths(fmt, _user_entry(owner).pw_dir)


def mode_number(mode):
    """The mode as an int, or None for symbolic modes (AnsibleModule applies those itself)."""
    if mode is None or isinstance(mode, int):
        return mode
    if _OCTAL_MODE_RE.match(str(mode)):
        return int(str(mode), 8)
    return None


def read_text(path, lenient=False):
    """File content as text, or None when the file does not exist; lenient decoding is only for showing a forced overwrite."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CredentialFileError('%s is a directory, not a credential file' % path)
    except OSError as exc:
        raise CredentialFileError('cannot read %s: %s' % (path, exc.strerror))
    try:
        return data.decode('utf-8', 'replace' if lenient else 'strict')
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b'\n') + 1
        raise CredentialParseError(line, 'not valid UTF-8 text')


def _make_parents(directory, uid, gid):
    """Create missing parent directories 0700, owned by the file's owner so only they can enter."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for created in reversed(missing):
        os.mkdir(created, 0o700)
        os.chmod(created, 0o700)
        if uid != -1 or gid != -1:
            os.chown(created, uid, gid)


def atomic_write(module, path, text, file_args):
    """Write through a temp file in the same directory that has its final owner and mode BEFORE any byte goes in."""
    # set_fs_attributes_if_different calls fail_json (SystemExit) on error: _atomic_write cleans up either way.
    _atomic_write.atomic_write(path, text.encode('utf-8'),
                               prepare=lambda temp_path: module.set_fs_attributes_if_different(dict(file_args, path=temp_path), False))


def _fail(module, msg, **kwargs):
    module.fail_json(msg=msg, **kwargs)


def _plan_file(module, spec, path, force):
    """(path to write, text before or None, text after) for one file; nothing is written here."""
    if os.path.islink(path):
        # Replacing the link itself would detach whoever reads through it; write where it points.
        path = os.path.realpath(path)
    try:
        before = read_text(path)
        after = merge(spec, before)
    except CredentialParseError as exc:
        if not force:
            _fail(module, '%s cannot be parsed as a %s file (%s); fix it or set force=true to overwrite it' % (path, spec.fmt, exc))
        before = read_text(path, lenient=True)
        after = '' if spec.state == 'absent' else merge(spec, None)
    except CredentialFileError as exc:
        _fail(module, '%s: %s' % (path, exc))
    return path, before, after


def _narrow_mode_first(module, path, mode, diff):
    """Drop unrequested permission bits before owner/group change, so a new owner or group never sees a wider mode."""
    wanted = mode_number(mode)
    if wanted is None or module.check_mode:
        return False
    current = stat.S_IMODE(os.stat(path).st_mode)
    if current & ~wanted == 0:
        return False
    os.chmod(path, current & wanted)
    diff['before']['mode'] = '%04o' % current
    diff['after']['mode'] = '%04o' % wanted
    return True


def run_credential_file(module):
    params = module.params
    try:
        spec = build_spec(params['format'], params['profile'], params['access_key_id'], params['access_key_secret'],
                          params['region'], params['extra'], params['state'])
        paths = resolve_paths(spec.fmt, params['path'], params['owner'])
        owner_entry = _user_entry(params['owner']) if params['owner'] is not None else None
        group_id = _group_id(params['group']) if params['group'] is not None else None
    except CredentialFileError as exc:
        _fail(module, str(exc))

    owner_is_root = (owner_entry.pw_uid if owner_entry else os.geteuid()) == 0
    plans = [_plan_file(module, spec, path, params['force']) for path in paths]
    requested_mode = mode_number(params['mode'])
    for path, dummy, dummy in plans:
        problem = mode_problem(spec.fmt, path, default_mode(spec.fmt, path, owner_is_root) if params['mode'] is None else requested_mode)
        if problem:
            _fail(module, problem)
    parent_uid = owner_entry.pw_uid if owner_entry else -1
    parent_gid = group_id if group_id is not None else (owner_entry.pw_gid if owner_entry else -1)

    changed = False
    diffs = []
    for path, before, after in plans:
        file_args = module.load_file_common_arguments(module.params, path=path)
        if params['mode'] is None:
            file_args['mode'] = default_mode(spec.fmt, path, owner_is_root)
        content_changed = before != after and not (before is None and not after)
        if before is not None:
            current = os.stat(path)
            # A rewrite must not hand the file to the running user: keep what the caller did not ask to change.
            file_args['owner'] = file_args['owner'] if file_args['owner'] is not None else current.st_uid
            file_args['group'] = file_args['group'] if file_args['group'] is not None else current.st_gid
            if spec.state == 'absent' and params['mode'] is None:
                file_args['mode'] = stat.S_IMODE(current.st_mode)
        elif owner_entry is not None and file_args['group'] is None:
            # "owned by alice" should not leave a new file in the running user's group.
            file_args['group'] = owner_entry.pw_gid

        if content_changed:
            changed = True
            diffs.append({'before_header': path, 'after_header': path,
                          'before': redact(spec, before or '', [spec.access_key_secret]),
                          'after': redact(spec, after, [spec.access_key_secret])})
            if not module.check_mode:
                try:
                    _make_parents(os.path.dirname(path), parent_uid, parent_gid)
                    atomic_write(module, path, after, file_args)
                except OSError as exc:
                    _fail(module, 'cannot write %s: %s' % (path, exc.strerror or exc))
        elif before is not None and spec.state == 'present':
            if not module.check_mode:
                # nothing to write, but a killed earlier write may have left a copy of the secrets next to the file
                _atomic_write.remove_stale_temp_files(path)
            attribute_diff = {'before_header': path, 'after_header': path, 'before': {}, 'after': {}}
            narrowed = _narrow_mode_first(module, path, file_args['mode'], attribute_diff)
            if module.set_fs_attributes_if_different(file_args, narrowed, diff=attribute_diff):
                changed = True
                diffs.append(attribute_diff)

    result = {'changed': changed, 'path': plans[0][0], 'paths': [plan[0] for plan in plans],
              'profile': spec.profile, 'format': spec.fmt}
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


def run_credential_file_info(module):
    params = module.params
    try:
        spec = build_spec(params['format'], params['profile'], extra=params['extra'], reading=True)
        path = resolve_paths(spec.fmt, params['path'], params['owner'])[0]
        text = read_text(path)
        found = read_profile(spec, text)
    except CredentialParseError as exc:
        _fail(module, '%s cannot be parsed as a %s file (%s)' % (path, params['format'], exc))
    except CredentialFileError as exc:
        _fail(module, str(exc))

    result = {'changed': False, 'path': path, 'profile': spec.profile, 'format': spec.fmt,
              'file_exists': text is not None, 'exists': found is not None}
    if text is not None:
        current = os.stat(path)
        result['mode'] = '%04o' % stat.S_IMODE(current.st_mode)
        result['owner'] = _name_or_id(pwd.getpwuid, current.st_uid, 'pw_name')
        result['group'] = _name_or_id(grp.getgrgid, current.st_gid, 'gr_name')
    if found is not None:
        result['access_key_id'] = found['access_key_id']
        result['region'] = found['region']
        if params['return_secret']:
            result['access_key_secret'] = found['access_key_secret']
    module.exit_json(**result)


def _name_or_id(lookup, number, attribute):
    try:
        return getattr(lookup(number), attribute)
    except KeyError:
        return str(number)
