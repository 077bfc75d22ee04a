# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Leaked-key response (playbooks/respond.yml), the pure part: input checks, what to do with each key, the report.

* ``check_leaked_ids``: AccessKey ids from a list or a comma-separated string, each of the AccessKey ID shape; runs
  before any API call, so a typo changes and reads nothing.
* ``plan_key`` / ``plan_response``: per key, ``contain`` (first response), ``finish`` (an earlier run recorded the key
  as compromised and left work: hosts still hold it, or it is still Active), ``already_contained``, or a refusal
  (``root_key``, ``unknown_key``, ``two_active_keys``, ``other_key_held``) with what a person does instead.
* ``build_report``: the incident report (timeline, owner, holders, unreachable hosts with the command that
  finishes the job); rendered by ``_respond_render``.  Never a secret: only key ids, names, times and addresses.
"""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError

# RAM AccessKey ids: "LTAI" and 12 to 30 letters and digits (16 characters for old keys, 24 for new ones).
ACCESS_KEY_ID_SHAPE = re.compile(r'^LTAI[0-9A-Za-z]{12,30}$')
REPLACE_FIRST = 'replace_first'
DEACTIVATE_FIRST = 'deactivate_first'
MODES = (REPLACE_FIRST, DEACTIVATE_FIRST)

CONTAIN = 'contain'
FINISH = 'finish'
ALREADY_CONTAINED = 'already_contained'
ROOT_KEY = 'root_key'
UNKNOWN_KEY = 'unknown_key'
TWO_ACTIVE_KEYS = 'two_active_keys'
OTHER_KEY_HELD = 'other_key_held'
ACTING = (CONTAIN, FINISH)
REFUSALS = (ROOT_KEY, UNKNOWN_KEY, TWO_ACTIVE_KEYS, OTHER_KEY_HELD)
SCHEMA_VERSION = 1
EVENTS_IN_REPORT = 50

ROOT_CONSOLE_STEPS = [
    'Sign in to the Alibaba Cloud console as the account owner (not as a RAM user).',
    'Open AccessKey management (the account menu, AccessKey), find %(id)s and disable it.',
    'Give each application that used %(id)s a RAM user key instead (playbooks/provision.yml), from the hosts listed here.',
    'After the investigation, delete %(id)s in the same page.',
]


def check_leaked_ids(value, option='leaked_access_key_ids'):
    """The ids, in order and without repeats, from a list or a string of ids separated by commas or white space.
    Raises ValidationError naming every value that is not of the AccessKey ID shape (a typo), before any call."""
    if value is None:
        value = []
    if isinstance(value, str):
        value = [part for part in re.split(r'[\s,]+', value) if part]
    if not isinstance(value, (list, tuple)):
        raise ValidationError('%s must be a list of AccessKey IDs or one string of IDs separated by commas, got %s'
                              % (option, type(value).__name__))
    ids, typos = [], []
    for item in value:
        text = item.strip() if isinstance(item, str) else item
        if not isinstance(text, str) or not ACCESS_KEY_ID_SHAPE.match(text):
            typos.append(repr(item))
        elif text not in ids:
            ids.append(text)
    if typos:
        raise ValidationError('%s: %s %s not an AccessKey ID (LTAI followed by 12 to 30 letters and digits); nothing '
                              'was read or changed' % (option, ', '.join(typos), 'is' if len(typos) == 1 else 'are'))
    if not ids:
        raise ValidationError('%s is empty: give the leaked AccessKey ID(s), for example -e %s=LTAI...' % (option, option))
    return ids


def check_options(mode, max_exposure_minutes):
    if mode not in MODES:
        raise ValidationError('respond_mode must be one of %s, got %r' % (', '.join(MODES), mode))
    try:
        minutes = int(max_exposure_minutes)
    except (TypeError, ValueError):
        minutes = -1
    if minutes < 0 or str(max_exposure_minutes).strip() != str(minutes):
        raise ValidationError('respond_max_exposure_minutes must be a whole number of minutes, 0 or more, got %r'
                              % (max_exposure_minutes,))
    return mode, minutes


# ---------------------------------------------------------------- deciding

def _events_of(events, key_id):
    return sorted((e for e in events or [] if e.get('access_key_id') == key_id or
                   (e.get('user_identity') or {}).get('access_key_id') == key_id),
                  key=lambda e: e.get('event_time') or '')


def _stop_now_command(user_name, key_id):
    return 'aliyun ram UpdateAccessKey --UserName %s --UserAccessKeyId %s --Status Inactive' % (user_name, key_id)


def plan_key(key_id, owner, events, held, unreachable, users_scanned=None):
    """What to do with one leaked key.

    ``owner``: ram_access_key_owner_info's entry; ``events``: ActionTrail summaries (any keys); ``held``:
    ``[{host, user_name, access_key_id, path, format}]`` from the hosts' files (``_audit.collect_host_reads``);
    ``unreachable``: ``[{host, declared_users}]``.  Returns ``{access_key_id, decision, message, user_name, status,
    holders, holder_files, foreign_holders, unknown_hosts, events, other_keys}``."""
    owner = owner or {'found': False}
    user_name = owner.get('user_name') if owner.get('found') else None
    files = [dict(entry) for entry in held if entry.get('access_key_id') == key_id]
    holders = sorted(set(entry['host'] for entry in files))
    key_events = _events_of(events, key_id)
    plan = {
        'access_key_id': key_id, 'user_name': user_name, 'user_id': owner.get('user_id'),
        'status': owner.get('status'), 'create_date': owner.get('create_date'), 'age_days': owner.get('age_days'),
        'last_used_date': owner.get('last_used_date'), 'recorded_compromised': bool(owner.get('compromised')),
        'holders': holders, 'holder_files': files,
        # files that declare another user (or an explicit key pair) cannot get the owner's replacement from this run
        'foreign_holders': sorted(set(e['host'] for e in files if user_name and e.get('user_name') != user_name)),
        'unknown_hosts': sorted(h['host'] for h in unreachable
                                if user_name is None or user_name in (h.get('declared_users') or [])),
        'events': key_events, 'other_keys': [],
    }
    if not owner.get('found'):
        roots = [e for e in key_events if (e.get('user_identity') or {}).get('type') == 'root-account']
        where = (' Hosts holding it: %s.' % ', '.join(holders)) if holders else ''
        if roots:
            plan['decision'] = ROOT_KEY
            plan['console_steps'] = [step % {'id': key_id} for step in ROOT_CONSOLE_STEPS]
            plan['message'] = ('AccessKey %s is the root AccessKey of the Alibaba Cloud account (ActionTrail records its '
                               'calls as root-account): RAM cannot manage an account root key, so nothing was changed; '
                               'follow the console steps of the report.%s' % (key_id, where))
        else:
            plan['decision'] = UNKNOWN_KEY
            plan['message'] = ('AccessKey %s belongs to no RAM user of this account (%s users scanned) and made no call '
                               'in the ActionTrail window: nothing was changed. It may be another account\'s key, a '
                               'deleted key, or an account root key that was not used lately (root keys are managed in '
                               'the console as the account owner).%s' % (key_id, '?' if users_scanned is None else users_scanned, where))
        return plan
    others = [k for k in owner.get('user_keys') or [] if k.get('access_key_id') != key_id]
    held_others = dict((k['access_key_id'], sorted(set(e['host'] for e in held if e.get('access_key_id') == k['access_key_id'])))
                       for k in others)
    plan['other_keys'] = [dict(k, holders=held_others[k['access_key_id']]) for k in others]
    active_others = [k['access_key_id'] for k in others if k.get('status') == 'Active']
    if plan['recorded_compromised']:
        if plan['status'] == 'Active' or holders:
            plan['decision'] = FINISH
            still = ('hosts %s still hold it' % ', '.join(holders)) if holders else 'it is still Active'
            plan['message'] = ('AccessKey %s of user %s was recorded as compromised by an earlier run and %s: this run '
                               'finishes the job' % (key_id, user_name, still))
        else:
            plan['decision'] = ALREADY_CONTAINED
            plan['message'] = ('AccessKey %s of user %s is already contained (Inactive, recorded as compromised, held by '
                               'no host that was read): nothing was changed' % (key_id, user_name))
            if plan['unknown_hosts']:
                plan['message'] += '; hosts %s were unreachable and may still hold it' % ', '.join(plan['unknown_hosts'])
        return plan
    if plan['status'] == 'Active' and active_others:
        plan['decision'] = TWO_ACTIVE_KEYS
        other = active_others[0]
        plan['message'] = ('user %s has two Active AccessKeys, %s (leaked) and %s: whether %s is a rotation under way or '
                           'another application\'s key cannot be told, so nothing was changed. Finish the rotation '
                           '(playbooks/rotate.yml) or deactivate %s if nothing uses it, then run respond again; to stop '
                           'the leaked key at once: %s'
                           % (user_name, key_id, other, other, other, _stop_now_command(user_name, key_id)))
        return plan
    held_elsewhere = [(k, hosts) for k, hosts in held_others.items() if hosts]
    if held_elsewhere:
        plan['decision'] = OTHER_KEY_HELD
        plan['message'] = ('hosts %s hold %s, another AccessKey of user %s: replacing the leaked key %s would leave '
                           'them with a key this run does not manage, so nothing was changed. Provision the user '
                           '(playbooks/provision.yml) so that its hosts hold one key, then run respond again; to stop '
                           'the leaked key at once: %s' % (
                               ', '.join(sorted(set(h for _k, hosts in held_elsewhere for h in hosts))),
                               ', '.join(k for k, _hosts in held_elsewhere), user_name, key_id,
                               _stop_now_command(user_name, key_id)))
        return plan
    plan['decision'] = CONTAIN
    plan['message'] = ('AccessKey %s of user %s (%s, held by %s): recorded as compromised, replaced and deactivated'
                       % (key_id, user_name, plan['status'], ', '.join(holders) or 'no host that was read'))
    return plan


def plan_response(access_key_ids, owners, events, reads, declared_users_by_host, users_scanned=None):
    """Every key's plan, the users whose keys are replaced (``contain_users``) and the hosts that declare them
    (``target_hosts``: the play that deploys the replacement, unreachable ones included; ``reachable_target_hosts``:
    those whose files were read)."""
    by_id = dict((o.get('access_key_id'), o) for o in owners or [])
    keys = [plan_key(key_id, by_id.get(key_id), events, reads['held'], reads['unreachable'], users_scanned)
            for key_id in access_key_ids]
    contain_users = sorted(set(k['user_name'] for k in keys if k['decision'] in ACTING))
    targets = sorted(host for host, users in (declared_users_by_host or {}).items()
                     if set(users or []) & set(contain_users))
    unreachable = set(h['host'] for h in reads['unreachable'])
    return {'keys': keys, 'contain_users': contain_users, 'target_hosts': targets,
            'reachable_target_hosts': [host for host in targets if host not in unreachable],
            'acting': [k['access_key_id'] for k in keys if k['decision'] in ACTING],
            'refused': [k['access_key_id'] for k in keys if k['decision'] in REFUSALS]}


# ---------------------------------------------------------------- the report

def _event_row(event):
    return {'event_time': event.get('event_time'), 'event_name': event.get('event_name'),
            'source_ip': event.get('source_ip'), 'service_name': event.get('service_name'),
            'error_code': event.get('error_code'), 'identity_type': (event.get('user_identity') or {}).get('type')}


def _replacement(plan, user_keys):
    """The owner's newest Active key other than the leaked one, after the run (None when there is none)."""
    for key in sorted(user_keys or [], key=lambda k: k.get('create_date') or '', reverse=True):
        if key.get('access_key_id') != plan['access_key_id'] and key.get('status') == 'Active':
            return key
    return None


