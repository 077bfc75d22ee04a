# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The aliyun.ram.access_keys event source: its decisions from listed keys, ActionTrail events and the time, the CIDR
checks, the memory of what was emitted (and its state file), the options, one poll on a fake account, and main()."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import runpy
import stat
from pathlib import Path

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _ram_module
from ansible_collections.aliyun.ram.plugins.module_utils._key_watch import (
    KEY_TOO_OLD,
    KEY_UNUSED,
    KEY_USED_FROM_UNEXPECTED_SOURCE,
    ROOT_KEY_USED,
    Memory,
    Watcher,
    fingerprint,
    is_expected_source,
    key_findings,
    parse_networks,
    trail_findings,
    watch_options,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import FakeRam, Sleeper, api_error

UTC = datetime.timezone.utc
# the real time: main() polls with the real clock, and the fake account's dates are relative to this
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
SOURCE = Path(__file__).resolve().parents[4] / 'extensions' / 'eda' / 'plugins' / 'event_source' / 'access_keys.py'
CALLER = {'access_key': 'LTAIwatcher', 'secret_key': 'watcher-secret-value-1'}


def ago(**delta):
    return (NOW - datetime.timedelta(**delta)).strftime('%Y-%m-%dT%H:%M:%SZ')


def key(key_id, days_old, status='Active', last_used=None):
    return {'access_key_id': key_id, 'status': status, 'create_date': ago(days=days_old), 'last_used_date': last_used}


def types(findings):
    return sorted((f['type'], f['access_key_id']) for f in findings)


# ---------------------------------------------------------------- key decisions

def test_old_keys_are_too_old_once_past_the_limit_and_only_when_active():
    users = [{'user_name': 'app', 'access_keys': [key('K90', 90), key('K91', 91), key('KOLD', 400, status='Inactive')]}]
    found = key_findings(users, NOW, max_age_days=90, unused_days=0)
    assert types(found) == [(KEY_TOO_OLD, 'K91')]
    assert found[0]['user_name'] == 'app' and found[0]['age_days'] == 91 and found[0]['last_used_date'] is None
    assert found[0]['create_date'] == ago(days=91) and 'K91' in found[0]['reason'] and '91 days old' in found[0]['reason']
    assert key_findings(users, NOW, max_age_days=0, unused_days=0) == []


def test_unused_keys_never_used_or_last_used_long_ago():
    users = [{'user_name': 'app', 'access_keys': [
        key('KNEVER', 120), key('KSTALE', 200, last_used=ago(days=95)), key('KUSED', 200, last_used=ago(days=3)),
        key('KYOUNG', 10), key('KOFF', 300, status='Inactive')]}]
    found = key_findings(users, NOW, max_age_days=0, unused_days=90)
    assert types(found) == [(KEY_UNUSED, 'KNEVER'), (KEY_UNUSED, 'KSTALE')]
    stale = [f for f in found if f['access_key_id'] == 'KSTALE'][0]
    assert stale['last_used_date'] == ago(days=95) and 'more than 90 days ago' in stale['reason']
    # RAM reports the last use up to ~2 hours late: ActionTrail's recent use wins
    assert types(key_findings(users, NOW, 0, 90, used_recently={'KNEVER'})) == [(KEY_UNUSED, 'KSTALE')]


def test_a_key_can_be_too_old_and_unused_at_once():
    users = [{'user_name': 'app', 'access_keys': [key('K1', 120)]}]
    assert types(key_findings(users, NOW, 90, 90)) == [(KEY_TOO_OLD, 'K1'), (KEY_UNUSED, 'K1')]


# ---------------------------------------------------------------- CIDRs and ActionTrail decisions

@pytest.mark.parametrize('address, expected', [
    ('10.1.2.3', True), ('10.255.255.255', True), ('11.0.0.1', False), ('192.0.2.7', True), ('192.0.2.8', False),
    ('2001:db8::1', True), ('2001:db9::1', False), ('::ffff:10.0.0.5', True), ('[2001:db8::5]', True),
    ('internal', False), ('', False), (None, False),
])
def test_expected_sources(address, expected):
    networks = parse_networks(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'])
    assert is_expected_source(address, networks) is expected


@pytest.mark.parametrize('cidr', ['10.0.0.0/33', 'not-a-network', '300.1.1.1'])
def test_bad_networks_are_refused(cidr):
    with pytest.raises(ValidationError) as info:
        parse_networks(['10.0.0.0/8', cidr])
    assert repr(cidr) in str(info.value)


def trail_event(key_id, source_ip, identity_type='ram-user', name='ListUsers', user_name='app', minutes=5):
    return {'event_id': 'E-%s-%s' % (key_id, source_ip), 'event_name': name, 'event_time': ago(minutes=minutes),
            'source_ip': source_ip, 'access_key_id': key_id, 'error_code': None,
            'user_identity': {'type': identity_type, 'user_name': user_name, 'access_key_id': key_id}}


def test_unexpected_sources_and_root_use():
    networks = parse_networks(['10.0.0.0/8'])
    # as the poll lists them: with their age
    listed = {'K1': ('app', dict(key('K1', 30, last_used=ago(hours=1)), age_days=30))}
    events = [trail_event('K1', '10.0.0.9'), trail_event('K1', '203.0.113.7'),
              trail_event('STS.session', '203.0.113.8', identity_type='assumed-role'),
              trail_event('KROOT', '10.0.0.1', identity_type='root-account', user_name='root'),
              {'event_name': 'ConsoleSignin', 'access_key_id': None, 'source_ip': '203.0.113.9'}]
    found = trail_findings(events, networks, listed)
    assert types(found) == [(KEY_USED_FROM_UNEXPECTED_SOURCE, 'K1'), (ROOT_KEY_USED, 'KROOT')]
    unexpected = [f for f in found if f['type'] == KEY_USED_FROM_UNEXPECTED_SOURCE][0]
    assert (unexpected['user_name'], unexpected['age_days'], unexpected['last_used_date']) == ('app', 30, ago(hours=1))
    assert (unexpected['event_name'], unexpected['source_ip'], unexpected['event_time']) == ('ListUsers', '203.0.113.7', ago(minutes=5))
    root = [f for f in found if f['type'] == ROOT_KEY_USED][0]
    assert root['user_name'] == 'root' and root['identity_type'] == 'root-account' and root['age_days'] is None
    # without expected networks that check is off; root use is still reported, from any address
    assert types(trail_findings(events, [], listed)) == [(ROOT_KEY_USED, 'KROOT')]
    outside = trail_findings([trail_event('KROOT', '203.0.113.1', identity_type='root-account')], networks)
    assert types(outside) == [(KEY_USED_FROM_UNEXPECTED_SOURCE, 'KROOT'), (ROOT_KEY_USED, 'KROOT')]


# ---------------------------------------------------------------- memory

def test_the_value_that_matters_is_in_the_fingerprint():
    old = {'type': KEY_TOO_OLD, 'access_key_id': 'K1', 'create_date': '2026-01-01T00:00:00Z'}
    assert fingerprint(old) == 'key_too_old|K1|2026-01-01T00:00:00Z'
    assert fingerprint({'type': KEY_UNUSED, 'access_key_id': 'K1', 'last_used_date': None}) == 'key_unused|K1|never'
    assert fingerprint({'type': KEY_USED_FROM_UNEXPECTED_SOURCE, 'access_key_id': 'K1', 'source_ip': '203.0.113.7',
                        'event_id': 'X'}) == fingerprint({'type': KEY_USED_FROM_UNEXPECTED_SOURCE, 'access_key_id': 'K1',
                                                          'source_ip': '203.0.113.7', 'event_id': 'Y'})


def test_one_condition_gives_one_event_until_it_changes():
    memory = Memory()
    unused = {'type': KEY_UNUSED, 'access_key_id': 'K1', 'last_used_date': None}
    twice = [unused, dict(unused)]
    assert memory.new(twice) == [unused]                 # the same condition twice in a poll: one event
    memory.remember(twice, NOW)
    assert memory.new([unused]) == []                    # the next poll: nothing new
    used_then_unused = dict(unused, last_used_date=ago(days=100))
    assert memory.new([used_then_unused]) == [used_then_unused]   # its last use changed: a new event
    # a complete poll without the condition forgets it, so it is reported again when it comes back
    memory.forget(ram_findings=[], window_start=None)
    assert memory.new([unused]) == [unused]
    memory.remember([unused], NOW)
    memory.forget(ram_findings=None, window_start=None)  # an incomplete poll forgets nothing
    assert memory.new([unused]) == []


def test_actiontrail_conditions_are_forgotten_once_out_of_the_window():
    memory = Memory()
    seen = {'type': KEY_USED_FROM_UNEXPECTED_SOURCE, 'access_key_id': 'K1', 'source_ip': '203.0.113.7',
            'event_time': ago(hours=2)}
    memory.remember([seen], NOW)
    memory.forget(ram_findings=[], window_start=NOW - datetime.timedelta(hours=3))
    assert memory.new([seen]) == []
    later = dict(seen, event_time=ago(minutes=1))
    memory.remember([later], NOW)                        # a newer event of the same condition keeps it
    memory.forget(ram_findings=[], window_start=NOW - datetime.timedelta(hours=1))
    assert memory.new([later]) == []
    memory.forget(ram_findings=[], window_start=NOW + datetime.timedelta(hours=1))
    assert memory.new([later]) == [later]


def test_the_state_file_is_0600_atomic_and_survives_a_restart(tmp_path):
    path = str(tmp_path / 'state.json')
    old = {'type': KEY_TOO_OLD, 'access_key_id': 'K1', 'create_date': '2026-01-01T00:00:00Z'}
    memory = Memory(path).load()
    memory.remember([old], NOW)
    memory.save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ['state.json']      # no temporary file left behind
    assert Memory(path).load().new([old]) == []
    os.chmod(path, 0o644)
    Memory(path).load().save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600              # replaced, not written through
    (tmp_path / 'other.json').write_text('{"emitted": []}')
    with pytest.raises(ValidationError) as info:
        Memory(str(tmp_path / 'other.json')).load()
    assert 'not a state file' in str(info.value)


# ---------------------------------------------------------------- options

@pytest.fixture
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith(('ALIBABA_CLOUD_', 'ALICLOUD_')):
            monkeypatch.delenv(name)
    return monkeypatch


def test_options_have_the_modules_environment_and_types(clean_environment):
    clean_environment.setenv('ALIBABA_CLOUD_ACCESS_KEY_ID', 'LTAIfromenv')
    clean_environment.setenv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'env-secret-value-1')
    clean_environment.setenv('ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT', '127.0.0.1:9000')
    params, dummy = watch_options({'max_age_days': '30', 'once': 'yes', 'interval': 5, 'eda_feedback_queue': object()})
    assert (params['access_key'], params['secret_key'], params['actiontrail_endpoint']) == \
        ('LTAIfromenv', 'env-secret-value-1', '127.0.0.1:9000')
    assert params['max_age_days'] == 30 and params['once'] is True and params['unused_days'] == 90
    assert params['networks'] == [] and params['lookback_hours'] == 3.0


@pytest.mark.parametrize('args, message', [
    ({'max_age_dayz': 3}, 'max_age_dayz'),
    ({'interval': 0}, 'interval must be more than 0'),
    ({'unused_days': -1}, 'unused_days must be 0 (off) or more'),
    ({'expected_source_cidrs': ['10.0.0.0/40']}, 'expected_source_cidrs'),
    ({'parallelism': 99}, 'parallelism must be between 1 and 32'),
    ({'user_names': ['a b']}, 'user_names'),
])
def test_bad_options_are_refused_without_their_secrets(clean_environment, args, message):
    with pytest.raises(ValidationError) as info:
        watch_options(dict(args, secret_key='never-shown-secret', access_key='LTAIx'))
    assert message in str(info.value) and 'never-shown-secret' not in str(info.value)


# ---------------------------------------------------------------- a poll on a fake account

@pytest.fixture
def account(monkeypatch, clean_environment):
    fake = FakeRam()

    def fake_connect(auth, connection, policy=None):
        fake.connection = connection
        return RamApi(fake, RetryPolicy(max_retries=policy.max_retries, sleep=Sleeper()), secrets=auth.secrets())

    monkeypatch.setattr(_ram_module, 'connect', fake_connect)
    fake.add_user('app')
    fake.add_key('app', 'KOLD', create_date=ago(days=120))
    fake.last_used['KOLD'] = ago(days=1)
    fake.add_user('batch')
    fake.add_key('batch', 'KIDLE', create_date=ago(days=95))
    fake.add_key('batch', 'KOFF', status='Inactive', create_date=ago(days=300))
    fake.add_event('KIDLE', ago(minutes=30), source_ip='203.0.113.7', user_name='batch')
    fake.add_event('KROOT', ago(minutes=20), source_ip='10.0.0.1', identity_type='root-account', user_name='root')
    return fake


def watcher(**args):
    """KOLD (120 days) is too old; KIDLE (95 days, never used by RAM's account) is unused unless ActionTrail shows it."""
    return Watcher(dict(CALLER, expected_source_cidrs=['10.0.0.0/8'], max_age_days=100, **args), clock=lambda: NOW)


def test_a_poll_reads_ram_and_actiontrail_and_finds_each_condition(account):
    result = watcher().poll()
    assert types(result.findings) == [(KEY_TOO_OLD, 'KOLD'), (KEY_USED_FROM_UNEXPECTED_SOURCE, 'KIDLE'),
                                      (ROOT_KEY_USED, 'KROOT')]
    # KIDLE is never used by RAM's account, but ActionTrail shows it in use: not unused
    assert result.ram_complete and result.problems == []
    calls = [action for action, params in account.calls]
    assert calls.count('GetAccessKeyLastUsed') == 2                  # Active keys only
    lookup = [params for action, params in account.calls if action == 'LookupEvents'][0]
    assert (lookup['StartTime'], lookup['EndTime']) == (ago(hours=3), ago(hours=0)) and 'LookupAttribute' not in lookup


def test_a_failed_user_is_reported_and_the_others_still_checked(account):
    account.fail('ListAccessKeys', lambda: api_error('NoPermission', 'denied for watcher-secret-value-1'))
    result = watcher(check_actiontrail=False).poll()
    assert not result.ram_complete and len(result.problems) == 1
    assert 'could not be listed' in result.problems[0] and 'watcher-secret-value-1' not in result.problems[0]
    assert types(result.findings) == [(KEY_UNUSED, 'KIDLE')]          # app failed, batch was checked


def test_actiontrail_failures_do_not_stop_the_ram_checks(account):
    account.fail('LookupEvents', lambda: api_error('NoPermission', 'denied'))
    result = watcher().poll()
    assert types(result.findings) == [(KEY_TOO_OLD, 'KOLD'), (KEY_UNUSED, 'KIDLE')]
    assert 'ActionTrail could not be read' in result.problems[0] and 'AliyunActionTrailReadOnlyAccess' in result.problems[0]


# ---------------------------------------------------------------- main(queue, args)

def run_source(args):
    """The event source's main() as ansible-rulebook runs it (runpy), once; returns the queued events."""
    module = runpy.run_path(str(SOURCE))
    queue = asyncio.Queue()
    asyncio.run(module['main'](queue, dict(CALLER, once=True, **args)))
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


def test_main_puts_each_condition_once_and_remembers_it_across_restarts(account, tmp_path):
    args = {'expected_source_cidrs': ['10.0.0.0/8'], 'max_age_days': 100, 'state_file': str(tmp_path / 'state.json')}
    first = run_source(args)
    assert sorted(e['type'] for e in first) == [KEY_TOO_OLD, KEY_USED_FROM_UNEXPECTED_SOURCE, ROOT_KEY_USED]
    text = json.dumps(first)
    assert 'watcher-secret-value-1' not in text and 'secret-of-' not in text
    assert run_source(args) == []                                     # restarted: nothing new
    account.add_event('KIDLE', ago(minutes=1), source_ip='198.51.100.4', user_name='batch')
    third = run_source(args)
    assert [(e['type'], e['source_ip']) for e in third] == [(KEY_USED_FROM_UNEXPECTED_SOURCE, '198.51.100.4')]
    assert stat.S_IMODE(os.stat(args['state_file']).st_mode) == 0o600


def test_main_fails_visibly_in_once_mode_when_nothing_can_be_read(account):
    account.fail('ListUsers', lambda: api_error('NoPermission', 'denied'), count=10)
    with pytest.raises(RuntimeError) as info:
        run_source({'check_actiontrail': False})
    assert 'ListUsers failed: NoPermission' in str(info.value)


def test_main_refuses_bad_options_before_any_call(account):
    with pytest.raises(ValidationError):
        run_source({'interval': -1})
    assert account.calls == []
