# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The watch behind the ``aliyun.ram.access_keys`` event source (extensions/eda): findings about AccessKeys.

One poll reads the account (ListUsers -> ListAccessKeys -> GetAccessKeyLastUsed, bounded parallelism, through the
same RamApi as the modules) and ActionTrail (LookupEvents over the last ``lookback_hours``), and decides:

* ``key_too_old``: an Active key older than ``max_age_days``;
* ``key_unused``: an Active key never used, or last used more than ``unused_days`` ago, at least ``unused_days`` old;
  RAM reports a use up to about 2 hours late, so a key that ActionTrail shows in use in the lookback window is not
  unused, whatever RAM says;
* ``key_used_from_unexpected_source``: an ActionTrail event made with an AccessKey (not an STS session) from an address
  outside ``expected_source_cidrs`` (the check is off when the list is empty);
* ``root_key_used``: an ActionTrail event made with the account's root AccessKey.

The decisions are pure functions of what was listed and the time (``key_findings``, ``trail_findings``); ``Memory``
remembers what was emitted, so that one condition gives one event until the value that matters changes (the key's
creation date, its last use, the source address), optionally persisted in a state file (0600, atomic replace).
Nothing here holds or returns a secret: events carry key ids, names, dates and addresses only.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._actiontrail import ROOT_IDENTITY_TYPE, format_time, lookup_events
from ansible_collections.aliyun.ram.plugins.module_utils._atomic_write import atomic_write
from ansible_collections.aliyun.ram.plugins.module_utils._batch import check_parallelism, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import list_access_keys_if_user, read_unless_gone
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import ACTIVE, describe_keys
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError, scrub
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import RamTask, auth_argument_spec
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import parse_date, utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._users.api import list_users

KEY_TOO_OLD = 'key_too_old'
KEY_UNUSED = 'key_unused'
KEY_USED_FROM_UNEXPECTED_SOURCE = 'key_used_from_unexpected_source'
ROOT_KEY_USED = 'root_key_used'
EVENT_TYPES = (KEY_TOO_OLD, KEY_UNUSED, KEY_USED_FROM_UNEXPECTED_SOURCE, ROOT_KEY_USED)
RAM_TYPES = (KEY_TOO_OLD, KEY_UNUSED)
STATE_VERSION = 1
STS_KEY_PREFIX = 'STS.'

# The options of the event source besides the shared authentication options (auth_argument_spec).
WATCH_OPTIONS = {
    'interval': dict(type='float', default=300.0),
    'once': dict(type='bool', default=False),
    'max_age_days': dict(type='int', default=90),
    'unused_days': dict(type='int', default=90),
    'expected_source_cidrs': dict(type='list', elements='str', default=[]),
    'check_actiontrail': dict(type='bool', default=True),
    'lookback_hours': dict(type='float', default=3.0),
    'max_trail_events': dict(type='int', default=2000),
    'user_names': dict(type='list', elements='str'),
    'parallelism': dict(type='int', default=4),
    'state_file': dict(type='path'),
}


def argument_spec():
    spec = auth_argument_spec()
    spec.update(WATCH_OPTIONS)
    return spec


# ---------------------------------------------------------------- decisions (pure)

def parse_networks(cidrs):
    """``expected_source_cidrs`` as ip_network objects (a bare address is its own /32 or /128); raises ValidationError."""
    networks = []
    for cidr in cidrs or []:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ValidationError('expected_source_cidrs: %r is not an address or network (CIDR)' % (cidr,)) from None
    return networks


def is_expected_source(address, networks):
    """Whether ``address`` is in one of ``networks``. An address that does not parse (a service name such as
    ``internal``, or nothing) is not expected; an IPv4-mapped IPv6 address is compared as IPv4."""
    try:
        ip = ipaddress.ip_address(str(address or '').strip().strip('[]'))
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)


def _key_event(kind, user_name, key, reason):
    return {'type': kind, 'user_name': user_name, 'access_key_id': key.get('access_key_id'),
            'status': key.get('status'), 'create_date': key.get('create_date'), 'age_days': key.get('age_days'),
            'last_used_date': key.get('last_used_date'), 'reason': reason}


