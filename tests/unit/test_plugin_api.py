# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No file in plugins/ reaches past the API that ansible-core documents for plugin and module authors.

Read from the syntax tree of every ``plugins/**/*.py`` (and, to tell overrides apart, from the classes it defines):

* imports from ``ansible.*`` only of the public modules a plugin may use (``ansible.plugins.action``, ``ansible.errors``,
  ``ansible.constants``, ``ansible.parsing.vault``, ``ansible.template``, ``ansible.module_utils.*``, ...), and never a
  ``_``-prefixed module or name (``_apply_action_arg_defaults``, ``ansible.module_utils._text``, ``ansible._internal``);
* ``_``-prefixed attributes (also through ``getattr``/``hasattr``/``setattr`` with a constant name) only when they are
  the plugin API (``ActionBase``'s ``_execute_module``, ``_task``, ``_templar``, ``_loader``, ``_connection``,
  ``_play_context``, ``_shared_loader_obj``, ...; ``AnsibleModule``'s documented ``_diff``, ``_name``, ``_verbosity``,
  ``_debug``) or our own (assigned or defined by a file in plugins/); ``_parent``, ``_play``, ``_action_groups`` and
  ``_vault`` never are;
* no class of ours overrides, or calls through ``super()``, a ``_``-prefixed member that an ansible-core base class
  defines, unless it is in that API (``AnsibleModule._log_invocation`` or ``_load_params`` are not).

Proof that it bites: on ``plugins/action/secret_store.py`` as it was at commit 13b4c4e (the action that re-ran
ram_access_keys from a ``reconcile:`` dict), the check reports the import of ``_apply_action_arg_defaults``, the import
from ``ansible.executor.module_common``, ``task._parent._play._action_groups`` and ``getattr(self._loader, '_vault')``;
``test_the_check_reports_what_the_old_secret_store_action_did`` runs it on those lines, verbatim.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / 'plugins'
COLLECTION_PACKAGE = 'ansible_collections.aliyun.ram.plugins'

# Public ansible-core modules a plugin may import (and every public module below ansible.module_utils).
ALLOWED_MODULES = frozenset((
    'ansible.constants', 'ansible.errors', 'ansible.parsing.vault', 'ansible.parsing.plugin_docs',
    'ansible.plugins.action', 'ansible.plugins.filter', 'ansible.plugins.lookup', 'ansible.plugins.inventory',
    'ansible.template', 'ansible.utils.display', 'ansible.utils.unsafe_proxy', 'ansible.utils.vars',
))
ALLOWED_FROM_ANSIBLE = frozenset(('constants', 'errors'))
# The documented plugin API that is spelled with a leading underscore.
PLUGIN_API = frozenset((
    # ActionBase: attributes and helpers for action plugin authors
    '_task', '_connection', '_play_context', '_loader', '_templar', '_shared_loader_obj', '_display',
    '_execute_module', '_low_level_execute_command', '_transfer_file', '_transfer_data', '_make_tmp_path',
    '_remove_tmp_path', '_fixup_perms2', '_execute_remote_stat', '_remote_expand_user', '_find_needle',
    '_get_remote_user', '_VALID_ARGS', '_supports_check_mode', '_supports_async', '_requires_connection',
    # AnsibleModule: the internal arguments the module development guide documents as attributes
    '_diff', '_name', '_verbosity', '_debug',
))
# Never the plugin API, whoever defines a name like it.
FORBIDDEN = frozenset(('_parent', '_play', '_action_groups', '_vault', '_apply_action_arg_defaults'))
ATTRIBUTE_FUNCTIONS = ('getattr', 'hasattr', 'setattr', 'delattr')


def _private(name):
    return name.startswith('_') and not (name.startswith('__') and name.endswith('__'))


def _is_ansible(module):
    return module == 'ansible' or module.startswith('ansible.')


