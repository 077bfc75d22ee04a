# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""What every credential file format shares: the format interface, the errors, line and redaction helpers.

Runs on target hosts, so it must stay stdlib-only.  Error messages never quote file content:
a file may hold secrets, so parse errors name a line NUMBER and a reason only.
"""

from __future__ import annotations

import re

REDACTED = '********'
DEFAULT_PROFILE = 'default'

# Used with fullmatch: '$' would also match before a trailing newline ('prod\n').
PROFILE_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9._-]{0,63}')
CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')


class CredentialFileError(Exception):
    """A problem with the inputs or a file; the message never contains secrets or file content."""


class CredentialParseError(CredentialFileError):
    def __init__(self, line, reason):
        self.line = line
        self.reason = reason
        super().__init__('line %d: %s' % (line, reason) if line else reason)


def fullmatch(pattern, value):
    """Whether the WHOLE string matches (no trailing newline slips through as it does with match and '$')."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None


class CredentialFormat:
    """One credential file format: how its consumers lay out a profile, read it, and how a diff shows it.

    A new format is a subclass and one entry in ``_credential_file.FORMATS``. ``merge``, ``read`` and ``redact``
    are pure text functions on a validated spec (``_credential_file.CredentialSpec``); they raise
    CredentialParseError for text the format's consumers would not read, CredentialFileError for a spec the file
    cannot take.
    """

    name = None
    # keys of the modules' ``extra`` option the format takes (see _credential_file.EXTRA_OPTIONS), and defaults
    extra_keys = ()
    extra_defaults = {}
    # (character, why) pairs: characters the format's readers mangle inside a secret (the reason is shown in the error)
    secret_forbidden = ()

    def profile(self, profile, extra):
        """The validated name of the profile to manage (``None`` or ``''``: the default one)."""
        profile = DEFAULT_PROFILE if profile is None or profile == '' else profile
        if not fullmatch(PROFILE_RE, profile):
            raise CredentialFileError('profile must be 1 to 64 letters, digits, dots, dashes or underscores')
        return profile

    def only_default_profile(self, profile, what):
        """profile() of a format whose file holds ``what`` instead of named profiles."""
        profile = DEFAULT_PROFILE if profile is None or profile == '' else profile
        if profile != DEFAULT_PROFILE:
            raise CredentialFileError('format %s has %s; use a separate path instead of profile' % (self.name, what))
        return profile

    def default_paths(self, home):
        """Where the format's consumers look by default in the home directory ``home``."""
        raise CredentialFileError('format %s has no default path; set path' % self.name)

    def default_mode(self, path, owner_is_root):
        return 0o600

    def mode_problem(self, path, mode):
        """Why the consumers would refuse the file at ``path`` with the numeric ``mode``, or None."""
        return None

    def merge(self, spec, text):
        """The new text of the file (``text`` is '' for a missing file); ``text`` itself when nothing changes."""
        raise NotImplementedError

    def read(self, spec, text):
        """{'access_key_id', 'access_key_secret', 'region'} of the profile in ``text`` (not blank), or None."""
        raise NotImplementedError

    def redact(self, spec, text):
        """``text`` (not empty) as a diff shows it: the managed profile, every other value masked or counted."""
        raise NotImplementedError


# ---------------------------------------------------------------- line helpers

def split_lines(text):
    """Split keeping line endings; only '\\n' ends a line (str.splitlines also splits on form feeds)."""
    if not text:
        return []
    lines = text.split('\n')
    result = [line + '\n' for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def eol(line):
    """The line ending to reuse when rewriting line ('' for a last line without one)."""
    if line.endswith('\r\n'):
        return '\r\n'
    return '\n' if line.endswith('\n') else ''


def join_lines(lines):
    """Concatenate, adding a newline to any line that lost its ending by being moved off the end."""
    out = []
    for i, line in enumerate(lines):
        if i < len(lines) - 1 and not line.endswith('\n'):
            line += '\n'
        out.append(line)
    return ''.join(out)


def is_blank_text(text):
    return text is None or not text.strip()


# ---------------------------------------------------------------- files of one setting per line (ossfs, env)

def parse_lines(text, key_of):
    """[(line, key)]: key None for blank lines and '#' comments, else ``key_of(line number, line)`` (which may raise)."""
    entries = []
    for number, line in enumerate(split_lines(text), 1):
        stripped = line.strip()
        entries.append((line, key_of(number, line) if stripped and not stripped.startswith('#') else None))
    return entries


def replace_lines(entries, wanted):
    """The text of ``entries`` with ``wanted`` ({key: line without ending, or None to remove}) applied.

    A wanted line replaces the first line of its key (keeping its line ending) and later lines of that key go;
    the wanted lines no line held are appended, in the order of ``wanted``. Every other line stays as it is.
    """
    lines, placed = [], set()
    for line, key in entries:
        if key is None or key not in wanted:
            lines.append(line)
        elif wanted[key] is not None and key not in placed:
            lines.append(wanted[key] + eol(line))
            placed.add(key)
    lines.extend(value + '\n' for key, value in wanted.items() if value is not None and key not in placed)
    return join_lines(lines)


def redact_lines(entries, managed_line):
    """Each line ``managed_line(line, key)`` shows (it returns None for the others), every other line only counted."""
    lines, hidden = [], 0
    for line, key in entries:
        shown = managed_line(line, key)
        if shown is None:
            hidden += count_shown_lines([line])
            continue
        lines.extend(hidden_lines(hidden))
        hidden = 0
        lines.append(shown)
    return ''.join(lines + hidden_lines(hidden))


# ---------------------------------------------------------------- redaction helpers
#
# A diff shows the managed profile (AccessKey id in clear, secret masked) and only counts of everything else:
# other profiles, sections and lines may hold other applications' secrets (DB_PASS=..., another profile's key).
# before and after are summarised the same way, so an unchanged other section shows no difference.

_SHOWN_VALUE_RE = re.compile(r'[A-Za-z0-9_./:@%+,=-]*')


def plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def count_shown_lines(lines):
    """Lines that carry something (blank lines are not counted, so adding a separator changes no summary)."""
    return sum(1 for line in lines if line.strip())


def hidden_lines(count):
    return ['# %s not shown\n' % plural(count, 'other line')] if count else []


def masked(value):
    """REDACTED for any value (an empty one stays empty: there is nothing to hide)."""
    return value if value is None or value == '' else REDACTED


def shown_value(value):
    """A value of a managed, non-secret key: shown when it is one plain word, masked otherwise (never a comment after it)."""
    if value is None or (isinstance(value, str) and _SHOWN_VALUE_RE.fullmatch(value)):
        return value
    return REDACTED


def mask_secrets(text, secrets):
    for secret in sorted((s for s in secrets or () if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
