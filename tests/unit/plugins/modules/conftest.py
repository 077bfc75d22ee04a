# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running modules through main(), once for every module test.

``run(module, args, check=False, diff=None, defaults=True)`` runs ``module.main()`` with ``args`` and returns
``(result, stdout)``. The test module's ``MODULE_ARGS`` (a dict: its caller credentials, its usual inputs,
``_ansible_diff``) come first unless ``defaults=False``; ``check`` and ``diff`` set check and diff mode (``diff=None``
keeps MODULE_ARGS' ``_ansible_diff``, else off). No credential in the environment of the test process reaches a
module under test.

Modules run here as they run on a target: never in a controller process. Once any controller code is imported in
the pytest process (an action plugin, ansible.template in the filter tests), ansible-core 2.19+ marks the process as
the controller, and module warnings go to the controller's display instead of the module result. Tests that check a
module's warnings would then depend on which test ran first.
"""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.aliyun.ram.plugins.plugin_utils._in_process import run_here

try:  # ansible-core 2.19+
    from ansible.module_utils import _internal as module_utils_internal
except ImportError:  # ansible-core < 2.19: warnings are always returned with the result
    module_utils_internal = None


@pytest.fixture(autouse=True)
def run_modules_as_on_a_target(monkeypatch):
    if module_utils_internal is not None and hasattr(module_utils_internal, 'is_controller'):
        monkeypatch.setattr(module_utils_internal, 'is_controller', False)


# every variable a module or the SDK's default credentials chain reads
CREDENTIAL_ENVIRONMENT = (
    'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_ACCESS_KEY', 'ALICLOUD_ACCESS_KEY_ID',
    'ALICLOUD_SECRET_KEY', 'ALIBABA_CLOUD_SECURITY_TOKEN', 'ALICLOUD_SECURITY_TOKEN', 'ALIBABA_CLOUD_PROFILE',
    'ALICLOUD_PROFILE', 'ALIBABA_CLOUD_ROLE_ARN', 'ALICLOUD_ASSUME_ROLE_ARN', 'ALIBABA_CLOUD_ROLE_SESSION_NAME',
    'ALICLOUD_ASSUME_ROLE_SESSION_NAME', 'ALIBABA_CLOUD_RAM_ENDPOINT', 'ALIBABA_CLOUD_STS_ENDPOINT',
    'ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT', 'ALIBABA_CLOUD_ECS_METADATA', 'ALIBABA_CLOUD_CREDENTIALS_FILE',
)


# The controller-side modules also run inside Ansible's worker process (plugin_utils/_in_process.py): every test of
# theirs runs both ways, and must see the same result.
IN_PROCESS_MODULES = frozenset(('ram_user', 'ram_user_info', 'ram_users', 'ram_access_key', 'ram_access_key_info',
                                'ram_access_keys', 'sts_caller_info', 'actiontrail_event_info'))


@pytest.fixture(params=['as_module', 'in_process'])
def run(request, capsys, monkeypatch):
    for name in CREDENTIAL_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    module_args = dict(getattr(request.module, 'MODULE_ARGS', {}))

    def runner(module, args=None, check=False, diff=None, defaults=True):
        full = dict(module_args) if defaults else {}
        full.update(args or {})
        full['_ansible_check_mode'] = check
        full['_ansible_diff'] = bool(full.get('_ansible_diff')) if diff is None else diff
        name = module.__name__.rsplit('.', 1)[-1]
        if request.param == 'in_process':
            if name not in IN_PROCESS_MODULES:
                pytest.skip('%s always runs as a module' % name)
            args = dict((k, v) for k, v in full.items() if not k.startswith('_ansible_'))
            result = run_here(name, args, check, full['_ansible_diff'], {})
            out = capsys.readouterr().out + json.dumps(result)
            return json.loads(json.dumps(result)), out
        with patch_module_args(full):
            with pytest.raises(SystemExit):
                module.main()
        out = capsys.readouterr().out
        return json.loads(out), out
    return runner