def import_problems(tree):
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names if _is_ansible(alias.name)]
            names = []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_ansible(node.module or ''):
            modules, names = [node.module], [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            if any(_private(part) for part in module.split('.')):
                problems.append((node.lineno, 'imports the private module %s' % module))
            elif module != 'ansible' and module not in ALLOWED_MODULES and not module.startswith('ansible.module_utils.'):
                problems.append((node.lineno, 'imports from %s, which is not plugin API' % module))
            elif module == 'ansible' and isinstance(node, ast.Import):
                problems.append((node.lineno, 'imports the ansible package itself'))
        for name in names:
            if _private(name):
                problems.append((node.lineno, 'imports the private name %s from %s' % (name, modules[0])))
            elif modules[0] == 'ansible' and name not in ALLOWED_FROM_ANSIBLE:
                problems.append((node.lineno, 'imports %s from ansible, which is not plugin API' % name))
    return problems


def own_names(tree):
    """The ``_`` names a file defines: functions, classes, class attributes, and attributes it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {name for name in names if _private(name)} - FORBIDDEN


def _accessed(node):
    """(name, line, through super()) of a ``_`` attribute access, or None."""
    if isinstance(node, ast.Attribute) and _private(node.attr):
        through_super = isinstance(node.value, ast.Call) and getattr(node.value.func, 'id', None) == 'super'
        return node.attr, node.lineno, through_super
    if (isinstance(node, ast.Call) and getattr(node.func, 'id', None) in ATTRIBUTE_FUNCTIONS and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str) and _private(node.args[1].value)):
        return node.args[1].value, node.lineno, False
    return None


def attribute_problems(tree, ours):
    problems = []
    for node in ast.walk(tree):
        accessed = _accessed(node)
        if accessed is None:
            continue
        name, line, through_super = accessed
        if name in FORBIDDEN:
            problems.append((line, 'reaches into %s, an ansible-core internal' % name))
        elif through_super and name not in PLUGIN_API:
            problems.append((line, 'calls %s of an ansible-core base class through super()' % name))
        elif name not in PLUGIN_API and name not in ours:
            problems.append((line, 'uses %s, which is neither plugin API nor defined in plugins/' % name))
    return problems


def _import_map(tree):
    """{local name: (module, attribute)} of a file's absolute ``from X import Y`` imports."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def _module_name(path):
    return '.'.join((COLLECTION_PACKAGE,) + path.relative_to(PLUGINS).with_suffix('').parts)


class ClassIndex:
    """The classes that plugins/ defines, and the ansible-core classes they derive from (resolved statically)."""

    def __init__(self, trees):
        self.imports = dict((_module_name(path), _import_map(tree)) for path, tree in trees.items())
        self.classes = {}
        for path, tree in trees.items():
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    self.classes[(_module_name(path), node.name)] = node

    def ansible_bases(self, module, node, seen=()):
        found = []
        for base in node.bases:
            if isinstance(base, ast.Name) and (module, base.id) in self.classes and (module, base.id) not in seen:
                found.extend(self.ansible_bases(module, self.classes[(module, base.id)], seen + ((module, base.id),)))
            elif isinstance(base, ast.Name) and base.id in self.imports.get(module, {}):
                source, name = self.imports[module][base.id]
                if (source, name) in self.classes and (source, name) not in seen:
                    found.extend(self.ansible_bases(source, self.classes[(source, name)], seen + ((source, name),)))
                elif _is_ansible(source):
                    found.append(getattr(importlib.import_module(source), name))
        return found


def _members(node):
    members = set()
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            members.add(item.name)
        elif isinstance(item, (ast.Assign, ast.AnnAssign)):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            members.update(target.id for target in targets if isinstance(target, ast.Name))
    return members


def override_problems(index, module):
    """Members of the classes of ``module`` that override a ``_`` member of an ansible-core base class outside the API."""
    problems = []
    for (owner, name), node in sorted(index.classes.items()):
        if owner != module:
            continue
        bases = index.ansible_bases(module, node)
        for member in sorted(_members(node)):
            if not _private(member) or member in PLUGIN_API:
                continue
            for base in bases:
                definer = next((k for k in base.__mro__ if _is_ansible(k.__module__) and member in vars(k)), None)
                if definer is not None:
                    problems.append((name, 'overrides %s.%s, an ansible-core internal' % (definer.__name__, member)))
                    break
    return problems


def check_source(source, ours=frozenset()):
    tree = ast.parse(source)
    return sorted(import_problems(tree) + attribute_problems(tree, set(ours) | own_names(tree)))


def plugin_files():
    return sorted(path for path in PLUGINS.rglob('*.py') if path.name != '__init__.py')


def test_no_plugin_reaches_past_the_plugin_api():
    trees = dict((path, ast.parse(path.read_text(), str(path))) for path in plugin_files())
    index = ClassIndex(trees)
    ours = set()
    for tree in trees.values():
        ours |= own_names(tree)
    problems = []
    for path, tree in trees.items():
        where = path.relative_to(PLUGINS.parent)
        problems.extend('%s:%s: %s' % (where, line, message)
                        for line, message in sorted(import_problems(tree) + attribute_problems(tree, ours)))
        problems.extend('%s: class %s %s' % (where, name, message) for name, message in override_problems(index, _module_name(path)))
    assert problems == []


# The lines of plugins/action/secret_store.py at commit 13b4c4e that reached past the plugin API, verbatim.
OLD_SECRET_STORE_ACTION = '''
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, is_encrypted, match_encrypt_secret
from ansible.plugins.action import ActionBase

try:  # ansible-core 2.19+
    from ansible.executor.module_common import _apply_action_arg_defaults as apply_module_defaults
    LEGACY_MODULE_DEFAULTS = False
except ImportError:  # ansible-core 2.16-2.18
    from ansible.executor.module_common import get_action_args_with_defaults as apply_module_defaults
    LEGACY_MODULE_DEFAULTS = True


def _with_module_defaults(action, task, args, templar):
    if LEGACY_MODULE_DEFAULTS:
        return apply_module_defaults(action, args, task.module_defaults, templar, action_groups=task._parent._play._action_groups)
    return apply_module_defaults(action, task, args, templar)


class ActionModule(ActionBase):
    def _vault(self, vault_id):
        secrets = list(getattr(getattr(self._loader, '_vault', None), 'secrets', None) or [])
'''


def test_the_check_reports_what_the_old_secret_store_action_did():
    problems = check_source(OLD_SECRET_STORE_ACTION)
    messages = [message for line, message in problems]
    assert 'imports the private name _apply_action_arg_defaults from ansible.executor.module_common' in messages
    assert messages.count('imports from ansible.executor.module_common, which is not plugin API') == 2
    for name in ('_parent', '_play', '_action_groups'):
        assert (17, 'reaches into %s, an ansible-core internal' % name) in problems
    # _vault is also the name of the old action's own method: forbidden all the same
    assert (23, 'reaches into _vault, an ansible-core internal') in problems


@pytest.mark.parametrize('source', [
    'from ansible.plugins.action import ActionBase',
    'from ansible import constants as C',
    'from ansible.module_utils.basic import AnsibleModule',
    'from ansible.parsing.vault import VaultLib, VaultSecret, get_file_vault_secret',
    'self._execute_module(module_args=args, task_vars=task_vars)',
    'self._task.args.get("x")',
    'self._task.check_mode',
    'self._loader.path_dwim(path)',
    'module._diff',
    'self._lock = lock\nself._lock.release()',
    'class A:\n    def _helper(self):\n        pass\n\n    def run(self):\n        self._helper()',
    'from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import AliyunRamModule',
])
def test_plugin_api_is_allowed(source):
    assert check_source(source) == []


@pytest.mark.parametrize('source, message', [
    ('import ansible._internal._templating', 'imports the private module ansible._internal._templating'),
    ('from ansible.module_utils._text import to_text', 'imports the private module ansible.module_utils._text'),
    ('from ansible.executor.task_executor import TaskExecutor', 'imports from ansible.executor.task_executor, which is not plugin API'),
    ('from ansible import context', 'imports context from ansible, which is not plugin API'),
    ('from ansible.template import _trust', 'imports the private name _trust from ansible.template'),
    ('self._task._parent', 'reaches into _parent, an ansible-core internal'),
    ('self._loader._vault.secrets', 'reaches into _vault, an ansible-core internal'),
    ("getattr(self._loader, '_vault', None)", 'reaches into _vault, an ansible-core internal'),
    ('self._task._role', 'uses _role, which is neither plugin API nor defined in plugins/'),
    ('self._cleanup_remote_tmp = False', None),
    ('super()._log_invocation()', 'calls _log_invocation of an ansible-core base class through super()'),
    ("hasattr(module, '_socket_path')", 'uses _socket_path, which is neither plugin API nor defined in plugins/'),
])
def test_past_the_plugin_api_is_reported(source, message):
    problems = [text for line, text in check_source(source)]
    if message is None:
        # assigning an attribute makes it the file's own name; reading an ansible one is caught by the override check
        assert problems == []
    else:
        assert problems == [message]


def test_overriding_an_ansible_internal_is_reported():
    trees = {
        PLUGINS / 'module_utils' / '_fake_base.py': ast.parse(
            'from ansible.module_utils.basic import AnsibleModule\n'
            'class CheckedModule(AnsibleModule):\n'
            '    def _log_invocation(self):\n'
            '        pass\n'),
        PLUGINS / 'action' / 'fake_override.py': ast.parse(
            'from ansible.plugins.action import ActionBase\n'
            'from %s.module_utils._fake_base import CheckedModule\n'
            'class ActionModule(ActionBase):\n'
            '    _supports_check_mode = True\n'
            '    def _configure_module(self, *args, **kwargs):\n'
            '        pass\n'
            '    def _own_helper(self):\n'
            '        pass\n'
            'class RamModule(CheckedModule):\n'
            '    def _load_params(self):\n'
            '        pass\n' % COLLECTION_PACKAGE),
    }
    index = ClassIndex(trees)
    assert override_problems(index, COLLECTION_PACKAGE + '.action.fake_override') == [
        ('ActionModule', 'overrides ActionBase._configure_module, an ansible-core internal'),
        ('RamModule', 'overrides AnsibleModule._load_params, an ansible-core internal'),
    ]
    assert override_problems(index, COLLECTION_PACKAGE + '.module_utils._fake_base') == [
        ('CheckedModule', 'overrides AnsibleModule._log_invocation, an ansible-core internal')]
