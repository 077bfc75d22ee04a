# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every redirect route against every format, through real ansible-playbook runs as root (-c local).

The rule (see attack_lib): a symbolic link is followed only when the link is owned by root and the directory
holding it is owned by root (system layout such as /bin -> usr/bin, /etc/alternatives). Any other link
anywhere in the path, including the file itself, stops the module before any change, with an error naming
the link and its owner. Ownership along the path may pass from root to one user (the file's owner-to-be),
never from one user to another or from a user back to root; directories writable by group or others are
refused unless sticky (like /tmp). An existing file must be a regular file with one link (no hard links)
owned by root or the owner-to-be. Missing parent directories are created through their parent's directory
fd, mode 0700, owned by the owner; if the write then fails they are removed again. The credentials role's
template:/dest: entries are written through credential_file and follow the same rule.

Formats: aliyun_cli, sdk, ossutil, ossfs, env, and ``template`` (the role's template path, applied with
include_role). Routes, one playbook each holding every format as a task (ignore_errors / rescue):

- r1: the file is the attacker's symlink to a root-owned 0640 file;
- r2: the file is a dangling symlink to a missing path (and missing parent) in a root-owned directory;
- r3: a parent directory is a symlink (~/.aliyun, ~/.alibabacloud, ~/conf-FORMAT -> root-owned directory;
  ~/vicdir -> the victim user's ~/.aliyun);
- r4: the file is a symlink to the victim user's own credential file;
- r5: state=absent through a symlinked file and through a symlinked parent directory;
- r6: the file is a hard link (nlink 2) to a root-owned file, and to the victim user's file;
- r7: no owner option, the file is a symlink to a root-owned file.

The verdict is the filesystem: every victim (content, owner, group, mode, inode, link count, and every entry
under a victim directory) and the attacker's home must be exactly as before. That the module failed and named
the link is checked separately (secondary). The controls must succeed, so refusing everything cannot pass.
"""

from __future__ import annotations

import os

import pytest

import attack_lib
from attack_lib import ROUTES, build_cases, diff_trees, dummy_world, outside, owned_by, subtree

CASES = {route: build_cases(dummy_world(), route) for route in ROUTES}
ATTACK_ROUTES = [route for route in ROUTES if route != 'controls']
ATTACKS = [(route, case.id) for route in ROUTES for case in CASES[route] if case.expect == 'refused']
CONTROLS = [(route, case.id) for route in ROUTES for case in CASES[route] if case.expect == 'allowed']


def _case(run, case_id):
    return next(case for case in run.cases if case.id == case_id)


def _result(run, case):
    result = run.results.get(case.id)
    assert result is not None and not result.get('missing'), (
        'the task for %s did not run (playbook rc %s); end of output:\n%s' % (case.id, run.returncode, run.output[-3000:]))
    return result


@pytest.mark.parametrize('route', ROUTES)
def test_playbook_completed(route_run, route):
    """Guard: the playbook ran every case (a broken playbook must not look like 'nothing changed')."""
    run = route_run(route)
    assert run.returncode == 0, 'ansible-playbook rc %s:\n%s' % (run.returncode, run.output[-4000:])
    missing = [case.id for case in run.cases if case.id not in run.results or run.results[case.id].get('missing')]
    assert not missing, 'no result for %s' % missing


@pytest.mark.parametrize('route,case_id', ATTACKS, ids=[case_id for route, case_id in ATTACKS])
def test_attack_changes_nothing(route_run, route, case_id):
    """Victims identical (bytes, owner, group, mode, inode, nlink, entries below), attacker's paths untouched."""
    run = route_run(route)
    world = run.world
    case = _case(run, case_id)
    _result(run, case)
    problems = []
    for victim in case.victims:
        problems += ['victim changed: ' + line for line in
                     diff_trees(run.before['victims'][victim], run.after['victims'][victim], victim)]
    problems += ["attacker's path changed: " + line for line in
                 diff_trees(subtree(run.before['home'], case.areas), subtree(run.after['home'], case.areas), world.atk.home)]
    for rel, entry in sorted(run.after['home'].items()):
        if entry == run.before['home'].get(rel):
            continue  # e.g. the hard link itself, untouched: it is the victim's inode, not a copy
        if entry and 'data' in entry and any(mark.encode() in entry['data'] for mark in case.markers):
            problems.append("victim's content copied into the attacker's home: %s" % os.path.join(world.atk.home, rel))
    assert not problems, '%s (%d problems):\n  %s' % (case.id, len(problems), '\n  '.join(problems))


@pytest.mark.parametrize('route,case_id', ATTACKS, ids=[case_id for route, case_id in ATTACKS])
def test_attack_is_refused(route_run, route, case_id):
    """Secondary: the task failed, and the message names the link (the role's file tasks are not no_log: the
    module masks the secret itself, so the operator sees why a file was refused)."""
    run = route_run(route)
    case = _case(run, case_id)
    result = _result(run, case)
    assert result.get('failed') is True, '%s was not refused: %s' % (case.id, {k: v for k, v in result.items() if k != 'diff'})
    assert case.link in result.get('msg', ''), '%s: the error does not name %s: %r' % (case.id, case.link, result.get('msg'))


@pytest.mark.parametrize('route', ATTACK_ROUTES)
def test_no_stray_changes(route_run, route):
    """Nothing anywhere else: the route's victim area, the victim user's home, the attacker's home outside the
    paths the cases use; and the attacker owns nothing new outside his home."""
    run = route_run(route)
    world = run.world
    areas = sorted({name for case in run.cases for name in case.areas})
    problems = []
    for key, label in (('route_dir', os.path.join(world.base, route)),
                       ('hardlink_dir', os.path.join(world.hardlink_base, route)),
                       ('vic_home', world.vic.home)):
        problems += diff_trees(run.before[key], run.after[key], label)
        gained = sorted(set(owned_by(run.after[key], world.atk.uid)) - set(owned_by(run.before[key], world.atk.uid)))
        problems += ['now owned by the attacker: %s' % os.path.join(label, rel) for rel in gained]
    problems += diff_trees(outside(run.before['home'], areas), outside(run.after['home'], areas), world.atk.home)
    assert not problems, '%s:\n  %s' % (route, '\n  '.join(problems))


@pytest.mark.parametrize('route', ROUTES)
def test_secret_not_in_output(route_run, route):
    """Neither the run's unique secret nor the victim user's secret appears in stdout/stderr (-vvv --diff)."""
    run = route_run(route)
    leaked = [index for index, secret in enumerate(run.secrets) if secret in run.output]
    assert not leaked, 'secret(s) %s (0: the run, 1: the victim user) in the output of %s' % (leaked, route)


def _after_entry(run, path):
    world = run.world
    for key, root in (('home', world.atk.home), ('route_dir', os.path.join(world.base, run.route))):
        if path == root or path.startswith(root + '/'):
            return run.after[key].get(os.path.relpath(path, root))
    raise AssertionError('%s is outside the snapshots' % path)


@pytest.mark.parametrize('route,case_id', CONTROLS, ids=[case_id for route, case_id in CONTROLS])
def test_control_succeeds(route_run, route, case_id):
    """Positive controls: written, owned as asked, mode 0600, holds the key id; parents 0700 owned by the owner."""
    run = route_run(route)
    world = run.world
    case = _case(run, case_id)
    result = _result(run, case)
    assert not result.get('failed'), '%s failed: %r' % (case.id, result.get('msg'))
    problems = []
    for path, uid, mode in case.expect_files:
        entry = _after_entry(run, path)
        if entry is None or entry['type'] != 'file':
            problems.append('%s: %s, expected a file' % (path, entry and entry['type']))
            continue
        if (entry['uid'], entry['mode']) != (uid, mode):
            problems.append('%s: uid %d mode %s, expected uid %d mode %s' % (path, entry['uid'], entry['mode'], uid, mode))
        if entry['nlink'] != 1:
            problems.append('%s: %d links' % (path, entry['nlink']))
        if run.key_id.encode() not in entry['data']:
            problems.append('%s: the key id is not in the file' % path)
    for path, uid, mode in case.expect_dirs:
        entry = _after_entry(run, path)
        if entry is None or (entry['type'], entry['uid'], entry['mode']) != ('dir', uid, mode):
            problems.append('%s: %s, expected a directory uid %d mode %s' % (path, entry, uid, mode))
    for rel, entry in subtree(run.after['home'], case.areas).items():
        if rel.endswith('.tmp'):
            problems.append('temporary file left: %s' % rel)
        if entry and entry['uid'] != world.atk.uid:
            problems.append("%s in the attacker's home is owned by uid %d" % (rel, entry['uid']))
    assert not problems, '%s:\n  %s' % (case.id, '\n  '.join(problems))


def test_controls_touch_nothing_else(route_run):
    """The controls change the attacker's home only where they write, and the victim user's home not at all."""
    run = route_run('controls')
    world = run.world
    areas = sorted({name for case in run.cases for name in case.areas})
    problems = diff_trees(outside(run.before['home'], areas), outside(run.after['home'], areas), world.atk.home)
    problems += diff_trees(run.before['vic_home'], run.after['vic_home'], world.vic.home)
    assert not problems, '\n'.join(problems)


def test_every_format_is_attacked_on_every_route():
    """The table is complete: each route has a refused case for each format, and each format has controls."""
    for route in ATTACK_ROUTES:
        assert {case.fmt for case in CASES[route]} == set(attack_lib.FORMATS), route
    assert {case.fmt for case in CASES['controls']} == set(attack_lib.FORMATS)
