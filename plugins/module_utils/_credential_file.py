# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Credential file formats: pure text-in/text-out parsing, merging, reading and redaction.

Runs on target hosts, so it must stay stdlib-only.  Error messages never quote file content:
a file may hold secrets, so parse errors name a line NUMBER and a reason only.
"""

from __future__ import annotations

import json
import posixpath
import re

REDACTED = '********'
FORMATS = ('aliyun_cli', 'sdk', 'ossutil', 'ossfs', 'env')
OSSFS_SYSTEM_PATH = '/etc/passwd-ossfs'
DEFAULT_PROFILE = 'default'
OSSUTIL_V1_SECTION = 'Credentials'

_ACCESS_KEY_ID_RE = re.compile(r'^[A-Za-z0-9.]{1,128}$')
_PROFILE_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$')
_BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$')
_REGION_RE = re.compile(r'^[a-z0-9][a-z0-9-]{0,63}$')
_ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_ENDPOINT_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.:/_-]{0,254}$')
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')
_SECRET_KEY_HINTS = ('secret', 'token', 'password', 'passwd', 'privatekey')

# Argument spec of the modules' `extra` option; no defaults here, so keys a format does not use stay None.
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

_EXTRA_KEYS = {
    'aliyun_cli': ('current', 'output_format', 'language'),
    'sdk': (),
    'ossutil': ('ossutil_version', 'endpoint', 'language'),
    'ossfs': (),
    'env': ('access_key_id_var', 'access_key_secret_var', 'region_var', 'export'),
}
_ENV_DEFAULT_VARS = {
    'access_key_id_var': 'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'access_key_secret_var': 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    'region_var': 'ALIBABA_CLOUD_REGION_ID',
}
# Characters each format's readers mangle inside a secret, and why (shown in the error).
_SECRET_FORBIDDEN = {
    'sdk': (('#', "the Python SDK's INI reader cuts values at '#'"),
            (';', "INI readers of other SDKs treat ';' as a comment"),
            ('%', "Python's configparser interpolates '%'")),
    'ossutil': (('#', "INI readers treat '#' as a comment"),
                (';', "INI readers treat ';' as a comment")),
    'ossfs': ((':', "ossfs splits lines at ':'"),),
    'env': (("'", "a single quote cannot be quoted portably for both shells and systemd"),),
}


class CredentialFileError(Exception):
    """A problem with the inputs or a file; the message never contains secrets or file content."""


class CredentialParseError(CredentialFileError):
    def __init__(self, line, reason):
        self.line = line
        self.reason = reason
        super().__init__('line %d: %s' % (line, reason) if line else reason)


def _is_secret_key(key):
    norm = key.lower().replace('-', '').replace('_', '')
    return any(hint in norm for hint in _SECRET_KEY_HINTS)


def _as_bool(value, name):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'n'):
        return False
    raise CredentialFileError('extra.%s must be a boolean' % name)


class CredentialSpec:
    """Validated, normalised inputs for one profile in one file."""

    __slots__ = ('fmt', 'profile', 'access_key_id', 'access_key_secret', 'region', 'extra', 'state')

    def __init__(self, fmt, profile, access_key_id, access_key_secret, region, extra, state):
        self.fmt = fmt
        self.profile = profile
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.region = region
        self.extra = extra
        self.state = state

    @property
    def ossutil_version(self):
        return self.extra.get('ossutil_version', 1)


def build_spec(fmt, profile=None, access_key_id=None, access_key_secret=None, region=None, extra=None, state='present', reading=False):
    """Validate every input before anything is read or written; raise CredentialFileError."""
    if fmt not in FORMATS:
        raise CredentialFileError('format must be one of %s' % ', '.join(FORMATS))
    if state not in ('present', 'absent'):
        raise CredentialFileError('state must be present or absent')
    extra = _normalise_extra(fmt, {} if extra is None else extra)
    profile = _normalise_profile(fmt, profile, extra)

    if state == 'present' and not reading:
        if not access_key_id or not access_key_secret:
            raise CredentialFileError('state=present needs access_key_id and access_key_secret')
    if access_key_id is not None and not _ACCESS_KEY_ID_RE.match(access_key_id):
        raise CredentialFileError('access_key_id may contain only letters, digits and dots (1 to 128 characters)')
    if access_key_secret is not None:
        _check_secret(fmt, access_key_secret)
    if region is not None and not _REGION_RE.match(region):
        raise CredentialFileError('region must look like cn-hangzhou (lower-case letters, digits and dashes)')
    return CredentialSpec(fmt, profile, access_key_id, access_key_secret, region, extra, state)


def _normalise_extra(fmt, extra):
    if not isinstance(extra, dict):
        raise CredentialFileError('extra must be a dictionary')
    allowed = _EXTRA_KEYS[fmt]
    unknown = sorted(k for k, v in extra.items() if v is not None and k not in allowed)
    if unknown:
        raise CredentialFileError('extra keys not supported by format %s: %s (supported: %s)'
                                  % (fmt, ', '.join(unknown), ', '.join(allowed) or 'none'))
    result = {}
    for key, value in extra.items():
        if value is None:
            continue
        if key in ('current', 'export'):
            result[key] = _as_bool(value, key)
        elif key == 'ossutil_version':
            if str(value) not in ('1', '2'):
                raise CredentialFileError('extra.ossutil_version must be 1 or 2')
            result[key] = int(value)
        elif key.endswith('_var'):
            if not _ENV_NAME_RE.match(str(value)):
                raise CredentialFileError('extra.%s must be a valid environment variable name' % key)
            result[key] = str(value)
        elif key == 'endpoint':
            if not _ENDPOINT_RE.match(str(value)):
                raise CredentialFileError('extra.endpoint must be a host name or URL without spaces')
            result[key] = str(value)
        else:
            value = str(value)
            if not value or _CONTROL_RE.search(value) or any(c in value for c in '#;"'):
                raise CredentialFileError('extra.%s must be a single word' % key)
            result[key] = value
    if fmt == 'env':
        for key, default in _ENV_DEFAULT_VARS.items():
            result.setdefault(key, default)
        result.setdefault('export', False)
    return result


def _normalise_profile(fmt, profile, extra):
    if fmt == 'ossfs':
        profile = profile or ''
        if profile and not _BUCKET_RE.match(profile):
            raise CredentialFileError('profile (the ossfs bucket name) must be 3 to 63 lower-case letters, digits or dashes')
        return profile
    profile = DEFAULT_PROFILE if profile is None or profile == '' else profile
    if fmt == 'env' or (fmt == 'ossutil' and extra.get('ossutil_version', 1) == 1):
        if profile != DEFAULT_PROFILE:
            where = 'one [Credentials] section (set extra.ossutil_version: 2 for profiles)' if fmt == 'ossutil' else 'no profiles'
            raise CredentialFileError('format %s has %s; use a separate path instead of profile' % (fmt, where))
        return profile
    if fmt == 'sdk' and profile == 'DEFAULT':
        raise CredentialFileError("profile DEFAULT is special in Python's configparser (inherited by every section); choose another name")
    if not _PROFILE_RE.match(profile):
        raise CredentialFileError('profile must be 1 to 64 letters, digits, dots, dashes or underscores')
    return profile


def _check_secret(fmt, secret):
    if not secret:
        raise CredentialFileError('access_key_secret must not be empty')
    if _CONTROL_RE.search(secret):
        raise CredentialFileError('access_key_secret must not contain newlines or other control characters')
    if secret != secret.strip():
        raise CredentialFileError('access_key_secret must not start or end with whitespace')
    for char, why in _SECRET_FORBIDDEN.get(fmt, ()):
        if char in secret:
            raise CredentialFileError("access_key_secret contains %r, which format %s cannot store: %s" % (char, fmt, why))


def default_paths(fmt, home):
    """Where each format's consumers look by default; sdk serves Python (.ini) and Go/Java (bare name)."""
    if fmt == 'aliyun_cli':
        return [posixpath.join(home, '.aliyun', 'config.json')]
    if fmt == 'sdk':
        return [posixpath.join(home, '.alibabacloud', 'credentials.ini'), posixpath.join(home, '.alibabacloud', 'credentials')]
    if fmt == 'ossutil':
        return [posixpath.join(home, '.ossutilconfig')]
    if fmt == 'ossfs':
        return [OSSFS_SYSTEM_PATH]
    raise CredentialFileError('format %s has no default path; set path' % fmt)


