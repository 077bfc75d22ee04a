# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run consumer cases on a test host, each as its user with nothing in its environment but what it lists.

Stdlib only; runs as root with the host's /usr/bin/python3, so that one task runs every case (in parallel)
instead of one remote round trip per case. Reads a JSON list from stdin:

    [{"name": "...", "user": "app", "argv": [...], "env": {...}, "shell": "optional bash before argv"}]

Each case runs as `bash -c 'set -e; SHELL; exec ARGV'` under the user's uid, gid and groups, with env plus
PATH=/usr/bin:/bin and HOME (the user's home unless env sets it), in HOME or / as working directory.
Prints {"NAME": {"rc": N, "output": <stdout parsed as JSON, or null>, "stderr": "<tail>"}}.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pwd
import subprocess
import sys


def run_case(case):
    user = pwd.getpwnam(case['user'])
    env = {'PATH': '/usr/bin:/bin', 'HOME': user.pw_dir}
    env.update(case.get('env') or {})
    argv = ['/bin/bash', '-c', 'set -e\n%s\nexec "$@"' % case.get('shell', ''), 'bash'] + list(case['argv'])
    proc = subprocess.run(argv, env=env, cwd=env['HOME'] if os.path.isdir(env['HOME']) else '/',
                          user=user.pw_uid, group=user.pw_gid, extra_groups=os.getgrouplist(user.pw_name, user.pw_gid),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        output = None
    return {'rc': proc.returncode, 'output': output, 'stderr': proc.stderr[-2000:]}


def main():
    cases = json.load(sys.stdin)
    names = [case['name'] for case in cases]
    if len(set(names)) != len(names):
        raise SystemExit('case names must be unique')
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(names, pool.map(run_case, cases)))
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
