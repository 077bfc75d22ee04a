# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Filesystem side of the credential_file modules: home resolution, safe reads and atomic writes.

Every file operation goes through ``_safe_path`` (a descriptor walk from ``/`` that refuses links and
ownership changes a user could exploit) and ``_atomic_write.replace_at``; nothing here touches a file by path.
Stdlib only (plus the AnsibleModule instance handed in), because it runs on target hosts.
"""

from __future__ import annotations

import grp
import os
import pwd
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
    redact_generic,
    resolve_mode,
)
from ansible_collections.aliyun.ram.plugins.module_utils._safe_path import UnsafePathError, locate, user_name

TEMPLATE_FORMAT = 'template'
NEW_FILE_MODE = 0o600


class _Failure(Exception):
    """A message for fail_json; raised so that open descriptors and created directories are cleaned up on the way out."""


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


def _name_or_id(lookup, number, attribute):
    try:
        return getattr(lookup(number), attribute)
    except KeyError:
        return str(number)


def _group_name(gid):
    return _name_or_id(grp.getgrgid, gid, 'gr_name')


def resolve_paths(fmt, path, owner):
    """The explicit path, or the format's defaults in the owner's home (the running user's when no owner)."""
    if path:
        return [path]
    if fmt == TEMPLATE_FORMAT:
        raise CredentialFileError('format template needs path')
    return default_paths(fmt, _user_entry(owner).pw_dir)


def _decode(data, path, lenient=False):
    if data is None:
        return None
    try:
        return data.decode('utf-8', 'replace' if lenient else 'strict')
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b'\n') + 1
        raise CredentialParseError(line, 'not valid UTF-8 text')


def _read(path, owner_uid):
    """(resolved path, bytes or None) through the safe walk; no directory is created."""
    with locate(path, owner_uid) as location:
        return location.path, location.read()


class _Request:
    """What the task asked for, resolved once: spec, paths, owner, group and mode."""

    def __init__(self, params):
        self.params = params
        self.fmt = params['format']
        self.state = params['state']
        if self.fmt == TEMPLATE_FORMAT:
            if self.state == 'present' and params.get('content') is None:
                raise CredentialFileError('format template needs content when state is present')
            self.spec = None
            self.secrets = [params['access_key_secret']] if params['access_key_secret'] else []
        else:
            if params.get('content') is not None:
                raise CredentialFileError('content is only for format template')
            missing = [name for name in ('access_key_id', 'access_key_secret') if self.state == 'present' and not params[name]]
            if missing:
                raise CredentialFileError('state is present but missing: %s' % ', '.join(missing))
            self.spec = build_spec(self.fmt, params['profile'], params['access_key_id'], params['access_key_secret'],
                                   params['region'], params['extra'], self.state)
            self.secrets = [self.spec.access_key_secret]
        self.paths = resolve_paths(self.fmt, params['path'], params['owner'])
        self.owner_entry = _user_entry(params['owner']) if params['owner'] is not None else None
        self.group_id = _group_id(params['group']) if params['group'] is not None else None
        self.owner_uid = self.owner_entry.pw_uid if self.owner_entry else None

    def after(self, before_text, force):
        if self.spec is None:
            return self.params['content'] if self.state == 'present' else None
        try:
            return merge(self.spec, before_text)
        except CredentialParseError:
            if not force:
                raise
            return '' if self.state == 'absent' else merge(self.spec, None)

    def redacted(self, text):
        if self.spec is None:
            return redact_generic(text or '', self.secrets)
        return redact(self.spec, text or '', self.secrets)

    def mode_for(self, path, current_mode, final_uid):
        if self.params['mode'] is None:
            if current_mode is not None and self.state == 'absent':
                return current_mode
            return default_mode(self.fmt, path, final_uid == 0)
        return resolve_mode(self.params['mode'], NEW_FILE_MODE if current_mode is None else current_mode)


