# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.access_keys: an Event-Driven Ansible event source that watches the AccessKeys of an Alibaba Cloud account.

It polls RAM (ListUsers, ListAccessKeys, GetAccessKeyLastUsed) and ActionTrail (LookupEvents) every ``interval``
seconds and puts one event on the queue per condition: ``key_too_old``, ``key_unused``,
``key_used_from_unexpected_source``, ``root_key_used``. The decisions, the memory of what was emitted and the API calls
are the collection's (plugins/module_utils/_key_watch.py, through the same client, credentials and retries as the
modules); this file is the asyncio loop around them.

Run by hand (events printed, one poll; the options as JSON, credentials from the environment):

    python extensions/eda/plugins/event_source/access_keys.py '{"max_age_days": 30}'
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

DOCUMENTATION = r'''
---
author:
  - aliyun.ram contributors (@aliyun-ram)
short_description: Watch the AccessKeys of an Alibaba Cloud account (RAM and ActionTrail)
version_added: 1.0.0
description:
  - An ansible-rulebook event source that polls RAM (C(ListUsers), C(ListAccessKeys), C(GetAccessKeyLastUsed)) and
    ActionTrail (C(LookupEvents)) and puts one event on the queue for each condition it finds.
  - Event C(type) is V(key_too_old) (an Active key older than O(max_age_days)), V(key_unused) (an Active key at least
    O(unused_days) old that was never used, or last used more than O(unused_days) ago),
    V(key_used_from_unexpected_source) (an ActionTrail event made with an AccessKey from an address outside
    O(expected_source_cidrs)) or V(root_key_used) (an ActionTrail event made with the account's root AccessKey).
  - Every event has C(type), C(user_name), C(access_key_id), C(status), C(create_date), C(age_days), C(last_used_date)
    and C(reason); the ActionTrail ones also C(event_name), C(event_time), C(source_ip), C(event_id),
    C(identity_type) and C(error_code). No event holds a secret.
  - One condition gives one event until the value that matters changes (the key's creation date for V(key_too_old),
    its last use for V(key_unused), the source address for the ActionTrail events). The memory is kept in the process,
    and across restarts in O(state_file).
  - RAM reports the last use of a key up to about 2 hours late. A key that ActionTrail shows in use during the last
    O(lookback_hours) is never reported unused, so keep O(lookback_hours) at 2 or more.
  - Credentials and endpoints are the modules' options, with the same environment variables
    (E(ALIBABA_CLOUD_ACCESS_KEY_ID), E(ALIBABA_CLOUD_ACCESS_KEY_SECRET), E(ALIBABA_CLOUD_SECURITY_TOKEN),
    E(ALIBABA_CLOUD_PROFILE), E(ALIBABA_CLOUD_ROLE_ARN), E(ALIBABA_CLOUD_RAM_ENDPOINT), E(ALIBABA_CLOUD_STS_ENDPOINT),
    E(ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT), ...); see the aliyun.ram.ram_user module for each.
    The identity needs C(AliyunRAMReadOnlyAccess) and C(AliyunActionTrailReadOnlyAccess).
options:
  interval:
    description: Seconds between two polls.
    type: float
    default: 300
  once:
    description: Poll once, put the events on the queue and stop (tests, cron-like runs).
    type: bool
    default: false
  max_age_days:
    description: An Active key older than this many days is V(key_too_old). V(0) turns the check off.
    type: int
    default: 90
  unused_days:
    description: An Active key unused for this many days (and at least that old) is V(key_unused). V(0) turns the check off.
    type: int
    default: 90
  expected_source_cidrs:
    description:
      - The networks (CIDR, or single addresses) AccessKeys are expected to be used from; an ActionTrail event of an
        AccessKey from any other address is V(key_used_from_unexpected_source).
      - Include the address this event source runs from (its own C(LookupEvents) calls are recorded too).
      - Empty (the default) turns that check off.
    type: list
    elements: str
    default: []
  check_actiontrail:
    description: Read ActionTrail (the V(key_used_from_unexpected_source) and V(root_key_used) checks).
    type: bool
    default: true
  lookback_hours:
    description:
      - Each poll reads the ActionTrail events of the last this many hours (ActionTrail shows an event some minutes
        after the call, and RAM's last use lags up to about 2 hours).
    type: float
    default: 3
  max_trail_events:
    description: At most this many ActionTrail events are read per poll (the newest); a warning is logged when more matched.
    type: int
    default: 2000
  user_names:
    description: Only the keys of these RAM users (default, every user of the account).
    type: list
    elements: str
  parallelism:
    description: How many users are read at the same time (1-32).
    type: int
    default: 4
  state_file:
    description:
      - A JSON file that keeps what was emitted across restarts (written with mode 0600 by atomic replace).
      - It holds event types, key IDs, dates and addresses, no secret.
    type: path
  access_key:
    description: The caller's AccessKey ID (else E(ALIBABA_CLOUD_ACCESS_KEY_ID) and the modules' other sources).
    type: str
  secret_key:
    description: The caller's AccessKey secret (else E(ALIBABA_CLOUD_ACCESS_KEY_SECRET)). Secret; prefer the environment.
    type: str
  security_token:
    description: STS security token (else E(ALIBABA_CLOUD_SECURITY_TOKEN)). Secret.
    type: str
  profile:
    description: A profile of the aliyun CLI configuration or the credentials file (else E(ALIBABA_CLOUD_PROFILE)).
    type: str
  assume_role_arn:
    description: A RAM role to assume (else E(ALIBABA_CLOUD_ROLE_ARN)).
    type: str
  role_session_name:
    description: Session name with O(assume_role_arn) (else E(ALIBABA_CLOUD_ROLE_SESSION_NAME)).
    type: str
  ecs_role_name:
    description: The RAM role of the ECS instance the source runs on (else E(ALIBABA_CLOUD_ECS_METADATA)).
    type: str
  region:
    description: Region ID; chooses the default ActionTrail endpoint (V(cn-hangzhou) when not set).
    type: str
  endpoint:
    description: RAM endpoint (else E(ALIBABA_CLOUD_RAM_ENDPOINT)).
    type: str
  sts_endpoint:
    description: STS endpoint (else E(ALIBABA_CLOUD_STS_ENDPOINT)).
    type: str
  actiontrail_endpoint:
    description: ActionTrail endpoint (else E(ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT)).
    type: str
  timeout:
    description: Connect and read timeout of each API request, in seconds.
    type: float
    default: 10
  max_retries:
    description: How many times a failed read is retried (throttling, 5xx, network errors), with jittered backoff.
    type: int
    default: 5
'''

