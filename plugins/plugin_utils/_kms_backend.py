# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The ``kms`` backend of ``secret_store`` on the controller: the client, and the ram_access_keys run through it.

The store's calls sign with the task's own credentials: the auth options of the task (``module_defaults`` of
``group/aliyun.ram.ram`` included, as the action sees them) with the same environment fallbacks as the modules, under
the task's ``environment:``; the KMS endpoint is ``secret_store.kms_endpoint`` (``ALIBABA_CLOUD_KMS_ENDPOINT``), the
region ``secret_store.region``, else the task's ``region``. The decisions and the coordination are in
module_utils/_kms_store.py.
"""

from __future__ import annotations

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import control_character_problem
from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import delete_access_key, list_access_keys
from ansible_collections.aliyun.ram.plugins.module_utils._kms_store import (
    Coordination,
    KmsStore,
    StoreError,
    coordinated_reconcile,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import Connection, connect, missing_sdk
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ConflictError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import auth_argument_spec
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
from ansible_collections.aliyun.ram.plugins.plugin_utils._in_process import (
    ControllerRamTask,
    execute,
    task_environment,
    task_environment_of,
)

MIN_LEASE_SECONDS = 1
KMS_ENDPOINT_VARIABLE = 'ALIBABA_CLOUD_KMS_ENDPOINT'


def _auth_params(module_args):
    """The task's auth/connection options, validated with their environment fallbacks (in the task's environment)."""
    spec = auth_argument_spec()
    names = set(spec)
    for option in spec.values():
        names.update(option.get('aliases') or ())
    validation = ArgumentSpecValidator(spec).validate(dict((k, v) for k, v in module_args.items() if k in names))
    if validation.error_messages:
        raise StoreError('invalid connection options for the kms secret store: %s' % '; '.join(validation.error_messages))
    params = validation.validated_parameters
    problem = control_character_problem(spec, params)
    if problem:
        raise StoreError(problem)
    return spec, params


def connect_kms(module_args, options, check_mode):
    """A RamApi reaching RAM, STS and KMS with the task's credentials. Raises StoreError (bad input, missing SDK)
    before any call."""
    if options['lease_seconds'] < MIN_LEASE_SECONDS:
        raise StoreError('secret_store.lease_seconds must be %d or more, got %d' % (MIN_LEASE_SECONDS, options['lease_seconds']))
    spec, params = _auth_params(module_args)
    task = ControllerRamTask(params, spec, ('ram', 'kms'), check_mode, False)
    auth = task.auth()
    package = missing_sdk(task.needed_services())[0]
    if package:
        raise StoreError('secret_store.backend=kms needs the Python package %s on the controller' % package)
    try:
        auth.validate()
        connection = Connection(endpoint=params['endpoint'], sts_endpoint=params['sts_endpoint'],
                                actiontrail_endpoint=params.get('actiontrail_endpoint'),
                                region=options.get('region') or params['region'], timeout=params['timeout'],
                                # read again here: the task's environment: applies now, not when the options were checked
                                kms_endpoint=options.get('kms_endpoint') or os.environ.get(KMS_ENDPOINT_VARIABLE))
    except ValidationError as err:
        raise StoreError(str(err)) from None
    if params['max_retries'] < 0:
        raise StoreError('max_retries must be 0 or more, got %d' % params['max_retries'])
    return connect(auth, connection, RetryPolicy(max_retries=params['max_retries'],
                                                 consistency_window=params['consistency_window']))


def _checked_users(module_args):
    """The users, after the checks the module would make of ``users`` and ``held`` (the store is read before the
    module first runs, and a name becomes part of a secret's name)."""
    users = module_args.get('users')
    held = module_args.get('held') or []
    if not isinstance(users, list) or not isinstance(held, list) or not all(isinstance(e, dict) for e in held):
        raise StoreError('users must be a list of RAM user names, and held a list of dictionaries')
    try:
        for index, entry in enumerate(held):
            validate.user_name(entry.get('user_name'), 'held[%d].user_name' % index)
            validate.access_key_id(entry.get('access_key_id'), 'held[%d].access_key_id' % index)
        return list(dict.fromkeys(validate.user_name(user, 'users') for user in users))
    except ValidationError as err:
        raise StoreError(str(err)) from None


def run_ram_access_keys(action, module_args, options, task_vars, with_held_secrets):
    """The ram_access_keys task with ``secret_store.backend=kms``: its result (the store's report in ``secret_store``)."""
    check_mode = bool(action._task.check_mode)  # pylint: disable=protected-access
    users = _checked_users(module_args)
    held = list(module_args.get('held') or [])
    with task_environment(task_environment_of(action)):
        try:
            api = connect_kms(module_args, options, check_mode)
            store = KmsStore(api, options['name_prefix'], options['lease_seconds'], check_mode)
            module_args = dict(module_args, compromised_access_keys=list(module_args.get('compromised_access_keys') or []) + [
                {'user_name': user, 'access_key_id': key_id} for user in users for key_id in store.read_compromised(user)])
        except (ValidationError, ApiError) as err:
            raise StoreError(str(err)) from None

        def run_module(run_users, run_held, plan):
            args = dict(module_args, users=list(run_users), held=list(run_held))
            if module_args.get('rotate_users'):
                args['rotate_users'] = [user for user in module_args['rotate_users'] if user in run_users]
            return with_held_secrets(execute(action, args, task_vars, check_mode=plan or check_mode), list(run_held))

        try:
            if module_args.get('operation', 'reconcile') == 'reconcile':
                world = Coordination(run_module, lambda user: list_access_keys(api, user),
                                     lambda user, key_id: delete_access_key(api, user, key_id))
                result = coordinated_reconcile(store, world, users, held, check_mode)
            else:
                result = _lifecycle(store, run_module, users, held, check_mode)
        except (ApiError, ConflictError) as err:
            return {'failed': True, 'msg': 'the kms secret store: %s' % err, 'retries': api.retries}
    # the store's own calls (and the orphan clean-up) retry through ``api``, the module's through its own client
    result['retries'] = (result.get('retries') or 0) + api.retries
    return result


def _lifecycle(store, run_module, users, held, check_mode):
    """retire and revoke: the module as it is, then the entries of the keys it deleted go."""
    result = run_module(users, held, check_mode)
    removed = []
    for user, key in sorted((result.get('access_keys') or {}).items()):
        deleted = key.get('deleted_access_key_ids') or []
        if deleted and store.remove_entry(user, deleted):
            removed.extend(deleted)
    result['secret_store'] = {'backend': 'kms', 'added_access_key_ids': [], 'removed_access_key_ids': removed,
                              'changed': bool(removed)}
    result['changed'] = bool(result.get('changed') or removed)
    return result


def run_secret_store(action, args, task_vars):
    """The aliyun.ram.secret_store action with ``backend=kms``: put, remove and list the entries of named users
    (KMS has no listing by user that this backend relies on, so ``stored`` covers ``users`` and the users put)."""
    options = args['secret_store']
    check_mode = bool(action._task.check_mode)  # pylint: disable=protected-access
    with task_environment(task_environment_of(action)):
        try:
            store = KmsStore(connect_kms(args, options, check_mode), options['name_prefix'], options['lease_seconds'],
                             check_mode)
            # every input checked before the first write (compromised_access_keys by the action)
            users = list(dict.fromkeys(list(args.get('users') or []) + [e['user_name'] for e in args['access_keys']]
                                       + [k['user_name'] for k in args['compromised_access_keys']]
                                       + list(args['remove_users'])))
            for user in users:
                validate.user_name(user, 'users')
            leaked = set((k['user_name'], k['access_key_id']) for k in args['compromised_access_keys'])
            for entry in args['access_keys']:
                if (entry['user_name'], entry['access_key_id']) in leaked or \
                        entry['access_key_id'] in store.read_compromised(entry['user_name']):
                    raise StoreError('AccessKey %s of user %s is recorded as compromised in the secret store: it is never '
                                     'stored again' % (entry['access_key_id'], entry['user_name']))
            added, removed, recorded = [], [], []
            for key in args['compromised_access_keys']:
                entry = store.read_entry(key['user_name'])
                if store.record_compromised(key['user_name'], key['access_key_id']):
                    recorded.append(key['access_key_id'])
                    if entry and entry['access_key_id'] == key['access_key_id']:
                        removed.append(key['access_key_id'])
            for entry in args['access_keys']:
                if store.put_entry(entry):
                    added.append(entry['access_key_id'])
            for user in args['remove_users']:
                entry = store.read_entry(user)
                if entry and store.remove_entry(user, [entry['access_key_id']]):
                    removed.append(entry['access_key_id'])
            for user in users:
                entry = None if user in args['remove_users'] else store.read_entry(user)
                if entry and store.remove_entry(user, args['remove_access_key_ids']):
                    removed.append(entry['access_key_id'])
            fields = ('user_name', 'access_key_id', 'create_date') + (('access_key_secret',) if args['return_secrets'] else ())
            stored = [dict((name, entry[name]) for name in fields)
                      for entry in (store.read_entry(user) for user in users) if entry]
            compromised = [{'user_name': user, 'access_key_id': key_id} for user in users
                           for key_id in store.read_compromised(user)]
        except (ValidationError, ApiError) as err:
            raise StoreError(str(err)) from None
    return {'secret_store': {'backend': 'kms', 'added_access_key_ids': added, 'removed_access_key_ids': sorted(set(removed)),
                             'compromised_access_key_ids': recorded, 'changed': bool(added or removed or recorded)},
            'stored': stored, 'compromised': compromised}
