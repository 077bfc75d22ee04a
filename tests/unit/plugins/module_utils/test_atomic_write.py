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

from ansible_collections.aliyun.ram.plugins.module_utils._atomic_write import atomic_write


def dead_pid():
    process = subprocess.Popen([sys.executable, '-c', 'pass'])  # pylint: disable=consider-using-with
    process.wait()
    return process.pid


def test_replaces_content_with_mode_set_before_writing(tmp_path):
    target = tmp_path / 'credentials'
    target.write_text('old')
    modes = []
    atomic_write(str(target), b'new', prepare=lambda temp: modes.append(stat.S_IMODE(os.stat(temp).st_mode)))
    assert target.read_text() == 'new' and modes == [0o600]
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

    def refuse(temp_path):
        raise SystemExit(1)

    with pytest.raises(SystemExit):
        atomic_write(str(target), b'new', prepare=refuse)
    assert target.read_text() == 'old' and sorted(os.listdir(tmp_path)) == ['credentials']
