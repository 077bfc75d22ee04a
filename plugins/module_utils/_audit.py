# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The AccessKey audit (playbooks/audit.yml, the audit_report module): what RAM lists, what hosts hold, findings.

``collect_*`` turn what the playbook registered (ram_access_key_info, credential_file_info and sts_caller_info
results) into plain records, copying only named fields: nothing else of a registered result, and never a
secret, reaches the report.  ``build_report`` is the pure decision: RAM keys + held map + identities +
policy + now -> keys table and findings.

Last use is what RAM's ``GetAccessKeyLastUsed`` reports (ram_access_key_info with ``include_last_used``), read with
the controller's own credentials: the audit signs no call with a key it audits, so it never makes one look used.
RAM reports a use with a delay of up to about two hours (LAST_USED_LAG_NOTE).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import ACTIVE, INACTIVE, KEY_LIMIT, is_older_than, is_root_identity
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import age_days

REPORT_SCHEMA_VERSION = 1
CRITICAL, WARNING, INFO = 'critical', 'warning', 'info'
SEVERITY_ORDER = (CRITICAL, WARNING, INFO)

# kind -> (severity, title). Titles are what the reports show; kinds are the stable machine names.
FINDING_KINDS = {
    'root_key_in_use': (CRITICAL, 'Account root AccessKey in use'),
    'orphan_key': (WARNING, 'Active key held by no host'),
    'unused_key': (WARNING, 'Active key unused for longer than the policy'),
    'key_too_old': (WARNING, 'Active key older than the policy'),
    'inactive_past_grace': (WARNING, 'Inactive key past its grace period'),
    'stale_key_on_host': (WARNING, 'Host holds a key that cannot authenticate'),
    'user_missing': (WARNING, 'Audited user does not exist in RAM'),
    'host_unreachable': (WARNING, 'Host could not be reached'),
    'file_unreadable': (WARNING, 'Credential file could not be read'),
    'key_not_verified': (WARNING, 'Key of no audited user not identified'),
    'user_at_key_limit': (INFO, 'User at the limit of 2 AccessKeys'),
}


# How the audit knows a key's last use, and what that cannot show: said in every unused_key finding and in the reports.
LAST_USED_SOURCE = "RAM's GetAccessKeyLastUsed, read with the controller's credentials (the audit signs no call with an audited user's key)"
LAST_USED_LAG_NOTE = ('RAM reports a use with a delay of up to about two hours: a key used in the last two hours may '
                      'show an older last use, or none')


def _text(value):
    return None if value is None else str(value)


def _is_mapping(value):
    return isinstance(value, Mapping)


def _error_code(result):
    error = result.get('error')
    return _text(error.get('code')) if _is_mapping(error) and error.get('code') else None


def _error_message(result):
    error = result.get('error')
    return _text(error.get('message')) if _is_mapping(error) and error.get('message') else None


# ---------------------------------------------------------------- inputs

def _named_results(results, field):
    """(name, result) of each result of a registered loop that ran: the name is ``field`` or the loop's item."""
    for result in results or []:
        if not _is_mapping(result) or result.get('skipped'):
            continue
        name = result.get(field) or result.get('item')
        if isinstance(name, str) and name:
            yield name, result


def collect_users(results):
    """ram_access_key_info results -> [{user_name, exists, error, access_keys}].

    Each key is ``{access_key_id, status, create_date, last_used_date, last_used_read}``: ``last_used_read`` is false
    when the result has no ``last_used_date`` (ram_access_key_info without ``include_last_used``), so that a last use
    that was not read is never taken for "never used".

    Either its ``users`` (user_names form; a failed user carries ``error``) or a registered loop's ``results``
    (a failed item carries ``failed``).
    """
    users = {}
    for name, result in _named_results(results, 'user_name'):
        failed = bool(result.get('failed') or result.get('error'))
        keys = []
        for key in result.get('access_keys') or []:
            if _is_mapping(key) and key.get('access_key_id'):
                # last_used_read: the result carries last_used_date at all (include_last_used), null meaning never
                keys.append({'access_key_id': _text(key['access_key_id']), 'status': _text(key.get('status')),
                             'create_date': _text(key.get('create_date')),
                             'last_used_date': _text(key.get('last_used_date')),
                             'last_used_read': 'last_used_date' in key})
        users[name] = {
            'user_name': name,
            'exists': (not failed) and result.get('user_exists', True) is not False,
            'error': (_error_code(result) or _text(result.get('msg')) or _error_message(result) or 'failed') if failed else None,
            'access_keys': keys,
        }
    return [users[name] for name in sorted(users)]


