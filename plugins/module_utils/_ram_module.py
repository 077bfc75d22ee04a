# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""AnsibleModule for the RAM/STS modules: shared auth/connection options, client set-up, failure reporting."""

from __future__ import annotations

import os

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import CheckedModule
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import (
    Auth,
    Connection,
    connect,
    missing_sdk,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import (
    ApiError,
    ConflictError,
    ValidationError,
    scrub,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import CONSISTENCY_WINDOW_SECONDS, RetryPolicy

# The caller's credentials: the names of the Ansible cloud collections (amazon.aws access_key/secret_key), with the
# alibaba.alicloud names as aliases. No module uses these names for anything else.
CALLER_KEY_OPTIONS = {
    'access_key': dict(type='str', aliases=['alicloud_access_key'], no_log=False,
                       fallback=(env_fallback, ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALICLOUD_ACCESS_KEY', 'ALICLOUD_ACCESS_KEY_ID'])),
    'secret_key': dict(type='str', aliases=['alicloud_secret_key'], no_log=True,
                       fallback=(env_fallback, ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY'])),
    'security_token': dict(type='str', aliases=['alicloud_security_token'], no_log=True,
                           fallback=(env_fallback, ['ALIBABA_CLOUD_SECURITY_TOKEN', 'ALICLOUD_SECURITY_TOKEN'])),
}


def auth_argument_spec():
    """The auth/connection options every module shares (documented in the aliyun.ram.auth fragment)."""
    spec = dict((name, dict(option, aliases=list(option['aliases']))) for name, option in CALLER_KEY_OPTIONS.items())
    spec.update({
        'profile': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_PROFILE', 'ALICLOUD_PROFILE'])),
        'assume_role_arn': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_ROLE_ARN', 'ALICLOUD_ASSUME_ROLE_ARN'])),
        'role_session_name': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_ROLE_SESSION_NAME',
                                                                       'ALICLOUD_ASSUME_ROLE_SESSION_NAME'])),
        # ALIBABA_CLOUD_ECS_METADATA is the name alibabacloud-credentials reads for the instance role.
        'ecs_role_name': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_ECS_METADATA', 'ALICLOUD_ECS_ROLE_NAME'])),
        'region': dict(type='str'),
        'endpoint': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_RAM_ENDPOINT'])),
        'sts_endpoint': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_STS_ENDPOINT'])),
        'actiontrail_endpoint': dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT'])),
        'timeout': dict(type='float', default=10.0),
        'max_retries': dict(type='int', default=5),
        'consistency_window': dict(type='float', default=CONSISTENCY_WINDOW_SECONDS),
    })
    return spec


class MissingLibrary(Exception):
    """An SDK package the task needs is not importable (``msg`` names it, ``exception`` has the import traceback)."""

    def __init__(self, msg, exception):
        super().__init__(msg)
        self.msg = msg
        self.exception = exception


class RamTask:
    """One task of a RAM/STS module: its validated ``params``, credentials, API client and the handler's outcome.

    Shared by the module (``AliyunRamModule``, run by Ansible as a module) and by the controller-side runner that
    runs the same handler inside Ansible's worker process (``plugin_utils/_in_process.py``). A subclass provides
    ``params``, ``argument_spec``, ``check_mode`` and ``_diff``.
    """

    def _init_ram_task(self, services):
        self._services = tuple(services)
        self._api = None
        self._auth = None

    def _set_by_task(self, name):
        """Whether the task set ``name`` (an option with an env fallback) rather than its environment variables.

        Fallbacks are applied before a handler sees its parameters, so a value equal to what the fallback would
        have read counts as coming from the environment (it is the same credential either way). An empty value is
        not set (AWX injects its optional inputs as empty variables).
        """
        value = self.params.get(name)
        if not value:
            return False
        fallback = self.argument_spec[name].get('fallback')
        if not fallback:
            return True
        for variable in fallback[1]:
            if variable in os.environ:
                return value != os.environ[variable]
        return True

    def _key_from_environment_only(self):
        """A profile or ECS role set in the task beats a key that only came from environment variables.

        Otherwise a stray ALIBABA_CLOUD_ACCESS_KEY_ID would make a task that asks for ``profile: prod`` run
        silently as someone else. A profile or role that also comes only from the environment does not: among
        environment variables the key wins, as it does among task options.
        """
        wants_other_source = self._set_by_task('profile') or self._set_by_task('ecs_role_name')
        return wants_other_source and not any(self._set_by_task(name) for name in CALLER_KEY_OPTIONS)

    def auth(self):
        if self._auth is None:
            p = dict(self.params)
            if self._key_from_environment_only():
                p.update(dict.fromkeys(CALLER_KEY_OPTIONS))
            self._auth = Auth(
                access_key_id=p['access_key'], access_key_secret=p['secret_key'],
                security_token=p['security_token'], profile=p['profile'], assume_role_arn=p['assume_role_arn'],
                role_session_name=p['role_session_name'], ecs_role_name=p['ecs_role_name'])
        return self._auth

    def needed_services(self):
        return self._services + (('sts',) if self.auth().assume_role_arn else ())

    def api(self):
        """The RamApi for this task (created once, after the module's own input checks)."""
        if self._api is None:
            auth = self.auth()
            auth.validate()
            package, import_error = missing_sdk(self.needed_services())
            if package:
                raise MissingLibrary(missing_required_lib(package), import_error)
            if self.params['max_retries'] < 0:
                raise ValidationError('max_retries must be 0 or more, got %d' % self.params['max_retries'])
            if self.params['consistency_window'] < 0:
                raise ValidationError('consistency_window must be 0 or more, got %s' % self.params['consistency_window'])
            connection = Connection(endpoint=self.params['endpoint'], sts_endpoint=self.params['sts_endpoint'],
                                    actiontrail_endpoint=self.params.get('actiontrail_endpoint'),
                                    region=self.params['region'], timeout=self.params['timeout'])
            self._api = connect(auth, connection, RetryPolicy(max_retries=self.params['max_retries'],
                                                              consistency_window=self.params['consistency_window']))
        return self._api

    def _secrets(self):
        secrets = list(self.auth().secrets())
        if self._api is not None:
            secrets.extend(self._api._secrets)  # pylint: disable=protected-access
        return secrets

    def outcome(self, handler):
        """(failed, result, warnings): the handler's result, or a failure whose ``msg`` holds no secret.

        No SDK exception or traceback is attached to a failure: only the scrubbed message, the API error's fields
        (code, status, request id, action) and the retry count.
        """
        failure = None
        try:
            result = handler(self)
        except ValidationError as err:
            failure = (str(err), {})
        except ConflictError as err:
            failure = (str(err), dict(err.details))
        except ApiError as err:
            failure = (str(err), {'error': err.as_result()})
        except MissingLibrary as err:
            failure = (err.msg, {'exception': err.exception})
        if failure is not None:
            msg, result = failure
            result['msg'] = scrub(msg, self._secrets())
        warnings = result.pop('warnings', None) or []
        if self._api is not None:
            result['retries'] = self._api.retries
        return failure is not None, result, warnings


class AliyunRamModule(RamTask, CheckedModule):
    """Runs one handler ``handler(module) -> result`` and turns every known failure into a clean fail_json.

    Every option (the shared auth options included, also when they come from environment variables) is checked
    for control characters as soon as the parameters are validated (CheckedModule), before any API client exists;
    a module names in ``multiline_options`` the options that legitimately hold multi-line text (none does so far).
    """

    def __init__(self, argument_spec, services=('ram',), multiline_options=(), **kwargs):
        spec = auth_argument_spec()
        spec.update(argument_spec)
        self._init_ram_task(services)
        super().__init__(argument_spec=spec, multiline_options=multiline_options, **kwargs)

    def run(self, handler):
        failed, result, warnings = self.outcome(handler)
        for warning in warnings:
            self.warn(warning)
        if failed:
            self.fail_json(**result)
        self.exit_json(**result)


# Set by the controller-side runner (plugin_utils/_in_process.py) while it calls a module's main() inside Ansible's
# worker process: run_module() then hands the module's spec and handler to it instead of building an AnsibleModule.
_controller_runner = None


def run_module(handler, argument_spec, **kwargs):
    """A RAM/STS module's main(): run ``handler`` with the shared auth options added to ``argument_spec``.

    ``kwargs`` are AliyunRamModule's (``services``, ``multiline_options``) and AnsibleModule's (``mutually_exclusive``,
    ``required_if``, ``supports_check_mode``, ...).
    """
    if _controller_runner is not None:
        _controller_runner(handler, argument_spec, **kwargs)
        return
    AliyunRamModule(argument_spec=argument_spec, **kwargs).run(handler)
