# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end-of-run summary of provision, rotate and revoke: what changed for users, keys and hosts, and what a failed
or unreachable host means for the keys. Key ids and paths only, never a secret.

A pure function of registered results and host variables: the role prints its ``lines`` and exports the rest with
``ansible.builtin.set_stats`` (AWX job artifacts).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.aliyun.ram.plugins.filter.declarations import host_declarations
from ansible_collections.aliyun.ram.plugins.filter.lifecycle import _keys as access_keys_of

KINDS = ('provision', 'rotate', 'revoke', 'reconcile', 'deploy')


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def _host_vars(hostvars, host):
    return _mapping(_mapping(hostvars).get(host))


def _words(items, empty='none'):
    items = list(items)
    return ', '.join(str(item) for item in items) if items else empty


def _host_state(hosts_state, host):
    return _mapping(_mapping(hosts_state).get(host))


def _host_users(hosts_state, hostvars, host):
    """The users of a host: as the role merged its declarations, else (a host lost before that) from its variables."""
    names = _host_state(hosts_state, host).get('user_names')
    if names is None:
        names = [entry.get('user') for entry in host_declarations(hostvars, host)['credentials'] if isinstance(entry, Mapping)]
    return sorted(set(name for name in names or [] if name))


def _lost_stage(state, host_vars):
    """How far a host that failed (or was unreachable) got, from what the role recorded of it on the way."""
    if 'read' not in state:
        return 'not reached: unreachable, or failed before its files were read'
    changed, write = _written(host_vars)
    if write is None or (not changed and (_mapping(write).get('failed') or _mapping(write).get('unreachable'))):
        return 'failed before its files were written'
    return 'failed after some of its files were written'


def _written(host_vars):
    """(paths that changed, the write or None) of one host: the provision role's one write of all its files (the
    registered ``provision_written``, whose ``results`` say per file whether it changed) or what the credentials role
    recorded (``credentials_changed_paths`` / ``credentials_unchanged_paths``)."""
    changed = list(host_vars.get('credentials_changed_paths') or [])
    write = None
    if 'credentials_changed_paths' in host_vars or 'credentials_unchanged_paths' in host_vars:
        write = {}
    written = host_vars.get('provision_written')
    if isinstance(written, Mapping) and not written.get('skipped'):
        write = written
        for result in written.get('results') or []:
            if isinstance(result, Mapping) and result.get('changed'):
                changed.extend(result.get('paths') or [])
    return list(dict.fromkeys(changed)), write


def _users_part(users_result, user_names):
    entries = [entry for entry in _mapping(users_result).get('users') or [] if isinstance(entry, Mapping)]
    created = [entry['name'] for entry in entries if entry.get('created')]
    deleted = [entry['name'] for entry in entries if entry.get('deleted')]
    updated = [entry['name'] for entry in entries
               if entry.get('changed') and not entry.get('created') and not entry.get('deleted')]
    listed = set(created + deleted + updated)
    return {
        'users_created': created,
        'users_updated': updated,
        'users_deleted': deleted,
        'users_unchanged': len([name for name in dict.fromkeys(user_names or []) if name not in listed]),
    }


def _keys_part(keys_result):
    keys = access_keys_of(keys_result)
    created, kept, rotated, deleted, failed, decisions = {}, {}, {}, [], {}, {}
    for user, entry in keys.items():
        entry = _mapping(entry)
        if _mapping(entry.get('rotation')).get('decision'):
            decisions[user] = dict((name, entry['rotation'].get(name)) for name in ('decision', 'message'))
        deleted.extend(entry.get('deleted_access_key_ids') or [])
        if entry.get('error'):
            failed[user] = _mapping(entry['error']).get('code') or _mapping(entry['error']).get('message') or 'failed'
        elif entry.get('created'):
            created[user] = entry.get('access_key_id')
            if entry.get('rotated_from'):
                rotated[user] = {'from': entry['rotated_from'], 'to': entry.get('access_key_id')}
        elif entry.get('access_key_id'):
            kept[user] = entry['access_key_id']
    return {'keys_created': created, 'keys_kept': kept, 'keys_rotated': rotated, 'keys_deleted': deleted,
            'keys_failed': failed, 'rotation_decisions': decisions}


