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

from ansible_collections.aliyun.ram.plugins.module_utils._audit import SEVERITY_ORDER

FORMATS = ('markdown', 'html', 'json')
FILE_NAMES = {'markdown': 'audit.md', 'html': 'audit.html', 'json': 'audit.json'}


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def _hosts_text(held_by):
    return ', '.join('%s:%s' % (entry['host'], entry['path'] or entry['format']) for entry in held_by)


def _never(value):
    return value or 'never'


def _cell(value):
    """A Markdown table cell: no line break, no column break, no inline HTML."""
    text = '' if value is None else str(value)
    text = html.escape(text, quote=False).replace('\\', '\\\\').replace('|', '\\|')
    return ' '.join(text.split()) or '-'


def _md_table(headers, rows):
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    lines.extend('| ' + ' | '.join(_cell(value) for value in row) + ' |' for row in rows)
    return lines


def render_markdown(report, title):
    summary = report['summary']
    policy = report['policy']
    lines = ['# %s' % _cell(title), '',
             'Generated %s. Policy: keys older than %s days, inactive keys past %d days of grace.' % (
                 report['generated_at'], policy['max_age_days'] or 'any number of', policy['inactive_grace_days']), '']
    controller = report.get('controller_identity')
    if controller:
        lines += ['Controller identity: %s (%s).' % (_cell(controller['arn']), _cell(controller['identity_type'])), '']
    lines += ['%d users, %d keys (%d active), %d other keys on hosts, %d hosts read, %d unreachable. **%d findings**: %s.' % (
        summary['users'], summary['keys'], summary['active_keys'], summary['other_keys'], summary['hosts_read'],
        summary['hosts_unreachable'], summary['findings'],
        ', '.join('%d %s' % (summary['findings_by_severity'][severity], severity) for severity in SEVERITY_ORDER)), '']
    lines += ['## Findings', '']
    if report['findings']:
        lines += _md_table(['Severity', 'Finding', 'User', 'AccessKey ID', 'Hosts', 'Detail'], [
            (f['severity'], f['title'], f['user_name'], f['access_key_id'], ', '.join(f['hosts']), f['message'])
            for f in report['findings']])
    else:
        lines.append('No findings.')
    lines += ['', '## Keys', '']
    if report['keys']:
        lines += _md_table(['User', 'AccessKey ID', 'Status', 'Created', 'Age (days)', 'Last used', 'Held by', 'Findings'], [
            (k['user_name'], k['access_key_id'], k['status'], k['create_date'], k['age_days'], _never(k['last_used_date']),
             _hosts_text(k['held_by']) or 'no host', ', '.join(k['findings'])) for k in report['keys']])
    else:
        lines.append('No keys.')
    if report['other_keys']:
        lines += ['', '## Keys on hosts of no audited user', '']
        lines += _md_table(['AccessKey ID', 'Identity', 'ARN', 'Error', 'Held by'], [
            (k['access_key_id'], k['identity_type'], k['arn'], k['error'], _hosts_text(k['held_by'])) for k in report['other_keys']])
    if report['unreachable_hosts'] or report['unreadable_files']:
        lines += ['', '## Not read', '']
        lines += _md_table(['Host', 'File', 'Reason'], [(h['host'], 'all', h['message']) for h in report['unreachable_hosts']]
                           + [(f['host'], f['path'] or f['format'], f['message']) for f in report['unreadable_files']])
    return '\n'.join(lines) + '\n'


