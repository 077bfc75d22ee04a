#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test fixtures the collection has no module for (groups, console login profiles, many users).

Run by the integration targets with the interpreter of ansible-playbook, so it uses the same SDK and the
same environment credentials/endpoint as the modules.  Prints one JSON line ``{"changed": bool}``;
never prints a secret (login profile passwords are random and thrown away).

    ram_fixture.py create-groups NAME...       ram_fixture.py delete-groups NAME...
    ram_fixture.py create-login-profile USER   ram_fixture.py create-users PREFIX COUNT
    ram_fixture.py delete-users PREFIX         (users without keys, policies or groups)
"""

from __future__ import annotations

import json
import os
import secrets
import string
import sys

from alibabacloud_ram20150501 import models
from alibabacloud_ram20150501.client import Client
from alibabacloud_tea_openapi.utils_models import Config


def client():
    endpoint = os.environ.get('ALIBABA_CLOUD_RAM_ENDPOINT') or 'https://ram.aliyuncs.com'
    protocol = 'https'
    if '://' in endpoint:
        protocol, endpoint = endpoint.split('://', 1)
    return Client(Config(access_key_id=os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                         access_key_secret=os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                         endpoint=endpoint.rstrip('/'), protocol=protocol))


def tolerate(call, *codes):
    """Run ``call``; True when it changed something, False when it failed with one of ``codes``."""
    try:
        call()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if getattr(exc, 'code', None) in codes:
            return False
        raise SystemExit('%s failed: %s' % (getattr(call, '__name__', 'call'), getattr(exc, 'code', type(exc).__name__)))
    return True


def create_groups(ram, names):
    return [tolerate(lambda n=name: ram.create_group(models.CreateGroupRequest(group_name=n)), 'EntityAlreadyExists.Group')
            for name in names]


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
    return changed


def create_login_profile(ram, user_name):
    alphabet = string.ascii_letters + string.digits
    password = 'Aa1' + ''.join(secrets.choice(alphabet) for _ in range(20))
    request = models.CreateLoginProfileRequest(user_name=user_name, password=password, password_reset_required=False)
    return [tolerate(lambda: ram.create_login_profile(request), 'EntityAlreadyExists.User.LoginProfile')]


def create_users(ram, prefix, count):
    return [tolerate(lambda n='%s%04d' % (prefix, i): ram.create_user(models.CreateUserRequest(user_name=n)),
                     'EntityAlreadyExists.User') for i in range(int(count))]


def delete_users(ram, prefix):
    names, marker = [], None
    while True:
        body = ram.list_users(models.ListUsersRequest(marker=marker, max_items=1000)).body
        names.extend(u.user_name for u in body.users.user or [] if u.user_name.startswith(prefix))
        if not body.is_truncated:
            break
        marker = body.marker
    return [tolerate(lambda n=name: ram.delete_user(models.DeleteUserRequest(user_name=n)), 'EntityNotExist.User')
            for name in names]


COMMANDS = {
    'create-groups': create_groups,
    'delete-groups': delete_groups,
    'create-login-profile': lambda ram, args: create_login_profile(ram, *args),
    'create-users': lambda ram, args: create_users(ram, *args),
    'delete-users': lambda ram, args: delete_users(ram, *args),
}


def main(argv):
    if len(argv) < 2 or argv[0] not in COMMANDS:
        raise SystemExit('usage: ram_fixture.py {%s} ARGS...' % ','.join(sorted(COMMANDS)))
    changed = COMMANDS[argv[0]](client(), argv[1:])
    print(json.dumps({'changed': any(changed)}))


if __name__ == '__main__':
    main(sys.argv[1:])