EXAMPLES = r'''
- aliyun.ram.access_keys:
    interval: 600
    max_age_days: 90
    unused_days: 90
    expected_source_cidrs:
      - 198.51.100.0/24
      - 203.0.113.10
    state_file: /var/lib/eda/aliyun-ram-access-keys.json
'''

LOGGER = logging.getLogger('aliyun.ram.access_keys')


def _import_watch():
    """The collection's module_utils, importable when ansible-rulebook runs this file from an installed collection
    (…/ansible_collections/aliyun/ram/extensions/eda/plugins/event_source/access_keys.py) or from a checkout."""
    try:
        from ansible_collections.aliyun.ram.plugins.module_utils import _key_watch  # pylint: disable=import-outside-toplevel
        return _key_watch
    except ImportError:
        pass
    collection = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    candidates = []
    if os.path.basename(os.path.dirname(os.path.dirname(collection))) == 'ansible_collections':
        candidates.append(os.path.dirname(os.path.dirname(os.path.dirname(collection))))
    candidates.extend(path for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if path)
    for candidate in candidates:
        if candidate not in sys.path:
            sys.path.append(candidate)
    from ansible_collections.aliyun.ram.plugins.module_utils import _key_watch  # pylint: disable=import-outside-toplevel
    return _key_watch


async def main(queue: asyncio.Queue, args: dict) -> None:
    """Poll every ``interval`` seconds (once with ``once: true``) and put each new finding on ``queue``."""
    watch = _import_watch()
    watcher = watch.Watcher(args)
    loop = asyncio.get_running_loop()
    while True:
        try:
            result = await loop.run_in_executor(None, watcher.poll)
        except (watch.ApiError, watch.ValidationError) as err:
            # the message names the call, its code and request id; never a secret
            LOGGER.error('aliyun.ram.access_keys: the poll failed: %s', watcher.scrub(str(err)))
            if watcher.once:
                raise RuntimeError('the poll failed: %s' % watcher.scrub(str(err))) from None
        else:
            for problem in result.problems:
                LOGGER.warning('aliyun.ram.access_keys: %s', problem)
            for event in watcher.new_events(result):
                await queue.put(event)
            await loop.run_in_executor(None, watcher.emitted, result)
        if watcher.once:
            return
        await asyncio.sleep(watcher.interval)


if __name__ == '__main__':

    class MockQueue(asyncio.Queue):
        """Prints the events instead of queueing them."""

        async def put(self, item):
            print(json.dumps(item, sort_keys=True))

    logging.basicConfig(level=logging.INFO)
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    options.setdefault('once', True)
    asyncio.run(main(MockQueue(), options))
