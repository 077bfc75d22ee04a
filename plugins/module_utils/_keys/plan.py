# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Every AccessKey decision, as pure functions of the user's keys, the held key ids, a policy and ``now``.

A key is ``{access_key_id, status, create_date}`` (``api.normalize_keys``).  "Held" ids are the keys whose secret
somebody has: the caller of ram_access_key, or the hosts and the secret store for ram_access_keys.

* ``plan_keys`` is THE planner: which held key to keep, or why to create one and what to delete to make room.
  ``KeyPolicy`` says what ram_access_key and ram_access_keys disagree on, explicitly: an active key nobody holds
  (``unheld_active``) and a held key that is Inactive (``held_inactive``) are kept or replaced.
* ``make_room`` never deletes an Active key, nor the key being replaced.
* ``select_rotation``, ``plan_retire`` and ``plan_revoke`` are the rest of a key's life (see their docstrings for the
  rules that make a rotation safe to re-run after a failure at any step).
* Identities (STS ``GetCallerIdentity``, parsed by ``api.parse_identity``): root or the RAM user itself.
* Compromised keys (``playbooks/respond.yml``) are recorded in their user's ``Comments`` (RAM has no user tags):
  ``compromised_ids`` reads the record, ``mark_compromised`` writes it; no plan keeps, reactivates or deletes them.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import age_days, parse_date

KEY_LIMIT = 2
ACTIVE = 'Active'
INACTIVE = 'Inactive'
STATUS_CHOICES = {'active': ACTIVE, 'inactive': INACTIVE}
ON_LIMIT_CHOICES = ('fail', 'delete_inactive')
KEEP = 'keep'
REPLACE = 'replace'
POLICY_CHOICES = (KEEP, REPLACE)

ROOT_IDENTITY_TYPE = 'Account'
RAM_USER_IDENTITY_TYPE = 'RAMUser'

# select_rotation decisions
ROTATE = 'rotate'
RESUME = 'resume'
RECENTLY_ROTATED = 'recently_rotated'
TOO_YOUNG = 'too_young'
NO_HELD_KEY = 'no_held_key'


# A leaked key, recorded in its user's Comments (1-128 characters in RAM) ahead of whatever the comment said:
# ``[compromised AccessKey: LTAI..., LTAI...] the user's own comment``.
COMMENTS_LIMIT = 128
_COMPROMISED_RECORD = re.compile(r'^\[compromised AccessKeys?: ([A-Za-z0-9., ]*)\] ?')


# ---------------------------------------------------------------- keys

def sort_keys(keys):
    """Oldest first (ties by id)."""
    return sorted(keys, key=lambda k: (k['create_date'] or '', k['access_key_id'] or ''))


def key_ids(keys):
    return [k['access_key_id'] for k in keys]


def is_older_than(key, max_age_days, now):
    created = parse_date(key.get('create_date'))
    return created is not None and now - created > datetime.timedelta(days=max_age_days)


def describe_keys(keys, now):
    return [dict(key, age_days=age_days(key['create_date'], now)) for key in keys]


def key_summary(keys, now):
    parts = []
    for key in keys:
        age = age_days(key['create_date'], now)
        parts.append('%s (%s, %s days old)' % (key['access_key_id'], key['status'], '?' if age is None else age))
    return ', '.join(parts)


def held_active_newest_first(keys, held_ids):
    """Ids of the held keys that RAM lists Active, newest first."""
    held = set(held_ids)
    return [k['access_key_id'] for k in reversed(sort_keys(keys)) if k['status'] == ACTIVE and k['access_key_id'] in held]


def status_update(key, status):
    """``{access_key_id, status}`` when ``key`` must change to ``status`` (None: leave it), else None."""
    if status and key['status'] != status:
        return {'access_key_id': key['access_key_id'], 'status': status}
    return None


# ---------------------------------------------------------------- held copies

def held_ids_of(held, user_name):
    return [entry['access_key_id'] for entry in held if entry['user_name'] == user_name]


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