def key_findings(users, now, max_age_days=90, unused_days=90, used_recently=frozenset()):
    """``key_too_old`` and ``key_unused`` findings of the listed keys (Active keys only).

    ``users``: ``[{'user_name', 'access_keys': [{access_key_id, status, create_date, last_used_date}]}]``;
    ``used_recently``: ids of keys ActionTrail shows in use (RAM's last use lags, see the module docstring).
    A limit of 0 or None turns its check off."""
    findings = []
    for user in users:
        for key in describe_keys(user.get('access_keys') or [], now):
            if key.get('status') != ACTIVE:
                continue
            key.setdefault('last_used_date', None)
            age = key['age_days']
            if max_age_days and age is not None and age > max_age_days:
                findings.append(_key_event(KEY_TOO_OLD, user['user_name'], key, 'AccessKey %s of user %s is %d days old '
                                           '(more than %d)' % (key['access_key_id'], user['user_name'], age, max_age_days)))
            if not unused_days or age is None or age < unused_days or key['access_key_id'] in used_recently:
                continue
            last_used = parse_date(key['last_used_date'])
            if last_used is None:
                reason = 'AccessKey %s of user %s (%d days old) has never been used' % (
                    key['access_key_id'], user['user_name'], age)
            elif (now - last_used).total_seconds() > unused_days * 86400:
                reason = 'AccessKey %s of user %s was last used %s, more than %d days ago' % (
                    key['access_key_id'], user['user_name'], key['last_used_date'], unused_days)
            else:
                continue
            findings.append(_key_event(KEY_UNUSED, user['user_name'], key, reason))
    return findings


def _trail_event(kind, event, key, user_name, reason):
    identity = event.get('user_identity') or {}
    finding = _key_event(kind, user_name or identity.get('user_name'), dict(key or {}, access_key_id=event['access_key_id']),
                         reason)
    finding.update({'event_name': event.get('event_name'), 'event_time': event.get('event_time'),
                    'source_ip': event.get('source_ip'), 'event_id': event.get('event_id'),
                    'identity_type': identity.get('type'), 'error_code': event.get('error_code')})
    return finding


def trail_findings(events, networks, keys_by_id=None):
    """``key_used_from_unexpected_source`` and ``root_key_used`` findings of ActionTrail event summaries
    (``_actiontrail.summarize_event``).  ``networks``: the expected sources (none: that check is off);
    ``keys_by_id``: ``{access key id: (user name, key)}`` from the account listing, for the key's age and last use."""
    keys_by_id = keys_by_id or {}
    findings = []
    for event in events:
        key_id = event.get('access_key_id')
        if not key_id or key_id.startswith(STS_KEY_PREFIX):
            continue
        user_name, key = keys_by_id.get(key_id, (None, None))
        identity_type = (event.get('user_identity') or {}).get('type')
        if identity_type == ROOT_IDENTITY_TYPE:
            findings.append(_trail_event(ROOT_KEY_USED, event, key, user_name, 'the root AccessKey %s of the account made '
                                         '%s from %s at %s' % (key_id, event.get('event_name'), event.get('source_ip'),
                                                               event.get('event_time'))))
        if networks and not is_expected_source(event.get('source_ip'), networks):
            findings.append(_trail_event(KEY_USED_FROM_UNEXPECTED_SOURCE, event, key, user_name,
                                         'AccessKey %s made %s from %s at %s, outside the expected sources' % (
                                             key_id, event.get('event_name'), event.get('source_ip'),
                                             event.get('event_time'))))
    return findings


def fingerprint(finding):
    """What makes a finding the same condition: its type, its key, and the value that matters for the type."""
    kind = finding['type']
    if kind == KEY_TOO_OLD:
        value = finding.get('create_date')
    elif kind == KEY_UNUSED:
        value = finding.get('last_used_date') or 'never'
    else:
        value = finding.get('source_ip')
    return '%s|%s|%s' % (kind, finding.get('access_key_id'), value)


# ---------------------------------------------------------------- memory

