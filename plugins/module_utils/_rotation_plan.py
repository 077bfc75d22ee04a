# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Key lifecycle decisions: which users rotate, which old keys to deactivate and delete, what revocation removes.

All pure: inputs are the user's keys as RAM lists them (``normalize_keys`` shape), the ids that hosts (or
the secret store) hold, the policy and ``now``.  The rules that make rotation safe to re-run after a
failure at any step:

* a user with two Active keys whose newer one is held is in the middle of a rotation: it is finished
  (the newer key deployed, the older deactivated), never started again;
* a user rotated by name that still has an Inactive key (left by an earlier rotation for rollback) is
  not rotated again until that key is deleted;
* an old key is deactivated only when no host holds it any more, and deleted only when it is Inactive,
  no host holds it and its grace period is over.
"""

from __future__ import annotations

import datetime

from ansible_collections.aliyun.ram.plugins.module_utils._access_keys import ACTIVE, INACTIVE, is_older_than
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import parse_date

ROTATE = 'rotate'
RESUME = 'resume'
RECENTLY_ROTATED = 'recently_rotated'
TOO_YOUNG = 'too_young'
NO_HELD_KEY = 'no_held_key'


def _sorted(keys):
    return sorted(keys, key=lambda k: (k['create_date'] or '', k['access_key_id'] or ''))


def _ids(keys):
    return [k['access_key_id'] for k in keys]


def select_rotation(ram_keys, held_ids, older_than_days, now):
    """Whether a user named for rotation gets a new key in this run.

    Returns ``decision`` (``rotate``, ``resume``, ``recently_rotated``, ``too_young``, ``no_held_key``),
    ``replace`` (the held Active keys the new key replaces; empty unless ``rotate``) and ``message``.
    ``older_than_days`` set: rotate only when the newest held Active key is older (age-based rotation, which is
    naturally idempotent, so Inactive keys do not hold it back); unset: rotate now (by name).
    """
    keys = _sorted(ram_keys)
    held = set(held_ids)
    active = [k for k in keys if k['status'] == ACTIVE]
    inactive = [k for k in keys if k['status'] == INACTIVE]
    held_active = [k for k in active if k['access_key_id'] in held]
    decision = {'decision': None, 'replace': [], 'message': None}
    if len(active) > 1 and active[-1]['access_key_id'] in held:
        decision.update(decision=RESUME, message='a rotation is under way: AccessKey %s is deployed, then %s deactivated'
                        % (active[-1]['access_key_id'], ', '.join(_ids(active[:-1]))))
        return decision
    if not held_active:
        decision.update(decision=NO_HELD_KEY, message='nothing holds an active key of the user: one is created as when provisioning')
        return decision
    current = held_active[-1]
    if older_than_days:
        if not is_older_than(current, older_than_days, now):
            decision.update(decision=TOO_YOUNG, message='AccessKey %s is not older than %d days' % (
                current['access_key_id'], older_than_days))
            return decision
    elif inactive:
        decision.update(decision=RECENTLY_ROTATED, message=(
            'the Inactive key(s) %s of an earlier rotation are kept for rollback until their grace period ends: the user is '
            'rotated again once they are deleted' % ', '.join(_ids(inactive))))
        return decision
    decision.update(decision=ROTATE, replace=_ids(held_active),
                    message='AccessKey %s is replaced by a new key' % current['access_key_id'])
    return decision


def grace_over(replacement_create_date, delete_after_days, now):
    """Whether keys replaced by a key created at ``replacement_create_date`` may be deleted.

    RAM does not record when a key was deactivated; rotation deactivates the old key right after the new one
    is deployed, so the new key's age measures the grace period.  ``delete_after_days`` None: never by age (only
    keys that were already Inactive before this run go, see ``plan_retire``)."""
    if delete_after_days is None:
        return False
    created = parse_date(replacement_create_date)
    return created is not None and now - created >= datetime.timedelta(days=delete_after_days)


def plan_retire(ram_keys, held_ids, target_id, delete_after_days, now):
    """After every host of a user holds ``target_id``: which of the user's other keys to deactivate and delete.

    ``held_ids``: ids that hosts still hold (not the secret store: its copies of old keys are for rollback).
    Active keys older than the target that no host holds are deactivated; held ones are reported in
    ``still_held`` and left Active.  Active keys newer than the target are never touched (``newer``).
    Inactive keys that no host holds are deleted when their grace period is over: with ``delete_after_days``
    None, keys that were already Inactive before this run (a later run deletes the keys deactivated now);
    otherwise once the target is ``delete_after_days`` old (0: right away).  The rest is ``pending``.
    """
    keys = _sorted(ram_keys)
    held = set(held_ids)
    by_id = dict((k['access_key_id'], k) for k in keys)
    target = by_id[target_id]
    position = keys.index(target)
    older_active = [k for k in keys[:position] if k['status'] == ACTIVE]
    plan = {
        'deactivate': [k['access_key_id'] for k in older_active if k['access_key_id'] not in held],
        'still_held': [k['access_key_id'] for k in older_active if k['access_key_id'] in held],
        'newer': [k['access_key_id'] for k in keys[position + 1:] if k['status'] == ACTIVE],
        'delete': [],
        'pending': [],
        'held_inactive': [k['access_key_id'] for k in keys if k['status'] == INACTIVE and k['access_key_id'] in held],
    }
    over = grace_over(target['create_date'], delete_after_days, now)
    for key in keys:
        key_id = key['access_key_id']
        if key_id in held or key_id == target_id:
            continue
        if key['status'] == INACTIVE:
            (plan['delete'] if over or delete_after_days is None else plan['pending']).append(key_id)
        elif key_id in plan['deactivate']:
            (plan['delete'] if over else plan['pending']).append(key_id)
    return plan


def plan_revoke(ram_keys, held_elsewhere_ids):
    """Revocation of a user's keys: ``delete`` every key except those that hosts outside the run still hold
    (``kept``; the caller passes none to force)."""
    held = set(held_elsewhere_ids)
    keys = _sorted(ram_keys)
    return {'delete': [k['access_key_id'] for k in keys if k['access_key_id'] not in held],
            'kept': [k['access_key_id'] for k in keys if k['access_key_id'] in held]}
