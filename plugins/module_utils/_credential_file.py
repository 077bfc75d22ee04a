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
import os
import posixpath
import re

REDACTED = '********'
FORMATS = ('aliyun_cli', 'sdk', 'ossutil', 'ossfs', 'env')
OSSFS_SYSTEM_PATH = '/etc/passwd-ossfs'
DEFAULT_PROFILE = 'default'
OSSUTIL_V1_SECTION = 'Credentials'

# Every pattern below is used with fullmatch: '$' would also match before a trailing newline ('prod\n').
_ACCESS_KEY_ID_RE = re.compile(r'[A-Za-z0-9.]{1,128}')
_PROFILE_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9._-]{0,63}')
_BUCKET_RE = re.compile(r'[a-z0-9][a-z0-9-]{1,61}[a-z0-9]')
_REGION_RE = re.compile(r'[a-z0-9][a-z0-9-]{0,63}')
_ENV_NAME_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_ENDPOINT_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9.:/_-]{0,254}')
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')

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


def _fullmatch(pattern, value):
    """Whether the WHOLE string matches (no trailing newline slips through as it does with match and '$')."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None


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
    if access_key_id is not None and not _fullmatch(_ACCESS_KEY_ID_RE, access_key_id):
        raise CredentialFileError('access_key_id may contain only letters, digits and dots (1 to 128 characters)')
    if access_key_secret is not None:
        _check_secret(fmt, access_key_secret)
    if region is not None and not _fullmatch(_REGION_RE, region):
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
            if not _fullmatch(_ENV_NAME_RE, str(value)):
                raise CredentialFileError('extra.%s must be a valid environment variable name' % key)
            result[key] = str(value)
        elif key == 'endpoint':
            if not _fullmatch(_ENDPOINT_RE, str(value)):
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
        if profile and not _fullmatch(_BUCKET_RE, profile):
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
    if not _fullmatch(_PROFILE_RE, profile):
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


_OCTAL_MODE_RE = re.compile(r'(?:0[oO])?[0-7]+')
# One chmod clause: who, then one or more actions; each action is an operator and either permission letters or
# one class to copy from (u=rw,go-rwx, a=r, u+rw, g=u, u=rw-x+X).
_SYMBOLIC_CLAUSE_RE = re.compile(r'(?P<who>[ugoa]*)(?P<actions>(?:[-+=](?:[ugo]|[rwxXst]*))+)')
_SYMBOLIC_ACTION_RE = re.compile(r'([-+=])([ugo]|[rwxXst]*)')
_CLASS_BITS = {'u': (0o4700, 6), 'g': (0o2070, 3), 'o': (0o1007, 0)}  # '=' clears these; rwx shift
_MODE_BITS = 0o7777


def _process_umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _symbolic_bits(who, perms, mode, umask):
    """Bits of perms for one class, the way AnsibleModule._get_octal_mode_from_symbolic_perms computes them."""
    dummy, shift = _CLASS_BITS[who]
    if perms in ('u', 'g', 'o'):
        # copy the rwx bits of another class (from the mode as changed so far)
        return ((mode >> _CLASS_BITS[perms][1]) & 0o7) << shift
    bits = 0
    for letter in perms:
        if letter in 'rwx':
            bits |= ({'r': 4, 'w': 2, 'x': 1}[letter] << shift) & ~umask
        elif letter == 'X':
            # execute only if some class already has it (a credential file is never a directory)
            if mode & 0o111:
                bits |= 1 << shift
        elif letter == 's' and who in 'ug':
            bits |= 0o4000 if who == 'u' else 0o2000
        elif letter == 't' and who == 'o':
            bits |= 0o1000
    return bits


def resolve_mode(mode, current_mode, umask=None):
    """The numeric mode that ``mode`` gives a file whose mode is now ``current_mode`` (0o600 for a new file).

    ``mode`` is what ansible.builtin.file accepts: an int (taken as is), an octal string (``'0600'``, ``'600'``,
    ``'0o600'``) or a symbolic mode with chmod's grammar, comma-separated clauses ``[ugoa]*[-+=][rwxXst]*``
    (``u=rw,g=r,o=``, ``go-rwx``, ``a=r``, ``u+rw``; ``g=u`` copies a class; several actions per clause as in
    ``u=rw-x+X``), applied in order to ``current_mode`` exactly as AnsibleModule applies them: a clause without
    who (``=rw``, ``+r``) affects every class but only the bits the umask allows (``umask``, by default the
    process umask, as AnsibleModule does); ``a`` or an explicit class ignores the umask.
    Raises CredentialFileError for anything else, including what AnsibleModule would quietly take as "no change"
    (an empty mode or clause, a clause without operator such as ``u``) and octal values above 07777.
    """
    if isinstance(mode, bool) or not isinstance(mode, (int, str)):
        raise CredentialFileError('mode must be an octal number such as 0600 or a symbolic mode such as u=rw,g=,o=')
    if isinstance(mode, int):
        if not 0 <= mode <= _MODE_BITS:
            raise CredentialFileError('mode %d is out of range (at most 07777)' % mode)
        return mode
    if _CONTROL_RE.search(mode):
        raise CredentialFileError('mode must not contain control characters')
    if _fullmatch(_OCTAL_MODE_RE, mode):
        number = int(mode[2:] if mode[:2] in ('0o', '0O') else mode, 8)
        if number > _MODE_BITS:
            raise CredentialFileError('mode %s is out of range (at most 07777)' % mode)
        return number
    if isinstance(current_mode, bool) or not isinstance(current_mode, int):
        raise CredentialFileError('a symbolic mode needs the current mode of the file')
    result = current_mode & _MODE_BITS
    for clause in mode.split(','):
        match = _SYMBOLIC_CLAUSE_RE.fullmatch(clause)
        if not match:
            raise CredentialFileError('mode %r is neither octal (0600) nor symbolic (u=rw,g=,o=): clause %r is not '
                                      '[ugoa]*[-+=][rwxXst]* or [ugoa]*[-+=][ugo]' % (mode, clause))
        who = match.group('who')
        if who == '':
            classes, clause_umask = 'ugo', _process_umask() if umask is None else umask
        else:
            classes, clause_umask = ('ugo' if 'a' in who else ''.join(c for c in 'ugo' if c in who)), 0
        for operator, perms in _SYMBOLIC_ACTION_RE.findall(match.group('actions')):
            for cls in classes:
                bits = _symbolic_bits(cls, perms, result, clause_umask)
                if operator == '=':
                    result = (result & ~_CLASS_BITS[cls][0]) | bits
                elif operator == '+':
                    result |= bits
                else:
                    result &= ~bits
    return result & _MODE_BITS


def mode_problem(fmt, path, mode, current_mode=0o600):
    """ossfs refuses to mount with a too-open password file; say so before writing one.

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
    if fmt != 'ossfs':
        return None
    if mode & 0o007:
        return 'ossfs refuses a password file that others can access; mode %04o is too open' % mode
    if path == OSSFS_SYSTEM_PATH:
        if mode & 0o030:
            return 'ossfs accepts at most group read on %s; mode %04o is too open' % (OSSFS_SYSTEM_PATH, mode)
    elif mode & 0o070:
        return 'ossfs accepts no group permissions on %s; mode %04o is too open' % (path, mode)
    return None


