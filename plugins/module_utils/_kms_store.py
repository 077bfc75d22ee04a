# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The ``kms`` backend of the secret store: KMS Secrets Manager keeps the keys, and coordinates runs on other nodes.

Two secrets per RAM user, under a configurable name prefix (RAM user names never contain ``/``, so the two names of
one user cannot be those of another):

* ``<prefix><user>``: the store entry, a generic secret whose value is JSON ``{user_name, access_key_id,
  access_key_secret, create_date}`` and whose version id is the AccessKey id (so a resent PutSecretValue of the same
  key is idempotent).  The key id is also in the secret's description, so an audit sees which key is stored without
  reading the value; the tags say what the secret is and for which user.
* ``<prefix>claims/<user>``: the claim a run takes before it creates a key for the user.  The first claim ever is a
  CreateSecret (KMS lets exactly one of concurrent creators succeed, the others get ``Rejected.ResourceExist``); every
  later claim, takeover or release is a PutSecretValue of version ``claim-<generation + 1>`` of the claim it replaces,
  and KMS refuses a version id that exists with another value, so again exactly one writer wins.  A claim is never
  deleted: DeleteSecret keeps the name in a recovery window (CreateSecret then fails), and deleting then creating
  again would let a slow releaser delete the claim that a taker has just written.

The claim records its holder and its lease (wall-clock seconds, so the controllers' clocks must be synchronised, as
the API requires anyway).  A run that finds a live claim waits (bounded, jittered backoff) until it is released and
then reads the stored key; a claim whose lease has passed is taken over, and the taker first deletes the keys of the
user that the dead holder created and never stored (``orphan_keys``).

Every decision is a pure function at the top of this file; ``KmsStore`` does the I/O through a RamApi (service
``kms``: the same credentials, retries, throttling and error translation as RAM); ``coordinated_reconcile`` drives a
reconcile of ram_access_keys through them, with the module run, the clock and the sleep injected.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import socket
import time
import uuid

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import parse_date

SERVICE = 'kms'
DEFAULT_NAME_PREFIX = 'aliyun-ram/'
CLAIMS = 'claims/'
COMPROMISED = 'compromised/'
DEFAULT_LEASE_SECONDS = 300
# How much earlier than its recorded claim time a key may have been created and still count as the dead holder's:
# the holder's clock and RAM's may disagree by this much.
CLOCK_SKEW_SECONDS = 60
SECRET_NAME_CHARACTERS = re.compile(r'[A-Za-z0-9_/+=.@-]*')
MAX_SECRET_NAME = 192
MAX_USER_NAME = 64
# Tag keys may not start with "aliyun" or "acs:" (KMS reserves them).
STORE_TAG = 'ansible-ram-store'
USER_TAG = 'ansible-ram-user'
ENTRY_KIND = 'access-key'
CLAIM_KIND = 'claim'
COMPROMISED_KIND = 'compromised-access-keys'
# concurrent records of the same user's compromised keys (each write of the record is one version): rounds of
# read-then-write before giving up
RECORD_ROUNDS = 5

RESOURCE_EXISTS = 'Rejected.ResourceExist'
IN_DELETE_WINDOW = 'Rejected.ResourceInDeleteWindow'
NOT_FOUND = ('Forbidden.ResourceNotFound',)

# claim states
FREE = 'free'           # no claim was ever taken
RELEASED = 'released'   # the last holder finished
HELD = 'held'           # a live lease
EXPIRED = 'expired'     # the holder's lease passed without a release: it is presumed dead

# waiting for another run's claim
WAIT_BASE_SECONDS = 0.5
WAIT_MAX_SECONDS = 5.0


class StoreError(Exception):
    """The store cannot be used; the message never contains store content."""


# ---------------------------------------------------------------- pure decisions