class _Plan:
    """One file: where it is, what it holds now and what it should hold. Nothing is written while planning."""

    def __init__(self, path, before, after, status):
        self.path = path
        self.before = before
        self.after = after
        self.status = status

    @property
    def content_changed(self):
        if self.after is None:
            return self.before is not None
        return self.before != self.after and not (self.before is None and not self.after)


def _plan_file(request, path, force):
    with locate(path, request.owner_uid) as location:
        status = location.checked_file()
        data = location.read() if status is not None else None
        resolved = location.path
    try:
        before = _decode(data, resolved)
        return _Plan(resolved, before, request.after(before, force), status)
    except CredentialParseError as exc:
        if not force:
            raise _Failure('%s cannot be parsed as a %s file (%s); fix it or set force=true to overwrite it' % (resolved, request.fmt, exc))
        before = _decode(data, resolved, lenient=True)
        return _Plan(resolved, before, request.after(None, True), status)


def _final_owner(request, status):
    """(uid, gid) the file ends up with: the requested ones, else what an existing file has, else the owner's group."""
    uid = request.owner_uid if request.owner_uid is not None else (status.st_uid if status is not None else os.geteuid())
    if request.group_id is not None:
        gid = request.group_id
    elif status is not None:
        gid = status.st_gid
    elif request.owner_entry is not None:
        # "owned by alice" should not leave a new file in the running user's group.
        gid = request.owner_entry.pw_gid
    else:
        gid = os.getegid()
    return uid, gid


def _attributes(uid, gid, mode):
    return {'owner': _name_or_id(pwd.getpwuid, uid, 'pw_name'), 'group': _group_name(gid), 'mode': '%04o' % mode}


def _write(request, plan):
    """Replace the file's content; create its missing directories first and take them back if the write fails."""
    create_uid = request.owner_uid if request.owner_uid is not None else -1
    create_gid = request.group_id if request.group_id is not None else (request.owner_entry.pw_gid if request.owner_entry else -1)
    with locate(plan.path, request.owner_uid, create_directories=(create_uid, create_gid)) as location:
        try:
            status = location.checked_file()
            uid, gid = _final_owner(request, status)
            location.check_owner(uid, '%s (to be owned by %s)' % (location.path, user_name(uid)))
            if request.fmt == TEMPLATE_FORMAT and request.state == 'absent':
                location.remove()
                return
            mode = request.mode_for(location.path, stat.S_IMODE(status.st_mode) if status else None, uid)
            if (uid, gid) == (os.geteuid(), os.getegid()):
                uid = gid = -1
            _atomic_write.replace_at(location.dir_fd, location.name, plan.after.encode('utf-8'), uid=uid, gid=gid, mode=mode)
        except BaseException:
            location.remove_created_directories()
            raise


def _set_attributes(request, plan, check_mode):
    """Owner, group and mode of an unchanged file, through its descriptor; returns the attribute diff or None."""
    with locate(plan.path, request.owner_uid) as location:
        fd = location.open_file()
        try:
            current = os.fstat(fd)
            uid, gid = _final_owner(request, current)
            location.check_owner(uid, '%s (to be owned by %s)' % (location.path, user_name(uid)))
            mode = request.mode_for(location.path, stat.S_IMODE(current.st_mode), uid)
            before = _attributes(current.st_uid, current.st_gid, stat.S_IMODE(current.st_mode))
            after = _attributes(uid, gid, mode)
            if before == after:
                if not check_mode:
                    # nothing to write, but a killed earlier write may have left a copy of the secrets next to the file
                    _atomic_write.remove_stale_temp_files_at(location.dir_fd, location.name)
                return None
            if not check_mode:
                # Narrow the mode before a new owner or group can see the file, widen (if asked) only after.
                os.fchmod(fd, stat.S_IMODE(current.st_mode) & mode)
                if (uid, gid) != (current.st_uid, current.st_gid):
                    os.fchown(fd, uid, gid)
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
    changed_keys = [key for key in before if before[key] != after[key]]
    return {'before_header': plan.path, 'after_header': plan.path,
            'before': dict((key, before[key]) for key in changed_keys), 'after': dict((key, after[key]) for key in changed_keys)}


