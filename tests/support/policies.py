# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The least-privilege policy as the AWX guide documents it, and a controller identity that has exactly it."""

from __future__ import annotations

import json
import textwrap

from tests.support.playbook import REPO_ROOT

GUIDE = REPO_ROOT / 'docs' / 'docsite' / 'rst' / 'guide_awx.rst'


def documented_policy():
    """The least-privilege policy of the AWX guide (its JSON code block after the KMS store section's heading)."""
    text = GUIDE.read_text()
    section = text[text.index('The KMS secret store\n'):]
    block = section[section.index('.. code-block:: json'):].split('\n\n', 2)[1]
    return json.loads(textwrap.dedent(block))


def without_action(policy, action):
    """``policy`` with ``action`` taken out of every statement (a statement left with no action is dropped)."""
    statements = []
    for statement in policy['Statement']:
        actions = statement['Action'] if isinstance(statement['Action'], list) else [statement['Action']]
        kept = [name for name in actions if name != action]
        if kept:
            statements.append(dict(statement, Action=kept))
    return dict(policy, Statement=statements)


def controller_with_policy(emu, name, document):
    """A RAM user with exactly ``document`` as its only policy, and its key as the runs' credentials."""
    from alibabacloud_ram20150501 import models as ram  # pylint: disable=import-outside-toplevel
    root = emu.ram_client('root')
    root.create_policy(ram.CreatePolicyRequest(policy_name=name, policy_document=json.dumps(document)))
    root.create_user(ram.CreateUserRequest(user_name=name))
    root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type='Custom', policy_name=name, user_name=name))
    key = root.create_access_key(ram.CreateAccessKeyRequest(user_name=name)).body.access_key
    return {'ALIBABA_CLOUD_ACCESS_KEY_ID': key.access_key_id, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET': key.access_key_secret}
