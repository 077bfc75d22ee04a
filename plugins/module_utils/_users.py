# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""RAM users: attribute/policy/group planning (pure) and ensure/remove/info through a RamApi.

Only what the spec sets is managed: an attribute left as None, or policies/groups left as None, is
neither read nor changed.  The functions keep no state between calls, so a batch module can run them
for many users from a thread pool.
"""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils._access_keys import (
    delete_access_key,
    describe_keys,
    list_access_keys,
)
from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import to_snake, unwrap_list, utc_now

# option name -> API field name
USER_ATTRIBUTES = (('display_name', 'DisplayName'), ('comments', 'Comments'), ('email', 'Email'), ('mobile_phone', 'MobilePhone'))
INCLUDE_CHOICES = ('access_keys', 'policies', 'groups')
_USER_GONE = ('EntityNotExist.User',)


def diff_user_attributes(current, desired):
    """``{option: wanted value}`` for every attribute set in ``desired`` that differs from ``current``."""
    changes = {}
    for option, _field in USER_ATTRIBUTES:
        wanted = desired.get(option)
        if wanted is None:
            continue
        if wanted != ((current or {}).get(option) or ''):
            changes[option] = wanted
    return changes


def _policy_key(policy):
    return (policy['type'], policy['name'])


def plan_policies(current, desired, purge):
    """(to attach, to detach); ``desired`` None means policies are not managed."""
    if desired is None:
        return [], []
    have = set(_policy_key(p) for p in current)
    want = set(_policy_key(p) for p in desired)
    attach = [p for p in desired if _policy_key(p) not in have]
    detach = [p for p in current if _policy_key(p) not in want] if purge else []
    return attach, detach


def plan_groups(current, desired, purge):
    """(to add, to remove); ``desired`` None means groups are not managed."""
    if desired is None:
        return [], []
    add = [g for g in desired if g not in current]
    remove = [g for g in current if g not in desired] if purge else []
    return add, remove


def policy_label(policy):
    return '%s:%s' % (policy['type'], policy['name'])


def _user_raw(api, name):
    body = api.read_optional('GetUser', _USER_GONE, UserName=name)
    return (body or {}).get('User') or None


def get_user(api, name):
    """The user as a snake_case dict, or None when it does not exist."""
    return to_snake(_user_raw(api, name))


def list_user_policies(api, name):
    policies = unwrap_list(api.read('ListPoliciesForUser', UserName=name), 'Policies', 'Policy')
    return [{'name': p.get('PolicyName'), 'type': p.get('PolicyType')} for p in policies]


def list_user_groups(api, name):
    return [g.get('GroupName') for g in unwrap_list(api.read('ListGroupsForUser', UserName=name), 'Groups', 'Group')]


def _create_user(api, name, attributes):
    params = dict((field, attributes[option]) for option, field in USER_ATTRIBUTES if attributes.get(option))

    def verify():
        raw = _user_raw(api, name)
        return {'User': raw} if raw else None

    return api.write('CreateUser', verify=verify, UserName=name, **params).get('User') or _user_raw(api, name)


def _update_user(api, name, changes):
    params = dict(('New' + field, changes[option]) for option, field in USER_ATTRIBUTES if option in changes)

    def verify():
        user = get_user(api, name) or {}
        applied = all((user.get(option) or '') == value for option, value in changes.items())
        return {} if applied else None

    return api.write('UpdateUser', verify=verify, UserName=name, **params).get('User')


def _change_policy(api, action, name, policy, attached):
    def verify():
        present = _policy_key(policy) in set(_policy_key(p) for p in list_user_policies(api, name))
        return {} if present == attached else None

    api.write(action, verify=verify, UserName=name, PolicyType=policy['type'], PolicyName=policy['name'])


def _change_group(api, action, name, group, member):
    def verify():
        return {} if (group in list_user_groups(api, name)) == member else None

    api.write(action, verify=verify, UserName=name, GroupName=group)


def _state_view(user, spec, policies, groups):
    """The managed part of a user, for diff mode."""
    if user is None:
        return {'state': 'absent'}
    view = {'state': 'present', 'name': spec['name']}
    for option, _field in USER_ATTRIBUTES:
        if spec.get(option) is not None:
            view[option] = user.get(option) or ''
    if policies is not None:
        view['policies'] = sorted(policy_label(p) for p in policies)
    if groups is not None:
        view['groups'] = sorted(groups)
    return view


def check_references(api, user_name, policies, groups):
    """Fail, before any write, when a policy or group about to be attached or joined does not exist."""
    checks = [('GetPolicy', 'EntityNotExist.Policy', 'policy %s' % policy_label(p), dict(PolicyName=p['name'], PolicyType=p['type']))
              for p in policies]
    checks += [('GetGroup', 'EntityNotExist.Group', 'group %s' % g, dict(GroupName=g)) for g in groups]
    for action, missing_code, label, params in checks:
        try:
            api.read(action, **params)
        except ApiError as err:
            if err.code != missing_code:
                raise
            raise ApiError(action, code=err.code, status=err.status, request_id=err.request_id,
                           message='user %s: RAM has no %s; nothing was changed' % (user_name, label)) from None


def ensure_user(api, spec, check_mode):
    """state=present for one user.  ``spec``: name, display_name, comments, email, mobile_phone,
    policies (normalised ``{name, type}`` list or None), purge_policies, groups (or None), purge_groups."""
    name = spec['name']
    attributes = dict((option, spec.get(option)) for option, _field in USER_ATTRIBUTES)
    manage_policies, manage_groups = spec.get('policies') is not None, spec.get('groups') is not None
    result = {'changed': False, 'created': False, 'attached_policies': [], 'detached_policies': [],
              'added_groups': [], 'removed_groups': []}

    current = get_user(api, name)
    current_policies = (list_user_policies(api, name) if current is not None else []) if manage_policies else None
    current_groups = (list_user_groups(api, name) if current is not None else []) if manage_groups else None
    attach, detach = plan_policies(current_policies or [], spec.get('policies'), spec.get('purge_policies'))
    add, remove = plan_groups(current_groups or [], spec.get('groups'), spec.get('purge_groups'))
    # A policy or group that does not exist would fail half way, after CreateUser: check first (reads only,
    # and only for what is about to be attached or joined, so a converged user costs nothing more).
    check_references(api, name, attach, add)

    if current is None:
        result['changed'] = result['created'] = True
        if check_mode:
            user = dict((option, value) for option, value in attributes.items() if value is not None)
            user['user_name'] = name
        else:
            try:
                user = to_snake(_create_user(api, name, attributes))
            except ApiError as err:
                if err.code != 'EntityAlreadyExists.User':
                    raise
                # created concurrently since GetUser: manage it like any existing user
                result['changed'] = result['created'] = False
                current = get_user(api, name)
                current_policies = list_user_policies(api, name) if manage_policies else None
                current_groups = list_user_groups(api, name) if manage_groups else None
                attach, detach = plan_policies(current_policies, spec.get('policies'), spec.get('purge_policies'))
                add, remove = plan_groups(current_groups, spec.get('groups'), spec.get('purge_groups'))
    if current is not None:
        user = dict(current)
        changes = diff_user_attributes(current, attributes)
        if changes:
            result['changed'] = True
            user.update(changes)
            if not check_mode:
                user.update(to_snake(_update_user(api, name, changes)) or {})

    # removals first: they free room under the per-user policy and group limits
    for policy in detach:
        if not check_mode:
            _change_policy(api, 'DetachPolicyFromUser', name, policy, attached=False)
        result['detached_policies'].append(policy_label(policy))
    for policy in attach:
        if not check_mode:
            _change_policy(api, 'AttachPolicyToUser', name, policy, attached=True)
        result['attached_policies'].append(policy_label(policy))
    for group in remove:
        if not check_mode:
            _change_group(api, 'RemoveUserFromGroup', name, group, member=False)
        result['removed_groups'].append(group)
    for group in add:
        if not check_mode:
            _change_group(api, 'AddUserToGroup', name, group, member=True)
        result['added_groups'].append(group)
    if attach or detach or add or remove:
        result['changed'] = True

    after_policies = after_groups = None
    if manage_policies:
        removed = set(_policy_key(p) for p in detach)
        after_policies = [p for p in current_policies if _policy_key(p) not in removed] + attach
        result['policies'] = sorted(policy_label(p) for p in after_policies)
    if manage_groups:
        after_groups = [g for g in current_groups if g not in remove] + add
        result['groups'] = sorted(after_groups)
    result['user'] = user
    result['diff'] = {'before': _state_view(current, spec, current_policies, current_groups),
                      'after': _state_view(user, spec, after_policies, after_groups)}
    return result


def remove_user(api, spec, check_mode):
    """state=absent.  With ``spec['force']`` the user's keys, policies, groups and login profile go first."""
    name = spec['name']
    result = {'changed': False, 'user': None, 'deleted_access_key_ids': [], 'detached_policies': [],
              'removed_groups': [], 'login_profile_deleted': False}
    current = get_user(api, name)
    if current is None:
        result['diff'] = {'before': {'state': 'absent'}, 'after': {'state': 'absent'}}
        return result
    result['changed'] = True
    if spec.get('force'):
        for key in list_access_keys(api, name):
            if not check_mode:
                delete_access_key(api, name, key['access_key_id'])
            result['deleted_access_key_ids'].append(key['access_key_id'])
        for policy in list_user_policies(api, name):
            if not check_mode:
                _change_policy(api, 'DetachPolicyFromUser', name, policy, attached=False)
            result['detached_policies'].append(policy_label(policy))
        for group in list_user_groups(api, name):
            if not check_mode:
                _change_group(api, 'RemoveUserFromGroup', name, group, member=False)
            result['removed_groups'].append(group)
        if api.read_optional('GetLoginProfile', ('EntityNotExist.User.LoginProfile',), UserName=name) is not None:
            if not check_mode:
                _delete_login_profile(api, name)
            result['login_profile_deleted'] = True
    if not check_mode:
        try:
            api.write('DeleteUser', verify=lambda: {} if _user_raw(api, name) is None else None, UserName=name)
        except ApiError as err:
            if err.code not in _USER_GONE:
                raise
    result['diff'] = {'before': _state_view(current, spec, None, None), 'after': {'state': 'absent'}}
    return result


