# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ram_access_keys with ``secret_store.backend: kms``: runs that share nothing but the (emulated) cloud account.

* Four ansible-playbook runs started together for the same five users, under 20% throttling of every call (RAM, STS
  and KMS) and with the answers of some KMS writes lost after they committed: each user ends with exactly one key,
  every run got that key, the KMS store names it, no claim is left held, and a further run makes no write call.
* The secret_store action with the kms backend lists the entries of named users (ids only) and forgets a user.
* A run killed with SIGKILL right after claiming (before creating any key) and one killed right after creating the
  keys (before storing them): two ansible-playbook runs started at once then finish within the dead run's lease plus a
  bounded wait; each dead claim is taken over by exactly one of them, which deletes the keys the dead run left for that
  user (none in the first case), and no orphan key remains.

The doomed run is a forked process running the same coordination code as the action (module_utils/_kms_store.py)
with the key reconcile of the module called directly; the test's ``on_step`` hook SIGKILLs it at the named step,
so where it dies is deterministic and the product has no kill switch.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time

import pytest

from tests.support import policies
from tests.support.fixtures import fresh
from tests.support.playbook import ensure_collection_link, user_keys

# the collection's own code, from this checkout (the link the playbook runs use as their collections path)
if str(ensure_collection_link()) not in sys.path:
    sys.path.insert(0, str(ensure_collection_link()))
