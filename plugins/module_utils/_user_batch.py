# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Many RAM users in one invocation (the ram_users module): ram_user per user, on a bounded worker pool.

The same user may be listed several times (the provision role unions the lists of many hosts): the specs
are merged when they agree, an option left unset agreeing with any value (except state: an entry that
does not say absent wants the user present), and rejected before any API call when they do not.
"""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._batch import check_parallelism, error_result, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._caller_identity import caller_identity
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._users import (
    USER_ATTRIBUTES,
    ensure_user,
    policy_label,
    remove_user,
    user_spec,
)

SPEC_DEFAULTS = {'state': 'present', 'purge_policies': False, 'purge_groups': False, 'force': False}
SPEC_OPTIONS = ('state',) + tuple(option for option, _field in USER_ATTRIBUTES) + (
    'policies', 'purge_policies', 'groups', 'purge_groups', 'force')
# more changed users than this and diff mode shows counts and names instead of every before/after
DIFF_DETAIL_LIMIT = 20
# report: which users the result lists (summary always counts all of them)
REPORT_CHOICES = ('all', 'changes')


def _comparable(option, value):
    if option == 'policies':
        return sorted(policy_label(p) for p in value)
    if option == 'groups':
        return sorted(value)
    return value


def _validated(raw, index):
    name = raw.get('name')
    where = 'users[%d]' % index
    validate.user_name(name, '%s.name' % where)
    try:
        spec = user_spec(dict((option, raw.get(option)) for option in ('name',) + SPEC_OPTIONS))
    except ValidationError as err:
        raise ValidationError('%s (user %s): %s' % (where, name, err))
    # an entry that does not say absent wants the user to exist: state never merges as 'unset'
    spec['state'] = spec.get('state') or SPEC_DEFAULTS['state']
    if spec['state'] not in ('present', 'absent'):
        raise ValidationError('%s (user %s): state must be present or absent, got %r' % (where, name, spec['state']))
    return spec


def merge_user_specs(raw_specs):
    """Validated specs, one per user name in first-seen order, defaults applied (raises ValidationError)."""
    merged = {}
    for index, raw in enumerate(raw_specs or []):
        if not isinstance(raw, dict):
            raise ValidationError('users[%d] must be a dictionary of ram_user options, got %r' % (index, raw))
        spec = _validated(raw, index)
        current = merged.setdefault(spec['name'], dict(spec))
        for option in SPEC_OPTIONS:
            mine, theirs = current.get(option), spec.get(option)
            if mine is None:
                current[option] = theirs
            elif theirs is not None and _comparable(option, mine) != _comparable(option, theirs):
                raise ValidationError('users: user %s is listed more than once with different %s (%r and %r); '
                                      'make the entries agree' % (spec['name'], option, _comparable(option, mine),
                                                                  _comparable(option, theirs)))
    specs = []
    for spec in merged.values():
        for option, default in SPEC_DEFAULTS.items():
            if spec.get(option) is None:
                spec[option] = default
        specs.append(spec)
    return specs


def exclusive_filter(prefix, regex):
    """A predicate on user names for ``exclusive`` (raises ValidationError when neither filter is given)."""
    if not prefix and not regex:
        raise ValidationError('exclusive needs exclusive_name_prefix or exclusive_name_regex: the users matching the '
                              'filter and not listed are deleted')
    validate.name_prefix(prefix, 'exclusive_name_prefix')
    try:
        pattern = re.compile(regex) if regex else None
    except re.error as err:
        raise ValidationError('exclusive_name_regex is not a valid regular expression: %s' % err)
    return lambda name: (not prefix or name.startswith(prefix)) and (pattern is None or bool(pattern.search(name)))


def unlisted_users(api, specs, matches):
    """Specs (state absent, force) for the users matching the filter that are not listed.

    The identity running the module is never among them: deleting it would cut the run off halfway."""
    listed = set(spec['name'] for spec in specs)
    names = sorted(u.get('UserName') for u in api.paginate('ListUsers', 'Users', 'User')
                   if u.get('UserName') and u['UserName'] not in listed and matches(u['UserName']))
    if names:
        identity = caller_identity(api)
        arn = identity.get('arn') or ''
        mine = [name for name in names if identity.get('identity_type') == 'RAMUser' and arn.endswith(':user/' + name)]
        if mine:
            raise ValidationError('exclusive would delete user %s, whose key runs this module: narrow the filter '
                                  'or list the user' % mine[0])
    return [dict(SPEC_DEFAULTS, name=name, state='absent', force=True) for name in names]


def apply_user(api, spec, check_mode):
    """(per-user result, diff) of ram_user's semantics for one spec."""
    if spec['state'] == 'absent':
        result = remove_user(api, spec, check_mode)
        entry = {'name': spec['name'], 'changed': result['changed'], 'created': False, 'deleted': result['changed'],
                 'user': None, 'attached_policies': [], 'detached_policies': result['detached_policies'],
                 'added_groups': [], 'removed_groups': result['removed_groups'],
                 'deleted_access_key_ids': result['deleted_access_key_ids'],
                 'login_profile_deleted': result['login_profile_deleted']}
    else:
        result = ensure_user(api, spec, check_mode)
        entry = {'name': spec['name'], 'changed': result['changed'], 'created': result['created'], 'deleted': False,
                 'user': result['user']}
        for option in ('attached_policies', 'detached_policies', 'added_groups', 'removed_groups', 'policies', 'groups'):
            if option in result:
                entry[option] = result[option]
    return entry, result['diff']


