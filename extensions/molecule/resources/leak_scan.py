# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scan whole files and directory trees for secrets: leak_scan.py PATH... < secrets.json (a JSON list of strings).

Prints {"scanned": N, "secrets": M, "leaks": [{"path": ..., "count": ...}]} and never a secret; exits 1 when any
file holds one, 2 when there is nothing to scan or no secret to look for (a scan of nothing proves nothing).
The scan itself is tests/support/leaks.py's.
"""

from __future__ import annotations

import json
import os
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
sys.path.insert(0, REPO_ROOT)

from tests.support.leaks import LeakGuard, files_under  # noqa: E402  pylint: disable=wrong-import-position


def main(argv):
    guard = LeakGuard().add(*json.load(sys.stdin))
    secrets = guard.secrets()
    leaks, scanned = [], 0
    for path in files_under(*argv):
        scanned += 1
        with open(path, 'rb') as handle:
            count = guard.leaks_in_text(handle.read(), secrets)
        if count:
            leaks.append({'path': path, 'count': count})
    print(json.dumps({'scanned': scanned, 'secrets': len(secrets), 'leaks': leaks}))
    if not scanned or not secrets:
        return 2
    return 1 if leaks else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
