# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The format table: every format implements the same interface, and a new format is one class and one entry."""

from __future__ import annotations

import inspect
import posixpath

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils import _credential_file as cf
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import (
    CredentialFormat,
    CredentialParseError,
    parse_lines,
    redact_lines,
    replace_lines,
)
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.ini import IniLayout
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.ossutil import OssutilFormat

KEY_ID = 'LTAI5tFormatTableKey01'
SECRET = 'FormatTableSecret0123456789'
REGION = 'cn-hangzhou'
INTERFACE = ('profile', 'default_paths', 'default_mode', 'mode_problem', 'merge', 'read', 'redact')
# one spec per format and form: (format, extra)
FORMS = [(name, {}) for name in cf.FORMATS] + [('ossutil', {'ossutil_version': 2})]


def present(fmt, extra, profile=None, key_id=KEY_ID, secret=SECRET):
    return cf.build_spec(fmt, profile, key_id, secret, REGION, dict(extra), 'present')


def absent(fmt, extra, profile=None):
    return cf.build_spec(fmt, profile, extra=dict(extra), state='absent')


@pytest.mark.parametrize('name', sorted(cf.FORMATS))
def test_every_entry_implements_the_whole_interface(name):
    file_format = cf.FORMATS[name]
    assert isinstance(file_format, CredentialFormat) and file_format.name == name
    for method in ('merge', 'read', 'redact'):
        assert getattr(type(file_format), method) is not getattr(CredentialFormat, method), (name, method)
    for method in INTERFACE:
        assert inspect.signature(getattr(file_format, method)) == inspect.signature(getattr(CredentialFormat(), method)), method


def test_the_modules_choices_are_the_table_in_its_order():
    assert list(cf.FORMATS) == ['aliyun_cli', 'sdk', 'ossutil', 'ossfs', 'env']


def test_every_extra_option_belongs_to_a_format_and_every_format_key_is_an_option():
    used = set()
    for file_format in cf.FORMATS.values():
        assert set(file_format.extra_keys) <= set(cf.EXTRA_OPTIONS), file_format.name
        assert set(file_format.extra_defaults) <= set(file_format.extra_keys), file_format.name
        used.update(file_format.extra_keys)
    assert used == set(cf.EXTRA_OPTIONS)


def test_ossutil_has_a_layout_for_every_version_the_option_allows():
    assert sorted(OssutilFormat.LAYOUTS) == cf.EXTRA_OPTIONS['ossutil_version']['choices']
    for layout in OssutilFormat.LAYOUTS.values():
        assert isinstance(layout, IniLayout)
        assert type(layout).sections is not IniLayout.sections and type(layout).desired is not IniLayout.desired


@pytest.mark.parametrize('name', sorted(cf.FORMATS))
def test_each_forbidden_secret_character_is_refused_by_its_format_only(name):
    for char, why in cf.FORMATS[name].secret_forbidden:
        with pytest.raises(cf.CredentialFileError) as caught:
            present(name, {}, secret='abc' + char + 'def')
        assert why in str(caught.value) and 'format %s' % name in str(caught.value)
        for other, other_format in cf.FORMATS.items():
            if char not in (c for c, dummy in other_format.secret_forbidden):
                assert present(other, {}, secret='abc' + char + 'def').access_key_secret == 'abc' + char + 'def'


@pytest.mark.parametrize('fmt, extra', FORMS)
def test_every_form_round_trips_through_the_public_functions(fmt, extra):
    written = cf.merge(present(fmt, extra), None)
    assert cf.merge(present(fmt, extra), written) == written
    found = cf.read_profile(cf.build_spec(fmt, extra=dict(extra), reading=True), written)
    assert (found['access_key_id'], found['access_key_secret']) == (KEY_ID, SECRET)
    shown = cf.redact(present(fmt, extra), written)
    assert SECRET not in shown and KEY_ID in shown and cf.REDACTED in shown
    rotated = cf.merge(present(fmt, extra, key_id=KEY_ID + '2', secret=SECRET + 'b'), written)
    assert cf.read_profile(cf.build_spec(fmt, extra=dict(extra), reading=True), rotated)['access_key_id'] == KEY_ID + '2'
    removed = cf.merge(absent(fmt, extra), written)
    assert cf.read_profile(cf.build_spec(fmt, extra=dict(extra), reading=True), removed) is None


@pytest.mark.parametrize('fmt, extra', FORMS)
def test_every_form_handles_missing_empty_and_unparseable_files_alike(fmt, extra):
    assert cf.merge(absent(fmt, extra), None) == '' and cf.merge(absent(fmt, extra), '') == ''
    for blank in (None, '', ' \n'):
        assert cf.read_profile(cf.build_spec(fmt, extra=dict(extra), reading=True), blank) is None
    assert cf.redact(present(fmt, extra), '') == '' and cf.redact(present(fmt, extra), None) == ''
    garbage = '[x\n{ "a": ' + SECRET + '\nnot a line of any format\n'
    with pytest.raises(CredentialParseError):
        cf.merge(present(fmt, extra), garbage)
    assert cf.redact(present(fmt, extra), garbage) == '<unparseable content (3 lines) not shown>\n'


