# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that turn what the provision role reads from hosts into inputs of the controller-side modules.

What a host's credential file holds is data written by whoever controls that host: it is checked here before
the controller uses it, and what passes is marked as data (never a template). A key id must look like one
(what aliyun.ram.credential_file would write); a secret must be printable text without Jinja delimiters.
A Jinja expression read from a host is then never evaluated, and a file that cannot be a key fails only
the host that holds it (``held_credential_problems``) instead of every host in the controller step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.aliyun.ram.plugins.filter.declarations import host_declarations

try:
    from ansible.template import trust_as_template  # noqa: F401  pylint: disable=unused-import
except ImportError:  # ansible-core < 2.19: a string not wrapped as unsafe is templated when a variable refers to it
    from ansible.utils.unsafe_proxy import wrap_var as _as_data
else:
    def _as_data(value):
        """ansible-core 2.19+ (data tagging): only strings tagged as trusted templates are ever templated; plain copies
        carry no tag (``wrap_var`` does the same there, but is to be deprecated)."""
        if isinstance(value, Mapping):
            return dict((_as_data(key), _as_data(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [_as_data(item) for item in value]
        if isinstance(value, str):
            return ''.join(value)
        return value

# The same rule as aliyun.ram.credential_file and ram_access_keys (module_utils._ram_validation).
_ACCESS_KEY_ID_RE = re.compile(r'^[A-Za-z0-9.]{1,128}\Z')
_MAX_SECRET_LENGTH = 256
_JINJA_DELIMITERS = ('{{', '{%', '{#')


def _id_problem(value):
    if not isinstance(value, str) or not _ACCESS_KEY_ID_RE.match(value):
        return 'the AccessKey ID in it is not an AccessKey ID (1 to 128 letters, digits and dots)'
    return None


def _secret_problem(value):
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        return 'the AccessKey secret in it is not text'
    if len(value) > _MAX_SECRET_LENGTH:
        return 'the AccessKey secret in it is longer than %d characters' % _MAX_SECRET_LENGTH
    if any(unicodedata.category(char) in ('Cc', 'Cf', 'Cs', 'Co', 'Cn', 'Zl', 'Zp') for char in value):
        return 'the AccessKey secret in it contains control or unprintable characters'
    if value != value.strip():
        return 'the AccessKey secret in it starts or ends with whitespace'
    if any(delimiter in value for delimiter in _JINJA_DELIMITERS):
        return 'the AccessKey secret in it contains Jinja delimiters'
    return None


def _read_item(result, host):
    """(user name, holder host, file spec) of one loop result, or None when the item is not a credential read."""
    item = result.get('item')
    if isinstance(item, Mapping):
        return item.get('user'), item.get('host', host), item.get('file') if isinstance(item.get('file'), Mapping) else {}
    if isinstance(item, (list, tuple)) and len(item) > 0 and isinstance(item[0], Mapping):
        spec = item[1] if len(item) > 1 and isinstance(item[1], Mapping) else {}
        return item[0].get('user'), host, spec
    return None


def _read_problem(result):
    """Why a credential_file_info result cannot be used, or None (also None for skipped, unreachable, no profile)."""
    if result.get('skipped') or result.get('unreachable'):
        return None
    if result.get('failed') or 'file_exists' not in result:
        message = result.get('msg')
        return 'it cannot be read: %s' % (message if isinstance(message, str) and message else 'the read failed')
    if not result.get('exists'):
        return None
    return _id_problem(result.get('access_key_id')) or _secret_problem(result.get('access_key_secret'))


def held_credentials(results, host=None):
    """Keys found by aliyun.ram.credential_file_info in a loop, as [{user_name, access_key_id, access_key_secret, host}].

    Skipped, failed and unreachable items, and files without the profile, are left out, and so is a file whose key
    id is not an AccessKey ID; a secret that cannot be one (control characters, Jinja delimiters) is dropped and the
    key kept without it (it is still reported as held, never used). Each loop item is either a (credential entry,
    file spec) pair of provision_credentials or a dict with host, user and file keys (reads delegated to hosts outside
    the play). The values are marked as data: a template in them is never evaluated.
    """
    held = []
    seen = set()
    for result in results or []:
        if not isinstance(result, Mapping):
            continue
        if result.get('skipped') or result.get('failed') or result.get('unreachable') or not result.get('exists'):
            continue
        if _id_problem(result.get('access_key_id')):
            continue
        read = _read_item(result, host)
        if read is None or not read[0]:
            continue
        user_name, holder = read[0], read[1]
        secret = result.get('access_key_secret')
        entry = {
            'user_name': user_name,
            'access_key_id': result['access_key_id'],
            'access_key_secret': None if _secret_problem(secret) else secret,
            'host': holder,
        }
        identity = (entry['user_name'], entry['access_key_id'], entry['access_key_secret'], entry['host'])
        if identity not in seen:
            seen.add(identity)
            held.append(_as_data(entry))
    return held


def held_credential_problems(results, host=None):
    """Why the credential files read by a loop of credential_file_info cannot be used, one message per file.

    Each message names the host and the file and never quotes what the file holds. Empty when every file could be
    read and holds either no profile or a usable key id and secret.
    """
    problems = []
    for result in results or []:
        if not isinstance(result, Mapping):
            continue
        problem = _read_problem(result)
        if problem is None:
            continue
        read = _read_item(result, host) or (None, host, {})
        user_name, holder, spec = read
        path = result.get('path') if isinstance(result.get('path'), str) and result.get('path') else spec.get('path')
        where = path if path else 'the default %s file' % spec.get('format', 'credential')
        problems.append(_as_data('host %s, credential file %s%s: %s. Nothing read from this host is used: fix or remove '
                                 'the file, then run again' % (holder, where, ' (user %s)' % user_name if user_name else '',
                                                               problem)))
    return problems


def credential_file_reads(credentials, explicit_keys=False, compare=False, region=None):
    """What to read back from one host: a ``{user, file}`` dict for each built-in-format file of ``credentials``
    (``provision_credentials``). Entries without ``user`` (an explicit key pair) only with ``explicit_keys``, then as
    ``{access_key_id, file}``. Never a secret: the result is the input of the credentials role's ``read`` entry point,
    whose loop labels and results may be shown. With ``compare``, each read also carries the region a write would set
    (the file's, else the entry's, else ``region``), so the read can tell whether the file already is what a write of
    the key it holds would leave (``in_sync``).
    """
    reads = []
    for entry in credentials or []:
        if not isinstance(entry, Mapping) or not (entry.get('user') or explicit_keys):
            continue
        who = dict((name, entry[name]) for name in ('user', 'access_key_id') if entry.get(name))
        if who.get('user'):
            who.pop('access_key_id', None)
        for file_spec in entry.get('files') or []:
            if isinstance(file_spec, Mapping) and file_spec.get('format'):
                read = dict(who, file=dict(file_spec))
                if compare:
                    read['compare'] = {'region': _file_region(file_spec, entry, region)}
                reads.append(read)
    return reads


READ_OPTIONS = ('format', 'path', 'profile', 'owner', 'extra')
COMPARE_OPTIONS = ('group', 'mode', 'force')


def credential_file_batch_reads(reads):
    """The ``files`` of one credential_file_info run for reads made by ``credential_file_reads`` (each read is the
    ``item`` of its result, as a loop would register it)."""
    files = []
    for read in reads or []:
        spec = read.get('file') or {}
        entry = dict((name, spec[name]) for name in READ_OPTIONS if spec.get(name) is not None)
        if isinstance(read.get('compare'), Mapping):
            entry.update((name, spec[name]) for name in COMPARE_OPTIONS if spec.get(name) is not None)
            entry.update(compare=True, region=read['compare'].get('region'))
        entry['item'] = dict(read)
        files.append(entry)
    return files


def _result_for(results, who, file_spec):
    for result in results or []:
        item = result.get('item') if isinstance(result, Mapping) else None
        if isinstance(item, Mapping) and item.get('file') == file_spec and all(item.get(k) == v for k, v in who.items()):
            return result
    return None


def _holds(result, key):
    """Whether a read result shows the file holding ``key`` exactly as a write of it would leave the file."""
    if not isinstance(result, Mapping) or result.get('failed') or result.get('skipped') or not result.get('exists'):
        return False
    return (result.get('in_sync') is True and result.get('access_key_id') == key.get('access_key_id')
            and result.get('access_key_secret') == key.get('access_key_secret'))


def _entry_key(entry, access_keys):
    """The key pair of a credential entry: its user's in ``access_keys``, or the entry's own; ``{}`` when unknown."""
    key = (access_keys if isinstance(access_keys, Mapping) else {}).get(entry['user']) if entry.get('user') else entry
    return key if isinstance(key, Mapping) else {}


def _file_region(file_spec, entry, region):
    """The region a write of ``file_spec`` sets: the file's, else its entry's, else the run's default."""
    return file_spec.get('region') or entry.get('region') or region


def pending_credential_writes(credentials, access_keys, read_results):
    """The credential entries of one host, each with only the files a write would change, entries with none left out.

    ``access_keys`` is ``{user: {access_key_id, access_key_secret}}`` (the reconcile's), an entry without a user carries
    its own key pair. A file is left out when its read (``read_results``, from ``credential_file_reads`` with
    ``compare``) shows it holding that key pair and in sync with the file's options: a converged host is then not
    contacted again. Templates cannot be read back and are always written (their write compares them).
    """
    pending = []
    for entry in credentials or []:
        if not isinstance(entry, Mapping):
            continue
        key = _entry_key(entry, access_keys)
        who = {'user': entry['user']} if entry.get('user') else {'access_key_id': entry.get('access_key_id')}
        files = [file_spec for file_spec in entry.get('files') or []
                 if not (key.get('access_key_id') and isinstance(file_spec, Mapping)
                         and file_spec.get('format') and _holds(_result_for(read_results, who, dict(file_spec)), key))]
        if files:
            pending.append(dict(entry, files=files))
    return pending


# What a dry run compares the files of a key that would be created with: it has no id or secret yet.
PLACEHOLDER_KEY = {'access_key_id': 'NewAccessKeyWouldBeCreated', 'access_key_secret': 'new-secret'}


def keyed_credential_files(credentials, access_keys, region=None, check_mode=False):
    """The files of a host's credential entries as one list for the credentials role, each with its key pair and
    region (the file's, else the entry's, else ``region``), so that one inclusion of the role writes them all, the
    same tasks on every host at once. ``access_keys`` is ``{user: key}``; an entry without a user carries its own key.
    In ``check_mode`` a key that would be created (no id yet) is the placeholder ``NewAccessKeyWouldBeCreated``.
    """
    files = []
    for entry in credentials or []:
        if not isinstance(entry, Mapping):
            continue
        key = _entry_key(entry, access_keys)
        if not key.get('access_key_id'):
            if not check_mode:
                raise AnsibleFilterError('no AccessKey for user %s' % entry.get('user'))
            key = PLACEHOLDER_KEY
        for file_spec in entry.get('files') or []:
            secret = key.get('access_key_secret') or (PLACEHOLDER_KEY['access_key_secret'] if check_mode else None)
            keyed = dict(file_spec, access_key_id=key['access_key_id'], access_key_secret=secret)
            file_region = _file_region(file_spec, entry, region)
            if file_region:
                keyed['region'] = file_region
            files.append(keyed)
    return files


# The options of a file spec (credentials role) that aliyun.ram.credential_file takes as they are.
_WRITE_OPTIONS = ('format', 'path', 'profile', 'access_key_id', 'access_key_secret', 'region', 'extra', 'owner', 'group',
                  'mode', 'force')


def credential_file_label(file_spec):
    """How a file is named in results: its ``dest`` for a template, else its format and path."""
    if file_spec.get('template') is not None:
        return file_spec.get('dest')
    return '%s %s' % (file_spec.get('format'), file_spec.get('path') or '(default path)')


def credential_file_writes(files, rendered=None):
    """The ``files`` option of aliyun.ram.credential_file for file specs that carry their key pairs (as
    ``keyed_credential_files`` makes them), so that one module run writes all the files of a host.

    A user's own template becomes ``format: template`` with its rendered text as ``content``, taken in order from
    ``rendered`` (the texts of the templated specs, in their order). Each entry's ``item`` is its label (a
    template's ``dest``, else format and path).
    """
    contents = list(rendered or [])
    writes = []
    for file_spec in files or []:
        if not isinstance(file_spec, Mapping):
            raise AnsibleFilterError('credential_file_writes: each file must be a dict, got %s' % type(file_spec).__name__)
        if file_spec.get('template') is not None:
            if not contents:
                raise AnsibleFilterError('credential_file_writes: the template for %s was not rendered' % file_spec.get('dest'))
            entry = {'format': 'template', 'path': file_spec.get('dest'), 'content': contents.pop(0),
                     'access_key_secret': file_spec.get('access_key_secret')}
            entry.update((name, file_spec[name]) for name in ('owner', 'group', 'mode') if file_spec.get(name) is not None)
        else:
            entry = dict((name, file_spec[name]) for name in _WRITE_OPTIONS if file_spec.get(name) is not None)
        entry['item'] = credential_file_label(file_spec)
        writes.append(entry)
    return writes


_NAME_SEPARATORS = re.compile(r'[,\s]+')


def name_list(value, variable):
    """A list of names from whatever form a playbook variable arrives in: a YAML/JSON list (inventory, ``-e @file``,
    ``-e '{"x": [...]}'``), or one string of names separated by commas or white space (``-e x=a,b``, an AWX survey
    text field). RAM names never contain either. ``None`` and ``''`` give ``[]``; anything else fails naming
    ``variable``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [name for name in _NAME_SEPARATORS.split(value) if name]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise AnsibleFilterError('%s must be a list of names, or names separated by commas (for example -e %s=app-web,app-db); '
                             'got %s' % (variable, variable, type(value).__name__))


def held_secrets(hostvars, hosts, name):
    """``{access_key_id: secret}`` of the usable key pairs that a loop of credential_file_info (with
    ``return_secret``) registered as host variable ``name`` on each of ``hosts``; a host without it is skipped.

    The same checks as ``held_credentials``: a key id that is not one, or a secret with control characters, surrounding
    whitespace or Jinja delimiters, is left out, and what passes is marked as data.
    """
    secrets = {}
    for host in hosts or []:
        host_vars = hostvars.get(host) if isinstance(hostvars, Mapping) else None
        registered = host_vars.get(name) if isinstance(host_vars, Mapping) else None
        results = registered.get('results') if isinstance(registered, Mapping) else None
        for result in results or []:
            if not isinstance(result, Mapping) or _read_problem(result) or not result.get('exists'):
                continue
            if result.get('skipped') or result.get('unreachable') or not result.get('access_key_secret'):
                continue
            secrets[result['access_key_id']] = result['access_key_secret']
    return _as_data(secrets)


def outside_credential_files(hostvars, hosts, user_names):
    """The built-in-format file specs, on the given hosts, of credential entries that use one of user_names.

    A host's credential entries are its merged declarations (``provision_credentials`` and every
    ``provision_credentials__<suffix>``, see the provision_declarations filter).

    Returns [{host, user, file}] for aliyun.ram.credential_file_info delegated to each host.
    """
    wanted = set(user_names or [])
    found = []
    for host in hosts or []:
        for entry in host_declarations(hostvars, host)['credentials']:
            if not isinstance(entry, Mapping) or entry.get('user') not in wanted:
                continue
            for file_spec in entry.get('files') or []:
                if isinstance(file_spec, Mapping) and file_spec.get('format'):
                    found.append({'host': host, 'user': entry['user'], 'file': dict(file_spec)})
    return found


class FilterModule:
    def filters(self):
        return {
            'credential_file_batch_reads': credential_file_batch_reads,
            'credential_file_reads': credential_file_reads,
            'credential_file_writes': credential_file_writes,
            'held_credentials': held_credentials,
            'keyed_credential_files': keyed_credential_files,
            'held_credential_problems': held_credential_problems,
            'held_secrets': held_secrets,
            'name_list': name_list,
            'outside_credential_files': outside_credential_files,
            'pending_credential_writes': pending_credential_writes,
        }