def check_name_prefix(prefix):
    """The prefix, or ValidationError: KMS secret names are 1-192 of ``A-Za-z0-9_/+=.@-``, and the longest name made
    from it (the claim of a 64-character user name) must fit."""
    if not isinstance(prefix, str) or not SECRET_NAME_CHARACTERS.fullmatch(prefix):
        raise ValidationError('secret_store.name_prefix may contain only letters, digits and _ / + = . @ -, got %r' % (prefix,))
    longest = len(prefix) + max(len(CLAIMS), len(COMPROMISED)) + MAX_USER_NAME
    if longest > MAX_SECRET_NAME:
        raise ValidationError('secret_store.name_prefix is too long: a secret name would have %d characters, KMS allows %d'
                              % (longest, MAX_SECRET_NAME))
    return prefix


def entry_name(prefix, user_name):
    return prefix + user_name


def claim_name(prefix, user_name):
    return prefix + CLAIMS + user_name


def compromised_name(prefix, user_name):
    return prefix + COMPROMISED + user_name


def claim_version(generation):
    return 'claim-%d' % generation


def entry_description(entry):
    """What an audit reads without the value: which key of which user the secret holds."""
    return 'aliyun.ram: AccessKey %s of RAM user %s' % (entry['access_key_id'], entry['user_name'])


def claim_state(claim, now):
    """FREE, RELEASED, HELD or EXPIRED for a parsed claim (None: no claim secret) at wall-clock ``now``."""
    if claim is None:
        return FREE
    if claim.get('state') == RELEASED:
        return RELEASED
    return HELD if now < claim['lease_expires'] else EXPIRED


def next_claim(current, user_name, holder, now, lease_seconds):
    """The claim that replaces ``current`` (None: the first one): one generation later, held by ``holder``."""
    generation = (current['generation'] if current else 0) + 1
    return {'user_name': user_name, 'holder': holder, 'generation': generation, 'state': HELD,
            'claimed_at': now, 'lease_expires': now + lease_seconds}


def released_claim(claim, now):
    """The release of ``claim``: the next generation, marked released, by the same holder."""
    return dict(claim, generation=claim['generation'] + 1, state=RELEASED, released_at=now)


def is_same_claim(found, expected):
    return bool(found) and found.get('generation') == expected['generation'] and found.get('holder') == expected['holder']


def orphan_keys(ram_keys, stored_ids, held_ids, claimed_at, skew_seconds=CLOCK_SKEW_SECONDS):
    """The keys a dead claim holder created and never stored: neither the store nor a host names them, and RAM dates
    them after the claim was taken (less the clock skew).  A key some host holds is never one, nor an older key (an
    operator's key that nobody declared is not this run's to delete)."""
    known = set(stored_ids) | set(held_ids)
    since = datetime.datetime.fromtimestamp(claimed_at - skew_seconds, tz=datetime.timezone.utc)
    orphans = []
    for key in ram_keys:
        created = parse_date(key.get('create_date'))
        if key['access_key_id'] not in known and created is not None and created >= since:
            orphans.append(key['access_key_id'])
    return orphans


def wait_delay(attempt, rand, base=WAIT_BASE_SECONDS, ceiling=WAIT_MAX_SECONDS):
    """Seconds before look ``attempt`` (0-based) at a claim held by another run: equal jitter, so that the waiting
    runs do not poll in step."""
    top = min(ceiling, base * (2 ** attempt))
    return top / 2.0 + rand() * top / 2.0


def users_to_claim(plan_result):
    """The users a check-mode run of ram_access_keys would create a key for (in the order it lists them)."""
    return [user for user, key in (plan_result.get('access_keys') or {}).items() if key.get('created')]


def new_holder():
    """Who holds a claim: host and process (for people reading the claim) and a random part (unique per run)."""
    return '%s:%d:%s' % (socket.gethostname()[:64], os.getpid(), uuid.uuid4().hex[:12])


