# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit report's renderers: JSON shape, Markdown tables, a self-contained HTML page with everything escaped.

sample_report() is also what tests/audit renders for the headless browser.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._audit import build_report
from ansible_collections.aliyun.ram.plugins.module_utils._audit_render import (
    FILE_NAMES,
    FINDING_COLUMNS,
    FORMATS,
    KEY_COLUMNS,
    NOT_READ_COLUMNS,
    OTHER_KEY_COLUMNS,
    not_read,
    render,
    render_html,
    render_json,
    render_markdown,
)

NOW = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
HOSTILE_HOST = '<script>alert("host")</script>'
HOSTILE_PATH = '/etc/a|b & <c>.env'
TITLE = 'Audit <of> "prod" & co'


def _ago(days):
    return (NOW - datetime.timedelta(days=days)).strftime('%Y-%m-%dT%H:%M:%SZ')


def sample_report():
    """Every kind of row and finding, with host names and paths that would break unescaped output."""
    users = [
        {'user_name': 'app-web', 'exists': True, 'error': None, 'access_keys': [
            {'access_key_id': 'LTAIwebOld0000000001', 'status': 'Active', 'create_date': _ago(120), 'last_used_date': _ago(1)},
            {'access_key_id': 'LTAIwebIdle000000002', 'status': 'Inactive', 'create_date': _ago(30), 'last_used_date': None}]},
        {'user_name': 'app-batch', 'exists': True, 'error': None, 'access_keys': [
            {'access_key_id': 'LTAIbatch00000000003', 'status': 'Active', 'create_date': _ago(12), 'last_used_date': _ago(0)}]},
        {'user_name': 'app-spare', 'exists': True, 'error': None, 'access_keys': [
            {'access_key_id': 'LTAIspare00000000004', 'status': 'Active', 'create_date': _ago(2), 'last_used_date': None}]},
        {'user_name': 'app-idle', 'exists': True, 'error': None, 'access_keys': [
            {'access_key_id': 'LTAIidle000000000005', 'status': 'Active', 'create_date': _ago(60), 'last_used_date': _ago(45)}]},
    ]
    held = [
        {'host': 'web1', 'user_name': 'app-web', 'access_key_id': 'LTAIwebOld0000000001', 'format': 'sdk',
         'path': '/home/app/.alibabacloud/credentials.ini', 'profile': 'default'},
        {'host': HOSTILE_HOST, 'user_name': 'app-batch', 'access_key_id': 'LTAIbatch00000000003', 'format': 'env',
         'path': HOSTILE_PATH, 'profile': 'default'},
        {'host': 'web2', 'user_name': 'app-web', 'access_key_id': 'LTAIrootKey000000009', 'format': 'env',
         'path': '/etc/app.env', 'profile': 'default'},
        {'host': 'web1', 'user_name': 'app-idle', 'access_key_id': 'LTAIidle000000000005', 'format': 'env',
         'path': '/etc/idle.env', 'profile': 'default'},
    ]
    reads = {'held': held, 'hosts_read': sorted({entry['host'] for entry in held}),
             'unreachable': [{'host': 'web9', 'message': 'ssh: connect to host web9 port 22: Connection refused',
                              'declared_users': ['app-web']}],
             'unreadable': []}
    identities = {'LTAIrootKey000000009': {'identity_type': 'Account', 'arn': 'acs:ram::1234567890123456:root',
                                           'is_root': True, 'error': None}}
    return build_report(users, reads, identities, {'max_age_days': 90, 'inactive_grace_days': 7, 'unused_days': 30}, NOW,
                        controller_identity={'identity_type': 'RAMUser', 'arn': 'acs:ram::1234567890123456:user/ram-admin',
                                             'is_root': False})


