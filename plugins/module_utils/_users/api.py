# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""RAM user I/O through a RamApi: users, their policies, groups and login profile.

Every write verifies itself after an ambiguous failure (RamApi.write), and "already gone" answers come from the one
table ``_keys.api.GONE``.  No state is kept between calls, so a batch may run them from a thread pool.
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import is_gone, read_unless_gone, write_unless_gone
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import to_snake, unwrap_list
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import LISTING_PAGE_SIZE, USER_ATTRIBUTES, policy_key, policy_label


def user_raw(api, name):
    return (read_unless_gone(api, 'GetUser', UserName=name) or {}).get('User') or None


def get_user(api, name):
    """The user as a snake_case dict, or None when it does not exist."""
    return to_snake(user_raw(api, name))


def list_users(api):
    return api.paginate('ListUsers', 'Users', 'User')


def listed_users(api):
    """{user name: raw user} of the whole account, from ListUsers pages of 1000 (its fields are GetUser's but
    LastLoginDate)."""
    return dict((user['UserName'], user) for user in api.paginate('ListUsers', 'Users', 'User', page_size=LISTING_PAGE_SIZE)
                if user.get('UserName'))


def list_user_policies(api, name):
    policies = unwrap_list(api.read('ListPoliciesForUser', UserName=name), 'Policies', 'Policy')
    return [{'name': p.get('PolicyName'), 'type': p.get('PolicyType')} for p in policies]


def list_user_groups(api, name):
    return [g.get('GroupName') for g in unwrap_list(api.read('ListGroupsForUser', UserName=name), 'Groups', 'Group')]


def create_user(api, name, attributes):
    params = dict((field, attributes[option]) for option, field in USER_ATTRIBUTES if attributes.get(option))

    def verify():
        raw = user_raw(api, name)
        return {'User': raw} if raw else None

    return api.write('CreateUser', verify=verify, visible=verify, UserName=name, **params).get('User') or user_raw(api, name)


def update_user(api, name, changes):
    params = dict(('New' + field, changes[option]) for option, field in USER_ATTRIBUTES if option in changes)

    def verify():
        user = get_user(api, name) or {}
        applied = all((user.get(option) or '') == value for option, value in changes.items())
        return {} if applied else None

    return api.write('UpdateUser', verify=verify, visible=verify, UserName=name, **params).get('User')


def change_policy(api, name, policy, attached):
    """Attach or detach; done also when RAM answers that it already is (ALREADY_DONE, GONE): a read may not have
    shown it yet, or an earlier attempt whose answer was lost did it."""
    def verify():
        present = policy_key(policy) in set(policy_key(p) for p in list_user_policies(api, name))
        return {} if present == attached else None

    write_unless_gone(api, 'AttachPolicyToUser' if attached else 'DetachPolicyFromUser', verify=verify, UserName=name,
                      PolicyType=policy['type'], PolicyName=policy['name'])


def change_group(api, name, group, member):
    def verify():
        return {} if (group in list_user_groups(api, name)) == member else None

    write_unless_gone(api, 'AddUserToGroup' if member else 'RemoveUserFromGroup', verify=verify, UserName=name,
                      GroupName=group)


def unbind_mfa_device(api, name, check_mode):
    """The serial number of the MFA device unbound from the user (in check mode: that would be), or None.

    A device bound a moment ago may not be readable yet, so the write itself (answered on the latest state) decides;
    check mode can only read."""
    if check_mode:
        body = read_unless_gone(api, 'GetUserMFAInfo', UserName=name)
        return ((body or {}).get('MFADevice') or {}).get('SerialNumber') if body else None
    try:
        body = api.write('UnbindMFADevice', UserName=name)
    except ApiError as err:
        if not is_gone(err, 'UnbindMFADevice'):
            raise
        return None
    return ((body or {}).get('MFADevice') or {}).get('SerialNumber') or 'unknown'


def has_login_profile(api, name):
    return read_unless_gone(api, 'GetLoginProfile', UserName=name) is not None


def delete_login_profile(api, name):
    write_unless_gone(api, 'DeleteLoginProfile', verify=lambda: None if has_login_profile(api, name) else {}, UserName=name)


def delete_user(api, name):
    write_unless_gone(api, 'DeleteUser', verify=lambda: {} if user_raw(api, name) is None else None, UserName=name)


def check_references(api, user_name, policies, groups):
    """Fail, before any write, when a policy or group about to be attached or joined does not exist."""
    checks = [('GetPolicy', 'policy %s' % policy_label(p), dict(PolicyName=p['name'], PolicyType=p['type'])) for p in policies]
    checks += [('GetGroup', 'group %s' % g, dict(GroupName=g)) for g in groups]
    for action, label, params in checks:
        last = {}

        def attempt():
            try:
                return api.read(action, **params)
            except ApiError as err:
                if not is_gone(err, action):
                    raise
                last['error'] = err
                return None

        # a policy or group created a moment ago may not be readable yet: wait for it before calling it missing
        if api.poll(attempt) is None:
            err = last['error']
            raise ApiError(action, code=err.code, status=err.status, request_id=err.request_id,
                           message='user %s: RAM has no %s; nothing was changed' % (user_name, label)) from None
