# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Run a RAM/STS module of this collection inside Ansible's worker process when its task runs on the controller.

The RAM/STS modules run on the controller (``delegate_to: localhost``). Run as modules, every task pays for a new
Python interpreter, ``ansible.module_utils.basic`` and the collection's module_utils compiled from the AnsiballZ zip
(which has no bytecode cache), on top of building that zip: about 0.3 s a task on a 2-core machine, half of what a
task costs (``benchmarks/README.md``, "Per-invocation cost"). Run here, the same ``main()`` of the module hands its
argument spec and handler to ``run_here``, which validates the arguments as AnsibleModule does (the same
``ArgumentSpecValidator``, env fallbacks, ``no_log`` values masked in the result, control characters refused) and runs
the handler in this process. The loop items of one task share the process, so the SDK is imported once per task and
its pooled connections are reused.

The module runs as a module, exactly as before, whenever this process is not where it would have run: a connection
other than ``local`` (``delegate_to`` a bastion), ``become``, an ``ansible_python_interpreter`` other than the one
running Ansible (other than ``auto`` discovery), the SDK not importable here, or ``aliyun_ram_in_process: false``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import control_character_problem, no_log_values
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import missing_sdk
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import scrub

# AnsibleModule's keyword arguments that constrain the options; everything else it takes is not used by this collection.
VALIDATOR_KEYWORDS = ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by')
IN_PROCESS_VARIABLE = 'aliyun_ram_in_process'


class ControllerRamTask(_ram_module.RamTask):
    """The ``module`` a handler gets when it runs in this process: validated params, check and diff mode."""

    def __init__(self, params, argument_spec, services, check_mode, diff):
        self.params = params
        self.argument_spec = argument_spec
        self.check_mode = check_mode
        self._diff = diff
        self._init_ram_task(services)


@contextlib.contextmanager
def task_environment(environment):
    """The task's ``environment:`` in os.environ while the module runs, as the module's own process would have it."""
    saved = dict((name, os.environ.get(name)) for name in environment)
    os.environ.update((name, str(value)) for name, value in environment.items())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_handler(args, check_mode, diff, handler, argument_spec, services=('ram',), multiline_options=(),
                supports_check_mode=False, **module_kwargs):
    """The task result of ``handler`` run with ``args``: what the module would have returned, as a dict."""
    spec = _ram_module.auth_argument_spec()
    spec.update(argument_spec)
    validator = ModuleArgumentSpecValidator(spec, **dict((k, v) for k, v in module_kwargs.items() if k in VALIDATOR_KEYWORDS))
    validation = validator.validate(args)
    params = validation.validated_parameters
    secrets = no_log_values(spec, params)
    if validation.error_messages:
        return remove_values(dict(failed=True, msg=validation.errors.msg), secrets)
    if check_mode and not supports_check_mode:
        return dict(skipped=True, msg='remote module does not support check mode')
    problem = control_character_problem(spec, params, multiline_options)
    if problem:
        return dict(failed=True, msg=problem)
    task = ControllerRamTask(params, spec, services, check_mode, diff)
    try:
        failed, result, warnings = task.outcome(handler)
    except Exception as err:  # pylint: disable=broad-except
        # What a module's crash would show, without a traceback whose frames could hold a secret.
        known = list(secrets) + task._secrets()  # pylint: disable=protected-access
        failed, result, warnings = True, dict(msg=scrub('%s: %s' % (type(err).__name__, err), known)), []
    if failed:
        result['failed'] = True
    result.setdefault('changed', False)
    if warnings:
        result['warnings'] = warnings
    result['invocation'] = dict(module_args=params)
    return remove_values(result, secrets)


def task_environment_of(action):
    """The task's ``environment:`` keyword, templated and merged as Ansible does for a module's process."""
    environment = {}
    environments = action._task.environment or []  # pylint: disable=protected-access
    for entry in environments if isinstance(environments, list) else [environments]:
        if entry:
            templated = action._templar.template(entry)  # pylint: disable=protected-access
            if not isinstance(templated, dict):
                raise AnsibleError('environment must be a dictionary, received %s (%s)' % (templated, type(templated)))
            environment.update(templated)
    return environment


