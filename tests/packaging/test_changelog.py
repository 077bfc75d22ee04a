# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release procedure of docs/docsite/rst/guide_release.rst, rehearsed on a copy: the fragments in the
repository stay where they are."""

from __future__ import annotations

import yaml

from conftest import REPO_ROOT, copy_tree, run, tool


def fragment_entries(fragments_dir):
    entries = []
    for path in sorted(fragments_dir.glob('*.yml')):
        for section, items in (yaml.safe_load(path.read_text()) or {}).items():
            if section != 'trivial':
                entries.extend(items if isinstance(items, list) else [items])
    return entries


def test_release_consumes_the_fragments_of_a_copy_into_the_changelog(tmp_path):
    fragments = REPO_ROOT / 'changelogs' / 'fragments'
    before = sorted(p.name for p in fragments.iterdir())
    entries = fragment_entries(fragments)
    assert entries, 'no changelog fragment to release'

    copy = copy_tree(tmp_path / 'ansible_collections' / 'aliyun' / 'ram')
    env = {'ANSIBLE_COLLECTIONS_PATH': str(tmp_path), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false'}
    run([tool('antsibull-changelog'), 'lint'], cwd=str(copy), env=env)
    run([tool('antsibull-changelog'), 'release', '--version', '1.0.0', '--date', '2026-01-01'], cwd=str(copy), env=env)
    run([tool('antsibull-changelog'), 'generate'], cwd=str(copy), env=env)

    changelog = (copy / 'CHANGELOG.md').read_text()
    assert '## v1\\.0\\.0' in changelog
    # Each entry's first words appear (the Markdown writer escapes punctuation, so compare a plain prefix).
    for entry in entries:
        prefix = entry.split(' - ')[0]
        assert prefix in changelog.replace('\\', ''), prefix
    assert 'New Modules' in changelog and 'aliyun\\.ram\\.ram\\_user' in changelog
    release = yaml.safe_load((copy / 'changelogs' / 'changelog.yaml').read_text())['releases']['1.0.0']
    assert release['release_date'] == '2026-01-01'
    # keep_fragments is false: the copy's fragments are consumed, the repository's are untouched.
    assert not list((copy / 'changelogs' / 'fragments').glob('*.yml'))
    assert sorted(p.name for p in fragments.iterdir()) == before
