# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that turn what the provision role reads from hosts into inputs of the controller-side modules."""

from __future__ import annotations

from collections.abc import Mapping


def held_credentials(results, host=None):
    """Keys found by aliyun.ram.credential_file_info in a loop, as [{user_name, access_key_id, access_key_secret, host}].

    Skipped, failed and unreachable items, and files without the profile, are left out. Each loop item is either
    a (credential entry, file spec) pair of provision_credentials or a dict with host, user and file keys (reads
    delegated to hosts outside the play).
    """
    held = []
    seen = set()
    for result in results or []:
        if not isinstance(result, Mapping):
            continue
        if result.get('skipped') or result.get('failed') or result.get('unreachable') or not result.get('exists'):
            continue
        if not result.get('access_key_id'):
            continue
        item = result.get('item')
        if isinstance(item, Mapping):
            user_name, holder = item.get('user'), item.get('host', host)
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], Mapping):
            user_name, holder = item[0].get('user'), host
        else:
            continue
        if not user_name:
            continue
        entry = {
            'user_name': user_name,
            'access_key_id': result['access_key_id'],
            'access_key_secret': result.get('access_key_secret'),
            'host': holder,
        }
        identity = (entry['user_name'], entry['access_key_id'], entry['access_key_secret'], entry['host'])
        if identity not in seen:
            seen.add(identity)
            held.append(entry)
    return held


def outside_credential_files(hostvars, hosts, user_names):
    """The built-in-format file specs, on the given hosts, of credential entries that use one of user_names.

    Returns [{host, user, file}] for aliyun.ram.credential_file_info delegated to each host.
    """
    wanted = set(user_names or [])
    found = []
    for host in hosts or []:
        host_vars = hostvars.get(host) if isinstance(hostvars, Mapping) else None
        if not host_vars:
            continue
        for entry in host_vars.get('provision_credentials') or []:
            if not isinstance(entry, Mapping) or entry.get('user') not in wanted:
                continue
            for file_spec in entry.get('files') or []:
                if isinstance(file_spec, Mapping) and file_spec.get('format'):
                    found.append({'host': host, 'user': entry['user'], 'file': dict(file_spec)})
    return found


class FilterModule:
    def filters(self):
        return {
            'held_credentials': held_credentials,
            'outside_credential_files': outside_credential_files,
        }
