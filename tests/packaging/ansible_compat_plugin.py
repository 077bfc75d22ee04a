# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest plugin for the oldest supported ansible-core (scripts/matrix.sh loads it with -p).

The unit tests use ``ansible.module_utils.testing.patch_module_args``, which ansible-core 2.19 added. On older
cores this provides the same context manager the way earlier collections did it: by patching the serialized
module arguments that AnsibleModule reads.
"""

from __future__ import annotations

import contextlib
import json
import sys
import types
from unittest import mock


@contextlib.contextmanager
def patch_module_args(args=None):
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    serialized = json.dumps({'ANSIBLE_MODULE_ARGS': dict(args or {})}).encode('utf-8')
    with mock.patch.object(basic, '_ANSIBLE_ARGS', serialized):
        yield


def _install():
    try:
        import ansible.module_utils.testing  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        module = types.ModuleType('ansible.module_utils.testing')
        module.patch_module_args = patch_module_args
        sys.modules['ansible.module_utils.testing'] = module


_install()
