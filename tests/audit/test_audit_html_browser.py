# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's HTML report as a real browser renders it: headless Chromium, on a report rendered from fixture data.

Needs the Debian package chromium (installed with apt-get when missing and running as root). Set
AUDIT_SCREENSHOT_DIR to keep the screenshot for a look.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._audit_render import render_html
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_audit_render import (
    HOSTILE_HOST,
    HOSTILE_PATH,
    TITLE,
    sample_report,
)

# Clicks the "Age (days)" header twice after load (the page's own sorter), so the dump shows descending order.
CLICK_AGE_TWICE = ('<script>var b = document.querySelectorAll("#keys th button")[4]; b.click(); b.click();'
                   'document.body.setAttribute("data-test-sorted", "yes");</script>')


def _chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    if os.geteuid() == 0 and shutil.which('apt-get'):
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        subprocess.run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium'], env=env,
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        return shutil.which('chromium')
    return None


@pytest.fixture(scope='module')
def chromium(tmp_path_factory):
    binary = _chromium()
    if not binary:
        pytest.fail('headless Chromium is needed: apt-get install chromium')
    profile = tmp_path_factory.mktemp('chromium-profile')

    def run(*args):
        argv = [binary, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars',
                '--user-data-dir=%s' % profile] + list(args)
        env = {key: value for key, value in os.environ.items() if not key.lower().endswith('_proxy')}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout
    return run


class _Dom(HTMLParser):
    """Rows of each table by id, text of the findings table, and the chart's shapes, from the dumped DOM."""

    def __init__(self):
        super().__init__()
        self.tables, self.table, self.row, self.cell = {}, None, None, None
        self.svg_tags, self.in_svg, self.body_attrs, self.sort_state = [], False, {}, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'body':
            self.body_attrs = attrs
        elif tag == 'table':
            self.table = attrs.get('id')
            self.tables[self.table] = []
        elif tag == 'th' and self.table and 'aria-sort' in attrs:
            self.sort_state[self.table] = attrs['aria-sort']
        elif tag == 'tr' and self.table:
            self.row = []
        elif tag == 'td' and self.row is not None:
            self.cell = []
        elif tag == 'svg':
            self.in_svg = True
        if self.in_svg:
            self.svg_tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == 'td' and self.cell is not None:
            self.row.append(''.join(self.cell).strip())
            self.cell = None
        elif tag == 'tr' and self.row is not None:
            if self.row:
                self.tables[self.table].append(self.row)
            self.row = None
        elif tag == 'table':
            self.table = None
        elif tag == 'svg':
            self.in_svg = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def rendered(chromium, path):
    dom = _Dom()
    dom.feed(chromium('--dump-dom', 'file://%s' % path))
    return dom


@pytest.fixture(scope='module')
def report():
    return sample_report()


@pytest.fixture(scope='module')
def page(tmp_path_factory, report):
    path = tmp_path_factory.mktemp('report') / 'audit.html'
    path.write_text(render_html(report, TITLE), encoding='utf-8')
    return path


def test_tables_findings_and_chart_are_in_the_rendered_dom(chromium, page, report):
    dom = rendered(chromium, page)
    keys = dom.tables['keys']
    assert [(row[0], row[1], row[2], row[4]) for row in keys] == [
        (k['user_name'], k['access_key_id'], k['status'], str(k['age_days'])) for k in report['keys']]
    assert [row[5] for row in keys] == [k['last_used_date'] or 'never' for k in report['keys']]
    spare = [row for row in keys if row[0] == 'app-spare'][0]
    assert spare[6] == 'no host' and spare[7] == 'orphan_key'
    batch = [row for row in keys if row[0] == 'app-batch'][0]
    assert HOSTILE_HOST in batch[6] and HOSTILE_PATH in batch[6], 'hostile strings render as text'

    findings = dom.tables['findings']
    assert len(findings) == len(report['findings'])
    assert findings[0][0] == 'critical' and 'root AccessKey' in findings[0][1] and 'web2' in findings[0][4]
    assert {row[1] for row in findings} >= {'Active key held by no host', 'Active key older than the policy',
                                            'Inactive key past its grace period', 'Host could not be reached'}
    assert dom.tables['other-keys'][0][1] == 'Account'
    assert dom.tables['not-read'][0][0] == 'web9'

    rects = [attrs for tag, attrs in dom.svg_tags if tag == 'rect']
    assert len(rects) == len(report['keys'])
    assert sorted(float(r['width']) for r in rects)[-1] > 10 * sorted(float(r['width']) for r in rects)[0]
    assert any(tag == 'line' for tag, _attrs in dom.svg_tags), 'the policy line'
    # The hostile host name was text, never an element: the page's only script is the sorter.
    assert not any(tag == 'script' for tag, _attrs in dom.svg_tags)


def test_the_keys_table_sorts_by_age_in_the_browser(chromium, page, tmp_path, report):
    clicked = tmp_path / 'clicked.html'
    clicked.write_text(page.read_text(encoding='utf-8').replace('</body>', CLICK_AGE_TWICE + '</body>'), encoding='utf-8')
    dom = rendered(chromium, clicked)
    assert dom.body_attrs.get('data-test-sorted') == 'yes'
    assert dom.sort_state['keys'] == 'descending'
    assert [int(row[4]) for row in dom.tables['keys']] == sorted((k['age_days'] for k in report['keys']), reverse=True)


def test_screenshot(chromium, page):
    out_dir = os.environ.get('AUDIT_SCREENSHOT_DIR') or str(page.parent)
    shot = os.path.join(out_dir, 'audit.png')
    chromium('--window-size=1280,1700', '--screenshot=%s' % shot, 'file://%s' % page)
    with open(shot, 'rb') as handle:
        data = handle.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 20000
