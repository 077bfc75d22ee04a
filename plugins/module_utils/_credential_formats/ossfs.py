# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.


"""The ossfs password file: one "bucket:AccessKeyId:AccessKeySecret" line per bucket, "AccessKeyId:AccessKeySecret" for all."""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import (
    REDACTED,
    CredentialFileError,
    CredentialFormat,
    CredentialParseError,
    fullmatch,
    parse_lines,
    redact_lines,
    replace_lines,
)

SYSTEM_PATH = '/etc/passwd-ossfs'
_BUCKET_RE = re.compile(r'[a-z0-9][a-z0-9-]{1,61}[a-z0-9]')


def _bucket(number, line):
    """The bucket of a credential line, '' for the default line."""
    stripped = line.strip()
    fields = stripped.split(':')
    if len(fields) < 2 or stripped.startswith('['):
        raise CredentialParseError(number, 'expected "bucket:AccessKeyId:AccessKeySecret" or "AccessKeyId:AccessKeySecret"')
    return fields[0] if len(fields) > 2 else ''


class OssfsFormat(CredentialFormat):
    """The profile is the bucket ('' for the line every bucket without its own line uses)."""

    name = 'ossfs'
    secret_forbidden = ((':', "ossfs splits lines at ':'"),)

    def profile(self, profile, extra):
        profile = profile or ''
        if profile and not fullmatch(_BUCKET_RE, profile):
            raise CredentialFileError('profile (the ossfs bucket name) must be 3 to 63 lower-case letters, digits or dashes')
        return profile

    def default_paths(self, home):
        return [SYSTEM_PATH]

    def default_mode(self, path, owner_is_root):
        """ossfs accepts the system file as 0640 root-owned."""
        return 0o640 if path == SYSTEM_PATH and owner_is_root else 0o600

    def mode_problem(self, path, mode):
        """ossfs refuses to mount with a too-open password file."""
        if mode & 0o007:
            return 'ossfs refuses a password file that others can access; mode %04o is too open' % mode
        if path == SYSTEM_PATH:
            if mode & 0o030:
                return 'ossfs accepts at most group read on %s; mode %04o is too open' % (SYSTEM_PATH, mode)
        elif mode & 0o070:
            return 'ossfs accepts no group permissions on %s; mode %04o is too open' % (path, mode)
        return None

    def merge(self, spec, text):
        wanted = None
        if spec.state == 'present':
            wanted = ':'.join(([spec.profile] if spec.profile else []) + [spec.access_key_id, spec.access_key_secret])
        return replace_lines(parse_lines(text, _bucket), {spec.profile: wanted})

    def read(self, spec, text):
        for line, bucket in parse_lines(text, _bucket):
            if bucket is not None and bucket == spec.profile:
                fields = line.strip().split(':')
                if spec.profile:
                    fields = fields[1:]
                return {'access_key_id': ':'.join(fields[:-1]), 'access_key_secret': fields[-1], 'region': None}
        return None

    def redact(self, spec, text):
        def managed_line(line, bucket):
            if bucket is None or bucket != spec.profile:
                return None
            body = line.strip()
            return body[:body.rindex(':') + 1] + REDACTED + '\n'
        return redact_lines(parse_lines(text, _bucket), managed_line)