def _file_of(item):
    """The (declared user, file spec) of a loop item: a (credential entry, file spec) pair, or {user, file}."""
    if isinstance(item, (list, tuple)) and len(item) == 2 and _is_mapping(item[0]) and _is_mapping(item[1]):
        return item[0].get('user'), item[1]
    if _is_mapping(item) and _is_mapping(item.get('file')):
        return item.get('user'), item['file']
    return None, {}


def collect_host_reads(host_reads):
    """Per-host credential_file_info loops -> {held, hosts_read, unreachable, unreadable}.

    ``host_reads`` is ``[{host, result}]`` where ``result`` is the registered loop of the host (it may be
    unreachable as a whole, or item by item).  ``held`` is ``[{host, user_name, access_key_id, format, path,
    profile}]`` for every profile found; an unreachable host lists the users it declares, so an orphan
    finding can say that it may hold the key.
    """
    held, hosts_read, unreachable, unreadable = [], [], [], []
    for entry in host_reads or []:
        if not _is_mapping(entry) or not entry.get('host'):
            continue
        host = _text(entry['host'])
        result = entry.get('result') if _is_mapping(entry.get('result')) else {}
        items = [item for item in result.get('results') or [] if _is_mapping(item)]
        if not items and not result.get('unreachable'):
            continue
        declared = sorted({user for user, _spec in (_file_of(item.get('item')) for item in items) if user})
        if result.get('unreachable') or (items and any(item.get('unreachable') for item in items)):
            # A loop's own msg is only 'All items completed': the items say why.
            message = next((item.get('msg') for item in items if item.get('unreachable') and item.get('msg')), None)
            message = message or result.get('msg')
            unreachable.append({'host': host, 'message': _text(message) or 'unreachable', 'declared_users': declared})
            continue
        hosts_read.append(host)
        for item in items:
            if item.get('skipped'):
                continue
            user, spec = _file_of(item.get('item'))
            path = _text(item.get('path') or spec.get('path'))
            file_format = _text(item.get('format') or spec.get('format'))
            if item.get('failed'):
                unreadable.append({'host': host, 'user_name': _text(user), 'format': file_format, 'path': path,
                                   'message': _text(item.get('msg')) or 'failed'})
            elif item.get('exists') and item.get('access_key_id'):
                held.append({'host': host, 'user_name': _text(user), 'access_key_id': _text(item['access_key_id']),
                             'format': file_format, 'path': path, 'profile': _text(item.get('profile'))})
    return {'held': held, 'hosts_read': sorted(set(hosts_read)), 'unreachable': unreachable, 'unreadable': unreadable}


def collect_identities(results):
    """sts_caller_info results for held key pairs (a loop over key ids) -> {access_key_id: identity}."""
    identities = {}
    for key_id, result in _named_results(results, 'access_key_id'):
        if result.get('failed'):
            identities[key_id] = {'identity_type': None, 'arn': None, 'is_root': False,
                                  'error': _error_code(result) or _text(result.get('msg')) or 'failed'}
        else:
            identity = {'identity_type': _text(result.get('identity_type')), 'arn': _text(result.get('arn'))}
            identity.update(is_root=bool(result.get('is_root')) or is_root_identity(identity), error=None)
            identities[key_id] = identity
    return identities


def collect_controller_identity(result):
    """The controller's own sts_caller_info result -> {identity_type, arn, is_root} (None when not given)."""
    if not _is_mapping(result) or not result or result.get('skipped'):
        return None
    identity = {'identity_type': _text(result.get('identity_type')), 'arn': _text(result.get('arn'))}
    identity['is_root'] = bool(result.get('is_root')) or is_root_identity(identity)
    return identity


