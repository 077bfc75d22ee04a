# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory RAM/STS transport for unit tests, with SDK-shaped exceptions and fault injection.

Other unit tests import it from here; the tests at the bottom pin the behaviour they rely on.
"""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._ram_client import RamApi
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import RetryPolicy

WRITE_ACTIONS = frozenset((
    'CreateUser', 'UpdateUser', 'DeleteUser', 'CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey',
    'AttachPolicyToUser', 'DetachPolicyFromUser', 'AddUserToGroup', 'RemoveUserFromGroup', 'DeleteLoginProfile',
    'UnbindMFADevice',
))
STATUS = {'EntityNotExist': 404, 'EntityAlreadyExists': 409, 'LimitExceeded': 409, 'DeleteConflict': 409}


class FakeSdkError(Exception):
    """Shaped like tea-openapi's ClientException/ServerException/ThrottlingException."""

    def __init__(self, code, status, message='', request_id='REQ-1', retry_after=None):
        super().__init__('code: %s, %s request id: %s' % (status, message, request_id))
        self.code = code
        self.status_code = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.message = 'code: %s, %s request id: %s' % (status, message, request_id)
        self.data = {'Code': code, 'Message': message, 'RequestId': request_id, 'statusCode': status}


class RetryError(Exception):
    """darabonba's RetryError (same class name; translation keys on it)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class FakeUnretryable(Exception):
    """darabonba UnretryableException: wraps the transport error."""

    def __init__(self, inner):
        super().__init__(str(inner))
        self.inner_exception = inner
        self.code = None
        self.data = None


def api_error(code, message=''):
    status = STATUS.get(code.split('.')[0], 400)
    return FakeSdkError(code, status, message or code)


def refused():
    return FakeUnretryable(RetryError("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded "
                                      "(Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))"))


def read_timeout():
    return FakeUnretryable(RetryError("HTTPConnectionPool(host='127.0.0.1', port=9): Read timed out. (read timeout=10.0)"))


def throttled(retry_after=None):
    return FakeSdkError('Throttling.User', 400, 'Request was denied due to user flow control.', retry_after=retry_after)


def unavailable():
    return FakeSdkError('ServiceUnavailable', 503, 'The request has failed due to a temporary failure of the server.')


def internal_error():
    return FakeSdkError('InternalError', 500, 'An internal error occurred.')


class FakeRam(object):
    """RAM + STS state in memory.  ``fail(action, exc, after=False)`` queues a fault for the next call of
    ``action``: raised before the action runs, or (after=True) after it committed, like a lost response."""

    def __init__(self, identity_type='RAMUser', account_id='1234567890123456', page_size=None):
        self.trail = []               # ActionTrail events (newest last), see add_event
        self.users = {}
        self.calls = []
        self.faults = []
        self.identity_type = identity_type
        self.account_id = account_id
        self.page_size = page_size
        self.last_used = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(0)

    # --- test helpers -------------------------------------------------------------------------------------
    def fail(self, action, exc, after=False, count=1):
        for dummy in range(count):
            self.faults.append((action, exc, after))

    def lag_reads(self, action, code, reads):
        """Eventual consistency: the next ``reads`` calls of ``action`` answer ``code`` (e.g. EntityNotExist.User for
        a user created a moment ago), then the real answer."""
        real = getattr(self, '_' + action)
        remaining = [reads]

        def lagging(params):
            if remaining[0]:
                remaining[0] -= 1
                raise api_error(code)
            return real(params)

        setattr(self, '_' + action, lagging)

    def add_user(self, name, **attrs):
        user = {'UserId': '9%015d' % next(self._ids), 'UserName': name, 'CreateDate': '2026-01-01T00:00:00Z'}
        user.update(attrs)
        self.users[name] = {'User': user, 'keys': [], 'policies': [], 'groups': [], 'login_profile': False, 'mfa': None}
        return self.users[name]

    def add_key(self, user_name, key_id, status='Active', create_date='2026-01-01T00:00:00Z'):
        self.users[user_name]['keys'].append({'AccessKeyId': key_id, 'AccessKeySecret': 'secret-of-' + key_id,
                                              'Status': status, 'CreateDate': create_date})

    def add_event(self, access_key_id, event_time, event_name='ListUsers', source_ip='127.0.0.1', identity_type='ram-user',
                  user_name='alice', **fields):
        """An ActionTrail event, shaped as LookupEvents returns it (``fields``: more top-level fields)."""
        event = {'eventId': 'EV-%d' % (len(self.trail) + 1), 'eventName': event_name, 'eventTime': event_time,
                 'eventType': 'ApiCall', 'eventRW': 'Read', 'eventSource': 'ram.aliyuncs.com', 'serviceName': 'Ram',
                 'sourceIpAddress': source_ip, 'userAgent': 'test', 'acsRegion': 'cn-hangzhou', 'requestId': 'R%d' % len(self.trail),
                 'userIdentity': {'type': identity_type, 'principalId': 'P1', 'accountId': self.account_id,
                                  'accessKeyId': access_key_id, 'userName': user_name}}
        event.update(fields)
        self.trail.append(event)
        return event

    def key_ids(self, user_name):
        return [k['AccessKeyId'] for k in self.users[user_name]['keys']]

    def writes(self):
        return [action for action, params in self.calls if action in WRITE_ACTIONS]

    def endpoint(self, service):
        return 'http://fake-%s' % service

    # --- transport ------------------------------------------------------------------------------------------
    def invoke(self, service, action, params):
        self.calls.append((action, dict(params)))
        fault = None
        for index, (fault_action, exc, after) in enumerate(self.faults):
            if fault_action == action:
                fault = self.faults.pop(index)
                break
        if fault and not fault[2]:
            raise fault[1]() if callable(fault[1]) else fault[1]
        body = getattr(self, '_' + action)(params)
        if fault:
            raise fault[1]() if callable(fault[1]) else fault[1]
        body['RequestId'] = 'REQ-%d' % len(self.calls)
        return body

    def _user(self, params):
        user = self.users.get(params.get('UserName'))
        if user is None:
            raise api_error('EntityNotExist.User', 'The user does not exist.')
        return user

    def _GetUser(self, params):
        return {'User': dict(self._user(params)['User'])}

    def _CreateUser(self, params):
        if params['UserName'] in self.users:
            raise api_error('EntityAlreadyExists.User')
        attrs = dict((k, v) for k, v in params.items() if k != 'UserName')
        return {'User': dict(self.add_user(params['UserName'], **attrs)['User'])}

    def _UpdateUser(self, params):
        user = self._user(params)['User']
        for key, value in params.items():
            if key.startswith('New'):
                user[key[3:]] = value
        user['UpdateDate'] = '2026-01-02T00:00:00Z'
        return {'User': dict(user)}

    def _DeleteUser(self, params):
        user = self._user(params)
        for what, code in (('keys', 'AccessKey'), ('policies', 'Policy'), ('groups', 'Group'), ('login_profile', 'LoginProfile')):
            if user[what]:
                raise api_error('DeleteConflict.User.' + code)
        del self.users[params['UserName']]
        return {}

    def _ListUsers(self, params):
        names = sorted(self.users)
        start = int(params.get('Marker') or 0)
        size = self.page_size or int(params.get('MaxItems') or 100)
        page = names[start:start + size]
        body = {'Users': {'User': [dict(self.users[n]['User']) for n in page]}, 'IsTruncated': start + size < len(names)}
        if body['IsTruncated']:
            body['Marker'] = str(start + size)
        return body

    def _ListAccessKeys(self, params):
        keys = self._user(params)['keys']
        return {'AccessKeys': {'AccessKey': [dict((f, k[f]) for f in ('AccessKeyId', 'Status', 'CreateDate')) for k in keys]}}

    def _CreateAccessKey(self, params):
        user = self._user(params)
        if len(user['keys']) >= 2:
            raise api_error('LimitExceeded.User.AccessKey')
        key_id = 'LTAINEW%04d' % next(self._ids)
        self.add_key(params['UserName'], key_id, create_date='2026-06-01T00:00:%02dZ' % (next(self._clock) % 60))
        return {'AccessKey': dict(user['keys'][-1])}

    def _key(self, params):
        for key in self._user(params)['keys']:
            if key['AccessKeyId'] == params['UserAccessKeyId']:
                return key
        raise api_error('EntityNotExist.User.AccessKey')

    def _UpdateAccessKey(self, params):
        self._key(params)['Status'] = params['Status']
        return {}

    def _DeleteAccessKey(self, params):
        self._user(params)['keys'].remove(self._key(params))
        return {}

    def _GetAccessKeyLastUsed(self, params):
        self._key(params)
        return {'AccessKeyLastUsed': {'LastUsedDate': self.last_used.get(params['UserAccessKeyId'], '')}}

    def _ListPoliciesForUser(self, params):
        return {'Policies': {'Policy': [{'PolicyName': n, 'PolicyType': t} for t, n in self._user(params)['policies']]}}

    def _AttachPolicyToUser(self, params):
        user = self._user(params)
        entry = (params['PolicyType'], params['PolicyName'])
        if entry in user['policies']:
            raise api_error('EntityAlreadyExists.User.Policy')
        if params['PolicyName'].startswith('Missing'):
            raise api_error('EntityNotExist.Policy')
        user['policies'].append(entry)
        return {}

    def _DetachPolicyFromUser(self, params):
        user = self._user(params)
        entry = (params['PolicyType'], params['PolicyName'])
        if entry not in user['policies']:
            raise api_error('EntityNotExist.User.Policy')
        user['policies'].remove(entry)
        return {}

    def _GetPolicy(self, params):
        if params['PolicyName'].startswith('Missing'):
            raise api_error('EntityNotExist.Policy')
        return {'Policy': {'PolicyName': params['PolicyName'], 'PolicyType': params['PolicyType']}}

    def _GetGroup(self, params):
        if params['GroupName'].startswith('missing'):
            raise api_error('EntityNotExist.Group')
        return {'Group': {'GroupName': params['GroupName']}}

    def _ListGroupsForUser(self, params):
        return {'Groups': {'Group': [{'GroupName': g} for g in self._user(params)['groups']]}}

    def _AddUserToGroup(self, params):
        user = self._user(params)
        if params['GroupName'] in user['groups']:
            raise api_error('EntityAlreadyExists.User.Group')
        user['groups'].append(params['GroupName'])
        return {}

    def _RemoveUserFromGroup(self, params):
        user = self._user(params)
        if params['GroupName'] not in user['groups']:
            raise api_error('EntityNotExist.User.Group')
        user['groups'].remove(params['GroupName'])
        return {}

    def _GetLoginProfile(self, params):
        user = self._user(params)
        if not user['login_profile']:
            raise api_error('EntityNotExist.User.LoginProfile')
        return {'LoginProfile': {'UserName': params['UserName'], 'PasswordResetRequired': False}}

    def _DeleteLoginProfile(self, params):
        self._GetLoginProfile(params)
        self._user(params)['login_profile'] = False
        return {}

    def _GetUserMFAInfo(self, params):
        serial = self._user(params)['mfa']
        if serial is None:
            raise api_error('EntityNotExist.User.MFADevice')
        return {'MFADevice': {'SerialNumber': serial, 'Type': 'VMFA'}}

    def _UnbindMFADevice(self, params):
        body = self._GetUserMFAInfo(params)
        self._user(params)['mfa'] = None
        return {'MFADevice': {'SerialNumber': body['MFADevice']['SerialNumber']}}

    def _GetCallerIdentity(self, params):
        if self.identity_type == 'Account':
            return {'AccountId': self.account_id, 'IdentityType': 'Account', 'Arn': 'acs:ram::%s:root' % self.account_id,
                    'UserId': self.account_id, 'PrincipalId': self.account_id}
        caller = self.users.get('ram-admin', {'User': {'UserId': '2222'}})['User']['UserId']
        return {'AccountId': self.account_id, 'IdentityType': 'RAMUser', 'Arn': 'acs:ram::%s:user/ram-admin' % self.account_id,
                'UserId': caller, 'PrincipalId': caller}

    def _LookupEvents(self, params):
        """ActionTrail LookupEvents: conditions (the second of the same key wins), the window, newest first, pages."""
        conditions = {}
        for attribute in (params.get('LookupAttribute') or [])[:2]:
            conditions[attribute['Key']] = attribute['Value']
        fields = {'EventAccessKeyId': lambda e: e['userIdentity'].get('accessKeyId'), 'EventName': lambda e: e['eventName']}
        start, end = params.get('StartTime'), params.get('EndTime')
        matching = [e for e in reversed(self.trail)
                    if all(fields[key](e) == value for key, value in conditions.items())
                    and (not start or start <= e['eventTime'] <= end)]
        matching.sort(key=lambda e: e['eventTime'], reverse=True)
        offset = int(params.get('NextToken') or 0)
        size = self.page_size or int(params.get('MaxResults') or 20)
        body = {'Events': [dict(e) for e in matching[offset:offset + size]], 'StartTime': start, 'EndTime': end}
        if offset + size < len(matching):
            body['NextToken'] = str(offset + size)
        return body

    def _AssumeRole(self, params):
        return {'Credentials': {'AccessKeyId': 'STS.assumed', 'AccessKeySecret': 'assumed-secret-value',
                                'SecurityToken': 'assumed-token-value', 'Expiration': '2026-01-01T01:00:00Z'},
                'AssumedRoleUser': {'Arn': params['RoleArn'] + '/' + params['RoleSessionName']}}


class Sleeper(object):
    """Records the delays instead of sleeping."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