def needs_proof(copies, prove_agreeing):
    """Whether a key RAM lists as the user's, with these held ``copies`` (``held_copies``), must pass STS before it is
    kept. Copies that disagree (two secrets for one id) must: at most one is right. A single secret is trusted unless
    ``prove_agreeing``: a proof is a call signed with the key, which RAM records as its last use, so proving on every
    converged run would hide that no application uses the key (GetAccessKeyLastUsed, the audit's unused-key finding)."""
    return bool(copies) and (prove_agreeing or len(copies) > 1)


def holders_of(held, user_name, access_key_id):
    hosts = []
    for entry in held:
        host = entry.get('host')
        if entry['user_name'] == user_name and entry['access_key_id'] == access_key_id and host and host not in hosts:
            hosts.append(host)
    return hosts


def where_held(held, index):
    host = held[index].get('host')
    return 'held[%d]%s' % (index, (' (host %s)' % host) if host else '')


# ---------------------------------------------------------------- compromised keys

def compromised_ids(comments):
    """The key ids recorded as compromised in a user's Comments (``mark_compromised``), in the recorded order."""
    match = _COMPROMISED_RECORD.match(comments or '')
    if not match:
        return []
    return [key_id for key_id in re.split(r'[ ,]+', match.group(1)) if key_id]


def mark_compromised(comments, access_key_id, limit=COMMENTS_LIMIT):
    """(new Comments, error): ``comments`` with ``access_key_id`` added to the compromised record (None: already
    there).  The record goes first and the user's own text after it, shortened when the whole would pass RAM's
    ``limit``: the record is what provision and rotate read, the text is a person's note."""
    recorded = compromised_ids(comments)
    if access_key_id in recorded:
        return None, None
    text = _COMPROMISED_RECORD.sub('', comments or '', count=1)
    ids = recorded + [access_key_id]
    record = '[compromised AccessKey%s: %s]' % ('s' if len(ids) > 1 else '', ', '.join(ids))
    if len(record) > limit:
        return None, ('the compromised keys %s do not fit in the %d characters of the user\'s Comments: delete the '
                      'investigated ones (and their ids from the Comments) first' % (', '.join(ids), limit))
    if not text:
        return record, None
    room = limit - len(record) - 1
    if room <= 0:
        return record, None
    return '%s %s' % (record, text if len(text) <= room else text[:room - 3] + '...'), None


def keep_compromised_record(current_comments, wanted_comments):
    """The Comments to write when a person declares ``wanted_comments`` for a user (ram_user, provision_users): the
    compromised record of ``current_comments`` stays in front of them, so that no user module forgets a leaked key."""
    comments = wanted_comments
    for access_key_id in compromised_ids(current_comments):
        marked, dummy = mark_compromised(comments, access_key_id)
        comments = marked or comments
    return comments


def compromised_message(user_name, access_key_ids):
    """Why a key is never kept, deployed or reactivated (names the key ids)."""
    return ('AccessKey %s of user %s is recorded as compromised (by playbooks/respond.yml, in the user\'s Comments in '
            'RAM or in the secret store): it is never kept, deployed or reactivated; a new key replaces it, and it stays '
            'Inactive until it is deleted after the investigation' % (', '.join(access_key_ids), user_name))


def refuse_compromised(user_name, held_ids, compromised):
    """The message for held keys that are recorded as compromised (None: none is held)."""
    found = [key_id for key_id in dict.fromkeys(held_ids) if key_id in set(compromised)]
    return compromised_message(user_name, found) if found else None


# ---------------------------------------------------------------- identities

def is_root_identity(identity):
    arn = identity.get('arn') or ''
    return identity.get('identity_type') == ROOT_IDENTITY_TYPE or arn.endswith(':root')


def identity_is_user(identity, user_id):
    """Whether an STS identity is the RAM user whose stable UserId is ``user_id`` itself (ids, not the spelling of a
    name in an ARN: the service may spell it in another case)."""
    return bool(user_id) and identity.get('identity_type') == RAM_USER_IDENTITY_TYPE and identity.get('user_id') == user_id


