# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ecs_role_name and the default chain's ECS instance role, through the SDK's own metadata client.

The SDK reads instance role credentials from http://100.100.100.200 (fixed in alibabacloud-credentials). That
address is put on the loopback of a network namespace, never on this machine's own interfaces (on a real ECS
instance it is the real metadata service). The emulator runs in the namespace, serving RAM/STS on a veth address
the test reaches from outside and the instance metadata on 100.100.100.200:80; the playbooks run in it too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.support.emulator import SUITE_PROPAGATION_DELAY, Emulator  # pylint: disable=wrong-import-order
from tests.support.leaks import LeakGuard  # pylint: disable=wrong-import-order
from tests.support.playbook import PlaybookRunner  # pylint: disable=wrong-import-order

METADATA_ADDRESS = '100.100.100.200'
HOST_SIDE, NAMESPACE_SIDE = '10.99.9.1', '10.99.9.2'
ROLE = 'EcsOps'

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('ip'),
                                reason='needs root and iproute2 (ip netns) to serve 100.100.100.200 in a namespace')


def ip(*args):
    subprocess.run(['ip'] + list(args), check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope='module')
def namespace():
    name = 'aliyun-ram-imds-%d' % os.getpid()
    host_if, ns_if = 'arimds%dh' % (os.getpid() % 100000), 'arimds%dn' % (os.getpid() % 100000)
    try:
        ip('netns', 'add', name)
    except subprocess.CalledProcessError as exc:
        pytest.skip('cannot create a network namespace: %s' % exc.stderr.decode(errors='replace').strip())
    try:
        ip('-n', name, 'link', 'set', 'lo', 'up')
        ip('-n', name, 'addr', 'add', METADATA_ADDRESS + '/32', 'dev', 'lo')
        ip('link', 'add', host_if, 'type', 'veth', 'peer', 'name', ns_if)
        ip('link', 'set', ns_if, 'netns', name)
        ip('addr', 'add', HOST_SIDE + '/30', 'dev', host_if)
        ip('link', 'set', host_if, 'up')
        ip('-n', name, 'addr', 'add', NAMESPACE_SIDE + '/30', 'dev', ns_if)
        ip('-n', name, 'link', 'set', ns_if, 'up')
        yield name
    finally:
        subprocess.run(['ip', 'link', 'del', host_if], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(['ip', 'netns', 'del', name], check=False)


@pytest.fixture(scope='module')
def emulator(namespace, tmp_path_factory):
    emu = Emulator(host=NAMESPACE_SIDE, state_dir=str(tmp_path_factory.mktemp('imds-emulator')), verbose=True,
                   prefix=['ip', 'netns', 'exec', namespace], propagation_delay=SUITE_PROPAGATION_DELAY,
                   extra_args=['--admin-allow', HOST_SIDE + '/32', '--metadata-host', METADATA_ADDRESS,
                               '--instance-role', ROLE])
    with emu:
        yield emu


def create_instance_role(emulator):
    """The role attached to the emulated instance: trusts ECS, may read RAM (not write)."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    client = emulator.ram_client('admin')
    trust = json.dumps({'Version': '1', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                       'Principal': {'Service': ['ecs.aliyuncs.com']}}]})
    client.create_role(models.CreateRoleRequest(role_name=ROLE, assume_role_policy_document=trust))
    client.attach_policy_to_role(models.AttachPolicyToRoleRequest(role_name=ROLE, policy_type='System',
                                                                  policy_name='AliyunRAMReadOnlyAccess'))


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
            "as_role.arn is search(':assumed-role/ecsops/vm-ram-i-emulator0000000000$')",
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
    'name': 'With no key anywhere, the default chain finds the instance role named in ALIBABA_CLOUD_ECS_METADATA',
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
    create_instance_role(emulator)
    prefix = ['ip', 'netns', 'exec', namespace]
    guard = LeakGuard(emulator.all_secrets)
    runner = PlaybookRunner(tmp_path, guard, emulator=emulator)
    run = runner.run('ecs-role', [EXPLICIT_ROLE_PLAY], connection='local', diff=False, save_results=False, prefix=prefix)
    assert run.returncode == 0, runner.failure_text(run, 8000)

    home = tmp_path / 'home'          # no aliyun CLI profile, no credentials file
    home.mkdir()
    # no key anywhere: the emulator's endpoints only, and the instance role named in ALIBABA_CLOUD_ECS_METADATA
    chain_runner = PlaybookRunner(tmp_path, guard, emulator=emulator, identity=None)
    chain = chain_runner.run('ecs-role-chain', [DEFAULT_CHAIN_PLAY], connection='local', diff=False, save_results=False,
                             prefix=prefix, env={'HOME': str(home), 'ALIBABA_CLOUD_ECS_METADATA': ROLE})
    assert chain.returncode == 0, chain_runner.failure_text(chain, 8000)

    sessions = emulator.state()['sessions']
    assert len(sessions) >= 3, sessions
