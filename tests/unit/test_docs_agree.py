# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the guides say about the collection's shape matches the collection."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / 'docs' / 'docsite' / 'rst'


def test_the_auth_guide_names_every_module_of_the_action_group():
    """Fails when a module joins group/aliyun.ram.ram and the guide that explains the shared options forgets it
    (checked: the guide named five of the seven, not ram_users or ram_access_keys)."""
    group = yaml.safe_load((ROOT / 'meta' / 'runtime.yml').read_text())['action_groups']['ram']
    guide = (GUIDES / 'guide_auth.rst').read_text()
    missing = [name for name in group if ':ansplugin:`aliyun.ram.%s#module`' % name not in guide]
    assert not missing, missing


def test_no_guide_promises_what_is_not_there():
    words = ('upcoming', 'what exists today', 'not yet implemented', 'coming soon')
    found = [(path.name, word) for path in sorted(GUIDES.glob('*.rst')) for word in words
             if word in path.read_text().lower()]
    assert not found, found


def test_the_awx_survey_asks_for_documented_role_options_only():
    """Every survey variable is an option of the provision role's rotate entry point and is described in the
    playbooks guide, so the survey cannot drift from what the playbook reads."""
    import json  # pylint: disable=import-outside-toplevel
    survey = json.loads((ROOT / 'extensions' / 'awx' / 'survey_rotate.json').read_text())
    specs = yaml.safe_load((ROOT / 'roles' / 'provision' / 'meta' / 'argument_specs.yml').read_text())['argument_specs']
    guide = (GUIDES / 'guide_playbooks.rst').read_text()
    for question in survey['spec']:
        assert question['variable'] in specs['rotate']['options'], question['variable']
        assert '``%s``' % question['variable'] in guide, question['variable']


def test_the_playbooks_guide_describes_every_variable_a_playbook_header_names():
    import re  # pylint: disable=import-outside-toplevel
    guide = (GUIDES / 'guide_playbooks.rst').read_text()
    named = set()
    for path in (ROOT / 'playbooks').glob('*.yml'):
        header = ''.join(line for line in path.read_text().splitlines(True) if line.startswith('#'))
        named.update(re.findall(r'\b((?:provision|audit)_[a-z_]+|aliyun_ram_hosts)\b', header))
    missing = sorted(name for name in named if '``%s``' % name not in guide)
    assert not missing, missing
