#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test fixtures the collection has no module for (groups, custom policies, roles, login profiles, ...).

Run by the integration targets with the interpreter of ansible-playbook, so it uses the same SDK and the
same environment credentials/endpoints as the modules.  RAM is eventually consistent: every command waits until
what it wrote reads back (or reads as gone), so that the tasks after it see it.  Prints one JSON line ``{"changed": bool, ...}``
and never a secret: login profile passwords are random and thrown away; credentials go only into files
of mode 0600 for the playbook to read with a lookup into no_log options.

    ram_fixture.py create-groups NAME...         ram_fixture.py delete-groups NAME...
    ram_fixture.py create-policy NAME            ram_fixture.py delete-policies NAME...
    ram_fixture.py create-role NAME              ram_fixture.py delete-roles NAME...   (prints the role's arn)
    ram_fixture.py create-login-profile USER     ram_fixture.py create-users PREFIX COUNT
    ram_fixture.py delete-users PREFIX           (users without keys, policies or groups)
    ram_fixture.py write-profile FILE PROFILE    the environment's key as a profile of an SDK credentials.ini
    ram_fixture.py assume-role ROLE_ARN FILE     STS credentials of the role as JSON
    ram_fixture.py COMMAND ARGS... -- COMMAND ARGS...   several commands in one run
"""

from __future__ import annotations

import json
import os
import secrets
import string
import sys
import time

from alibabacloud_ram20150501 import models
from alibabacloud_ram20150501.client import Client
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.utils_models import Config

READ_ONLY_POLICY = 'AliyunRAMReadOnlyAccess'


def config(endpoint_variable, default_endpoint):
    endpoint = os.environ.get(endpoint_variable) or default_endpoint
    protocol = 'https'
    if '://' in endpoint:
        protocol, endpoint = endpoint.split('://', 1)
    return Config(access_key_id=os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                  access_key_secret=os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                  endpoint=endpoint.rstrip('/'), protocol=protocol)


def client():
    return Client(config('ALIBABA_CLOUD_RAM_ENDPOINT', 'https://ram.aliyuncs.com'))


def sts_client():
    return StsClient(config('ALIBABA_CLOUD_STS_ENDPOINT', 'https://sts.aliyuncs.com'))


def write_private(path, text):
    """Write ``text`` to ``path`` with mode 0600 from the start (it holds credentials)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
        handle.write(text)


def tolerate(call, *codes):
    """Run ``call``; True when it changed something, False when it failed with one of ``codes``."""
    try:
        call()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if getattr(exc, 'code', None) in codes:
            return False
        raise SystemExit('%s failed: %s' % (getattr(call, '__name__', 'call'), getattr(exc, 'code', type(exc).__name__)))
    return True


def shows(call, missing_code):
    """A check: True once ``call()`` (a read) finds the entity, False while it answers ``missing_code``."""
    def check():
        try:
            call()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if getattr(exc, 'code', None) == missing_code:
                return False
            raise
        return True
    return check


def wait_until(check, what, timeout=60.0):
    """RAM is eventually consistent: poll ``check()`` with growing pauses until it holds, as the alicloud Terraform
    provider waits after its writes, so that the tasks after a fixture read what it wrote."""
    deadline = time.monotonic() + timeout
    pause = 0.1
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit('%s did not show within %d s' % (what, timeout))
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def wait_shown(call, missing_code, what):
    wait_until(shows(call, missing_code), what)


def wait_gone(call, missing_code, what):
    check = shows(call, missing_code)
    wait_until(lambda: not check(), what + ' deleted')


def create_groups(ram, names):
    changed = [tolerate(lambda n=name: ram.create_group(models.CreateGroupRequest(group_name=n)), 'EntityAlreadyExists.Group')
               for name in names]
    for name in names:
        wait_shown(lambda n=name: ram.get_group(models.GetGroupRequest(group_name=n)), 'EntityNotExist.Group', 'group ' + name)
    return changed


def delete_groups(ram, names):
    changed = []
    for name in names:
        try:
            members = ram.list_users_for_group(models.ListUsersForGroupRequest(group_name=name)).body.users.user
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if getattr(exc, 'code', None) == 'EntityNotExist.Group':
                continue
            raise
        for member in members or []:
            ram.remove_user_from_group(models.RemoveUserFromGroupRequest(group_name=name, user_name=member.user_name))
        changed.append(tolerate(lambda n=name: ram.delete_group(models.DeleteGroupRequest(group_name=n)), 'EntityNotExist.Group'))
        wait_gone(lambda n=name: ram.get_group(models.GetGroupRequest(group_name=n)), 'EntityNotExist.Group', 'group ' + name)
    return changed


def create_login_profile(ram, user_name):
    alphabet = string.ascii_letters + string.digits
    password = 'Aa1' + ''.join(secrets.choice(alphabet) for dummy in range(20))
    request = models.CreateLoginProfileRequest(user_name=user_name, password=password, password_reset_required=False)
    changed = [tolerate(lambda: ram.create_login_profile(request), 'EntityAlreadyExists.User.LoginProfile')]
    wait_shown(lambda: ram.get_login_profile(models.GetLoginProfileRequest(user_name=user_name)),
               'EntityNotExist.User.LoginProfile', 'login profile of ' + user_name)
    return changed


def create_users(ram, prefix, count):
    names = ['%s%04d' % (prefix, i) for i in range(int(count))]
    changed = [tolerate(lambda n=name: ram.create_user(models.CreateUserRequest(user_name=n)), 'EntityAlreadyExists.User')
               for name in names]
    for name in names:
        wait_shown(lambda n=name: ram.get_user(models.GetUserRequest(user_name=n)), 'EntityNotExist.User', 'user ' + name)
    return changed


def delete_users(ram, prefix):
    names, marker = [], None
    while True:
        body = ram.list_users(models.ListUsersRequest(marker=marker, max_items=1000)).body
        names.extend(u.user_name for u in body.users.user or [] if u.user_name.startswith(prefix))
        if not body.is_truncated:
            break
        marker = body.marker
    changed = [tolerate(lambda n=name: ram.delete_user(models.DeleteUserRequest(user_name=n)), 'EntityNotExist.User')
               for name in names]
    for name in names:
        wait_gone(lambda n=name: ram.get_user(models.GetUserRequest(user_name=n)), 'EntityNotExist.User', 'user ' + name)
    return changed


def create_policy(ram, name):
    document = json.dumps({'Version': '1', 'Statement': [{'Effect': 'Allow', 'Action': ['oss:GetObject'], 'Resource': ['*']}]})
    request = models.CreatePolicyRequest(policy_name=name, policy_document=document, description='integration test')
    changed = [tolerate(lambda: ram.create_policy(request), 'EntityAlreadyExists.Policy')]
    wait_shown(lambda: ram.get_policy(models.GetPolicyRequest(policy_name=name, policy_type='Custom')),
               'EntityNotExist.Policy', 'policy ' + name)
    return changed


def delete_policies(ram, names):
    changed = [tolerate(lambda n=name: ram.delete_policy(models.DeletePolicyRequest(policy_name=n, cascading_delete=True)),
                        'EntityNotExist.Policy') for name in names]
    for name in names:
        wait_gone(lambda n=name: ram.get_policy(models.GetPolicyRequest(policy_name=n, policy_type='Custom')),
                  'EntityNotExist.Policy', 'policy ' + name)
    return changed


def create_role(ram, name):
    account_id = sts_client().get_caller_identity().body.account_id
    trust = json.dumps({'Version': '1', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                                                       'Principal': {'RAM': ['acs:ram::%s:root' % account_id]}}]})
    created = tolerate(lambda: ram.create_role(models.CreateRoleRequest(role_name=name, assume_role_policy_document=trust)),
                       'EntityAlreadyExists.Role')
    attached = tolerate(lambda: ram.attach_policy_to_role(models.AttachPolicyToRoleRequest(
        role_name=name, policy_name=READ_ONLY_POLICY, policy_type='System')), 'EntityAlreadyExists.Role.Policy')
    wait_shown(lambda: ram.get_role(models.GetRoleRequest(role_name=name)), 'EntityNotExist.Role', 'role ' + name)
    wait_until(lambda: READ_ONLY_POLICY in [p.policy_name for p in ram.list_policies_for_role(
        models.ListPoliciesForRoleRequest(role_name=name)).body.policies.policy or []], 'policy of role ' + name)
    arn = ram.get_role(models.GetRoleRequest(role_name=name)).body.role.arn
    return {'changed': created or attached, 'arn': arn}


