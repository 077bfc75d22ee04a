# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Reach a file as root without letting anybody else redirect the reach: a path walked with directory fds.

The credential files live in directories that belong to application users, and the module usually runs as
root. A path string is a promise that holds only at the moment it is looked up: the owner of any directory on
the way can swap an entry for a symbolic link (to /etc/shadow, to another user's credentials) between our
check and our write. So the path is walked once from ``/``, one component at a time, each directory opened
relative to its parent's file descriptor with ``O_NOFOLLOW``, and every later operation (read, create,
chown, chmod, rename, unlink, mkdir) is done relative to the held descriptor (``*at`` system calls). What the
descriptor names can no longer change under us.

The rule, the same as systemd's safe path resolution (``CHASE_SAFE``) and close to OpenSSH's StrictModes:

* A symbolic link is followed only when the link itself is owned by root and lies in a directory owned by
  root (system layout such as ``/bin -> usr/bin`` or ``/etc/alternatives``). Any other link, anywhere on the
  path including the file itself, stops the module before any change, naming the link and its owner.
* Ownership along the path may pass from root to one other user (the file's owner-to-be), never from one user
  to another and never from a user back to root: a user could replace anything in their own directory.
* A directory writable by group or others is refused unless it has the sticky bit (``/tmp``): its other
  writers could rename entries.
* An existing file must be a regular file with exactly one link (a hard link would let a file owned by
  somebody else be rewritten or handed over).

Dropping privileges to the owner for the write (``setfsuid``) was the alternative; it is Linux-only, needs
ctypes, and still leaves the parent-directory creation and the final ``chown`` to root, so the descriptor walk
is used everywhere instead.
"""

from __future__ import annotations

import os
import posixpath
import pwd
import stat

_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a fifo planted on the name must not hang the module; it is refused after fstat.
_FILE_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
_MAX_LINKS = 32
_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a fifo'), (stat.S_ISSOCK, 'a socket'),
          (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'), (stat.S_ISLNK, 'a symbolic link'))


class UnsafePathError(Exception):
    """The path cannot be used safely; the message names the component and why, and nothing was changed."""


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return 'uid %d' % uid


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def _components(path):
    return [part for part in posixpath.normpath(path).split('/') if part not in ('', '.')]


class Location:
    """The directory that holds one file, held open, and what the walk learnt on the way there.

    ``owner`` is the one non-root user the path belongs to (None while every component is root's).
    ``created`` lists the directories this walk made, so that a failed write can take them back.
    """

    def __init__(self, dir_fd, directory, name, owner, directory_owner):
        self.dir_fd = dir_fd
        self.directory = directory
        self.name = name
        self.owner = owner
        self.directory_owner = directory_owner
        self.created = []

    @property
    def path(self):
        return posixpath.join(self.directory, self.name)

    def close(self):
        for parent_fd, dummy in self.created:
            os.close(parent_fd)
        self.created = []
        if self.dir_fd is not None:
            os.close(self.dir_fd)
            self.dir_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def remove_created_directories(self):
        """Take back the directories this walk created (deepest first), if they are still empty."""
        for parent_fd, name in reversed(self.created):
            _remove_empty_directory(parent_fd, name)

    def check_owner(self, uid, what):
        """Apply the ownership rule to the file itself (existing, or about to be created with ``uid``)."""
        _check_transition(self.directory_owner, self.owner, uid, what)

    def lstat(self):
        """The file's own status without following a link, or None when there is no such file."""
        if self.dir_fd is None:
            return None
        try:
            return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def checked_file(self):
        """Status of the existing file after the rules (regular, one link, right owner); None when it is missing."""
        status = self.lstat()
        if status is None:
            return None
        self._check_file(status)
        return status

    def _check_file(self, status):
        if stat.S_ISLNK(status.st_mode):
            raise UnsafePathError('%s is a symbolic link owned by %s: not followed (only links owned by root in a '
                                  'directory owned by root are); replace it with the file itself'
                                  % (self.path, user_name(status.st_uid)))
        if not stat.S_ISREG(status.st_mode):
            raise UnsafePathError('%s is %s, not a credential file' % (self.path, _kind(status.st_mode)))
        if status.st_nlink != 1:
            raise UnsafePathError('%s has %d hard links: refusing to rewrite a file that is also reachable under another '
                                  'name' % (self.path, status.st_nlink))
        self.check_owner(status.st_uid, self.path)

    def open_file(self):
        """A read descriptor on the existing file, checked again through the descriptor (what we hold is what we checked)."""
        fd = os.open(self.name, _FILE_READ_FLAGS, dir_fd=self.dir_fd)
        try:
            self._check_file(os.fstat(fd))
        except BaseException:
            os.close(fd)
            raise
        return fd

    def read(self):
        """The file's bytes, or None when it does not exist."""
        if self.checked_file() is None:
            return None
        try:
            fd = self.open_file()
        except FileNotFoundError:
            return None
        chunks = []
        with os.fdopen(fd, 'rb') as handle:
            while True:
                chunk = handle.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b''.join(chunks)

    def remove(self):
        """Unlink the file (never what a link points to: links were refused above); False when there was none."""
        if self.checked_file() is None:
            return False
        os.unlink(self.name, dir_fd=self.dir_fd)
        os.fsync(self.dir_fd)
        return True


def _check_transition(parent_owner, bound_owner, uid, what):
    """Raise unless ``what`` owned by ``uid`` may sit under a directory of ``parent_owner`` on a path of ``bound_owner``."""
    if parent_owner != 0 and uid != parent_owner:
        raise UnsafePathError('%s is owned by %s but lies in a directory owned by %s, who could replace it: refusing to '
                              'use it (ownership on a path may only pass from root to one user)'
                              % (what, user_name(uid), user_name(parent_owner)))
    if uid != 0 and bound_owner is not None and uid != bound_owner:
        raise UnsafePathError('%s is owned by %s, expected root or %s' % (what, user_name(uid), user_name(bound_owner)))


def _check_directory_mode(status, what):
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not status.st_mode & stat.S_ISVTX:
        raise UnsafePathError('%s is writable by %s (mode %04o), who could redirect the path: refusing to use it'
                              % (what, 'others' if status.st_mode & stat.S_IWOTH else 'its group', stat.S_IMODE(status.st_mode)))


def locate(path, owner=None, create_directories=None):
    """Walk to the directory holding ``path`` under the rule above and return it as a :class:`Location`.

    ``owner``: the uid the file will belong to, when known; otherwise the path's first non-root owner is taken.
    ``create_directories``: ``(uid, gid)`` to create missing directories (mode 0700) through their parent's
    descriptor; without it a missing directory gives a Location whose ``dir_fd`` is None (the file cannot exist).
    """
    if not posixpath.isabs(path):
        raise UnsafePathError('%s is not an absolute path' % path)
    pending = _components(path)
    if not pending:
        raise UnsafePathError('%s names no file' % path)
    links = 0
    while True:
        restart = _walk(pending, owner, create_directories)
        if isinstance(restart, Location):
            return restart
        links += 1
        if links > _MAX_LINKS:
            raise UnsafePathError('%s: too many levels of symbolic links' % path)
        pending = restart


def _walk(components, owner, create_directories):
    """One pass from ``/``: a Location, or the components to walk again after following a root-owned link."""
    dir_fd = os.open('/', _DIRECTORY_FLAGS)
    directory = '/'
    created = []
    try:
        status = os.fstat(dir_fd)
        if status.st_uid != 0:
            raise UnsafePathError('/ is owned by %s, not root' % user_name(status.st_uid))
        directory_owner = 0
        for index, name in enumerate(components[:-1]):
            here = posixpath.join(directory, name)
            try:
                entry = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                if create_directories is None:
                    location = Location(None, posixpath.join(directory, *components[index:-1]), components[-1], owner, directory_owner)
                    os.close(dir_fd)
                    return location
                entry = None
            if entry is not None and stat.S_ISLNK(entry.st_mode):
                target = _trusted_link_target(dir_fd, name, entry, here, directory_owner)
                os.close(dir_fd)
                for parent_fd, dummy in created:
                    os.close(parent_fd)
                return _components(posixpath.join(directory, target, *components[index + 1:]))
            if entry is None:
                try:
                    child_fd = _make_directory(dir_fd, name, here, create_directories, directory_owner, owner)
                except FileExistsError:
                    # another writer (a parallel host's task on a shared filesystem, another run) made it since the
                    # stat: it is checked below like any existing entry, and a link or a file put there is refused
                    entry = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                else:
                    created.append((os.dup(dir_fd), name))
            if entry is not None:
                if not stat.S_ISDIR(entry.st_mode):
                    raise UnsafePathError('%s is %s, not a directory' % (here, _kind(entry.st_mode)))
                child_fd = os.open(name, _DIRECTORY_FLAGS, dir_fd=dir_fd)
            child = os.fstat(child_fd)
            try:
                _check_transition(directory_owner, owner, child.st_uid, here)
                _check_directory_mode(child, here)
            except BaseException:
                os.close(child_fd)
                raise
            if child.st_uid != 0:
                owner = child.st_uid
            directory_owner = child.st_uid
            os.close(dir_fd)
            dir_fd, directory = child_fd, here
        name = components[-1]
        try:
            entry = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            entry = None
        if entry is not None and stat.S_ISLNK(entry.st_mode):
            here = posixpath.join(directory, name)
            if entry.st_uid == 0 and os.fstat(dir_fd).st_uid == 0:
                target = os.readlink(name, dir_fd=dir_fd)
                os.close(dir_fd)
                for parent_fd, dummy in created:
                    os.close(parent_fd)
                return _components(posixpath.join(directory, target))
        location = Location(dir_fd, directory, name, owner, directory_owner)
        location.created = created
        return location
    except BaseException:
        for parent_fd, child_name in reversed(created):
            _remove_empty_directory(parent_fd, child_name)
            os.close(parent_fd)
        if dir_fd is not None:
            try:
                os.close(dir_fd)
            except OSError:
                pass
        raise


def _trusted_link_target(dir_fd, name, entry, here, directory_owner):
    if entry.st_uid != 0 or directory_owner != 0:
        raise UnsafePathError('%s is a symbolic link owned by %s in a directory owned by %s: not followed (only links '
                              'owned by root in a directory owned by root are); use the real path'
                              % (here, user_name(entry.st_uid), user_name(directory_owner)))
    return os.readlink(name, dir_fd=dir_fd)


def _make_directory(dir_fd, name, here, create_directories, directory_owner, owner):
    """mkdir relative to the parent's descriptor, then chown/chmod through the new directory's own descriptor."""
    uid, gid = create_directories
    _check_transition(directory_owner, owner, uid if uid != -1 else os.geteuid(), here)
    os.mkdir(name, 0o700, dir_fd=dir_fd)
    # If the parent's owner swapped the new directory for a link meanwhile, O_NOFOLLOW fails here: nothing is chowned.
    try:
        child_fd = os.open(name, _DIRECTORY_FLAGS, dir_fd=dir_fd)
    except BaseException:
        _remove_empty_directory(dir_fd, name)
        raise
    try:
        if uid != -1 or gid != -1:
            os.fchown(child_fd, uid, gid)
        os.fchmod(child_fd, 0o700)
    except BaseException:
        os.close(child_fd)
        _remove_empty_directory(dir_fd, name)
        raise
    return child_fd


def _remove_empty_directory(dir_fd, name):
    """rmdir relative to the parent: removes our own empty directory, never a link planted in its place."""
    try:
        os.rmdir(name, dir_fd=dir_fd)
    except OSError:
        pass
