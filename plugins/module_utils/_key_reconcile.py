# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""One usable AccessKey per user, reconciled with the keys the hosts hold (the ram_access_keys module).

Hosts hold key ids and secrets; RAM says which ids are still Active, and STS proves that a held secret
belongs to the id.  Per user: keep the newest held key that RAM lists Active (and young enough) and whose
secret verifies; otherwise create one key.  ``plan_key_reconcile`` is the pure decision; the rest reads,
verifies and writes.

Order of work, so that a failure never leaves a key nobody will deploy: first every user is read and
every held copy verified (no writes); if any user failed or any held key is an account root key, the
module stops there.  Only then are keys deleted to make room and created.
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._access_keys import (
    ACTIVE,
    INACTIVE,
    KEY_LIMIT,
    ON_LIMIT_CHOICES,
    create_access_key,
    delete_access_key,
    is_older_than,
    list_access_keys,
    make_room,
)
from ansible_collections.aliyun.ram.plugins.module_utils._batch import check_parallelism, error_result, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._caller_identity import is_root_identity
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, ValidationError, scrub
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._rotation_plan import select_rotation

# the secret does not belong to the id
WRONG_SECRET_CODES = ('IncompleteSignature', 'SignatureDoesNotMatch')
# a new key may take a moment to reach STS: wait this long in total, in these steps (seconds)
PROPAGATION_DELAYS = (0.5, 1.0, 1.5, 2.0, 2.0, 3.0)
RAM_USER_IDENTITY_TYPE = 'RAMUser'


def _ids(keys):
    return [k['access_key_id'] for k in keys]


def plan_key_reconcile(ram_keys, held_ids, max_age_days, on_limit, now, limit=KEY_LIMIT, replace_ids=()):
    """Which held keys may be kept, and what creating a key would take (pure).

    ``ram_keys``: the user's keys as RAM lists them (``normalize_keys`` shape); ``held_ids``: ids of the keys
    the hosts hold for this user (any order, duplicates allowed).  Returns:
    ``listed`` (every id RAM lists), ``candidates`` (held, Active and young enough, newest first: try them in this
    order), ``rotated_from``
    (the newest held Active key that is too old), ``orphans`` (Active keys no host holds), ``stale_held``
    (held ids RAM does not list), ``inactive_held``, ``create_reason`` (why a key is created when no
    candidate is usable), and ``delete`` / ``limit_error``: what creating a key needs under the 2-key limit
    (oldest Inactive keys first, keys no host holds before held ones, never an Active key).
    ``replace_ids``: held keys to replace whatever their age, as if too old (rotation by name).
    """
    keys = sorted(ram_keys, key=lambda k: (k['create_date'] or '', k['access_key_id'] or ''))
    held = set(held_ids)
    listed = set(_ids(keys))
    held_active = [k for k in keys if k['access_key_id'] in held and k['status'] == ACTIVE]
    replace = set(replace_ids)
    too_old = [k for k in held_active
               if k['access_key_id'] in replace or (max_age_days and is_older_than(k, max_age_days, now))]
    young = [k for k in held_active if k not in too_old]
    plan = {
        'listed': _ids(keys),
        'candidates': list(reversed(_ids(young))),
        'rotated_from': too_old[-1]['access_key_id'] if too_old else None,
        'orphans': [k['access_key_id'] for k in keys if k['status'] == ACTIVE and k['access_key_id'] not in held],
        'stale_held': sorted(held - listed),
        'inactive_held': [k['access_key_id'] for k in keys if k['access_key_id'] in held and k['status'] == INACTIVE],
    }
    if young:
        reason = 'no held copy of the active key(s) %s could be verified' % ', '.join(plan['candidates'])
    elif too_old and plan['rotated_from'] in replace:
        reason = 'the held key %s is rotated' % plan['rotated_from']
    elif too_old:
        reason = 'the held key %s is older than %d days' % (plan['rotated_from'], max_age_days)
    elif plan['inactive_held']:
        reason = 'the held key(s) %s are Inactive' % ', '.join(plan['inactive_held'])
    elif plan['stale_held']:
        reason = 'the held key(s) %s no longer exist' % ', '.join(plan['stale_held'])
    elif plan['orphans']:
        reason = ('no host holds the active key(s) %s, and their secrets cannot be recovered'
                  % ', '.join(plan['orphans']))
    else:
        reason = 'the user has no key'
    plan['create_reason'] = reason
    plan['delete'], plan['limit_error'] = make_room(keys, held, on_limit, now, limit=limit, spare_held=False)
    return plan