class Memory(object):
    """What was emitted: ``{fingerprint: {'type', 'access_key_id', 'seen': latest time the condition held}}``.

    A RAM condition is forgotten when a complete poll no longer finds it (so it is emitted again if it comes back);
    an ActionTrail condition when its latest event has left the lookback window (its events can no longer be found,
    so a new one is a new use)."""

    def __init__(self, path=None):
        self.path = path
        self.entries = {}

    def load(self):
        if not self.path or not os.path.exists(self.path):
            return self
        try:
            with open(self.path, encoding='utf-8') as handle:
                data = json.load(handle)
        except (OSError, ValueError) as err:
            raise ValidationError('state_file %s cannot be read: %s' % (self.path, err)) from None
        if not isinstance(data, dict) or data.get('version') != STATE_VERSION or not isinstance(data.get('emitted'), dict):
            raise ValidationError('state_file %s is not a state file of this event source (version %d)' % (self.path, STATE_VERSION))
        self.entries = dict((k, dict(v)) for k, v in data['emitted'].items() if isinstance(v, dict))
        return self

    def save(self):
        if not self.path:
            return
        data = json.dumps({'version': STATE_VERSION, 'emitted': self.entries}, sort_keys=True, indent=1)
        atomic_write(self.path, data.encode('utf-8'), mode=0o600)

    def new(self, findings):
        """The findings not emitted before, each once (two findings of one condition in one poll are one event)."""
        fresh, seen = [], set()
        for finding in findings:
            mark = fingerprint(finding)
            if mark in self.entries or mark in seen:
                continue
            seen.add(mark)
            fresh.append(finding)
        return fresh

    def remember(self, findings, now):
        """Mark ``findings`` as emitted (after they were put on the queue) or as still holding."""
        for finding in findings:
            blank = {'type': finding['type'], 'access_key_id': finding.get('access_key_id')}
            entry = self.entries.setdefault(fingerprint(finding), blank)
            seen = finding.get('event_time') or format_time(now)
            if entry.get('seen') is None or seen > entry['seen']:
                entry['seen'] = seen

    def forget(self, ram_findings=None, window_start=None):
        """Drop RAM conditions that ``ram_findings`` (a complete poll's; None: unknown) no longer has, and ActionTrail
        conditions last seen before ``window_start``."""
        holding = None if ram_findings is None else set(fingerprint(f) for f in ram_findings)
        for mark, entry in list(self.entries.items()):
            if entry.get('type') in RAM_TYPES:
                if holding is not None and mark not in holding:
                    del self.entries[mark]
            elif window_start is not None and (entry.get('seen') or '') < format_time(window_start):
                del self.entries[mark]


# ---------------------------------------------------------------- options and the poll

class WatchTask(RamTask):
    """The event source's credentials, endpoints and retries: a RamTask, so exactly the modules' options and
    environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID, ..., ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT) apply."""

    def __init__(self, params, spec):
        self.params = params
        self.argument_spec = spec
        self.check_mode = True
        self._diff = False
        self._init_ram_task(('ram', 'actiontrail'))


def watch_options(args):
    """The source's ``args`` validated like a module's options (types, aliases, environment fallbacks); raises
    ValidationError naming the problem, never a value. Keys ansible-rulebook adds (``eda_*``) are ignored."""
    spec = argument_spec()
    given = dict((k, v) for k, v in (args or {}).items() if not str(k).startswith('eda_'))
    result = ArgumentSpecValidator(spec).validate(given)
    if result.error_messages:
        raise ValidationError('aliyun.ram.access_keys: %s' % '; '.join(result.error_messages))
    params = result.validated_parameters
    if params['interval'] <= 0:
        raise ValidationError('interval must be more than 0 seconds, got %s' % params['interval'])
    for name in ('max_age_days', 'unused_days'):
        if params[name] is not None and params[name] < 0:
            raise ValidationError('%s must be 0 (off) or more, got %d' % (name, params[name]))
    if params['lookback_hours'] <= 0:
        raise ValidationError('lookback_hours must be more than 0, got %s' % params['lookback_hours'])
    if params['max_trail_events'] < 1:
        raise ValidationError('max_trail_events must be 1 or more, got %d' % params['max_trail_events'])
    check_parallelism(params['parallelism'])
    for name in params['user_names'] or []:
        validate.user_name(name, 'user_names')
    params['networks'] = parse_networks(params['expected_source_cidrs'])
    return params, spec