def run_here(module_name, args, check_mode, diff, environment):
    """Run the collection's module ``module_name`` in this process; returns its result."""
    module = importlib.import_module('ansible_collections.aliyun.ram.plugins.modules.%s' % module_name)
    outcome = []

    def runner(handler, argument_spec, **kwargs):
        outcome.append(run_handler(args, check_mode, diff, handler, argument_spec, **kwargs))

    with task_environment(environment):
        _ram_module._controller_runner = runner  # pylint: disable=protected-access
        try:
            module.main()
        finally:
            _ram_module._controller_runner = None  # pylint: disable=protected-access
    return outcome[0]


def sdk_import_time_variables(environment):
    """The variables of ``environment`` that the SDK reads once, when it is imported, rather than at each call.

    alibabacloud-credentials reads HOME and its ``ALIBABA_CLOUD_*`` variables into module constants at import, and in
    this process it may have been imported before the task's ``environment:`` applies. The modules' own options read
    their variables at each call (``env_fallback``) and hand the values to the SDK, so those do not count.
    """
    own = set()
    for option in _ram_module.auth_argument_spec().values():
        own.update(option.get('fallback', (None, []))[1])
    return sorted(name for name in environment
                  if name in ('HOME', 'HOMEPATH', 'HOMEDRIVE') or (name.startswith('ALIBABA_CLOUD_') and name not in own))


def why_not_here(action, task_vars, environment):
    """Why the task's module cannot run in this process, or None when it can (see the module docstring)."""
    if not boolean(action._templar.template(task_vars.get(IN_PROCESS_VARIABLE, True)), strict=False):  # pylint: disable=protected-access
        return '%s is false' % IN_PROCESS_VARIABLE
    connection = action._connection  # pylint: disable=protected-access
    if getattr(connection, 'transport', None) != 'local':
        return 'the connection is %s' % getattr(connection, 'transport', None)
    if connection.become:
        return 'become is on'
    task = action._task  # pylint: disable=protected-access
    host_vars = task_vars
    if task.delegate_to:
        host_vars = (task_vars.get('ansible_delegated_vars') or {}).get(task.delegate_to) or {}
    interpreter = action._templar.template(host_vars.get('ansible_python_interpreter'))  # pylint: disable=protected-access
    if interpreter and not str(interpreter).startswith('auto') and not same_python(str(interpreter)):
        return 'ansible_python_interpreter is %s' % interpreter
    variables = sdk_import_time_variables(environment)
    if variables:
        return 'the task environment sets %s' % ', '.join(variables)
    return None


def same_python(interpreter):
    """Whether ``interpreter`` is the Python running Ansible. Paths are compared as written: the interpreters of two
    virtualenvs are links to one binary, yet each has its own packages."""
    return os.path.normpath(interpreter) == os.path.normpath(sys.executable)


def execute(action, module_args, task_vars, check_mode=None):
    """The task's module's result: run in this process when the task runs on this controller, otherwise as a module.

    ``check_mode`` True runs the module in check mode whatever the task's (a plan: what a real run would do)."""
    task = action._task  # pylint: disable=protected-access
    check_mode = bool(task.check_mode) if check_mode is None else bool(check_mode)
    environment = task_environment_of(action)
    reason = why_not_here(action, task_vars, environment)
    if reason is None and missing_sdk(('ram', 'sts'))[0] is not None:
        reason = 'the SDK cannot be imported by the Python running Ansible'
    if reason is None:
        return run_here(task.resolved_action.rsplit('.', 1)[-1], dict(module_args), check_mode, bool(task.diff),
                        environment)
    Display().vvv('%s runs as a module: %s' % (task.resolved_action, reason))
    # _execute_module passes the task's check mode to the module: set it for this one call
    saved = task.check_mode
    task.check_mode = check_mode
    try:
        return action._execute_module(module_args=module_args, task_vars=task_vars)  # pylint: disable=protected-access
    finally:
        task.check_mode = saved


class ControllerModuleAction(ActionBase):
    """The action of a RAM/STS module: ``execute`` it (in this process when it runs on this controller)."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(execute(self, self._task.args, task_vars))
        return result
