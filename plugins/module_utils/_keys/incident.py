# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""A leaked AccessKey's I/O (playbooks/respond.yml): whose key it is, and the compromised record.

* ``find_owners``: RAM has no "who owns this key id" call, so every user's keys are listed (ListUsers, then
  ListAccessKeys per user on the bounded pool of ``_batch``), and the last use of each key found is read.
* ``record_compromised``: the key id into the user's Comments (``plan.mark_compromised``), and optionally the key
  deactivated; never deleted, never reactivated.
Entry points of ram_access_key_owner_info and ram_access_key_compromised; every input checked before any call.
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._batch import check_parallelism, raise_failures, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import (
    list_access_keys_if_user,
    read_unless_gone,
    update_access_key_status,
)
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import (
    ACTIVE,
    INACTIVE,
    compromised_ids,
    describe_keys,
    mark_compromised,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._respond import check_leaked_ids
from ansible_collections.aliyun.ram.plugins.module_utils._users.api import get_user, listed_users, update_user


def _now_text():
    return utc_now().strftime('%Y-%m-%dT%H:%M:%SZ')


def _last_used(api, user_name, access_key_id):
    body = read_unless_gone(api, 'GetAccessKeyLastUsed', UserName=user_name, UserAccessKeyId=access_key_id)
    return ((body or {}).get('AccessKeyLastUsed') or {}).get('LastUsedDate') or None


def find_owners(api, access_key_ids, parallelism, include_last_used=True, now=None):
    """``({key id: owner}, users scanned)``; owner is ``{found, user_name, user_id, comments, compromised, status,
    create_date, age_days, last_used_date, user_keys}`` (``found`` False and the rest None when no user of the account
    has the key: an account root key, another account's key, or a deleted one)."""
    now = now or utc_now()
    share_backoff(api)
    users = listed_users(api)
    wanted = set(access_key_ids)
    owners = dict((key_id, {'access_key_id': key_id, 'found': False}) for key_id in access_key_ids)
    failures = []
    for outcome in run_parallel(sorted(users), lambda name: list_access_keys_if_user(api, name), parallelism):
        if outcome.failed:
            failures.append((outcome.item, outcome.error))
            continue
        keys = describe_keys(outcome.result or [], now)
        for key in keys:
            if key['access_key_id'] not in wanted:
                continue
            user = users[outcome.item]
            owners[key['access_key_id']] = dict(
                key, found=True, user_name=outcome.item, user_id=user.get('UserId'),
                comments=user.get('Comments') or '', compromised=key['access_key_id'] in compromised_ids(user.get('Comments')),
                user_keys=keys)
    raise_failures('the keys of %d of %d users could not be listed, so the owner of a leaked key may be among them'
                   % (len(failures), len(users)), failures)
    if include_last_used:
        found = [owner for owner in owners.values() if owner['found']]
        for outcome in run_parallel(found, lambda o: _last_used(api, o['user_name'], o['access_key_id']), parallelism):
            if outcome.failed:
                failures.append((outcome.item['access_key_id'], outcome.error))
            else:
                outcome.item['last_used_date'] = outcome.result
        raise_failures('the last use of %d key(s) could not be read' % len(failures), failures)
    return owners, len(users)


def run_ram_access_key_owner_info(module):
    """The ram_access_key_owner_info module."""
    params = module.params
    access_key_ids = check_leaked_ids(params['access_key_ids'], 'access_key_ids')
    parallelism = check_parallelism(params['parallelism'])
    owners, scanned = find_owners(module.api(), access_key_ids, parallelism, params['include_last_used'])
    return {'changed': False, 'access_keys': [owners[key_id] for key_id in access_key_ids], 'users_scanned': scanned}


def record_compromised(api, user_name, access_key_id, deactivate, check_mode):
    """Record the key as compromised in its user's Comments, then (``deactivate``) make it Inactive. Returns the
    module result; raises ConflictError when the key is not the user's or the record does not fit."""
    keys = list_access_keys_if_user(api, user_name)
    if keys is None:
        raise ConflictError('RAM has no user %s' % user_name)
    key = next((k for k in keys if k['access_key_id'] == access_key_id), None)
    if key is None:
        raise ConflictError('user %s has no AccessKey %s' % (user_name, access_key_id))
    current = (get_user(api, user_name) or {}).get('comments') or ''
    comments, error = mark_compromised(current, access_key_id)
    if error:
        raise ConflictError('user %s: %s' % (user_name, error))
    result = {'user_name': user_name, 'access_key_id': access_key_id, 'recorded': comments is not None,
              'recorded_at': None, 'deactivated': False, 'status': key['status'], 'deactivated_at': None}
    if comments is not None:
        if not check_mode:
            update_user(api, user_name, {'comments': comments})
        result['recorded_at'] = _now_text()
    if deactivate and key['status'] == ACTIVE:
        if not check_mode:
            update_access_key_status(api, user_name, access_key_id, INACTIVE)
        result.update(deactivated=True, status=INACTIVE, deactivated_at=_now_text())
    result['comments'] = comments if comments is not None else current
    result['changed'] = result['recorded'] or result['deactivated']
    return result


def run_ram_access_key_compromised(module):
    """The ram_access_key_compromised module."""
    params = module.params
    user_name = validate.user_name(params['user_name'], 'user_name')
    access_key_id = check_leaked_ids([params['access_key_id']], 'access_key_id')[0]
    if not isinstance(params['deactivate'], bool):
        raise ValidationError('deactivate must be a boolean')
    return record_compromised(module.api(), user_name, access_key_id, params['deactivate'], module.check_mode)
