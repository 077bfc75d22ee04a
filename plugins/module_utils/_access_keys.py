# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""AccessKeys: which key to keep, when to create one, what to delete to make room, and doing it safely.

The secret of a key exists only in the CreateAccessKey response, and a user may hold at most two keys
(inactive ones count).  So a key is created only when the caller holds none that RAM still lists, a
lost CreateAccessKey response is cleaned up instead of leaving an orphan, and an active key is never
deleted to make room.  ``plan_access_key`` is pure; the ``*_access_key`` functions apply a plan through
a RamApi and are safe to call from several threads at once.
"""

from __future__ import annotations

import datetime

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._batch import check_parallelism, error_result, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import (
    age_days,
    parse_date,
    to_snake,
    unwrap_list,
    utc_now,
)

KEY_LIMIT = 2
ACTIVE = 'Active'
INACTIVE = 'Inactive'
STATUS_CHOICES = {'active': ACTIVE, 'inactive': INACTIVE}
ON_LIMIT_CHOICES = ('fail', 'delete_inactive')
_KEY_GONE = ('EntityNotExist.User.AccessKey',)


def normalize_keys(raw_keys):
    """API AccessKey objects -> ``[{access_key_id, status, create_date}]``, oldest first."""
    keys = []
    for raw in raw_keys or []:
        key = to_snake(raw)
        keys.append({'access_key_id': key.get('access_key_id'), 'status': key.get('status'),
                     'create_date': key.get('create_date')})
    return sorted(keys, key=lambda k: (k['create_date'] or '', k['access_key_id'] or ''))


def describe_keys(keys, now):
    return [dict(key, age_days=age_days(key['create_date'], now)) for key in keys]


def is_older_than(key, max_age_days, now):
    created = parse_date(key.get('create_date'))
    return created is not None and now - created > datetime.timedelta(days=max_age_days)


def _key_summary(keys, now):
    parts = []
    for key in keys:
        age = age_days(key['create_date'], now)
        parts.append('%s (%s, %s days old)' % (key['access_key_id'], key['status'], '?' if age is None else age))
    return ', '.join(parts)


def make_room(keys, held_ids, on_limit, now, limit=KEY_LIMIT, spare_held=True):
    """(key ids to delete, error) so that one more key fits under ``limit``.

    Only Inactive keys are ever deleted, oldest first.  Held keys (``held_ids``, whose secrets someone has)
    are never deleted with ``spare_held``; otherwise they go last.
    """
    excess = len(keys) - limit + 1
    if excess <= 0:
        return [], None
    summary = 'the user has %d AccessKeys and the limit is %d: %s' % (len(keys), limit, _key_summary(keys, now))
    if on_limit == 'delete_inactive':
        held_ids = set(held_ids)
        inactive = [k for k in keys if k['status'] == INACTIVE and not (spare_held and k['access_key_id'] in held_ids)]
        inactive.sort(key=lambda k: (k['access_key_id'] in held_ids, k['create_date'] or '', k['access_key_id'] or ''))
        if len(inactive) >= excess:
            return [k['access_key_id'] for k in inactive[:excess]], None
        spared = 'active keys and the held key are never deleted here' if spare_held else 'active keys are never deleted'
        return [], ('%s; on_limit=delete_inactive found no inactive key to delete (%s): deactivate or delete a key first'
                    % (summary, spared))
    return [], '%s; on_limit=fail: delete or deactivate a key, or set on_limit=delete_inactive' % summary


def plan_access_key(ram_keys, held_access_key_id, desired_status, max_age_days, on_limit, now, limit=KEY_LIMIT):
    """Decide what ram_access_key does (pure).

    ``ram_keys``: the user's keys as RAM lists them (``normalize_keys`` shape); ``held_access_key_id``: the
    key the caller holds the secret of (None: none); ``desired_status``: active/inactive/None.
    Returns ``keep`` (existing key reported), ``create``, ``new_key_status``, ``delete`` (ids, to make room),
    ``update_status`` (``{access_key_id, status}``), ``rotated_from``, ``reason``, ``warnings`` and
    ``error`` (set when nothing may be done).
    """
    keys = sorted(ram_keys, key=lambda k: (k['create_date'] or '', k['access_key_id'] or ''))
    by_id = dict((k['access_key_id'], k) for k in keys)
    want_status = STATUS_CHOICES.get(desired_status) if desired_status else None
    plan = {'keep': None, 'create': False, 'new_key_status': None, 'delete': [], 'update_status': None,
            'rotated_from': None, 'reason': '', 'warnings': [], 'error': None}

    def create(reason, rotated_from=None):
        plan['delete'], plan['error'] = make_room(keys, [held_access_key_id], on_limit, now, limit=limit)
        plan['create'] = plan['error'] is None
        plan['new_key_status'] = want_status or ACTIVE
        plan['rotated_from'] = rotated_from
        plan['reason'] = reason
        return plan

    held = by_id.get(held_access_key_id) if held_access_key_id else None
    if held is not None:
        if want_status != INACTIVE and max_age_days and is_older_than(held, max_age_days, now):
            # the old key stays as it is: rotation playbooks retire it once the new one is deployed
            return create('the held key %s is older than %d days' % (held_access_key_id, max_age_days),
                          rotated_from=held_access_key_id)
        plan['keep'] = held_access_key_id
        plan['reason'] = 'the held key %s exists' % held_access_key_id
        if want_status and held['status'] != want_status:
            plan['update_status'] = {'access_key_id': held_access_key_id, 'status': want_status}
        return plan

    if held_access_key_id:
        return create('the held key %s no longer exists' % held_access_key_id)

    active = [k for k in keys if k['status'] == ACTIVE]
    if active:
        newest = active[-1]
        plan['keep'] = newest['access_key_id']
        plan['reason'] = ('the user already has an active key (%s) whose secret is not known here; no new key is created '
                          'without access_key_id' % newest['access_key_id'])
        if max_age_days and is_older_than(newest, max_age_days, now):
            plan['warnings'].append('AccessKey %s is older than %d days; pass it as access_key_id to rotate it'
                                    % (newest['access_key_id'], max_age_days))
        return plan
    return create('the user has no active key')


def list_access_keys(api, user_name):
    """The user's keys, oldest first (raises ApiError EntityNotExist.User for a missing user)."""
    return normalize_keys(unwrap_list(api.read('ListAccessKeys', UserName=user_name), 'AccessKeys', 'AccessKey'))


