# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure part of playbooks/respond.yml: input checks, the decision per key, the report and its renderings."""

from __future__ import annotations

import json

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._respond import (
    ALREADY_CONTAINED, CONTAIN, FINISH, OTHER_KEY_HELD, ROOT_KEY, TWO_ACTIVE_KEYS, UNKNOWN_KEY, build_report,
    check_leaked_ids, check_options, plan_key, plan_response, summary_lines,
)
from ansible_collections.aliyun.ram.plugins.module_utils._respond_render import render

LEAKED = 'LTAI5tLeakedKey000000000'
OTHER = 'LTAI5tOtherKey0000000000'
NEW = 'LTAI5tNewKey000000000000'


def owner(status='Active', compromised=False, others=()):
    keys = [{'access_key_id': LEAKED, 'status': status, 'create_date': '2026-01-01T00:00:00Z'}] + list(others)
    return {'access_key_id': LEAKED, 'found': True, 'user_name': 'app', 'user_id': '1', 'status': status,
            'create_date': '2026-01-01T00:00:00Z', 'last_used_date': '2026-05-01T00:00:00Z', 'compromised': compromised,
            'user_keys': keys}


def held(host, key_id=LEAKED, user='app'):
    return {'host': host, 'user_name': user, 'access_key_id': key_id, 'format': 'env', 'path': '/etc/%s.env' % user}


def event(name, when, identity='ram-user', ip='203.0.113.7', key_id=LEAKED):
    return {'event_name': name, 'event_time': when, 'source_ip': ip, 'access_key_id': key_id,
            'user_identity': {'type': identity, 'access_key_id': key_id}}


@pytest.mark.parametrize('value, expected', [
    (LEAKED, [LEAKED]),
    ('%s, %s,%s' % (LEAKED, OTHER, LEAKED), [LEAKED, OTHER]),
    ([LEAKED, ' %s ' % OTHER], [LEAKED, OTHER]),
    ('LTAI' + 'a' * 12, ['LTAI' + 'a' * 12]),
])
def test_check_leaked_ids_accepts_lists_and_comma_separated_strings(value, expected):
    assert check_leaked_ids(value) == expected


@pytest.mark.parametrize('value, named', [
    ('LTAl5tLeakedKey000000000', "'LTAl5tLeakedKey000000000'"),       # a lower-case L
    ('LTAI5t-Leaked', "'LTAI5t-Leaked'"),
    ('LTAI' + 'a' * 11, repr('LTAI' + 'a' * 11)),                      # too short
    ([LEAKED, 42], '42'),
    ('STS.NUabc0123456789', "'STS.NUabc0123456789'"),                # an STS token id is not an AccessKey
])
def test_check_leaked_ids_names_each_typo(value, named):
    with pytest.raises(ValidationError) as caught:
        check_leaked_ids(value)
    assert named in str(caught.value) and 'nothing was read or changed' in str(caught.value)


@pytest.mark.parametrize('value', [None, '', [], ' , '])
def test_check_leaked_ids_refuses_nothing(value):
    with pytest.raises(ValidationError, match='is empty'):
        check_leaked_ids(value)


def test_check_options():
    assert check_options('deactivate_first', '15') == ('deactivate_first', 15)
    assert check_options('replace_first', 0) == ('replace_first', 0)
    for mode, minutes in (('delete_first', 0), ('replace_first', -1), ('replace_first', '1.5'), ('replace_first', 'x')):
        with pytest.raises(ValidationError):
            check_options(mode, minutes)


def test_a_key_of_no_user_used_as_root_is_the_account_root_key_with_console_steps():
    plan = plan_key(LEAKED, {'found': False}, [event('ListUsers', '2026-05-01T00:00:00Z', identity='root-account')],
                    [held('h1', user=None)], [])
    assert plan['decision'] == ROOT_KEY and 'nothing was changed' in plan['message'] and 'h1' in plan['message']
    assert len(plan['console_steps']) == 4 and all(LEAKED in step for step in plan['console_steps'][1:2])


def test_a_key_of_no_user_without_root_events_is_unknown():
    plan = plan_key(LEAKED, {'found': False}, [event('ListUsers', '2026-05-01T00:00:00Z', key_id=OTHER, identity='root-account')],
                    [], [{'host': 'h9', 'declared_users': ['x']}], users_scanned=3)
    assert plan['decision'] == UNKNOWN_KEY and '3 users scanned' in plan['message']
    # any unreachable host may hold an unknown key
    assert plan['unknown_hosts'] == ['h9']


def test_a_user_with_another_active_key_is_refused_with_the_command_to_stop_the_key():
    plan = plan_key(LEAKED, owner(others=[{'access_key_id': OTHER, 'status': 'Active'}]), [], [held('h1')], [])
    assert plan['decision'] == TWO_ACTIVE_KEYS
    assert 'UpdateAccessKey --UserName app --UserAccessKeyId %s --Status Inactive' % LEAKED in plan['message']


def test_another_key_of_the_user_held_by_hosts_is_refused():
    plan = plan_key(LEAKED, owner(others=[{'access_key_id': OTHER, 'status': 'Inactive'}]), [],
                    [held('h1'), held('h2', OTHER)], [])
    assert plan['decision'] == OTHER_KEY_HELD and plan['message'].startswith('hosts h2 hold %s' % OTHER)


def test_an_inactive_other_key_nobody_holds_does_not_stop_the_containment():
    plan = plan_key(LEAKED, owner(others=[{'access_key_id': OTHER, 'status': 'Inactive'}]), [], [held('h1')], [])
    assert plan['decision'] == CONTAIN and plan['holders'] == ['h1']