def _withdrawn(results):
    """``{user: key id}`` of the new keys that the role deleted again because no host received them (the results of
    its deletion loop, each ``item`` a ``{user, access_key_id}``)."""
    withdrawn = {}
    for result in results or []:
        item = _mapping(_mapping(result).get('item'))
        if item.get('user') and not result.get('failed') and not result.get('skipped'):
            withdrawn[item['user']] = item.get('access_key_id')
    return withdrawn


def run_summary(hostvars, kind, all_hosts, play_hosts, users=None, keys=None, rotation=None, revocation=None,
                user_names=None, check_mode=False, hosts=None, withdrawn=None):
    """``{playbook, check_mode, users_*, keys_*, hosts_*, consequences, lines}`` for one run of ``kind``.

    ``users`` is the registered ram_users result, ``keys`` the registered ram_access_keys result of the reconcile,
    ``rotation`` the rotation_report and ``revocation`` the revocation_report (each when the run has one);
    ``user_names`` every user the run ensured, to count the unchanged ones; ``hosts`` the role's ``provision_hosts``
    (each host's users, and whether its files were read); ``withdrawn`` the results of the deletion of new keys that no
    host received. Per host, the role's write (``provision_written``) or the
    credentials role's ``credentials_changed_paths`` / ``credentials_unchanged_paths`` say which files changed; a host of ``all_hosts``
    that is not in ``play_hosts`` failed or was unreachable, and its users' keys are named in ``consequences``.
    """
    if kind not in KINDS:
        raise ValueError('run_summary: kind must be one of %s, not %r' % (', '.join(KINDS), kind))
    play = set(play_hosts or [])
    summary = {'playbook': kind, 'check_mode': bool(check_mode)}
    summary.update(_users_part(users, user_names))
    summary.update(_keys_part(keys))
    summary['keys_withdrawn'] = _withdrawn(withdrawn)
    for user in summary['keys_withdrawn']:
        summary['keys_created'].pop(user, None)
    rotation, revocation = _mapping(rotation), _mapping(revocation)
    summary['keys_deactivated'] = list(rotation.get('deactivated') or [])
    deleted = summary['keys_deleted'] + list(rotation.get('deleted') or []) + list(revocation.get('deleted') or [])
    summary['keys_deleted'] = list(dict.fromkeys(deleted))
    summary['keys_pending_deletion'] = list(rotation.get('pending_deletion') or [])
    summary['keys_kept_in_use_elsewhere'] = dict(_mapping(revocation.get('kept_in_use_elsewhere')))
    if revocation:
        summary['users_deleted'] = list(dict.fromkeys(summary['users_deleted'] + list(revocation.get('users_to_delete') or [])))

    changed, unchanged, lost = {}, [], {}
    for host in all_hosts or []:
        host_vars = _host_vars(hostvars, host)
        if host not in play:
            lost[host] = _lost_stage(_host_state(hosts, host), host_vars)
        paths = _written(host_vars)[0]
        if paths:
            changed[host] = paths
        elif host in play:
            unchanged.append(host)
    summary['hosts_changed'] = changed
    summary['hosts_unchanged'] = unchanged
    summary['hosts_failed'] = lost
    summary['consequences'] = _consequences(kind, hosts, hostvars, lost, rotation)
    summary['lines'] = _lines(summary)
    return summary