def parse_json_secret(data, name, fields):
    """The JSON object of a secret's value that has ``fields``; StoreError naming the secret, never quoting it."""
    try:
        value = json.loads(data)
    except (TypeError, ValueError):
        raise StoreError('the KMS secret %s is not JSON: it was not written by aliyun.ram (delete it or choose another '
                         'name_prefix)' % name) from None
    if not isinstance(value, dict) or not all(value.get(field) not in (None, '') for field in fields):
        raise StoreError('the KMS secret %s lacks %s: it was not written by aliyun.ram (delete it or choose another '
                         'name_prefix)' % (name, ', '.join(fields)))
    return value


ENTRY_FIELDS = ('user_name', 'access_key_id', 'access_key_secret')
COMPROMISED_FIELDS = ('user_name', 'access_key_ids')
CLAIM_FIELDS = ('user_name', 'holder', 'generation', 'state', 'claimed_at', 'lease_expires')


# ---------------------------------------------------------------- I/O

class KmsStore(object):
    """The store entries and claims of RAM users in KMS, through ``api`` (a RamApi that reaches the ``kms`` service).

    ``clock`` is wall-clock seconds (claims are compared across machines).  In ``check_mode`` nothing is written."""

    def __init__(self, api, name_prefix=DEFAULT_NAME_PREFIX, lease_seconds=DEFAULT_LEASE_SECONDS, check_mode=False,
                 holder=None, clock=time.time):
        self.api = api
        self.prefix = check_name_prefix(name_prefix)
        self.lease_seconds = lease_seconds
        self.check_mode = check_mode
        self.holder = holder or new_holder()
        self.clock = clock

    # -- reading

    def _current(self, name):
        """(version id, value) of the ACSCurrent version of secret ``name``, None when it does not exist (or is
        scheduled for deletion: its value is on its way out)."""
        try:
            body = self.api.read_optional('GetSecretValue', NOT_FOUND, service=SERVICE, SecretName=name)
        except ApiError as err:
            if err.code == IN_DELETE_WINDOW:
                return None
            raise
        if body is None:
            return None
        self.api.remember_secret(body.get('SecretData'))
        return body.get('VersionId'), body.get('SecretData')

    def read_entry(self, user_name):
        """The stored key of ``user_name`` (``{user_name, access_key_id, access_key_secret, create_date}``) or None."""
        name = entry_name(self.prefix, user_name)
        current = self._current(name)
        if current is None:
            return None
        value = parse_json_secret(current[1], name, ENTRY_FIELDS)
        if value['user_name'] != user_name:
            raise StoreError('the KMS secret %s holds a key of another user: it was not written for %s' % (name, user_name))
        self.api.remember_secret(value['access_key_secret'])
        return dict((field, value.get(field)) for field in ENTRY_FIELDS + ('create_date',))

    def read_claim(self, user_name):
        name = claim_name(self.prefix, user_name)
        current = self._current(name)
        if current is None:
            return None
        return parse_json_secret(current[1], name, CLAIM_FIELDS)

    def read_compromised(self, user_name):
        """The ids of the user's keys recorded as compromised (``record_compromised``), oldest first."""
        name = compromised_name(self.prefix, user_name)
        current = self._current(name)
        if current is None:
            return []
        value = parse_json_secret(current[1], name, COMPROMISED_FIELDS)
        if value['user_name'] != user_name or not isinstance(value['access_key_ids'], list):
            raise StoreError('the KMS secret %s was not written by aliyun.ram for user %s' % (name, user_name))
        return [str(key_id) for key_id in value['access_key_ids']]

    def record_compromised(self, user_name, access_key_id):
        """Record the key as compromised (one secret per user lists the ids; it holds no secret) and delete the
        user's entry when it names the key: the store never hands its secret out again.  True when something
        changed (would change, in check mode)."""
        changed = self.remove_entry(user_name, [access_key_id])
        name = compromised_name(self.prefix, user_name)
        for dummy in range(RECORD_ROUNDS):
            ids = self.read_compromised(user_name)
            if access_key_id in ids:
                return changed
            if self.check_mode:
                return True
            ids = ids + [access_key_id]
            version = 'compromised-%d' % len(ids)
            data = json.dumps({'user_name': user_name, 'access_key_ids': ids}, sort_keys=True)

            def recorded():
                return {} if access_key_id in self.read_compromised(user_name) else None

            try:
                if len(ids) == 1:
                    self.api.write('CreateSecret', verify=recorded, service=SERVICE, SecretName=name, VersionId=version,
                                   SecretData=data, SecretDataType='text',
                                   Description='aliyun.ram: the AccessKeys of RAM user %s recorded as compromised' % user_name,
                                   Tags=json.dumps([{'TagKey': STORE_TAG, 'TagValue': COMPROMISED_KIND},
                                                    {'TagKey': USER_TAG, 'TagValue': user_name}]))
                else:
                    self.api.write('PutSecretValue', verify=recorded, service=SERVICE, SecretName=name, VersionId=version,
                                   SecretData=data, SecretDataType='text')
                return True
            except ApiError as err:
                # another run recorded a key of the same user first (the same version id): read and write again
                if err.code != RESOURCE_EXISTS:
                    raise
        raise StoreError('the compromised record of user %s kept changing under this run (%d attempts): run again'
                         % (user_name, RECORD_ROUNDS))

    # -- store entries

    def put_entry(self, entry):
        """Store ``entry`` as the user's current key.  Returns True when something was written."""
        entry = dict((field, entry.get(field)) for field in ENTRY_FIELDS + ('create_date',))
        name = entry_name(self.prefix, entry['user_name'])
        version = entry['access_key_id']
        found = self._current(name)
        if found is not None and found[0] == version:
            return False
        if self.check_mode:
            return True
        data = json.dumps(entry, sort_keys=True)

        def stored():
            current = self._current(name)
            return {} if current is not None and current[0] == version else None

        if found is None:
            try:
                self.api.write('CreateSecret', verify=stored, service=SERVICE, SecretName=name, VersionId=version,
                               SecretData=data, SecretDataType='text', Description=entry_description(entry),
                               Tags=json.dumps([{'TagKey': STORE_TAG, 'TagValue': ENTRY_KIND},
                                                {'TagKey': USER_TAG, 'TagValue': entry['user_name']}]))
                return True
            except ApiError as err:
                if err.code == IN_DELETE_WINDOW:
                    self.api.write('RestoreSecret', verify=lambda: {} if self._current(name) else None, service=SERVICE,
                                   SecretName=name)
                elif err.code != RESOURCE_EXISTS:
                    raise
                # else: another run stored its entry a moment ago (or our lost CreateSecret did): put ours on top
        self.api.write('PutSecretValue', verify=stored, service=SERVICE, SecretName=name, VersionId=version,
                       SecretData=data, SecretDataType='text')
        description = entry_description(entry)
        self.api.write('UpdateSecret', verify=lambda: self._description_is(name, description), service=SERVICE,
                       SecretName=name, Description=description)
        return True

    def _description_is(self, name, description):
        body = self.api.read('DescribeSecret', service=SERVICE, SecretName=name)
        return {} if body.get('Description') == description else None

    def remove_entry(self, user_name, access_key_ids):
        """Delete the user's entry when it names one of ``access_key_ids`` (keys that were deleted): True if so."""
        entry = self.read_entry(user_name)
        if entry is None or entry['access_key_id'] not in set(access_key_ids):
            return False
        if not self.check_mode:
            name = entry_name(self.prefix, user_name)
            # without a recovery window: the name must be free for the user's next key at once
            self.api.write('DeleteSecret', verify=lambda: {} if self._current(name) is None else None, service=SERVICE,
                           SecretName=name, ForceDeleteWithoutRecovery='true')
        return True

    # -- claims

    def _write_claim(self, user_name, current, claim):
        """Write ``claim`` over ``current``: True when it is now the user's claim, False when another run's write won."""
        name = claim_name(self.prefix, user_name)
        version = claim_version(claim['generation'])
        data = json.dumps(claim, sort_keys=True)

        def outcome():
            found = self.read_claim(user_name)
            if is_same_claim(found, claim) and found.get('state') == claim['state']:
                return 'ours'
            # somebody else's claim, or one of ours that a lost response hid: either way no resend can win now
            return 'theirs' if found is not None and found['generation'] >= claim['generation'] else None

        try:
            if current is None:
                written = self.api.write('CreateSecret', verify=outcome, service=SERVICE, SecretName=name, VersionId=version,
                                         SecretData=data, SecretDataType='text',
                                         Description='aliyun.ram: claim to create an AccessKey of RAM user %s' % user_name,
                                         Tags=json.dumps([{'TagKey': STORE_TAG, 'TagValue': CLAIM_KIND},
                                                          {'TagKey': USER_TAG, 'TagValue': user_name}]))
            else:
                written = self.api.write('PutSecretValue', verify=outcome, service=SERVICE, SecretName=name,
                                         VersionId=version, SecretData=data, SecretDataType='text')
        except ApiError as err:
            if err.code != RESOURCE_EXISTS:
                raise
            # the real "already exists": another run won, or this is the resend of our own write whose answer was lost
            return outcome() == 'ours'
        return written != 'theirs'

    def try_claim(self, user_name):
        """(claim, taken over) when this run now holds the user's claim (``taken over``: the expired claim it replaced,
        else None); (None, current claim) when another run holds it."""
        current = self.read_claim(user_name)
        now = self.clock()
        state = claim_state(current, now)
        if state == HELD:
            return None, current
        claim = next_claim(current, user_name, self.holder, now, self.lease_seconds)
        if self._write_claim(user_name, current, claim):
            return claim, (current if state == EXPIRED else None)
        return None, self.read_claim(user_name)

    def still_holds(self, claim):
        """Whether ``claim`` is still the user's claim (nobody took it over after its lease passed)."""
        return is_same_claim(self.read_claim(claim['user_name']), claim)

    def release(self, claim):
        """Release ``claim``: False when another run had taken it over already (the lease passed)."""
        return self._write_claim(claim['user_name'], claim, released_claim(claim, self.clock()))