def delete_access_key(api, user_name, access_key_id):
    def verify():
        gone = access_key_id not in [k['access_key_id'] for k in list_access_keys(api, user_name)]
        return {} if gone else None

    try:
        api.write('DeleteAccessKey', verify=verify, UserName=user_name, UserAccessKeyId=access_key_id)
    except ApiError as err:
        if err.code not in _KEY_GONE:
            raise


def update_access_key_status(api, user_name, access_key_id, status):
    def verify():
        for key in list_access_keys(api, user_name):
            if key['access_key_id'] == access_key_id and key['status'] == status:
                return {}
        return None

    api.write('UpdateAccessKey', verify=verify, UserName=user_name, UserAccessKeyId=access_key_id, Status=status)


def create_access_key(api, user_name, known_access_key_ids, discarded=None):
    """CreateAccessKey that never leaves an orphan: after a lost response, any key that appeared since
    ``known_access_key_ids`` was listed is deleted (its secret is gone) before creating again.
    Deleted ids are appended to ``discarded``."""
    known = set(known_access_key_ids)
    discarded = discarded if discarded is not None else []

    def reconcile():
        for key in list_access_keys(api, user_name):
            if key['access_key_id'] not in known:
                delete_access_key(api, user_name, key['access_key_id'])
                discarded.append(key['access_key_id'])
        return None

    body = api.write('CreateAccessKey', verify=reconcile, UserName=user_name)
    key = (body or {}).get('AccessKey') or {}
    if not key.get('AccessKeyId') or not key.get('AccessKeySecret'):
        raise ApiError('CreateAccessKey', code='UnexpectedResponse', message='the response carries no AccessKey')
    api.remember_secret(key['AccessKeySecret'])
    return {'access_key_id': key['AccessKeyId'], 'access_key_secret': key['AccessKeySecret'],
            'status': key.get('Status') or ACTIVE, 'create_date': key.get('CreateDate')}


def ensure_access_key(api, spec, check_mode, now=None):
    """state=present.  ``spec``: user_name, access_key_id, status, max_age_days, on_limit."""
    user_name = spec['user_name']
    now = now or utc_now()
    keys = list_access_keys(api, user_name)
    plan = plan_access_key(keys, spec.get('access_key_id'), spec.get('status'), spec.get('max_age_days'),
                           spec.get('on_limit') or 'fail', now)
    if plan['error']:
        raise ConflictError('AccessKey limit for user %s: %s' % (user_name, plan['error']),
                            user_name=user_name, access_keys=describe_keys(keys, now))
    result = {'changed': False, 'created': False, 'user_name': user_name, 'deleted_access_key_ids': [],
              'rotated_from': plan['rotated_from'], 'reason': plan['reason'], 'warnings': plan['warnings']}

    for access_key_id in plan['delete']:
        if not check_mode:
            delete_access_key(api, user_name, access_key_id)
        result['deleted_access_key_ids'].append(access_key_id)
        result['changed'] = True

    if plan['create']:
        result['changed'] = result['created'] = True
        if check_mode:
            # never invent a key id or a secret
            result['access_key'] = {'access_key_id': None, 'status': plan['new_key_status'], 'create_date': None}
            return result
        remaining = [k['access_key_id'] for k in keys if k['access_key_id'] not in plan['delete']]
        created = create_access_key(api, user_name, remaining, discarded=result['deleted_access_key_ids'])
        if plan['new_key_status'] != created['status']:
            try:
                update_access_key_status(api, user_name, created['access_key_id'], plan['new_key_status'])
            except ApiError:
                # the caller never sees this secret: do not leave the key behind
                delete_access_key(api, user_name, created['access_key_id'])
                raise
            created['status'] = plan['new_key_status']
        result['access_key'] = created
        return result

    key = dict(next(k for k in keys if k['access_key_id'] == plan['keep']))
    if plan['update_status']:
        result['changed'] = True
        if not check_mode:
            update_access_key_status(api, user_name, key['access_key_id'], plan['update_status']['status'])
        key['status'] = plan['update_status']['status']
    result['access_key'] = key
    return result


