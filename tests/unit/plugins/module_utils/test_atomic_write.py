# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._atomic_write import atomic_write, replace_at


def dead_pid():
    process = subprocess.Popen([sys.executable, '-c', 'pass'])  # pylint: disable=consider-using-with
    process.wait()
    return process.pid


def test_replaces_content_with_mode_set_before_writing(tmp_path):
    target = tmp_path / 'credentials'
    target.write_text('old')
    target.chmod(0o644)
    seen = []

    def prepare(fd):
        seen.append((stat.S_IMODE(os.fstat(fd).st_mode), os.fstat(fd).st_size))

    dir_fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        replace_at(dir_fd, 'credentials', b'new', mode=0o640, prepare=prepare)
    finally:
        os.close(dir_fd)
    assert target.read_text() == 'new' and seen == [(0o640, 0)] and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ['credentials']


def test_a_link_on_the_target_name_is_replaced_not_written_through(tmp_path):
    """Breakage that makes it fail: opening the target by name for writing (following the link) changes the victim."""
    victim = tmp_path / 'victim'
    victim.write_text('keep')
    (tmp_path / 'credentials').symlink_to(victim)
    atomic_write(str(tmp_path / 'credentials'), b'new')
    assert victim.read_text() == 'keep' and not (tmp_path / 'credentials').is_symlink()
    assert (tmp_path / 'credentials').read_text() == 'new'


def test_a_directory_on_the_target_name_fails_and_leaves_no_temp_file(tmp_path):
    (tmp_path / 'credentials').mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(str(tmp_path / 'credentials'), b'new')
    assert sorted(os.listdir(tmp_path)) == ['credentials']


def test_temp_files_of_dead_writers_go_and_those_of_live_ones_stay(tmp_path):
    target = tmp_path / 'credentials'
    stale = tmp_path / ('.credentials.%d.abc123.tmp' % dead_pid())
    live = tmp_path / ('.credentials.%d.def456.tmp' % os.getppid())
    unrelated = tmp_path / '.other.1.xyz.tmp'
    for path in (stale, live, unrelated):
        path.write_text('copy of a secret')
    atomic_write(str(target), b'new')
    assert not stale.exists() and live.exists() and unrelated.exists()


def test_failure_while_preparing_leaves_no_temp_file_and_the_old_content(tmp_path):
    target = tmp_path / 'credentials'
    target.write_text('old')

    def refuse(fd):
        raise SystemExit(1)

    dir_fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(SystemExit):
            replace_at(dir_fd, 'credentials', b'new', prepare=refuse)
    finally:
        os.close(dir_fd)
    assert target.read_text() == 'old' and sorted(os.listdir(tmp_path)) == ['credentials']
