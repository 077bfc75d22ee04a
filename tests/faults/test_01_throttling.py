# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""100 users provisioned while the service throttles 30% and fails 5% of all calls.

The controller side of the provision role is exactly two module invocations: ram_users for every
user, then ram_access_keys with the keys the hosts hold. Those two tasks run here directly on
localhost, as the role runs them (delegate_to localhost, run_once): local pseudo-hosts would add a
hundred per-host task runs that never call the API, and nothing the faults could break.

max_retries is 10, not the default 5: each call independently fails with p = 0.3 + 0.7 * 0.05 = 0.335,
so after 6 attempts 0.335**6 = 0.0014 of the ~500 calls would still fail (an expected 0.7 failed
user per run). After 11 attempts that is 6e-6 per call, 0.003 per run.
"""

from __future__ import annotations

from tests.support.playbook import user_keys
from tests.support.faults import failure_text
from tests.support.faults import provision_tasks as shared_provision_tasks

USERS = ['flt-user-%03d' % i for i in range(100)]
FAULTS = {'throttle_rate': 0.3, 'error_rate': 0.05}
RETRIES = 10


def provision_tasks(held=None):
    return shared_provision_tasks(USERS, RETRIES, held)


def test_provision_100_users_under_throttling_and_5xx(ansible, emu):
    emu.set_faults(**FAULTS)
    cold = ansible.tasks('throttled-cold', provision_tasks())
    emu.clear_faults()
    assert cold.returncode == 0, failure_text(cold, emu)
    users, keys = cold.results['users'], cold.results['keys']
    for result in (users, keys):
        assert not result.get('failed'), (result.get('msg'), result.get('errors'))
    assert users['summary']['created'] == 100 and users['summary']['failed'] == 0
    assert keys['created_count'] == 100
    # the faults were met and survived: both modules retried
    assert users['retries'] > 0 and keys['retries'] > 0

    state = emu.state()
    assert set(USERS) <= set(state['users'])
    for name in USERS:
        assert state['users'][name]['policies'].keys() == {'System:AliyunOSSReadOnlyAccess'}
    # each user exactly one key, and it is the key the result reports (no duplicate, no orphan)
    held_by_ram = user_keys(state)
    reported = {name: keys['access_keys'][name]['access_key_id'] for name in USERS}
    assert {name: held_by_ram.get(name) for name in USERS} == {name: [key_id] for name, key_id in reported.items()}
    assert all(keys['access_keys'][name]['access_key_secret'] for name in USERS)

    # Converged under the same faults, with the keys now held: no write at all, every key kept
    held = [{'user_name': name, 'access_key_id': keys['access_keys'][name]['access_key_id'],
             'access_key_secret': keys['access_keys'][name]['access_key_secret'], 'host': 'h-%s' % name}
            for name in USERS]
    emu.reset_counters()
    emu.set_faults(**FAULTS)
    again = ansible.tasks('throttled-converged', provision_tasks('{{ held_keys }}'), extra_vars={'held_keys': held})
    emu.clear_faults()
    assert again.returncode == 0, failure_text(again, emu)
    for result in ('users', 'keys'):
        assert not again.results[result].get('failed'), (again.results[result].get('msg'), again.results[result].get('errors'))
    assert again.results['users']['summary']['unchanged'] == 100
    assert again.results['keys']['created_count'] == 0
    assert again.results['users']['retries'] + again.results['keys']['retries'] > 0
    counters = emu.counters()
    assert counters['writes'] == 0, counters['actions']
    assert user_keys(emu.state()) == held_by_ram
