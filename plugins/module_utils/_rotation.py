# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The end of a key's life (ram_access_keys state=retired and state=absent), applying _rotation_plan.

``retired`` runs after the new key is on every host: the key the hosts hold is proven with STS, then the
user's older keys that no host holds any more are deactivated, and Inactive keys past their grace period
deleted.  ``absent`` deletes the users' keys except those that hosts outside the run still hold.
Users are independent: one failing does not stop the others, and the task then fails naming it.
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._access_keys import (
    ACTIVE,
    INACTIVE,
    delete_access_key,
    list_access_keys,
    update_access_key_status,
)
from ansible_collections.aliyun.ram.plugins.module_utils._batch import error_result, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._key_reconcile import (
    RootKeyError,
    holders_of,
    key_reconcile_options,
    verify_held,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, scrub
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._rotation_plan import plan_retire, plan_revoke

_USER_GONE = 'EntityNotExist.User'


def _held_ids(held, user_name):
    return [entry['access_key_id'] for entry in held if entry['user_name'] == user_name]


def _kept_key(api, held, user_name, keys, verify):
    """(key, identity, warnings): the newest Active key a host holds, proven with STS when ``verify``."""
    held_ids = set(_held_ids(held, user_name))
    warnings = []
    for key in sorted(keys, key=lambda k: (k['create_date'] or '', k['access_key_id'] or ''), reverse=True):
        if key['status'] != ACTIVE or key['access_key_id'] not in held_ids:
            continue
        if not verify:
            return key, None, warnings
        index, identity = verify_held(api, held, user_name, key['access_key_id'])
        if index is not None:
            return key, identity, warnings
        warnings.append('no held copy of AccessKey %s of user %s passed STS verification; it is not the kept key'
                        % (key['access_key_id'], user_name))
    return None, None, warnings


def retire_user(api, held, user_name, options, now, check_mode):
    """state=retired for one user: returns (result, warnings)."""
    keys = list_access_keys(api, user_name)
    kept, identity, warnings = _kept_key(api, held, user_name, keys, options['verify'])
    if kept is None:
        raise ConflictError('no host holds an active AccessKey of user %s%s: nothing is deactivated or deleted'
                            % (user_name, ' that passes STS verification' if options['verify'] else ''))
    plan = plan_retire(keys, _held_ids(held, user_name), kept['access_key_id'], options['delete_after_days'], now)
    result = {
        'access_key_id': kept['access_key_id'],
        'status': ACTIVE,
        'create_date': kept['create_date'],
        'holders': holders_of(held, user_name, kept['access_key_id']),
        'deactivated_access_key_ids': [],
        'deleted_access_key_ids': [],
        'still_held_access_key_ids': plan['still_held'] + plan['held_inactive'],
        'pending_access_key_ids': plan['pending'],
        'newer_access_key_ids': plan['newer'],
    }
    if identity:
        result['identity'] = {'identity_type': identity['identity_type'], 'arn': identity['arn']}
    for access_key_id in plan['deactivate']:
        if not check_mode:
            update_access_key_status(api, user_name, access_key_id, INACTIVE)
        result['deactivated_access_key_ids'].append(access_key_id)
    for access_key_id in plan['delete']:
        if not check_mode:
            delete_access_key(api, user_name, access_key_id)
        result['deleted_access_key_ids'].append(access_key_id)
    for access_key_id in plan['still_held']:
        warnings.append('AccessKey %s of user %s stays Active: %s still hold(s) it' % (
            access_key_id, user_name, ', '.join(holders_of(held, user_name, access_key_id)) or 'a host'))
    return result, warnings


def revoke_user(api, held, user_name, check_mode):
    """state=absent for one user: returns (result, warnings)."""
    try:
        keys = list_access_keys(api, user_name)
    except ApiError as err:
        if err.code == _USER_GONE:
            return {'user_exists': False, 'deleted_access_key_ids': [], 'kept_access_key_ids': [], 'holders': {}}, []
        raise
    plan = plan_revoke(keys, _held_ids(held, user_name))
    result = {'user_exists': True, 'deleted_access_key_ids': [], 'kept_access_key_ids': plan['kept'],
              'holders': dict((key_id, holders_of(held, user_name, key_id)) for key_id in plan['kept'])}
    for access_key_id in plan['delete']:
        if not check_mode:
            delete_access_key(api, user_name, access_key_id)
        result['deleted_access_key_ids'].append(access_key_id)
    warnings = ['AccessKey %s of user %s is left alone: %s outside this run still hold(s) it' % (
        key_id, user_name, ', '.join(result['holders'][key_id]) or 'a host') for key_id in plan['kept']]
    return result, warnings


def lifecycle_keys(api, options, check_mode, now=None):
    """ram_access_keys with state=retired or state=absent; returns the module result or raises ConflictError."""
    now = now or utc_now()
    held = options['held']
    secrets = [entry.get('access_key_secret') for entry in held]
    share_backoff(api)

    def work(user_name):
        try:
            if options['state'] == 'retired':
                return retire_user(api, held, user_name, options, now, check_mode)
            return revoke_user(api, held, user_name, check_mode)
        except RootKeyError as err:
            raise ConflictError(str(err), root_key_refused=True)

    access_keys, warnings, failures = {}, [], []
    for outcome in run_parallel(options['users'], work, options['parallelism']):
        if outcome.failed:
            failures.append((outcome.item, outcome.error))
            continue
        result, user_warnings = outcome.result
        access_keys[outcome.item] = result
        warnings.extend(user_warnings)
    result = {
        'changed': any(r.get('deactivated_access_key_ids') or r['deleted_access_key_ids'] for r in access_keys.values()),
        'access_keys': access_keys,
        'deactivated_count': sum(len(r.get('deactivated_access_key_ids', [])) for r in access_keys.values()),
        'deleted_count': sum(len(r['deleted_access_key_ids']) for r in access_keys.values()),
        'warnings': warnings,
    }
    if failures:
        message = '%s failed for %d user(s) (the other users were handled): %s' % (
            'retiring old AccessKeys' if options['state'] == 'retired' else 'deleting AccessKeys', len(failures),
            '; '.join('%s: %s' % (user_name, err) for user_name, err in failures))
        raise ConflictError(scrub(message, secrets), errors=dict((name, error_result(err)) for name, err in failures),
                            **result)
    return result


def run_ram_access_keys_lifecycle(module):
    """The ram_access_keys module with state=retired or state=absent."""
    options = key_reconcile_options(module.params)
    return lifecycle_keys(module.api(), options, module.check_mode)
