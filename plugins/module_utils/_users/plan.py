# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Every RAM user decision, pure: validated specs, what to change, and how a batch reports it.

Only what a spec sets is managed: an attribute left as None, or policies/groups left as None, is neither read nor
changed.  The same user may be listed several times in ram_users (the provision role unions the lists of many
hosts): the specs are merged when they agree, an option left unset agreeing with any value (except state: an entry
that does not say absent wants the user present), and rejected before any API call when they do not.
"""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import keep_compromised_record
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError

# option name -> API field name
USER_ATTRIBUTES = (('display_name', 'DisplayName'), ('comments', 'Comments'), ('email', 'Email'), ('mobile_phone', 'MobilePhone'))
INCLUDE_CHOICES = ('access_keys', 'policies', 'groups')
STATE_CHOICES = ('present', 'absent')
SPEC_DEFAULTS = {'state': 'present', 'purge_policies': False, 'purge_groups': False, 'force': False}
SPEC_OPTIONS = ('state',) + tuple(option for option, _field in USER_ATTRIBUTES) + (
    'policies', 'purge_policies', 'groups', 'purge_groups', 'force')
# more changed users than this and diff mode shows counts and names instead of every before/after
DIFF_DETAIL_LIMIT = 20
# report: which users the result lists (summary always counts all of them)
REPORT_CHOICES = ('all', 'changes')


def user_argument_spec(defaults):
    """The options of one user: ram_user's (``defaults``) or a ram_users entry's (unset means "agrees with any")."""
    def default(option):
        return dict(default=SPEC_DEFAULTS[option]) if defaults else {}

    spec = dict(name=dict(type='str', required=True, aliases=['user_name']),
                state=dict(type='str', choices=list(STATE_CHOICES), **default('state')))
    spec.update((option, dict(type='str')) for option, _field in USER_ATTRIBUTES)
    spec.update(policies=dict(type='list', elements='raw'), purge_policies=dict(type='bool', **default('purge_policies')),
                groups=dict(type='list', elements='str'), purge_groups=dict(type='bool', **default('purge_groups')),
                force=dict(type='bool', **default('force')))
    return spec


# ---------------------------------------------------------------- one user

def user_spec(params):
    """Validated spec for ensure_user/remove_user from module-style parameters (raises ValidationError)."""
    validate.user_name(params['name'])
    validate.user_attributes(params.get('display_name'), params.get('comments'), params.get('email'), params.get('mobile_phone'))
    spec = dict(params)
    spec['policies'] = validate.policies(params.get('policies'))
    spec['groups'] = validate.groups(params.get('groups'))
    return spec


def diff_user_attributes(current, desired):
    """``{option: wanted value}`` for every attribute set in ``desired`` that differs from ``current``.  A key
    recorded as compromised in the current comments stays recorded (``keep_compromised_record``)."""
    changes = {}
    for option, _field in USER_ATTRIBUTES:
        wanted = desired.get(option)
        if wanted is None:
            continue
        if option == 'comments':
            wanted = keep_compromised_record((current or {}).get(option), wanted)
        if wanted != ((current or {}).get(option) or ''):
            changes[option] = wanted
    return changes


def policy_key(policy):
    """What identifies a policy: RAM matches system policy names without regard to case (attaching
    AliyunOssFullAccess attaches AliyunOSSFullAccess), custom policy names exactly."""
    return (policy['type'], policy['name'].lower() if policy['type'] == 'System' else policy['name'])


def policy_label(policy):
    return '%s:%s' % (policy['type'], policy['name'])


def plan_policies(current, desired, purge):
    """(to attach, to detach); ``desired`` None means policies are not managed."""
    if desired is None:
        return [], []
    have = set(policy_key(p) for p in current)
    want = set(policy_key(p) for p in desired)
    attach = [p for p in desired if policy_key(p) not in have]
    detach = [p for p in current if policy_key(p) not in want] if purge else []
    return attach, detach


def plan_groups(current, desired, purge):
    """(to add, to remove); ``desired`` None means groups are not managed."""
    if desired is None:
        return [], []
    add = [g for g in desired if g not in current]
    remove = [g for g in current if g not in desired] if purge else []
    return add, remove


def plan_memberships(spec, current_policies, current_groups):
    """``{attach, detach, add, remove}`` for a user whose current policies and groups are given (None: not read)."""
    attach, detach = plan_policies(current_policies or [], spec.get('policies'), spec.get('purge_policies'))
    add, remove = plan_groups(current_groups or [], spec.get('groups'), spec.get('purge_groups'))
    return {'attach': attach, 'detach': detach, 'add': add, 'remove': remove}


def memberships_after(current_policies, current_groups, plan):
    """(policies, groups) once ``plan`` is applied; None for what is not managed."""
    policies = groups = None
    if current_policies is not None:
        removed = set(policy_key(p) for p in plan['detach'])
        policies = [p for p in current_policies if policy_key(p) not in removed] + plan['attach']
    if current_groups is not None:
        groups = [g for g in current_groups if g not in plan['remove']] + plan['add']
    return policies, groups


def state_view(user, spec, policies, groups):
    """The managed part of a user, for diff mode."""
    if user is None:
        return {'state': 'absent'}
    view = {'state': 'present', 'name': spec['name']}
    for option, _field in USER_ATTRIBUTES:
        if spec.get(option) is not None:
            view[option] = user.get(option) or ''
    if policies is not None:
        view['policies'] = sorted(policy_label(p) for p in policies)
    if groups is not None:
        view['groups'] = sorted(groups)
    return view


def compile_name_regex(name_regex, option='name_regex'):
    try:
        return re.compile(name_regex) if name_regex else None
    except re.error as err:
        raise ValidationError('%s is not a valid regular expression: %s' % (option, err))


def name_matches(user_name, name_prefix, pattern):
    return (not name_prefix or user_name.startswith(name_prefix)) and (pattern is None or bool(pattern.search(user_name)))


# ---------------------------------------------------------------- many users

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
    if spec['state'] not in STATE_CHOICES:
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
    pattern = compile_name_regex(regex, 'exclusive_name_regex')
    return lambda name: name_matches(name, prefix, pattern)


def removal_spec(name):
    """The spec that deletes an unlisted user (``exclusive``) with everything attached to it."""
    return dict(SPEC_DEFAULTS, name=name, state='absent', force=True)


# ListUsers returns up to 1000 users a page: from this many users to ensure on, one listing of the account is cheaper
# than a GetUser each (a handful of names is cheaper to read one by one than a large account is to list).
LISTING_MIN_USERS = 10
LISTING_PAGE_SIZE = 1000


def reads_by_listing(specs):
    """Whether a batch reads its users from ListUsers pages rather than one GetUser per user."""
    return sum(1 for spec in specs if spec['state'] == 'present') >= LISTING_MIN_USERS


def batch_entry(spec, result):
    """A ram_users entry from the result of ensure_user / remove_user for ``spec``."""
    if spec['state'] == 'absent':
        return {'name': spec['name'], 'changed': result['changed'], 'created': False, 'deleted': result['changed'],
                'user': None, 'attached_policies': [], 'detached_policies': result['detached_policies'],
                'added_groups': [], 'removed_groups': result['removed_groups'],
                'deleted_access_key_ids': result['deleted_access_key_ids'],
                'login_profile_deleted': result['login_profile_deleted'],
                'mfa_device_unbound': result['mfa_device_unbound']}
    entry = {'name': spec['name'], 'changed': result['changed'], 'created': result['created'], 'deleted': False,
             'user': result['user']}
    for option in ('attached_policies', 'detached_policies', 'added_groups', 'removed_groups', 'policies', 'groups'):
        if option in result:
            entry[option] = result[option]
    return entry


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