def summarise(entries):
    summary = {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 0, 'failed': 0}
    for entry in entries:
        if 'error' in entry:
            summary['failed'] += 1
        elif entry['created']:
            summary['created'] += 1
        elif entry['deleted']:
            summary['deleted'] += 1
        elif entry['changed']:
            summary['updated'] += 1
        else:
            summary['unchanged'] += 1
    return summary


def batch_diff(changes, limit=DIFF_DETAIL_LIMIT):
    """Diff mode output: before/after per changed user, or counts and names beyond ``limit`` users."""
    if len(changes) <= limit:
        return [dict(diff, before_header=name, after_header=name) for name, entry, diff in changes]
    lines = ['%d RAM users would change or changed (details are shown for at most %d):' % (len(changes), limit)]
    for label, wanted in (('created', lambda e: e['created']), ('deleted', lambda e: e['deleted']),
                          ('updated', lambda e: not e['created'] and not e['deleted'])):
        names = [name for name, entry, diff in changes if wanted(entry)]
        if names:
            lines.append('  %s (%d): %s' % (label, len(names), ', '.join(names)))
    return {'prepared': '\n'.join(lines) + '\n'}


def reported(entries, report):
    """The entries listed under ``users``: all of them, or with report=changes those changed, deleted or failed.

    Unchanged users are only counted then: a converged run over many users otherwise returns one entry per
    user, and carrying that result back through the controller costs more than the run itself."""
    if report == 'all':
        return entries
    return [entry for entry in entries if entry['changed'] or entry['deleted'] or 'error' in entry]


def run_ram_users(module):
    """The ram_users module."""
    params = module.params
    report = params['report']
    if report not in REPORT_CHOICES:
        raise ValidationError('report must be one of %s, got %r' % (', '.join(REPORT_CHOICES), report))
    specs = merge_user_specs(params['users'])
    parallelism = check_parallelism(params['parallelism'])
    matches = exclusive_filter(params['exclusive_name_prefix'], params['exclusive_name_regex']) if params['exclusive'] else None
    api = module.api()
    share_backoff(api)
    if matches is not None:
        specs = specs + unlisted_users(api, specs, matches)

    outcomes = run_parallel(specs, lambda spec: apply_user(api, spec, module.check_mode), parallelism)
    entries, changes, failures = [], [], []
    for outcome in outcomes:
        name = outcome.item['name']
        if outcome.failed:
            failures.append((name, outcome.error))
            entries.append({'name': name, 'changed': False, 'created': False, 'deleted': False, 'user': None,
                            'error': error_result(outcome.error)})
            continue
        entry, diff = outcome.result
        entries.append(entry)
        if entry['changed']:
            changes.append((name, entry, diff))
    result = {'changed': bool(changes), 'users': reported(entries, report), 'summary': summarise(entries)}
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = batch_diff(changes)
    if failures:
        raise ConflictError('%d of %d RAM users failed (the others were processed): %s' % (
            len(failures), len(specs), '; '.join('%s: %s' % (name, err) for name, err in failures)), **result)
    return result
