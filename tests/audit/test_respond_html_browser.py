# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The leaked-key response's HTML report (playbooks/respond.yml) as headless Chromium renders it, from fixture data:
one contained key with a host left to finish, and one refused account root key."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._respond import build_report, plan_response
from ansible_collections.aliyun.ram.plugins.module_utils._respond_render import render_html
from ansible_collections.aliyun.ram.tests.audit.test_audit_html_browser import chromium, rendered  # noqa: F401 pylint: disable=unused-import
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_respond import LEAKED, NEW, event, held, owner

ROOT_KEY = 'LTAI5tRootKey00000000000'
HOSTILE_PATH = '/etc/<img src=x onerror=alert(1)>.env'


class _Sections(HTMLParser):
    """The decision of each key section, and the text of pre and li elements."""

    def __init__(self):
        super().__init__()
        self.decisions, self.pre, self.steps, self._into = [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'section' and 'data-decision' in attrs:
            self.decisions.append(attrs['data-decision'])
        elif tag == 'pre' or (tag == 'li' and self._into is None):
            self._into = tag
            (self.pre if tag == 'pre' else self.steps).append('')

    def handle_endtag(self, tag):
        if tag == self._into:
            self._into = None

    def handle_data(self, data):
        if self._into == 'pre':
            self.pre[-1] += data
        elif self._into == 'li':
            self.steps[-1] += data


@pytest.fixture(scope='module')
def page(tmp_path_factory):
    hostile = dict(held('h2'), path=HOSTILE_PATH)
    response = plan_response(
        [LEAKED, ROOT_KEY], [owner(), {'access_key_id': ROOT_KEY, 'found': False}],
        [event('ListUsers', '2026-04-30T00:00:00Z'), event('GetCallerIdentity', '2026-04-30T01:00:00Z', ip='198.51.100.9'),
         event('ListUsers', '2026-05-02T00:00:00Z', identity='root-account', key_id=ROOT_KEY)],
        {'held': [held('h1'), hostile], 'unreachable': []}, {'h1': ['app'], 'h2': ['app']})
    outcome = {'user_keys_after': {'app': [{'access_key_id': LEAKED, 'status': 'Inactive'},
                                           {'access_key_id': NEW, 'status': 'Active', 'create_date': '2026-06-01T00:00:02Z'}]},
               'containments': {LEAKED: {'recorded_at': '2026-06-01T00:00:01Z', 'contained_at': '2026-06-01T00:00:05Z'}},
               'hosts': {'h1': {'updated_at': '2026-06-01T00:00:03Z', 'changed': True, 'holds': [NEW]}}, 'proofs': {'app': True}}
    report = build_report(response, outcome, {
        'generated_at': '2026-06-01T00:00:06Z', 'started_at': '2026-06-01T00:00:00Z', 'mode': 'replace_first',
        'max_exposure_minutes': 0, 'finish_command': 'ansible-playbook -i inv aliyun.ram.respond -e leaked_access_key_ids=%s' % LEAKED,
        'target_hosts': response['target_hosts']})
    path = tmp_path_factory.mktemp('respond') / 'respond.html'
    path.write_text(render_html(report, 'Leaked AccessKey response'), encoding='utf-8')
    return path


def test_each_key_its_facts_timeline_and_events_in_the_rendered_dom(chromium, page):  # noqa: F811 pylint: disable=redefined-outer-name
    dom = rendered(chromium, page)
    facts = dict(dom.tables['facts-%s' % LEAKED])
    assert facts['Decision'] == 'contain' and facts['Status after'] == 'Inactive'
    assert facts['Hosts updated'] == 'h1' and facts['Hosts not updated (failed or unreachable)'] == 'h2'
    assert facts['Replacement'].startswith(NEW) and facts['Source IPs (ActionTrail)'] == '198.51.100.9, 203.0.113.7'
    assert [row[1] for row in dom.tables['timeline-%s' % LEAKED]] == [
        'created', 'first ActionTrail event: ListUsers from 203.0.113.7',
        'last ActionTrail event: GetCallerIdentity from 198.51.100.9', 'last used (GetAccessKeyLastUsed)',
        'recorded as compromised in the Comments of user app',
        'replaced by %s' % NEW, 'host h1 updated', 'contained (deactivated)']
    # the hostile path is text in its cell, never an element
    assert [row[3] for row in dom.tables['holders-%s' % LEAKED]] == ['/etc/app.env', HOSTILE_PATH]
    events = dom.tables['events-%s' % LEAKED]
    assert [row[1] for row in events] == ['ListUsers', 'GetCallerIdentity']
    assert dict(dom.tables['facts-%s' % ROOT_KEY])['Decision'] == 'root_key'


def test_the_finish_command_and_the_console_steps_are_shown(chromium, page):  # noqa: F811 pylint: disable=redefined-outer-name
    sections = _Sections()
    sections.feed(chromium('--dump-dom', 'file://%s' % page))
    assert sections.decisions == ['contain', 'root_key']
    assert sections.pre == ['ansible-playbook -i inv aliyun.ram.respond -e leaked_access_key_ids=%s --limit h2' % LEAKED]
    assert len(sections.steps) == 4 and 'disable it' in sections.steps[1] and ROOT_KEY in sections.steps[1]
