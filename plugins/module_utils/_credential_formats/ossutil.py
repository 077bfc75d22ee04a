# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The ossutil configuration (INI), in its two forms: ossutil 1.x (one [Credentials] section) and 2.0 (profiles)."""

from __future__ import annotations

import posixpath

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import DEFAULT_PROFILE, CredentialFileError
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.ini import IniFormat, IniLayout

V1_SECTION = 'Credentials'


class _OssutilLayout(IniLayout):
    # A stale session token next to a new AccessKey would make ossutil sign with the wrong identity.
    dropped_norms = ('ststoken', 'sessiontoken', 'securitytoken')

    def norm(self, key):
        return key.lower().replace('-', '').replace('_', '')


class OssutilV1Layout(_OssutilLayout):
    separator = '='
    clear_keys = ('language', 'endpoint')

    def sections(self, spec):
        return (V1_SECTION,), V1_SECTION

    def desired(self, spec, doc, section):
        extra = spec.extra
        desired = []
        if 'language' in extra:
            desired.append(('language', extra['language']))
        endpoint = extra.get('endpoint') or ('oss-%s.aliyuncs.com' % spec.region if spec.region else None)
        if endpoint:
            desired.append(('endpoint', endpoint))
        return desired + [('accessKeyID', spec.access_key_id), ('accessKeySecret', spec.access_key_secret)]


class OssutilV2Layout(_OssutilLayout):
    region_key = 'region'
    clear_keys = ('region', 'endpoint')

    def sections(self, spec):
        if spec.profile == DEFAULT_PROFILE:
            return ('default', 'profile default'), 'default'
        return ('profile ' + spec.profile,), 'profile ' + spec.profile

    def desired(self, spec, doc, section):
        desired = [('accessKeyId', spec.access_key_id), ('accessKeySecret', spec.access_key_secret)]
        if spec.region:
            desired.append(('region', spec.region))
        elif section is None or not doc.get(section, 'region'):
            raise CredentialFileError('ossutil 2.0 signs with V4 and needs region for a new profile; set region')
        if 'endpoint' in spec.extra:
            desired.append(('endpoint', spec.extra['endpoint']))
        return desired


class OssutilFormat(IniFormat):
    name = 'ossutil'
    extra_keys = ('ossutil_version', 'endpoint', 'language')
    secret_forbidden = (('#', "INI readers treat '#' as a comment"),
                        (';', "INI readers treat ';' as a comment"))
    LAYOUTS = {1: OssutilV1Layout(), 2: OssutilV2Layout()}

    def profile(self, profile, extra):
        if extra.get('ossutil_version', 1) == 1:
            return self.only_default_profile(profile, 'one [%s] section (set extra.ossutil_version: 2 for profiles)' % V1_SECTION)
        return super().profile(profile, extra)

    def default_paths(self, home):
        return [posixpath.join(home, '.ossutilconfig')]

    def layout(self, spec):
        return self.LAYOUTS[spec.ossutil_version]