# pylint: disable=wrong-import-position,wrong-import-order
from ansible_collections.aliyun.ram.plugins.module_utils._keys.api import delete_access_key, list_access_keys
from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import reconcile_keys
from ansible_collections.aliyun.ram.plugins.module_utils._kms_store import (
    HELD,
    RELEASED,
    Coordination,
    KmsStore,
    claim_state,
    coordinated_reconcile,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import Auth, Connection, connect

PREFIX = 'it-kms/'
LEASE_SECONDS = 4
RUNS = 4
# ansible-playbook at -vvvv on a shared 2-core machine: start-up and the runs' own work, on top of the lease
RUN_OVERHEAD_SECONDS = 40


@pytest.fixture
def emu(emulator):
    yield fresh(emulator)
    emulator.clear_faults()


def create_users(emu, users):
    from alibabacloud_ram20150501 import models as ram  # pylint: disable=import-outside-toplevel
    client = emu.ram_client('root')
    for user in users:
        client.create_user(ram.CreateUserRequest(user_name=user))


def api_for(emu):
    env = emu.env_for('admin')
    return connect(Auth(env['ALIBABA_CLOUD_ACCESS_KEY_ID'], env['ALIBABA_CLOUD_ACCESS_KEY_SECRET']),
                   Connection(endpoint=env['ALIBABA_CLOUD_RAM_ENDPOINT'], sts_endpoint=env['ALIBABA_CLOUD_STS_ENDPOINT'],
                              kms_endpoint=env['ALIBABA_CLOUD_KMS_ENDPOINT']))


def store_for(emu):
    return KmsStore(api_for(emu), PREFIX, LEASE_SECONDS)


def reconcile_play(users, name='reconcile'):
    return [{'name': name, 'hosts': 'localhost', 'gather_facts': False, 'vars': {'ansible_connection': 'local'},
             'tasks': [{'name': 'One key per user, through the KMS store', 'aliyun.ram.ram_access_keys': {
                 'users': users, 'parallelism': 2, 'max_retries': 10,
                 'secret_store': {'backend': 'kms', 'name_prefix': PREFIX, 'lease_seconds': LEASE_SECONDS}},
                 'register': 'reconciled', 'no_log': True}]}]


def start_runs(ansible_runner, users, count, name):
    return [ansible_runner.start('%s-%d' % (name, index), reconcile_play(users, name)) for index in range(count)]


def assert_one_stored_key_per_user(emu, runs, users):
    """Exactly one key per user, held by every run and named by the store; no claim still held."""
    keys = user_keys(emu.state())
    assert {user: len(keys.get(user, [])) for user in users} == {user: 1 for user in users}, keys
    issued = set(emu.secrets())
    store = store_for(emu)
    for user in users:
        got = set()
        for run in runs:
            key = run.results['reconciled']['access_keys'][user]
            got.add((key['access_key_id'], key['access_key_secret']))
        assert len(got) == 1, 'the runs got different keys for %s' % user
        key_id, secret = got.pop()
        assert [key_id] == keys[user] and secret in issued
        entry = store.read_entry(user)
        assert (entry['access_key_id'], entry['access_key_secret']) == (key_id, secret)
        assert claim_state(store.read_claim(user), time.time()) == RELEASED


def test_concurrent_runs_under_throttling_create_one_key_per_user(emu, runner):
    users = ['kms-conc-%d' % index for index in range(5)]
    create_users(emu, users)
    # and lost answers: the first two CreateSecret calls (claims or entries) and the first PutSecretValue commit,
    # then the connection drops; each writer must recognise its own write (or lose cleanly to another run's)
    emu.set_faults(throttle_rate=0.2, drop_after_commit=[{'action': 'CreateSecret', 'count': 2},
                                                         {'action': 'PutSecretValue', 'count': 1}])
    handles = start_runs(runner, users, RUNS, 'kms-concurrent')
    runs = [runner.finish(handle) for handle in handles]
    assert emu.admin('GET', 'faults')['drop_after_commit'] == []     # every planned answer was lost
    emu.clear_faults()
    for run in runs:
        assert run.returncode == 0 and not run.results['reconciled'].get('failed'), runner.failure_text(run)
    assert_one_stored_key_per_user(emu, runs, users)
    # the runs did race: some waited for another's claim, and throttling made them retry
    reports = [run.results['reconciled']['secret_store'] for run in runs]
    assert any(report['waited_for'] for report in reports) or sum(len(r['added_access_key_ids']) for r in reports) == 5
    assert sum(run.results['reconciled'].get('retries', 0) for run in runs) > 0
    assert sum(len(report['added_access_key_ids']) for report in reports) == len(users)

    emu.reset_counters()
    again = runner.finish(start_runs(runner, users, 1, 'kms-converged')[0])
    assert again.returncode == 0 and again.results['reconciled']['changed'] is False, runner.failure_text(again)
    assert emu.counters()['writes'] == 0, emu.counters()


def doomed_run(env, users, step):
    """A run that SIGKILLs itself at ``step`` of the coordination (in a forked process)."""
    api = connect(Auth(env['ALIBABA_CLOUD_ACCESS_KEY_ID'], env['ALIBABA_CLOUD_ACCESS_KEY_SECRET']),
                  Connection(endpoint=env['ALIBABA_CLOUD_RAM_ENDPOINT'], sts_endpoint=env['ALIBABA_CLOUD_STS_ENDPOINT'],
                             kms_endpoint=env['ALIBABA_CLOUD_KMS_ENDPOINT']))

    def run_module(run_users, held, check_mode):
        options = {'users': list(run_users), 'held': list(held), 'max_age_days': None, 'on_limit': 'fail',
                   'verify': True, 'prove_held_keys': False, 'parallelism': 2, 'operation': 'reconcile',
                   'rotate_users': [], 'rotate_older_than_days': None, 'delete_after_days': None,
                   'compromised': {}}
        return reconcile_keys(api, options, check_mode)

    def die_at(reached, dummy):
        if reached == step:
            os.kill(os.getpid(), signal.SIGKILL)

    world = Coordination(run_module, lambda user: list_access_keys(api, user),
                         lambda user, key_id: delete_access_key(api, user, key_id), on_step=die_at)
    coordinated_reconcile(KmsStore(api, PREFIX, LEASE_SECONDS), world, users, [])
    os._exit(3)  # never reached: the hook killed the process


@pytest.mark.parametrize('step', ['claimed', 'created'])
def test_a_run_killed_after_claiming_is_taken_over_and_leaves_no_orphan(emu, runner, step):
    users = ['kms-dead-%s-%d' % (step, index) for index in range(2)]
    create_users(emu, users)
    process = multiprocessing.get_context('fork').Process(target=doomed_run, args=(emu.env_for('admin'), users, step))
    process.start()
    process.join(120)
    killed_at = time.time()
    assert process.exitcode == -signal.SIGKILL
    store = store_for(emu)
    assert [claim_state(store.read_claim(user), time.time()) for user in users] == [HELD, HELD]
    orphans = sorted(key_id for user in users for key_id in user_keys(emu.state()).get(user, []))
    assert len(orphans) == (2 if step == 'created' else 0)
    assert all(store.read_entry(user) is None for user in users)

    handles = start_runs(runner, users, 2, 'kms-takeover-%s' % step)
    runs = [runner.finish(handle) for handle in handles]
    for run in runs:
        assert run.returncode == 0 and not run.results['reconciled'].get('failed'), runner.failure_text(run)
        assert run.ended - killed_at < LEASE_SECONDS + RUN_OVERHEAD_SECONDS, run
    reports = [run.results['reconciled']['secret_store'] for run in runs]
    # each dead claim is taken over by exactly one run (the runs may split the users between them), and each key
    # the dead run left is deleted exactly once
    taken_over = sorted(taken['user_name'] for report in reports for taken in report['claims_taken_over'])
    assert taken_over == users, reports
    assert sorted(key for report in reports for key in report['orphan_access_key_ids_deleted']) == orphans, reports
    assert_one_stored_key_per_user(emu, runs, users)
    assert not set(orphans) & set(key for keys in user_keys(emu.state()).values() for key in keys)


def controller_with_policy(emu, name, document):
    """A RAM user with exactly ``document`` as its only policy; its key, and the KMS endpoint for the task only."""
    return dict(policies.controller_with_policy(emu, name, document), TEST_KMS_ENDPOINT='http://' + emu.endpoint,
                ALIBABA_CLOUD_KMS_ENDPOINT='')


def lp_play(users):
    play = reconcile_play(users, 'least-privilege')
    # the KMS endpoint from the task's environment: keyword (the runs' own environment has it too: drop it there)
    play[0]['tasks'][0]['environment'] = {'ALIBABA_CLOUD_KMS_ENDPOINT': '{{ kms_endpoint }}'}
    play[0]['vars']['kms_endpoint'] = '{{ lookup("ansible.builtin.env", "TEST_KMS_ENDPOINT") }}'
    play[0]['tasks'][0]['aliyun.ram.ram_access_keys']['secret_store'] = {'backend': 'kms', 'lease_seconds': LEASE_SECONDS}
    return play


def test_the_documented_least_privilege_policy_is_enough_and_one_permission_less_is_not(emu, runner):
    users = ['app-lp-0', 'app-lp-1']
    create_users(emu, users)
    policy = policies.documented_policy()
    env = controller_with_policy(emu, 'kms-controller', policy)
    run = runner.run('kms-least-privilege', lp_play(users), env=env)
    assert run.returncode == 0 and not run.results['reconciled'].get('failed'), runner.failure_text(run)
    keys = user_keys(emu.state())
    assert all(len(keys.get(user, [])) == 1 for user in users), keys
    again = runner.run('kms-least-privilege-again', lp_play(users), env=env)
    assert again.results['reconciled']['changed'] is False, runner.failure_text(again)

    # the same policy without kms:CreateSecret: the claim fails, naming the action, before any key is created
    others = ['app-lp-2']
    create_users(emu, others)
    narrower = dict(policy, Statement=[s for s in policy['Statement'] if s['Action'] != 'kms:CreateSecret'])
    assert len(narrower['Statement']) == len(policy['Statement']) - 1
    env = controller_with_policy(emu, 'kms-controller-narrow', narrower)
    failed = runner.run('kms-missing-permission', lp_play(others), env=env)
    result = failed.results['reconciled']
    assert result.get('failed') and 'CreateSecret failed: Forbidden.NoPermission' in result['msg'], result.get('msg')
    assert 'kms:CreateSecret' in result['msg']
    assert user_keys(emu.state()).get('app-lp-2', []) == []
    assert store_for_prefix(emu, 'aliyun-ram/').read_entry('app-lp-2') is None


def store_for_prefix(emu, prefix):
    return KmsStore(api_for(emu), prefix, LEASE_SECONDS)


def test_the_secret_store_action_lists_and_forgets_kms_entries(emu, runner):
    users = ['kms-list-0', 'kms-list-1']
    create_users(emu, users)
    assert runner.finish(start_runs(runner, users, 1, 'kms-fill')[0]).returncode == 0
    options = {'backend': 'kms', 'name_prefix': PREFIX}
    tasks = [{'name': 'list', 'aliyun.ram.secret_store': {'secret_store': options, 'users': users + ['kms-nobody']},
              'register': 'listed'},
             {'name': 'forget one user', 'aliyun.ram.secret_store': {'secret_store': options, 'remove_users': users[:1]},
              'register': 'forgot'}]
    run = runner.tasks('kms-secret-store-action', tasks)
    assert run.returncode == 0, runner.failure_text(run)
    keys = user_keys(emu.state())
    listed = run.results['listed']['stored']
    assert [(e['user_name'], e['access_key_id']) for e in listed] == [(user, keys[user][0]) for user in users]
    assert all('access_key_secret' not in e for e in listed) and run.results['listed']['changed'] is False
    assert run.results['forgot']['secret_store']['removed_access_key_ids'] == keys[users[0]]
    assert store_for(emu).read_entry(users[0]) is None and store_for(emu).read_entry(users[1]) is not None


def test_bad_input_fails_before_any_call(emu, runner):
    def task(name, users, **store):
        return {'name': name, 'aliyun.ram.ram_access_keys': {'users': users, 'secret_store': dict({'backend': 'kms'}, **store)},
                'register': name.replace(' ', '_'), 'no_log': True}

    tasks = [task('bad prefix', ['u1'], name_prefix='has space'),
             task('short lease', ['u1'], lease_seconds=0),
             task('bad user', ['no/slash']),
             task('bad endpoint', ['u1'], kms_endpoint='ftp://127.0.0.1:1'),
             dict(task('bad held', ['u1']), **{'aliyun.ram.ram_access_keys': {
                 'users': ['u1'], 'held': [{'user_name': 'u1', 'access_key_id': 'bad id\n', 'access_key_secret': 'x' * 30}],
                 'secret_store': {'backend': 'kms'}}})]
    emu.reset_counters()
    run = runner.tasks('kms-bad-input', tasks)
    names = ('bad_prefix', 'short_lease', 'bad_user', 'bad_endpoint', 'bad_held')
    messages = dict((name, run.results[name].get('msg', '')) for name in names)
    assert all(run.results[name].get('failed') for name in messages), messages
    assert 'name_prefix may contain only' in messages['bad_prefix']
    assert 'lease_seconds must be 1 or more' in messages['short_lease']
    assert 'users' in messages['bad_user'] and 'no/slash' in messages['bad_user']
    assert "kms_endpoint: unsupported scheme 'ftp'" in messages['bad_endpoint']
    assert 'held[0].access_key_id' in messages['bad_held']
    counters = emu.counters()
    assert counters['reads'] == 0 and counters['writes'] == 0, counters