# ---------------------------------------------------------------- redaction helpers
#
# A diff shows the managed profile (AccessKey id in clear, secret masked) and only counts of everything else:
# other profiles, sections and lines may hold other applications' secrets (DB_PASS=..., another profile's key).
# before and after are summarised the same way, so an unchanged other section shows no difference.

_SHOWN_VALUE_RE = re.compile(r'[A-Za-z0-9_./:@%+,=-]*')


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def _count_shown_lines(lines):
    """Lines that carry something (blank lines are not counted, so adding a separator changes no summary)."""
    return sum(1 for line in lines if line.strip())


def _hidden_lines(count):
    return ['# %s not shown\n' % _plural(count, 'other line')] if count else []


def _masked(value):
    """REDACTED for any value (an empty one stays empty: there is nothing to hide)."""
    return value if value is None or value == '' else REDACTED


def _shown_value(value):
    """A value of a managed, non-secret key: shown when it is one plain word, masked otherwise (never a comment after it)."""
    if value is None or (isinstance(value, str) and _SHOWN_VALUE_RE.fullmatch(value)):
        return value
    return REDACTED


def _mask_secrets(text, secrets):
    for secret in sorted((s for s in secrets or () if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


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

    # used with fullmatch on one line without its line ending
    _KEY_RE = re.compile(r'(?P<prefix>\s*(?P<key>[^=:\s][^=:]*?)\s*[=:][ \t]*)(?P<value>.*?)\s*')
    _HEADER_RE = re.compile(r'\[(?P<name>[^\]]+)\]')

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
                match = self._HEADER_RE.fullmatch(stripped)
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
            match = self._KEY_RE.fullmatch(body)
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
                return _IniDocument._KEY_RE.fullmatch(entry.lines[0].rstrip('\r\n')).group('value')
        return None

    def set(self, section, norm, key, value, separator):
        """Edit the first matching key in place (keeping its spelling); drop aliases of it; else append."""
        matches = [entry for entry in section.entries if entry.norm == norm]
        if matches:
            first = matches[0]
            prefix = self._KEY_RE.fullmatch(first.lines[0].rstrip('\r\n')).group('prefix')
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


# Keys the module writes whose values are not secrets: shown in clear in the managed section.
_INI_CLEAR_KEYS = {'sdk': ('enable', 'type'), 1: ('language', 'endpoint'), 2: ('region', 'endpoint')}


def _redact_ini(spec, text):
    names, dummy, norm, dummy = _ini_layout(spec)
    doc = _IniDocument(text, norm)
    managed = doc.find(names)
    clear = set(norm(key) for key in _INI_CLEAR_KEYS['sdk' if spec.fmt == 'sdk' else spec.ossutil_version])
    clear.add(norm('access_key_id'))
    lines = []
    hidden = _count_shown_lines(line for entry in doc.preamble for line in entry.lines)
    if hidden:
        lines.append('# %s not shown\n' % _plural(hidden, 'other line'))
    for section in doc.sections:
        if section is not managed:
            hidden = _count_shown_lines(line for entry in section.entries for line in entry.lines)
            lines.append('# [%s]: %s not shown\n' % (section.name, _plural(hidden, 'line')))
            continue
        lines.append('[%s]\n' % section.name)
        for entry in section.entries:
            if entry.key is None:
                lines.append('# (comment not shown)\n' if entry.lines[0].strip() else '\n')
                continue
            match = _IniDocument._KEY_RE.fullmatch(entry.lines[0].rstrip('\r\n'))
            value = match.group('value')
            lines.append(match.group('prefix') + (_shown_value(value) if entry.norm in clear else _masked(value)) + '\n')
            if len(entry.lines) > 1:
                lines.append('# (%s not shown)\n' % _plural(len(entry.lines) - 1, 'continuation line'))
    return ''.join(lines)


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


# Keys of the managed profile the module writes whose values are not secrets.
_CLI_CLEAR_KEYS = ('name', 'mode', 'access_key_id', 'region_id', 'output_format', 'language')


def _redact_cli_profile(spec, profile):
    if profile.get('name') != spec.profile:
        name = profile.get('name')
        label = 'profile %s' % name if isinstance(name, str) and name else 'a profile without a name'
        return '<%s: %s not shown>' % (label, _plural(len(profile), 'key'))
    return dict((key, _shown_value(value) if key in _CLI_CLEAR_KEYS else _masked(value)) for key, value in profile.items())


def _redact_cli_json(spec, text):
    data = _load_cli_json(text)
    if data is None:
        return ''
    shown = {}
    for key, value in data.items():
        if key == 'profiles':
            # the managed profile first and the summaries of the others after it: adding or removing the managed
            # profile then changes no line of the others (not even a JSON comma)
            profiles = [_redact_cli_profile(spec, profile) for profile in value]
            shown[key] = [p for p in profiles if isinstance(p, dict)] + [p for p in profiles if not isinstance(p, dict)]
        elif key == 'current':
            # which profile the CLI uses: the module sets it, and it is a profile name, not a credential
            shown[key] = _shown_value(value)
        else:
            shown[key] = _masked(value)
    return _render_cli_json(shown)


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


def _redact_ossfs(spec, text):
    lines = []
    hidden = 0
    for line, bucket in _parse_ossfs(text):
        if bucket is None or bucket != spec.profile:
            hidden += _count_shown_lines([line])
            continue
        lines.extend(_hidden_lines(hidden))
        hidden = 0
        body = line.strip()
        lines.append(body[:body.rindex(':') + 1] + REDACTED + '\n')
    return ''.join(lines + _hidden_lines(hidden))


# ---------------------------------------------------------------- env (systemd EnvironmentFile / shell)

# both used with fullmatch (_ENV_LINE_RE on one line without its line ending)
_ENV_LINE_RE = re.compile(r'\s*(?P<export>export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*?)\s*')
_ENV_SAFE_RE = re.compile(r'[A-Za-z0-9_./:@%+,=-]+')


def _parse_env(text):
    """[(line, variable name or None)]."""
    entries = []
    for number, line in enumerate(_split_lines(text), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            entries.append((line, None))
            continue
        match = _ENV_LINE_RE.fullmatch(line.rstrip('\r\n'))
        if not match:
            raise CredentialParseError(number, 'expected NAME=value (optionally prefixed by export) or a # comment')
        value = match.group('value')
        if value[:1] in ('"', "'") and (len(value) < 2 or value[-1] != value[0]):
            raise CredentialParseError(number, 'unterminated quoted value (multi-line values are not supported)')
        entries.append((line, match.group('name')))
    return entries


def _env_quote(value):
    if _ENV_SAFE_RE.fullmatch(value):
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
            values[name] = _env_unquote(_ENV_LINE_RE.fullmatch(line.rstrip('\r\n')).group('value'))
    extra = spec.extra
    key_id = values.get(extra['access_key_id_var'])
    secret = values.get(extra['access_key_secret_var'])
    if key_id is None and secret is None:
        return None
    return {'access_key_id': key_id, 'access_key_secret': secret, 'region': values.get(extra['region_var'])}


def _redact_env(spec, text):
    extra = spec.extra
    clear = (extra['access_key_id_var'], extra['region_var'])
    lines = []
    hidden = 0
    for line, name in _parse_env(text):
        if name is None or name not in clear + (extra['access_key_secret_var'],):
            hidden += _count_shown_lines([line])
            continue
        lines.extend(_hidden_lines(hidden))
        hidden = 0
        match = _ENV_LINE_RE.fullmatch(line.rstrip('\r\n'))
        value = match.group('value')
        lines.append((match.group('export') or '') + name + '=' + (_shown_value(value) if name in clear else _masked(value)) + '\n')
    return ''.join(lines + _hidden_lines(hidden))


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
    """Text safe to show in a diff of the file spec manages: only the managed profile is shown.

    The managed profile, section or lines appear with the AccessKey id (and the module's other non-secret
    settings) in clear and every other value masked; every other profile, section or line is replaced by a
    count (``# [other]: 4 lines not shown``, ``# 3 other lines not shown``, ``"<profile ops: 9 keys not shown>"``),
    the same way in before and after. ``extra_secrets`` are masked wherever they still occur.
    """
    if not text:
        return text or ''
    try:
        if spec.fmt == 'aliyun_cli':
            result = _redact_cli_json(spec, text)
        elif spec.fmt in ('sdk', 'ossutil'):
            result = _redact_ini(spec, text)
        elif spec.fmt == 'ossfs':
            result = _redact_ossfs(spec, text)
        else:
            result = _redact_env(spec, text)
    except CredentialParseError:
        return '<unparseable content (%d lines) not shown>\n' % len(_split_lines(text))
    # Belt and braces: a secret that appears outside a recognised key must not survive either.
    return _mask_secrets(result, extra_secrets)


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
    for number, line in enumerate(_split_lines(text), 1):
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
    return _mask_secrets(''.join(lines), secrets)