def make_api(fake=None, max_retries=5, sleeper=None):
    fake = fake if fake is not None else FakeRam()
    policy = RetryPolicy(max_retries=max_retries, sleep=sleeper or Sleeper(), rand=lambda: 0.5)
    return RamApi(fake, policy, secrets=['configured-secret-value']), fake


# --- the fake itself ---------------------------------------------------------------------------------------

def test_fault_after_commit_applies_the_change_then_raises():
    fake = FakeRam()
    fake.add_user('alice')
    fake.fail('CreateAccessKey', read_timeout, after=True)
    with pytest.raises(FakeUnretryable):
        fake.invoke('ram', 'CreateAccessKey', {'UserName': 'alice'})
    assert len(fake.key_ids('alice')) == 1


def test_fault_before_leaves_state_alone():
    fake = FakeRam()
    fake.add_user('alice')
    fake.fail('CreateAccessKey', refused)
    with pytest.raises(FakeUnretryable):
        fake.invoke('ram', 'CreateAccessKey', {'UserName': 'alice'})
    assert fake.key_ids('alice') == []
    assert fake.writes() == ['CreateAccessKey']


def test_key_limit_and_delete_conflict():
    fake = FakeRam()
    fake.add_user('alice')
    fake.add_key('alice', 'K1')
    fake.add_key('alice', 'K2')
    with pytest.raises(FakeSdkError) as info:
        fake.invoke('ram', 'CreateAccessKey', {'UserName': 'alice'})
    assert info.value.code == 'LimitExceeded.User.AccessKey' and info.value.status_code == 409
    with pytest.raises(FakeSdkError) as info:
        fake.invoke('ram', 'DeleteUser', {'UserName': 'alice'})
    assert info.value.code == 'DeleteConflict.User.AccessKey'
