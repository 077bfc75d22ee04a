#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: audit_report
short_description: Findings and Markdown, HTML and JSON reports of an AccessKey audit
version_added: 1.0.0
author: aliyun.ram contributors (@aliyun-ram)
description:
  - The controller side of C(playbooks/audit.yml). Takes what the playbook read (the keys RAM lists per user with their
    last use, the key ids found in the hosts' credential files, the STS identities of keys that belong to no audited user
    when the playbook was asked to prove them, the controller's own identity), works out the findings and writes the
    reports.
  - Calls no API and needs only the Python standard library; it never receives a secret (the inputs are registered
    results of M(aliyun.ram.ram_access_key_info), M(aliyun.ram.credential_file_info) without
    O(aliyun.ram.credential_file_info#module:return_secret), and M(aliyun.ram.sts_caller_info), whose secret options are
    masked), and copies only named fields of them.
  - "Findings: C(root_key_in_use) (an account root key on a host, or used by the controller), C(orphan_key) (an active
    key no host holds), C(unused_key) (an active key not used for more than O(unused_days)), C(key_too_old),
    C(inactive_past_grace), C(user_at_key_limit), C(stale_key_on_host) (a deployed key that is inactive, deleted or
    unknown), C(user_missing), C(host_unreachable), C(file_unreadable) and C(key_not_verified) (a key on a host that no
    audited user has and that was not identified with STS)."
  - Last use is what RAM's C(GetAccessKeyLastUsed) reports, read by M(aliyun.ram.ram_access_key_info) with
    O(aliyun.ram.ram_access_key_info#module:include_last_used=true) and the controller's own credentials. RAM reports a
    use with a delay of up to about two hours, so a key used in the last two hours may show an older last use, or none;
    every C(unused_key) finding says so.
  - Without O(output_dir) nothing is written; the playbook uses that first to learn RV(unknown_key_ids).
options:
  users:
    description:
      - The audited users' keys from M(aliyun.ram.ram_access_key_info) with
        O(aliyun.ram.ram_access_key_info#module:include_last_used=true) - its RV(aliyun.ram.ram_access_key_info#module:users)
        with O(aliyun.ram.ram_access_key_info#module:user_names) (one task for every user), or the registered C(results)
        of a loop over O(aliyun.ram.ram_access_key_info#module:user_name).
    type: list
    elements: dict
    required: true
  host_reads:
    description:
      - One entry per host, C(host) and C(result), the registered loop of M(aliyun.ram.credential_file_info) over the
        host's declared credential files. Each loop item is a pair (credential entry with C(user), file spec).
      - A host whose C(result) is unreachable is reported, not fatal.
    type: list
    elements: dict
    default: []
  identities:
    description:
      - The registered C(results) of a loop of M(aliyun.ram.sts_caller_info) over the key ids of RV(unknown_key_ids)
        (the loop item is the key id), verified with the key pairs found on the hosts.
      - Each of those calls is signed with a key read from a host, which RAM records as a use of that key; the playbook
        makes them only with C(audit_prove_held_keys=true) (see O(held_keys_proven)).
    type: list
    elements: dict
    default: []
  held_keys_proven:
    description:
      - Whether STS was asked about the key pairs of RV(unknown_key_ids) (O(identities)), as C(playbooks/audit.yml) does
        with C(audit_prove_held_keys=true).
      - When V(false), each of those keys without an identity is a C(key_not_verified) finding that says the key was not
        identified and how to identify it (audit its user, or prove it, which records a use of the key); when V(true),
        one without an identity is reported as not verified because its secret could not be read.
    type: bool
    default: false
  controller_identity:
    description: The registered result of M(aliyun.ram.sts_caller_info) with the controller's own credentials.
    type: dict
  max_age_days:
    description: An active key older than this many days is a finding. V(0) turns the check off.
    type: int
    default: 90
  unused_days:
    description:
      - An active key whose last use is more than this many days ago is a finding (C(unused_key)); so is one that was
        never used and was created more than this many days ago (a key created yesterday has not been unused for 90
        days). V(0) turns the check off.
      - A key whose last use is not in O(users) (M(aliyun.ram.ram_access_key_info) without
        O(aliyun.ram.ram_access_key_info#module:include_last_used=true)) is never reported as unused; the reports show
        its last use as C(not read).
    type: int
    default: 90
  inactive_grace_days:
    description:
      - An inactive key whose last use (or creation, when never used) is older than this many days is a finding.
        RAM records no deactivation date, so the last use is the latest moment the key is known to have served.
    type: int
    default: 7
  now:
    description:
      - Evaluate ages at this UTC time, C(YYYY-MM-DDThh:mm:ssZ), instead of the controller's clock (for reproducible reports).
    type: str
  output_dir:
    description:
      - Directory for the reports, created (mode 0700) if missing. Files C(audit.md), C(audit.html) and C(audit.json),
        mode 0600, written atomically.
      - When not set, nothing is written.
    type: path
  title:
    description: Title of the Markdown and HTML reports.
    type: str
    default: RAM AccessKey audit
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - aliyun.ram.attributes.report
notes:
  - Every string option is refused when it contains a control character such as a newline (a trailing one too),
    a carriage return, a tab or NUL, with a message naming the option, before any report is written. O(users),
    O(host_reads), O(identities) and O(controller_identity) are exempt, as they are the registered results of other
    tasks, whose messages (an unreachable host's SSH error, for example) legitimately span several lines.
seealso:
  - module: aliyun.ram.ram_access_key_info
  - module: aliyun.ram.credential_file_info
  - module: aliyun.ram.sts_caller_info
"""

EXAMPLES = r"""
# The whole audit, with the reads that feed this module, is playbooks/audit.yml. The last steps:
- name: Write the reports
  aliyun.ram.audit_report:
    users: "{{ audit_keys.users }}"
    host_reads: "{{ ansible_play_hosts_all | map('extract', hostvars, 'audit_host_read') | list }}"
    identities: "{{ audit_identities.results | default([]) }}"
    controller_identity: "{{ audit_controller_identity }}"
    max_age_days: 90
    unused_days: 90
    output_dir: /srv/reports/ram-audit
  delegate_to: localhost
  run_once: true
  register: audit

- name: Fail when there are findings
  ansible.builtin.fail:
    msg: "{{ audit.findings | length }} findings, see {{ audit.paths.html }}"
  when: audit.findings | length > 0
  run_once: true
"""

RETURN = r"""
findings:
  description: The findings, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Machine name of the finding, for example V(orphan_key).
      type: str
    severity:
      description: V(critical), V(warning) or V(info).
      type: str
    title:
      description: Human title of the kind.
      type: str
    message:
      description: What was found, naming the user, key and hosts.
      type: str
    user_name:
      description: The RAM user, when the finding is about one.
      type: str
    access_key_id:
      description: The AccessKey, when the finding is about one.
      type: str
    hosts:
      description: Hosts concerned (V(localhost) for the controller's own credentials).
      type: list
      elements: str
summary:
  description: Counts of users, keys (active, and active keys found unused), hosts and findings (by severity and by kind).
  returned: always
  type: dict
  sample: {users: 3, keys: 4, active_keys: 3, unused_keys: 1, other_keys: 1, hosts_read: 3, hosts_unreachable: 0, findings: 3,
           findings_by_severity: {critical: 1, warning: 2, info: 0},
           findings_by_kind: {orphan_key: 1, root_key_in_use: 1, unused_key: 1}}
unknown_key_ids:
  description:
    - Key ids found on hosts that RAM lists for no audited user. M(aliyun.ram.sts_caller_info) with the key pair says
      whose they are, at the cost of a recorded use of each key.
  returned: always
  type: list
  elements: str
report:
  description:
    - The whole report, as written to C(audit.json) (C(schema_version), C(generated_at), C(policy),
      C(controller_identity), C(summary), C(keys), C(other_keys), C(hosts_read), C(unreachable_hosts),
      C(unreadable_files), C(findings)). Never contains a secret.
  returned: always
  type: dict
paths:
  description: The report files by format (only those written, or that would be written in check mode).
  returned: when O(output_dir) is set
  type: dict
  sample: {markdown: /srv/reports/ram-audit/audit.md, html: /srv/reports/ram-audit/audit.html, json: /srv/reports/ram-audit/audit.json}
"""

from ansible_collections.aliyun.ram.plugins.module_utils import _audit
from ansible_collections.aliyun.ram.plugins.module_utils._audit_render import FILE_NAMES, FORMATS, render
from ansible_collections.aliyun.ram.plugins.module_utils._input_checks import CheckedModule
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import parse_date, utc_now
from ansible_collections.aliyun.ram.plugins.module_utils._report_files import write_reports


# Registered results of other tasks (ram_access_key_info, credential_file_info, sts_caller_info): their msg fields
# (an unreachable host's SSH error, an API error) legitimately span lines. The audit copies only named fields and
# the renderers escape what they show.
MULTILINE_OPTIONS = ('users', 'host_reads', 'identities', 'controller_identity')


def main():
    module = CheckedModule(
        argument_spec=dict(
            users=dict(type='list', elements='dict', required=True),
            host_reads=dict(type='list', elements='dict', default=[]),
            identities=dict(type='list', elements='dict', default=[]),
            controller_identity=dict(type='dict'),
            max_age_days=dict(type='int', default=90),
            unused_days=dict(type='int', default=90),
            held_keys_proven=dict(type='bool', default=False),
            inactive_grace_days=dict(type='int', default=7),
            now=dict(type='str'),
            output_dir=dict(type='path'),
            formats=dict(type='list', elements='str', choices=list(FORMATS), default=list(FORMATS)),
            title=dict(type='str', default='RAM AccessKey audit'),
        ),
        multiline_options=MULTILINE_OPTIONS,
        supports_check_mode=True,
    )
    params = module.params
    if params['max_age_days'] < 0 or params['inactive_grace_days'] < 0 or params['unused_days'] < 0:
        module.fail_json(msg='max_age_days, inactive_grace_days and unused_days must be 0 or more')
    now = parse_date(params['now']) if params['now'] else utc_now()
    if now is None:
        module.fail_json(msg='now must be a UTC time as YYYY-MM-DDThh:mm:ssZ, got %r' % params['now'])

    users = _audit.collect_users(params['users'])
    reads = _audit.collect_host_reads(params['host_reads'])
    report = _audit.build_report(
        users, reads, _audit.collect_identities(params['identities']),
        {'max_age_days': params['max_age_days'], 'inactive_grace_days': params['inactive_grace_days'],
         'unused_days': params['unused_days']}, now,
        controller_identity=_audit.collect_controller_identity(params['controller_identity']),
        held_keys_proven=params['held_keys_proven'])
    result = dict(changed=False, findings=report['findings'], summary=report['summary'], report=report,
                  unknown_key_ids=_audit.unknown_held_key_ids(users, reads['held']))

    if params['output_dir']:
        result['paths'], written = write_reports(module, params['output_dir'], params['formats'], FILE_NAMES,
                                                 lambda report_format: render(report, report_format, params['title']))
        result['changed'] = result['changed'] or written
    module.exit_json(**result)


if __name__ == '__main__':
    main()