def test_contain_lists_holders_foreign_holders_and_the_unreachable_hosts_of_the_owner():
    unreachable = [{'host': 'h3', 'declared_users': ['app']}, {'host': 'h4', 'declared_users': ['db']}]
    plan = plan_key(LEAKED, owner(), [event('B', '2026-05-02T00:00:00Z'), event('A', '2026-05-01T00:00:00Z')],
                    [held('h1'), held('h2', user='other-user')], unreachable)
    assert plan['decision'] == CONTAIN and plan['holders'] == ['h1', 'h2'] and plan['foreign_holders'] == ['h2']
    assert plan['unknown_hosts'] == ['h3']
    assert [e['event_name'] for e in plan['events']] == ['A', 'B']


@pytest.mark.parametrize('status, holders, decision', [
    ('Active', [], FINISH),           # recorded, but the earlier run stopped before deactivating
    ('Inactive', ['h3'], FINISH),     # a host that was down still holds it
    ('Inactive', [], ALREADY_CONTAINED),
])
def test_a_key_recorded_by_an_earlier_run(status, holders, decision):
    others = [{'access_key_id': NEW, 'status': 'Active', 'create_date': '2026-06-01T00:00:00Z'}]
    plan = plan_key(LEAKED, owner(status, compromised=True, others=others), [], [held(h) for h in holders] + [held('h1', NEW)],
                    [{'host': 'h5', 'declared_users': ['app']}])
    assert plan['decision'] == decision
    if decision == ALREADY_CONTAINED:
        assert 'nothing was changed' in plan['message'] and 'h5 were unreachable' in plan['message']


def test_plan_response_targets_the_hosts_declaring_the_owners_only():
    response = plan_response([LEAKED, OTHER], [owner(), {'access_key_id': OTHER, 'found': False}], [],
                             {'held': [held('h1')], 'unreachable': [{'host': 'h2', 'declared_users': ['app']}]},
                             {'h1': ['app'], 'h2': ['app', 'db'], 'h3': ['db']})
    assert response['contain_users'] == ['app'] and response['target_hosts'] == ['h1', 'h2']
    assert response['reachable_target_hosts'] == ['h1']
    assert response['acting'] == [LEAKED] and response['refused'] == [OTHER]


def _report(not_updated=False):
    response = plan_response([LEAKED], [owner()], [event('ListUsers', '2026-04-30T00:00:00Z')],
                             {'held': [held('h1'), held('h2')], 'unreachable': []}, {'h1': ['app'], 'h2': ['app']})
    hosts = {'h1': {'updated_at': '2026-06-01T00:00:03Z', 'changed': True, 'holds': [NEW]}}
    if not not_updated:
        hosts['h2'] = {'updated_at': '2026-06-01T00:00:04Z', 'changed': True, 'holds': [NEW]}
    outcome = {'user_keys_after': {'app': [{'access_key_id': LEAKED, 'status': 'Inactive'},
                                           {'access_key_id': NEW, 'status': 'Active', 'create_date': '2026-06-01T00:00:02Z'}]},
               'containments': {LEAKED: {'recorded_at': '2026-06-01T00:00:01Z', 'contained_at': '2026-06-01T00:00:05Z'}},
               'hosts': hosts, 'proofs': {'app': True}}
    context = {'generated_at': '2026-06-01T00:00:06Z', 'started_at': '2026-06-01T00:00:00Z', 'mode': 'replace_first',
               'max_exposure_minutes': 0, 'finish_command': 'ansible-playbook -i inv aliyun.ram.respond -e x=y',
               'target_hosts': response['target_hosts']}
    return build_report(response, outcome, context)


def test_the_report_timeline_in_order():
    incident, = _report()['incidents']
    assert [e['what'] for e in incident['timeline']] == [
        'created', 'first ActionTrail event: ListUsers from 203.0.113.7', 'last ActionTrail event: ListUsers from 203.0.113.7',
        'last used (GetAccessKeyLastUsed)', 'recorded as compromised in the Comments of user app',
        'replaced by %s' % NEW, 'host h1 updated', 'host h2 updated', 'contained (deactivated)']
    assert incident['status_after'] == 'Inactive' and incident['proven'] is True and incident['finish_command'] is None


def test_a_host_not_updated_gets_the_command_that_finishes_the_job():
    report = _report(not_updated=True)
    incident, = report['incidents']
    assert incident['not_updated_hosts'] == ['h2'] and incident['unknown_hosts'] == ['h2']
    assert incident['finish_command'] == 'ansible-playbook -i inv aliyun.ram.respond -e x=y --limit h2'
    assert report['summary']['unfinished'] == [LEAKED]
    assert '--limit h2' in summary_lines(report)[0]


def test_renderings_escape_and_carry_the_same_facts():
    report = _report(not_updated=True)
    report['incidents'][0]['message'] = '<script>alert(1)</script> | pipe'
    html = render(report, 'html', 'IR <1>')
    assert '<script>alert' not in html and '&lt;script&gt;' in html and '<title>IR &lt;1&gt;</title>' in html
    assert 'data-decision="contain"' in html and '--limit h2' in html
    markdown = render(report, 'markdown', 'IR')
    assert '## %s' % LEAKED in markdown and '| h1 | app | env | /etc/app.env |' in markdown
    assert json.loads(render(report, 'json', 'IR'))['incidents'][0]['access_key_id'] == LEAKED
