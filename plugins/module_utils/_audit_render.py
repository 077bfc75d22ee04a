# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The audit report (see _audit.build_report) as JSON, Markdown and one self-contained HTML page. Pure.

Every string that comes from RAM, the inventory or a host (user names, host names, paths, ARNs, error
messages) is escaped for the target format: HTML entities in the page, and in Markdown table cells the
pipe, line breaks and inline HTML.  The page loads nothing: CSS, the SVG chart and the table sorter are inline.
"""

from __future__ import annotations

import html
import json

from ansible_collections.aliyun.ram.plugins.module_utils._audit import LAST_USED_LAG_NOTE, LAST_USED_SOURCE, SEVERITY_ORDER
from ansible_collections.aliyun.ram.plugins.module_utils._report_files import ReportFormats


# ---------------------------------------------------------------- cells

def _h(value):
    return html.escape('' if value is None else str(value), quote=True)


def _hosts_text(held_by):
    return ', '.join('%s:%s' % (entry['host'], entry['path'] or entry['format']) for entry in held_by)


def _last_used(key):
    """The Last used cell: the date, ``never``, or ``not read`` when the audit's input had no last use."""
    if not key.get('last_used_read', True):
        return 'not read'
    return key['last_used_date'] or 'never'


def _held_html(held_by):
    if not held_by:
        return ('<span class="none">no host</span>', '')
    return ('<ul class="tags">%s</ul>' % ''.join('<li>%s <code>%s</code></li>' % (_h(e['host']), _h(e['path'] or e['format']))
                                                 for e in held_by), '')


def _code(text):
    return '<code>%s</code>' % _h(text), ''


def _nowrap(text):
    return _h(text), ' class="nw"'


# ---------------------------------------------------------------- the report's tables, for Markdown and HTML alike
# (header, text of a row's cell, None or the cell's (HTML, td attributes) when the page shows more than the text)

FINDING_COLUMNS = (
    ('Severity', lambda f: f['severity'],
     lambda f: ('<span class="sev %s">%s</span>' % (_h(f['severity']), _h(f['severity'])),
                ' data-sort="%d"' % SEVERITY_ORDER.index(f['severity']))),
    ('Finding', lambda f: f['title'], None),
    ('User', lambda f: f['user_name'], None),
    ('AccessKey ID', lambda f: f['access_key_id'], lambda f: _code(f['access_key_id'])),
    ('Hosts', lambda f: ', '.join(f['hosts']), None),
    ('Detail', lambda f: f['message'], None),
)
KEY_COLUMNS = (
    ('User', lambda k: k['user_name'], lambda k: _nowrap(k['user_name'])),
    ('AccessKey ID', lambda k: k['access_key_id'], lambda k: _code(k['access_key_id'])),
    ('Status', lambda k: k['status'], lambda k: (_h(k['status']), ' class="status-%s"' % _h(k['status']))),
    ('Created', lambda k: k['create_date'], lambda k: _nowrap(k['create_date'])),
    ('Age (days)', lambda k: k['age_days'],
     lambda k: (str(k['age_days'] if k['age_days'] is not None else ''), ' class="num" data-sort="%d"' % (k['age_days'] or 0))),
    ('Last used', _last_used, lambda k: _nowrap(_last_used(k))),
    ('Held by', lambda k: _hosts_text(k['held_by']) or 'no host', lambda k: _held_html(k['held_by'])),
    ('Findings', lambda k: ', '.join(k['findings']), None),
)
OTHER_KEY_COLUMNS = (
    ('AccessKey ID', lambda k: k['access_key_id'], lambda k: _code(k['access_key_id'])),
    ('Identity', lambda k: k['identity_type'], None),
    ('ARN', lambda k: k['arn'], None),
    ('Error', lambda k: k['error'], None),
    ('Held by', lambda k: _hosts_text(k['held_by']), lambda k: _held_html(k['held_by'])),
)
NOT_READ_COLUMNS = (
    ('Host', lambda r: r['host'], None),
    ('File', lambda r: r['file'], None),
    ('Reason', lambda r: r['message'], None),
)


def not_read(report):
    """Rows of the "Not read" table: unreachable hosts (every file), then files that could not be read."""
    return ([{'host': h['host'], 'file': 'all', 'message': h['message']} for h in report['unreachable_hosts']]
            + [{'host': f['host'], 'file': f['path'] or f['format'], 'message': f['message']} for f in report['unreadable_files']])


# ---------------------------------------------------------------- JSON and Markdown

def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def _cell(value):
    """A Markdown table cell: no line break, no column break, no inline HTML."""
    text = '' if value is None else str(value)
    text = html.escape(text, quote=False).replace('\\', '\\\\').replace('|', '\\|')
    return ' '.join(text.split()) or '-'


def _md_table(columns, rows):
    lines = ['| ' + ' | '.join(column[0] for column in columns) + ' |', '|' + '---|' * len(columns)]
    lines.extend('| ' + ' | '.join(_cell(column[1](row)) for column in columns) + ' |' for row in rows)
    return lines