class _Page(HTMLParser):
    """Tags, attributes and text of a page, to check structure and that nothing external is loaded."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(page):
    parser = _Page()
    parser.feed(page)
    return parser


def test_json_is_the_report_sorted_and_parseable():
    report = sample_report()
    text = render_json(report)
    assert json.loads(text) == report
    doc = json.loads(text)
    assert doc['schema_version'] == 1 and doc['generated_at'] == '2026-05-01T12:00:00Z'
    assert set(doc) == {'schema_version', 'generated_at', 'policy', 'controller_identity', 'summary', 'keys', 'other_keys',
                        'hosts_read', 'unreachable_hosts', 'unreadable_files', 'findings'}
    assert {f['kind'] for f in doc['findings']} == {
        'root_key_in_use', 'key_too_old', 'inactive_past_grace', 'orphan_key', 'unused_key', 'host_unreachable',
        'user_at_key_limit'}
    assert set(doc['keys'][0]) == {'user_name', 'access_key_id', 'status', 'create_date', 'age_days', 'last_used_date',
                                   'last_used_read', 'hosts', 'held_by', 'findings'}
    assert doc['policy'] == {'max_age_days': 90, 'inactive_grace_days': 7, 'unused_days': 30}
    assert doc['summary']['unused_keys'] == 1 and doc['summary']['findings_by_kind']['unused_key'] == 1
    unused, = [f for f in doc['findings'] if f['kind'] == 'unused_key']
    assert unused['access_key_id'] == 'LTAIidle000000000005' and 'up to about two hours' in unused['message']


def test_markdown_has_one_table_row_per_finding_and_key_with_cells_escaped():
    report = sample_report()
    text = render_markdown(report, TITLE)
    lines = text.splitlines()
    assert lines[0] == '# Audit &lt;of&gt; "prod" &amp; co'
    findings = lines[lines.index('## Findings') + 2:]
    assert findings[0].startswith('| Severity | Finding |') and findings[1].startswith('|---|')
    finding_rows = findings[2:2 + len(report['findings'])]
    assert all(row.startswith('| ') and row.endswith(' |') for row in finding_rows)
    assert finding_rows[0].startswith('| critical | Account root AccessKey in use |')
    key_rows = [line for line in lines if line.startswith('| app-')]
    assert len(key_rows) == len(report['keys'])
    # The hostile host and path: no raw HTML, pipes escaped so the column count holds.
    assert '<script>' not in text and '&lt;script&gt;' in text
    batch_row = [row for row in key_rows if 'LTAIbatch' in row][0]
    assert '/etc/a\\|b &amp; &lt;c&gt;.env' in batch_row
    assert len(re.split(r'(?<!\\)\|', batch_row)) == 8 + 2
    assert '**%d findings**' % len(report['findings']) in text


def test_markdown_shows_the_unused_key_the_policy_and_where_last_use_comes_from():
    report = sample_report()
    text = render_markdown(report, TITLE)
    lines = text.splitlines()
    assert 'Policy: keys older than 90 days, active keys unused for more than 30 days, inactive keys past 7 days of grace.' in lines[2]
    assert lines[4].startswith("Last used: as reported by RAM's GetAccessKeyLastUsed")
    assert 'up to about two hours: a key used in the last two hours may show an older last use' in lines[4]
    assert '(4 active, 1 unused)' in text
    row, = [line for line in lines if line.startswith('| warning | Active key unused for longer than the policy |')]
    assert '| app-idle | LTAIidle000000000005 | web1 | Active key LTAIidle000000000005 of app-idle was last used 45 days ago' in row
    key_row, = [line for line in lines if line.startswith('| app-idle |')]
    assert key_row.endswith('| %s | web1:/etc/idle.env | unused_key |' % _ago(45))


def test_a_last_use_that_was_not_read_shows_as_not_read():
    report = sample_report()
    spare, = [k for k in report['keys'] if k['user_name'] == 'app-spare']
    assert spare['last_used_read'] and spare['last_used_date'] is None, 'never used'
    spare['last_used_read'] = False
    row, = [line for line in render_markdown(report, TITLE).splitlines() if line.startswith('| app-spare |')]
    assert '| not read |' in row and '| never |' not in row
    assert '<td class="nw">not read</td>' in render_html(report, TITLE)
    assert 'not read' not in render_markdown(sample_report(), TITLE) and '| never |' in render_markdown(sample_report(), TITLE)


def test_markdown_without_findings_says_so():
    report = build_report([], {'held': [], 'hosts_read': [], 'unreachable': [], 'unreadable': []}, {},
                          {'max_age_days': 0, 'inactive_grace_days': 7}, NOW)
    text = render_markdown(report, 'empty')
    assert 'No findings.' in text and 'No keys.' in text and 'any number of days' in text
    assert 'no check of unused keys' in text


def test_html_is_self_contained_and_escapes_every_input_string():
    page = render_html(sample_report(), TITLE)
    parsed = parse(page)
    assert parsed.tags.count('script') == 1, 'only the inline table sorter'
    assert 'link' not in parsed.tags and 'img' not in parsed.tags and 'iframe' not in parsed.tags
    assert not [value for name, value in parsed.attrs if name in ('src', 'href')]
    assert not re.search(r'url\(|@import|https?://(?!www\.w3\.org/2000/svg)', page)
    assert '<script>alert' not in page and '&lt;script&gt;alert(&quot;host&quot;)&lt;/script&gt;' in page
    assert '/etc/a|b &amp; &lt;c&gt;.env' in page
    assert '<title>Audit &lt;of&gt; &quot;prod&quot; &amp; co</title>' in page
    text = ''.join(parsed.text)
    assert HOSTILE_HOST in text and HOSTILE_PATH in text, 'escaped strings read back as the original text'


def test_html_has_the_tables_findings_and_chart():
    report = sample_report()
    page = render_html(report, TITLE)
    assert page.count('<tr>') == 4 + len(report['findings']) + len(report['keys']) + len(report['other_keys']) + 1
    assert 'id="findings"' in page and 'id="keys"' in page and 'id="other-keys"' in page and 'id="not-read"' in page
    chart = page[page.index('<svg id="age-chart"'):page.index('</svg>')]
    assert chart.count('<rect') == len(report['keys'])
    assert 'policy: 90 days' in chart and '>120<' in chart
    # the unused key's bar is amber, and only it
    assert chart.count('fill="#c77700"') == 1 and re.search(r'fill="#c77700"><title>app-idle LTAIidle000000000005', chart)
    assert '<div class="card unused"><b>1</b>unused</div>' in page
    assert re.search(r'<p class="meta" id="last-used-note">Last used: as reported by RAM&#x27;s GetAccessKeyLastUsed[^<]*'
                     r'up to about two hours[^<]*</p>', page)
    assert 'active keys unused for more than 30 days' in page


def test_html_chart_without_keys_or_policy():
    report = build_report([], {'held': [], 'hosts_read': [], 'unreachable': [], 'unreadable': []}, {},
                          {'max_age_days': 0, 'inactive_grace_days': 7}, NOW)
    page = render_html(report, 'empty')
    assert 'No keys.' in page and 'policy:' not in page and 'id="no-findings"' in page


# ---------------------------------------------------------------- the tables are defined once for both pages

TABLES = [('findings', FINDING_COLUMNS, 'findings'), ('keys', KEY_COLUMNS, 'keys'),
          ('other-keys', OTHER_KEY_COLUMNS, 'other_keys'), ('not-read', NOT_READ_COLUMNS, None)]


def _rows(report, field):
    return not_read(report) if field is None else report[field]


def test_every_format_has_a_renderer_and_a_file_name():
    report = sample_report()
    assert FORMATS == ('markdown', 'html', 'json') and set(FILE_NAMES) == set(FORMATS)
    assert render(report, 'json', TITLE) == render_json(report)
    assert render(report, 'markdown', TITLE) == render_markdown(report, TITLE)
    assert render(report, 'html', TITLE) == render_html(report, TITLE)


@pytest.mark.parametrize('table_id, columns, field', TABLES, ids=[table[0] for table in TABLES])
def test_markdown_and_html_show_the_same_columns_and_rows(table_id, columns, field):
    report = sample_report()
    report['unreadable_files'] = [{'host': 'web3', 'user_name': 'app-web', 'format': 'sdk', 'path': None, 'message': 'line 2'}]
    rows = _rows(report, field)
    assert rows, 'the sample report fills every table'
    page = render_html(report, TITLE)
    table = page[page.index('<table id="%s"' % table_id):]
    table = table[:table.index('</table>')]
    headers = [column[0] for column in columns]
    assert re.findall(r'<th scope="col">(?:<button type="button">)?([^<]*)', table) == headers
    assert table.count('<tr>') == 1 + len(rows) and table.count('<td') == len(rows) * len(columns)
    markdown = render_markdown(report, TITLE).splitlines()
    header = markdown.index('| ' + ' | '.join(headers) + ' |')
    body = markdown[header + 2:header + 2 + len(rows)]
    assert all(len(re.split(r'(?<!\\)\|', line)) == len(columns) + 2 for line in body)
    for row, line in zip(rows, body):
        # a plain cell (no HTML of its own) reads the same in both pages
        for dummy, text, markup in columns:
            if markup is None and text(row):
                value = str(text(row))
                assert html.escape(value) in table and html.escape(value.split()[0], quote=False).replace('|', '\\|') in line


def test_not_read_lists_unreachable_hosts_then_unreadable_files():
    report = {'unreachable_hosts': [{'host': 'h1', 'message': 'down', 'declared_users': []}],
              'unreadable_files': [{'host': 'h2', 'user_name': 'u', 'format': 'sdk', 'path': None, 'message': 'line 3'},
                                   {'host': 'h3', 'user_name': 'u', 'format': 'env', 'path': '/etc/x.env', 'message': 'denied'}]}
    assert not_read(report) == [{'host': 'h1', 'file': 'all', 'message': 'down'},
                                {'host': 'h2', 'file': 'sdk', 'message': 'line 3'},
                                {'host': 'h3', 'file': '/etc/x.env', 'message': 'denied'}]
