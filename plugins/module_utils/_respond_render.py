# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The leaked-key incident report (``_respond.build_report``) as Markdown, self-contained HTML and JSON, with the
audit's table helpers: every cell escaped, one section per key."""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._audit_render import _CSS, _code, _h, _md_table, _nowrap, _table, render_json
from ansible_collections.aliyun.ram.plugins.module_utils._report_files import ReportFormats

TIMELINE_COLUMNS = (
    ('Time (UTC)', lambda e: e['time'], lambda e: _nowrap(e['time'])),
    ('What', lambda e: e['what'], None),
)
EVENT_COLUMNS = (
    ('Time (UTC)', lambda e: e['event_time'], lambda e: _nowrap(e['event_time'])),
    ('Event', lambda e: e['event_name'], None),
    ('Service', lambda e: e['service_name'], None),
    ('Source IP', lambda e: e['source_ip'], lambda e: _code(e['source_ip'])),
    ('Identity', lambda e: e['identity_type'], None),
    ('Error', lambda e: e['error_code'] or '', None),
)
HOLDER_COLUMNS = (
    ('Host', lambda f: f['host'], None),
    ('Declared user', lambda f: f['user_name'] or '(explicit key)', None),
    ('Format', lambda f: f['format'], None),
    ('File', lambda f: f['path'] or '(default path)', lambda f: _code(f['path'] or '(default path)')),
)
FACTS = (
    ('Decision', 'decision'), ('Owner', 'user_name'), ('Status before', 'status_before'), ('Status after', 'status_after'),
    ('Created', 'create_date'), ('Last used', 'last_used_date'), ('Recorded as compromised', 'recorded_at'),
    ('Contained', 'contained_at'), ('Replacement proven with STS', 'proven'),
)


def _facts(incident):
    rows = [(label, incident.get(field)) for label, field in FACTS]
    replacement = incident.get('replacement') or {}
    replaced = None
    if replacement:
        replaced = '%s (created %s%s)' % (replacement['access_key_id'], replacement.get('create_date'),
                                          ', in this run' if replacement.get('created_in_this_run') else '')
    rows.append(('Replacement', replaced))
    rows.append(('Source IPs (ActionTrail)', ', '.join(incident['source_ips']) or None))
    rows.append(('Hosts holding it when the run began', ', '.join(incident['holders']) or None))
    rows.append(('Hosts updated', ', '.join(h['host'] for h in incident['updated_hosts']) or None))
    rows.append(('Hosts not updated (failed or unreachable)', ', '.join(incident['not_updated_hosts']) or None))
    rows.append(('Unreachable hosts (may hold it)', ', '.join(incident['unknown_hosts']) or None))
    return [(label, '-' if value is None else str(value)) for label, value in rows]


def render_markdown(report, title):
    summary = report['summary']
    lines = ['# %s' % title, '',
             'Generated %s; mode %s; maximum exposure %s minutes%s.' % (
                 report['generated_at'], report['mode'], report['max_exposure_minutes'],
                 ' (check mode: nothing was changed)' if report['check_mode'] else ''), '',
             '%d keys: %d contained, %d already contained, %d refused; hosts updated: %s; not updated: %s.' % (
                 summary['keys'], summary['contained'], summary['already_contained'], summary['refused'],
                 ', '.join(summary['hosts_updated']) or 'none', ', '.join(summary['hosts_not_updated']) or 'none'), '']
    for incident in report['incidents']:
        lines += ['## %s' % incident['access_key_id'], '', incident['message'], '']
        lines += _md_table((('Fact', lambda r: r[0]), ('Value', lambda r: r[1])), _facts(incident)) + ['']
        if incident['finish_command']:
            lines += ['To finish once the hosts are back:', '', '```', incident['finish_command'], '```', '']
        if incident['console_steps']:
            lines += ['Console steps:', ''] + ['%d. %s' % (n + 1, step) for n, step in enumerate(incident['console_steps'])] + ['']
        lines += ['### Timeline', ''] + _md_table(TIMELINE_COLUMNS, incident['timeline']) + ['']
        if incident['holder_files']:
            lines += ['### Files holding it', ''] + _md_table(HOLDER_COLUMNS, incident['holder_files']) + ['']
        lines += ['### ActionTrail events (%d, the latest %d shown)' % (incident['event_count'], len(incident['events'])), '']
        lines += (_md_table(EVENT_COLUMNS, incident['events']) if incident['events'] else ['No event in the window.']) + ['']
    return '\n'.join(lines)


def render_html(report, title):
    summary = report['summary']
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title><style>%s</style></head><body><main>' % (_h(title), _CSS),
           '<h1>%s</h1>' % _h(title),
           '<p class="meta">Generated <time>%s</time>; mode %s; maximum exposure %s minutes%s.</p>' % (
               _h(report['generated_at']), _h(report['mode']), _h(report['max_exposure_minutes']),
               ' (check mode: nothing was changed)' if report['check_mode'] else '')]
    cards = [('', summary['keys'], 'keys'), ('', summary['contained'], 'contained'),
             ('', summary['already_contained'], 'already contained'), ('high', summary['refused'], 'refused'),
             ('', len(summary['hosts_updated']), 'hosts updated'), ('medium', len(summary['hosts_not_updated']), 'not updated')]
    out.append('<section class="cards" id="summary">%s</section>' % ''.join(
        '<div class="card %s"><b>%d</b>%s</div>' % (css, count, _h(label)) for css, count, label in cards))
    for incident in report['incidents']:
        key_id = incident['access_key_id']
        out.append('<section class="incident" id="key-%s" data-decision="%s"><h2><code>%s</code></h2>' % (
            _h(key_id), _h(incident['decision']), _h(key_id)))
        out.append('<p class="message">%s</p>' % _h(incident['message']))
        out.append(_table('facts-%s' % _h(key_id), (('Fact', lambda r: r[0], None), ('Value', lambda r: r[1], None)),
                          _facts(incident)))
        if incident['finish_command']:
            out.append('<p>To finish once the hosts are back:</p><pre class="finish">%s</pre>' % _h(incident['finish_command']))
        if incident['console_steps']:
            out.append('<ol class="console-steps">%s</ol>' % ''.join('<li>%s</li>' % _h(s) for s in incident['console_steps']))
        out.append('<h3>Timeline</h3>')
        out.append(_table('timeline-%s' % _h(key_id), TIMELINE_COLUMNS, incident['timeline']))
        if incident['holder_files']:
            out.append('<h3>Files holding it</h3>')
            out.append(_table('holders-%s' % _h(key_id), HOLDER_COLUMNS, incident['holder_files']))
        out.append('<h3>ActionTrail events (%d, the latest %d shown)</h3>' % (incident['event_count'], len(incident['events'])))
        out.append(_table('events-%s' % _h(key_id), EVENT_COLUMNS, incident['events'], sortable=False)
                   if incident['events'] else '<p>No event in the window.</p>')
        out.append('</section>')
    out.append('</main></body></html>')
    return '\n'.join(out) + '\n'


_FORMATS = ReportFormats('respond', render_markdown, render_html, render_json)
FORMATS, FILE_NAMES, render = _FORMATS.names, _FORMATS.file_names, _FORMATS.render
