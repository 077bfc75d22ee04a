# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Replace a file that holds secrets atomically: readers see the old or the new content, never a part.

Standard library only: used on target hosts (credential_file) and on the controller (secret store).
"""

from __future__ import annotations

import os
import re
import tempfile


def _temp_prefix(path, pid):
    return '.%s.%d.' % (os.path.basename(path), pid)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(path):
    """Remove temp files of earlier writes to ``path`` whose process is gone (killed between mkstemp and rename).

    They hold a copy of the secrets, so they must not pile up. A temp file of a writer that still runs (its
    pid is in the name) is left alone.
    """
    directory = os.path.dirname(path) or '.'
    pattern = re.compile(r'^\.%s\.(\d+)\.[^.]+\.tmp$' % re.escape(os.path.basename(path)))
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match and not _pid_alive(int(match.group(1))):
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass


def atomic_write(path, data, prepare=None):
    """Write ``data`` (bytes) to ``path`` through a temp file in the same directory, then rename it over ``path``.

    ``prepare(temp_path)`` runs while the temp file is still empty (mkstemp makes it 0600), to give it its final
    owner and mode before any byte goes in. The temp file is removed on any failure, even SystemExit.
    """
    directory = os.path.dirname(path) or '.'
    remove_stale_temp_files(path)
    fd, temp_path = tempfile.mkstemp(prefix=_temp_prefix(path, os.getpid()), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            if prepare is not None:
                prepare(temp_path)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