# ---------------------------------------------------------------- decision

def unknown_held_key_ids(users, held):
    """Key ids held on hosts that RAM does not list for any audited user: the ones to identify with STS."""
    known = {key['access_key_id'] for user in users for key in user['access_keys']}
    return sorted({entry['access_key_id'] for entry in held} - known)


def _finding(kind, message, user_name=None, access_key_id=None, hosts=()):
    severity, title = FINDING_KINDS[kind]
    return {'kind': kind, 'severity': severity, 'title': title, 'message': message, 'user_name': user_name,
            'access_key_id': access_key_id, 'hosts': sorted(set(hosts))}


def _held_by(held, key_id):
    return [{name: entry[name] for name in ('host', 'user_name', 'format', 'path', 'profile')}
            for entry in held if entry['access_key_id'] == key_id]


def build_report(users, reads, identities, policy, now, controller_identity=None, held_keys_proven=False):
    """The audit: keys table, keys of no audited user, findings, summary. Pure.

    ``users`` as from collect_users, ``reads`` as from collect_host_reads, ``identities`` as from
    collect_identities (the keys of unknown_held_key_ids), ``controller_identity`` as from
    collect_controller_identity.  ``held_keys_proven``: whether STS was asked about the key pairs of
    unknown_held_key_ids (``identities``); when not, such a key without an identity is "not identified", with how to
    identify it, rather than "not verified".

    ``policy`` is ``{max_age_days, inactive_grace_days, unused_days}``; a key is too old when more than
    ``max_age_days`` have passed since its creation (0 turns the check off); ``inactive_grace_days`` 0 reports every
    inactive key.  RAM records no deactivation date, so an inactive key's grace runs from its last use (or its
    creation when it was never used): the last moment it is known to have been in service.  An Active key is unused
    when more than ``unused_days`` have passed since its last use, or, never used, since its creation: a key created
    yesterday has not been unused for 90 days (0 turns the check off; a missing ``unused_days`` too).
    """
    held, unreachable, unreadable = reads['held'], reads['unreachable'], reads['unreadable']
    policy = {'max_age_days': int(policy.get('max_age_days') or 0), 'inactive_grace_days': int(policy.get('inactive_grace_days') or 0),
              'unused_days': int(policy.get('unused_days') or 0)}
    unreachable_by_user = {}
    for host in unreachable:
        for user_name in host.get('declared_users') or []:
            unreachable_by_user.setdefault(user_name, []).append(host['host'])

    findings, keys = [], []
    for user in users:
        findings.extend(_user_findings(user))
        for key in user['access_keys'] if user['exists'] else ():
            row = _key_row(key, user['user_name'], held, now)
            checked = (check(row, policy, now, unreachable_by_user.get(row['user_name'])) for check in _KEY_CHECKS)
            row_findings = [finding for finding in checked if finding]
            findings.extend(row_findings)
            row['findings'] = [finding['kind'] for finding in row_findings]
            keys.append(row)

    other_keys = []
    for key_id in unknown_held_key_ids(users, held):
        identity = identities.get(key_id) or {}
        row = _other_key_row(key_id, held, identity, held_keys_proven)
        finding = _other_key_finding(row, identity, held_keys_proven)
        if finding:
            findings.append(finding)
        other_keys.append(row)
    findings.extend(_access_findings(controller_identity, unreachable, unreadable))

    findings.sort(key=lambda f: (SEVERITY_ORDER.index(f['severity']), f['kind'], f['user_name'] or '',
                                 f['access_key_id'] or '', f['hosts']))
    return {
        'schema_version': REPORT_SCHEMA_VERSION,
        'generated_at': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'policy': policy,
        'controller_identity': controller_identity,
        'summary': _summary(users, keys, other_keys, reads, findings),
        'keys': sorted(keys, key=lambda k: (k['user_name'], k['create_date'] or '', k['access_key_id'])),
        'other_keys': other_keys,
        'hosts_read': list(reads['hosts_read']),
        'unreachable_hosts': [dict(host) for host in unreachable],
        'unreadable_files': [dict(entry) for entry in unreadable],
        'findings': findings,
    }