def default_mode(fmt, path, owner_is_root):
    """0600 everywhere, except the system ossfs file, which ossfs accepts as 0640 root-owned."""
    if fmt == 'ossfs' and path == OSSFS_SYSTEM_PATH and owner_is_root:
        return 0o640
    return 0o600


def mode_problem(fmt, path, mode):
    """ossfs refuses to mount with a too-open password file; say so before writing one."""
    if fmt != 'ossfs' or mode is None:
        return None
    if mode & 0o007:
        return 'ossfs refuses a password file that others can access; mode %04o is too open' % mode
    if path == OSSFS_SYSTEM_PATH:
        if mode & 0o030:
            return 'ossfs accepts at most group read on %s; mode %04o is too open' % (OSSFS_SYSTEM_PATH, mode)
    elif mode & 0o070:
        return 'ossfs accepts no group permissions on %s; mode %04o is too open' % (path, mode)
    return None


# ---------------------------------------------------------------- line helpers

def _split_lines(text):
    """Split keeping line endings; only '\\n' ends a line (str.splitlines also splits on form feeds)."""
    if not text:
        return []
    lines = text.split('\n')
    result = [line + '\n' for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def _eol(line):
    """The line ending to reuse when rewriting line ('' for a last line without one)."""
    if line.endswith('\r\n'):
        return '\r\n'
    return '\n' if line.endswith('\n') else ''


def _join_lines(lines):
    """Concatenate, adding a newline to any line that lost its ending by being moved off the end."""
    out = []
    for i, line in enumerate(lines):
        if i < len(lines) - 1 and not line.endswith('\n'):
            line += '\n'
        out.append(line)
    return ''.join(out)


def _is_blank_text(text):
    return text is None or not text.strip()


# ---------------------------------------------------------------- INI (sdk, ossutil)

class _IniEntry:
    __slots__ = ('lines', 'key', 'norm')

    def __init__(self, lines, key=None, norm=None):
        self.lines = lines
        self.key = key
        self.norm = norm


class _IniSection:
    __slots__ = ('name', 'header', 'entries')

    def __init__(self, name, header):
        self.name = name
        self.header = header
        self.entries = []


class _IniDocument:
    """Lines grouped into sections and entries so edits leave every other byte alone."""

    _KEY_RE = re.compile(r'^(?P<prefix>\s*(?P<key>[^=:\s][^=:]*?)\s*[=:][ \t]*)(?P<value>.*?)\s*$')
    _HEADER_RE = re.compile(r'^\[(?P<name>[^\]]+)\]$')

    def __init__(self, text, key_norm):
        self.key_norm = key_norm
        self.preamble = []
        self.sections = []
        self._parse(text)

    def _parse(self, text):
        seen_sections = set()
        section = None
        seen_keys = set()
        last_entry = None
        for number, line in enumerate(_split_lines(text), 1):
            body = line.rstrip('\r\n')
            stripped = body.strip()
            target = section.entries if section else self.preamble
            if not stripped or stripped[0] in '#;':
                last_entry = None
                target.append(_IniEntry([line]))
                continue
            if body[0] in ' \t' and last_entry is not None:
                last_entry.lines.append(line)
                continue
            if stripped.startswith('['):
                match = self._HEADER_RE.match(stripped)
                if not match:
                    raise CredentialParseError(number, 'malformed section header')
                name = match.group('name')
                if name in seen_sections:
                    raise CredentialParseError(number, 'duplicate section (INI readers reject it)')
                seen_sections.add(name)
                section = _IniSection(name, line)
                self.sections.append(section)
                seen_keys = set()
                last_entry = None
                continue
            match = self._KEY_RE.match(body)
            if not match:
                raise CredentialParseError(number, 'expected a [section] header, a comment or "key = value"')
            if section is None:
                raise CredentialParseError(number, 'key outside any [section]')
            key = match.group('key')
            if key.lower() in seen_keys:
                raise CredentialParseError(number, 'duplicate key in section (INI readers reject it)')
            seen_keys.add(key.lower())
            last_entry = _IniEntry([line], key, self.key_norm(key))
            section.entries.append(last_entry)

    def render(self):
        lines = [line for entry in self.preamble for line in entry.lines]
        for section in self.sections:
            lines.append(section.header)
            lines.extend(line for entry in section.entries for line in entry.lines)
        return _join_lines(lines)

    def find(self, names):
        for section in self.sections:
            if section.name in names:
                return section
        return None

    @staticmethod
    def get(section, norm):
        for entry in section.entries:
            if entry.norm == norm:
                return _IniDocument._KEY_RE.match(entry.lines[0].rstrip('\r\n')).group('value')
        return None

    def set(self, section, norm, key, value, separator):
        """Edit the first matching key in place (keeping its spelling); drop aliases of it; else append."""
        matches = [entry for entry in section.entries if entry.norm == norm]
        if matches:
            first = matches[0]
            prefix = self._KEY_RE.match(first.lines[0].rstrip('\r\n')).group('prefix')
            first.lines = [prefix + value + _eol(first.lines[-1])]
            section.entries = [entry for entry in section.entries if entry not in matches[1:]]
            return
        keyed = [i for i, entry in enumerate(section.entries) if entry.key is not None]
        position = keyed[-1] + 1 if keyed else 0
        section.entries.insert(position, _IniEntry([key + separator + value + '\n'], key, norm))

    @staticmethod
    def delete(section, norm):
        section.entries = [entry for entry in section.entries if entry.norm != norm]

    def add_section(self, name):
        section = _IniSection(name, '[%s]\n' % name)
        previous = self.sections[-1].entries if self.sections else self.preamble
        if self.sections or self.preamble:
            last_line = (previous[-1].lines[-1] if previous else self.sections[-1].header)
            if last_line.strip():
                previous.append(_IniEntry(['\n']))
        self.sections.append(section)
        return section

    def remove_section(self, section):
        """Drop the header and keys; keep comments, including those trailing its last key (they may introduce the next section)."""
        index = self.sections.index(section)
        previous = self.sections[index - 1].entries if index else self.preamble
        keyed = [i for i, entry in enumerate(section.entries) if entry.key is not None]
        trailing = section.entries[keyed[-1] + 1:] if keyed else list(section.entries)
        ends_blank = not previous or not previous[-1].lines[-1].strip()
        while trailing and ends_blank and not trailing[0].lines[0].strip():
            trailing.pop(0)
        previous.extend(trailing)
        del self.sections[index]
        if index == len(self.sections):
            while previous and previous[-1].key is None and not previous[-1].lines[0].strip():
                previous.pop()

    def redact(self):
        for entries in [self.preamble] + [section.entries for section in self.sections]:
            for entry in entries:
                if entry.key is not None and _is_secret_key(entry.key):
                    prefix = self._KEY_RE.match(entry.lines[0].rstrip('\r\n')).group('prefix')
                    entry.lines = [prefix + REDACTED + _eol(entry.lines[-1])]
        return self.render()


def _sdk_norm(key):
    return key.lower()


def _ossutil_norm(key):
    return key.lower().replace('-', '').replace('_', '')


def _ini_layout(spec):
    """(section names that match, name for a new section, key normaliser, separator)."""
    if spec.fmt == 'sdk':
        return (spec.profile,), spec.profile, _sdk_norm, ' = '
    if spec.ossutil_version == 1:
        return (OSSUTIL_V1_SECTION,), OSSUTIL_V1_SECTION, _ossutil_norm, '='
    if spec.profile == DEFAULT_PROFILE:
        return ('default', 'profile default'), 'default', _ossutil_norm, ' = '
    return ('profile ' + spec.profile,), 'profile ' + spec.profile, _ossutil_norm, ' = '


def _ini_desired(spec, section, doc):
    """[(key as written, value)] for this format; the key normaliser finds existing spellings."""
    if spec.fmt == 'sdk':
        return [('enable', 'true'), ('type', 'access_key'),
                ('access_key_id', spec.access_key_id), ('access_key_secret', spec.access_key_secret)]
    extra = spec.extra
    if spec.ossutil_version == 1:
        desired = []
        if 'language' in extra:
            desired.append(('language', extra['language']))
        endpoint = extra.get('endpoint') or ('oss-%s.aliyuncs.com' % spec.region if spec.region else None)
        if endpoint:
            desired.append(('endpoint', endpoint))
        return desired + [('accessKeyID', spec.access_key_id), ('accessKeySecret', spec.access_key_secret)]
    desired = [('accessKeyId', spec.access_key_id), ('accessKeySecret', spec.access_key_secret)]
    if spec.region:
        desired.append(('region', spec.region))
    elif section is None or not doc.get(section, 'region'):
        raise CredentialFileError('ossutil 2.0 signs with V4 and needs region for a new profile; set region')
    if 'endpoint' in extra:
        desired.append(('endpoint', extra['endpoint']))
    return desired


# A stale session token next to a new AccessKey would make ossutil sign with the wrong identity.
_OSSUTIL_TOKEN_NORMS = ('ststoken', 'sessiontoken', 'securitytoken')


def _merge_ini(spec, text):
    names, new_name, norm, separator = _ini_layout(spec)
    doc = _IniDocument(text, norm)
    section = doc.find(names)
    if spec.state == 'absent':
        if section is not None:
            doc.remove_section(section)
        return doc.render()
    desired = _ini_desired(spec, section, doc)
    if section is None:
        section = doc.add_section(new_name)
    for key, value in desired:
        doc.set(section, norm(key), key, value, separator)
    if spec.fmt == 'ossutil':
        for token in _OSSUTIL_TOKEN_NORMS:
            doc.delete(section, token)
    return doc.render()


def _read_ini(spec, text):
    names, dummy, norm, dummy = _ini_layout(spec)
    doc = _IniDocument(text, norm)
    section = doc.find(names)
    if section is None:
        return None
    if spec.fmt == 'sdk':
        region = doc.get(section, 'region_id')
    elif spec.ossutil_version == 2:
        region = doc.get(section, 'region')
    else:
        region = None
    return {'access_key_id': doc.get(section, norm('access_key_id')),
            'access_key_secret': doc.get(section, norm('access_key_secret')),
            'region': region}


# ---------------------------------------------------------------- aliyun CLI config.json

def _load_cli_json(text):
    if _is_blank_text(text):
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        # JSONDecodeError.msg is a fixed phrase ("Expecting ',' delimiter"), never file content.
        raise CredentialParseError(getattr(exc, 'lineno', 0), 'invalid JSON: %s' % getattr(exc, 'msg', 'cannot decode'))
    if not isinstance(data, dict):
        raise CredentialParseError(0, 'the top-level JSON value is not an object')
    profiles = data.get('profiles', [])
    if not isinstance(profiles, list) or not all(isinstance(p, dict) for p in profiles):
        raise CredentialParseError(0, '"profiles" is not a list of objects')
    return data


def _render_cli_json(data):
    # The aliyun CLI writes json.MarshalIndent(conf, "", "\t"): tab indent, no trailing newline.
    return json.dumps(data, indent='\t', ensure_ascii=False)


def _merge_cli_json(spec, text):
    data = _load_cli_json(text)
    original = json.loads(json.dumps(data)) if data is not None else None
    if data is None:
        if spec.state == 'absent':
            return text or ''
        data = {'current': '', 'profiles': [], 'meta_path': ''}
    profiles = data.setdefault('profiles', [])
    index = next((i for i, p in enumerate(profiles) if p.get('name') == spec.profile), None)
    if spec.state == 'absent':
        if index is None:
            return text
        del profiles[index]
        if data.get('current') == spec.profile:
            # Pointing "current" at another profile would silently switch identities; empty fails loudly.
            data['current'] = ''
    else:
        profile = profiles[index] if index is not None else {'name': spec.profile}
        if index is None and not spec.region:
            raise CredentialFileError('the aliyun CLI needs region_id in an AK profile; set region')
        profile['mode'] = 'AK'
        profile['access_key_id'] = spec.access_key_id
        profile['access_key_secret'] = spec.access_key_secret
        if spec.region:
            profile['region_id'] = spec.region
        elif not profile.get('region_id'):
            raise CredentialFileError('the aliyun CLI needs region_id in an AK profile; set region')
        for key, default in (('output_format', 'json'), ('language', 'en')):
            if key in spec.extra:
                profile[key] = spec.extra[key]
            elif index is None:
                profile[key] = default
        if index is None:
            profiles.append(profile)
        current = spec.extra.get('current')
        if current or (current is None and not data.get('current')):
            data['current'] = spec.profile
    if data == original:
        return text
    return _render_cli_json(data)


def _read_cli_json(spec, text):
    data = _load_cli_json(text)
    if data is None:
        return None
    for profile in data.get('profiles', []):
        if profile.get('name') == spec.profile:
            return {'access_key_id': profile.get('access_key_id'),
                    'access_key_secret': profile.get('access_key_secret'),
                    'region': profile.get('region_id')}
    return None


def _redact_json_value(value):
    if isinstance(value, dict):
        return dict((k, REDACTED if _is_secret_key(k) and v else _redact_json_value(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_redact_json_value(v) for v in value]
    return value


def _redact_cli_json(text):
    data = _load_cli_json(text)
    return '' if data is None else _render_cli_json(_redact_json_value(data))


# ---------------------------------------------------------------- ossfs passwd file

def _parse_ossfs(text):
    """[(line, bucket or '' for the default line, or None for comments/blanks)]."""
    entries = []
    for number, line in enumerate(_split_lines(text), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            entries.append((line, None))
            continue
        fields = stripped.split(':')
        if len(fields) < 2 or stripped.startswith('['):
            raise CredentialParseError(number, 'expected "bucket:AccessKeyId:AccessKeySecret" or "AccessKeyId:AccessKeySecret"')
        entries.append((line, fields[0] if len(fields) > 2 else ''))
    return entries


def _merge_ossfs(spec, text):
    entries = _parse_ossfs(text)
    wanted = None
    if spec.state == 'present':
        fields = ([spec.profile] if spec.profile else []) + [spec.access_key_id, spec.access_key_secret]
        wanted = ':'.join(fields)
    lines = []
    placed = False
    for line, bucket in entries:
        if bucket is None or bucket != spec.profile:
            lines.append(line)
        elif wanted is not None and not placed:
            lines.append(wanted + _eol(line))
            placed = True
    if wanted is not None and not placed:
        lines.append(wanted + '\n')
    return _join_lines(lines)


def _read_ossfs(spec, text):
    for line, bucket in _parse_ossfs(text):
        if bucket is not None and bucket == spec.profile:
            fields = line.strip().split(':')
            if spec.profile:
                fields = fields[1:]
            return {'access_key_id': ':'.join(fields[:-1]), 'access_key_secret': fields[-1], 'region': None}
    return None


def _redact_ossfs(text):
    lines = []
    for line, bucket in _parse_ossfs(text):
        if bucket is None:
            lines.append(line)
        else:
            body = line.rstrip('\r\n')
            lines.append(body[:body.rindex(':') + 1] + REDACTED + line[len(body):])
    return ''.join(lines)


# ---------------------------------------------------------------- env (systemd EnvironmentFile / shell)

_ENV_LINE_RE = re.compile(r'^\s*(?P<export>export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*?)\s*$')
_ENV_SAFE_RE = re.compile(r'^[A-Za-z0-9_./:@%+,=-]+$')


def _parse_env(text):
    """[(line, variable name or None)]."""
    entries = []
    for number, line in enumerate(_split_lines(text), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            entries.append((line, None))
            continue
        match = _ENV_LINE_RE.match(line.rstrip('\r\n'))
        if not match:
            raise CredentialParseError(number, 'expected NAME=value (optionally prefixed by export) or a # comment')
        value = match.group('value')
        if value[:1] in ('"', "'") and (len(value) < 2 or value[-1] != value[0]):
            raise CredentialParseError(number, 'unterminated quoted value (multi-line values are not supported)')
        entries.append((line, match.group('name')))
    return entries


def _env_quote(value):
    if _ENV_SAFE_RE.match(value):
        return value
    if "'" in value:
        raise CredentialFileError('a value for the env format contains a single quote, which cannot be quoted portably')
    return "'%s'" % value


def _env_unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r'\\([\\"$`])', r'\1', value[1:-1])
    return value


def _env_desired(spec):
    extra = spec.extra
    desired = [(extra['access_key_id_var'], spec.access_key_id), (extra['access_key_secret_var'], spec.access_key_secret)]
    if spec.region:
        desired.append((extra['region_var'], spec.region))
    return desired


def _merge_env(spec, text):
    entries = _parse_env(text)
    extra = spec.extra
    if spec.state == 'absent':
        # region is a setting, not a credential: absent removes only the key pair.
        names = (extra['access_key_id_var'], extra['access_key_secret_var'])
        return _join_lines([line for line, name in entries if name not in names])
    prefix = 'export ' if extra['export'] else ''
    wanted = dict((name, prefix + name + '=' + _env_quote(value)) for name, value in _env_desired(spec))
    lines = []
    placed = set()
    for line, name in entries:
        if name not in wanted:
            lines.append(line)
        elif name not in placed:
            lines.append(wanted[name] + _eol(line))
            placed.add(name)
    lines.extend(wanted[name] + '\n' for name, dummy in _env_desired(spec) if name not in placed)
    return _join_lines(lines)


def _read_env(spec, text):
    values = {}
    for line, name in _parse_env(text):
        if name is not None:
            values[name] = _env_unquote(_ENV_LINE_RE.match(line.rstrip('\r\n')).group('value'))
    extra = spec.extra
    key_id = values.get(extra['access_key_id_var'])
    secret = values.get(extra['access_key_secret_var'])
    if key_id is None and secret is None:
        return None
    return {'access_key_id': key_id, 'access_key_secret': secret, 'region': values.get(extra['region_var'])}


def _redact_env(text, secret_var):
    lines = []
    for line, name in _parse_env(text):
        if name is not None and (name == secret_var or _is_secret_key(name)):
            match = _ENV_LINE_RE.match(line.rstrip('\r\n'))
            lines.append((match.group('export') or '') + name + '=' + REDACTED + _eol(line))
        else:
            lines.append(line)
    return _join_lines(lines)


# ---------------------------------------------------------------- public entry points

def merge(spec, text):
    """The new file text for spec applied to text (None or '' when the file is missing); unchanged text when nothing to do."""
    if spec.fmt == 'aliyun_cli':
        return _merge_cli_json(spec, text)
    if spec.fmt in ('sdk', 'ossutil'):
        return _merge_ini(spec, text or '')
    if spec.fmt == 'ossfs':
        return _merge_ossfs(spec, text or '')
    return _merge_env(spec, text or '')


def read_profile(spec, text):
    """{'access_key_id', 'access_key_secret', 'region'} of the profile, or None when absent."""
    if _is_blank_text(text):
        return None
    if spec.fmt == 'aliyun_cli':
        return _read_cli_json(spec, text)
    if spec.fmt in ('sdk', 'ossutil'):
        return _read_ini(spec, text)
    if spec.fmt == 'ossfs':
        return _read_ossfs(spec, text)
    return _read_env(spec, text)


def redact(spec, text, extra_secrets=()):
    """Text safe to show in a diff: every secret-looking value (any profile) replaced by REDACTED."""
    if not text:
        return text or ''
    try:
        if spec.fmt == 'aliyun_cli':
            result = _redact_cli_json(text)
        elif spec.fmt in ('sdk', 'ossutil'):
            result = _IniDocument(text, _sdk_norm).redact()
        elif spec.fmt == 'ossfs':
            result = _redact_ossfs(text)
        else:
            result = _redact_env(text, spec.extra['access_key_secret_var'])
    except CredentialParseError:
        return '<unparseable content (%d lines) not shown>\n' % len(_split_lines(text))
    # Belt and braces: a secret that appears outside a recognised key must not survive either.
    for secret in extra_secrets:
        if secret:
            result = result.replace(secret, REDACTED)
    return result