def _user_keys(api, user_name, now, with_last_used):
    keys = list_access_keys_if_user(api, user_name)
    if keys is None:
        return None
    keys = describe_keys(keys, now)
    for key in keys:
        key['last_used_date'] = None
        if with_last_used and key['status'] == ACTIVE:
            body = read_unless_gone(api, 'GetAccessKeyLastUsed', UserName=user_name, UserAccessKeyId=key['access_key_id'])
            key['last_used_date'] = ((body or {}).get('AccessKeyLastUsed') or {}).get('LastUsedDate') or None
    return keys


class Poll(object):
    """What one poll found: ``findings`` (every condition that holds now), ``ram_complete`` (every user was listed),
    ``window_start`` of the ActionTrail lookup, and ``problems`` (scrubbed messages of what could not be read)."""

    def __init__(self):
        self.findings = []
        self.ram_findings = []
        self.ram_complete = False
        self.window_start = None
        self.problems = []


class Watcher(object):
    """The event source's state between polls: options, API client (made at the first poll), memory."""

    def __init__(self, args, clock=None):
        self.params, spec = watch_options(args)
        self.task = WatchTask(self.params, spec)
        self.task.auth().validate()
        self.clock = clock or utc_now
        self.memory = Memory(self.params['state_file']).load()
        self._api = None

    @property
    def interval(self):
        return self.params['interval']

    @property
    def once(self):
        return self.params['once']

    def secrets(self):
        return self.task._secrets()  # pylint: disable=protected-access

    def scrub(self, text):
        return scrub(text, self.secrets())

    def api(self):
        if self._api is None:
            self._api = self.task.api()
            share_backoff(self._api)
        return self._api

    def poll(self):
        """Read RAM and ActionTrail once; raises ApiError/ValidationError only when nothing could be read."""
        now = self.clock()
        result = Poll()
        api = self.api()
        params = self.params
        want_trail = params['check_actiontrail']
        trail_events = []
        if want_trail:
            try:
                start = now - datetime.timedelta(hours=params['lookback_hours'])
                found = lookup_events(api, start=start, end=now, max_events=params['max_trail_events'],
                                      secrets=self.secrets())
                trail_events = found['events']
                result.window_start = start
                if found['truncated']:
                    result.problems.append('ActionTrail had more than max_trail_events=%d events in the last %s hours: '
                                           'only the newest were checked' % (params['max_trail_events'], params['lookback_hours']))
            except ApiError as err:
                result.problems.append('ActionTrail could not be read: %s' % self.scrub(str(err)))
        users = params['user_names'] or [user['UserName'] for user in list_users(api) if user.get('UserName')]
        with_last_used = bool(params['unused_days'])
        outcomes = run_parallel(users, lambda name: _user_keys(api, name, now, with_last_used), params['parallelism'])
        listed = []
        for outcome in outcomes:
            if outcome.failed:
                result.problems.append('the keys of user %s could not be listed: %s' % (outcome.item, self.scrub(str(outcome.error))))
            elif outcome.result is not None:
                listed.append({'user_name': outcome.item, 'access_keys': outcome.result})
        result.ram_complete = not any(outcome.failed for outcome in outcomes)
        used_recently = set(event['access_key_id'] for event in trail_events if event.get('access_key_id'))
        result.ram_findings = key_findings(listed, now, params['max_age_days'], params['unused_days'], used_recently)
        keys_by_id = dict((key['access_key_id'], (user['user_name'], key)) for user in listed for key in user['access_keys'])
        result.findings = result.ram_findings + trail_findings(trail_events, params['networks'], keys_by_id)
        return result

    def new_events(self, result):
        """The findings of ``result`` to emit (not emitted before), after forgetting conditions that ended."""
        self.memory.forget(result.ram_findings if result.ram_complete else None, result.window_start)
        return self.memory.new(result.findings)

    def emitted(self, result):
        """After the new events were put on the queue: remember every condition that holds, and save the state."""
        self.memory.remember(result.findings, self.clock())
        self.memory.save()
