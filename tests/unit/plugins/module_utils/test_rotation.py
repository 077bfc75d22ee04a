# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Key lifecycle: the pure rotation/retire/revoke planners row by row, then ram_access_keys rotate -> retired -> absent
against a fake RAM + STS, including a rotation resumed after a failure at each step."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._key_reconcile import plan_key_reconcile
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError, ValidationError
from ansible_collections.aliyun.ram.plugins.module_utils._rotation import lifecycle_keys
from ansible_collections.aliyun.ram.plugins.module_utils._rotation_plan import (
    grace_over,
    plan_retire,
    plan_revoke,
    select_rotation,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_key_reconcile import (
    NOW,
    ROOT_KEY_ID,
    ROOT_SECRET,
    holding,
    options,
    reconcile,
    secret_of,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_key_reconcile import ram  # noqa: F401 pylint: disable=unused-import
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import api_error, unavailable

OLD = '2026-01-01T00:00:00Z'        # 151 days before NOW
MID = '2026-05-01T00:00:00Z'        # 31 days
WEEK = '2026-05-25T00:00:00Z'       # 7 days
TODAY = '2026-06-01T00:00:00Z'      # 0 days


def key(key_id, status='Active', create_date=MID):
    return {'access_key_id': key_id, 'status': status, 'create_date': create_date}


# (id, keys, held ids, older_than_days, expected decision, expected replace)
SELECT_ROWS = [
    ('one held active key: rotate it', [key('A')], ['A'], None, 'rotate', ['A']),
    ('held twice (host and store): rotate once', [key('A')], ['A', 'A'], None, 'rotate', ['A']),
    ('two active, the newer held: resume', [key('O', create_date=OLD), key('N', create_date=WEEK)], ['N'], None, 'resume', []),
    ('two active, both held (half deployed): resume', [key('O', create_date=OLD), key('N', create_date=WEEK)], ['O', 'N'],
     None, 'resume', []),
    ('two active, only the older held (new secret lost): rotate, the limit decides',
     [key('O', create_date=OLD), key('N', create_date=WEEK)], ['O'], None, 'rotate', ['O']),
    ('inactive key of an earlier rotation: not again by name', [key('O', 'Inactive', OLD), key('N', create_date=WEEK)],
     ['N'], None, 'recently_rotated', []),
    ('by age, inactive key does not hold it back', [key('I', 'Inactive', OLD), key('A', create_date=OLD)], ['A'], 90,
     'rotate', ['A']),
    ('by age, young key stays', [key('A', create_date=WEEK)], ['A'], 30, 'too_young', []),
    ('by age, old key rotates', [key('A', create_date=MID)], ['A'], 30, 'rotate', ['A']),
    ('nothing held: no_held_key (provision creates one)', [key('X')], [], None, 'no_held_key', []),
    ('no key at all: no_held_key', [], [], None, 'no_held_key', []),
    ('held key inactive only: no_held_key', [key('I', 'Inactive')], ['I'], None, 'no_held_key', []),
]


@pytest.mark.parametrize('keys, held, older, decision, replace', [row[1:] for row in SELECT_ROWS],
                         ids=[row[0] for row in SELECT_ROWS])
def test_select_rotation(keys, held, older, decision, replace):
    result = select_rotation(keys, held, older, NOW)
    assert result['decision'] == decision
    assert result['replace'] == replace
    assert result['message']


def test_replaced_keys_are_rotated_by_the_reconcile_plan():
    plan = plan_key_reconcile([key('A')], ['A'], None, 'fail', NOW, replace_ids=['A'])
    assert plan['candidates'] == [] and plan['rotated_from'] == 'A'
    assert plan['create_reason'] == 'the held key A is rotated' and plan['limit_error'] is None
    # at the limit with an inactive key: make room with delete_inactive, never the active one
    plan = plan_key_reconcile([key('I', 'Inactive', OLD), key('A')], ['A'], None, 'delete_inactive', NOW, replace_ids=['A'])
    assert plan['delete'] == ['I'] and plan['limit_error'] is None
    plan = plan_key_reconcile([key('O', create_date=OLD), key('A')], ['A'], None, 'delete_inactive', NOW, replace_ids=['A'])
    assert plan['delete'] == [] and plan['limit_error']


# (id, keys, held by hosts, target, delete_after_days, expected plan subset)
RETIRE_ROWS = [
    ('rotation done: deactivate the old key, delete it on a later run',
     [key('O', create_date=OLD), key('N', create_date=TODAY)], ['N'], 'N', None,
     dict(deactivate=['O'], delete=[], pending=['O'], still_held=[], newer=[])),
    ('a host still holds the old key: left Active',
     [key('O', create_date=OLD), key('N', create_date=TODAY)], ['N', 'O'], 'N', None,
     dict(deactivate=[], delete=[], pending=[], still_held=['O'])),
    ('next run: the Inactive key goes', [key('O', 'Inactive', OLD), key('N', create_date=TODAY)], ['N'], 'N', None,
     dict(deactivate=[], delete=['O'], pending=[])),
    ('grace 7 days, new key 0 days old: both wait', [key('O', create_date=OLD), key('N', create_date=TODAY)], ['N'], 'N', 7,
     dict(deactivate=['O'], delete=[], pending=['O'])),
    ('grace 7 days, Inactive key, new key 7 days old: deleted', [key('O', 'Inactive', OLD), key('N', create_date=WEEK)],
     ['N'], 'N', 7, dict(delete=['O'], pending=[])),
    ('grace 7 days, Inactive key, new key 0 days old: pending', [key('O', 'Inactive', OLD), key('N', create_date=TODAY)],
     ['N'], 'N', 7, dict(delete=[], pending=['O'])),
    ('grace 0: deactivate and delete right away', [key('O', create_date=OLD), key('N', create_date=TODAY)], ['N'], 'N', 0,
     dict(deactivate=['O'], delete=['O'], pending=[])),
    ('a held Inactive key is never deleted', [key('O', 'Inactive', OLD), key('N', create_date=TODAY)], ['N', 'O'], 'N', 0,
     dict(delete=[], held_inactive=['O'])),
    ('a newer Active key (orphan) is never touched', [key('T', create_date=OLD), key('X', create_date=TODAY)], ['T'], 'T', 0,
     dict(deactivate=[], delete=[], newer=['X'])),
    ('rolled back: the newer Inactive key goes next run', [key('O', create_date=OLD), key('N', 'Inactive', TODAY)], ['O'], 'O',
     None, dict(deactivate=[], delete=['N'])),
    ('single key: nothing to do', [key('N')], ['N'], 'N', 0, dict(deactivate=[], delete=[], pending=[], newer=[])),
]


@pytest.mark.parametrize('keys, held, target, days, expected', [row[1:] for row in RETIRE_ROWS], ids=[row[0] for row in RETIRE_ROWS])
def test_plan_retire(keys, held, target, days, expected):
    plan = plan_retire(keys, held, target, days, NOW)
    for name, value in expected.items():
        assert plan[name] == value, name
    assert target not in plan['deactivate'] + plan['delete']


def test_planners_are_pure():
    keys = [key('O', create_date=OLD), key('N', create_date=TODAY)]
    before = copy.deepcopy(keys)
    select_rotation(keys, ['O'], None, NOW)
    plan_retire(keys, ['N'], 'N', 0, NOW)
    plan_revoke(keys, ['O'])
    assert keys == before


@pytest.mark.parametrize('created, days, over', [
    (TODAY, None, False), (TODAY, 0, True), (WEEK, 7, True), (WEEK, 8, False), (None, 0, False)])
def test_grace_over(created, days, over):
    assert grace_over(created, days, NOW) is over


REVOKE_ROWS = [
    ('every key goes', [key('A'), key('I', 'Inactive')], [], dict(delete=['A', 'I'], kept=[])),
    ('a key held elsewhere stays', [key('A', create_date=OLD), key('B')], ['A'], dict(delete=['B'], kept=['A'])),
    ('no key', [], ['A'], dict(delete=[], kept=[])),
]


@pytest.mark.parametrize('keys, held, expected', [row[1:] for row in REVOKE_ROWS], ids=[row[0] for row in REVOKE_ROWS])
def test_plan_revoke(keys, held, expected):
    plan = plan_revoke(keys, held)
    assert sorted(plan['delete']) == sorted(expected['delete']) and plan['kept'] == expected['kept']


# --- rotate -> retired -> absent against the fake ------------------------------------------------------------


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
    partial = lifecycle(api, options(['u'], half, state='retired'))
    assert partial['access_keys']['u']['still_held_access_key_ids'] == ['OLD'] and not partial['changed']
    assert statuses(fake, 'u')['OLD'] == 'Active'
    done = lifecycle(api, options(['u'], deploy(fake, 'u', new['access_key_id'], hosts), state='retired'))
    assert done['access_keys']['u']['deactivated_access_key_ids'] == ['OLD']
    assert done['access_keys']['u']['pending_access_key_ids'] == ['OLD'] and done['deleted_count'] == 0
    assert statuses(fake, 'u') == {'OLD': 'Inactive', new['access_key_id']: 'Active'}
    # the next run deletes it, and does not rotate again by name
    again = rotate(api, fake, deploy(fake, 'u', new['access_key_id'], hosts))
    assert again['access_keys']['u']['rotation']['decision'] == 'recently_rotated' and not again['changed']
    final = lifecycle(api, options(['u'], deploy(fake, 'u', new['access_key_id'], hosts), state='retired'))
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
        lifecycle(api, options(['u'], deploy(fake, 'u', new_id, ['h1']), state='retired'))
    assert failed.value.details['errors']['u']['code'] == 'ServiceUnavailable'
    fake.faults = []
    again = rotate(api, fake, deploy(fake, 'u', new_id, ['h1']))
    assert again['access_keys']['u']['rotation']['decision'] == 'resume' and not again['changed']
    done = lifecycle(api, options(['u'], deploy(fake, 'u', new_id, ['h1']), state='retired'))
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
    retire = lifecycle(api, options(['u'], deploy(fake, 'u', 'NEW', ['h1']), state='retired', delete_after_days=0), True)
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
        lifecycle(api, options(['u'], wrong, state='retired', delete_after_days=0))
    assert 'nothing is deactivated or deleted' in str(failed.value) and 'not-the-secret' not in str(failed.value)
    assert fake.writes() == []


def test_retire_refuses_a_root_key(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', ROOT_KEY_ID, create_date=TODAY)
    held = [{'user_name': 'u', 'access_key_id': ROOT_KEY_ID, 'access_key_secret': ROOT_SECRET, 'host': 'h1'}]
    with pytest.raises(ConflictError) as failed:
        lifecycle(api, options(['u'], held, state='retired'))
    assert 'root AccessKey' in str(failed.value) and ROOT_SECRET not in str(failed.value)


def test_revoke_deletes_every_key_except_those_held_elsewhere(ram):
    api, fake = ram
    fake.add_user('u')
    fake.add_key('u', 'A', create_date=OLD)
    fake.add_key('u', 'B', status='Inactive', create_date=MID)
    fake.add_user('v')
    fake.add_key('v', 'V', create_date=MID)
    elsewhere = [holding(fake, 'v', 'V', host='outside1')]
    planned = lifecycle(api, options(['u', 'v', 'gone'], elsewhere, state='absent'), check_mode=True)
    assert fake.writes() == [] and planned['deleted_count'] == 2
    result = lifecycle(api, options(['u', 'v', 'gone'], elsewhere, state='absent'))
    assert result['access_keys']['u']['deleted_access_key_ids'] == ['A', 'B'] and fake.key_ids('u') == []
    assert result['access_keys']['v']['kept_access_key_ids'] == ['V'] and result['access_keys']['v']['holders'] == {'V': ['outside1']}
    assert result['access_keys']['gone'] == {'user_exists': False, 'deleted_access_key_ids': [], 'kept_access_key_ids': [],
                                             'holders': {}}
    assert any('outside1' in warning for warning in result['warnings'])
    forced = lifecycle(api, options(['v'], [], state='absent'))
    assert forced['access_keys']['v']['deleted_access_key_ids'] == ['V'] and fake.key_ids('v') == []


def test_revoke_failure_of_one_user_still_handles_the_others(ram):
    api, fake = ram
    for name in ('u', 'v'):
        fake.add_user(name)
        fake.add_key(name, name.upper(), create_date=MID)
    fake.fail('DeleteAccessKey', lambda: api_error('NoPermission'))
    with pytest.raises(ConflictError) as failed:
        lifecycle(api, options(['u', 'v'], [], state='absent', parallelism=1))
    assert list(failed.value.details['errors']) == ['u']
    assert failed.value.details['access_keys']['v']['deleted_access_key_ids'] == ['V']


@pytest.mark.parametrize('params, message', [
    (dict(rotate_users=['other']), 'rotate_users lists other, which is not in users'),
    (dict(rotate_users=['u'], state='retired'), 'for state=present'),
    (dict(rotate_older_than_days=0, rotate_users=['u']), 'rotate_older_than_days must be 1 or more'),
    (dict(delete_after_days=-1, state='retired'), 'delete_after_days must be 0 or more'),
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