# ---------------------------------------------------------------- the planner

class KeyPolicy(object):
    """What a key owner wants; the defaults are ram_access_key's (``SINGLE_KEY``).

    ``unheld_active``: when nothing is held and the user has an Active key nobody declared, V(keep) reports that key
    (its secret is unknown here, and someone may use it), V(replace) creates a new key and reports the old one as an
    orphan.  When keys are held but none is usable a key is created either way: the holder needs a working one.
    ``held_inactive``: a held key that is Inactive is kept (its status is the owner's business, see ``status``) or
    replaced by a new key.  ``status``: the status the kept or created key must have (None: leave it).  A key is too
    old after ``max_age_days`` (unless it is being deactivated) and is then replaced, left as it is.
    """

    def __init__(self, max_age_days=None, on_limit='fail', unheld_active=KEEP, held_inactive=KEEP, status=None):
        for name, value in (('unheld_active', unheld_active), ('held_inactive', held_inactive)):
            if value not in POLICY_CHOICES:
                raise ValueError('%s must be one of %s, got %r' % (name, ', '.join(POLICY_CHOICES), value))
        self.max_age_days = max_age_days
        self.on_limit = on_limit
        self.unheld_active = unheld_active
        self.held_inactive = held_inactive
        self.status = status

    def too_old(self, key, now):
        return bool(self.max_age_days) and self.status != INACTIVE and is_older_than(key, self.max_age_days, now)


def single_key_policy(max_age_days=None, on_limit='fail', status=None):
    """ram_access_key: the caller names the key it holds and owns its status."""
    return KeyPolicy(max_age_days, on_limit, unheld_active=KEEP, held_inactive=KEEP, status=status)


def reconcile_policy(max_age_days=None, on_limit='fail'):
    """ram_access_keys: every user ends with an Active key whose secret a host (or the store) holds."""
    return KeyPolicy(max_age_days, on_limit, unheld_active=REPLACE, held_inactive=REPLACE)


def make_room(keys, held_ids, on_limit, now, limit=KEY_LIMIT, spare=()):
    """(key ids to delete, error) so that one more key fits under ``limit``.

    Only Inactive keys are ever deleted: oldest first, keys nobody holds before held ones, never a key in ``spare``
    (the key being replaced)."""
    excess = len(keys) - limit + 1
    if excess <= 0:
        return [], None
    summary = 'the user has %d AccessKeys and the limit is %d: %s' % (len(keys), limit, key_summary(keys, now))
    if on_limit != 'delete_inactive':
        return [], '%s; on_limit=fail: delete or deactivate a key, or set on_limit=delete_inactive' % summary
    held, spare = set(held_ids), set(spare)
    inactive = [k for k in keys if k['status'] == INACTIVE and k['access_key_id'] not in spare]
    inactive.sort(key=lambda k: (k['access_key_id'] in held, k['create_date'] or '', k['access_key_id'] or ''))
    if len(inactive) >= excess:
        return [k['access_key_id'] for k in inactive[:excess]], None
    spared = [k['access_key_id'] for k in keys if k['status'] == INACTIVE and k['access_key_id'] in spare]
    rule = 'active keys are never deleted%s' % (', nor the held key %s that is replaced' % spared[0] if spared else '')
    return [], ('%s; on_limit=delete_inactive found no inactive key to delete (%s): deactivate or delete a key first'
                % (summary, rule))


def _create_reason(plan, keys, replace, policy):
    if plan['candidates']:
        return 'no held copy of the active key(s) %s could be verified' % ', '.join(plan['candidates'])
    if plan['compromised_held']:
        return 'the held key(s) %s are recorded as compromised' % ', '.join(plan['compromised_held'])
    if plan['rotated_from'] and plan['rotated_from'] in replace:
        return 'the held key %s is rotated' % plan['rotated_from']
    if plan['rotated_from']:
        return 'the held key %s is older than %d days' % (plan['rotated_from'], policy.max_age_days)
    if plan['inactive_held']:
        return 'the held key(s) %s are Inactive' % ', '.join(plan['inactive_held'])
    if plan['stale_held']:
        return 'the held key(s) %s no longer exist' % ', '.join(plan['stale_held'])
    if plan['orphans']:
        return 'no host holds the active key(s) %s, and their secrets cannot be recovered' % ', '.join(plan['orphans'])
    return 'the user has no active key' if keys else 'the user has no key'