def _timeline(plan, incident):
    entries = [(plan.get('create_date'), 'created'), (plan.get('last_used_date'), 'last used (GetAccessKeyLastUsed)')]
    if plan['events']:
        first, last = plan['events'][0], plan['events'][-1]
        entries.append((first.get('event_time'), 'first ActionTrail event: %s from %s' % (first.get('event_name'), first.get('source_ip'))))
        entries.append((last.get('event_time'), 'last ActionTrail event: %s from %s' % (last.get('event_name'), last.get('source_ip'))))
    if incident.get('recorded_at'):
        entries.append((incident['recorded_at'], 'recorded as compromised in the Comments of user %s' % plan['user_name']))
    if incident.get('contained_at'):
        entries.append((incident['contained_at'], 'contained (deactivated)'))
    replacement = incident.get('replacement') or {}
    if replacement.get('created_in_this_run'):
        entries.append((replacement.get('create_date'), 'replaced by %s' % replacement['access_key_id']))
    for host in incident.get('updated_hosts') or []:
        entries.append((host['updated_at'], 'host %s updated' % host['host']))
    return [{'time': when, 'what': what} for when, what in sorted((e for e in entries if e[0]), key=lambda e: e[0])]


def build_report(response, outcome, context):
    """The incident report. ``response``: ``plan_response``'s; ``outcome``: ``{user_keys_after: {user: keys},
    containments: {key id: {recorded_at, contained_at, deactivated}}, hosts: {host: {updated_at, changed, holds}},
    proofs: {user: proven}}``; ``context``: ``{generated_at, started_at, mode, max_exposure_minutes, finish_command,
    check_mode}``."""
    incidents = []
    hosts = outcome.get('hosts') or {}
    for plan in response['keys']:
        incident = {'access_key_id': plan['access_key_id'], 'decision': plan['decision'], 'message': plan['message'],
                    'user_name': plan['user_name'], 'user_id': plan['user_id'], 'status_before': plan['status'],
                    'create_date': plan['create_date'], 'last_used_date': plan['last_used_date'],
                    'holders': plan['holders'], 'holder_files': [
                        dict((f, entry.get(f)) for f in ('host', 'user_name', 'format', 'path', 'profile'))
                        for entry in plan['holder_files']],
                    'foreign_holders': plan['foreign_holders'],
                    'event_count': len(plan['events']),
                    'events': [_event_row(e) for e in plan['events'][-EVENTS_IN_REPORT:]],
                    'source_ips': sorted(set(e.get('source_ip') for e in plan['events'] if e.get('source_ip'))),
                    'other_keys': [dict((f, k.get(f)) for f in ('access_key_id', 'status', 'create_date', 'holders'))
                                   for k in plan['other_keys']],
                    'console_steps': plan.get('console_steps') or [],
                    'updated_hosts': [], 'not_updated_hosts': [], 'unknown_hosts': list(plan['unknown_hosts']),
                    'replacement': None, 'status_after': plan['status'], 'recorded_at': None, 'contained_at': None,
                    'proven': None, 'finish_command': None}
        containment = (outcome.get('containments') or {}).get(plan['access_key_id']) or {}
        incident['recorded_at'] = containment.get('recorded_at')
        incident['contained_at'] = containment.get('contained_at')
        if plan['decision'] in ACTING:
            after = (outcome.get('user_keys_after') or {}).get(plan['user_name']) or []
            now_key = next((k for k in after if k.get('access_key_id') == plan['access_key_id']), None)
            incident['status_after'] = now_key.get('status') if now_key else 'deleted'
            replacement = _replacement(plan, after)
            if replacement:
                incident['replacement'] = {
                    'access_key_id': replacement['access_key_id'], 'create_date': replacement.get('create_date'),
                    'created_in_this_run': bool(replacement.get('create_date') and context.get('started_at')
                                                and replacement['create_date'] >= context['started_at'])}
                incident['proven'] = (outcome.get('proofs') or {}).get(plan['user_name'])
            for host in context.get('target_hosts') or []:
                state = hosts.get(host)
                if state and replacement and replacement['access_key_id'] in (state.get('holds') or []) \
                        and plan['access_key_id'] not in (state.get('holds') or []):
                    if state.get('changed'):
                        incident['updated_hosts'].append({'host': host, 'updated_at': state.get('updated_at')})
                elif host in plan['holders'] or host in plan['unknown_hosts'] or not state:
                    incident['not_updated_hosts'].append(host)
            incident['unknown_hosts'] = sorted(set(incident['unknown_hosts']) | set(h for h in incident['not_updated_hosts'] if h not in hosts))
            if incident['not_updated_hosts']:
                incident['finish_command'] = '%s --limit %s' % (context.get('finish_command') or '', ','.join(incident['not_updated_hosts']))
        incident['timeline'] = _timeline(plan, incident)
        incidents.append(incident)
    summary = {
        'keys': len(incidents),
        'contained': sum(1 for i in incidents if i['decision'] in ACTING and i['status_after'] == 'Inactive'),
        'already_contained': sum(1 for i in incidents if i['decision'] == ALREADY_CONTAINED),
        'refused': sum(1 for i in incidents if i['decision'] in REFUSALS),
        'hosts_updated': sorted(set(h['host'] for i in incidents for h in i['updated_hosts'])),
        'hosts_not_updated': sorted(set(h for i in incidents for h in i['not_updated_hosts'])),
        'unfinished': [i['access_key_id'] for i in incidents
                       if i['decision'] in ACTING and (i['not_updated_hosts'] or i['status_after'] == 'Active')],
    }
    return {'schema_version': SCHEMA_VERSION, 'generated_at': context.get('generated_at'),
            'started_at': context.get('started_at'), 'mode': context.get('mode'),
            'max_exposure_minutes': context.get('max_exposure_minutes'), 'check_mode': bool(context.get('check_mode')),
            'summary': summary, 'incidents': incidents}


def summary_lines(report):
    """What the playbook shows at the end, one line per key."""
    lines = []
    for incident in report['incidents']:
        line = '%s: %s' % (incident['access_key_id'], incident['message'])
        if incident['decision'] in ACTING:
            replacement = incident['replacement'] or {}
            line += ' | now %s; replacement %s; hosts updated: %s; not updated: %s' % (
                incident['status_after'], replacement.get('access_key_id') or 'none',
                ', '.join(h['host'] for h in incident['updated_hosts']) or 'none',
                ', '.join(incident['not_updated_hosts']) or 'none')
            if incident['finish_command']:
                line += ' | to finish: %s' % incident['finish_command']
        lines.append(line)
    return lines