@pytest.mark.parametrize('name', sorted(cf.FORMATS))
def test_every_format_has_default_paths_under_home_or_asks_for_one(name):
    try:
        paths = cf.default_paths(name, '/home/a')
    except cf.CredentialFileError as exc:
        assert 'set path' in str(exc)
        return
    assert paths and all(posixpath.isabs(path) for path in paths)


@pytest.mark.parametrize('name', sorted(cf.FORMATS) + ['template'])
def test_0600_is_always_a_default_a_format_accepts(name):
    for path, owner_is_root in (('/home/a/file', False), ('/home/a/file', True), ('/etc/passwd-ossfs', True)):
        assert cf.default_mode(name, path, owner_is_root) in (0o600, 0o640)
        assert cf.mode_problem(name, path, 0o600) is None
        assert cf.mode_problem(name, path, cf.default_mode(name, path, owner_is_root)) is None


# ---------------------------------------------------------------- a new format: one class and one table entry

class _KeyLineFormat(CredentialFormat):
    """A made-up format: one "profile KEY SECRET" line per profile, read by nothing but this test."""

    name = 'key_line'
    secret_forbidden = ((' ', 'fields are separated by spaces'),)

    @staticmethod
    def _profile_of(number, line):
        fields = line.split()
        if len(fields) != 3:
            raise CredentialParseError(number, 'expected "profile KEY SECRET"')
        return fields[0]

    def default_paths(self, home):
        return [posixpath.join(home, '.key_lines')]

    def merge(self, spec, text):
        wanted = ' '.join((spec.profile, spec.access_key_id, spec.access_key_secret)) if spec.state == 'present' else None
        return replace_lines(parse_lines(text, self._profile_of), {spec.profile: wanted})

    def read(self, spec, text):
        for line, profile in parse_lines(text, self._profile_of):
            if profile == spec.profile:
                dummy, key_id, secret = line.split()
                return {'access_key_id': key_id, 'access_key_secret': secret, 'region': None}
        return None

    def redact(self, spec, text):
        return redact_lines(parse_lines(text, self._profile_of),
                            lambda line, profile: ' '.join(line.split()[:2] + [cf.REDACTED]) + '\n' if profile == spec.profile else None)


def test_a_new_format_is_one_class_and_one_table_entry(monkeypatch):
    # a new format: its class, its name in the table and its branch in the table's loader
    monkeypatch.setattr(type(cf.FORMATS), 'NAMES', cf.FORMATS.NAMES + ('key_line',))
    monkeypatch.setattr(cf, '_load_format', lambda name: _KeyLineFormat() if name == 'key_line' else cf.FORMATS[name])
    spec = cf.build_spec('key_line', 'prod', KEY_ID, SECRET)
    text = cf.merge(spec, '# mine\nother LTAIother hunter2\n')
    assert text == '# mine\nother LTAIother hunter2\nprod %s %s\n' % (KEY_ID, SECRET)
    assert cf.read_profile(cf.build_spec('key_line', 'prod', reading=True), text)['access_key_id'] == KEY_ID
    assert cf.redact(spec, text) == '# 2 other lines not shown\nprod %s %s\n' % (KEY_ID, cf.REDACTED)
    assert cf.merge(cf.build_spec('key_line', 'prod', state='absent'), text) == '# mine\nother LTAIother hunter2\n'
    assert cf.default_paths('key_line', '/home/a') == ['/home/a/.key_lines'] and cf.default_mode('key_line', '/x', True) == 0o600
    with pytest.raises(cf.CredentialFileError, match='fields are separated by spaces'):
        cf.build_spec('key_line', 'prod', KEY_ID, 'two words')
    with pytest.raises(cf.CredentialFileError, match='extra keys not supported by format key_line: region_var'):
        cf.build_spec('key_line', 'prod', KEY_ID, SECRET, extra={'region_var': 'R'})


def test_the_format_table_loads_only_the_formats_used(monkeypatch):
    loaded = []
    real_load = cf._load_format
    monkeypatch.setattr(cf, 'FORMATS', type(cf.FORMATS)())
    monkeypatch.setattr(cf, '_load_format', lambda name: loaded.append(name) or real_load(name))
    assert list(cf.FORMATS) == ['aliyun_cli', 'sdk', 'ossutil', 'ossfs', 'env'] and 'env' in cf.FORMATS and loaded == []
    cf.merge(cf.build_spec('env', None, KEY_ID, SECRET), '')
    cf.build_spec('env', None, KEY_ID, SECRET)
    assert loaded == ['env'] and 'nope' not in cf.FORMATS
    with pytest.raises(cf.CredentialFileError, match='format must be one of aliyun_cli, sdk, ossutil, ossfs, env'):
        cf.build_spec('nope')