def held_copies(held, user_name, access_key_id):
    """``[(index into held, secret)]`` of the copies of one key: one per distinct secret, first index wins."""
    copies = []
    seen = set()
    for index, entry in enumerate(held):
        if entry['user_name'] != user_name or entry['access_key_id'] != access_key_id:
            continue
        secret = entry.get('access_key_secret')
        if secret and secret not in seen:
            seen.add(secret)
            copies.append((index, secret))
    return copies


def holders_of(held, user_name, access_key_id):
    hosts = []
    for entry in held:
        host = entry.get('host')
        if entry['user_name'] == user_name and entry['access_key_id'] == access_key_id and host and host not in hosts:
            hosts.append(host)
    return hosts


class RootKeyError(Exception):
    """A held or created key is an Alibaba Cloud account root key (never deployed)."""


def _identity(body):
    return {'identity_type': body.get('IdentityType') or None, 'arn': body.get('Arn') or None,
            'account_id': body.get('AccountId') or None}


def caller_identity_of(api, access_key_id, secret):
    """STS GetCallerIdentity signed with the key itself: its identity, or raises ApiError."""
    return _identity(api.with_access_key(access_key_id, secret).read('GetCallerIdentity', service='sts'))


def identity_matches(identity, user_name):
    return identity['identity_type'] == RAM_USER_IDENTITY_TYPE and (identity['arn'] or '').endswith(':user/' + user_name)


def _root_message(user_name, access_key_id, identity, where):
    return ('%s for user %s is the root AccessKey %s of Alibaba Cloud account %s: refusing to deploy an account root key. '
            'Alibaba Cloud recommends never using the root key; remove it from the host and delete it in the console, '
            'and let this module create a RAM user key' % (where, user_name, access_key_id, identity['account_id'] or '?'))


def _where(held, index):
    host = held[index].get('host')
    return 'held[%d]%s' % (index, (' (host %s)' % host) if host else '')


def _identify_copies(api, held, user_name, access_key_id):
    """Yield ``(held index, identity)`` for each distinct held copy of the key that STS accepts.

    A copy with a wrong secret is skipped; an unknown or inactive id ends the search (no copy can work);
    an account root key raises RootKeyError; other failures raise ApiError."""
    for index, secret in held_copies(held, user_name, access_key_id):
        try:
            identity = caller_identity_of(api, access_key_id, secret)
        except ApiError as err:
            code = err.code or ''
            if code in WRONG_SECRET_CODES:
                continue
            if code.startswith('InvalidAccessKeyId'):
                return
            raise
        if is_root_identity(identity):
            raise RootKeyError(_root_message(user_name, access_key_id, identity, _where(held, index)))
        yield index, identity


def verify_held(api, held, user_name, access_key_id):
    """(held index, identity) of the first copy whose secret proves it is ``user_name``'s key, else (None, None)."""
    for index, identity in _identify_copies(api, held, user_name, access_key_id):
        if identity_matches(identity, user_name):
            return index, identity
    return None, None


def check_stale_copies(api, held, user_name, access_key_ids):
    """Held ids RAM does not list for the user may be anything, including a root key: ask STS who they are.

    Returns warnings; raises RootKeyError for a root key."""
    warnings = []
    for access_key_id in access_key_ids:
        for index, identity in _identify_copies(api, held, user_name, access_key_id):
            warnings.append('%s holds AccessKey %s for user %s, but it belongs to %s' % (
                _where(held, index), access_key_id, user_name, identity['arn']))
    return warnings


