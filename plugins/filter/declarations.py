# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One host's provision declarations, merged from every variable that carries a part of them.

Ansible replaces a list variable by the one of higher precedence: a host in two groups that both set
``provision_credentials`` keeps only one group's list. So the declarations may also be spread over variables named
``provision_credentials__<suffix>`` and ``provision_users__<suffix>`` (as community.general's merge_variables does):
the plain variable comes first, then the suffixed ones in sorted order of the suffix, concatenated.

Identical declarations from two variables are one (two groups may declare the same shared user). Two different
declarations of one user name, and two declarations of one file (one profile of it) for different users, are
problems: each message names the host, the user or file and both variables, never a secret.

Every reader of the declarations uses this function - the provision role (through ``provision_play_plan``, which
merges every host's declarations into the fact ``provision_hosts``), the reads of hosts outside the play, and the
audit playbook - so each sees the same merged view.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

CREDENTIALS = 'provision_credentials'
USERS = 'provision_users'
_SEPARATOR = '__'


def declaration_variables(variables, base):
    """The names of ``variables`` that carry ``base`` declarations: ``base`` (when set) first, then every
    ``base__<suffix>`` in sorted order of the suffix."""
    prefix = base + _SEPARATOR
    names = [name for name in variables if isinstance(name, str) and name.startswith(prefix) and len(name) > len(prefix)]
    return ([base] if base in variables else []) + sorted(names)


def _entries(variables, base, host, problems):
    """[(variable name, entry)] of every ``base`` variable, in merge order; a value that is not a list is a problem."""
    found = []
    for name in declaration_variables(variables, base):
        value = variables.get(name)
        if value is None or value == '':
            continue
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, '__iter__'):
            problems.append('host %s: %s must be a list, not %s' % (host, name, type(value).__name__))
            continue
        found.extend((name, entry) for entry in value)
    return found


def _holder(entry):
    """Who an entry's files are for: ('user', name), ('key', access key id), or None when it names neither."""
    if entry.get('user'):
        return ('user', entry['user'])
    if entry.get('access_key_id'):
        return ('key', entry['access_key_id'])
    return None


def _holder_text(holder):
    return 'user %s' % holder[1] if holder[0] == 'user' else 'the explicit key %s' % holder[1]


def file_identity(file_spec):
    """(key, description) of the file (and profile) a file spec writes, or None when it names no file.

    A built-in format's file is its path as given, or its default path for the owner (the connection user's when no
    owner is given), and the profile in it (``default`` when none is given; the bucket for ossfs). A template's file is
    its ``dest``.
    """
    if not isinstance(file_spec, Mapping):
        return None
    if file_spec.get('template') or (file_spec.get('dest') and not file_spec.get('format')):
        dest = file_spec.get('dest')
        return (('template', dest), 'templated file %s' % dest) if dest else None
    fmt = file_spec.get('format')
    if not fmt:
        return None
    profile = file_spec.get('profile') or 'default'
    if file_spec.get('path'):
        where = ('path', file_spec['path'])
        text = '%s file %s' % (fmt, file_spec['path'])
    else:
        owner = file_spec.get('owner') or None
        where = ('default', owner)
        text = 'default %s file of %s' % (fmt, 'owner %s' % owner if owner else 'the connection user')
    return (fmt, where, profile), '%s, profile %s' % (text, profile)


def merge_declarations(variables, host=None):
    """A host's merged declarations from its variables (``hostvars[host]``, or any mapping of variable names).

    Returns ``{credentials, users, used_users, unused_user_names, problems}``: ``credentials`` and ``users`` are the
    merged lists (duplicates removed), ``used_users`` the declared users that some credential entry uses (the ones the
    provision role ensures), ``unused_user_names`` the others, and ``problems`` one message per conflict (empty when
    there is none).
    """
    if not isinstance(variables, Mapping):
        variables = {}
    host = host or variables.get('inventory_hostname') or 'unknown'
    problems = []

    users, user_sources = [], {}
    for source, entry in _entries(variables, USERS, host, problems):
        name = entry.get('name') if isinstance(entry, Mapping) else None
        if not name:
            if entry not in users:      # left for the role's input check, which names what is missing
                users.append(entry)
            continue
        if name in user_sources:
            first, first_source = user_sources[name]
            if first != entry:
                problems.append('host %s: user %s is declared twice with different attributes, in %s and in %s; declare '
                                'it once, or the same way in both' % (host, name, first_source, source))
            continue
        user_sources[name] = (entry, source)
        users.append(entry)

    credentials, files = [], {}
    for source, entry in _entries(variables, CREDENTIALS, host, problems):
        if entry in credentials:
            continue
        credentials.append(entry)
        holder = _holder(entry) if isinstance(entry, Mapping) else None
        file_specs = entry.get('files') if holder else None
        if not isinstance(file_specs, (list, tuple)):
            continue
        for file_spec in file_specs:
            identity = file_identity(file_spec)
            if identity is None:
                continue
            key, text = identity
            if key not in files:
                files[key] = (holder, source)
                continue
            other, other_source = files[key]
            if other != holder:
                problems.append('host %s: the %s is declared for two users, %s (in %s) and %s (in %s); a file profile holds '
                                'one key: give one of them another path or profile' % (
                                    host, text, _holder_text(other), other_source, _holder_text(holder), source))

    used = []
    for entry in credentials:
        user = entry.get('user') if isinstance(entry, Mapping) else None
        if user and user not in used:
            used.append(user)
    return {
        'credentials': credentials,
        'users': users,
        'used_users': [entry for entry in users if not isinstance(entry, Mapping) or entry.get('name') in used],
        'unused_user_names': [entry['name'] for entry in users if isinstance(entry, Mapping) and entry.get('name')
                              and entry['name'] not in used],
        'problems': problems,
    }


def provision_declarations(variables, host=None, strict=True):
    """The filter: ``merge_declarations``; with ``strict`` (the default) a conflict fails, naming host, file or user
    and both variables."""
    merged = merge_declarations(variables, host)
    if strict and merged['problems']:
        raise AnsibleFilterError('; '.join(merged['problems']))
    return merged


def host_declarations(hostvars, host):
    """The merged declarations of ``host`` from ``hostvars`` (lenient: a conflict there is the host's own run's to
    report), ``{}``-based when the host has no variables."""
    host_vars = hostvars.get(host) if isinstance(hostvars, Mapping) else None
    return merge_declarations(host_vars if isinstance(host_vars, Mapping) else {}, host)


class FilterModule:
    def filters(self):
        return {
            'provision_declarations': provision_declarations,
        }