def _delete_login_profile(api, name):
    gone = ('EntityNotExist.User.LoginProfile',)

    def verify():
        return {} if api.read_optional('GetLoginProfile', gone, UserName=name) is None else None

    try:
        api.write('DeleteLoginProfile', verify=verify, UserName=name)
    except ApiError as err:
        if err.code not in gone:
            raise


def compile_name_regex(name_regex):
    try:
        return re.compile(name_regex) if name_regex else None
    except re.error as err:
        raise ValidationError('name_regex is not a valid regular expression: %s' % err)


def find_users(api, name=None, name_prefix=None, name_regex=None, include=(), now=None):
    """Users as snake_case dicts: one by name ([] when missing) or all, filtered; ``include`` adds
    access_keys (with age_days), policies ('Type:Name') and groups."""
    pattern = compile_name_regex(name_regex)
    if name:
        raw = _user_raw(api, name)
        users = [raw] if raw else []
    else:
        users = api.paginate('ListUsers', 'Users', 'User')
    now = now or utc_now()
    result = []
    for raw in users:
        user = to_snake(raw)
        user_name = user.get('user_name') or ''
        if name_prefix and not user_name.startswith(name_prefix):
            continue
        if pattern and not pattern.search(user_name):
            continue
        if 'access_keys' in include:
            user['access_keys'] = describe_keys(list_access_keys(api, user_name), now)
        if 'policies' in include:
            user['policies'] = sorted(policy_label(p) for p in list_user_policies(api, user_name))
        if 'groups' in include:
            user['groups'] = sorted(list_user_groups(api, user_name))
        result.append(user)
    return sorted(result, key=lambda u: u.get('user_name') or '')


def user_spec(params):
    """Validated spec for ensure_user/remove_user from module-style parameters (raises ValidationError)."""
    validate.user_name(params['name'])
    validate.user_attributes(params.get('display_name'), params.get('comments'), params.get('email'), params.get('mobile_phone'))
    spec = dict(params)
    spec['policies'] = validate.policies(params.get('policies'))
    spec['groups'] = validate.groups(params.get('groups'))
    return spec


def run_ram_user(module):
    """The ram_user module."""
    spec = user_spec(module.params)
    api = module.api()
    if spec['state'] == 'absent':
        result = remove_user(api, spec, module.check_mode)
    else:
        result = ensure_user(api, spec, module.check_mode)
    diff = result.pop('diff')
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = diff
    return result


def run_ram_user_info(module):
    """The ram_user_info module."""
    params = module.params
    if params['name']:
        validate.user_name(params['name'])
    validate.name_prefix(params['name_prefix'])
    compile_name_regex(params['name_regex'])
    users = find_users(module.api(), name=params['name'], name_prefix=params['name_prefix'],
                       name_regex=params['name_regex'], include=params['include'] or ())
    return {'changed': False, 'users': users}