def _user_findings(user):
    name = user['user_name']
    if not user['exists']:
        reason = user.get('error')
        return [_finding('user_missing', 'RAM user %s %s.' % (
            name, 'could not be read (%s)' % reason if reason else 'does not exist'), user_name=name)]
    if len(user['access_keys']) >= KEY_LIMIT:
        return [_finding('user_at_key_limit', 'RAM user %s has %d AccessKeys, the limit: a rotation cannot create a new '
                         'key before one is deleted.' % (name, len(user['access_keys'])), user_name=name)]
    return []


def _key_row(key, user_name, held, now):
    holders = _held_by(held, key['access_key_id'])
    return dict(key, user_name=user_name, age_days=age_days(key['create_date'], now),
                last_used_read=key.get('last_used_read', True),
                hosts=sorted({entry['host'] for entry in holders}), held_by=holders, findings=[])


# ---------------------------------------------------------------- the checks of one key of an audited user, in report order
# check(row, policy, now, unreachable hosts that declare the key's user) -> finding or None

def _orphan_key(row, policy, now, unreachable_declaring):
    if row['status'] != ACTIVE or row['hosts']:
        return None
    note = ' (not confirmed: %s declares the user but could not be reached)' % ', '.join(unreachable_declaring) if unreachable_declaring else ''
    return _finding('orphan_key', 'Active key %s of %s is held by no host%s.' % (row['access_key_id'], row['user_name'], note),
                    row['user_name'], row['access_key_id'])


def _key_too_old(row, policy, now, unreachable_declaring):
    max_age = policy['max_age_days']
    if row['status'] != ACTIVE or not max_age or not is_older_than(row, max_age, now):
        return None
    return _finding('key_too_old', 'Active key %s of %s is %d days old (policy: %d days).'
                    % (row['access_key_id'], row['user_name'], row['age_days'], max_age),
                    row['user_name'], row['access_key_id'], row['hosts'])


def _unused_key(row, policy, now, unreachable_declaring):
    """An Active key with no use in the last ``unused_days`` days: its last use, or (never used) its creation, is older.

    A key whose last use was not read is never judged (unknown is not "never")."""
    unused_days = policy['unused_days']
    if row['status'] != ACTIVE or not unused_days or not row['last_used_read']:
        return None
    since_date = row['last_used_date'] or row['create_date']
    if not is_older_than({'create_date': since_date}, unused_days, now):
        return None
    if row['last_used_date']:
        what = 'was last used %d days ago (%s)' % (age_days(since_date, now), row['last_used_date'])
    else:
        what = 'has never been used in the %d days since it was created' % age_days(since_date, now)
    return _finding('unused_key', 'Active key %s of %s %s (policy: unused for at most %d days). Last use as reported by %s; '
                    '%s.' % (row['access_key_id'], row['user_name'], what, unused_days, LAST_USED_SOURCE, LAST_USED_LAG_NOTE),
                    row['user_name'], row['access_key_id'], row['hosts'])


def _inactive_past_grace(row, policy, now, unreachable_declaring):
    grace = policy['inactive_grace_days']
    since_date = row['last_used_date'] or row['create_date']
    if row['status'] != INACTIVE or not is_older_than({'create_date': since_date}, grace, now):
        return None
    since = 'last used' if row['last_used_date'] else 'created, never used,'
    return _finding('inactive_past_grace', 'Inactive key %s of %s was %s %d days ago (grace: %d days): delete it.'
                    % (row['access_key_id'], row['user_name'], since, age_days(since_date, now), grace),
                    row['user_name'], row['access_key_id'], row['hosts'])


def _stale_key_on_host(row, policy, now, unreachable_declaring):
    if row['status'] != INACTIVE or not row['hosts']:
        return None
    return _finding('stale_key_on_host', 'Inactive key %s of %s is still deployed on %s.'
                    % (row['access_key_id'], row['user_name'], ', '.join(row['hosts'])),
                    row['user_name'], row['access_key_id'], row['hosts'])


