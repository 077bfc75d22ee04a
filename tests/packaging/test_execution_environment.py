# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Execution environment metadata: what ansible-builder finds in the collection, and the user-facing example."""

from __future__ import annotations

import re

import yaml
from packaging.specifiers import SpecifierSet

from conftest import REPO_ROOT, run, tool


def requirement_lines(text):
    """Requirement specifiers of a pip requirements text, without comments, blank lines and spaces."""
    lines = (line.split('#', 1)[0].strip() for line in text.splitlines())
    return [re.sub(r'\s+', '', line) for line in lines if line]


def requirement_name(spec):
    return re.split(r'[<>=!~;\[ ]', spec, maxsplit=1)[0].lower().replace('_', '-')


EE_REQUIREMENTS = requirement_lines((REPO_ROOT / 'meta' / 'ee-requirements.txt').read_text())


def test_collection_metadata_points_at_existing_files():
    meta = yaml.safe_load((REPO_ROOT / 'meta' / 'execution-environment.yml').read_text())
    assert meta['dependencies'] == {'python': 'meta/ee-requirements.txt', 'system': 'meta/ee-bindep.txt'}
    for rel in meta['dependencies'].values():
        assert (REPO_ROOT / rel).is_file(), rel
    # The SDKs the controller-side modules import, and no test or development tool.
    names = {requirement_name(spec) for spec in EE_REQUIREMENTS}
    assert {'alibabacloud-ram20150501', 'alibabacloud-sts20150401', 'alibabacloud-credentials'} <= names
    assert not names & {'pytest', 'ansible-core', 'ansible-lint', 'molecule', 'ansible-builder'}


def test_introspect_lists_the_collection_requirements(collection_copy):
    collections_dir = collection_copy.parents[2]
    out = run([tool('ansible-builder'), 'introspect', '--sanitize', str(collections_dir)])
    data = yaml.safe_load(out)
    python = [requirement_lines(entry)[0] for entry in data['python']]
    assert sorted(python) == sorted(EE_REQUIREMENTS)
    assert all(entry.endswith('# from collection aliyun.ram') for entry in data['python'])
    bindep = requirement_lines((REPO_ROOT / 'meta' / 'ee-bindep.txt').read_text())
    system = [entry.split('#', 1)[0].strip().replace(' ', '') for entry in data['system']]
    assert sorted(system) == sorted(bindep)


EXAMPLE = REPO_ROOT / 'docs' / 'execution-environment.yml'
# The Ansible community's execution environment base image (Fedora, dnf, Python 3.14, ansible-core and
# ansible-runner), tagged <ansible-core version>-<build>.
BASE_IMAGE = re.compile(r'^ghcr\.io/ansible-community/community-ee-base:(?P<core>[0-9]+\.[0-9]+\.[0-9]+)-[0-9]+$')


def test_example_names_a_real_base_image():
    ee = yaml.safe_load(EXAMPLE.read_text())
    name = ee['images']['base_image']['name']
    match = BASE_IMAGE.match(name)
    assert match, name
    # The image's own ansible-core is within the range the definition installs: the build keeps it as it is.
    assert SpecifierSet(ee['dependencies']['ansible_core']['package_pip'].replace('ansible-core', '', 1)).contains(
        match.group('core')), (name, ee['dependencies']['ansible_core'])
    # Full Fedora has dnf; microdnf is only in the minimal images.
    assert ee['options']['package_manager_path'] == '/usr/bin/dnf'


def test_guide_names_the_example_base_image():
    name = yaml.safe_load(EXAMPLE.read_text())['images']['base_image']['name']
    guide = (REPO_ROOT / 'docs' / 'docsite' / 'rst' / 'guide_execution_environment.rst').read_text()
    assert name in guide
    assert 'placeholder' not in guide and 'placeholder' not in EXAMPLE.read_text()


def test_example_definition_builds_a_context(tmp_path):
    ee = yaml.safe_load(EXAMPLE.read_text())
    assert ee['version'] == 3
    assert ee['images']['base_image']['name']
    assert {c['name'] for c in ee['dependencies']['galaxy']['collections']} >= {'aliyun.ram'}

    context = tmp_path / 'context'
    run([tool('ansible-builder'), 'create', '-f', str(EXAMPLE), '-c', str(context), '--output-filename',
         'Containerfile'], cwd=str(tmp_path))
    build = context / '_build'
    assert sorted(requirement_lines((build / 'requirements.txt').read_text())) == sorted(EE_REQUIREMENTS)
    galaxy = yaml.safe_load((build / 'requirements.yml').read_text())
    assert 'aliyun.ram' in [c['name'] for c in galaxy['collections']]
    containerfile = (context / 'Containerfile').read_text()
    # Every stage starts from the named base image, and the system packages go through its package manager.
    assert 'ARG EE_BASE_IMAGE="%s"\n' % ee['images']['base_image']['name'] in containerfile
    assert 'FROM $EE_BASE_IMAGE AS base\n' in containerfile
    assert 'ARG PKGMGR="%s"\n' % ee['options']['package_manager_path'] in containerfile
    assert ee['dependencies']['ansible_core']['package_pip'] in containerfile
    assert ee['dependencies']['ansible_runner']['package_pip'] in containerfile
