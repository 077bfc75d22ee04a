# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The Alibaba Cloud SDK credentials file (INI): read by the Python SDK and by the Go and Java SDKs."""

from __future__ import annotations

import posixpath

from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.base import CredentialFileError
from ansible_collections.aliyun.ram.plugins.module_utils._credential_formats.ini import IniFormat, IniLayout


class SdkLayout(IniLayout):
    region_key = 'region_id'
    clear_keys = ('enable', 'type')

    def sections(self, spec):
        return (spec.profile,), spec.profile

    def desired(self, spec, doc, section):
        return [('enable', 'true'), ('type', 'access_key'),
                ('access_key_id', spec.access_key_id), ('access_key_secret', spec.access_key_secret)]


class SdkFormat(IniFormat):
    name = 'sdk'
    secret_forbidden = (('#', "the Python SDK's INI reader cuts values at '#'"),
                        (';', "INI readers of other SDKs treat ';' as a comment"),
                        ('%', "Python's configparser interpolates '%'"))
    _LAYOUT = SdkLayout()

    def profile(self, profile, extra):
        profile = super().profile(profile, extra)
        if profile == 'DEFAULT':
            raise CredentialFileError("profile DEFAULT is special in Python's configparser (inherited by every section); choose another name")
        return profile

    def default_paths(self, home):
        """Python reads the .ini name, Go and Java the bare one."""
        return [posixpath.join(home, '.alibabacloud', 'credentials.ini'), posixpath.join(home, '.alibabacloud', 'credentials')]

    def layout(self, spec):
        return self._LAYOUT
