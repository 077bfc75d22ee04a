# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.secret_store: maintenance of the secret store that the ``secret_store`` option of
aliyun.ram.ram_access_keys keeps - open it (to fail early without a vault secret), list it, put and remove entries,
record leaked keys as compromised.

Keys are created, and their secrets stored, by aliyun.ram.ram_access_keys itself, under the store's lock; this
action takes the same lock and the same ``secret_store`` options, so that both can share one ``module_defaults``
entry or one variable.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import control_character_problem
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError
from ansible_collections.aliyun.ram.plugins.plugin_utils._kms_backend import run_secret_store
from ansible_collections.aliyun.ram.plugins.plugin_utils._secret_store import (
    KMS,
    STORE_OPTION_SPEC,
    OpenStore,
    StoreError,
    store_options_problem,
)

ARGUMENT_SPEC = dict(
    secret_store=dict(STORE_OPTION_SPEC, required=True),
    access_keys=dict(type='list', elements='dict', default=[], no_log=False, options=dict(
        user_name=dict(type='str', required=True),
        access_key_id=dict(type='str', required=True, no_log=False),
        access_key_secret=dict(type='str', required=True, no_log=True),
        create_date=dict(type='str'),
    )),
    compromised_access_keys=dict(type='list', elements='dict', default=[], no_log=False, options=dict(
        user_name=dict(type='str', required=True),
        access_key_id=dict(type='str', required=True, no_log=False),
    )),
    remove_access_key_ids=dict(type='list', elements='str', default=[], no_log=False),
    remove_users=dict(type='list', elements='str', default=[]),
    users=dict(type='list', elements='str', default=[]),
    return_secrets=dict(type='bool', default=False),
)


def compromised_keys_problem(keys):
    """The message when a key to record as compromised is not a user name and an AccessKey ID, else None."""
    try:
        for index, key in enumerate(keys):
            validate.user_name(key['user_name'], 'compromised_access_keys[%d].user_name' % index)
            validate.access_key_id(key['access_key_id'], 'compromised_access_keys[%d].access_key_id' % index)
    except ValidationError as err:
        return str(err)
    return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as err:
            result.update(failed=True, msg=str(err))
            return result
        problem = (control_character_problem(ARGUMENT_SPEC, args) or store_options_problem(args['secret_store'])
                   or compromised_keys_problem(args['compromised_access_keys']))
        if problem:
            result.update(failed=True, msg=problem)
            return result
        options = args['secret_store']
        if options['backend'] == KMS:
            try:
                result.update(run_secret_store(self, args, task_vars))
            except StoreError as err:
                result.update(failed=True, msg=str(err))
            result['changed'] = bool(result.get('secret_store', {}).get('changed'))
            return result
        try:
            with OpenStore(options, self._loader, bool(self._task.check_mode), C.DEFAULT_VAULT_PASSWORD_FILE) as store:
                result['secret_store'] = store.update(put=args['access_keys'],
                                                      remove_access_key_ids=args['remove_access_key_ids'],
                                                      remove_users=args['remove_users'],
                                                      compromised=args['compromised_access_keys'])
                fields = ('user_name', 'access_key_id', 'create_date') + (('access_key_secret',) if args['return_secrets'] else ())
                wanted = set(args['users'])
                result['stored'] = [dict((name, entry[name]) for name in fields) for entry in store.entries
                                    if not wanted or entry['user_name'] in wanted]
                result['compromised'] = [{'user_name': r['user_name'], 'access_key_id': r['access_key_id']}
                                         for r in store.compromised if not wanted or r['user_name'] in wanted]
        except StoreError as err:
            result.update(failed=True, msg=str(err))
        except OSError as err:
            result.update(failed=True, msg='secret store %s: %s' % (options['path'], err))
        result['changed'] = bool(result.get('secret_store', {}).get('changed'))
        return result
