# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Report files on the controller (audit_report, respond_report): mode 0600, replaced atomically, left alone when
their content is the same."""

from __future__ import annotations

import os
import tempfile

from ansible.module_utils.common.text.converters import to_bytes


class ReportFormats(object):
    """The formats of one kind of report (the module's ``formats`` choices, in order): its renderers
    ``(report, title)`` and file names ``<kind>.md``, ``<kind>.html``, ``<kind>.json``."""

    def __init__(self, kind, render_markdown, render_html, render_json):
        self._renderers = {'markdown': render_markdown, 'html': render_html,
                           'json': lambda report, title: render_json(report)}
        self.names = tuple(self._renderers)
        self.file_names = dict(zip(self.names, ('%s.md' % kind, '%s.html' % kind, '%s.json' % kind)))

    def render(self, report, report_format, title):
        """The report in one of ``names``."""
        return self._renderers[report_format](report, title)


def write_if_changed(path, content, check_mode):
    """Whether the file changes (in check mode: would)."""
    data = to_bytes(content)
    try:
        with open(path, 'rb') as handle:
            if handle.read() == data:
                return False
    except FileNotFoundError:
        pass
    if check_mode:
        return True
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return True


def write_reports(module, output_dir, formats, file_names, render):
    """Write ``render(format)`` for each format into ``output_dir`` (made 0700 when missing); returns (paths, changed)."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        module.fail_json(msg='output_dir %s exists and is not a directory' % output_dir)
    if not os.path.isdir(output_dir) and not module.check_mode:
        os.makedirs(output_dir, mode=0o700)
    paths, changed = {}, False
    for report_format in dict.fromkeys(formats):
        path = os.path.join(output_dir, file_names[report_format])
        paths[report_format] = path
        changed = write_if_changed(path, render(report_format), module.check_mode) or changed
    return paths, changed
