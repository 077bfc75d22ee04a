#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: respond_report
short_description: Decisions and Markdown, HTML and JSON reports of a leaked-AccessKey response
version_added: 1.0.0
author: aliyun.ram contributors (@aliyun-ram)
description:
  - The controller side of C(playbooks/respond.yml), in three stages. Calls no API and never receives a secret (its
    inputs are registered results of modules whose secret options are masked, and key ids); it copies only named
    fields of them.
  - O(stage=check) checks the inputs before anything is read or changed (each ID of the AccessKey ID shape, the mode,
    the deadline).
  - "O(stage=plan) decides for each key: C(contain), C(finish) (an earlier run recorded it as compromised and left
    work), C(already_contained), or a refusal with what to do instead: C(root_key) (the account's root key: console
    steps), C(unknown_key), C(two_active_keys) (the user has another Active key), C(other_key_held) (hosts hold
    another key of the user)."
  - O(stage=report) builds the report (timeline, owner, holders, hosts updated and not, the command that finishes the
    job) and writes it.
options:
  stage:
    description: What to do, see the description.
    type: str
    choices: [check, plan, report]
    required: true
  access_key_ids:
    description: The leaked AccessKey IDs, a list or one string separated by commas.
    type: raw
    required: true
  mode:
    description: V(replace_first) or V(deactivate_first) (see C(playbooks/respond.yml)).
    type: str
    default: replace_first
  max_exposure_minutes:
    description: Minutes the leaked key may stay Active while hosts failed (0 = deactivated right after the others).
    type: raw
    default: 0
  owners:
    description: RV(aliyun.ram.ram_access_key_owner_info#module:access_keys) (stage C(plan)).
    type: list
    elements: dict
    default: []
  users_scanned:
    description: RV(aliyun.ram.ram_access_key_owner_info#module:users_scanned) (stage C(plan)).
    type: int
  events:
    description: RV(aliyun.ram.actiontrail_event_info#module:events) for the keys (stage C(plan)).
    type: list
    elements: dict
    default: []
  host_reads:
    description:
      - One entry per host, C(host) and C(result) (the registered reads of the credentials role's C(read) entry
        point, key ids only), as M(aliyun.ram.audit_report) takes them (stage C(plan)).
    type: list
    elements: dict
    default: []
  declared_users:
    description: By host, the users its credential entries use (names, or user declarations with C(name)) (stage C(plan)).
    type: dict
    default: {}
  plan:
    description: RV(plan) of stage C(plan) (stage C(report)).
    type: dict
    default: {}
  user_keys_after:
    description: RV(aliyun.ram.ram_access_key_info#module:users) for the owners, read after the containment (stage C(report)).
    type: list
    elements: dict
    default: []
  containments:
    description: Registered results of M(aliyun.ram.ram_access_key_compromised) (stage C(report)).
    type: list
    elements: dict
    default: []
  hosts:
    description: By host, C(updated_at), C(changed) and C(holds) (key ids) after the deployment (stage C(report)).
    type: dict
    default: {}
  proofs:
    description: Registered C(results) of a loop of M(aliyun.ram.sts_caller_info) over the owners (the loop item) (stage C(report)).
    type: list
    elements: dict
    default: []
  started_at:
    description: When the run started (UTC, C(YYYY-MM-DDThh:mm:ssZ)); a replacement created after it is "created in this run".
    type: str
  finish_command:
    description: The command that runs the response again; the hosts not updated are added as C(--limit).
    type: str
  dry_run:
    description:
      - Whether the response ran in check mode (the playbook's C(ansible_check_mode)); the reports say that nothing was
        changed. The task itself runs with C(check_mode=false) so that the reports are written.
    type: bool
    default: false
  output_dir:
    description: Directory for C(respond.md), C(respond.html) and C(respond.json) (mode 0600); not set, nothing is written.
    type: path
  title:
    description: Title of the Markdown and HTML reports.
    type: str
    default: Leaked AccessKey response
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - aliyun.ram.attributes.report
seealso:
  - module: aliyun.ram.ram_access_key_owner_info
  - module: aliyun.ram.ram_access_key_compromised
  - module: aliyun.ram.audit_report
"""

EXAMPLES = r"""
- name: Check the leaked key ids before anything is read
  aliyun.ram.respond_report:
    stage: check
    access_key_ids: "{{ leaked_access_key_ids }}"
  delegate_to: localhost
  run_once: true
  register: respond_input
"""

RETURN = r"""
access_key_ids:
  description: The checked IDs, without repeats.
  returned: always
  type: list
  elements: str
plan:
  description:
    - Stage C(plan) - C(keys) (per key C(decision), C(message), C(user_name), C(holders), C(unknown_hosts), C(events)),
      C(contain_users), C(target_hosts), C(acting) and C(refused) (key ids).
  returned: stage plan
  type: dict
report:
  description: Stage C(report) - the whole report, as written to C(respond.json). Never contains a secret.
  returned: stage report
  type: dict
lines:
  description: Stage C(report) - one line per key, for the play's output.
  returned: stage report
  type: list
  elements: str
paths:
  description: The report files by format.
  returned: stage report, when O(output_dir) is set
  type: dict
"""

from ansible_collections.aliyun.ram.plugins.module_utils import _respond
from ansible_collections.aliyun.ram.plugins.module_utils._audit import collect_host_reads
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import CheckedModule
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._report_files import write_reports
from ansible_collections.aliyun.ram.plugins.module_utils._respond_render import FILE_NAMES, FORMATS, render

# Registered results of other tasks: an unreachable host's SSH error and API errors legitimately span lines. Only
# named fields are copied, and the renderers escape what they show.
MULTILINE_OPTIONS = ('owners', 'events', 'host_reads', 'plan', 'user_keys_after', 'containments', 'hosts', 'proofs')


def _names(users):
    return [u.get('name') if isinstance(u, dict) else u for u in users or [] if u]


def _outcome(params):
    containments = {}
    for result in params['containments']:
        for entry in result.get('results') or [result]:
            if not isinstance(entry, dict) or not entry.get('access_key_id') or entry.get('skipped'):
                continue
            state = containments.setdefault(entry['access_key_id'], {})
            for field, source in (('recorded_at', 'recorded_at'), ('contained_at', 'deactivated_at')):
                state[field] = state.get(field) or entry.get(source)
    proofs = dict((entry.get('item'), not entry.get('failed') and not entry.get('skipped'))
                  for entry in params['proofs'] if isinstance(entry, dict) and isinstance(entry.get('item'), str))
    user_keys = dict((u.get('user_name'), u.get('access_keys') or []) for u in params['user_keys_after'] if isinstance(u, dict))
    return {'user_keys_after': user_keys, 'containments': containments, 'hosts': params['hosts'], 'proofs': proofs}


def main():
    module = CheckedModule(
        argument_spec=dict(
            stage=dict(type='str', choices=['check', 'plan', 'report'], required=True),
            access_key_ids=dict(type='raw', required=True, no_log=False),
            mode=dict(type='str', default=_respond.REPLACE_FIRST),
            max_exposure_minutes=dict(type='raw', default=0),
            owners=dict(type='list', elements='dict', default=[]),
            users_scanned=dict(type='int'),
            events=dict(type='list', elements='dict', default=[]),
            host_reads=dict(type='list', elements='dict', default=[]),
            declared_users=dict(type='dict', default={}),
            plan=dict(type='dict', default={}),
            # key ids, statuses and dates of the owners' keys (ram_access_key_info), never a secret
            user_keys_after=dict(type='list', elements='dict', default=[], no_log=False),
            containments=dict(type='list', elements='dict', default=[]),
            hosts=dict(type='dict', default={}),
            proofs=dict(type='list', elements='dict', default=[]),
            started_at=dict(type='str'),
            finish_command=dict(type='str'),
            dry_run=dict(type='bool', default=False),
            output_dir=dict(type='path'),
            formats=dict(type='list', elements='str', choices=list(FORMATS), default=list(FORMATS)),
            title=dict(type='str', default='Leaked AccessKey response'),
        ),
        multiline_options=MULTILINE_OPTIONS,
        supports_check_mode=True,
    )
    params = module.params
    try:
        access_key_ids = _respond.check_leaked_ids(params['access_key_ids'])
        mode, minutes = _respond.check_options(params['mode'], params['max_exposure_minutes'])
    except ValidationError as err:
        module.fail_json(msg=str(err))
    result = dict(changed=False, access_key_ids=access_key_ids, mode=mode, max_exposure_minutes=minutes)
    if params['stage'] == 'plan':
        declared = dict((host, _names(users)) for host, users in params['declared_users'].items())
        result['plan'] = _respond.plan_response(access_key_ids, params['owners'], params['events'],
                                                collect_host_reads(params['host_reads']), declared, params['users_scanned'])
    elif params['stage'] == 'report':
        plan = params['plan']
        if not isinstance(plan.get('keys'), list):
            module.fail_json(msg='plan must be the plan returned by stage=plan')
        context = {'generated_at': utc_now().strftime('%Y-%m-%dT%H:%M:%SZ'), 'started_at': params['started_at'],
                   'mode': mode, 'max_exposure_minutes': minutes, 'finish_command': params['finish_command'],
                   'target_hosts': plan.get('target_hosts') or [], 'check_mode': module.check_mode or params['dry_run']}
        report = _respond.build_report(plan, _outcome(params), context)
        result.update(report=report, lines=_respond.summary_lines(report), summary=report['summary'])
        if params['output_dir']:
            result['paths'], result['changed'] = write_reports(
                module, params['output_dir'], params['formats'], FILE_NAMES,
                lambda report_format: render(report, report_format, params['title']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
