# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The provision role's view of every host of the play at once, computed on the controller in one task.

A task that runs on each host costs a worker process per host even when it only sets a fact or is skipped; on a
fleet those tasks, not SSH, were most of a converged run. So the role computes what it needs for all hosts in one
``run_once`` task (``provision_play_plan`` first, ``provision_play_new_users`` once the users are ensured,
``provision_play_reads`` after the read, ``provision_play_writes`` after the reconcile), keyed by host name, and only
the read and the writes run per host.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import yaml

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.aliyun.ram.plugins.filter.declarations import CREDENTIALS, USERS, declaration_variables, merge_declarations
from ansible_collections.aliyun.ram.plugins.filter.provision import (
    credential_file_batch_reads, credential_file_reads, held_credential_problems, held_credentials,
    keyed_credential_files, pending_credential_writes)


def _host_vars(hostvars, host):
    host_vars = hostvars.get(host) if isinstance(hostvars, Mapping) else None
    return host_vars if isinstance(host_vars, Mapping) else {}


# The file specs are the credentials role's credentials_files: checked here, for every host at once, against that
# role's own spec, so that the role is included without its per-host argument check (a worker process per host).
_CREDENTIALS_SPEC = Path(__file__).resolve().parents[2] / 'roles' / 'credentials' / 'meta' / 'argument_specs.yml'
_FILES_VALIDATOR = []


def _files_validator():
    if not _FILES_VALIDATOR:
        specs = yaml.safe_load(_CREDENTIALS_SPEC.read_text(encoding='utf-8'))['argument_specs']
        _FILES_VALIDATOR.append(ArgumentSpecValidator({'credentials_files': specs['main']['options']['credentials_files']}))
    return _FILES_VALIDATOR[0]