def verify_created(api, user_name, key, sleep):
    """Identity of a key created in this run; STS may not know it for a few seconds."""
    delays = list(PROPAGATION_DELAYS)
    while True:
        try:
            identity = caller_identity_of(api, key['access_key_id'], key['access_key_secret'])
            break
        except ApiError as err:
            if not (err.code or '').startswith('InvalidAccessKeyId') or not delays:
                raise
            api.count_retry()
            sleep(delays.pop(0))
    if not identity_matches(identity, user_name):
        raise ApiError('GetCallerIdentity', code='UnexpectedIdentity',
                       message='the new key of user %s identifies as %s (%s)' % (user_name, identity['arn'], identity['identity_type']))
    return identity


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


def _note_rotation(result, rotation):
    if rotation:
        result['rotation'] = {'decision': rotation['decision'], 'message': rotation['message']}


def resolve_user(api, held, user_name, options, now):
    """Phase 1 for one user, read-only: list, plan, verify.  Returns (result, plan, warnings); ``result['created']``
    says a key must be created (phase 2)."""
    keys = list_access_keys(api, user_name)
    held_ids = [entry['access_key_id'] for entry in held if entry['user_name'] == user_name]
    rotation = None
    if user_name in options.get('rotate_users', ()):
        rotation = select_rotation(keys, held_ids, options.get('rotate_older_than_days'), now)
    plan = plan_key_reconcile(keys, held_ids, options['max_age_days'], options['on_limit'], now,
                              replace_ids=rotation['replace'] if rotation else ())
    by_id = dict((k['access_key_id'], k) for k in keys)
    warnings = []
    if options['verify'] and plan['stale_held']:
        warnings.extend(check_stale_copies(api, held, user_name, plan['stale_held']))
    for access_key_id in plan['candidates']:
        if options['verify']:
            index, identity = verify_held(api, held, user_name, access_key_id)
        else:
            copies = held_copies(held, user_name, access_key_id)
            index, identity = (copies[0][0] if copies else None), None
        if index is None:
            warnings.append('no held copy of AccessKey %s of user %s %s; it is not used' % (
                access_key_id, user_name, 'passed STS verification' if options['verify'] else 'has a secret'))
            continue
        result = _key_result(user_name, held, by_id[access_key_id])
        result['held_index'] = index
        if identity:
            result['identity'] = {'identity_type': identity['identity_type'], 'arn': identity['arn']}
        result['orphan_access_key_ids'] = plan['orphans']
        _note_rotation(result, rotation)
        return result, plan, warnings
    if plan['limit_error']:
        raise ConflictError('user %s needs a new AccessKey (%s), but %s' % (user_name, plan['create_reason'], plan['limit_error']))
    result = _key_result(user_name, held, None, created=True)
    result['rotated_from'] = plan['rotated_from']
    result['deleted_access_key_ids'] = list(plan['delete'])
    result['orphan_access_key_ids'] = plan['orphans']
    result['reason'] = plan['create_reason']
    _note_rotation(result, rotation)
    if plan['orphans']:
        warnings.append('user %s has active AccessKey(s) %s that no host holds (the secret cannot be recovered), so a new '
                        'key is created; delete them once nothing uses them' % (user_name, ', '.join(plan['orphans'])))
    return result, plan, warnings


def create_for_user(api, user_name, result, plan, options, sleep):
    """Phase 2 for one user: make room, create, verify; fills ``result``."""
    deleted = result['deleted_access_key_ids'] = []
    for access_key_id in plan['delete']:
        delete_access_key(api, user_name, access_key_id)
        deleted.append(access_key_id)
    remaining = [k for k in plan['listed'] if k not in deleted]
    key = create_access_key(api, user_name, remaining, discarded=deleted)
    if options['verify']:
        try:
            identity = verify_created(api, user_name, key, sleep)
        except ApiError:
            # the caller never sees this secret: do not leave the key behind
            delete_access_key(api, user_name, key['access_key_id'])
            raise
        result['identity'] = {'identity_type': identity['identity_type'], 'arn': identity['arn']}
    result.update(access_key_id=key['access_key_id'], access_key_secret=key['access_key_secret'],
                  status=key['status'], create_date=key['create_date'])
    return result