def _consequences(kind, hosts_state, hostvars, lost, rotation):
    notes = []
    for host, stage in lost.items():
        users = _host_users(hosts_state, hostvars, host)
        if kind == 'revoke':
            notes.append('%s (%s): its files still hold the keys of %s; run again with --limit %s to remove them'
                         % (host, stage, _words(users, 'no user'), host))
        else:
            notes.append('%s (%s): the current keys of %s may not be on it; run again with --limit %s to finish'
                         % (host, stage, _words(users, 'no user'), host))
    for user in rotation.get('not_retired') or []:
        holders = [host for host in lost if user in _host_users(hosts_state, hostvars, host)]
        notes.append('old key of %s kept Active because %s %s not reached; rotate again once %s'
                     % (user, _words(holders, 'a host outside this run'), 'were' if len(holders) > 1 else 'was',
                        'they are back' if len(holders) > 1 else 'it is back'))
    for key_id in rotation.get('still_held') or []:
        notes.append('%s left Active: a host still holds it' % key_id)
    return notes


def _lines(summary):
    """One line per non-empty category (files and failed hosts always), each a sentence a person reads."""
    dry = summary['check_mode']

    def did(text):
        return ('that would be ' if dry else '') + text

    title = {'provision': 'Provision', 'rotate': 'Rotation', 'revoke': 'Revocation', 'reconcile': 'Reconcile',
             'deploy': 'Deploy'}[summary['playbook']]
    lines = ['%s summary%s' % (title, ' (check mode: nothing was changed; this is what a real run would do)' if dry else '')]

    def pairs(mapping):
        return ['%s %s' % (user, key_id or '(new key)') for user, key_id in mapping.items()]

    categories = [
        ('Users ' + did('created'), summary['users_created']),
        ('Users ' + did('updated'), summary['users_updated']),
        ('Users ' + did('deleted'), summary['users_deleted']),
        ('AccessKeys ' + did('created'), pairs(summary['keys_created'])),
        ('AccessKeys ' + did('replaced'), ['%s %s -> %s' % (user, pair['from'], pair['to'] or '(new key)')
                                           for user, pair in summary['keys_rotated'].items()]),
        ('AccessKeys created and deleted again, as no host received them', pairs(summary['keys_withdrawn'])),
        ('AccessKeys kept', pairs(summary['keys_kept'])),
        ('AccessKeys ' + did('deactivated'), summary['keys_deactivated']),
        ('AccessKeys kept Inactive until their grace period ends', summary['keys_pending_deletion']),
        ('AccessKeys ' + did('deleted'), summary['keys_deleted']),
        ('AccessKeys left alone because hosts outside this run hold them',
         ['%s (%s)' % (key_id, _words(hosts if isinstance(hosts, list) else [hosts]))
          for key_id, hosts in summary['keys_kept_in_use_elsewhere'].items()]),
        ('AccessKeys that failed', ['%s (%s)' % item for item in summary['keys_failed'].items()]),
    ]
    lines.extend('%s: %s' % (label, _words(items)) for label, items in categories if items)
    lines.extend('Rotation of %s: %s%s' % (user, entry['decision'], ' (%s)' % entry['message'] if entry.get('message') else '')
                 for user, entry in summary['rotation_decisions'].items())
    if summary['users_unchanged']:
        lines.append('Users unchanged: %d' % summary['users_unchanged'])
    if summary['playbook'] == 'reconcile':   # contacts no host: the deploy's summary says what the files got
        lines.append('Hosts failed: %s' % _words(summary['hosts_failed']))
        return lines
    lines.append('Files %s: %s' % ('that would change' if dry else 'changed', _words(
        '%s (%s)' % (host, ', '.join(paths)) for host, paths in summary['hosts_changed'].items())))
    if summary['hosts_unchanged']:
        lines.append('Hosts with nothing %s: %s' % ('to change' if dry else 'changed', _words(summary['hosts_unchanged'])))
    lines.append('Hosts failed or unreachable: %s' % _words(summary['hosts_failed']))
    lines.extend(summary['consequences'])
    return lines


class FilterModule:
    def filters(self):
        return {'run_summary': run_summary}
