# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""STS GetCallerIdentity: who the configured credentials are, and whether that is an account root key."""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError

ROOT_IDENTITY_TYPE = 'Account'
_FIELDS = (('account_id', 'AccountId'), ('identity_type', 'IdentityType'), ('arn', 'Arn'), ('user_id', 'UserId'),
           ('principal_id', 'PrincipalId'), ('role_id', 'RoleId'))


def is_root_identity(identity):
    arn = identity.get('arn') or ''
    return identity.get('identity_type') == ROOT_IDENTITY_TYPE or arn.endswith(':root')


def caller_identity(api, fail_on_root=False):
    body = api.read('GetCallerIdentity', service='sts')
    identity = dict((option, body.get(field) or None) for option, field in _FIELDS)
    identity['is_root'] = is_root_identity(identity)
    if fail_on_root and identity['is_root']:
        raise ConflictError(
            'the credentials in use are the root AccessKey of Alibaba Cloud account %s; Alibaba Cloud recommends '
            'not using the account root key: use the AccessKey of a RAM user with only the permissions it needs'
            % identity['account_id'], **identity)
    identity['changed'] = False
    return identity


def run_sts_caller_info(module):
    """The sts_caller_info module."""
    return caller_identity(module.api(), fail_on_root=module.params['fail_on_root'])
