# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.filter.provision import held_credentials, outside_credential_files


def read_result(user, key_id, secret='s', **extra):
    result = {'item': [{'user': user, 'files': []}, {'format': 'sdk'}], 'exists': True,
              'access_key_id': key_id, 'access_key_secret': secret}
    result.update(extra)
    return result


def test_held_credentials_keeps_found_keys_with_user_and_host():
    results = [read_result('app', 'LTAI1'), read_result('web', 'LTAI2', secret='t')]
    assert held_credentials(results, 'web1') == [
        {'user_name': 'app', 'access_key_id': 'LTAI1', 'access_key_secret': 's', 'host': 'web1'},
        {'user_name': 'web', 'access_key_id': 'LTAI2', 'access_key_secret': 't', 'host': 'web1'},
    ]


def test_held_credentials_drops_skipped_failed_unreachable_and_missing():
    results = [
        read_result('app', 'LTAI1', skipped=True),
        read_result('app', 'LTAI2', failed=True),
        read_result('app', 'LTAI3', unreachable=True),
        read_result('app', 'LTAI4', exists=False),
        read_result('app', None),
        {'skipped': True, 'item': [{'user': 'app'}, {'template': 'x.j2'}]},
    ]
    assert not held_credentials(results, 'web1')


def test_held_credentials_deduplicates_the_same_key_in_several_files():
    results = [read_result('app', 'LTAI1'), read_result('app', 'LTAI1')]
    assert len(held_credentials(results, 'web1')) == 1


def test_held_credentials_takes_the_host_from_delegated_items():
    result = {'item': {'host': 'old1', 'user': 'app', 'file': {'format': 'sdk'}}, 'exists': True,
              'access_key_id': 'LTAI9', 'access_key_secret': 'x'}
    assert held_credentials([result]) == [{'user_name': 'app', 'access_key_id': 'LTAI9', 'access_key_secret': 'x', 'host': 'old1'}]


def test_outside_credential_files_lists_builtin_files_of_wanted_users_only():
    hostvars = {
        'old1': {'provision_credentials': [
            {'user': 'app', 'files': [{'format': 'sdk'}, {'template': 'a.j2', 'dest': '/x'}]},
            {'user': 'other', 'files': [{'format': 'env', 'path': '/e'}]},
        ]},
        'old2': {},
    }
    assert outside_credential_files(hostvars, ['old1', 'old2', 'missing'], ['app']) == [
        {'host': 'old1', 'user': 'app', 'file': {'format': 'sdk'}},
    ]
