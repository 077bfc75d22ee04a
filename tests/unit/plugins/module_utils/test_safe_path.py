# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The descriptor walk that keeps root's writes inside the path it was given (runs as root: it hands files to other uids).

The full attack table with a real unprivileged user and the real modules is in tests/security; these tests pin
each rule of _safe_path on its own, with a foreign uid that needs no account.
"""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _atomic_write, _safe_path
from ansible_collections.aliyun.ram.plugins.module_utils._safe_path import UnsafePathError, locate

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='needs root to own files as other uids')

USER = 54321
OTHER = 54322


def snapshot(path):
    status = os.lstat(path)
    content = open(path, 'rb').read() if stat.S_ISREG(status.st_mode) else None
    return (content, status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode), status.st_ino, status.st_nlink)


@pytest.fixture
def home(tmp_path):
    """A user's home under a root-owned tree, and a root-owned victim file beside it."""
    directory = tmp_path / 'home'
    directory.mkdir(mode=0o700)
    os.chown(directory, USER, USER)
    victim = tmp_path / 'victim'
    victim.write_text('root:$y$h:19000:0:99999:7:::\n')
    victim.chmod(0o640)
    return directory, victim


def user_link(link, target, uid=USER):
    os.symlink(str(target), str(link))
    os.lchown(str(link), uid, uid)


def write(path, data=b'new', owner=USER):
    """What credential_file does: walk (creating directories), check the existing file and the new owner, replace."""
    with locate(str(path), owner, create_directories=(owner, owner)) as location:
        location.checked_file()
        location.check_owner(owner, location.path)
        _atomic_write.replace_at(location.dir_fd, location.name, data, uid=owner, gid=owner, mode=0o600)
        return location.path


def test_a_users_link_at_the_file_is_refused_and_the_target_untouched(home):
    directory, victim = home
    before = snapshot(victim)
    user_link(directory / 'cred', victim)
    with pytest.raises(UnsafePathError, match=r'cred is a symbolic link owned by .*not followed'):
        write(directory / 'cred')
    assert snapshot(victim) == before


def test_a_dangling_user_link_creates_nothing(home, tmp_path):
    """Breakage that makes it fail: following the final link (os.open without O_NOFOLLOW) creates tmp_path/made."""
    directory, dummy = home
    user_link(directory / 'cred', tmp_path / 'made')
    with pytest.raises(UnsafePathError):
        write(directory / 'cred')
    assert not (tmp_path / 'made').exists()


def test_a_users_link_as_a_parent_directory_is_refused(home, tmp_path):
    directory, dummy = home
    target = tmp_path / 'etc-somedir'
    target.mkdir()
    user_link(directory / '.aliyun', target)
    with pytest.raises(UnsafePathError, match=r'\.aliyun is a symbolic link owned by'):
        write(directory / '.aliyun' / 'config.json')
    assert os.listdir(target) == []


def test_a_root_link_in_a_root_directory_is_followed(tmp_path):
    real = tmp_path / 'usr-bin'
    real.mkdir()
    os.symlink('usr-bin', str(tmp_path / 'bin'))
    assert write(tmp_path / 'bin' / 'cred', owner=0) == str(real / 'cred')
    assert (real / 'cred').read_bytes() == b'new' and (tmp_path / 'bin').is_symlink()


def test_a_root_link_inside_a_users_directory_is_not_followed(home, tmp_path):
    """The user could have replaced it: only links in root's directories count as system layout."""
    directory, victim = home
    os.symlink(str(victim), str(directory / 'cred'))
    before = snapshot(victim)
    with pytest.raises(UnsafePathError):
        write(directory / 'cred')
    assert snapshot(victim) == before


def test_ownership_never_passes_from_one_user_to_another(home):
    directory, dummy = home
    foreign = directory / 'bobs'
    foreign.mkdir(mode=0o700)
    os.chown(foreign, OTHER, OTHER)
    with pytest.raises(UnsafePathError, match='owned by .* but lies in a directory owned by'):
        write(foreign / 'cred')
    assert os.listdir(foreign) == []


def test_a_root_file_in_a_users_directory_is_refused(home):
    directory, dummy = home
    (directory / 'cred').write_text('old')
    with pytest.raises(UnsafePathError, match='owned by root but lies in a directory owned by'):
        write(directory / 'cred')
    assert (directory / 'cred').read_text() == 'old'