# ---------------------------------------------------------------- one reconcile, coordinated across runs

class Coordination(object):
    """What ``coordinated_reconcile`` needs from the outside world (all injectable for tests).

    ``run_module(users, held, check_mode)``: the ram_access_keys result for ``users`` with ``held`` (the action
    puts the held secrets back into it); ``list_keys(user)`` and ``delete_key(user, id)``: RAM, for orphan clean-up;
    ``sleep`` and ``rand``: the waits; ``monotonic``: the waits' deadline; ``on_step(step, users)``: called after
    ``claimed``, ``created`` and ``stored`` (tests stop a run there)."""

    def __init__(self, run_module, list_keys, delete_key, sleep=time.sleep, rand=random.random, monotonic=time.monotonic,
                 on_step=None):
        self.run_module = run_module
        self.list_keys = list_keys
        self.delete_key = delete_key
        self.sleep = sleep
        self.rand = rand
        self.monotonic = monotonic
        self.on_step = on_step or (lambda step, users: None)


def held_from_entries(entries, holder_name):
    return [{'user_name': e['user_name'], 'access_key_id': e['access_key_id'],
             'access_key_secret': e['access_key_secret'], 'host': holder_name} for e in entries if e]


class Outcome(object):
    """The merged result of the module runs of one coordinated reconcile, and what the store did."""

    def __init__(self):
        self.result = {'changed': False, 'access_keys': {}}
        self.messages = []
        self.store = {'backend': 'kms', 'added_access_key_ids': [], 'removed_access_key_ids': [],
                      'orphan_access_key_ids_deleted': [], 'claims_taken_over': [], 'waited_for': [], 'changed': False}

    def merge(self, module_result, users):
        keys = module_result.get('access_keys') or {}
        for user in users:
            if user in keys:
                self.result['access_keys'][user] = keys[user]
        self.result['changed'] = bool(self.result['changed'] or module_result.get('changed'))
        if module_result.get('failed'):
            self.result['failed'] = True
            self.messages.append(module_result.get('msg') or 'ram_access_keys failed')
            if module_result.get('errors'):
                self.result.setdefault('errors', {}).update(module_result['errors'])
        for name in ('warnings',):
            if module_result.get(name):
                self.result.setdefault(name, []).extend(module_result[name])
        self.result['retries'] = self.result.get('retries', 0) + (module_result.get('retries') or 0)

    def fail(self, message):
        self.result['failed'] = True
        self.messages.append(message)

    def finish(self):
        if self.messages:
            self.result['msg'] = '; '.join(self.messages)
        self.store['changed'] = bool(self.store['added_access_key_ids'] or self.store['removed_access_key_ids'])
        self.result['secret_store'] = self.store
        self.result['changed'] = bool(self.result['changed'] or self.store['changed']
                                      or self.store['orphan_access_key_ids_deleted'])
        return self.result


