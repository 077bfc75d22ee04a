# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Credential files: the table of formats, validated inputs, and the pure text-in/text-out entry points.

Each format is one class in ``_credential_formats`` (the interface is ``_credential_formats.base.CredentialFormat``)
and one entry in FORMATS; this module validates what the modules pass and hands the work to the format.
Runs on target hosts, so it must stay stdlib-only.  Error messages never quote file content.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Mapping

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import (
    CONTROL_RE,
    REDACTED,
    CredentialFileError,
    CredentialParseError,
    fullmatch,
    is_blank_text,
    mask_secrets,
    split_lines,
)
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.modes import resolve_mode

__all__ = ('EXTRA_OPTIONS', 'FORMATS', 'REDACTED', 'CredentialFileError', 'CredentialParseError',
           'CredentialSpec', 'build_spec', 'default_mode', 'default_paths', 'merge', 'mode_problem', 'read_profile',
           'redact', 'redact_generic', 'resolve_mode')


def _load_format(name):
    """The format called ``name``. The imports are static, so that Ansible packs every format with the modules that
    use this one, and inside the function, so that a module run imports only the formats it uses."""
    # pylint: disable=import-outside-toplevel
    if name == 'aliyun_cli':
        from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.aliyun_cli import AliyunCliFormat
        return AliyunCliFormat()
    if name == 'sdk':
        from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.sdk import SdkFormat
        return SdkFormat()
    if name == 'ossutil':
        from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.ossutil import OssutilFormat
        return OssutilFormat()
    if name == 'ossfs':
        from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.ossfs import OssfsFormat
        return OssfsFormat()
    if name == 'env':
        from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.env import EnvFormat
        return EnvFormat()
    raise KeyError(name)


class _Formats(Mapping):
    """name -> format, each loaded when first used. On a host the modules run from a zip, whose sources have no
    bytecode cache: every module run compiles what it imports, and a fleet pays that once per host and task (a
    read of one env file imported all five formats, about a third of the collection's import time)."""

    # the order is the order of the modules' format choices
    NAMES = ('aliyun_cli', 'sdk', 'ossutil', 'ossfs', 'env')

    def __init__(self):
        self._loaded = {}

    def __getitem__(self, name):
        if name not in self._loaded:
            if name not in self.NAMES:
                raise KeyError(name)
            self._loaded[name] = _load_format(name)
        return self._loaded[name]

    def __contains__(self, name):
        return name in self.NAMES

    def __iter__(self):
        return iter(self.NAMES)

    def __len__(self):
        return len(self.NAMES)


FORMATS = _Formats()

# Argument spec of the modules' `extra` option; no defaults here, so keys a format does not use stay None.
# Each format takes the keys in its extra_keys.
EXTRA_OPTIONS = dict(
    current=dict(type='bool'),
    output_format=dict(type='str'),
    language=dict(type='str'),
    ossutil_version=dict(type='int', choices=[1, 2]),
    endpoint=dict(type='str'),
    access_key_id_var=dict(type='str', no_log=False),
    access_key_secret_var=dict(type='str', no_log=False),
    region_var=dict(type='str'),
    export=dict(type='bool'),
)

# Used with fullmatch: '$' would also match before a trailing newline ('prod\n').
_ACCESS_KEY_ID_RE = re.compile(r'[A-Za-z0-9.]{1,128}')
_REGION_RE = re.compile(r'[a-z0-9][a-z0-9-]{0,63}')
_ENV_NAME_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_ENDPOINT_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9.:/_-]{0,254}')


class CredentialSpec(collections.namedtuple('CredentialSpec', 'fmt profile access_key_id access_key_secret region extra state')):
    """Validated, normalised inputs for one profile in one file (made by build_spec)."""

    __slots__ = ()

    @property
    def ossutil_version(self):
        return self.extra.get('ossutil_version', 1)


def build_spec(fmt, profile=None, access_key_id=None, access_key_secret=None, region=None, extra=None, state='present', reading=False):
    """Validate every input before anything is read or written; raise CredentialFileError."""
    if fmt not in FORMATS:
        raise CredentialFileError('format must be one of %s' % ', '.join(FORMATS))
    if state not in ('present', 'absent'):
        raise CredentialFileError('state must be present or absent')
    file_format = FORMATS[fmt]
    extra = _normalise_extra(file_format, {} if extra is None else extra)
    profile = file_format.profile(profile, extra)

    if state == 'present' and not reading:
        if not access_key_id or not access_key_secret:
            raise CredentialFileError('state=present needs access_key_id and access_key_secret')
    if access_key_id is not None and not fullmatch(_ACCESS_KEY_ID_RE, access_key_id):
        raise CredentialFileError('access_key_id may contain only letters, digits and dots (1 to 128 characters)')
    if access_key_secret is not None:
        _check_secret(file_format, access_key_secret)
    if region is not None and not fullmatch(_REGION_RE, region):
        raise CredentialFileError('region must look like cn-hangzhou (lower-case letters, digits and dashes)')
    return CredentialSpec(fmt, profile, access_key_id, access_key_secret, region, extra, state)


def _as_bool(value, name):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'n'):
        return False
    raise CredentialFileError('extra.%s must be a boolean' % name)


def _extra_value(key, value):
    """One value of extra, validated by what the key is."""
    if key in ('current', 'export'):
        return _as_bool(value, key)
    if key == 'ossutil_version':
        if str(value) not in ('1', '2'):
            raise CredentialFileError('extra.ossutil_version must be 1 or 2')
        return int(value)
    value = str(value)
    if key.endswith('_var'):
        if not fullmatch(_ENV_NAME_RE, value):
            raise CredentialFileError('extra.%s must be a valid environment variable name' % key)
    elif key == 'endpoint':
        if not fullmatch(_ENDPOINT_RE, value):
            raise CredentialFileError('extra.endpoint must be a host name or URL without spaces')
    elif not value or CONTROL_RE.search(value) or any(c in value for c in '#;"'):
        raise CredentialFileError('extra.%s must be a single word' % key)
    return value