def policy_text(policy):
    """The policy sentence of both pages (plain text: numbers only)."""
    unused_days = policy.get('unused_days') or 0
    return 'Policy: keys older than %s days, %s, inactive keys past %d days of grace.' % (
        policy['max_age_days'] or 'any number of',
        'active keys unused for more than %d days' % unused_days if unused_days else 'no check of unused keys',
        policy['inactive_grace_days'])


# Where the Last used column comes from and what it cannot show (plain text).
LAST_USED_TEXT = 'Last used: as reported by %s. %s.' % (LAST_USED_SOURCE, LAST_USED_LAG_NOTE[0].upper() + LAST_USED_LAG_NOTE[1:])


def render_markdown(report, title):
    summary = report['summary']
    lines = ['# %s' % _cell(title), '',
             'Generated %s. %s' % (report['generated_at'], policy_text(report['policy'])), '',
             LAST_USED_TEXT, '']
    controller = report.get('controller_identity')
    if controller:
        lines += ['Controller identity: %s (%s).' % (_cell(controller['arn']), _cell(controller['identity_type'])), '']
    lines += ['%d users, %d keys (%d active, %d unused), %d other keys on hosts, %d hosts read, %d unreachable. **%d findings**: %s.' % (
        summary['users'], summary['keys'], summary['active_keys'], summary.get('unused_keys', 0), summary['other_keys'], summary['hosts_read'],
        summary['hosts_unreachable'], summary['findings'],
        ', '.join('%d %s' % (summary['findings_by_severity'][severity], severity) for severity in SEVERITY_ORDER)), '']
    lines += ['## Findings', '']
    lines += _md_table(FINDING_COLUMNS, report['findings']) if report['findings'] else ['No findings.']
    lines += ['', '## Keys', '']
    lines += _md_table(KEY_COLUMNS, report['keys']) if report['keys'] else ['No keys.']
    if report['other_keys']:
        lines += ['', '## Keys on hosts of no audited user', '']
        lines += _md_table(OTHER_KEY_COLUMNS, report['other_keys'])
    if report['unreachable_hosts'] or report['unreadable_files']:
        lines += ['', '## Not read', '']
        lines += _md_table(NOT_READ_COLUMNS, not_read(report))
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------- HTML

_CSS = """
:root{--crit:#b3261e;--warn:#a15c00;--info:#1f5fa8;--ok:#2e7d32;--unused:#c77700;--mut:#666;--line:#d9dce1}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
.meta{color:var(--mut);margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}
.card.critical b{color:var(--crit)}.card.warning b{color:var(--warn)}.card.info b{color:var(--info)}.card.unused b{color:var(--unused)}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef0f3;font-weight:600;white-space:nowrap}
th button{all:unset;cursor:pointer}th button::after{content:" \\2195";color:var(--mut)}
th[aria-sort=ascending] button::after{content:" \\2191"}th[aria-sort=descending] button::after{content:" \\2193"}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.nw{white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.sev{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px}
.sev.critical{background:var(--crit)}.sev.warning{background:var(--warn)}.sev.info{background:var(--info)}
.status-Inactive{color:var(--mut)}.none{color:var(--mut)}
ul.tags{margin:0;padding:0;list-style:none}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px;overflow-x:auto}
figcaption{color:var(--mut);margin-top:6px}
"""

_SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th button").forEach(function (button, column) {
    button.addEventListener("click", function () {
      var th = button.parentNode, descending = th.getAttribute("aria-sort") === "ascending";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-sort"), y = b.cells[column].getAttribute("data-sort");
        var order = (x !== null && y !== null) ? Number(x) - Number(y)
          : a.cells[column].textContent.localeCompare(b.cells[column].textContent);
        return descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _table(table_id, columns, rows, sortable=False):
    """A table of rows; a column's html gives (markup, td attributes), else its text is escaped here."""
    head = ''.join('<th scope="col">%s</th>' % ('<button type="button">%s</button>' % _h(column[0]) if sortable else _h(column[0]))
                   for column in columns)
    body = []
    for row in rows:
        cells = []
        for dummy, text, markup in columns:
            cell, attrs = markup(row) if markup else (_h(text(row)), '')
            cells.append('<td%s>%s</td>' % (attrs, cell))
        body.append('<tr>%s</tr>' % ''.join(cells))
    return '<table id="%s"%s><thead><tr>%s</tr></thead><tbody>\n%s\n</tbody></table>' % (
        table_id, ' class="sortable"' if sortable else '', head, '\n'.join(body))


def render_age_chart(report):
    """Horizontal bars of key ages (one per key), the policy's maximum age as a dashed line."""
    keys = report['keys']
    max_age = report['policy']['max_age_days']
    label_width, bar_width, row_height, top = 330, 520, 22, 28
    height = top + row_height * max(len(keys), 1) + 24
    scale_max = max([k['age_days'] or 0 for k in keys] + [max_age, 1])
    scale = bar_width / float(scale_max * 1.1)
    parts = ['<svg id="age-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="age-chart-title" '
             'width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui,sans-serif" font-size="12">'
             % (label_width + bar_width + 60, height, label_width + bar_width + 60, height),
             '<title id="age-chart-title">AccessKey age in days</title>']
    if not keys:
        parts.append('<text x="10" y="%d" fill="#666">No keys.</text>' % (top + 14))
    for index, key in enumerate(keys):
        y = top + index * row_height
        age = key['age_days'] or 0
        if 'key_too_old' in key['findings'] or 'inactive_past_grace' in key['findings']:
            color = '#b3261e'
        elif 'unused_key' in key['findings']:
            color = '#c77700'
        elif key['status'] != 'Active':
            color = '#9aa0a6'
        else:
            color = '#2e7d32'
        parts.append('<g class="bar"><text x="%d" y="%d" text-anchor="end">%s <tspan fill="#666">%s</tspan></text>'
                     '<rect x="%d" y="%d" width="%.1f" height="%d" rx="3" fill="%s"><title>%s %s: %d days, %s</title></rect>'
                     '<text x="%.1f" y="%d">%d</text></g>' % (
                         label_width - 8, y + 14, _h(key['user_name']), _h(key['access_key_id']),
                         label_width, y + 3, max(age * scale, 1.0), row_height - 6, color,
                         _h(key['user_name']), _h(key['access_key_id']), age, _h(key['status']),
                         label_width + max(age * scale, 1.0) + 4, y + 14, age))
    if max_age:
        x = label_width + max_age * scale
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#a15c00" stroke-dasharray="4 3"/>'
                     '<text x="%.1f" y="%d" fill="#a15c00" text-anchor="middle">policy: %d days</text>'
                     % (x, top - 6, x, height - 18, x, top - 12, max_age))
    parts.append('<text x="%d" y="%d" fill="#666">0</text>' % (label_width, height - 4))
    parts.append('</svg>')
    return ''.join(parts)


def render_html(report, title):
    summary = report['summary']
    controller = report.get('controller_identity')
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title><style>%s</style></head><body><main>' % (_h(title), _CSS),
           '<h1>%s</h1>' % _h(title),
           '<p class="meta">Generated <time>%s</time>. %s%s</p>' % (
               _h(report['generated_at']), _h(policy_text(report['policy'])),
               ' Controller identity: <code>%s</code> (%s).' % (_h(controller['arn']), _h(controller['identity_type']))
               if controller else ''),
           '<p class="meta" id="last-used-note">%s</p>' % _h(LAST_USED_TEXT)]
    cards = [('', summary['users'], 'users'), ('', summary['keys'], 'keys'), ('', summary['active_keys'], 'active'),
             ('unused', summary.get('unused_keys', 0), 'unused'),
             ('', summary['hosts_read'], 'hosts read'), ('', summary['hosts_unreachable'], 'unreachable')]
    cards += [(severity, summary['findings_by_severity'][severity], severity) for severity in SEVERITY_ORDER]
    out.append('<section class="cards" id="summary">%s</section>' % ''.join(
        '<div class="card %s"><b>%d</b>%s</div>' % (css, count, _h(label)) for css, count, label in cards))

    out.append('<section><h2 id="findings-title">Findings (%d)</h2>' % summary['findings'])
    if report['findings']:
        out.append(_table('findings', FINDING_COLUMNS, report['findings'], sortable=True))
    else:
        out.append('<p id="no-findings">No findings.</p>')
    out.append('</section>')

    out.append('<section><h2>Key ages</h2><figure>%s<figcaption>Days since each key was created; red: a finding on '
               'its age, amber: unused, grey: inactive.</figcaption></figure></section>' % render_age_chart(report))

    out.append('<section><h2>Keys (%d)</h2>' % summary['keys'])
    out.append(_table('keys', KEY_COLUMNS, report['keys'], sortable=True))
    out.append('</section>')

    if report['other_keys']:
        out.append('<section><h2>Keys on hosts of no audited user (%d)</h2>' % len(report['other_keys']))
        out.append(_table('other-keys', OTHER_KEY_COLUMNS, report['other_keys']))
        out.append('</section>')
    if report['unreachable_hosts'] or report['unreadable_files']:
        out.append('<section><h2>Not read</h2>')
        out.append(_table('not-read', NOT_READ_COLUMNS, not_read(report)))
        out.append('</section>')
    out.append('</main><script>%s</script></body></html>' % _SORT_SCRIPT)
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------- the formats, in the order of the module's choices

_FORMATS = ReportFormats('audit', render_markdown, render_html, render_json)
FORMATS, FILE_NAMES, render = _FORMATS.names, _FORMATS.file_names, _FORMATS.render
