# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ActionTrail lookups: the window, the queries LookupEvents' two conditions allow, paging, the event summaries, and
the ActionTrail SDK behind the shared transport."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _actiontrail, _ram_client
from ansible_collections.aliyun.ram.plugins.module_utils._actiontrail import (
    event_info_options,
    lookup_events,
    plan_queries,
    split_window,
    summarize_event,
    time_window,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import Connection, SdkTransport, missing_sdk
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError
from ansible_collections.aliyun.ram.tests.support.pinned import require
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import (
    FakeRam,
    api_error,
    make_api,
    throttled,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def at(**delta):
    return (NOW - datetime.timedelta(**delta)).strftime('%Y-%m-%dT%H:%M:%SZ')


# ---------------------------------------------------------------- window

def test_the_default_window_is_the_last_seven_days():
    assert time_window(now=NOW) == (NOW - datetime.timedelta(days=7), NOW)
    assert time_window(since_hours=2, now=NOW) == (NOW - datetime.timedelta(hours=2), NOW)


@pytest.mark.parametrize('value', ['2026-05-31T10:00:00Z', '2026-05-31T18:00:00+08:00', '2026-05-31T10:00:00',
                                   '2026-05-31 10:00:00z'])
def test_times_in_any_iso_form_are_utc(value):
    start, end = time_window(start_time=value, now=NOW)
    assert start == datetime.datetime(2026, 5, 31, 10, tzinfo=UTC) and end == NOW


@pytest.mark.parametrize('kwargs, message', [
    (dict(start_time='yesterday'), 'start_time must be an ISO 8601 time'),
    (dict(start_time='2026-06-01T11:00:00Z', end_time='2026-06-01T10:00:00Z'), 'starts (2026-06-01T11:00:00Z) after it ends'),
    (dict(since_hours=91 * 24), 'more than 90 days ago'),
    (dict(since_hours=0), 'since_hours must be more than 0'),
])
def test_bad_windows_are_refused(kwargs, message):
    with pytest.raises(ValidationError) as info:
        time_window(now=NOW, **kwargs)
    assert message in str(info.value)


def test_a_long_window_is_split_into_windows_of_30_days_without_overlap():
    start, end = NOW - datetime.timedelta(days=65), NOW
    windows = split_window(start, end)
    assert len(windows) == 3 and windows[0][1] == end and windows[-1][0] == start
    for (lower, upper), (older_lower, older_upper) in zip(windows, windows[1:]):
        assert upper - lower <= datetime.timedelta(days=30)
        assert older_upper == lower - datetime.timedelta(seconds=1)
    assert split_window(start, start) == [(start, start)]


# ---------------------------------------------------------------- queries

def test_queries_use_at_most_two_conditions_one_key_each():
    both = plan_queries(['K1', 'K2'], ['CreateUser'])
    assert [q.conditions for q in both] == [[('EventAccessKeyId', 'K1'), ('EventName', 'CreateUser')],
                                            [('EventAccessKeyId', 'K2'), ('EventName', 'CreateUser')]]
    # two names cannot both ride along (the second condition of a key replaces the first): filtered afterwards
    assert [q.conditions for q in plan_queries(['K1'], ['A', 'B'])] == [[('EventAccessKeyId', 'K1')]]
    assert [q.conditions for q in plan_queries([], ['A', 'B'])] == [[('EventName', 'A')], [('EventName', 'B')]]
    assert [q.conditions for q in plan_queries([], [])] == [[]]
    params = both[0].params(NOW - datetime.timedelta(hours=1), NOW)
    assert params == {'StartTime': '2026-06-01T11:00:00Z', 'EndTime': '2026-06-01T12:00:00Z', 'Direction': 'BACKWARD',
                      'MaxResults': '50', 'LookupAttribute': [{'Key': 'EventAccessKeyId', 'Value': 'K1'},
                                                              {'Key': 'EventName', 'Value': 'CreateUser'}]}


# ---------------------------------------------------------------- lookups

def trail(page_size=None):
    fake = FakeRam(page_size=page_size)
    api, fake = make_api(fake)
    return api, fake


def window(hours=24):
    return NOW - datetime.timedelta(hours=hours), NOW


def test_pages_are_followed_and_events_grouped_by_key():
    api, fake = trail(page_size=2)
    for minute in range(5):
        fake.add_event('K1', at(minutes=10 + minute), source_ip='10.0.0.%d' % minute)
    fake.add_event('K2', at(minutes=1))
    fake.add_event('K3', at(minutes=2))
    result = lookup_events(api, ['K1', 'K2', 'KNONE'], (), *window())
    assert [e['source_ip'] for e in result['events_by_access_key_id']['K1']] == ['10.0.0.%d' % i for i in range(5)]
    assert [e['access_key_id'] for e in result['events']] == ['K2'] + ['K1'] * 5          # newest first, K3 not asked
    assert result['events_by_access_key_id']['KNONE'] == [] and not result['truncated']
    lookups = [params for action, params in fake.calls if action == 'LookupEvents']
    assert [p.get('NextToken') for p in lookups if p['LookupAttribute'][0]['Value'] == 'K1'] == [None, '2', '4']
    assert result['start_time'] == '2026-05-31T12:00:00Z' and result['end_time'] == '2026-06-01T12:00:00Z'


def test_without_keys_every_key_is_grouped_and_names_are_filtered():
    api, fake = trail()
    fake.add_event('K1', at(minutes=3), event_name='CreateUser')
    fake.add_event('K2', at(minutes=2), event_name='DeleteUser')
    fake.add_event('K2', at(minutes=1), event_name='ListUsers')
    result = lookup_events(api, [], ['CreateUser', 'DeleteUser'], *window())
    assert [e['event_name'] for e in result['events']] == ['DeleteUser', 'CreateUser']
    assert sorted(result['events_by_access_key_id']) == ['K1', 'K2']
    api, fake = trail()
    fake.add_event('K1', at(minutes=3), event_name='CreateUser')
    fake.add_event('K1', at(minutes=1), event_name='ListUsers')
    only = lookup_events(api, ['K1'], ['CreateUser', 'DeleteUser'], *window())
    assert [e['event_name'] for e in only['events']] == ['CreateUser']


def test_max_events_keeps_the_newest_and_says_so():
    api, fake = trail(page_size=2)
    for minute in range(6):
        fake.add_event('K1', at(minutes=minute))
    result = lookup_events(api, ['K1'], (), *window(), max_events=3)
    assert result['truncated'] and [e['event_time'] for e in result['events']] == [at(minutes=m) for m in range(3)]
    assert len([a for a, p in fake.calls if a == 'LookupEvents']) == 2          # stops paging once it has enough


def test_events_outside_the_window_are_not_returned_and_long_windows_are_split():
    api, fake = trail()
    fake.add_event('K1', at(days=40))
    fake.add_event('K1', at(days=75))
    fake.add_event('K1', at(hours=30))
    recent = lookup_events(api, ['K1'], (), *window(24))
    assert recent['events'] == []
    everything = lookup_events(api, ['K1'], (), NOW - datetime.timedelta(days=80), NOW)
    assert [e['event_time'] for e in everything['events']] == [at(hours=30), at(days=40), at(days=75)]
    assert len([a for a, p in fake.calls if a == 'LookupEvents']) == 1 + 3


def test_a_summary_holds_only_the_chosen_fields_and_no_secret():
    event = FakeRam().add_event('LTAI1', at(minutes=1), identity_type='root-account', user_name='root',
                                errorCode='NoPermission', errorMessage='denied for caller-secret-value',
                                requestParameters={'Password': 'p@ss'}, responseElements={'AccessKeySecret': 'x'})
    summary = summarize_event(event, secrets=['caller-secret-value'])
    assert set(summary) == {'event_id', 'event_name', 'event_time', 'event_source', 'service_name', 'event_rw',
                            'event_type', 'source_ip', 'user_agent', 'region', 'request_id', 'error_code',
                            'error_message', 'access_key_id', 'user_identity'}
    assert summary['user_identity'] == {'type': 'root-account', 'user_name': 'root', 'principal_id': 'P1',
                                        'account_id': '1234567890123456', 'access_key_id': 'LTAI1'}
    assert summary['error_code'] == 'NoPermission' and summary['error_message'] == 'denied for ********'
    assert 'p@ss' not in str(summary)


def test_lookups_are_retried_and_their_failures_translated():
    api, fake = trail()
    fake.add_event('K1', at(minutes=1))
    fake.fail('LookupEvents', throttled)
    assert len(lookup_events(api, ['K1'], (), *window())['events']) == 1 and api.retries == 1
    fake.fail('LookupEvents', lambda: api_error('NoPermission', 'denied'))
    with pytest.raises(ApiError) as info:
        lookup_events(api, ['K1'], (), *window())
    assert info.value.code == 'NoPermission' and 'AliyunActionTrailReadOnlyAccess' in str(info.value)


def test_a_repeated_next_token_is_an_error_not_a_loop():
    api, fake = trail()
    fake._LookupEvents = lambda params: {'Events': [], 'NextToken': 'same'}  # pylint: disable=protected-access
    with pytest.raises(ApiError) as info:
        lookup_events(api, ['K1'], (), *window())
    assert info.value.code == 'UnexpectedResponse'


@pytest.mark.parametrize('params, message', [
    (dict(access_key_ids=['LTAI 1']), 'access_key_ids must be an AccessKey id'),
    (dict(event_names=['']), 'event_names must not hold an empty name'),
    (dict(since_hours=1, start_time='2026-06-01T00:00:00Z'), 'since_hours cannot be combined'),
    (dict(max_events=0), 'max_events must be 1 or more'),
])
def test_module_options_are_checked(params, message):
    full = dict(access_key_ids=None, event_names=None, start_time=None, end_time=None, since_hours=None, max_events=10)
    full.update(params)
    with pytest.raises(ValidationError) as info:
        event_info_options(full, now=NOW)
    assert message in str(info.value)


def test_module_options_drop_duplicates():
    options = event_info_options(dict(access_key_ids=['K1', 'K1', 'K2'], event_names=['A', 'A'], start_time=None,
                                      end_time=None, since_hours=3, max_events=5), now=NOW)
    assert options['access_key_ids'] == ['K1', 'K2'] and options['event_names'] == ['A']
    assert options['start'] == NOW - datetime.timedelta(hours=3)


# ---------------------------------------------------------------- the SDK behind the transport

def test_the_actiontrail_endpoint_follows_the_region_or_the_option():
    assert Connection(region='ap-southeast-1').endpoints['actiontrail'] == ('actiontrail.ap-southeast-1.aliyuncs.com', 'https')
    assert Connection(actiontrail_endpoint='127.0.0.1:8080').endpoints['actiontrail'] == ('127.0.0.1:8080', 'http')
    with pytest.raises(ValidationError) as info:
        Connection(actiontrail_endpoint='ftp://host')
    assert 'actiontrail_endpoint' in str(info.value)


def test_lookup_events_goes_through_the_actiontrail_sdk(monkeypatch):
    require('alibabacloud_actiontrail20200706')
    seen = {}

    class Response(object):
        class body(object):  # pylint: disable=invalid-name
            @staticmethod
            def to_map():
                return {'Events': [], 'RequestId': 'R'}

    real_client, models = _ram_client.sdk_for('actiontrail')

    class Client(real_client):  # pylint: disable=too-few-public-methods
        def lookup_events_with_options(self, request, runtime):
            seen['config'] = (self._endpoint, self._protocol)  # pylint: disable=protected-access
            seen['request'] = request.to_map()
            return Response()

    monkeypatch.setitem(_ram_client._lazy_loaded, 'actiontrail', (Client, models, None))  # pylint: disable=protected-access
    transport = SdkTransport(Connection(actiontrail_endpoint='http://127.0.0.1:8080'),
                             {'access_key_id': 'LTAI1', 'access_key_secret': 'sec'})
    params = _actiontrail.Query([('EventAccessKeyId', 'K1')]).params(NOW, NOW)
    assert transport.invoke('actiontrail', 'LookupEvents', params) == {'Events': [], 'RequestId': 'R'}
    assert seen['config'] == ('127.0.0.1:8080', 'http')
    assert seen['request']['LookupAttribute'] == [{'Key': 'EventAccessKeyId', 'Value': 'K1'}]
    assert seen['request']['StartTime'] == '2026-06-01T12:00:00Z' and seen['request']['MaxResults'] == '50'


def test_a_missing_actiontrail_sdk_is_named(monkeypatch):
    def broken():
        raise ImportError('No module named alibabacloud_actiontrail20200706')

    monkeypatch.setitem(_ram_client._LAZY_SDKS, 'actiontrail', broken)  # pylint: disable=protected-access
    monkeypatch.delitem(_ram_client._lazy_loaded, 'actiontrail', raising=False)  # pylint: disable=protected-access
    package, error = missing_sdk(('actiontrail',))
    assert package == 'alibabacloud-actiontrail20200706' and 'No module named' in error
    assert missing_sdk(('ram', 'sts')) == (None, None)
    with pytest.raises(ImportError):
        _ram_client.sdk_for('actiontrail')
