# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A key's life through ram_access_keys against a fake RAM + STS: reconcile with rotate_users -> retire -> revoke,
including a rotation resumed after a failure at each step."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import lifecycle_keys
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError, ValidationError
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_plan import MID, NOW, OLD, TODAY
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_reconcile import (
    ROOT_KEY_ID,
    ROOT_SECRET,
    holding,
    options,
    reconcile,
    secret_of,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_reconcile import ram  # noqa: F401 pylint: disable=unused-import
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import api_error, unavailable


def lifecycle(api, opts, check_mode=False):
    return lifecycle_keys(api, opts, check_mode, now=NOW)


def statuses(fake, user_name):
    return dict((k['AccessKeyId'], k['Status']) for k in fake.users[user_name]['keys'])


def deploy(fake, user_name, key_id, hosts):
    return [holding(fake, user_name, key_id, host=host) for host in hosts]


def store_copy(entry):
    return dict(entry, host='secret store')


def rotate(api, fake, held, check_mode=False, **kwargs):
    kwargs.setdefault('on_limit', 'delete_inactive')
    return reconcile(api, options(['u'], held, rotate_users=['u'], **kwargs), check_mode)


def test_full_rotation_never_leaves_a_host_on_a_key_that_is_not_active(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'OLD', create_date=OLD)
    hosts = ['h1', 'h2']
    result = rotate(api, fake, deploy(fake, 'u', 'OLD', hosts))
    new = result['access_keys']['u']
    assert new['created'] and new['rotated_from'] == 'OLD' and new['rotation']['decision'] == 'rotate'
    assert statuses(fake, 'u') == {'OLD': 'Active', new['access_key_id']: 'Active'}
    # only h1 got the new key so far: the old key must stay Active
    half = deploy(fake, 'u', new['access_key_id'], ['h1']) + deploy(fake, 'u', 'OLD', ['h2'])
    partial = lifecycle(api, options(['u'], half, operation='retire'))
    assert partial['access_keys']['u']['still_held_access_key_ids'] == ['OLD'] and not partial['changed']
    assert statuses(fake, 'u')['OLD'] == 'Active'
    done = lifecycle(api, options(['u'], deploy(fake, 'u', new['access_key_id'], hosts), operation='retire'))
    assert done['access_keys']['u']['deactivated_access_key_ids'] == ['OLD']
    assert done['access_keys']['u']['pending_access_key_ids'] == ['OLD'] and done['deleted_count'] == 0
    assert statuses(fake, 'u') == {'OLD': 'Inactive', new['access_key_id']: 'Active'}
    # the next run deletes it, and does not rotate again by name
    again = rotate(api, fake, deploy(fake, 'u', new['access_key_id'], hosts))
    assert again['access_keys']['u']['rotation']['decision'] == 'recently_rotated' and not again['changed']
    final = lifecycle(api, options(['u'], deploy(fake, 'u', new['access_key_id'], hosts), operation='retire'))
    assert final['access_keys']['u']['deleted_access_key_ids'] == ['OLD']
    assert fake.key_ids('u') == [new['access_key_id']]


def test_resume_after_a_lost_deploy_creates_no_third_key(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'OLD', create_date=OLD)
    first = rotate(api, fake, deploy(fake, 'u', 'OLD', ['h1']))
    new_id = first['access_keys']['u']['access_key_id']
    stored = store_copy(holding(fake, 'u', new_id, host='x'))
    # every host failed to receive the key; only the store has it
    resumed = rotate(api, fake, deploy(fake, 'u', 'OLD', ['h1']) + [stored])
    entry = resumed['access_keys']['u']
    assert entry['rotation']['decision'] == 'resume' and not entry['created'] and entry['access_key_id'] == new_id
    assert fake.writes() == ['CreateAccessKey'] and len(fake.key_ids('u')) == 2


def test_resume_after_a_failed_deactivation(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'OLD', create_date=OLD)
    new_id = rotate(api, fake, deploy(fake, 'u', 'OLD', ['h1']))['access_keys']['u']['access_key_id']
    fake.fail('UpdateAccessKey', unavailable, count=10)
    with pytest.raises(ConflictError) as failed:
        lifecycle(api, options(['u'], deploy(fake, 'u', new_id, ['h1']), operation='retire'))
    assert failed.value.details['errors']['u']['code'] == 'ServiceUnavailable'
    fake.faults = []
    again = rotate(api, fake, deploy(fake, 'u', new_id, ['h1']))
    assert again['access_keys']['u']['rotation']['decision'] == 'resume' and not again['changed']
    done = lifecycle(api, options(['u'], deploy(fake, 'u', new_id, ['h1']), operation='retire'))
    assert done['access_keys']['u']['deactivated_access_key_ids'] == ['OLD']
    assert fake.writes().count('CreateAccessKey') == 1


def test_rotation_makes_room_by_deleting_an_inactive_key_never_an_active_one(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'GONE', status='Inactive', create_date=OLD)
    fake.add_key('u', 'CUR', create_date=MID)
    result = reconcile(api, options(['u'], deploy(fake, 'u', 'CUR', ['h1']), rotate_users=['u'], rotate_older_than_days=30,
                                    on_limit='delete_inactive'))
    assert result['access_keys']['u']['deleted_access_key_ids'] == ['GONE']
    assert 'CUR' in fake.key_ids('u') and len(fake.key_ids('u')) == 2
    fake2_user = 'v'
    fake.add_user(fake2_user)
    fake.add_key(fake2_user, 'V1', create_date=OLD)
    fake.add_key(fake2_user, 'V2', create_date=MID)
    with pytest.raises(ConflictError) as limit:
        reconcile(api, options(['v'], deploy(fake, 'v', 'V1', ['h1']), rotate_users=['v'], on_limit='delete_inactive'))
    assert 'active keys are never deleted' in str(limit.value)
    assert fake.key_ids('v') == ['V1', 'V2']


def test_check_mode_reports_what_would_be_created_deactivated_and_deleted(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'OLD', create_date=OLD)
    planned = rotate(api, fake, deploy(fake, 'u', 'OLD', ['h1']), check_mode=True)
    assert planned['access_keys']['u']['created'] and planned['access_keys']['u']['access_key_id'] is None
    assert planned['access_keys']['u']['rotated_from'] == 'OLD'
    fake.add_key('u', 'NEW', create_date=TODAY)
    retire = lifecycle(api, options(['u'], deploy(fake, 'u', 'NEW', ['h1']), operation='retire', delete_after_days=0), True)
    assert retire['access_keys']['u']['deactivated_access_key_ids'] == ['OLD']
    assert retire['access_keys']['u']['deleted_access_key_ids'] == ['OLD']
    assert fake.writes() == [] and statuses(fake, 'u') == {'OLD': 'Active', 'NEW': 'Active'}


def test_retire_without_a_verified_held_key_changes_nothing(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'OLD', create_date=OLD)
    fake.add_key('u', 'NEW', create_date=TODAY)
    wrong = [holding(fake, 'u', 'NEW', secret='not-the-secret')]
    with pytest.raises(ConflictError) as failed:
        lifecycle(api, options(['u'], wrong, operation='retire', delete_after_days=0))
    assert 'nothing is deactivated or deleted' in str(failed.value) and 'not-the-secret' not in str(failed.value)
    assert fake.writes() == []


def test_retire_refuses_a_root_key(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', ROOT_KEY_ID, create_date=TODAY)
    held = [{'user_name': 'u', 'access_key_id': ROOT_KEY_ID, 'access_key_secret': ROOT_SECRET, 'host': 'h1'}]
    with pytest.raises(ConflictError) as failed:
        lifecycle(api, options(['u'], held, operation='retire'))
    assert 'root AccessKey' in str(failed.value) and ROOT_SECRET not in str(failed.value)


def test_revoke_deletes_every_key_except_those_held_elsewhere(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'A', create_date=OLD)
    fake.add_key('u', 'B', status='Inactive', create_date=MID)
    fake.add_user('v')
    fake.add_key('v', 'V', create_date=MID)
    elsewhere = [holding(fake, 'v', 'V', host='outside1')]
    planned = lifecycle(api, options(['u', 'v', 'gone'], elsewhere, operation='revoke'), check_mode=True)
    assert fake.writes() == [] and planned['deleted_count'] == 2
    result = lifecycle(api, options(['u', 'v', 'gone'], elsewhere, operation='revoke'))
    assert result['access_keys']['u']['deleted_access_key_ids'] == ['A', 'B'] and fake.key_ids('u') == []
    assert result['access_keys']['v']['kept_access_key_ids'] == ['V'] and result['access_keys']['v']['holders'] == {'V': ['outside1']}
    assert result['access_keys']['gone'] == {'user_exists': False, 'deleted_access_key_ids': [], 'kept_access_key_ids': [],
                                             'holders': {}}
    assert any('outside1' in warning for warning in result['warnings'])
    forced = lifecycle(api, options(['v'], [], operation='revoke'))
    assert forced['access_keys']['v']['deleted_access_key_ids'] == ['V'] and fake.key_ids('v') == []


def test_revoke_failure_of_one_user_still_handles_the_others(ram):
    api, fake = ram
    for name in ('u', 'v'):
        fake.add_user(name)
        fake.add_key(name, name.upper(), create_date=MID)
    fake.fail('DeleteAccessKey', lambda: api_error('NoPermission'))
    with pytest.raises(ConflictError) as failed:
        lifecycle(api, options(['u', 'v'], [], operation='revoke', parallelism=1))
    assert list(failed.value.details['errors']) == ['u']
    assert failed.value.details['access_keys']['v']['deleted_access_key_ids'] == ['V']


@pytest.mark.parametrize('params, message', [
    (dict(rotate_users=['other']), 'rotate_users lists other, which is not in users'),
    (dict(rotate_users=['u'], operation='retire'), 'for operation=reconcile'),
    (dict(rotate_older_than_days=0, rotate_users=['u']), 'rotate_older_than_days must be 1 or more'),
    (dict(delete_after_days=-1, operation='retire'), 'delete_after_days must be 0 or more'),
])
def test_lifecycle_options_are_checked_before_any_call(params, message):
    with pytest.raises(ValidationError) as err:
        options(['u'], **params)
    assert message in str(err.value)


def test_secret_of_a_created_key_is_the_one_deployed(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'OLD', create_date=OLD)
    new = rotate(api, fake, deploy(fake, 'u', 'OLD', ['h1']))['access_keys']['u']
    assert new['access_key_secret'] == secret_of(fake, 'u', new['access_key_id'])