_CSS = """
:root{--crit:#b3261e;--warn:#a15c00;--info:#1f5fa8;--ok:#2e7d32;--mut:#666;--line:#d9dce1}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
.meta{color:var(--mut);margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}
.card.critical b{color:var(--crit)}.card.warning b{color:var(--warn)}.card.info b{color:var(--info)}
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


def _h(value):
    return html.escape('' if value is None else str(value), quote=True)


def _table(table_id, headers, rows, sortable=False):
    """rows: lists of (text, attrs) cells or plain values; text is escaped here."""
    head = ''.join('<th scope="col">%s</th>' % ('<button type="button">%s</button>' % _h(h) if sortable else _h(h)) for h in headers)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, tuple):
                text, attrs = cell
            else:
                text, attrs = _h(cell), ''
            cells.append('<td%s>%s</td>' % (attrs, text))
        body.append('<tr>%s</tr>' % ''.join(cells))
    return '<table id="%s"%s><thead><tr>%s</tr></thead><tbody>\n%s\n</tbody></table>' % (
        table_id, ' class="sortable"' if sortable else '', head, '\n'.join(body))


def _held_html(held_by):
    if not held_by:
        return ('<span class="none">no host</span>', '')
    return ('<ul class="tags">%s</ul>' % ''.join('<li>%s <code>%s</code></li>' % (_h(e['host']), _h(e['path'] or e['format']))
                                                 for e in held_by), '')


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
    policy = report['policy']
    controller = report.get('controller_identity')
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title><style>%s</style></head><body><main>' % (_h(title), _CSS),
           '<h1>%s</h1>' % _h(title),
           '<p class="meta">Generated <time>%s</time>. Policy: keys older than %s days; inactive keys past %d days of grace.%s</p>' % (
               _h(report['generated_at']), _h(policy['max_age_days'] or 'any number of'), policy['inactive_grace_days'],
               ' Controller identity: <code>%s</code> (%s).' % (_h(controller['arn']), _h(controller['identity_type']))
               if controller else '')]
    cards = [('', summary['users'], 'users'), ('', summary['keys'], 'keys'), ('', summary['active_keys'], 'active'),
             ('', summary['hosts_read'], 'hosts read'), ('', summary['hosts_unreachable'], 'unreachable')]
    cards += [(severity, summary['findings_by_severity'][severity], severity) for severity in SEVERITY_ORDER]
    out.append('<section class="cards" id="summary">%s</section>' % ''.join(
        '<div class="card %s"><b>%d</b>%s</div>' % (css, count, _h(label)) for css, count, label in cards))

    out.append('<section><h2 id="findings-title">Findings (%d)</h2>' % summary['findings'])
    if report['findings']:
        out.append(_table('findings', ['Severity', 'Finding', 'User', 'AccessKey ID', 'Hosts', 'Detail'], [
            [('<span class="sev %s">%s</span>' % (_h(f['severity']), _h(f['severity'])),
              ' data-sort="%d"' % SEVERITY_ORDER.index(f['severity'])),
             f['title'], f['user_name'] or '', ('<code>%s</code>' % _h(f['access_key_id'] or ''), ''),
             ', '.join(f['hosts']), f['message']] for f in report['findings']], sortable=True))
    else:
        out.append('<p id="no-findings">No findings.</p>')
    out.append('</section>')

    out.append('<section><h2>Key ages</h2><figure>%s<figcaption>Days since each key was created; red: a finding on '
               'its age, grey: inactive.</figcaption></figure></section>' % render_age_chart(report))

    out.append('<section><h2>Keys (%d)</h2>' % summary['keys'])
    out.append(_table('keys', ['User', 'AccessKey ID', 'Status', 'Created', 'Age (days)', 'Last used', 'Held by', 'Findings'], [
        [(_h(k['user_name']), ' class="nw"'), ('<code>%s</code>' % _h(k['access_key_id']), ''),
         ('%s' % _h(k['status']), ' class="status-%s"' % _h(k['status'])), (_h(k['create_date']), ' class="nw"'),
         (str(k['age_days'] if k['age_days'] is not None else ''), ' class="num" data-sort="%d"' % (k['age_days'] or 0)),
         (_h(_never(k['last_used_date'])), ' class="nw"'), _held_html(k['held_by']), ', '.join(k['findings'])]
        for k in report['keys']],
        sortable=True))
    out.append('</section>')

    if report['other_keys']:
        out.append('<section><h2>Keys on hosts of no audited user (%d)</h2>' % len(report['other_keys']))
        out.append(_table('other-keys', ['AccessKey ID', 'Identity', 'ARN', 'Error', 'Held by'], [
            [('<code>%s</code>' % _h(k['access_key_id']), ''), k['identity_type'] or '', k['arn'] or '', k['error'] or '',
             _held_html(k['held_by'])] for k in report['other_keys']]))
        out.append('</section>')
    if report['unreachable_hosts'] or report['unreadable_files']:
        out.append('<section><h2>Not read</h2>')
        out.append(_table('not-read', ['Host', 'File', 'Reason'],
                          [[h['host'], 'all', h['message']] for h in report['unreachable_hosts']]
                          + [[f['host'], f['path'] or f['format'], f['message']] for f in report['unreadable_files']]))
        out.append('</section>')
    out.append('</main><script>%s</script></body></html>' % _SORT_SCRIPT)
    return '\n'.join(out) + '\n'


def render(report, report_format, title):
    if report_format == 'json':
        return render_json(report)
    if report_format == 'markdown':
        return render_markdown(report, title)
    return render_html(report, title)
