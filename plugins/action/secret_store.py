# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.secret_store: the controller-side, vault-encrypted store of the secrets of the keys the collection created.

Why an action plugin that runs ram_access_keys itself (``reconcile``) rather than lock and unlock tasks around it:
the lock is then held exactly from reading the store, through the module's create, to writing the new secret,
inside one Python call. A lock/unlock task pair would stay locked forever when the play dies between them, and
a key created by the module could reach a failing task before its secret is stored. Here the created key is
written to the store before the task returns, even when the module fails for other users.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, is_encrypted, match_encrypt_secret
from ansible.plugins.action import ActionBase

from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import control_character_problem
from ansible_collections.aliyun.ram.plugins.plugin_utils._secret_store import (
    StoreError,
    StoreLock,
    held_from_store,
    put_entries,
    read_store,
    remove_entries,
    write_store,
)

try:  # ansible-core 2.19+
    from ansible.executor.module_common import _apply_action_arg_defaults as apply_module_defaults
    LEGACY_MODULE_DEFAULTS = False
except ImportError:  # ansible-core 2.16-2.18
    from ansible.executor.module_common import get_action_args_with_defaults as apply_module_defaults
    LEGACY_MODULE_DEFAULTS = True

RECONCILE_MODULE = 'aliyun.ram.ram_access_keys'

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    vault_id=dict(type='str'),
    access_keys=dict(type='list', elements='dict', default=[], no_log=False, options=dict(
        user_name=dict(type='str', required=True),
        access_key_id=dict(type='str', required=True, no_log=False),
        access_key_secret=dict(type='str', required=True, no_log=True),
        create_date=dict(type='str'),
    )),
    remove_access_key_ids=dict(type='list', elements='str', default=[], no_log=False),
    remove_users=dict(type='list', elements='str', default=[]),
    reconcile=dict(type='dict'),
    return_secrets=dict(type='bool', default=False),
    lock_timeout=dict(type='int', default=300),
)


def _with_module_defaults(action, task, args, templar):
    if LEGACY_MODULE_DEFAULTS:
        return apply_module_defaults(action, args, task.module_defaults, templar, action_groups=task._parent._play._action_groups)
    return apply_module_defaults(action, task, args, templar)


def _created_entries(module_result):
    entries = []
    for user_name, key in sorted((module_result.get('access_keys') or {}).items()):
        if key.get('created') and key.get('access_key_id') and key.get('access_key_secret'):
            entries.append({'user_name': user_name, 'access_key_id': key['access_key_id'],
                            'access_key_secret': key['access_key_secret'], 'create_date': key.get('create_date')})
    return entries


def _deleted_ids(module_result):
    ids = []
    for key in (module_result.get('access_keys') or {}).values():
        ids.extend(key.get('deleted_access_key_ids') or [])
    return ids


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def _vault(self, vault_id):
        """(VaultLib, encrypt) with the play's vault secrets; fails before anything else when there are none."""
        secrets = list(getattr(getattr(self._loader, '_vault', None), 'secrets', None) or [])
        if not secrets:
            raise StoreError('the secret store needs a vault secret to encrypt with: run with --vault-id, '
                             '--vault-password-file or ANSIBLE_VAULT_PASSWORD_FILE')
        try:
            encrypt_id, encrypt_secret = match_encrypt_secret(secrets, encrypt_vault_id=vault_id or C.DEFAULT_VAULT_ENCRYPT_IDENTITY)
        except AnsibleError as err:
            raise StoreError('no vault secret to encrypt the secret store with: %s' % err) from None
        vault = VaultLib(secrets)

        def encrypt(plaintext):
            return vault.encrypt(plaintext, secret=encrypt_secret, vault_id=encrypt_id)

        return vault, encrypt

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del validation
        problem = control_character_problem(ARGUMENT_SPEC, args)
        if problem:
            result.update(failed=True, msg=problem)
            return result
        path = os.path.abspath(self._loader.path_dwim(args['path']))
        check_mode = bool(self._task.check_mode)
        try:
            vault, encrypt = self._vault(args['vault_id'])
            with StoreLock(path, args['lock_timeout']):
                try:
                    entries = read_store(path, vault.decrypt, is_encrypted)
                except AnsibleError as err:
                    raise StoreError('cannot decrypt the secret store %s with the vault secrets of this run: %s'
                                     % (path, err.message)) from None
                result.update(self._change_store(path, entries, args, task_vars, check_mode, encrypt))
        except StoreError as err:
            result.update(failed=True, msg=str(err))
        except OSError as err:
            result.update(failed=True, msg='secret store %s: %s' % (path, err))
        return result

    def _change_store(self, path, entries, args, task_vars, check_mode, encrypt):
        result = {'changed': False}
        added, removed = [], []
        if args['reconcile'] is not None:
            module_result = self._reconcile(entries, args['reconcile'], task_vars)
            result.update(module_result)
            entries, added = put_entries(entries, _created_entries(module_result))
            entries, removed = remove_entries(entries, access_key_ids=_deleted_ids(module_result))
        entries, put = put_entries(entries, args['access_keys'])
        added.extend(put)
        entries, dropped = remove_entries(entries, access_key_ids=args['remove_access_key_ids'], user_names=args['remove_users'])
        removed.extend(dropped)
        store_changed = bool(added or removed)
        if store_changed and not check_mode:
            write_store(path, entries, encrypt)
        result['changed'] = bool(result.get('changed')) or store_changed
        result['secret_store'] = {'path': path, 'added_access_key_ids': added, 'removed_access_key_ids': removed,
                                  'changed': store_changed}
        if args['reconcile'] is None:
            fields = ('user_name', 'access_key_id', 'create_date') + (('access_key_secret',) if args['return_secrets'] else ())
            result['stored'] = [dict((name, entry[name]) for name in fields) for entry in entries]
        return result

    def _reconcile(self, entries, module_args, task_vars):
        """Run ram_access_keys with the store's copies added to ``held`` (state=present), under the caller's lock."""
        module_args = _with_module_defaults(RECONCILE_MODULE, self._task, dict(module_args), self._templar)
        held = list(module_args.get('held') or [])
        if module_args.get('state', 'present') == 'present':
            held.extend(held_from_store(entries, module_args.get('users') or []))
            module_args['held'] = held
        module_result = self._execute_module(module_name=RECONCILE_MODULE, module_args=module_args, task_vars=task_vars)
        # The module cannot return held secrets (they are no_log values); the deploy step needs the secret of every
        # kept key, whether a host or the store held it.
        for key in (module_result.get('access_keys') or {}).values():
            index = key.get('held_index')
            if not key.get('access_key_secret') and index is not None and 0 <= index < len(held):
                key['access_key_secret'] = held[index].get('access_key_secret')
        return module_result
