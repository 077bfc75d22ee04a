# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller requirements are stated in three places for three readers (pip and ansible-builder read
meta/ee-requirements.txt, the example execution environment lists them again, ansible-doc shows the modules'
requirements): they must name the same packages with the same minimums, and every package the collection's Python
imports directly must be among them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def ee_requirements():
    lines = [line.strip() for line in (ROOT / 'meta' / 'ee-requirements.txt').read_text().splitlines()]
    return [line for line in lines if line and not line.startswith('#')]


def minimums(specs):
    """{package: minimum version} of pip specifiers such as ``name>=1.2,<2`` or ``name >= 1.2 (why)``."""
    found = {}
    for spec in specs:
        match = re.match(r'([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)', spec)
        assert match, 'no minimum version in %r' % spec
        found[match.group(1).lower()] = match.group(2)
    return found


def test_the_execution_environment_example_lists_the_same_requirements():
    example = yaml.safe_load((ROOT / 'docs' / 'execution-environment.yml').read_text())
    assert example['dependencies']['python'] == ee_requirements()


def test_the_module_docs_state_the_same_minimums():
    """Fails when the docs promise an older SDK than the one the collection installs (checked: the fragment said
    alibabacloud-ram20150501 >= 1.2.0 while meta/ee-requirements.txt required 1.3.0, and named no tea-openapi)."""
    fragment = (ROOT / 'plugins' / 'doc_fragments' / 'auth.py').read_text()
    documented = yaml.safe_load(re.search(r"DOCUMENTATION = r'''(.*?)'''", fragment, re.S).group(1))['requirements']
    assert minimums(documented) == minimums(ee_requirements())


def test_every_package_imported_directly_is_declared():
    imported = set()
    for path in (ROOT / 'plugins').rglob('*.py'):
        imported.update(re.findall(r'^\s*(?:from|import)\s+(alibabacloud_[a-z0-9_]+|darabonba|Tea)\b', path.read_text(), re.M))
    declared = set(name.replace('-', '_') for name in minimums(ee_requirements()))
    distribution = {'darabonba': 'darabonba_core', 'Tea': 'alibabacloud_tea'}
    missing = sorted(name for name in imported if distribution.get(name, name) not in declared)
    assert not missing, missing
