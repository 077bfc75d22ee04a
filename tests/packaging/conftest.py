# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures of the packaging tests: the tools of the running virtualenv and a clean copy of the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections import namedtuple
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
Artifact = namedtuple('Artifact', ['path', 'names'])


def tool(name):
    """A console script of the virtualenv running the tests (ansible-galaxy, ansible-builder, ...)."""
    path = BIN_DIR / name
    if not path.exists():
        pytest.fail('%s is not installed in %s (see requirements-dev.txt)' % (name, BIN_DIR))
    return str(path)


def run(args, cwd=None, env=None):
    """Run a command and return its standard output; fail the test with both outputs when it fails."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(args, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        command = ' '.join(str(a) for a in args)
        pytest.fail('%s exited %d:\n%s\n%s' % (command, proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout


def copy_tree(dest):
    """Copy what git tracks or would track (not ignored files) to dest, as a fresh clone would have it."""
    listing = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                             cwd=str(REPO_ROOT), stdout=subprocess.PIPE, check=True).stdout
    for rel in filter(None, listing.decode('utf-8').split('\0')):
        source = REPO_ROOT / rel
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(str(source), str(target))
    return dest


@pytest.fixture(scope='session')
def collection_copy(tmp_path_factory):
    """A clean copy of the collection at .../ansible_collections/aliyun/ram (read-only use: do not modify)."""
    return copy_tree(tmp_path_factory.mktemp('copy') / 'ansible_collections' / 'aliyun' / 'ram')


# Files a working tree accumulates that must never reach the Galaxy artifact, planted into the build copy.
STRAY_FILES = [
    '.venv/bin/python',
    '.venv-2.16/bin/python',
    '.cache/collections/marker',
    '.ci/run.log',
    '.pytest_cache/README.md',
    'tests/output/junit/results.xml',
    'tests/integration/integration_config.yml',
    'benchmarks/results/run.json',
    'emulator/state/state.json',
    'emulator/root.env',
    'emulator/admin.env',
    'emulator/admin.token',
    'admin.token',
    'root.env',
    'demo.state.json',
    'demo.state.json.events',
    'plugins/modules/__pycache__/ram_user.cpython-312.pyc',
    'emulator/ram_emulator.egg-info/PKG-INFO',
    'aliyun-ram-0.9.0.tar.gz',
]


@pytest.fixture(scope='session')
def collection_tarball(tmp_path_factory):
    """The artifact built from a clean copy plus STRAY_FILES: .path, and .names of its members."""
    src = copy_tree(tmp_path_factory.mktemp('build-src') / 'ram')
    for rel in STRAY_FILES:
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('stray\n')
    out = tmp_path_factory.mktemp('dist')
    run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(src)])
    tarballs = sorted(out.glob('aliyun-ram-*.tar.gz'))
    assert len(tarballs) == 1, tarballs
    with tarfile.open(str(tarballs[0])) as tar:
        names = tar.getnames()
    return Artifact(tarballs[0], names)