STORE_HOLDER = 'secret store'
MAX_ROUNDS = 4


def _deleted_ids(module_result):
    ids = []
    for key in (module_result.get('access_keys') or {}).values():
        ids.extend(key.get('deleted_access_key_ids') or [])
    return ids


def coordinated_reconcile(store, world, users, held, check_mode=False):
    """ram_access_keys operation=reconcile with the KMS store: every user ends with one key, created by one run.

    Per round: read the users' entries, run the module in check mode to learn which users need a key; the others are
    run for real at once when anything changes for them.  The users that need a key are claimed; this run creates the
    keys of the users it won (after deleting the orphans of the claims it took over), stores them and releases the
    claims, and only then waits for the users that other runs hold (so that two runs holding each other's users never
    wait for each other).  A waited-for user goes to the next round: it then finds the key its winner stored."""
    outcome = Outcome()
    remaining = list(users)
    deadline = world.monotonic() + 2 * store.lease_seconds + WAIT_MAX_SECONDS
    for dummy in range(MAX_ROUNDS):
        if not remaining:
            break
        remaining = _one_round(store, world, remaining, held, check_mode, outcome, deadline)
    if remaining:
        outcome.fail('the keys of user(s) %s were still being created by other runs after %d rounds' % (
            ', '.join(remaining), MAX_ROUNDS))
    return outcome.finish()


