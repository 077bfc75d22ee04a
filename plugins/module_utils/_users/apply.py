# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Running the user plans: ensure or remove one user, find users, and the users ``exclusive`` deletes.

In check mode nothing is written and the result reads as if it had been (``_write_memberships`` and
``remove_user`` decide that once each; keys go through ``_keys.apply.KeyChanges``).
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import caller_identity, list_access_keys
from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import KeyChanges
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import describe_keys, identity_is_user
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import to_snake, utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._users.api import (
    change_group,
    change_policy,
    check_references,
    create_user,
    delete_login_profile,
    delete_user,
    get_user,
    has_login_profile,
    list_user_groups,
    list_user_policies,
    list_users,
    unbind_mfa_device,
    update_user,
    user_raw,
)
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import (
    USER_ATTRIBUTES,
    batch_entry,
    compile_name_regex,
    diff_user_attributes,
    memberships_after,
    name_matches,
    plan_memberships,
    policy_label,
    removal_spec,
    state_view,
)


def _read_memberships(api, spec, exists):
    """(policies, groups) of the user as far as ``spec`` manages them (None: not managed; [] for a new user)."""
    policies = groups = None
    if spec.get('policies') is not None:
        policies = list_user_policies(api, spec['name']) if exists else []
    if spec.get('groups') is not None:
        groups = list_user_groups(api, spec['name']) if exists else []
    return policies, groups


def _write_memberships(api, name, plan, check_mode, result):
    """Removals first (they free room under the per-user policy and group limits), then additions."""
    for policy in plan['detach']:
        if not check_mode:
            change_policy(api, name, policy, attached=False)
        result['detached_policies'].append(policy_label(policy))
    for policy in plan['attach']:
        if not check_mode:
            change_policy(api, name, policy, attached=True)
        result['attached_policies'].append(policy_label(policy))
    for group in plan['remove']:
        if not check_mode:
            change_group(api, name, group, member=False)
        result['removed_groups'].append(group)
    for group in plan['add']:
        if not check_mode:
            change_group(api, name, group, member=True)
        result['added_groups'].append(group)


def ensure_user(api, spec, check_mode, listed=None):
    """state=present for one user.  ``spec``: name, display_name, comments, email, mobile_phone,
    policies (normalised ``{name, type}`` list or None), purge_policies, groups (or None), purge_groups.
    ``listed``: the account's users by name (``listed_users``); a name it lacks is read with GetUser, which also
    covers a user created too recently to be listed yet."""
    name = spec['name']
    attributes = dict((option, spec.get(option)) for option, _field in USER_ATTRIBUTES)
    result = {'changed': False, 'created': False, 'attached_policies': [], 'detached_policies': [],
              'added_groups': [], 'removed_groups': []}

    current = to_snake(listed[name]) if listed and name in listed else get_user(api, name)
    current_policies, current_groups = _read_memberships(api, spec, current is not None)
    plan = plan_memberships(spec, current_policies, current_groups)
    # A policy or group that does not exist would fail half way, after CreateUser: check first (reads only,
    # and only for what is about to be attached or joined, so a converged user costs nothing more).
    check_references(api, name, plan['attach'], plan['add'])

    if current is None:
        result['changed'] = result['created'] = True
        if check_mode:
            user = dict((option, value) for option, value in attributes.items() if value is not None)
            user['user_name'] = name
        else:
            try:
                user = to_snake(create_user(api, name, attributes))
            except ApiError as err:
                if err.code != 'EntityAlreadyExists.User':
                    raise
                # created since GetUser (concurrently, or by an earlier attempt whose answer was lost), or created
                # a moment ago and not visible yet: wait until it reads back, then manage it like any existing user
                result['changed'] = result['created'] = False
                current = api.poll(lambda: get_user(api, name))
                if current is None:
                    raise ApiError('GetUser', code='EntityNotExist.User',
                                   message='user %s: CreateUser says it exists, but GetUser did not show it within the '
                                           'consistency window (%s s)' % (name, api.policy.consistency_window)) from None
                current_policies, current_groups = _read_memberships(api, spec, True)
                plan = plan_memberships(spec, current_policies, current_groups)
    if current is not None:
        user = dict(current)
        changes = diff_user_attributes(current, attributes)
        if changes:
            result['changed'] = True
            user.update(changes)
            if not check_mode:
                user.update(to_snake(update_user(api, name, changes)) or {})

    _write_memberships(api, name, plan, check_mode, result)
    if any(plan.values()):
        result['changed'] = True
    after_policies, after_groups = memberships_after(current_policies, current_groups, plan)
    if after_policies is not None:
        result['policies'] = sorted(policy_label(p) for p in after_policies)
    if after_groups is not None:
        result['groups'] = sorted(after_groups)
    result['user'] = user
    result['diff'] = {'before': state_view(current, spec, current_policies, current_groups),
                      'after': state_view(user, spec, after_policies, after_groups)}
    return result


