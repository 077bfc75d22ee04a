# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make `ansible_collections.aliyun.ram` importable when pytest runs from a plain checkout.

ansible-test runs from .../ansible_collections/aliyun/ram and needs nothing; plain pytest from a
checkout gets a git-ignored symlink tree under .cache/collections (the layout the README describes).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def _collections_dir():
    if COLLECTION_ROOT.parts[-3:] == ('ansible_collections', 'aliyun', 'ram'):
        return COLLECTION_ROOT.parents[2]
    collections = COLLECTION_ROOT / '.cache' / 'collections'
    link = collections / 'ansible_collections' / 'aliyun' / 'ram'
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(COLLECTION_ROOT, target_is_directory=True)
        except FileExistsError:  # another xdist worker made it first
            pass
    return collections


_COLLECTIONS = str(_collections_dir())
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
os.environ.setdefault('ANSIBLE_COLLECTIONS_PATH', _COLLECTIONS)
