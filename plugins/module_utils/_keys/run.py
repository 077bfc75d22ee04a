# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The key modules' entry points: every input checked before any API call, then one call into ``apply``/``api``.

ram_access_key (``run_ram_access_key``), ram_access_keys (``run_ram_access_keys``), ram_access_key_info
(``run_ram_access_key_info``) and sts_caller_info (``run_sts_caller_info``).
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._batch import (
    check_parallelism,
    error_result,
    raise_failures,
    run_parallel,
    share_backoff,
)
from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import access_key_info, caller_identity
from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import (
    RETIRE,
    REVOKE,
    ensure_access_key,
    lifecycle_keys,
    reconcile_keys,
    remove_access_key,
)
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import ON_LIMIT_CHOICES
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import utc_now

RECONCILE = 'reconcile'
OPERATIONS = (RECONCILE, RETIRE, REVOKE)
SECRET_STORE_ACTION = 'aliyun.ram.ram_access_keys'


def _check_days(params, option, minimum):
    if params.get(option) is not None and params[option] < minimum:
        raise ValidationError('%s must be %d or more, got %d' % (option, minimum, params[option]))


# ---------------------------------------------------------------- ram_access_key

def access_key_spec(params):
    """Validated spec for ensure_access_key/remove_access_key (raises ValidationError)."""
    validate.user_name(params['user_name'], 'user_name')
    if params.get('id'):
        validate.access_key_id(params['id'], 'id')
    _check_days(params, 'max_age_days', 1)
    if params.get('state') != 'absent' and params.get('status') == 'inactive' and not params.get('id'):
        raise ValidationError('status=inactive needs id: name the key to deactivate')
    if params.get('state') == 'absent' and not params.get('id'):
        raise ValidationError('state=absent needs id: name the key to delete')
    return dict(params)


def run_ram_access_key(module):
    """The ram_access_key module."""
    spec = access_key_spec(module.params)
    if spec['state'] == 'absent':
        return remove_access_key(module.api(), spec, module.check_mode)
    return ensure_access_key(module.api(), spec, module.check_mode)


# ---------------------------------------------------------------- ram_access_keys

def access_keys_options(params):
    """Validated inputs of ram_access_keys (raises ValidationError before any API call)."""
    if params.get('secret_store') is not None:
        raise ValidationError('secret_store reached the ram_access_keys module: it is handled by the %s action plugin, '
                              'which runs this module without it; call the module by that name (not through another '
                              'action) so that the action plugin runs' % SECRET_STORE_ACTION)
    users = []
    for user_name in params['users']:
        validate.user_name(user_name, 'users')
        if user_name not in users:
            users.append(user_name)
    held = []
    for index, entry in enumerate(params.get('held') or []):
        validate.user_name(entry.get('user_name'), 'held[%d].user_name' % index)
        validate.access_key_id(entry.get('access_key_id'), 'held[%d].access_key_id' % index)
        held.append(dict(entry))
    compromised = {}
    for index, entry in enumerate(params.get('compromised_access_keys') or []):
        user_name = validate.user_name(entry.get('user_name'), 'compromised_access_keys[%d].user_name' % index)
        access_key_id = validate.access_key_id(entry.get('access_key_id'), 'compromised_access_keys[%d].access_key_id' % index)
        compromised.setdefault(user_name, []).append(access_key_id)
    _check_days(params, 'max_age_days', 1)
    if params.get('on_limit') not in ON_LIMIT_CHOICES:
        raise ValidationError('on_limit must be one of %s' % ', '.join(ON_LIMIT_CHOICES))
    operation = params.get('operation') or RECONCILE
    if operation not in OPERATIONS:
        raise ValidationError('operation must be one of %s, got %r' % (', '.join(OPERATIONS), operation))
    rotate_users = []
    for user_name in params.get('rotate_users') or []:
        if user_name not in users:
            raise ValidationError('rotate_users lists %s, which is not in users' % user_name)
        if user_name not in rotate_users:
            rotate_users.append(user_name)
    if (rotate_users or params.get('rotate_older_than_days') is not None) and operation != RECONCILE:
        raise ValidationError('rotate_users and rotate_older_than_days are for operation=%s, not operation=%s'
                              % (RECONCILE, operation))
    _check_days(params, 'rotate_older_than_days', 1)
    _check_days(params, 'delete_after_days', 0)
    return {'users': users, 'held': held, 'compromised': compromised, 'max_age_days': params.get('max_age_days'), 'on_limit': params['on_limit'],
            'verify': params.get('verify', True), 'prove_held_keys': bool(params.get('prove_held_keys')),
            'parallelism': check_parallelism(params.get('parallelism')),
            'operation': operation, 'rotate_users': rotate_users,
            'rotate_older_than_days': params.get('rotate_older_than_days'),
            'delete_after_days': params.get('delete_after_days')}


def run_ram_access_keys(module):
    """The ram_access_keys module."""
    options = access_keys_options(module.params)
    if options['operation'] == RECONCILE:
        return reconcile_keys(module.api(), options, module.check_mode)
    return lifecycle_keys(module.api(), options, module.check_mode)


# ---------------------------------------------------------------- ram_access_key_info, sts_caller_info

def run_ram_access_key_info(module):
    """The ram_access_key_info module: one user (user_name), or many in one invocation (user_names)."""
    params = module.params
    if params['user_names'] is None:
        user_name = validate.user_name(params['user_name'], 'user_name')
        keys = access_key_info(module.api(), user_name, include_last_used=params['include_last_used'])
        return {'changed': False, 'user_name': user_name, 'user_exists': keys is not None, 'access_keys': keys or []}
    user_names = list(dict.fromkeys(validate.user_name(name, 'user_names') for name in params['user_names']))
    parallelism = check_parallelism(params['parallelism'])
    api = module.api()
    share_backoff(api)
    now = utc_now()
    outcomes = run_parallel(user_names, lambda name: access_key_info(api, name, params['include_last_used'], now),
                            parallelism)
    users, failures = [], []
    for outcome in outcomes:
        if outcome.failed:
            failures.append((outcome.item, outcome.error))
            users.append({'user_name': outcome.item, 'access_keys': [], 'error': error_result(outcome.error)})
        else:
            users.append({'user_name': outcome.item, 'user_exists': outcome.result is not None,
                          'access_keys': outcome.result or []})
    result = {'changed': False, 'users': users}
    raise_failures('the keys of %d of %d users could not be listed (the others were)' % (len(failures), len(users)),
                   failures, **result)
    return result


def run_sts_caller_info(module):
    """The sts_caller_info module."""
    identity = caller_identity(module.api())
    if module.params['fail_on_root'] and identity['is_root']:
        raise ConflictError(
            'the credentials in use are the root AccessKey of Alibaba Cloud account %s; Alibaba Cloud recommends '
            'not using the account root key: use the AccessKey of a RAM user with only the permissions it needs'
            % identity['account_id'], **identity)
    identity['changed'] = False
    return identity