def key_reconcile_options(params):
    """Validated inputs of ram_access_keys (raises ValidationError before any API call)."""
    users = []
    for user_name in params['users']:
        validate.user_name(user_name, 'users')
        if user_name not in users:
            users.append(user_name)
    held = []
    for index, entry in enumerate(params.get('held') or []):
        validate.user_name(entry.get('user_name'), 'held[%d].user_name' % index)
        validate.access_key_id(entry.get('access_key_id'), 'held[%d].access_key_id' % index)
        held.append(dict(entry))
    if params.get('max_age_days') is not None and params['max_age_days'] < 1:
        raise ValidationError('max_age_days must be 1 or more, got %d' % params['max_age_days'])
    if params.get('on_limit') not in ON_LIMIT_CHOICES:
        raise ValidationError('on_limit must be one of %s' % ', '.join(ON_LIMIT_CHOICES))
    state = params.get('state') or 'present'
    rotate_users = []
    for user_name in params.get('rotate_users') or []:
        if user_name not in users:
            raise ValidationError('rotate_users lists %s, which is not in users' % user_name)
        if user_name not in rotate_users:
            rotate_users.append(user_name)
    if (rotate_users or params.get('rotate_older_than_days') is not None) and state != 'present':
        raise ValidationError('rotate_users and rotate_older_than_days are for state=present, not state=%s' % state)
    if params.get('rotate_older_than_days') is not None and params['rotate_older_than_days'] < 1:
        raise ValidationError('rotate_older_than_days must be 1 or more, got %d' % params['rotate_older_than_days'])
    if params.get('delete_after_days') is not None and params['delete_after_days'] < 0:
        raise ValidationError('delete_after_days must be 0 or more, got %d' % params['delete_after_days'])
    return {'users': users, 'held': held, 'max_age_days': params.get('max_age_days'), 'on_limit': params['on_limit'],
            'verify': params.get('verify', True), 'parallelism': check_parallelism(params.get('parallelism')),
            'state': state, 'rotate_users': rotate_users, 'rotate_older_than_days': params.get('rotate_older_than_days'),
            'delete_after_days': params.get('delete_after_days')}


def _failure_message(what, failures, secrets):
    lines = ['%s: %s' % (user_name, err) for user_name, err in failures]
    return scrub('%s for %d user(s): %s' % (what, len(failures), '; '.join(lines)), secrets)


def reconcile_keys(api, options, check_mode, now=None, sleep=None):
    """The ram_access_keys module's work; returns the module result or raises ConflictError."""
    now = now or utc_now()
    sleep = sleep or api.policy.sleep
    held = options['held']
    secrets = [entry.get('access_key_secret') for entry in held]
    share_backoff(api)

    def phase_one(user_name):
        try:
            return resolve_user(api, held, user_name, options, now)
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
    if failures:
        raise ConflictError(_failure_message('nothing was created or deleted: reading or verifying the keys failed',
                                             failures, secrets),
                            errors=dict((name, error_result(err)) for name, err in failures), warnings=warnings)

    created_failures = []
    if not check_mode and pending:
        def phase_two(item):
            user_name, plan = item
            return create_for_user(api, user_name, access_keys[user_name], plan, options, sleep)

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
    if created_failures:
        raise ConflictError(_failure_message('creating AccessKeys failed (the keys of the other users are returned)',
                                             created_failures, secrets),
                            errors=dict((name, error_result(err)) for name, err in created_failures), **result)
    return result


def run_ram_access_keys(module):
    """The ram_access_keys module."""
    options = key_reconcile_options(module.params)
    return reconcile_keys(module.api(), options, module.check_mode)