def _one_round(store, world, users, held, check_mode, outcome, deadline):
    entries = dict((user, store.read_entry(user)) for user in users)
    round_held = list(held) + held_from_entries(entries.values(), STORE_HOLDER)
    plan = world.run_module(users, round_held, True)
    if check_mode or plan.get('failed') or not plan.get('changed'):
        outcome.merge(plan, users)
        return []
    needing = users_to_claim(plan)
    settled = [user for user in users if user not in needing]
    won, busy = {}, []
    try:
        for user in needing:
            claim, other = store.try_claim(user)
            if claim is None:
                busy.append(user)
                continue
            won[user] = claim
            if other is not None:
                outcome.store['claims_taken_over'].append({'user_name': user, 'holder': other['holder'],
                                                           'claimed_at': other['claimed_at'],
                                                           'lease_expires': other['lease_expires']})
        world.on_step('claimed', sorted(won))
        for user, claim in sorted(won.items()):
            taken = next((t for t in outcome.store['claims_taken_over'] if t['user_name'] == user), None)
            if taken is not None:
                _delete_orphans(store, world, user, held, outcome, taken['claimed_at'])
        run_users = settled + sorted(won)
        if run_users:
            # the entries are read again: a winner may have stored the key since this round's first read
            fresh = [store.read_entry(user) for user in sorted(won)]
            run_held = list(held) + held_from_entries([entries[u] for u in settled] + fresh, STORE_HOLDER)
            result = world.run_module(run_users, run_held, False)
            world.on_step('created', sorted(won))
            _store_results(store, world, won, result, outcome)
            outcome.merge(result, run_users)
            world.on_step('stored', sorted(won))
    finally:
        for claim in won.values():
            try:
                store.release(claim)
            except ApiError as err:
                # the claim then expires by itself; its users' keys are stored already
                outcome.result.setdefault('warnings', []).append('the claim of user %s could not be released (%s): '
                                                                 'it expires after its lease' % (claim['user_name'], err))
    if busy:
        outcome.store['waited_for'].extend(user for user in busy if user not in outcome.store['waited_for'])
        given_up = _wait_for_claims(store, world, busy, deadline, outcome)
        return [user for user in busy if user not in given_up]
    return []


