#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: actiontrail_event_info
short_description: Look up who used Alibaba Cloud AccessKeys, when and from where (ActionTrail)
version_added: 1.0.0
description:
  - Queries ActionTrail C(LookupEvents) (API version 2020-07-06) for the management events made with the given
    AccessKeys, or for every event, in a time window, newest first.
  - Returns each event as a plain dictionary (event name, time, source IP address, user identity, error code, request
    ID), and the events grouped by AccessKey ID; never request parameters, response elements or secrets.
  - C(LookupEvents) takes one AccessKey ID per query and a window of at most 30 days, so the module makes one query
    per key and splits a longer window; it follows C(NextToken) pages up to O(max_events).
  - ActionTrail keeps the events of the last 90 days for C(LookupEvents), and shows an event some minutes after the
    call. Events are regional, see O(actiontrail_endpoint) and O(region).
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  access_key_ids:
    description:
      - The AccessKey IDs whose events to return (the C(EventAccessKeyId) condition of C(LookupEvents)); one query each.
      - When not set, the events of every key (and of console sign-ins without a key) are returned.
    type: list
    elements: str
  event_names:
    description:
      - Only events of these API actions, for example V(CreateAccessKey) (exact, case-sensitive names).
    type: list
    elements: str
  start_time:
    description:
      - Start of the window, ISO 8601, for example V(2026-01-02T03:04:05Z); a time without a zone is UTC.
      - Without O(start_time), the window starts O(since_hours) (or 7 days) before its end.
      - Mutually exclusive with O(since_hours). At most 90 days ago.
    type: str
  end_time:
    description:
      - End of the window, in the same form as O(start_time). Defaults to now.
      - Mutually exclusive with O(since_hours).
    type: str
  since_hours:
    description:
      - The window is the last O(since_hours) hours up to now.
      - When neither O(since_hours) nor O(start_time) is set, the window is the last 7 days (as C(LookupEvents) does).
    type: float
  max_events:
    description:
      - At most this many events are returned, the newest; RV(truncated) says when more matched.
      - Also the most each query reads, so a query stops paging once it has this many.
    type: int
    default: 1000
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
  - aliyun.ram.attributes.info_module
notes:
  - The identity in use needs C(actiontrail:LookupEvents), for example through the system policy
    C(AliyunActionTrailReadOnlyAccess); C(ReadOnlyAccess) does not cover it.
  - Each query is itself recorded by ActionTrail as an event of the key in use.
seealso:
  - module: aliyun.ram.ram_access_key_info
  - module: aliyun.ram.sts_caller_info
'''

EXAMPLES = r'''
- name: What the keys of backup-job did in the last day
  aliyun.ram.actiontrail_event_info:
    access_key_ids: "{{ backup_keys.access_keys | map(attribute='access_key_id') | list }}"
    since_hours: 24
  delegate_to: localhost
  run_once: true
  register: backup_events

- name: Addresses each key was used from
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value | map(attribute='source_ip') | unique | list }}"
  loop: "{{ backup_events.events_by_access_key_id | dict2items }}"

- name: AccessKeys created or deleted in the last week, by anyone
  aliyun.ram.actiontrail_event_info:
    event_names: [CreateAccessKey, DeleteAccessKey]
    since_hours: 168
  delegate_to: localhost
  run_once: true
  register: key_changes

- name: Fail when the account's root key made any call
  ansible.builtin.assert:
    that: key_changes.events | selectattr('user_identity.type', 'equalto', 'root-account') | list | length == 0
    fail_msg: the root AccessKey was used
'''

RETURN = r'''
events:
  description: The events, newest first.
  returned: success
  type: list
  elements: dict
  contains:
    event_id:
      description: ActionTrail's ID of the event.
      type: str
    event_name:
      description: The API action, for example V(CreateAccessKey).
      type: str
      sample: ListUsers
    event_time:
      description: When the call was made (UTC).
      type: str
      sample: "2026-01-02T03:04:05Z"
    event_source:
      description: The service's endpoint name, for example V(ram.aliyuncs.com).
      type: str
    service_name:
      description: The service, for example V(Ram) or V(Sts).
      type: str
    event_rw:
      description: V(Read) or V(Write).
      type: str
    event_type:
      description: The kind of event, for example V(ApiCall).
      type: str
    source_ip:
      description: The address the call came from.
      type: str
      sample: 203.0.113.7
    user_agent:
      description: The caller's User-Agent.
      type: str
    region:
      description: The region of the event.
      type: str
    request_id:
      description: The call's request ID.
      type: str
    error_code:
      description: The error code of a failed call; null when it succeeded.
      type: str
    error_message:
      description: The error message of a failed call; null when it succeeded.
      type: str
    access_key_id:
      description: The AccessKey the call was signed with (null for a console sign-in).
      type: str
    user_identity:
      description:
        - Who made the call. C(type) is V(root-account) for the account's root AccessKey, V(ram-user) for a RAM user's,
          V(assumed-role) for an STS session.
        - Also C(user_name), C(principal_id), C(account_id) and C(access_key_id).
      type: dict
events_by_access_key_id:
  description:
    - The same events, grouped by the AccessKey they were made with, newest first.
    - With O(access_key_ids), every one of them is a key (an empty list when the key made no call in the window).
  returned: success
  type: dict
  sample: {"LTAI5tAbCdEfGh****": [{"event_name": "ListUsers", "source_ip": "203.0.113.7"}]}
truncated:
  description: Whether more events matched than O(max_events) (only the newest are returned).
  returned: success
  type: bool
start_time:
  description: Start of the window queried (UTC).
  returned: success
  type: str
end_time:
  description: End of the window queried (UTC).
  returned: success
  type: str
retries:
  description: How many API requests were retried.
  returned: always
  type: int
error:
  description: The failed API call (C(code), C(status), C(request_id), C(action)).
  returned: on an API failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._actiontrail import run_actiontrail_event_info
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_actiontrail_event_info,
        argument_spec=dict(
            # AccessKey IDs are not secret (the secret of a key is never asked for)
            access_key_ids=dict(type='list', elements='str', no_log=False),
            event_names=dict(type='list', elements='str'),
            start_time=dict(type='str'),
            end_time=dict(type='str'),
            since_hours=dict(type='float'),
            max_events=dict(type='int', default=1000),
        ),
        services=('actiontrail',),
        mutually_exclusive=[('since_hours', 'start_time'), ('since_hours', 'end_time')],
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
