# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Replace a file that holds secrets atomically: readers see the old or the new content, never a part.

Everything works relative to a directory file descriptor (``*_at`` functions): once the caller holds the
directory, nobody can redirect the temp file, the rename or the clean-up to another place by swapping a path
component for a symbolic link. Standard library only: used on target hosts (credential_file) and on the
controller (secret store).
"""

from __future__ import annotations

import os
import re
import secrets

_TEMP_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)
_TEMP_NAME_TRIES = 8


def _temp_prefix(name, pid):
    return '.%s.%d.' % (name, pid)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files_at(dir_fd, name):
    """Remove temp files of earlier writes to ``name`` whose process is gone (killed between creation and rename).

    They hold a copy of the secrets, so they must not pile up. A temp file of a writer that still runs (its
    pid is in the name) is left alone. ``unlink`` relative to the directory fd removes a planted symbolic link
    itself, never what it points to.
    """
    pattern = re.compile(r'^\.%s\.(\d+)\.[^.]+\.tmp\Z' % re.escape(name))
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return
    for entry in names:
        match = pattern.match(entry)
        if match and not _pid_alive(int(match.group(1))):
            try:
                os.unlink(entry, dir_fd=dir_fd)
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                pass


def _create_temp_at(dir_fd, name):
    for dummy in range(_TEMP_NAME_TRIES):
        temp_name = '%s%s.tmp' % (_temp_prefix(name, os.getpid()), secrets.token_hex(4))
        try:
            return os.open(temp_name, _TEMP_OPEN_FLAGS, 0o600, dir_fd=dir_fd), temp_name
        except FileExistsError:
            # Something already stands on a random name (planted file, directory or fifo): never reuse it.
            continue
    raise OSError(17, 'no free temporary file name next to %s' % name)


def replace_at(dir_fd, name, data, uid=-1, gid=-1, mode=0o600, prepare=None):
    """Write ``data`` (bytes) to ``name`` in the directory ``dir_fd`` through a temp file, then rename it over ``name``.

    The temp file is created exclusively (``O_EXCL|O_NOFOLLOW``, 0600), gets its final owner and mode through its
    file descriptor before any byte goes in, and is removed on any failure, even SystemExit. ``prepare(fd)``, if
    given, runs on the still empty temp file. A directory standing on ``name`` makes the rename fail
    (IsADirectoryError): nothing is replaced.
    """
    remove_stale_temp_files_at(dir_fd, name)
    fd, temp_name = _create_temp_at(dir_fd, name)
    try:
        with os.fdopen(fd, 'wb') as handle:
            if uid != -1 or gid != -1:
                os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), mode)
            if prepare is not None:
                prepare(handle.fileno())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp_name, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temp_name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        raise
    os.fsync(dir_fd)


def atomic_write(path, data, mode=0o600):
    """``replace_at`` for a path on the controller (the secret store): the directory is opened once, then held."""
    directory = os.path.dirname(path) or '.'
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | getattr(os, 'O_CLOEXEC', 0))
    try:
        replace_at(dir_fd, os.path.basename(path), data, mode=mode)
    finally:
        os.close(dir_fd)
