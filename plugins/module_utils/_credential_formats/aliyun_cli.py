# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.


"""The aliyun CLI configuration, ~/.aliyun/config.json."""

from __future__ import annotations

import json
import posixpath

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import (
    CredentialFileError,
    CredentialFormat,
    CredentialParseError,
    is_blank_text,
    masked,
    plural,
    shown_value,
)

# Keys of the managed profile the module writes whose values are not secrets.
_CLEAR_KEYS = ('name', 'mode', 'access_key_id', 'region_id', 'output_format', 'language')


def _load(text):
    if is_blank_text(text):
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


def _render(data):
    # The aliyun CLI writes json.MarshalIndent(conf, "", "\t"): tab indent, no trailing newline.
    return json.dumps(data, indent='\t', ensure_ascii=False)


def _redact_profile(spec, profile):
    if profile.get('name') != spec.profile:
        name = profile.get('name')
        label = 'profile %s' % name if isinstance(name, str) and name else 'a profile without a name'
        return '<%s: %s not shown>' % (label, plural(len(profile), 'key'))
    return dict((key, shown_value(value) if key in _CLEAR_KEYS else masked(value)) for key, value in profile.items())


class AliyunCliFormat(CredentialFormat):
    name = 'aliyun_cli'
    extra_keys = ('current', 'output_format', 'language')

    def default_paths(self, home):
        return [posixpath.join(home, '.aliyun', 'config.json')]

    def merge(self, spec, text):
        data = _load(text)
        original = json.loads(json.dumps(data)) if data is not None else None
        if data is None:
            if spec.state == 'absent':
                return text
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
            self._set_profile(spec, data, profiles, index)
        if data == original:
            return text
        return _render(data)

    @staticmethod
    def _set_profile(spec, data, profiles, index):
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

    def read(self, spec, text):
        for profile in _load(text).get('profiles', []):
            if profile.get('name') == spec.profile:
                return {'access_key_id': profile.get('access_key_id'),
                        'access_key_secret': profile.get('access_key_secret'),
                        'region': profile.get('region_id')}
        return None

    def redact(self, spec, text):
        data = _load(text)
        if data is None:
            return ''
        shown = {}
        for key, value in data.items():
            if key == 'profiles':
                # the managed profile first and the summaries of the others after it: adding or removing the managed
                # profile then changes no line of the others (not even a JSON comma)
                profiles = [_redact_profile(spec, profile) for profile in value]
                shown[key] = [p for p in profiles if isinstance(p, dict)] + [p for p in profiles if not isinstance(p, dict)]
            elif key == 'current':
                # which profile the CLI uses: the module sets it, and it is a profile name, not a credential
                shown[key] = shown_value(value)
            else:
                shown[key] = masked(value)
        return _render(shown)