def plan_keys(ram_keys, held_ids, policy, now, replace_ids=(), limit=KEY_LIMIT, compromised=()):
    """Which key a user keeps, or what creating one takes (pure).

    ``held_ids``: ids of the keys whose secret somebody holds (any order, duplicates allowed); ``replace_ids``: held
    keys to replace whatever their age (rotation by name).  Returns:

    * ``candidates``: the held keys that may be kept, newest first; a caller that verifies secrets tries them in this
      order, any other keeps the first;
    * ``keep``: the first candidate, else (``unheld_active=keep``, nothing held) the newest Active key, else None;
      ``reason`` says why it is kept or why a key is created; ``update_status`` the status change ``keep`` needs;
      ``create``: a key is created (nothing is kept and there is room);
    * ``create_reason``, ``new_key_status``, ``delete`` and ``limit_error``: what creating a key takes when nothing is
      kept, also after every candidate was rejected (``limit_error`` set: no room under the key limit, ``delete`` is
      then empty);
    * ``listed`` (every id RAM lists), ``rotated_from`` (the newest held key that is too old or replaced),
      ``orphans`` (Active keys nobody holds), ``stale_held`` (held ids RAM does not list), ``inactive_held``,
      ``compromised_held`` and ``warnings``.

    ``compromised``: ids recorded as compromised (``compromised_ids``): never a candidate, never kept or spared for
    deletion to make room: a held one is replaced as a key too old is.
    """
    keys = sort_keys(ram_keys)
    held, replace, bad = set(held_ids), set(replace_ids), set(compromised)
    usable = [k for k in keys if k['access_key_id'] in held and (k['status'] == ACTIVE or policy.held_inactive == KEEP)]
    replaced = [k for k in usable if k['access_key_id'] in replace or k['access_key_id'] in bad or policy.too_old(k, now)]
    unheld_active = [k for k in keys if k['status'] == ACTIVE and k['access_key_id'] not in held and k['access_key_id'] not in bad]
    plan = {
        'listed': key_ids(keys),
        'candidates': list(reversed([k['access_key_id'] for k in usable if k not in replaced])),
        'rotated_from': replaced[-1]['access_key_id'] if replaced else None,
        'orphans': key_ids(unheld_active),
        'stale_held': sorted(held - set(key_ids(keys))),
        'inactive_held': [k['access_key_id'] for k in keys if k['access_key_id'] in held and k['status'] == INACTIVE],
        'compromised_held': [k['access_key_id'] for k in keys if k['access_key_id'] in held and k['access_key_id'] in bad],
        'new_key_status': policy.status or ACTIVE,
        'update_status': None,
        'warnings': [],
    }
    plan['create_reason'] = _create_reason(plan, keys, replace, policy)
    plan['delete'], plan['limit_error'] = make_room(
        keys, held, policy.on_limit, now, limit=limit,
        spare=([plan['rotated_from']] if plan['rotated_from'] else []) + sorted(bad))
    plan['keep'] = plan['candidates'][0] if plan['candidates'] else None
    if plan['keep']:
        plan['reason'] = 'the held key %s exists' % plan['keep']
    elif not held and unheld_active and policy.unheld_active == KEEP:
        newest = unheld_active[-1]
        plan['keep'] = newest['access_key_id']
        plan['reason'] = ('the user already has an active key (%s) whose secret is not known here; no new key is created '
                          'unless a held key is named' % plan['keep'])
        if policy.max_age_days and is_older_than(newest, policy.max_age_days, now):
            plan['warnings'].append('AccessKey %s is older than %d days: name it as the held key to rotate it'
                                    % (plan['keep'], policy.max_age_days))
    else:
        plan['reason'] = plan['create_reason']
    if plan['keep']:
        plan['update_status'] = status_update(next(k for k in keys if k['access_key_id'] == plan['keep']), policy.status)
    plan['create'] = plan['keep'] is None and plan['limit_error'] is None
    return plan