def remove_user(api, spec, check_mode):
    """state=absent.  With ``spec['force']`` the user's keys, policies, groups and login profile go first."""
    name = spec['name']
    keys = KeyChanges(api, name, check_mode)
    result = {'changed': False, 'user': None, 'deleted_access_key_ids': keys.deleted, 'detached_policies': [],
              'removed_groups': [], 'login_profile_deleted': False, 'mfa_device_unbound': None}
    current = get_user(api, name)
    if current is None:
        result['diff'] = {'before': {'state': 'absent'}, 'after': {'state': 'absent'}}
        return result
    result['changed'] = True
    if spec.get('force'):
        for key in list_access_keys(api, name):
            keys.delete(key['access_key_id'])
        plan = {'detach': list_user_policies(api, name), 'attach': [], 'remove': list_user_groups(api, name), 'add': []}
        _write_memberships(api, name, plan, check_mode, result)
        if has_login_profile(api, name):
            if not check_mode:
                delete_login_profile(api, name)
            result['login_profile_deleted'] = True
        # DeleteUser refuses a user with an MFA device (DeleteConflict.User.MFADevice); the device stays in the account
        result['mfa_device_unbound'] = unbind_mfa_device(api, name, check_mode)
    if not check_mode:
        delete_user(api, name)
    result['diff'] = {'before': state_view(current, spec, None, None), 'after': {'state': 'absent'}}
    return result


def find_users(api, name=None, name_prefix=None, name_regex=None, include=(), now=None):
    """Users as snake_case dicts: one by name ([] when missing) or all, filtered; ``include`` adds
    access_keys (with age_days), policies ('Type:Name') and groups."""
    pattern = compile_name_regex(name_regex)
    if name:
        raw = user_raw(api, name)
        users = [raw] if raw else []
    else:
        users = list_users(api)
    now = now or utc_now()
    result = []
    for raw in users:
        user = to_snake(raw)
        user_name = user.get('user_name') or ''
        if not name_matches(user_name, name_prefix, pattern):
            continue
        if 'access_keys' in include:
            user['access_keys'] = describe_keys(list_access_keys(api, user_name), now)
        if 'policies' in include:
            user['policies'] = sorted(policy_label(p) for p in list_user_policies(api, user_name))
        if 'groups' in include:
            user['groups'] = sorted(list_user_groups(api, user_name))
        result.append(user)
    return sorted(result, key=lambda u: u.get('user_name') or '')


def unlisted_users(api, specs, matches):
    """Specs (state absent, force) for the users matching the filter that are not listed.

    The identity running the module is never among them: deleting it would cut the run off halfway."""
    listed = set(spec['name'] for spec in specs)
    unlisted = sorted(((u['UserName'], u.get('UserId')) for u in list_users(api)
                       if u.get('UserName') and u['UserName'] not in listed and matches(u['UserName'])))
    names = [name for name, dummy in unlisted]
    if names:
        identity = caller_identity(api)
        mine = [name for name, user_id in unlisted if identity_is_user(identity, user_id)]
        if mine:
            raise ValidationError('exclusive would delete user %s, whose key runs this module: narrow the filter '
                                  'or list the user' % mine[0])
    return [removal_spec(name) for name in names]


def apply_user(api, spec, check_mode, listed=None):
    """(ram_users entry, diff) of ram_user's semantics for one spec (``listed``: see ensure_user)."""
    if spec['state'] == 'absent':
        result = remove_user(api, spec, check_mode)
    else:
        result = ensure_user(api, spec, check_mode, listed)
    return batch_entry(spec, result), result['diff']
