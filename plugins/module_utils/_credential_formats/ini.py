# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""INI files (sdk, ossutil): the document that edits a section and leaves every other byte alone, and the
merge, read and redaction every INI format shares. A format says how it lays out a profile with an IniLayout."""

from __future__ import annotations

import re

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import (
    CredentialFormat,
    CredentialParseError,
    count_shown_lines,
    eol,
    hidden_lines,
    join_lines,
    masked,
    plural,
    shown_value,
    split_lines,
)


class IniEntry:
    __slots__ = ('lines', 'key', 'norm')

    def __init__(self, lines, key=None, norm=None):
        self.lines = lines
        self.key = key
        self.norm = norm


class IniSection:
    __slots__ = ('name', 'header', 'entries')

    def __init__(self, name, header):
        self.name = name
        self.header = header
        self.entries = []


class IniDocument:
    """Lines grouped into sections and entries so edits leave every other byte alone."""

    # used with fullmatch on one line without its line ending
    KEY_RE = re.compile(r'(?P<prefix>\s*(?P<key>[^=:\s][^=:]*?)\s*[=:][ \t]*)(?P<value>.*?)\s*')
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
        for number, line in enumerate(split_lines(text), 1):
            body = line.rstrip('\r\n')
            stripped = body.strip()
            target = section.entries if section else self.preamble
            if not stripped or stripped[0] in '#;':
                last_entry = None
                target.append(IniEntry([line]))
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
                section = IniSection(name, line)
                self.sections.append(section)
                seen_keys = set()
                last_entry = None
                continue
            match = self.KEY_RE.fullmatch(body)
            if not match:
                raise CredentialParseError(number, 'expected a [section] header, a comment or "key = value"')
            if section is None:
                raise CredentialParseError(number, 'key outside any [section]')
            key = match.group('key')
            if key.lower() in seen_keys:
                raise CredentialParseError(number, 'duplicate key in section (INI readers reject it)')
            seen_keys.add(key.lower())
            last_entry = IniEntry([line], key, self.key_norm(key))
            section.entries.append(last_entry)

    def render(self):
        lines = [line for entry in self.preamble for line in entry.lines]
        for section in self.sections:
            lines.append(section.header)
            lines.extend(line for entry in section.entries for line in entry.lines)
        return join_lines(lines)

    def find(self, names):
        for section in self.sections:
            if section.name in names:
                return section
        return None

    @classmethod
    def value(cls, entry):
        """The value of a key entry (its first line)."""
        return cls.KEY_RE.fullmatch(entry.lines[0].rstrip('\r\n')).group('value')

    @classmethod
    def get(cls, section, norm):
        for entry in section.entries:
            if entry.norm == norm:
                return cls.value(entry)
        return None

    def set(self, section, norm, key, value, separator):
        """Edit the first matching key in place (keeping its spelling); drop aliases of it; else append."""
        matches = [entry for entry in section.entries if entry.norm == norm]
        if matches:
            first = matches[0]
            prefix = self.KEY_RE.fullmatch(first.lines[0].rstrip('\r\n')).group('prefix')
            first.lines = [prefix + value + eol(first.lines[-1])]
            section.entries = [entry for entry in section.entries if entry not in matches[1:]]
            return
        keyed = [i for i, entry in enumerate(section.entries) if entry.key is not None]
        position = keyed[-1] + 1 if keyed else 0
        section.entries.insert(position, IniEntry([key + separator + value + '\n'], key, norm))

    @staticmethod
    def delete(section, norm):
        section.entries = [entry for entry in section.entries if entry.norm != norm]

    def add_section(self, name):
        section = IniSection(name, '[%s]\n' % name)
        previous = self.sections[-1].entries if self.sections else self.preamble
        if self.sections or self.preamble:
            last_line = (previous[-1].lines[-1] if previous else self.sections[-1].header)
            if last_line.strip():
                previous.append(IniEntry(['\n']))
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


class IniLayout:
    """How one INI format (or one form of it) lays out a profile."""

    separator = ' = '
    # the key read as the profile's region (None: the format keeps no region)
    region_key = None
    # keys the module writes whose values are not secrets: shown in clear in the managed section of a diff
    clear_keys = ()
    # normalised keys removed from the managed section whenever it is written
    dropped_norms = ()

    def norm(self, key):
        """The key as the format's readers compare it (spellings that are the same key compare equal)."""
        return key.lower()

    def sections(self, spec):
        """(names of the section that holds the profile, name of a new section)."""
        raise NotImplementedError

    def desired(self, spec, doc, section):
        """[(key as written, value)] the profile gets; ``section`` is its existing section, or None."""
        raise NotImplementedError


class IniFormat(CredentialFormat):
    """A format whose file is an INI document: merge, read and redact through the layout of the spec."""

    def layout(self, spec):
        raise NotImplementedError

    def _document(self, spec, text):
        layout = self.layout(spec)
        names, new_name = layout.sections(spec)
        doc = IniDocument(text, layout.norm)
        return layout, doc, doc.find(names), new_name

    def merge(self, spec, text):
        layout, doc, section, new_name = self._document(spec, text)
        if spec.state == 'absent':
            if section is not None:
                doc.remove_section(section)
            return doc.render()
        desired = layout.desired(spec, doc, section)
        if section is None:
            section = doc.add_section(new_name)
        for key, value in desired:
            doc.set(section, layout.norm(key), key, value, layout.separator)
        for norm in layout.dropped_norms:
            doc.delete(section, norm)
        return doc.render()

    def read(self, spec, text):
        layout, doc, section, dummy = self._document(spec, text)
        if section is None:
            return None
        return {'access_key_id': doc.get(section, layout.norm('access_key_id')),
                'access_key_secret': doc.get(section, layout.norm('access_key_secret')),
                'region': doc.get(section, layout.norm(layout.region_key)) if layout.region_key else None}

    def redact(self, spec, text):
        layout, doc, managed, dummy = self._document(spec, text)
        clear = set(layout.norm(key) for key in layout.clear_keys + ('access_key_id',))
        lines = hidden_lines(count_shown_lines(line for entry in doc.preamble for line in entry.lines))
        for section in doc.sections:
            if section is not managed:
                hidden = count_shown_lines(line for entry in section.entries for line in entry.lines)
                lines.append('# [%s]: %s not shown\n' % (section.name, plural(hidden, 'line')))
                continue
            lines.append('[%s]\n' % section.name)
            for entry in section.entries:
                if entry.key is None:
                    lines.append('# (comment not shown)\n' if entry.lines[0].strip() else '\n')
                    continue
                match = IniDocument.KEY_RE.fullmatch(entry.lines[0].rstrip('\r\n'))
                value = match.group('value')
                lines.append(match.group('prefix') + (shown_value(value) if entry.norm in clear else masked(value)) + '\n')
                if len(entry.lines) > 1:
                    lines.append('# (%s not shown)\n' % plural(len(entry.lines) - 1, 'continuation line'))
        return ''.join(lines)
