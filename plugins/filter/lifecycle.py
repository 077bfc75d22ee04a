# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for the rotation and revocation steps of the provision role: who holds what after a deploy, which users
may be retired, and the reports of a rotation and of a revocation (key ids only, never a secret).

Each is a pure function of registered results and host variables, so the role's task files stay a list of steps.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.aliyun.ram.plugins.filter.declarations import host_declarations
from ansible_collections.aliyun.ram.plugins.filter.provision import held_credentials


def _keys(result):
    """The per-user entries of a registered ram_access_keys result ({} when it was skipped or failed early)."""
    keys = result.get('access_keys') if isinstance(result, Mapping) else None
    return keys if isinstance(keys, Mapping) else {}


def _flat(entries, name):
    return [key_id for entry in entries for key_id in (entry.get(name) or [])]


def _state(hosts_state, host, name):
    entry = hosts_state.get(host) if isinstance(hosts_state, Mapping) else None
    return (entry.get(name) if isinstance(entry, Mapping) else None) or []


def _host_credentials(hosts_state, hostvars, host):
    """A host's merged credential entries: from the role's ``provision_hosts``, or, for a host lost before the role
    merged its declarations, the merge of its variables."""
    entry = hosts_state.get(host) if isinstance(hosts_state, Mapping) else None
    if isinstance(entry, Mapping) and 'credentials' in entry:
        return entry.get('credentials') or []
    return host_declarations(hostvars, host)['credentials']


def _read_back(hostvars, host, registered_as):
    host_vars = hostvars.get(host) if isinstance(hostvars, Mapping) else None
    registered = host_vars.get(registered_as) if isinstance(host_vars, Mapping) else None
    return held_credentials(registered.get('results') if isinstance(registered, Mapping) else None, host)


def retirement_inputs(hosts_state, hostvars, all_hosts, play_hosts, outside_results, rotating_users,
                      registered_as='provision_readback'):
    """After the deploy of a rotation: ``{held, unconfirmed_users, retiring_users}``.

    ``held`` is what every host holds now: the hosts of the play as read back (their credential_file_info results,
    registered as the host variable ``registered_as``), the hosts that failed or became unreachable in this run as
    read before the deploy (``held`` in ``hosts_state``, the role's ``provision_hosts``: they count as still holding
    their old key), and the hosts outside the play as read by delegation (``outside_results``).
    ``unconfirmed_users`` are the users of those lost hosts and of outside files that could not be read: their old
    key stays Active. ``retiring_users`` are the ``rotating_users`` that are not unconfirmed, in their order.
    """
    play = set(play_hosts or [])
    lost = [host for host in all_hosts or [] if host not in play]
    held = [entry for host in play_hosts or [] for entry in _read_back(hostvars, host, registered_as)]
    held += [entry for host in lost for entry in _state(hosts_state, host, 'held')]
    held += held_credentials(outside_results)
    unconfirmed = set()
    for host in lost:
        unconfirmed.update(entry['user'] for entry in _host_credentials(hosts_state, hostvars, host)
                           if isinstance(entry, Mapping) and entry.get('user'))
    for result in outside_results or []:
        if isinstance(result, Mapping) and not result.get('skipped') and 'exists' not in result:
            item = result.get('item')
            if isinstance(item, Mapping) and item.get('user'):
                unconfirmed.add(item['user'])
    return {
        'held': held,
        'unconfirmed_users': sorted(unconfirmed),
        'retiring_users': [user for user in rotating_users or [] if user not in unconfirmed],
    }


def rotation_report(keys_result, retired_result, rotating_users, unconfirmed_users, check_mode=False):
    """What a rotation did (would do, in check mode), by key id, with its ``message``.

    ``keys_result`` is the registered ram_access_keys result of operation reconcile with ``rotate_users``,
    ``retired_result`` the one of operation retire (skipped when no user could be retired).
    """
    keys = _keys(keys_result)
    retired = list(_keys(retired_result).values())
    created = [(user, entry) for user, entry in keys.items() if entry.get('created')]
    unconfirmed = set(unconfirmed_users or [])
    report = {
        'check_mode': bool(check_mode),
        'decisions': dict((user, ((keys.get(user) or {}).get('rotation') or {}).get('decision', 'none'))
                          for user in rotating_users or []),
        'created_for': [user for user, dummy in created],
        'created': [entry['access_key_id'] for dummy, entry in created if entry.get('access_key_id')],
        'deactivated': _flat(retired, 'deactivated_access_key_ids') + (
            [entry['rotated_from'] for dummy, entry in created if entry.get('rotated_from')] if check_mode else []),
        'deleted': _flat(keys.values(), 'deleted_access_key_ids') + _flat(retired, 'deleted_access_key_ids'),
        'pending_deletion': _flat(retired, 'pending_access_key_ids'),
        'still_held': _flat(retired, 'still_held_access_key_ids'),
        'not_retired': [user for user in rotating_users or [] if user in unconfirmed],
    }
    report['message'] = (
        '%s new keys for %s %s; %s %s; %s %s; kept Inactive for rollback until their grace period ends: %s; left Active '
        'because a host still holds them: %s; not retired because some of their hosts were not reached: %s; '
        'decisions: %s' % ('Would create' if check_mode else 'Created', report['created_for'], report['created'],
                           'would deactivate (once deployed)' if check_mode else 'deactivated', report['deactivated'],
                           'would delete' if check_mode else 'deleted', report['deleted'], report['pending_deletion'],
                           report['still_held'], report['not_retired'], report['decisions']))
    return report


def revocation_report(revoked_result, delete_users=False, check_mode=False):
    """What a revocation did (would do, in check mode), by key id, with its ``message``, and the ram_users specs of
    the users to delete: those that exist and have no key kept because a host outside the run holds it."""
    keys = _keys(revoked_result)
    holders = {}
    for entry in keys.values():
        if isinstance(entry.get('holders'), Mapping):
            holders.update(entry['holders'])
    users_to_delete = [user for user, entry in keys.items()
                       if entry.get('user_exists') and not entry.get('kept_access_key_ids')] if delete_users else []
    report = {
        'check_mode': bool(check_mode),
        'deleted': _flat(keys.values(), 'deleted_access_key_ids'),
        'kept_in_use_elsewhere': holders,
        'users_to_delete': users_to_delete,
    }
    report['user_specs_to_delete'] = [{'name': user, 'state': 'absent', 'force': True} for user in report['users_to_delete']]
    report['message'] = (
        '%s AccessKeys %s; left alone because hosts outside this run hold them (provision_revoke_force deletes them '
        'too): %s; users %s: %s' % ('Would delete' if check_mode else 'Deleted', report['deleted'],
                                    report['kept_in_use_elsewhere'], 'that would be deleted' if check_mode else 'deleted',
                                    report['users_to_delete']))
    return report


class FilterModule:
    def filters(self):
        return {
            'retirement_inputs': retirement_inputs,
            'rotation_report': rotation_report,
            'revocation_report': revocation_report,
        }