def _delete_orphans(store, world, user, held, outcome, claimed_at):
    entry = store.read_entry(user)
    stored = [entry['access_key_id']] if entry else []
    held_ids = [h['access_key_id'] for h in held if h['user_name'] == user]
    for access_key_id in orphan_keys(world.list_keys(user), stored, held_ids, claimed_at):
        world.delete_key(user, access_key_id)
        outcome.store['orphan_access_key_ids_deleted'].append(access_key_id)


def _store_results(store, world, won, result, outcome):
    """Store the created keys (of the users whose claim this run still holds) and forget the deleted ones."""
    for user, key in sorted((result.get('access_keys') or {}).items()):
        if not (key.get('created') and key.get('access_key_id') and key.get('access_key_secret')):
            continue
        claim = won.get(user)
        if claim is not None and not store.still_holds(claim):
            _drop_unclaimed_key(world, user, key, outcome)
            continue
        if store.put_entry({'user_name': user, 'access_key_id': key['access_key_id'],
                            'access_key_secret': key['access_key_secret'], 'create_date': key.get('create_date')}):
            outcome.store['added_access_key_ids'].append(key['access_key_id'])
    deleted = _deleted_ids(result)
    if deleted:
        for user in sorted(result.get('access_keys') or {}):
            if store.remove_entry(user, deleted):
                outcome.store['removed_access_key_ids'].extend(
                    [i for i in deleted if i in (result['access_keys'][user].get('deleted_access_key_ids') or [])])


def _drop_unclaimed_key(world, user, key, outcome):
    """Our lease passed while the key was created and another run took the user over: that run creates and stores the
    user's key, so this one must never reach a host, and nobody else knows it was made (the taker looked for orphans
    before it existed): delete it here."""
    key_id = key['access_key_id']
    try:
        world.delete_key(user, key_id)
        fate = 'deleted'
    except ApiError as err:
        fate = 'could not be deleted (%s): delete it' % err
    outcome.fail('the claim of user %s expired while its key %s was being created, and another run took the user over: '
                 'the key is not stored and %s (raise secret_store.lease_seconds)' % (user, key_id, fate))
    result_key = dict(key, access_key_id=None, access_key_secret=None, created=False,
                      error={'code': 'ClaimLost', 'action': None, 'status': None, 'request_id': None})
    key.clear()
    key.update(result_key)


def _wait_for_claims(store, world, users, deadline, outcome):
    """Until each user's claim is released or expired (bounded by ``deadline``); the next round does the rest.
    Returns the users given up on (failed in ``outcome``)."""
    pending = list(users)
    attempt = 0
    while pending:
        now = store.clock()
        pending = [user for user in pending if claim_state(store.read_claim(user), now) == HELD]
        if not pending:
            return []
        if world.monotonic() >= deadline:
            outcome.fail('gave up waiting for the claims of user(s) %s held by other runs (their leases end later than '
                         'this run waits)' % ', '.join(pending))
            return pending
        world.sleep(min(wait_delay(attempt, world.rand), max(0.0, deadline - world.monotonic())))
        attempt += 1
    return []