def _check_mode_allowed(request, plan):
    uid, dummy = _final_owner(request, plan.status)
    current = stat.S_IMODE(plan.status.st_mode) if plan.status is not None else None
    problem = mode_problem(request.fmt, plan.path, request.mode_for(plan.path, current, uid))
    if problem:
        raise _Failure(problem)


def _apply(request, plans, check_mode):
    """Write (or, for unchanged content, fix the owner, group and mode of) the planned files: (changed, diffs)."""
    changed, diffs = False, []
    for plan in plans:
        if plan.content_changed:
            changed = True
            diffs.append({'before_header': plan.path, 'after_header': plan.path,
                          'before': request.redacted(plan.before), 'after': request.redacted(plan.after)})
            if not check_mode:
                _write(request, plan)
        elif plan.status is not None and request.state == 'present':
            attribute_diff = _set_attributes(request, plan, check_mode)
            if attribute_diff is not None:
                changed = True
                diffs.append(attribute_diff)
    return changed, diffs


def _planned(params):
    """(request, plans) of one file entry, every check made and nothing written; raises on the first problem."""
    request = _Request(params)
    plans = [_plan_file(request, path, params['force']) for path in request.paths]
    for plan in plans:
        _check_mode_allowed(request, plan)
    return request, plans


def _result(request, plans, changed):
    return {'changed': changed, 'path': plans[0].path, 'paths': [plan.path for plan in plans],
            'profile': request.spec.profile if request.spec else None, 'format': request.fmt}


def _error_message(exc, where):
    if isinstance(exc, (CredentialFileError, UnsafePathError, _Failure)):
        return str(exc)
    return 'cannot write %s: %s' % (exc.filename or where, exc.strerror or exc)


def run_credential_file(module):
    params = module.params
    if params['files'] is not None:
        return _run_credential_files(module)
    if params['format'] is None:
        module.fail_json(msg='one of format or files is required')
    plans = []
    try:
        request, plans = _planned(params)
        changed, diffs = _apply(request, plans, module.check_mode)
    except (CredentialFileError, UnsafePathError, _Failure, OSError) as exc:
        module.fail_json(msg=_error_message(exc, plans[0].path if plans else params['path']))
    result = _result(request, plans, changed)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


def _run_credential_files(module):
    """Several files in one run: one round trip to the host however many files it has. Every entry is checked and
    planned before any file is written, so bad input in one entry changes no file; each file is then written
    atomically, and a failure names the file and says which files were already written (RV(results))."""
    entries = module.params['files']
    planned = []
    for index, entry in enumerate(entries):
        try:
            planned.append(_planned(entry))
        except (CredentialFileError, UnsafePathError, _Failure, OSError) as exc:
            module.fail_json(msg='files[%d]: %s; no file was changed' % (index, _error_message(exc, entry['path'])))
    results, all_diffs = [], []
    for index, (entry, (request, plans)) in enumerate(zip(entries, planned)):
        try:
            changed, diffs = _apply(request, plans, module.check_mode)
        except (CredentialFileError, UnsafePathError, _Failure, OSError) as exc:
            written = [path for result in results if result['changed'] for path in result['paths']]
            module.fail_json(msg='files[%d]: %s; %s' % (index, _error_message(exc, plans[0].path), (
                'written before it: %s' % ', '.join(written)) if written else 'no file was changed before it'),
                results=results)
        results.append(dict(_result(request, plans, changed), item=entry['item']))
        all_diffs.extend(diffs)
    result = {'changed': any(result['changed'] for result in results), 'results': results}
    if module._diff:
        result['diff'] = all_diffs
    module.exit_json(**result)


