# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test hosts for the integration tests: network namespaces with sshd (tests/hosts/hostctl), which need root."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest

from tests.support.playbook import REPO_ROOT

HOSTCTL = REPO_ROOT / 'tests' / 'hosts' / 'hostctl'
SSH_OPTIONS = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes'

# for pytestmark in the modules that use them
NEEDS_TEST_HOSTS = pytest.mark.skipif(os.geteuid() != 0 or shutil.which('ip') is None,
                                      reason='runs on test hosts: needs root and iproute2 (tests/hosts/hostctl)')


def hostctl(*args):
    return subprocess.run([str(HOSTCTL)] + list(args), check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout


@contextlib.contextmanager
def hosts_up(hosts):
    """``hosts`` ({name: address}) started fresh for the block, and removed after it."""
    hostctl('image')
    hostctl('bridge-up')
    for name, address in hosts.items():
        hostctl('down', name)
        hostctl('up', name, address)
    try:
        yield hosts
    finally:
        for name in hosts:
            subprocess.run([str(HOSTCTL), 'down', name], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ssh(address, command, check=True):
    """The stdout of ``command`` run as root on the test host at ``address``."""
    proc = subprocess.run(['ssh', '-i', hostctl('key').strip()] + SSH_OPTIONS.split() + ['root@%s' % address, command],
                          stdout=subprocess.PIPE, universal_newlines=True, check=check)
    return proc.stdout