_KEY_CHECKS = (_orphan_key, _unused_key, _key_too_old, _inactive_past_grace, _stale_key_on_host)

# Why a key of no audited user has no identity, by whether STS was asked (held_keys_proven).
NOT_IDENTIFIED = 'not identified (STS not asked)'
NOT_VERIFIED = 'not verified (no secret read)'


def _other_key_row(key_id, held, identity, held_keys_proven=False):
    """A key held on hosts that no audited user lists, with what STS said about it ({} when it was not asked)."""
    holders = _held_by(held, key_id)
    return {'access_key_id': key_id, 'identity_type': identity.get('identity_type'), 'arn': identity.get('arn'),
            'error': identity.get('error') if identity else (NOT_VERIFIED if held_keys_proven else NOT_IDENTIFIED),
            'hosts': sorted({entry['host'] for entry in holders}), 'held_by': holders}


def _other_key_finding(row, identity, held_keys_proven=False):
    key_id, hosts = row['access_key_id'], row['hosts']
    if identity.get('is_root'):
        return _finding('root_key_in_use', 'The account root AccessKey %s is deployed on %s.'
                        % (key_id, ', '.join(hosts)), access_key_id=key_id, hosts=hosts)
    if identity.get('error'):
        return _finding('stale_key_on_host', 'Key %s on %s does not authenticate (%s).'
                        % (key_id, ', '.join(hosts), identity['error']), access_key_id=key_id, hosts=hosts)
    if not identity and held_keys_proven:
        return _finding('key_not_verified', 'Key %s on %s belongs to no audited user and was not verified: its secret could '
                        'not be read to ask STS whose key it is.' % (key_id, ', '.join(hosts)), access_key_id=key_id, hosts=hosts)
    if not identity:
        return _finding('key_not_verified', 'Key %s on %s belongs to no audited user and was not identified: it may be '
                        "another RAM user's key, a deleted key or an account root key. STS was not asked, because a call "
                        'signed with the key counts as a use of it. To identify it, audit its user (audit_users), or run '
                        'the audit with audit_prove_held_keys=true, which asks STS GetCallerIdentity with the key pair '
                        'and so records a use of the key.' % (key_id, ', '.join(hosts)), access_key_id=key_id, hosts=hosts)
    return None


def _access_findings(controller_identity, unreachable, unreadable):
    """Findings about how the audit itself got in: the controller's identity, hosts and files it could not read."""
    findings = []
    if controller_identity and controller_identity.get('is_root'):
        findings.append(_finding('root_key_in_use', 'The controller calls RAM with the account root AccessKey (%s).'
                                 % (controller_identity.get('arn') or 'identity type Account'), hosts=['localhost']))
    for host in unreachable:
        findings.append(_finding('host_unreachable', 'Host %s could not be reached: %s' % (host['host'], host['message']),
                                 hosts=[host['host']]))
    for entry in unreadable:
        findings.append(_finding('file_unreadable', 'File %s on %s could not be read: %s'
                                 % (entry['path'] or entry['format'], entry['host'], entry['message']),
                                 user_name=entry['user_name'], hosts=[entry['host']]))
    return findings


def _summary(users, keys, other_keys, reads, findings):
    return {
        'users': len(users),
        'keys': len(keys),
        'active_keys': sum(1 for key in keys if key['status'] == ACTIVE),
        'unused_keys': sum(1 for key in keys if 'unused_key' in key['findings']),
        'other_keys': len(other_keys),
        'hosts_read': len(reads['hosts_read']),
        'hosts_unreachable': len(reads['unreachable']),
        'findings': len(findings),
        'findings_by_severity': dict((severity, sum(1 for f in findings if f['severity'] == severity))
                                     for severity in SEVERITY_ORDER),
        'findings_by_kind': dict((kind, sum(1 for f in findings if f['kind'] == kind))
                                 for kind in sorted({f['kind'] for f in findings})),
    }