# The options of credential_file that decide what a write would leave on disk, besides the key pair itself.
WRITE_OPTIONS = ('region', 'group', 'mode', 'force')


def _in_sync(read, found):
    """Whether credential_file with the key pair ``found`` and the options of ``read`` would leave every file as it is.

    Computed where the files are, from the same plan a write makes (content, owner, group and mode of each path,
    both files of format sdk included), so the controller can leave a host alone when its files already hold the key
    it is to hold. Nothing is written.
    """
    params = dict(read, access_key_id=found['access_key_id'], access_key_secret=found['access_key_secret'],
                  state='present', content=None)
    request = _Request(params)
    for path in request.paths:
        plan = _plan_file(request, path, bool(params['force']))
        if plan.content_changed or plan.status is None:
            return False
        uid, gid = _final_owner(request, plan.status)
        mode = request.mode_for(plan.path, stat.S_IMODE(plan.status.st_mode), uid)
        if (plan.status.st_uid, plan.status.st_gid, stat.S_IMODE(plan.status.st_mode)) != (uid, gid, mode):
            return False
    return True


def read_credential_file(read, return_secret):
    """What one file holds (credential_file_info's result for ``read``, a dict of its options); raises _Failure."""
    path = read['path']
    try:
        spec = build_spec(read['format'], read['profile'], extra=read['extra'], reading=True)
        path = resolve_paths(spec.fmt, read['path'], read['owner'])[0]
        owner_uid = _user_entry(read['owner']).pw_uid if read['owner'] is not None else None
        with locate(path, owner_uid) as location:
            path = location.path
            status = location.checked_file()
            text = _decode(location.read(), path) if status is not None else None
        found = read_profile(spec, text)
        in_sync = _in_sync(read, found) if found is not None and read.get('compare') else None
    except CredentialParseError as exc:
        raise _Failure('%s cannot be parsed as a %s file (%s)' % (path, read['format'], exc))
    except (CredentialFileError, UnsafePathError) as exc:
        raise _Failure(str(exc))
    except OSError as exc:
        raise _Failure('cannot read %s: %s' % (path, exc.strerror or exc))

    result = {'changed': False, 'path': path, 'profile': spec.profile, 'format': spec.fmt,
              'file_exists': text is not None, 'exists': found is not None}
    if text is not None:
        result['mode'] = '%04o' % stat.S_IMODE(status.st_mode)
        result['owner'] = _name_or_id(pwd.getpwuid, status.st_uid, 'pw_name')
        result['group'] = _group_name(status.st_gid)
    if found is not None:
        result['access_key_id'] = found['access_key_id']
        result['region'] = found['region']
        if return_secret:
            result['access_key_secret'] = found['access_key_secret']
    if in_sync is not None:
        result['in_sync'] = in_sync
    return result


def run_credential_file_info(module):
    params = module.params
    if params['files'] is None:
        if params['format'] is None:
            module.fail_json(msg='one of format or files is required')
        single = dict((name, params[name]) for name in ('format', 'path', 'profile', 'owner', 'extra'))
        single.update(dict.fromkeys(WRITE_OPTIONS), compare=False)
        try:
            module.exit_json(**read_credential_file(single, params['return_secret']))
        except _Failure as exc:
            module.fail_json(msg=str(exc))
    # Several files in one run: one round trip to the host however many files it has. Each result is what a loop
    # of single reads would register for its item (the item included); a file that cannot be read fails alone.
    results = []
    for read in params['files']:
        try:
            result = read_credential_file(read, params['return_secret'])
        except _Failure as exc:
            result = {'failed': True, 'msg': str(exc), 'changed': False}
        result['item'] = read['item']
        results.append(result)
    failed = [result for result in results if result.get('failed')]
    if failed:
        module.fail_json(msg='%d of %d credential files cannot be read: %s' % (len(failed), len(results), '; '.join(
            result['msg'] for result in failed)), results=results)
    module.exit_json(changed=False, results=results)
