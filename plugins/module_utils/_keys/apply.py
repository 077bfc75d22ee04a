# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Running the plans of ``plan``: one user's key (ram_access_key), and many users' keys (ram_access_keys).

* ``KeyChanges`` is the only writer: check mode is decided there, once (nothing is sent, the result reads as if it
  had been), and a created key that cannot be finished (status, STS proof) is deleted, since nobody will see its
  secret.
* ``first_held`` picks the kept key among a plan's candidates, proving a held copy with STS when asked.
* ``reconcile_keys`` reads and verifies every user first and writes only when all of that worked (so a failure
  never leaves a key nobody will deploy); ``lifecycle_keys`` retires or revokes users independently.  Both collect
  per-user failures and raise once (``_batch.raise_failures``).
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._batch import error_result, raise_failures, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import (
    RootKeyError,
    UserId,
    check_stale_copies,
    create_access_key,
    delete_access_key,
    list_access_keys,
    list_access_keys_if_user,
    update_access_key_status,
    verify_created,
    verify_held,
)
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import (
    ACTIVE,
    INACTIVE,
    STATUS_CHOICES,
    describe_keys,
    held_active_newest_first,
    held_copies,
    held_ids_of,
    holders_of,
    needs_proof,
    plan_keys,
    plan_retire,
    plan_revoke,
    reconcile_policy,
    refuse_compromised,
    select_rotation,
    single_key_policy,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, scrub
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import utc_now

RETIRE = 'retire'
REVOKE = 'revoke'


class KeyChanges(object):
    """Every key write for one user.  ``deleted`` and ``deactivated`` list what was (in check mode: would be) done."""

    def __init__(self, api, user_name, check_mode):
        self.api = api
        self.user_name = user_name
        self.check_mode = check_mode
        self.deleted = []
        self.deactivated = []

    def delete(self, access_key_id):
        if not self.check_mode:
            delete_access_key(self.api, self.user_name, access_key_id)
        self.deleted.append(access_key_id)

    def set_status(self, access_key_id, status):
        if not self.check_mode:
            update_access_key_status(self.api, self.user_name, access_key_id, status)
        if status == INACTIVE:
            self.deactivated.append(access_key_id)

    def create(self, plan, finish=None):
        """Make room (``plan['delete']``), then create a key with ``plan['new_key_status']``.

        ``finish(key)`` may prove the key (its result is returned with the key); when it or the status change fails,
        the new key is deleted.  Returns (key, finish result); in check mode the key has no id and no secret."""
        for access_key_id in plan['delete']:
            self.delete(access_key_id)
        if self.check_mode:
            # never invent a key id or a secret
            return {'access_key_id': None, 'status': plan['new_key_status'], 'create_date': None}, None
        remaining = [key_id for key_id in plan['listed'] if key_id not in self.deleted]
        key = create_access_key(self.api, self.user_name, remaining, discarded=self.deleted)
        try:
            if plan['new_key_status'] != key['status']:
                update_access_key_status(self.api, self.user_name, key['access_key_id'], plan['new_key_status'])
                key['status'] = plan['new_key_status']
            finished = finish(key) if finish else None
        except ApiError:
            # the caller never sees this secret: do not leave the key behind
            delete_access_key(self.api, self.user_name, key['access_key_id'])
            raise
        return key, finished


def first_held(api, held, user_name, candidates, verify, need_secret=True, prove_agreeing=False, user_id=None):
    """(key id, held index, identity, warnings): the first candidate with a held copy that passes STS when it needs
    a proof (``verify`` and ``needs_proof``), otherwise that has a secret (any copy when not ``need_secret``);
    (None, None, None, warnings)."""
    warnings = []
    user_id = user_id or UserId(api, user_name)
    for access_key_id in candidates:
        copies = held_copies(held, user_name, access_key_id)
        proving = verify and needs_proof(copies, prove_agreeing)
        if proving:
            index, identity = verify_held(api, held, user_name, access_key_id, user_id)
        elif not need_secret:
            return access_key_id, None, None, warnings
        else:
            index, identity = (copies[0][0] if copies else None), None
        if index is not None:
            return access_key_id, index, identity, warnings
        warnings.append('no held copy of AccessKey %s of user %s %s; it is not kept' % (
            access_key_id, user_name, 'passed STS verification' if proving else 'has a secret'))
    return None, None, None, warnings


def _identity_result(identity):
    return {'identity_type': identity['identity_type'], 'arn': identity['arn']}


# ---------------------------------------------------------------- ram_access_key

def ensure_access_key(api, spec, check_mode, now=None):
    """state=present.  ``spec``: user_name, id (the held key), status, max_age_days, on_limit."""
    user_name = spec['user_name']
    now = now or utc_now()
    keys = list_access_keys(api, user_name, expect_ids=[spec['id']] if spec.get('id') else ())
    policy = single_key_policy(spec.get('max_age_days'), spec.get('on_limit') or 'fail', STATUS_CHOICES.get(spec.get('status')))
    # a named key that is to stay or become usable must not be one recorded as compromised (one GetUser)
    if spec.get('id') and policy.status != INACTIVE and spec['id'] in [k['access_key_id'] for k in keys]:
        refusal = refuse_compromised(user_name, [spec['id']], UserId(api, user_name).compromised())
        if refusal:
            raise ConflictError(refusal + '; name no key (a new one is created) or set status=inactive', user_name=user_name)
    plan = plan_keys(keys, [spec['id']] if spec.get('id') else [], policy, now)
    changes = KeyChanges(api, user_name, check_mode)
    result = {'changed': False, 'created': False, 'user_name': user_name, 'deleted_access_key_ids': changes.deleted,
              'rotated_from': plan['rotated_from'], 'reason': plan['reason'], 'warnings': plan['warnings']}
    if plan['keep']:
        key = dict(next(k for k in keys if k['access_key_id'] == plan['keep']))
        if plan['update_status']:
            changes.set_status(key['access_key_id'], plan['update_status']['status'])
            key['status'] = plan['update_status']['status']
            result['changed'] = True
        result['access_key'] = key
        return result
    if not plan['create']:
        raise ConflictError('AccessKey limit for user %s: %s' % (user_name, plan['limit_error']),
                            user_name=user_name, access_keys=describe_keys(keys, now))
    result['access_key'], dummy = changes.create(plan)
    result['changed'] = result['created'] = True
    return result


def remove_access_key(api, spec, check_mode):
    """state=absent: delete ``spec['id']`` of ``spec['user_name']`` if RAM still lists it."""
    user_name, access_key_id = spec['user_name'], spec['id']
    changes = KeyChanges(api, user_name, check_mode)
    keys = list_access_keys_if_user(api, user_name) or []
    if access_key_id in [k['access_key_id'] for k in keys]:
        changes.delete(access_key_id)
    return {'changed': bool(changes.deleted), 'created': False, 'user_name': user_name,
            'deleted_access_key_ids': changes.deleted, 'access_key': None}


# ---------------------------------------------------------------- ram_access_keys: reconcile

def _key_result(user_name, held, key, created=False):
    return {
        'access_key_id': key['access_key_id'] if key else None,
        'created': created,
        'status': key['status'] if key else ACTIVE,
        'create_date': key['create_date'] if key else None,
        'held_index': None,
        'holders': holders_of(held, user_name, key['access_key_id']) if key and not created else [],
        'rotated_from': None,
        'deleted_access_key_ids': [],
        'orphan_access_key_ids': [],
    }


def resolve_user(api, held, user_name, options, now, check_mode=False, user_id=None):
    """Reconcile, phase 1 for one user, read-only: list, plan, verify.  Returns (result, plan, warnings);
    ``result['created']`` says a key must be created (phase 2).  In check mode a user that does not exist is one
    that an earlier task of the same dry run would create: it would get a key.  Keys recorded as compromised in the
    user's Comments (``user_id``, a ``UserId``: one GetUser per user) are never kept."""
    user_id = user_id or UserId(api, user_name)
    held_ids = held_ids_of(held, user_name)
    # a dry run does not wait for users an earlier task of it would have created: they are not there at all
    keys = list_access_keys_if_user(api, user_name) if check_mode else None
    missing = check_mode and keys is None
    if missing:
        keys = []
    elif keys is None or not set(held_ids) <= set(key['access_key_id'] for key in keys):
        keys = list_access_keys(api, user_name, expect_ids=held_ids)
    compromised = [] if missing else user_id.compromised()
    rotation = None
    if user_name in options['rotate_users']:
        rotation = select_rotation(keys, held_ids, options['rotate_older_than_days'], now)
    plan = plan_keys(keys, held_ids, reconcile_policy(options['max_age_days'], options['on_limit']), now,
                     replace_ids=rotation['replace'] if rotation else (), compromised=compromised)
    warnings = []
    refusal = refuse_compromised(user_name, held_ids, compromised)
    if refusal:
        warnings.append(refusal)
    if options['verify'] and plan['stale_held']:
        warnings.extend(check_stale_copies(api, held, user_name, plan['stale_held']))
    kept, index, identity, not_kept = first_held(api, held, user_name, plan['candidates'], options['verify'],
                                                 prove_agreeing=options['prove_held_keys'], user_id=user_id)
    warnings.extend(not_kept)
    if kept:
        result = _key_result(user_name, held, next(k for k in keys if k['access_key_id'] == kept))
        result['held_index'] = index
        if identity:
            result['identity'] = _identity_result(identity)
    else:
        if plan['limit_error']:
            raise ConflictError('user %s needs a new AccessKey (%s), but %s' % (user_name, plan['create_reason'], plan['limit_error']))
        result = _key_result(user_name, held, None, created=True)
        result.update(rotated_from=plan['rotated_from'], deleted_access_key_ids=list(plan['delete']),
                      reason=plan['create_reason'])
        if plan['orphans']:
            warnings.append('user %s has active AccessKey(s) %s that no host holds (the secret cannot be recovered), so a '
                            'new key is created; delete them once nothing uses them' % (user_name, ', '.join(plan['orphans'])))
    result['orphan_access_key_ids'] = plan['orphans']
    if missing:
        result['reason'] = 'the user does not exist yet (check mode): it would get a new key'
    if rotation:
        result['rotation'] = {'decision': rotation['decision'], 'message': rotation['message']}
    return result, plan, warnings


def create_for_user(api, user_name, result, plan, options, check_mode, user_id=None):
    """Reconcile, phase 2 for one user: make room, create, verify; fills ``result``."""
    changes = KeyChanges(api, user_name, check_mode)
    result['deleted_access_key_ids'] = changes.deleted
    user_id = user_id or UserId(api, user_name)
    finish = (lambda key: verify_created(api, user_name, key, user_id)) if options['verify'] else None
    key, identity = changes.create(plan, finish)
    result.update(access_key_id=key['access_key_id'], status=key['status'], create_date=key['create_date'])
    if key.get('access_key_secret'):
        result['access_key_secret'] = key['access_key_secret']
    if identity:
        result['identity'] = _identity_result(identity)
    return result


def reconcile_keys(api, options, check_mode, now=None):
    """ram_access_keys operation=reconcile; returns the module result or raises ConflictError."""
    now = now or utc_now()
    held = options['held']
    secrets = [entry.get('access_key_secret') for entry in held]
    share_backoff(api)
    user_ids = dict((user_name, UserId(api, user_name, options['compromised'].get(user_name, ())))
                    for user_name in options['users'])

    def phase_one(user_name):
        try:
            return resolve_user(api, held, user_name, options, now, check_mode, user_ids[user_name])
        except RootKeyError as err:
            return err

    outcomes = run_parallel(options['users'], phase_one, options['parallelism'])
    roots = [o.result for o in outcomes if isinstance(o.result, RootKeyError)]
    if roots:
        raise ConflictError(scrub('; '.join(str(err) for err in roots), secrets), root_key_refused=True)
    access_keys, warnings, failures, pending = {}, [], [], []
    for outcome in outcomes:
        if outcome.failed:
            failures.append((outcome.item, outcome.error))
            continue
        result, plan, user_warnings = outcome.result
        warnings.extend(user_warnings)
        access_keys[outcome.item] = result
        if result['created']:
            pending.append((outcome.item, plan))
    unknown = sorted(set(entry['user_name'] for entry in held) - set(options['users']))
    if unknown:
        warnings.append('held lists keys of user(s) not in users, ignored: %s' % ', '.join(unknown))
    raise_failures('nothing was created or deleted: reading or verifying the keys failed for %d user(s)' % len(failures),
                   failures, secrets, warnings=warnings)

    def phase_two(item):
        user_name, plan = item
        return create_for_user(api, user_name, access_keys[user_name], plan, options, check_mode, user_ids[user_name])

    created_failures = []
    for outcome in run_parallel(pending, phase_two, options['parallelism']):
        if outcome.failed:
            user_name = outcome.item[0]
            created_failures.append((user_name, outcome.error))
            access_keys[user_name].update(access_key_id=None, created=False, error=error_result(outcome.error))
    result = {
        'changed': any(r['created'] or r['deleted_access_key_ids'] for r in access_keys.values()),
        'access_keys': access_keys,
        'created_count': sum(1 for r in access_keys.values() if r['created']),
        'warnings': warnings,
    }
    raise_failures('creating AccessKeys failed (the keys of the other users are returned) for %d user(s)'
                   % len(created_failures), created_failures, secrets, **result)
    return result


# ---------------------------------------------------------------- ram_access_keys: retire, revoke

def retire_user(api, held, user_name, options, now, check_mode):
    """operation=retire for one user, after the new key is on every host: returns (result, warnings).

    The kept key is the newest Active key a host holds (proven with STS when ``verify``); older keys that no host
    holds any more are deactivated, Inactive keys past their grace period deleted (``plan_retire``)."""
    held_ids = held_ids_of(held, user_name)
    keys = list_access_keys(api, user_name, expect_ids=held_ids)
    user_id = UserId(api, user_name, options['compromised'].get(user_name, ()))
    compromised = user_id.compromised()
    # the end of a rotation proves the deployed key, agreeing copies or not; a compromised key is never the one kept
    candidates = [key_id for key_id in held_active_newest_first(keys, held_ids) if key_id not in compromised]
    kept_id, dummy, identity, warnings = first_held(api, held, user_name, candidates, options['verify'],
                                                    need_secret=False, prove_agreeing=True, user_id=user_id)
    if kept_id is None:
        raise ConflictError('no host holds an active AccessKey of user %s%s: nothing is deactivated or deleted'
                            % (user_name, ' that passes STS verification' if options['verify'] else ''))
    kept = next(k for k in keys if k['access_key_id'] == kept_id)
    plan = plan_retire(keys, held_ids, kept_id, options['delete_after_days'], now, compromised=compromised)
    changes = KeyChanges(api, user_name, check_mode)
    for access_key_id in plan['deactivate']:
        changes.set_status(access_key_id, INACTIVE)
    for access_key_id in plan['delete']:
        changes.delete(access_key_id)
    result = {
        'access_key_id': kept_id,
        'status': ACTIVE,
        'create_date': kept['create_date'],
        'holders': holders_of(held, user_name, kept_id),
        'deactivated_access_key_ids': changes.deactivated,
        'deleted_access_key_ids': changes.deleted,
        'still_held_access_key_ids': plan['still_held'] + plan['held_inactive'],
        'pending_access_key_ids': plan['pending'],
        'newer_access_key_ids': plan['newer'],
        'compromised_access_key_ids': plan['kept_compromised'],
    }
    if identity:
        result['identity'] = _identity_result(identity)
    for access_key_id in plan['still_held']:
        warnings.append('AccessKey %s of user %s stays Active: %s still hold(s) it' % (
            access_key_id, user_name, ', '.join(holders_of(held, user_name, access_key_id)) or 'a host'))
    return result, warnings


def revoke_user(api, held, user_name, check_mode):
    """operation=revoke for one user: every key goes except those held elsewhere; returns (result, warnings)."""
    keys = list_access_keys_if_user(api, user_name)
    if keys is None:
        return {'user_exists': False, 'deleted_access_key_ids': [], 'kept_access_key_ids': [], 'holders': {}}, []
    plan = plan_revoke(keys, held_ids_of(held, user_name))
    changes = KeyChanges(api, user_name, check_mode)
    for access_key_id in plan['delete']:
        changes.delete(access_key_id)
    result = {'user_exists': True, 'deleted_access_key_ids': changes.deleted, 'kept_access_key_ids': plan['kept'],
              'holders': dict((key_id, holders_of(held, user_name, key_id)) for key_id in plan['kept'])}
    warnings = ['AccessKey %s of user %s is left alone: %s outside this run still hold(s) it' % (
        key_id, user_name, ', '.join(result['holders'][key_id]) or 'a host') for key_id in plan['kept']]
    return result, warnings


def lifecycle_keys(api, options, check_mode, now=None):
    """ram_access_keys operation=retire or operation=revoke; returns the module result or raises ConflictError."""
    now = now or utc_now()
    held = options['held']
    share_backoff(api)

    def work(user_name):
        try:
            if options['operation'] == RETIRE:
                return retire_user(api, held, user_name, options, now, check_mode)
            return revoke_user(api, held, user_name, check_mode)
        except RootKeyError as err:
            raise ConflictError(str(err), root_key_refused=True)

    access_keys, warnings, failures = {}, [], []
    for outcome in run_parallel(options['users'], work, options['parallelism']):
        if outcome.failed:
            failures.append((outcome.item, outcome.error))
            continue
        access_keys[outcome.item], user_warnings = outcome.result
        warnings.extend(user_warnings)
    result = {
        'changed': any(r.get('deactivated_access_key_ids') or r['deleted_access_key_ids'] for r in access_keys.values()),
        'access_keys': access_keys,
        'deactivated_count': sum(len(r.get('deactivated_access_key_ids', [])) for r in access_keys.values()),
        'deleted_count': sum(len(r['deleted_access_key_ids']) for r in access_keys.values()),
        'warnings': warnings,
    }
    raise_failures('%s failed for %d user(s) (the other users were handled)' % (
        'retiring old AccessKeys' if options['operation'] == RETIRE else 'deleting AccessKeys', len(failures)),
        failures, [entry.get('access_key_secret') for entry in held], **result)
    return result
