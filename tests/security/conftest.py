# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attack suite for aliyun.ram.credential_file (and the credentials role's template path) run as root
against real, freshly created unprivileged users: per route an attacker ``ramatk<hex>`` and a victim
``ramvic<hex>`` (useradd -m), so that the routes' playbooks can run side by side.

The users, their homes and every victim file are removed at the end of the session, whatever failed.
Without root the whole suite is skipped (visibly).

Environment: RAMSEC_PARALLEL (playbooks at a time, default 4), RAMSEC_RACE_ATTEMPTS (default 200),
RAMSEC_RACE_SECONDS (time bound of the race loop, default 90).
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import attack_lib  # noqa: E402  pylint: disable=wrong-import-position


def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason='the attack suite needs root: it creates users and attacks what root writes for them')
        for item in items:
            item.add_marker(skip)


class Lab:
    """Root-owned directories shared by every route, and one attacker/victim pair of users per route (created on
    first use), so that routes can run their playbooks side by side without touching each other's paths."""

    def __init__(self, base, run_dir):
        self.base = base
        self.run_dir = run_dir
        self.hardlink_base = None
        self.users = []
        self.made = [base, run_dir]
        self._worlds = {}

    def world(self, route):
        if route not in self._worlds:
            attacker = attack_lib.create_user('ramatk')
            self.users.append(attacker.name)
            victim = attack_lib.create_user('ramvic')
            self.users.append(victim.name)
            if self.hardlink_base is None:
                if os.stat(self.base).st_dev == os.stat(attacker.home).st_dev:
                    self.hardlink_base = attack_lib.root_dir(os.path.join(self.base, 'hardlink'))
                else:  # a hard link needs its victim on the home's filesystem
                    self.hardlink_base = tempfile.mkdtemp(prefix='ramsec-', dir=os.path.dirname(attacker.home))
                    self.made.append(self.hardlink_base)
                    attack_lib.root_dir(self.hardlink_base)
            self._worlds[route] = attack_lib.World(attacker, victim, self.base, self.hardlink_base, self.run_dir)
        return self._worlds[route]

    def cleanup(self):
        for name in self.users:
            attack_lib.delete_user(name)
        for path in self.made:
            attack_lib.remove_entry(path)


@pytest.fixture(scope='session')
def lab(request):
    attack_lib.ensure_collection_link()
    base = tempfile.mkdtemp(prefix='ramsec-', dir='/var/tmp')
    run_dir = tempfile.mkdtemp(prefix='ramsec-run-')
    result = Lab(base, run_dir)
    request.addfinalizer(result.cleanup)
    attack_lib.root_dir(base)
    os.chmod(run_dir, 0o700)
    return result


@pytest.fixture(scope='session')
def route_run(request, lab):
    """route -> its RouteRun. The first call runs the playbooks of every route the selected tests use, side by side."""
    cache = {}
    wanted = []
    for item in request.session.items:
        route = getattr(item, 'callspec', None) and item.callspec.params.get('route')
        if route and route in attack_lib.ROUTES and route not in wanted:
            wanted.append(route)
    parallel = int(os.environ.get('RAMSEC_PARALLEL', '4'))

    def get(route):
        if route not in cache:
            batch = [r for r in wanted if r not in cache and r != route] + [route]
            cache.update(attack_lib.run_routes(lab.world, batch, parallel))
        return cache[route]
    return get
