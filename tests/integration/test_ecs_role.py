# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ecs_role_name and the default chain's ECS instance role, through the SDK's own metadata client.

The emulator serves the instance metadata on 100.100.100.200 inside a network namespace (tests/support/imds.py);
the playbooks run in it too.
"""

from __future__ import annotations

import pytest

from tests.support.imds import (  # pylint: disable=wrong-import-order
    INSTANCE_SESSION,
    create_instance_role,
    metadata_emulator,
    metadata_namespace,
    needs_namespaces,
)
from tests.support.leaks import LeakGuard  # pylint: disable=wrong-import-order
from tests.support.playbook import PlaybookRunner  # pylint: disable=wrong-import-order

HOST_SIDE, NAMESPACE_SIDE = '10.99.9.1', '10.99.9.2'
ROLE = 'EcsOps'

pytestmark = needs_namespaces


@pytest.fixture(scope='module')
def namespace():
    with metadata_namespace('imds', HOST_SIDE, NAMESPACE_SIDE) as netns:
        yield netns


@pytest.fixture(scope='module')
def emulator(namespace, tmp_path_factory):
    with metadata_emulator(namespace, HOST_SIDE, NAMESPACE_SIDE, str(tmp_path_factory.mktemp('imds-emulator')),
                           ROLE) as emu:
        yield emu


EXPLICIT_ROLE_PLAY = {
    'name': 'ecs_role_name beats the AccessKey in the environment',
    'hosts': 'localhost',
    'gather_facts': False,
    'tasks': [
        {'name': 'Who am I with the instance role', 'aliyun.ram.sts_caller_info': {'ecs_role_name': ROLE},
         'register': 'as_role'},
        {'name': 'Who am I with the environment key', 'aliyun.ram.sts_caller_info': {}, 'register': 'as_env'},
        {'name': 'Read a user as the instance role (it has AliyunRAMReadOnlyAccess)',
         'aliyun.ram.ram_user_info': {'name': 'ram-admin', 'ecs_role_name': ROLE}, 'register': 'read_as_role'},
        {'name': 'Creating a user as the instance role is refused',
         'aliyun.ram.ram_user': {'name': 'made-by-ecs-role', 'ecs_role_name': ROLE},
         'register': 'write_as_role', 'ignore_errors': True},
        {'name': 'A role that is not attached to the instance',
         'aliyun.ram.sts_caller_info': {'ecs_role_name': 'NotAttached'}, 'register': 'other_role',
         'ignore_errors': True},
        {'name': 'Check', 'ansible.builtin.assert': {'that': [
            "as_role.identity_type == 'AssumedRoleUser'",
            "as_role.arn is search(':assumed-role/ecsops/%s$')" % INSTANCE_SESSION,
            "as_env.arn is search(':user/ram-admin$')",
            "read_as_role.users | map(attribute='user_name') | list == ['ram-admin']",
            'write_as_role is failed',
            "'NoPermission' in write_as_role.msg and 'CreateUser' in write_as_role.msg",
            'write_as_role.error.request_id | length > 0',
            'other_role is failed',
            "'ECS metadata' in other_role.msg",
            "'NotAttached' in other_role.msg",
        ]}},
    ],
}

DEFAULT_CHAIN_PLAY = {
    'name': 'With no key anywhere, the default chain finds the instance role',
    'hosts': 'localhost',
    'gather_facts': False,
    'tasks': [
        {'name': 'Who am I', 'aliyun.ram.sts_caller_info': {}, 'register': 'chain'},
        {'name': 'Check', 'ansible.builtin.assert': {'that': [
            "chain.arn is search(':assumed-role/ecsops/')"]}},
    ],
}


def test_ecs_role_name_and_the_default_chain(emulator, namespace, tmp_path):
    """Every secret issued, the instance role sessions' secrets and tokens and the metadata tokens included, stays out
    of the -vvvv output, the logs and the files the runs leave (the runner's scan, with this module's emulator)."""
    emulator.reset()
    create_instance_role(emulator, ROLE)
    prefix = namespace.prefix
    guard = LeakGuard(emulator.all_secrets)
    runner = PlaybookRunner(tmp_path, guard, emulator=emulator)
    run = runner.run('ecs-role', [EXPLICIT_ROLE_PLAY], connection='local', diff=False, save_results=False, prefix=prefix)
    assert run.returncode == 0, runner.failure_text(run, 8000)

    home = tmp_path / 'home'          # no aliyun CLI profile, no credentials file
    home.mkdir()
    # No key anywhere: the emulator's endpoints only. Once with the instance role named in ALIBABA_CLOUD_ECS_METADATA
    # (ecs_role_name's environment fallback, the name the SDK reads too), once with nothing: the SDK's default chain
    # asks the metadata service for the role's name.
    chain_runner = PlaybookRunner(tmp_path, guard, emulator=emulator, identity=None)
    for run_name, extra_env in (('ecs-role-env', {'ALIBABA_CLOUD_ECS_METADATA': ROLE}), ('ecs-role-chain', {})):
        chain = chain_runner.run(run_name, [DEFAULT_CHAIN_PLAY], connection='local', diff=False, save_results=False,
                                 prefix=prefix, env=dict(extra_env, HOME=str(home)))
        assert chain.returncode == 0, chain_runner.failure_text(chain, 8000)

    sessions = emulator.state()['sessions']
    assert len(sessions) >= 4, sessions
