# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""ActionTrail LookupEvents (2020-07-06) through a RamApi: who used which AccessKey, when and from where.

Every request goes through ``RamApi.read`` (service ``actiontrail``): the same credentials, retries and error
translation as the RAM and STS calls.  LookupEvents takes at most two ``LookupAttribute`` conditions (of two with the
same key only the second counts), a window of at most 30 days, and keeps 90 days of events; so several AccessKey ids
are one query each, a longer window is several queries, and a list of event names is filtered here.

``summarize_event`` is the one reading of an ActionTrail event: a plain dict of the fields that say who did what from
where (never request parameters or response elements, which are not needed and could hold anything).
"""

from __future__ import annotations

import datetime

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError, ValidationError, scrub
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import parse_date, utc_now
from ansible_collections.aliyun.ram.plugins.module_utils import _ram_validation as validate

ACTION = 'LookupEvents'
SERVICE = 'actiontrail'
TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
PAGE_SIZE = 50                      # LookupEvents' MaxResults is 1-50
MAX_WINDOW = datetime.timedelta(days=30)
RETENTION = datetime.timedelta(days=90)
DEFAULT_SINCE_HOURS = 7 * 24        # LookupEvents' own default window: the last 7 days
ACCESS_KEY_ATTRIBUTE = 'EventAccessKeyId'
EVENT_NAME_ATTRIBUTE = 'EventName'
ROOT_IDENTITY_TYPE = 'root-account'


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT)


def parse_time(value, option):
    """A time given by the user: ISO 8601 (``2026-01-02T03:04:05Z``, an offset, or no zone: UTC) -> aware datetime."""
    text = str(value).strip()
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError('%s must be an ISO 8601 time such as 2026-01-02T03:04:05Z, got %r' % (option, value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)


def time_window(start_time=None, end_time=None, since_hours=None, now=None):
    """(start, end) of the query, aware datetimes to the second; raises ValidationError.

    ``start_time``/``end_time`` (either may be left out: the window then ends now, or starts ``since_hours`` before its
    end) or ``since_hours`` before now; neither: the last 7 days, as LookupEvents does."""
    now = (now or utc_now()).replace(microsecond=0)
    end = parse_time(end_time, 'end_time') if end_time else now
    if start_time:
        start = parse_time(start_time, 'start_time')
    else:
        hours = DEFAULT_SINCE_HOURS if since_hours is None else since_hours
        if hours <= 0:
            raise ValidationError('since_hours must be more than 0, got %s' % (since_hours,))
        start = end - datetime.timedelta(hours=hours)
    if start > end:
        raise ValidationError('the window starts (%s) after it ends (%s)' % (format_time(start), format_time(end)))
    if start < now - RETENTION:
        raise ValidationError('the window starts at %s, more than 90 days ago: LookupEvents keeps the events of the last '
                              '90 days (for older ones, query the trail\'s delivery to OSS or Simple Log Service)'
                              % format_time(start))
    return start, end


def split_window(start, end, size=MAX_WINDOW):
    """The window as consecutive windows of at most ``size`` (LookupEvents refuses more than 30 days), newest first;
    their bounds do not overlap (both are inclusive, to the second)."""
    windows = []
    upper = end
    while True:
        lower = max(start, upper - size)
        windows.append((lower, upper))
        if lower <= start:
            return windows
        upper = lower - datetime.timedelta(seconds=1)


def _identity(event):
    identity = event.get('userIdentity') or {}
    return identity if isinstance(identity, dict) else {}


def summarize_event(event, secrets=()):
    """An ActionTrail event as a plain snake_case dict: what was called, when, from where, by whom, and how it ended."""
    identity = _identity(event)
    summary = {
        'event_id': event.get('eventId'),
        'event_name': event.get('eventName'),
        'event_time': event.get('eventTime'),
        'event_source': event.get('eventSource'),
        'service_name': event.get('serviceName'),
        'event_rw': event.get('eventRW'),
        'event_type': event.get('eventType'),
        'source_ip': event.get('sourceIpAddress'),
        'user_agent': event.get('userAgent'),
        'region': event.get('acsRegion'),
        'request_id': event.get('requestId'),
        'error_code': event.get('errorCode') or None,
        'error_message': scrub(event.get('errorMessage'), secrets) or None,
        'access_key_id': identity.get('accessKeyId'),
        'user_identity': {
            'type': identity.get('type'),
            'user_name': identity.get('userName'),
            'principal_id': identity.get('principalId'),
            'account_id': identity.get('accountId'),
            'access_key_id': identity.get('accessKeyId'),
        },
    }
    return summary


def _sort_key(event):
    moment = parse_date(event.get('event_time'))
    return (moment.timestamp() if moment else 0.0)


class Query(object):
    """One filter of LookupEvents: at most two conditions (``[(key, value)]``)."""

    def __init__(self, conditions):
        self.conditions = list(conditions)

    def params(self, start, end):
        params = {'StartTime': format_time(start), 'EndTime': format_time(end), 'Direction': 'BACKWARD',
                  'MaxResults': str(PAGE_SIZE)}
        if self.conditions:
            params['LookupAttribute'] = [{'Key': key, 'Value': value} for key, value in self.conditions]
        return params


def plan_queries(access_key_ids, event_names):
    """The LookupEvents filters that together find the events of any of ``access_key_ids`` (none: of every key) named
    any of ``event_names`` (none: every name).  A list of names that cannot ride along as the second condition is
    filtered after the lookup (``keep``)."""
    keys = list(access_key_ids or [])
    names = list(event_names or [])
    if keys:
        if len(names) == 1:
            return [Query([(ACCESS_KEY_ATTRIBUTE, key), (EVENT_NAME_ATTRIBUTE, names[0])]) for key in keys]
        return [Query([(ACCESS_KEY_ATTRIBUTE, key)]) for key in keys]
    if names:
        return [Query([(EVENT_NAME_ATTRIBUTE, name)]) for name in names]
    return [Query([])]


def lookup(api, query, start, end, limit):
    """The events of one filter in the window, newest first, at most ``limit``: (raw events, more were left)."""
    events = []
    for lower, upper in split_window(start, end):
        seen_tokens = set()
        token = None
        while True:
            params = query.params(lower, upper)
            if token:
                params['NextToken'] = token
            body = api.read(ACTION, service=SERVICE, **params)
            page = body.get('Events') or []
            for event in page:
                if len(events) >= limit:
                    return events, True
                if isinstance(event, dict):
                    events.append(event)
            token = body.get('NextToken')
            if not token:
                break
            if len(events) >= limit:
                return events, True
            if token in seen_tokens:
                raise ApiError(ACTION, code='UnexpectedResponse', message='the service returned the same NextToken twice')
            seen_tokens.add(token)
    return events, False


def lookup_events(api, access_key_ids=(), event_names=(), start=None, end=None, max_events=1000, secrets=()):
    """Events of the window for the given keys and names, newest first, as ``summarize_event`` dicts.

    Returns ``{'events', 'events_by_access_key_id', 'truncated', 'start_time', 'end_time'}``: with ``access_key_ids``,
    ``events_by_access_key_id`` has every one of them (an empty list for a key without events); without, the keys the
    events were made with."""
    names = set(event_names or ())
    found = {}
    truncated = False
    for query in plan_queries(access_key_ids, event_names):
        raw, more = lookup(api, query, start, end, max_events)
        truncated = truncated or more
        for event in raw:
            summary = summarize_event(event, secrets)
            if names and summary['event_name'] not in names:
                continue
            # the same event can be found by two queries only if it matches both; keep it once
            found.setdefault(summary['event_id'] or id(event), summary)
    events = sorted(found.values(), key=_sort_key, reverse=True)
    if len(events) > max_events:
        events, truncated = events[:max_events], True
    by_key = dict((key, []) for key in access_key_ids or ())
    for event in events:
        key = event['access_key_id']
        if key and (key in by_key or not access_key_ids):
            by_key.setdefault(key, []).append(event)
    return {'events': events, 'events_by_access_key_id': by_key, 'truncated': truncated,
            'start_time': format_time(start), 'end_time': format_time(end)}


# ---------------------------------------------------------------- actiontrail_event_info

def event_info_options(params, now=None):
    """Validated inputs of actiontrail_event_info (raises ValidationError before any API call)."""
    keys = []
    for key in params.get('access_key_ids') or []:
        validate.access_key_id(key, 'access_key_ids')
        if key not in keys:
            keys.append(key)
    names = []
    for name in params.get('event_names') or []:
        if not name or not name.strip():
            raise ValidationError('event_names must not hold an empty name')
        if name not in names:
            names.append(name)
    if params.get('since_hours') is not None and (params.get('start_time') or params.get('end_time')):
        raise ValidationError('since_hours cannot be combined with start_time or end_time')
    max_events = params.get('max_events')
    if max_events is None or max_events < 1:
        raise ValidationError('max_events must be 1 or more, got %r' % (max_events,))
    start, end = time_window(params.get('start_time'), params.get('end_time'), params.get('since_hours'), now)
    return {'access_key_ids': keys, 'event_names': names, 'start': start, 'end': end, 'max_events': max_events}


def run_actiontrail_event_info(module):
    """The actiontrail_event_info module."""
    options = event_info_options(module.params)
    api = module.api()
    result = lookup_events(api, options['access_key_ids'], options['event_names'], options['start'], options['end'],
                           options['max_events'], secrets=module.auth().secrets())
    result['changed'] = False
    return result
