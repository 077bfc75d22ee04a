# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The user modules' entry points: ram_user, ram_users (bounded worker pool) and ram_user_info."""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._batch import check_parallelism, error_result, raise_failures, run_parallel, share_backoff
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._users.api import listed_users
from ansible_collections.aliyun.ram.plugins.module_utils._users.apply import (
    apply_user,
    ensure_user,
    find_users,
    remove_user,
    unlisted_users,
)
from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import (
    REPORT_CHOICES,
    batch_diff,
    compile_name_regex,
    exclusive_filter,
    merge_user_specs,
    reads_by_listing,
    reported,
    summarise,
    user_spec,
)


def run_ram_user(module):
    """The ram_user module."""
    spec = user_spec(module.params)
    api = module.api()
    if spec['state'] == 'absent':
        result = remove_user(api, spec, module.check_mode)
    else:
        result = ensure_user(api, spec, module.check_mode)
    diff = result.pop('diff')
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = diff
    return result


def run_ram_user_info(module):
    """The ram_user_info module."""
    params = module.params
    if params['name']:
        validate.user_name(params['name'])
    validate.name_prefix(params['name_prefix'])
    compile_name_regex(params['name_regex'])
    users = find_users(module.api(), name=params['name'], name_prefix=params['name_prefix'],
                       name_regex=params['name_regex'], include=params['include'] or ())
    return {'changed': False, 'users': users}


def run_ram_users(module):
    """The ram_users module: ram_user per user, on a bounded worker pool sharing one backoff."""
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

    listed = listed_users(api) if reads_by_listing(specs) else None
    entries, changes, failures = [], [], []
    for outcome in run_parallel(specs, lambda spec: apply_user(api, spec, module.check_mode, listed), parallelism):
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
    raise_failures('%d of %d RAM users failed (the others were processed)' % (len(failures), len(specs)), failures, **result)
    return result