def test_a_group_writable_directory_is_refused_a_sticky_one_is_not(tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o775)
    with pytest.raises(UnsafePathError, match='writable by its group'):
        write(shared / 'cred', owner=0)
    shared.chmod(0o1777)
    write(shared / 'cred', owner=0)
    assert (shared / 'cred').read_bytes() == b'new'


def test_a_hard_link_is_refused(home):
    directory, victim = home
    os.link(str(victim), str(directory / 'cred'))
    before = snapshot(victim)
    with pytest.raises(UnsafePathError, match='2 hard links'):
        write(directory / 'cred')
    assert snapshot(victim) == before


@pytest.mark.parametrize('kind', ['fifo', 'directory'])
def test_a_fifo_or_directory_on_the_name_is_a_clear_error(tmp_path, kind):
    target = tmp_path / 'cred'
    if kind == 'fifo':
        os.mkfifo(str(target))
    else:
        target.mkdir()
    with locate(str(target), 0) as location:
        with pytest.raises(UnsafePathError, match='is a %s, not a credential file' % kind):
            location.read()
    assert sorted(os.listdir(tmp_path)) == ['cred']


def test_missing_directories_are_created_for_the_owner_and_taken_back_on_failure(home):
    directory, dummy = home
    path = directory / 'a' / 'b' / 'cred'
    write(path)
    for created in (directory / 'a', directory / 'a' / 'b'):
        status = os.stat(created)
        assert (status.st_uid, stat.S_IMODE(status.st_mode)) == (USER, 0o700)
    with locate(str(directory / 'c' / 'd' / 'cred'), USER, create_directories=(USER, USER)) as location:
        location.remove_created_directories()
    assert not (directory / 'c').exists()


def test_a_directory_swapped_for_a_link_after_mkdir_is_not_chowned(home, tmp_path, monkeypatch):
    """The race of the issue, made deterministic: the swap lands between mkdir and the chown.

    Breakage that makes it fail: chown/chmod by path after mkdir (the old _make_parents) hands tmp_path/target to USER.
    """
    directory, dummy = home
    target = tmp_path / 'target'
    target.mkdir(mode=0o755)
    before = snapshot(target)
    real_mkdir = os.mkdir

    def mkdir_then_swap(name, mode=0o777, *, dir_fd=None):
        real_mkdir(name, mode, dir_fd=dir_fd)
        os.rmdir(name, dir_fd=dir_fd)
        os.symlink(str(target), name, dir_fd=dir_fd)

    monkeypatch.setattr(os, 'mkdir', mkdir_then_swap)
    with pytest.raises(OSError):
        write(directory / 'new' / 'cred')
    monkeypatch.undo()
    assert snapshot(target) == before and os.listdir(target) == []


def test_a_directory_another_writer_makes_first_is_used_and_a_link_in_its_place_refused(home, tmp_path, monkeypatch):
    """Two hosts' tasks on one filesystem (or two runs) create the same parent at once: the one whose mkdir finds it
    made checks it like any existing directory, and a link planted there instead is refused, its target untouched."""
    directory, dummy = home
    real_mkdir = os.mkdir

    def made_by_another_writer(name, mode=0o777, *, dir_fd=None):
        real_mkdir(name, 0o700, dir_fd=dir_fd)
        os.chown(name, USER, USER, dir_fd=dir_fd)
        real_mkdir(name, mode, dir_fd=dir_fd)      # FileExistsError, as the loser of the race gets it

    monkeypatch.setattr(os, 'mkdir', made_by_another_writer)
    write(directory / 'shared' / 'cred')
    monkeypatch.undo()
    assert (directory / 'shared' / 'cred').read_bytes() == b'new'

    target = tmp_path / 'target'
    target.mkdir(mode=0o755)
    before = snapshot(target)

    def link_made_by_another_writer(name, mode=0o777, *, dir_fd=None):
        os.symlink(str(target), name, dir_fd=dir_fd)
        real_mkdir(name, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, 'mkdir', link_made_by_another_writer)
    with pytest.raises(UnsafePathError, match='not a directory'):
        write(directory / 'linked' / 'cred')
    monkeypatch.undo()
    assert snapshot(target) == before and os.listdir(target) == []


def test_a_file_owner_must_be_the_paths_owner(home):
    directory, dummy = home
    with pytest.raises(UnsafePathError, match='expected root or'):
        write(directory / 'cred', owner=OTHER)
    assert os.listdir(directory) == []


def test_user_name_of_an_unknown_uid():
    assert _safe_path.user_name(98765) == 'uid 98765'
