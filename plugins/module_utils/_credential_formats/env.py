# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.


"""Environment files (systemd EnvironmentFile, or sourced by a shell): NAME=value lines, optionally exported."""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import (
    CredentialFileError,
    CredentialFormat,
    CredentialParseError,
    masked,
    parse_lines,
    redact_lines,
    replace_lines,
    shown_value,
)

# both used with fullmatch (_LINE_RE on one line without its line ending)
_LINE_RE = re.compile(r'\s*(?P<export>export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*?)\s*')
_SAFE_RE = re.compile(r'[A-Za-z0-9_./:@%+,=-]+')


def _line(line):
    return _LINE_RE.fullmatch(line.rstrip('\r\n'))


def _name(number, line):
    match = _line(line)
    if not match:
        raise CredentialParseError(number, 'expected NAME=value (optionally prefixed by export) or a # comment')
    value = match.group('value')
    if value[:1] in ('"', "'") and (len(value) < 2 or value[-1] != value[0]):
        raise CredentialParseError(number, 'unterminated quoted value (multi-line values are not supported)')
    return match.group('name')


def quote(value):
    """value as both a shell and systemd read it back: bare when it is one plain word, else in single quotes."""
    if _SAFE_RE.fullmatch(value):
        return value
    if "'" in value:
        raise CredentialFileError('a value for the env format contains a single quote, which cannot be quoted portably')
    return "'%s'" % value


def unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r'\\([\\"$`])', r'\1', value[1:-1])
    return value


class EnvFormat(CredentialFormat):
    """One file, no profiles: the variables are named by extra (access_key_id_var, access_key_secret_var, region_var)."""

    name = 'env'
    extra_keys = ('access_key_id_var', 'access_key_secret_var', 'region_var', 'export')
    extra_defaults = {
        'access_key_id_var': 'ALIBABA_CLOUD_ACCESS_KEY_ID',
        'access_key_secret_var': 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
        'region_var': 'ALIBABA_CLOUD_REGION_ID',
        'export': False,
    }
    secret_forbidden = (("'", "a single quote cannot be quoted portably for both shells and systemd"),)

    def profile(self, profile, extra):
        return self.only_default_profile(profile, 'no profiles')

    def merge(self, spec, text):
        extra = spec.extra
        if spec.state == 'absent':
            # region is a setting, not a credential: absent removes only the key pair.
            wanted = {extra['access_key_id_var']: None, extra['access_key_secret_var']: None}
        else:
            prefix = 'export ' if extra['export'] else ''
            desired = [(extra['access_key_id_var'], spec.access_key_id), (extra['access_key_secret_var'], spec.access_key_secret)]
            if spec.region:
                desired.append((extra['region_var'], spec.region))
            wanted = dict((name, prefix + name + '=' + quote(value)) for name, value in desired)
        return replace_lines(parse_lines(text, _name), wanted)

    def read(self, spec, text):
        values = dict((name, unquote(_line(line).group('value'))) for line, name in parse_lines(text, _name) if name is not None)
        extra = spec.extra
        key_id = values.get(extra['access_key_id_var'])
        secret = values.get(extra['access_key_secret_var'])
        if key_id is None and secret is None:
            return None
        return {'access_key_id': key_id, 'access_key_secret': secret, 'region': values.get(extra['region_var'])}

    def redact(self, spec, text):
        extra = spec.extra
        clear = (extra['access_key_id_var'], extra['region_var'])

        def managed_line(line, name):
            if name is None or name not in clear + (extra['access_key_secret_var'],):
                return None
            match = _line(line)
            value = match.group('value')
            return (match.group('export') or '') + name + '=' + (shown_value(value) if name in clear else masked(value)) + '\n'
        return redact_lines(parse_lines(text, _name), managed_line)