def remove_access_key(api, spec, check_mode):
    """state=absent: delete ``spec['access_key_id']`` of ``spec['user_name']`` if RAM still lists it."""
    user_name, access_key_id = spec['user_name'], spec['access_key_id']
    result = {'changed': False, 'created': False, 'user_name': user_name, 'deleted_access_key_ids': [], 'access_key': None}
    try:
        keys = list_access_keys(api, user_name)
    except ApiError as err:
        if err.code == 'EntityNotExist.User':
            return result
        raise
    if access_key_id in [k['access_key_id'] for k in keys]:
        if not check_mode:
            delete_access_key(api, user_name, access_key_id)
        result['changed'] = True
        result['deleted_access_key_ids'] = [access_key_id]
    return result


def access_key_info(api, user_name, include_last_used=False, now=None):
    """The user's keys with age_days (and last_used_date on request); None when the user does not exist."""
    now = now or utc_now()
    try:
        keys = describe_keys(list_access_keys(api, user_name), now)
    except ApiError as err:
        if err.code == 'EntityNotExist.User':
            return None
        raise
    if include_last_used:
        for key in keys:
            body = api.read_optional('GetAccessKeyLastUsed', _KEY_GONE, UserName=user_name, UserAccessKeyId=key['access_key_id'])
            key['last_used_date'] = ((body or {}).get('AccessKeyLastUsed') or {}).get('LastUsedDate') or None
    return keys


def access_key_spec(params):
    """Validated spec for ensure_access_key/remove_access_key (raises ValidationError)."""
    validate.user_name(params['user_name'], 'user_name')
    if params.get('access_key_id'):
        validate.access_key_id(params['access_key_id'])
    if params.get('max_age_days') is not None and params['max_age_days'] < 1:
        raise ValidationError('max_age_days must be 1 or more, got %d' % params['max_age_days'])
    if params.get('state') != 'absent' and params.get('status') == 'inactive' and not params.get('access_key_id'):
        raise ValidationError('status=inactive needs access_key_id: name the key to deactivate')
    if params.get('state') == 'absent' and not params.get('access_key_id'):
        raise ValidationError('state=absent needs access_key_id: name the key to delete')
    return dict(params)


def run_ram_access_key(module):
    """The ram_access_key module."""
    spec = access_key_spec(module.params)
    if spec['state'] == 'absent':
        return remove_access_key(module.api(), spec, module.check_mode)
    return ensure_access_key(module.api(), spec, module.check_mode)


def run_ram_access_key_info(module):
    """The ram_access_key_info module: one user (user_name), or many in one invocation (user_names)."""
    params = module.params
    if params['user_names'] is None:
        user_name = validate.user_name(params['user_name'], 'user_name')
        keys = access_key_info(module.api(), user_name, include_last_used=params['include_last_used'])
        return {'changed': False, 'user_name': user_name, 'user_exists': keys is not None, 'access_keys': keys or []}
    user_names = list(dict.fromkeys(validate.user_name(name, 'user_names') for name in params['user_names']))
    parallelism = check_parallelism(params['parallelism'])
    api = module.api()
    share_backoff(api)
    now = utc_now()
    outcomes = run_parallel(user_names, lambda name: access_key_info(api, name, params['include_last_used'], now),
                            parallelism)
    users, failures = [], []
    for outcome in outcomes:
        if outcome.failed:
            failures.append('%s: %s' % (outcome.item, outcome.error))
            users.append({'user_name': outcome.item, 'access_keys': [], 'error': error_result(outcome.error)})
        else:
            users.append({'user_name': outcome.item, 'user_exists': outcome.result is not None,
                          'access_keys': outcome.result or []})
    result = {'changed': False, 'users': users}
    if failures:
        raise ConflictError('the keys of %d of %d users could not be listed (the others were): %s'
                            % (len(failures), len(users), '; '.join(failures)), **result)
    return result
