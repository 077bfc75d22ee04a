# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every key the roles' tasks read from an entry of a list variable is an option of that entry in the role's argument
spec, so the spec never rejects what the tasks use (a per-entry ``region`` was read by write_files.yml and refused by the
spec) and a documented option is never silently ignored the other way round."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / 'roles'

# (role, task files, how the tasks name a key of one entry, entry points, the list option whose entries they read)
READS = [
    ('provision', 'tasks/*.yml', r'provision_entry\.([a-z_]+)', ('main', 'rotate', 'revoke'), 'provision_credentials'),
    ('credentials', 'tasks/main.yml', r'\bitem\.([a-z_]+)', ('main',), 'credentials_files'),
    ('credentials', 'tasks/read.yml', r'\bitem\.([a-z_]+)', ('read',), 'credentials_read_files'),
    ('credentials', 'tasks/read.yml', r'\bitem\.file\.([a-z_]+)', ('main',), 'credentials_files'),
]


def spec_options(role, entry_point, option):
    specs = yaml.safe_load((ROLES / role / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    return set(specs[entry_point]['options'][option]['options'])


@pytest.mark.parametrize('role, pattern, reference, entry_points, option', READS,
                         ids=['%s %s %s' % (row[0], row[1], row[4]) for row in READS])
def test_every_key_the_tasks_read_is_in_the_spec(role, pattern, reference, entry_points, option):
    """Fails if a task reads a key the spec does not have (checked: without region in provision_credentials'
    options, write_files.yml's provision_entry.region made this fail for main, rotate and revoke)."""
    text = '\n'.join(path.read_text() for path in sorted((ROLES / role).glob(pattern)))
    read = set(re.findall(reference, text))
    assert read, 'the pattern finds nothing: the test would pass whatever the tasks read'
    for entry_point in entry_points:
        missing = read - spec_options(role, entry_point, option)
        assert not missing, '%s %s reads %s of %s entries, which the spec of %s does not declare' % (
            role, pattern, sorted(missing), option, entry_point)