def delete_roles(ram, names):
    changed = []
    for name in names:
        tolerate(lambda n=name: ram.detach_policy_from_role(models.DetachPolicyFromRoleRequest(
            role_name=n, policy_name=READ_ONLY_POLICY, policy_type='System')), 'EntityNotExist.Role', 'EntityNotExist.Role.Policy')
        changed.append(tolerate(lambda n=name: ram.delete_role(models.DeleteRoleRequest(role_name=n)), 'EntityNotExist.Role'))
        wait_gone(lambda n=name: ram.get_role(models.GetRoleRequest(role_name=n)), 'EntityNotExist.Role', 'role ' + name)
    return changed


def write_profile(_ram, path, profile):
    write_private(path, '[%s]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n' % (
        profile, os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'], os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET']))
    return [True]


def assume_role(_ram, role_arn, path):
    request = sts_models.AssumeRoleRequest(role_arn=role_arn, role_session_name='integration-test', duration_seconds=900)
    credentials = sts_client().assume_role(request).body.credentials
    write_private(path, json.dumps({'access_key_id': credentials.access_key_id, 'access_key_secret': credentials.access_key_secret,
                                    'security_token': credentials.security_token}))
    return [True]


COMMANDS = {
    'create-groups': create_groups,
    'delete-groups': delete_groups,
    'create-login-profile': lambda ram, args: create_login_profile(ram, *args),
    'create-users': lambda ram, args: create_users(ram, *args),
    'delete-users': lambda ram, args: delete_users(ram, *args),
    'create-policy': lambda ram, args: create_policy(ram, *args),
    'delete-policies': delete_policies,
    'create-role': lambda ram, args: create_role(ram, *args),
    'delete-roles': delete_roles,
    'write-profile': lambda ram, args: write_profile(ram, *args),
    'assume-role': lambda ram, args: assume_role(ram, *args),
}


def main(argv):
    """Run one command, or several separated by ``--``; report whether any changed something."""
    commands = [[]]
    for arg in argv:
        if arg == '--':
            commands.append([])
        else:
            commands[-1].append(arg)
    if any(len(command) < 2 or command[0] not in COMMANDS for command in commands):
        raise SystemExit('usage: ram_fixture.py {%s} ARGS... [-- COMMAND ARGS...]' % ','.join(sorted(COMMANDS)))
    ram = client()
    result = {'changed': False}
    for command in commands:
        outcome = COMMANDS[command[0]](ram, command[1:])
        if not isinstance(outcome, dict):
            outcome = {'changed': any(outcome)}
        result.update(outcome, changed=result['changed'] or outcome['changed'])
    print(json.dumps(result))


if __name__ == '__main__':
    main(sys.argv[1:])