def _normalise_extra(file_format, extra):
    if not isinstance(extra, dict):
        raise CredentialFileError('extra must be a dictionary')
    allowed = file_format.extra_keys
    unknown = sorted(k for k, v in extra.items() if v is not None and k not in allowed)
    if unknown:
        raise CredentialFileError('extra keys not supported by format %s: %s (supported: %s)'
                                  % (file_format.name, ', '.join(unknown), ', '.join(allowed) or 'none'))
    result = dict((key, _extra_value(key, value)) for key, value in extra.items() if value is not None)
    for key, default in file_format.extra_defaults.items():
        result.setdefault(key, default)
    return result


def _check_secret(file_format, secret):
    if not secret:
        raise CredentialFileError('access_key_secret must not be empty')
    if CONTROL_RE.search(secret):
        raise CredentialFileError('access_key_secret must not contain newlines or other control characters')
    if secret != secret.strip():
        raise CredentialFileError('access_key_secret must not start or end with whitespace')
    for char, why in file_format.secret_forbidden:
        if char in secret:
            raise CredentialFileError("access_key_secret contains %r, which format %s cannot store: %s" % (char, file_format.name, why))


# ---------------------------------------------------------------- paths and modes (fmt may also be 'template': no format)

def default_paths(fmt, home):
    """Where each format's consumers look by default in the home directory ``home``."""
    if fmt not in FORMATS:
        raise CredentialFileError('format %s has no default path; set path' % fmt)
    return FORMATS[fmt].default_paths(home)


def default_mode(fmt, path, owner_is_root):
    """0600 everywhere, except where a format's consumers accept more (the system ossfs file, 0640 root-owned)."""
    return FORMATS[fmt].default_mode(path, owner_is_root) if fmt in FORMATS else 0o600


def mode_problem(fmt, path, mode, current_mode=0o600):
    """Why the format's consumers would refuse the file with ``mode`` (ossfs refuses a too-open one), or None.

    ``mode`` is judged as the number it resolves to (see resolve_mode; ``current_mode`` is the existing file's
    mode, 0o600 for a new file), so ``u=rw,g=r,o=r`` is refused exactly like ``0644``. A mode that is not valid
    is a problem too (for every format).
    """
    if mode is None:
        return None
    try:
        mode = resolve_mode(mode, current_mode)
    except CredentialFileError as exc:
        return str(exc)
    return FORMATS[fmt].mode_problem(path, mode) if fmt in FORMATS else None


# ---------------------------------------------------------------- text in, text out

def merge(spec, text):
    """The new file text for spec applied to text (None or '' when the file is missing); unchanged text when nothing to do."""
    return FORMATS[spec.fmt].merge(spec, text or '')


def read_profile(spec, text):
    """{'access_key_id', 'access_key_secret', 'region'} of the profile, or None when absent."""
    if is_blank_text(text):
        return None
    return FORMATS[spec.fmt].read(spec, text)


def redact(spec, text, extra_secrets=()):
    """Text safe to show in a diff of the file spec manages: only the managed profile is shown.

    The managed profile, section or lines appear with the AccessKey id (and the module's other non-secret
    settings) in clear and every other value masked; every other profile, section or line is replaced by a
    count (``# [other]: 4 lines not shown``, ``# 3 other lines not shown``, ``"<profile ops: 9 keys not shown>"``),
    the same way in before and after. ``extra_secrets`` are masked wherever they still occur.
    """
    if not text:
        return text or ''
    try:
        result = FORMATS[spec.fmt].redact(spec, text)
    except CredentialParseError:
        return '<unparseable content (%d lines) not shown>\n' % len(split_lines(text))
    # Belt and braces: a secret that appears outside a recognised key must not survive either.
    return mask_secrets(result, extra_secrets)


# key = value, key: value, export KEY=value, - key: value, "key": value (INI, env, YAML, JSON, flags files)
_GENERIC_KEY_RE = re.compile(
    r'(?P<indent>[ \t]*)(?P<lead>(?:-[ \t]+)?(?:export[ \t]+)?(?:--)?)'
    r'(?P<key>"[A-Za-z0-9_.-]+"|\'[A-Za-z0-9_.-]+\'|[A-Za-z0-9_.-]+)[ \t]*(?P<separator>[=:])(?P<value>.*)')


def redact_generic(text, secrets=()):
    """A whole file rendered from the user's own template, safe to show in a diff.

    The module knows no structure there, so every value is masked: ``key = ********`` for ``key=value`` and
    ``key: value`` lines (also ``export KEY=``, ``- key:``, ``"key":``), ``<line N not shown>`` for every other
    non-blank line, and every given secret masked wherever it still occurs.
    """
    if not text:
        return ''
    lines = []
    for number, line in enumerate(split_lines(text), 1):
        body = line.rstrip('\r\n')
        if not body.strip():
            lines.append('\n')
            continue
        match = _GENERIC_KEY_RE.fullmatch(body)
        if match is None:
            lines.append('<line %d not shown>\n' % number)
            continue
        separator = ' = ' if match.group('separator') == '=' else ': '
        value = REDACTED if match.group('value').strip() else ''
        lines.append((match.group('indent') + match.group('lead') + match.group('key') + separator + value).rstrip() + '\n')
    return mask_secrets(''.join(lines), secrets)
