# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Galaxy's own importer (galaxy-importer) on the built artifact, with its ansible-lint step: what Galaxy would
refuse or flag on upload fails here first. Configured by tests/packaging/galaxy-importer.cfg (no ansible-test in
a container: there is no container engine)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import BIN_DIR, REPO_ROOT, copy_tree, run, tool

IMPORTER_CONFIG = REPO_ROOT / 'tests' / 'packaging' / 'galaxy-importer.cfg'
LINT_START = 'Linting collection via ansible-lint'
LINT_END = '...ansible-lint run complete'
SUCCESS = 'Importer processing completed successfully'


class Import(object):
    def __init__(self, returncode, lines):
        self.returncode = returncode
        self.lines = lines

    @property
    def errors(self):
        return [line for line in self.lines if line.startswith(('ERROR:', 'CRITICAL:'))]

    @property
    def lint_ran(self):
        return any(line.startswith(LINT_START) for line in self.lines) and LINT_END in self.lines

    @property
    def lint_findings(self):
        """What the importer's ansible-lint reported (Galaxy shows these as warnings on the collection's page)."""
        findings, inside = [], False
        for line in self.lines:
            if line.startswith(LINT_START):
                inside = True
            elif line == LINT_END:
                inside = False
            elif inside and line.startswith('WARNING:'):
                findings.append(line)
        return findings

    def __repr__(self):
        return 'galaxy-importer exited %d:\n%s' % (self.returncode, '\n'.join(self.lines))


def build(src, out, pattern='aliyun-ram-*.tar.gz'):
    run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(src)])
    tarballs = sorted(out.glob(pattern))
    assert len(tarballs) == 1, tarballs
    return tarballs[0]


def import_artifact(tarball, workdir):
    """Run galaxy-importer on tarball as Galaxy does, with this virtualenv's ansible-doc and ansible-lint."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('ANSIBLE_', 'GALAXY_IMPORTER_'))}
    env.update({
        'PATH': '%s%s%s' % (BIN_DIR, os.pathsep, env.get('PATH', '')),
        'GALAXY_IMPORTER_CONFIG': str(IMPORTER_CONFIG),
        # Galaxy-importer's own temporary directories, inside this test's.
        'GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP': str(workdir / 'ansible-tmp'),
        'GALAXY_IMPORTER_TMP_ROOT_DIR': str(workdir),
        'HOME': str(workdir),
    })
    # cwd: the importer writes importer_result.json into it.
    proc = subprocess.run([sys.executable, '-m', 'galaxy_importer.main', str(tarball)], cwd=str(workdir), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    return Import(proc.returncode, [line.rstrip() for line in proc.stdout.splitlines()])


@pytest.fixture(scope='module')
def clean_import(collection_tarball, tmp_path_factory):
    return import_artifact(collection_tarball.path, tmp_path_factory.mktemp('importer'))


def test_importer_accepts_the_artifact(clean_import):
    assert clean_import.returncode == 0, clean_import
    assert not clean_import.errors, clean_import
    assert SUCCESS in clean_import.lines, clean_import


def test_importer_lint_step_ran_and_found_nothing(clean_import):
    assert clean_import.lint_ran, clean_import
    assert not any('ansible-lint not found' in line for line in clean_import.lines), clean_import
    assert not clean_import.lint_findings, clean_import


def test_importer_found_the_content(clean_import):
    for line in ('Loading module ram_user', 'Loading role credentials', 'Loading role provision',
                 'Loading playbook provision.yml', 'Loading module actiontrail_event_info',
                 'Loading eda/plugins/event_source access_keys'):
        assert line in clean_import.lines, clean_import


def _long_author(root):
    galaxy = root / 'galaxy.yml'
    text = galaxy.read_text()
    author = '  - aliyun.ram contributors (@aliyun-ram)\n'
    assert author in text
    galaxy.write_text(text.replace(author, '  - %s\n' % ('a' * 65)))


def _role_without_readme(root):
    (root / 'roles' / 'credentials' / 'README.md').unlink()


@pytest.mark.parametrize('breakage, message', [
    (_long_author, "Each author in 'authors' list must not be greater than 64 characters"),
    (_role_without_readme, 'No role readme found'),
], ids=['author-of-65-characters', 'role-without-readme'])
def test_importer_rejects_a_broken_copy(tmp_path, breakage, message):
    src = copy_tree(tmp_path / 'src' / 'ram')
    breakage(src)
    result = import_artifact(build(src, tmp_path / 'dist'), tmp_path / 'importer')
    assert result.returncode != 0, result
    assert SUCCESS not in result.lines, result
    assert [line for line in result.errors if message in line], result


TINY_COLLECTION = {
    'galaxy.yml': 'namespace: lintcheck\nname: tiny\nversion: 1.0.0\nreadme: README.md\nauthors: [lintcheck]\n'
                  'description: A collection with one lint finding.\nlicense: [GPL-3.0-or-later]\ntags: [tools]\n'
                  'repository: https://example.invalid/tiny\n',
    'README.md': '# lintcheck.tiny\n',
    'meta/runtime.yml': "---\nrequires_ansible: '>=2.16.0'\n",
    'roles/demo/README.md': '# demo\n',
    'roles/demo/meta/main.yml': '---\ngalaxy_info:\n  author: lintcheck\n  description: demo\n  license: GPL-3.0-or-later\n'
                                "  min_ansible_version: '2.16'\n  platforms: [{name: Debian, versions: [all]}]\n",
    # a task without a name: production-profile ansible-lint flags it (name[missing])
    'roles/demo/tasks/main.yml': '---\n- ansible.builtin.debug:\n    msg: unnamed\n',
}


def test_importer_lint_findings_are_caught(tmp_path):
    """The lint section is read right: a finding there fails test_importer_lint_step_ran_and_found_nothing. Shown on
    a one-role collection, so this costs one small lint run, not a second lint of the whole collection."""
    src = tmp_path / 'src' / 'tiny'
    for rel, text in TINY_COLLECTION.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    result = import_artifact(build(src, tmp_path / 'dist', 'lintcheck-tiny-*.tar.gz'), tmp_path / 'importer')
    assert result.lint_ran, result
    assert [line for line in result.lint_findings if 'name[missing]' in line], result
