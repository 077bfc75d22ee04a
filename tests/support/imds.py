# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ECS instance metadata service for the tests: the emulator in a network namespace of its own.

The SDK reads instance role credentials from http://100.100.100.200 (fixed in alibabacloud-credentials). That
address is put on the loopback of a network namespace, never on this machine's own interfaces (on a real ECS
instance it is the real metadata service). The emulator runs in the namespace, serving RAM/STS on a veth address
the test reaches from outside and the instance metadata on 100.100.100.200:80; whatever should see the instance
runs in the namespace too (``ip netns exec``, see ``Namespace.prefix``).

Each user passes its own /30 link (``HOST_SIDE``/``NAMESPACE_SIDE`` pairs below), so two test modules, or two
checkouts' suites on one machine, never put the same address on two links.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess

import pytest

from tests.support.emulator import SUITE_PROPAGATION_DELAY, Emulator

METADATA_ADDRESS = '100.100.100.200'
ECS_TRUST = json.dumps({'Version': '1', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                       'Principal': {'Service': ['ecs.aliyuncs.com']}}]})
# The session name the metadata service gives the instance role (the emulated instance's id).
INSTANCE_SESSION = 'vm-ram-i-emulator0000000000'

needs_namespaces = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which('ip'),
    reason='needs root and iproute2 (ip netns) to serve 100.100.100.200 in a namespace')


def ip(*args):
    subprocess.run(['ip'] + list(args), check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Namespace(object):
    def __init__(self, name):
        self.name = name

    @property
    def prefix(self):
        """The command prefix that runs a program inside the namespace."""
        return ['ip', 'netns', 'exec', self.name]


@contextlib.contextmanager
def metadata_namespace(tag, host_side, namespace_side):
    """A network namespace with 100.100.100.200 on its loopback and a /30 veth link to this machine
    (host_side here, namespace_side there). Skips the test when namespaces cannot be made."""
    pid = os.getpid()
    name = 'aliyun-ram-%s-%d' % (tag, pid)
    host_if, ns_if = '%s%dh' % (tag[:5], pid % 100000), '%s%dn' % (tag[:5], pid % 100000)
    try:
        ip('netns', 'add', name)
    except subprocess.CalledProcessError as exc:
        pytest.skip('cannot create a network namespace: %s' % exc.stderr.decode(errors='replace').strip())
    try:
        ip('-n', name, 'link', 'set', 'lo', 'up')
        ip('-n', name, 'addr', 'add', METADATA_ADDRESS + '/32', 'dev', 'lo')
        ip('link', 'add', host_if, 'type', 'veth', 'peer', 'name', ns_if)
        ip('link', 'set', ns_if, 'netns', name)
        ip('addr', 'add', host_side + '/30', 'dev', host_if)
        ip('link', 'set', host_if, 'up')
        ip('-n', name, 'addr', 'add', namespace_side + '/30', 'dev', ns_if)
        ip('-n', name, 'link', 'set', ns_if, 'up')
        yield Namespace(name)
    finally:
        subprocess.run(['ip', 'link', 'del', host_if], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(['ip', 'netns', 'del', name], check=False)


def metadata_emulator(namespace, host_side, namespace_side, state_dir, instance_role):
    """The emulator inside ``namespace``: RAM/STS on namespace_side (admin API open to host_side only), the instance
    metadata on 100.100.100.200 with ``instance_role`` attached to the emulated instance. Use it as a context."""
    return Emulator(host=namespace_side, state_dir=state_dir, verbose=True, prefix=namespace.prefix,
                    propagation_delay=SUITE_PROPAGATION_DELAY,
                    extra_args=['--admin-allow', host_side + '/32', '--metadata-host', METADATA_ADDRESS,
                                '--instance-role', instance_role])


def create_instance_role(emulator, role, policy='AliyunRAMReadOnlyAccess'):
    """The role attached to the emulated instance: trusts ECS, with one system policy (by default: may read RAM)."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    client = emulator.ram_client('admin')
    client.create_role(models.CreateRoleRequest(role_name=role, assume_role_policy_document=ECS_TRUST))
    client.attach_policy_to_role(models.AttachPolicyToRoleRequest(role_name=role, policy_type='System',
                                                                  policy_name=policy))
