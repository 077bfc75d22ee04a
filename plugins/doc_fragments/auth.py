# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Authentication and connection options shared by every RAM/STS module.
    DOCUMENTATION = r'''
options:
  access_key:
    description:
      - ID of the AccessKey used to call the API (the caller's key, never the key a module manages or writes).
      - If not set, the value of the E(ALIBABA_CLOUD_ACCESS_KEY_ID), E(ALICLOUD_ACCESS_KEY) or
        E(ALICLOUD_ACCESS_KEY_ID) environment variable is used.
      - Must be given together with O(secret_key). An explicit key pair (including one from the environment)
        takes precedence over O(profile), O(ecs_role_name) and the default credential chain.
      - Alibaba Cloud recommends the AccessKey of a RAM user, not the root AccessKey of the account
        (see M(aliyun.ram.sts_caller_info) and its O(aliyun.ram.sts_caller_info#module:fail_on_root) option).
      - The option names follow the other Ansible cloud collections; the alias is the name used by C(alibaba.alicloud).
    type: str
    aliases: [alicloud_access_key]
  secret_key:
    description:
      - Secret of the AccessKey used to call the API.
      - If not set, the value of the E(ALIBABA_CLOUD_ACCESS_KEY_SECRET) or E(ALICLOUD_SECRET_KEY) environment variable is used.
    type: str
    aliases: [alicloud_secret_key]
  security_token:
    description:
      - STS security token, for temporary credentials (O(access_key) is then an C(STS.) key id).
      - If not set, the value of the E(ALIBABA_CLOUD_SECURITY_TOKEN) or E(ALICLOUD_SECURITY_TOKEN) environment variable is used.
    type: str
    aliases: [alicloud_security_token]
  profile:
    description:
      - Name of a profile to take the credentials from, looked up first in the aliyun CLI configuration
        C(~/.aliyun/config.json) and then in the C(~/.alibabacloud/credentials.ini) file of the controller user.
      - If not set, the value of the E(ALIBABA_CLOUD_PROFILE) or E(ALICLOUD_PROFILE) environment variable is used.
      - A profile set in the task takes precedence over an AccessKey that comes only from environment variables,
        so a stray E(ALIBABA_CLOUD_ACCESS_KEY_ID) never makes a task that asks for a profile run as someone else.
        The same holds for O(ecs_role_name).
      - When neither an AccessKey, a profile nor O(ecs_role_name) is given, the default credential chain of the
        C(alibabacloud-credentials) library is used (environment, OIDC, CLI profile, credentials file, ECS instance role).
    type: str
  assume_role_arn:
    description:
      - ARN of a RAM role to assume (STS AssumeRole) with the credentials found as described above; the modules then
        act as that role.
      - For example V(acs:ram::123456789012****:role/ram-admin).
      - If not set, the value of the E(ALIBABA_CLOUD_ROLE_ARN) or E(ALICLOUD_ASSUME_ROLE_ARN) environment variable is used;
        an empty value means no role.
    type: str
  role_session_name:
    description:
      - Session name used with O(assume_role_arn). Defaults to V(ansible-aliyun-ram).
      - If not set, the value of the E(ALIBABA_CLOUD_ROLE_SESSION_NAME) or E(ALICLOUD_ASSUME_ROLE_SESSION_NAME)
        environment variable is used.
    type: str
  ecs_role_name:
    description:
      - Name of the RAM role attached to the ECS instance the modules run on; credentials come from the instance
        metadata service.
      - If not set, the value of the E(ALIBABA_CLOUD_ECS_METADATA) (the name the C(alibabacloud-credentials) library
        reads) or E(ALICLOUD_ECS_ROLE_NAME) environment variable is used; an empty value means no role.
      - A role set in the task takes precedence over an AccessKey that comes only from environment variables; a role
        that comes from the environment does not, so an AccessKey in the environment wins over it.
      - Can be combined with O(assume_role_arn), and the instance role's credentials then assume that role.
    type: str
  region:
    description:
      - Region ID, for example V(cn-hangzhou). RAM is a global service, so this is optional.
      - It also chooses the default ActionTrail endpoint (see O(actiontrail_endpoint)).
    type: str
  endpoint:
    description:
      - RAM API endpoint, as V(host[:port]) or V(http(s\)://host[:port]). Defaults to V(ram.aliyuncs.com) over HTTPS.
      - Without a scheme a host name is reached over HTTPS and an IP address or V(localhost) over HTTP (a local emulator).
      - If not set, the value of the E(ALIBABA_CLOUD_RAM_ENDPOINT) environment variable is used.
    type: str
  sts_endpoint:
    description:
      - STS API endpoint (for O(assume_role_arn) and M(aliyun.ram.sts_caller_info)), in the same forms as O(endpoint).
        Defaults to V(sts.aliyuncs.com) over HTTPS.
      - If not set, the value of the E(ALIBABA_CLOUD_STS_ENDPOINT) environment variable is used.
    type: str
  actiontrail_endpoint:
    description:
      - ActionTrail API endpoint (for M(aliyun.ram.actiontrail_event_info)), in the same forms as O(endpoint).
        Defaults to V(actiontrail.<region>.aliyuncs.com) over HTTPS, with O(region) or V(cn-hangzhou).
      - ActionTrail is regional; C(LookupEvents) returns the events of the region of its endpoint.
      - If not set, the value of the E(ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT) environment variable is used.
    type: str
  timeout:
    description:
      - Connect and read timeout of each API request, in seconds.
    type: float
    default: 10
  max_retries:
    description:
      - How many times a failed request is retried, with jittered exponential backoff (honouring the server's
        C(x-acs-retry-after)).
      - Reads are retried on throttling, 5xx answers and network errors. A write is resent only when the failure
        proves it was not applied (throttling, 503, connection refused); after an ambiguous failure (timeout, dropped
        connection) the module looks at the resulting state instead of resending blindly.
    type: int
    default: 5
  consistency_window:
    description:
      - RAM is eventually consistent (see the RAM FAQ). A user, key, policy attachment or group membership written a
        moment ago may not be listed yet, and a new AccessKey may not authenticate yet. When the module needs to see a
        write before it decides (a user it is told exists, a key a host holds, the key a lost C(CreateAccessKey)
        answer may have made, a new key proved with STS) it reads again with short pauses for up to this many seconds
        in total. It never creates a second key because the first is not listed yet.
      - After each write it also waits, up to as long, until reads show the change, so that the next task or the next
        run decides on what this one wrote.
      - V(0) decides on the first read and does not wait.
    type: float
    default: 15
requirements:
  - alibabacloud-ram20150501 >= 1.3.0 (on the controller, or wherever the module runs)
  - alibabacloud-sts20150401 >= 1.2.0 (for O(assume_role_arn) and M(aliyun.ram.sts_caller_info))
  - alibabacloud-credentials >= 1.0.12
  - alibabacloud-tea-openapi >= 0.4.6
  - darabonba-core >= 1.0.0
  - alibabacloud-actiontrail20200706 >= 2.6.0 (for M(aliyun.ram.actiontrail_event_info))
  - alibabacloud-kms20160120 >= 3.3.1 (for the V(kms) backend of the secret store of M(aliyun.ram.ram_access_keys))
notes:
  - These modules call the Alibaba Cloud API from wherever they run. Run them on the controller
    (C(delegate_to) V(localhost), usually with C(run_once) V(true)); environment variables and credential files are
    read there too.
  - On the controller the module runs inside Ansible's own worker process, which saves starting a Python interpreter
    and unpacking the module for every task, when the task's connection is C(local), without C(become), with the
    C(ansible_python_interpreter) that runs Ansible (or interpreter discovery), and its C(environment) sets no
    variable that the SDK reads only once (C(HOME), C(ALIBABA_CLOUD_*) other than the ones of these options).
    Otherwise, or with the variable C(aliyun_ram_in_process=false), it runs as a module; at C(-vvv) Ansible says why.
    The result is the same either way.
  - Options shared by all modules of the collection can be set once with C(module_defaults) and the action group
    C(group/aliyun.ram.ram).
  - No secret is ever written to a message or log; failures report the RAM error code, the HTTP status and the request ID.
  - Every string option (strings inside lists and dictionaries and the authentication options included, also when they
    come from environment variables) is refused when it contains a control character such as a newline (a trailing
    one too), a carriage return, a tab or NUL, with a message naming the option, before any API call.
'''
