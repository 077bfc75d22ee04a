# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bounded race against parent-directory creation.

Root runs credential_file for the attacker (owner=<attacker>) into a directory that does not exist yet:
~/.aliyun (aliyun_cli default path), ~/.alibabacloud (sdk default paths) or a fresh ~/d<N> (explicit path,
env format), in turn. Meanwhile a process of the attacker (forked, setgid/setuid to him) spins renaming that
directory away as soon as root creates it and putting a symlink to a root-owned victim directory in its
place. Code that creates the directory and then chmods/chowns/writes by path follows the swapped-in link.

The rule (see attack_lib): missing parent directories are created through their parent's directory fd,
mode 0700, owned by the owner, and a symbolic link not owned by root in a root-owned directory is never
followed; so whatever the timing, the victim directory (its entries, owner, mode, content) stays as it was.

The module is executed directly (``python plugins/modules/credential_file.py ARGS.json``, PYTHONPATH set to
the collections directory), not through ansible, so that RAMSEC_RACE_ATTEMPTS (default 200) attempts fit in
RAMSEC_RACE_SECONDS (default 90) seconds.
"""

from __future__ import annotations

import os
import time

import attack_lib
from attack_lib import diff_trees, new_key, remove_entry, reset_home, root_dir, root_file, run_module, tree

ATTEMPTS = int(os.environ.get('RAMSEC_RACE_ATTEMPTS', '200'))
SECONDS = float(os.environ.get('RAMSEC_RACE_SECONDS', '90'))
ATTACKER_SPIN_SECONDS = 10.0
TARGETS = ('aliyun_cli', 'sdk', 'explicit')


def _target(world, target, attempt, key):
    """(directory the module creates, module arguments)."""
    args = {'owner': world.atk.name, 'access_key_id': key[0], 'access_key_secret': key[1]}
    if target == 'aliyun_cli':
        return world.home('.aliyun'), dict(args, format='aliyun_cli', region=attack_lib.REGION)
    if target == 'sdk':
        return world.home('.alibabacloud'), dict(args, format='sdk')
    directory = world.home('d%d' % attempt)
    return directory, dict(args, format='env', path=os.path.join(directory, 'app.env'))


def _fresh_victim(victim):
    remove_entry(victim)
    root_dir(victim)
    root_file(os.path.join(victim, 'shadow'), 'root:$y$j9T$racevictim:19000:0:99999:7:::\n', 0o640)


def test_module_runs_directly(lab):
    """Control for the race harness: the direct execution writes the file for the attacker."""
    world = lab.world('race')
    reset_home(world.atk)
    key = new_key()
    work = lab.run_dir
    rc, result, output = run_module({'format': 'aliyun_cli', 'owner': world.atk.name, 'access_key_id': key[0],
                                     'access_key_secret': key[1], 'region': attack_lib.REGION}, work)
    assert rc == 0 and not result.get('failed'), result.get('msg')
    written = attack_lib.entry_of(world.home('.aliyun/config.json'))
    assert written and written['uid'] == world.atk.uid and written['mode'] == '0600' and key[0].encode() in written['data']
    assert key[1] not in output


def test_parent_directory_race(lab):
    """No attempt may change the victim directory; the secret of each attempt never appears in the output."""
    world = lab.world('race')
    route_dir = world.route_dir('race')
    victim = os.path.join(route_dir, 'victim')
    _fresh_victim(victim)
    clean = tree(victim)
    clean_route = tree(route_dir)
    wins = {target: 0 for target in TARGETS}
    tries = {target: 0 for target in TARGETS}
    swaps = {target: 0 for target in TARGETS}
    module_failures = {target: 0 for target in TARGETS}
    examples = []
    leaks = []
    deadline = time.monotonic() + SECONDS
    attempt = 0
    while attempt < ATTEMPTS and time.monotonic() < deadline:
        target = TARGETS[attempt % len(TARGETS)]
        key = new_key()
        reset_home(world.atk)
        directory, args = _target(world, target, attempt, key)
        pid = attack_lib.start_attacker(world.atk, directory, victim, ATTACKER_SPIN_SECONDS)
        try:
            rc, result, output = run_module(args, lab.run_dir)
        finally:
            attacker_code = attack_lib.stop_attacker(pid)
        tries[target] += 1
        swaps[target] += attacker_code == 0
        module_failures[target] += bool(rc or result.get('failed'))
        if key[1] in output:
            leaks.append(attempt)
        after = tree(victim)
        after_route = tree(route_dir)
        if after != clean or after_route != clean_route:
            wins[target] += 1
            if len(examples) < 3:
                examples.append('attempt %d (%s): %s' % (attempt, target, '; '.join(
                    diff_trees(clean_route, after_route, route_dir)[:4])))
            _fresh_victim(victim)
            clean = tree(victim)
            clean_route = tree(route_dir)
        attempt += 1
    reset_home(world.atk)
    summary = ', '.join('%s: %d/%d won (%d swaps, module failed %d)' % (t, wins[t], tries[t], swaps[t], module_failures[t])
                        for t in TARGETS)
    print('race: %d attempts; %s' % (attempt, summary))
    assert not leaks, 'the secret appeared in the output of attempts %s' % leaks[:10]
    assert sum(wins.values()) == 0, 'the attacker won %d of %d attempts: %s\n  %s' % (
        sum(wins.values()), attempt, summary, '\n  '.join(examples))
    assert attempt >= min(ATTEMPTS, 50), 'only %d attempts in %.0f s' % (attempt, SECONDS)
