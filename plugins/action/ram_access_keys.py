# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.ram_access_keys, controller side: the module, plus the secret store when ``secret_store`` is set.

The action and the module share a name, so the task executor has already applied ``module_defaults`` (of the module
and of ``group/aliyun.ram.ram``) to the task's args when this runs: nothing here looks them up.

Without ``secret_store`` the module runs with the task's args. With ``secret_store.backend=kms`` the run goes through
KMS Secrets Manager, coordinated with runs on other nodes by claims (plugin_utils/_kms_backend.py). With the vault
file (the default backend), the store's lock is held from reading the
store, through the module's create, to writing the new secret, inside this one call: the store's copies of the
users' keys are added to ``held`` (operation ``reconcile``) and the keys it records as compromised to
``compromised_access_keys``, the module runs without ``secret_store``, every key it
created is written to the store before the task returns (also when the module failed for other users), and the keys
it deleted are removed. Two runs reconciling the same user at the same time therefore create at most one key.

In both cases the secret of every kept key is put back into the result from the ``held`` entry the module names
(``held_index``): the module cannot return it (Ansible masks no_log values in a module's output), and the key to
deploy is then always ``access_keys[user]``.

The module runs in this process when the task runs on this controller, otherwise as a module
(plugin_utils/_in_process.py). Only the plugin API of ansible-core is used (``_execute_module``, ``_task``, ``_loader``); the vault secret comes
from the ``secret_store`` options (see plugin_utils/_secret_store.py), never from the play's internals.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import control_character_problem
from ansible_collections.aliyun.ram.plugins.plugin_utils._in_process import execute
from ansible_collections.aliyun.ram.plugins.plugin_utils._kms_backend import run_ram_access_keys
from ansible_collections.aliyun.ram.plugins.plugin_utils._secret_store import (
    KMS,
    STORE_OPTION_SPEC,
    OpenStore,
    StoreError,
    created_entries,
    deleted_ids,
    held_from_store,
    store_options_problem,
    with_held_secrets,
)

STORE_ARGUMENT_SPEC = dict(secret_store=STORE_OPTION_SPEC)


def validated_store_options(store_args):
    """(options, problem): the ``secret_store`` suboptions checked as the module would check its own options."""
    validation = ArgumentSpecValidator(STORE_ARGUMENT_SPEC).validate({'secret_store': store_args})
    if validation.error_messages:
        return None, 'invalid secret_store: %s' % '; '.join(validation.error_messages)
    options = validation.validated_parameters
    problem = control_character_problem(STORE_ARGUMENT_SPEC, options) or store_options_problem(options['secret_store'])
    return (None, problem) if problem else (options['secret_store'], None)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        store_args = module_args.pop('secret_store', None)
        if store_args is None:
            held = list(module_args.get('held') or [])
            result.update(with_held_secrets(execute(self, module_args, task_vars), held))
            return result
        options, problem = validated_store_options(store_args)
        if problem:
            result.update(failed=True, msg=problem)
            return result
        if options['backend'] == KMS:
            try:
                result.update(run_ram_access_keys(self, module_args, options, task_vars, with_held_secrets))
            except StoreError as err:
                result.update(failed=True, msg=str(err))
            return result
        try:
            with OpenStore(options, self._loader, bool(self._task.check_mode), C.DEFAULT_VAULT_PASSWORD_FILE) as store:
                result.update(self._run_with_store(store, module_args, task_vars))
        except StoreError as err:
            result.update(failed=True, msg=str(err))
        except OSError as err:
            result.update(failed=True, msg='secret store %s: %s' % (options['path'], err))
        return result

    def _run_with_store(self, store, module_args, task_vars):
        held = list(module_args.get('held') or [])
        users = module_args.get('users') or []
        if module_args.get('operation', 'reconcile') == 'reconcile':
            held.extend(held_from_store(store.entries, users))
            module_args['held'] = held
        module_args['compromised_access_keys'] = list(module_args.get('compromised_access_keys') or []) + [
            {'user_name': r['user_name'], 'access_key_id': r['access_key_id']} for r in store.compromised if r['user_name'] in users]
        module_result = with_held_secrets(execute(self, module_args, task_vars), held)
        # Written before the task returns, whether the module failed for other users or not.
        try:
            module_result['secret_store'] = store.update(put=created_entries(module_result),
                                                         remove_access_key_ids=deleted_ids(module_result))
        except (StoreError, OSError) as err:
            module_result.update(failed=True, msg='the keys were changed, but the secret store %s could not be written: '
                                                  '%s' % (store.path, err))
            return module_result
        module_result['changed'] = bool(module_result.get('changed')) or module_result['secret_store']['changed']
        return module_result