def _file_spec_errors(files, checked):
    """The argument check's messages for one list of file specs. The validator copies and walks what it checks, which
    is slow on Ansible's lazily templated values: it checks plain copies, each distinct list once (``checked``, by
    its JSON text: a fleet's hosts mostly share their file specs)."""
    try:
        text = json.dumps(files, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = None
    if text is not None and text in checked:
        return checked[text]
    plain = json.loads(text) if text is not None else files
    messages = []
    for error in _files_validator().validate({'credentials_files': plain}).errors:
        message = error.msg.replace('credentials_files', 'files')
        messages.append('unknown option %s' % message if isinstance(error, UnsupportedError) else message)
    if text is not None:
        checked[text] = messages
    return messages


def _file_spec_problems(host, entries, checked):
    """What the credentials role's argument check would refuse in the file specs of ``entries``, one message each."""
    problems = []
    for entry in entries:
        files = entry.get('files')
        if not isinstance(files, list) or not files:
            continue
        who = entry.get('user') or entry.get('access_key_id')
        problems.extend('host %s: the files of %s: %s' % (host, who, message) for message in _file_spec_errors(files, checked))
    return problems


# The provision role's own options, checked here for every host at once: the playbooks import the role with
# rolespec_validate false, since Ansible's check of a role's arguments is a task on each host (a worker process per
# host, a tenth of a converged fleet run).
_ROLE_SPECS = Path(__file__).resolve().parents[2] / 'roles' / 'provision' / 'meta' / 'argument_specs.yml'
_ROLE_OPTIONS = {}
_ROLE_DEFAULTS_FILE = _ROLE_SPECS.parents[1] / 'defaults' / 'main.yml'
_ROLE_DEFAULTS = {}


def _role_options(entry_point):
    """(option names, validator, options spec) of one entry point of the provision role."""
    if not _ROLE_OPTIONS:
        for name, spec in yaml.safe_load(_ROLE_SPECS.read_text(encoding='utf-8'))['argument_specs'].items():
            _ROLE_OPTIONS[name] = (list(spec['options']), ArgumentSpecValidator(spec['options']), spec['options'])
    if entry_point not in _ROLE_OPTIONS:
        raise AnsibleFilterError('provision_play_plan: the provision role has no entry point %r' % (entry_point,))
    return _ROLE_OPTIONS[entry_point]


def _leaves(value):
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None or isinstance(value, bool) else ['%s' % (value,)]


def _no_log_values(spec, values):
    """Every value in ``values`` of an option (or suboption, at any depth) that ``spec`` marks no_log, as text."""
    secrets = set()
    for name, option in (spec or {}).items():
        value = values.get(name) if isinstance(values, Mapping) else None
        if value is None or not isinstance(option, Mapping):
            continue
        if option.get('no_log'):
            secrets.update(leaf for leaf in _leaves(value) if leaf)
        elif option.get('options'):
            for item in value if isinstance(value, list) else [value]:
                secrets |= _no_log_values(option['options'], item)
    return secrets


def _role_option_problems(host, variables, entry_point, checked):
    """What Ansible's check of the role's arguments (entry point ``entry_point``) would refuse in ``variables``, the
    values this host's tasks see, one message each, without any value of an option marked no_log."""
    names, validator, spec = _role_options(entry_point)
    values = dict((name, variables[name]) for name in names if name in variables)
    try:
        text = json.dumps(values, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = None
    key = (entry_point, text)
    if text is None or key not in checked:
        result = validator.validate(json.loads(text) if text is not None else values)
        secrets = _no_log_values(spec, json.loads(text) if text is not None else values)
        messages = [remove_values(error.msg, secrets) for error in result.errors]
        if text is None:
            return ['host %s: %s' % (host, message) for message in messages]
        checked[key] = messages
    return ['host %s: %s' % (host, message) for message in checked[key]]


def _input_problems(host, declared, checked):
    """What the declarations of ``host`` lack, one message each (the role used to assert these per host)."""
    credentials, users = declared['credentials'], declared['users']
    problems = []
    if any(not isinstance(user, Mapping) or not user.get('name') for user in users):
        problems.append('host %s: every provision_users entry needs a name' % host)
    entries = [entry for entry in credentials if isinstance(entry, Mapping)]
    if len(entries) != len(credentials) or any(not entry.get('files') for entry in entries):
        problems.append('host %s: every provision_credentials entry needs files' % host)
    if any(not entry.get('user') and not entry.get('access_key_id') for entry in entries):
        problems.append('host %s: a provision_credentials entry needs either user (a name listed in provision_users) or an '
                        'explicit access_key_id and access_key_secret' % host)
    declared_names = set(user.get('name') for user in users if isinstance(user, Mapping))
    undeclared = [name for name in dict.fromkeys(entry.get('user') for entry in entries) if name and name not in declared_names]
    if undeclared:
        problems.append('host %s: provision_credentials uses users that provision_users does not declare: %s'
                        % (host, ', '.join(undeclared)))
    return problems + _file_spec_problems(host, entries, checked)


def _declared_variables(hostvars, host, shared, option_names=()):
    """The declaration variables of ``host`` and its values of ``option_names``: its own (inventory, group_vars,
    host_vars, extra vars), then ``shared``."""
    host_vars = _host_vars(hostvars, host)
    names = declaration_variables(host_vars, CREDENTIALS) + declaration_variables(host_vars, USERS)
    names += [name for name in option_names if name in host_vars and name not in names]
    variables = dict((name, host_vars.get(name)) for name in names)
    variables.update(shared)
    return variables


def _role_defaults():
    if not _ROLE_DEFAULTS:
        _ROLE_DEFAULTS.update(yaml.safe_load(_ROLE_DEFAULTS_FILE.read_text(encoding='utf-8')) or {})
    return _ROLE_DEFAULTS


def _play_level(play_vars, hostvars, context_host):
    """The variables that the play or role sets (not the inventory): those ``play_vars`` (the values the task on
    ``context_host`` sees) has that ``hostvars`` of ``context_host`` lacks or has with another value. A value that
    ``context_host`` does not set and that is the role's default is the default, not the play's: each host may set its
    own (hostvars has no role defaults either)."""
    own = _host_vars(hostvars, context_host)
    defaults = _role_defaults()

    def set_by_play(name, value):
        if name in own:
            return own.get(name) != value
        return not (name in defaults and defaults[name] == value)

    return dict((name, value) for name, value in (play_vars or {}).items() if set_by_play(name, value))


def provision_play_plan(hostvars, hosts, region=None, play_vars=None, context_host=None, entry_point=None):
    """``{host: {credentials, users, user_names, explicit_keys, reads, problems}}`` for each of ``hosts``.

    ``credentials`` and ``users`` are the host's merged declarations (see ``provision_declarations``), ``users`` only
    those that one of its credential entries uses, ``user_names`` their names, ``explicit_keys`` the entries that
    carry their own key pair. ``reads`` is the ``files`` option of the host's one credential_file_info run (with
    ``compare``, see ``credential_file_reads``), empty when ``problems`` (conflicting or incomplete declarations,
    each message naming the host) are not: such a host is failed before anything is read or called.

    ``hostvars`` has no play or role variables: the declaration variables that the running task sees (``play_vars``,
    on ``context_host``) and that do not come from that host's inventory are the play's or role's, and apply to every
    host (templated once, for ``context_host``).

    With ``entry_point``, each host's values of the role's options of that entry point are also checked against the
    role's argument spec, as Ansible checks them when the role is imported without ``rolespec_validate: false``:
    ``play_vars`` then also carries the options the task sees.
    """
    plan = {}
    shared = _play_level(play_vars, hostvars, context_host)
    option_names = _role_options(entry_point)[0] if entry_point else []
    checked = {}
    for host in hosts or []:
        variables = _declared_variables(hostvars, host, shared, option_names)
        declared = merge_declarations(variables, host)
        problems = list(declared['problems']) + _input_problems(host, declared, checked)
        if entry_point:
            problems += _role_option_problems(host, variables, entry_point, checked)
        credentials = [entry for entry in declared['credentials'] if isinstance(entry, Mapping)]
        plan[host] = {
            'credentials': credentials,
            'users': declared['used_users'],
            'user_names': list(dict.fromkeys(entry['user'] for entry in credentials if entry.get('user'))),
            'explicit_keys': [entry for entry in credentials if not entry.get('user')],
            'reads': [] if problems else credential_file_batch_reads(
                credential_file_reads(credentials, explicit_keys=True, compare=True, region=region)),
            'problems': problems,
        }
    return plan


def _registered_results(registered):
    """The per-file results of one host's credential_file_info run: none when it was skipped, the failed result
    itself when the run failed before reading any file."""
    if not isinstance(registered, Mapping) or registered.get('skipped'):
        return []
    if isinstance(registered.get('results'), list):
        return registered['results']
    return [registered] if registered.get('failed') else []


def provision_play_reads(plan, hostvars, hosts, registered_as):
    """``plan`` with, for each of ``hosts`` (the ones whose read ran), what its files hold: ``read`` (the results of
    the host variable ``registered_as``), ``held`` (the usable keys, see ``held_credentials``), ``problems`` grown by
    the files that cannot be used (``held_credential_problems``: such a host is failed alone) and
    ``explicit_keys_to_write`` (its explicit key pairs that some file does not hold yet: the only ones to check).
    A host of ``plan`` that is not in ``hosts`` keeps its entry without ``read``: it was lost before its read.
    """
    updated = dict(plan or {})
    for host in hosts or []:
        entry = dict(updated.get(host) or {})
        results = _registered_results(_host_vars(hostvars, host).get(registered_as))
        entry['read'] = results
        entry['held'] = held_credentials(results, host)
        entry['problems'] = list(entry.get('problems') or []) + held_credential_problems(results, host)
        entry['explicit_keys_to_write'] = pending_credential_writes(entry.get('explicit_keys'), {}, results)
        updated[host] = entry
    return updated


def provision_play_new_users(plan, user_names):
    """``plan`` with the reads of the files of ``user_names`` taken out of every host's ``reads``: users that this run
    created (or, in a dry run, would create). Such a user has no key yet, so nothing a host holds for it can be used,
    and reading it would only tell the controller to write: its files are written without a read, and a host with
    nothing else to read is contacted once on a cold run. The entries without a user (explicit key pairs) are still
    read. Each host's entry also gets ``unread_users``, the names whose reads it lost."""
    new_names = set(name for name in user_names or [] if isinstance(name, str))
    updated = dict(plan or {})
    if not new_names:
        return updated
    for host, entry in updated.items():
        reads = (entry or {}).get('reads') or []
        kept = [read for read in reads if _read_user(read) not in new_names]
        if len(kept) != len(reads):
            updated[host] = dict(entry, reads=kept, unread_users=sorted(set(_read_user(read) for read in reads) & new_names))
    return updated


def _read_user(read):
    """The user of one ``reads`` entry (its ``item``, as ``credential_file_batch_reads`` made it), None for an explicit key."""
    item = read.get('item') if isinstance(read, Mapping) else None
    return item.get('user') if isinstance(item, Mapping) else None


def provision_play_writes(plan, hosts, access_keys, region=None, check_mode=False):
    """``{host: files}``: for each of ``hosts`` whose files a write would change, those files with their key pairs,
    as the credentials role takes them (``pending_credential_writes`` then ``keyed_credential_files``). A host whose
    files all hold their keys in sync is left out: it is not contacted again."""
    writes = {}
    for host in hosts or []:
        entry = (plan or {}).get(host) or {}
        pending = pending_credential_writes(entry.get('credentials'), access_keys, entry.get('read'))
        files = keyed_credential_files(pending, access_keys, region, check_mode)
        if files:
            writes[host] = files
    return writes


def _received(written):
    """Whether a host's registered write may have left a new key in one of its files: it succeeded, or it failed after
    changing some file (in doubt, a key is kept)."""
    if not isinstance(written, Mapping) or written.get('skipped'):
        return False
    if not written.get('failed') and not written.get('unreachable'):
        return True
    return any(isinstance(result, Mapping) and result.get('changed') for result in written.get('results') or [])


def provision_play_undelivered_keys(plan, access_keys, hostvars, hosts, registered_as):
    """``[{user, access_key_id}]``: the keys this run created for the users it created (a host's ``unread_users``, see
    ``provision_play_new_users``) that no host of ``hosts`` received, because each host of the user failed or was
    unreachable before or during its write (its write registered as ``registered_as``). Nothing else can hold such
    a key: the role deletes it rather than leave an Active key nobody has, and the next run makes the user's key
    again."""
    plan = plan if isinstance(plan, Mapping) else {}
    keys = access_keys if isinstance(access_keys, Mapping) else {}
    new_users = []
    for host in hosts or []:
        new_users.extend(name for name in (plan.get(host) or {}).get('unread_users') or [] if name not in new_users)
    undelivered = []
    for user in new_users:
        key = keys.get(user)
        if not isinstance(key, Mapping) or not key.get('created') or not key.get('access_key_id'):
            continue
        holders = [host for host in hosts or [] if user in ((plan.get(host) or {}).get('user_names') or [])]
        if not any(_received(_host_vars(hostvars, host).get(registered_as)) for host in holders):
            undelivered.append({'user': user, 'access_key_id': key['access_key_id']})
    return undelivered


class FilterModule:
    def filters(self):
        return {
            'provision_play_plan': provision_play_plan,
            'provision_play_new_users': provision_play_new_users,
            'provision_play_reads': provision_play_reads,
            'provision_play_undelivered_keys': provision_play_undelivered_keys,
            'provision_play_writes': provision_play_writes,
        }