# ---------------------------------------------------------------- rotation, retirement, revocation

def select_rotation(ram_keys, held_ids, older_than_days, now):
    """Whether a user named for rotation gets a new key in this run.

    Returns ``decision`` (``rotate``, ``resume``, ``recently_rotated``, ``too_young``, ``no_held_key``),
    ``replace`` (the held Active keys the new key replaces; empty unless ``rotate``) and ``message``.
    ``older_than_days`` set: rotate only when the newest held Active key is older (age-based rotation, which is
    naturally idempotent, so Inactive keys do not hold it back); unset: rotate now (by name).

    * a user with two Active keys whose newer one is held is in the middle of a rotation: it is finished
      (the newer key deployed, the older deactivated), never started again;
    * a user rotated by name that still has an Inactive key (left by an earlier rotation for rollback) is
      not rotated again until that key is deleted.
    """
    keys = sort_keys(ram_keys)
    held = set(held_ids)
    active = [k for k in keys if k['status'] == ACTIVE]
    inactive = [k for k in keys if k['status'] == INACTIVE]
    held_active = [k for k in active if k['access_key_id'] in held]
    decision = {'decision': None, 'replace': [], 'message': None}
    if len(active) > 1 and active[-1]['access_key_id'] in held:
        decision.update(decision=RESUME, message='a rotation is under way: AccessKey %s is deployed, then %s deactivated'
                        % (active[-1]['access_key_id'], ', '.join(key_ids(active[:-1]))))
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
            'rotated again once they are deleted' % ', '.join(key_ids(inactive))))
        return decision
    decision.update(decision=ROTATE, replace=key_ids(held_active),
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


def plan_retire(ram_keys, held_ids, target_id, delete_after_days, now, compromised=()):
    """After every host of a user holds ``target_id``: which of the user's other keys to deactivate and delete.

    ``held_ids``: ids that hosts still hold (not the secret store: its copies of old keys are for rollback).
    Active keys older than the target that no host holds are deactivated; held ones are reported in
    ``still_held`` and left Active.  Active keys newer than the target are never touched (``newer``).
    Inactive keys that no host holds are deleted when their grace period is over: with ``delete_after_days``
    None, keys that were already Inactive before this run (a later run deletes the keys deactivated now);
    otherwise once the target is ``delete_after_days`` old (0: right away).  The rest is ``pending``.
    Keys recorded as ``compromised`` are deactivated like the others but never deleted (``kept_compromised``): they
    are the evidence of an incident, deleted by a person after the investigation.
    """
    keys = sort_keys(ram_keys)
    held = set(held_ids)
    target = next(k for k in keys if k['access_key_id'] == target_id)
    position = keys.index(target)
    older_active = [k for k in keys[:position] if k['status'] == ACTIVE]
    plan = {
        'deactivate': [k['access_key_id'] for k in older_active if k['access_key_id'] not in held],
        'still_held': [k['access_key_id'] for k in older_active if k['access_key_id'] in held],
        'newer': [k['access_key_id'] for k in keys[position + 1:] if k['status'] == ACTIVE],
        'delete': [],
        'pending': [],
        'held_inactive': [k['access_key_id'] for k in keys if k['status'] == INACTIVE and k['access_key_id'] in held],
        'kept_compromised': [k['access_key_id'] for k in keys if k['access_key_id'] in set(compromised)],
    }
    over = grace_over(target['create_date'], delete_after_days, now)
    for key in keys:
        key_id = key['access_key_id']
        if key_id in held or key_id == target_id or key_id in plan['kept_compromised']:
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
    keys = sort_keys(ram_keys)
    return {'delete': [k['access_key_id'] for k in keys if k['access_key_id'] not in held],
            'kept': [k['access_key_id'] for k in keys if k['access_key_id'] in held]}
