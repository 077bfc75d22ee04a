# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every AccessKey decision (_keys.plan), row by row: the one planner under both modules' policies and under every
policy, room under the key limit, rotation, retirement, revocation and identities."""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import (
    KEEP, REPLACE, KeyPolicy, grace_over, held_active_newest_first, held_copies, holders_of, identity_is_user,
    is_root_identity, make_room, plan_keys, plan_retire, plan_revoke, reconcile_policy, select_rotation, single_key_policy,
    status_update,
)

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
OLDER = '2025-12-01T00:00:00Z'
OLD = '2026-01-01T00:00:00Z'      # 151 days before NOW
MID = '2026-05-01T00:00:00Z'      # 31 days
YOUNG = '2026-05-20T00:00:00Z'    # 12 days
NEWER = '2026-05-25T00:00:00Z'    # 7 days
TODAY = '2026-06-01T00:00:00Z'    # 0 days


def key(key_id, status='Active', create_date=YOUNG):
    return {'access_key_id': key_id, 'status': status, 'create_date': create_date}


def check(plan, expected):
    for field, value in expected.items():
        if value is True and field == 'limit_error':
            assert plan[field], (field, plan)
        else:
            assert plan[field] == value, (field, plan)
    if plan['limit_error']:
        assert not plan['create'] and plan['delete'] == []


# --- ram_access_key: single_key_policy, the caller names the key it holds (or none) ---------------------------
# (id, keys, held id, status, max_age_days, on_limit, expected plan subset)
SINGLE_ROWS = [
    ('no key: create', [], None, None, None, 'fail',
     dict(create=True, keep=None, delete=[], new_key_status='Active')),
    ('active key, none held: keep it, no secret', [key('A')], None, None, None, 'fail',
     dict(create=False, keep='A', delete=[], update_status=None)),
    ('newest active key is reported', [key('A', create_date=OLD), key('B')], None, None, None, 'fail',
     dict(create=False, keep='B')),
    ('only inactive key, none held: create', [key('I', 'Inactive')], None, None, None, 'fail',
     dict(create=True, delete=[])),
    ('two inactive, none held, fail: error', [key('I1', 'Inactive', OLD), key('I2', 'Inactive')], None, None, None, 'fail',
     dict(create=False, keep=None, limit_error=True)),
    ('two inactive, none held, delete_inactive: oldest goes', [key('I2', 'Inactive'), key('I1', 'Inactive', OLD)], None, None,
     None, 'delete_inactive', dict(create=True, delete=['I1'])),
    ('held active: kept, unchanged', [key('H'), key('X')], 'H', None, None, 'fail',
     dict(create=False, keep='H', update_status=None)),
    ('held inactive, status active: reactivated', [key('H', 'Inactive')], 'H', 'Active', None, 'fail',
     dict(create=False, keep='H', update_status={'access_key_id': 'H', 'status': 'Active'})),
    ('held active, status inactive: deactivated', [key('H')], 'H', 'Inactive', None, 'fail',
     dict(create=False, keep='H', update_status={'access_key_id': 'H', 'status': 'Inactive'})),
    ('held already in the wanted status: no update', [key('H', 'Inactive')], 'H', 'Inactive', None, 'fail',
     dict(update_status=None, create=False)),
    ('held missing: replacement', [key('A')], 'GONE', None, None, 'fail',
     dict(create=True, delete=[], keep=None, reason='the held key(s) GONE no longer exist')),
    ('held missing, two active: error even with delete_inactive', [key('A', create_date=OLD), key('B')], 'GONE', None, None,
     'delete_inactive', dict(create=False, keep=None, limit_error=True, delete=[])),
    ('held missing, active + inactive, delete_inactive', [key('A'), key('I', 'Inactive', OLD)], 'GONE', None, None,
     'delete_inactive', dict(create=True, delete=['I'])),
    ('held missing, status inactive: new key made inactive', [], 'GONE', 'Inactive', None, 'fail',
     dict(create=True, new_key_status='Inactive')),
    ('held older than max_age: rotate, old key untouched', [key('H', create_date=OLD)], 'H', None, 90, 'fail',
     dict(create=True, rotated_from='H', delete=[], update_status=None, reason='the held key H is older than 90 days')),
    ('rotation at the limit deletes the other inactive key', [key('H', create_date=OLD), key('I', 'Inactive')], 'H', None, 90,
     'delete_inactive', dict(create=True, rotated_from='H', delete=['I'])),
    ('rotation at the limit with fail: error', [key('H', create_date=OLD), key('I', 'Inactive')], 'H', None, 90, 'fail',
     dict(create=False, limit_error=True)),
    ('rotation never deletes the other active key', [key('H', create_date=OLD), key('A')], 'H', None, 90, 'delete_inactive',
     dict(create=False, limit_error=True, delete=[])),
    ('never deletes the held key to make room', [key('H', 'Inactive', OLDER), key('A', create_date=OLD)], 'H', None, 90,
     'delete_inactive', dict(create=False, limit_error=True)),
    ('held young: kept', [key('H')], 'H', None, 90, 'fail',
     dict(create=False, keep='H', rotated_from=None, reason='the held key H exists')),
    ('old held with status inactive: deactivated, no rotation', [key('H', create_date=OLD)], 'H', 'Inactive', 90, 'fail',
     dict(create=False, keep='H', update_status={'access_key_id': 'H', 'status': 'Inactive'})),
    ('legacy account with three inactive keys: two deleted', [key('I1', 'Inactive', OLDER), key('I2', 'Inactive', OLD),
                                                              key('I3', 'Inactive')], None, None, None, 'delete_inactive',
     dict(create=True, delete=['I1', 'I2'])),
]


@pytest.mark.parametrize('keys, held, status, max_age, on_limit, expected', [row[1:] for row in SINGLE_ROWS],
                         ids=[row[0] for row in SINGLE_ROWS])
def test_single_key_plan(keys, held, status, max_age, on_limit, expected):
    check(plan_keys(keys, [held] if held else [], single_key_policy(max_age, on_limit, status), NOW), expected)


def test_limit_error_lists_keys_with_status_and_age():
    plan = plan_keys([key('A', create_date=OLD), key('B', 'Inactive')], ['GONE'], single_key_policy(), NOW)
    assert 'A (Active, 151 days old)' in plan['limit_error'] and 'B (Inactive, 12 days old)' in plan['limit_error']
    assert 'on_limit=fail' in plan['limit_error']


def test_old_unheld_active_key_only_warns():
    plan = plan_keys([key('A', create_date=OLD)], [], single_key_policy(max_age_days=90), NOW)
    assert not plan['create'] and plan['keep'] == 'A'
    assert 'older than 90 days' in plan['warnings'][0]


# --- ram_access_keys: reconcile_policy, the hosts hold any number of copies ------------------------------------
# (id, keys, held ids, max_age_days, on_limit, expected plan subset)
RECONCILE_ROWS = [
    ('no key, nothing held: create', [], [], None, 'fail',
     dict(candidates=[], delete=[], limit_error=None, orphans=[], create_reason='the user has no key')),
    ('only an unheld inactive key: create', [key('I', 'Inactive')], [], None, 'fail',
     dict(candidates=[], create=True, create_reason='the user has no active key')),
    ('held active key is the candidate', [key('H')], ['H'], None, 'fail',
     dict(candidates=['H'], keep='H', orphans=[], rotated_from=None)),
    ('newest held active key first, older one next', [key('A', create_date=OLD), key('B')], ['A', 'B', 'A'], None, 'fail',
     dict(candidates=['B', 'A'])),
    ('held key gone: create', [], ['GONE'], None, 'fail',
     dict(candidates=[], stale_held=['GONE'], create_reason='the held key(s) GONE no longer exist')),
    ('held key inactive: create, no room needed', [key('I', 'Inactive')], ['I'], None, 'fail',
     dict(candidates=[], inactive_held=['I'], delete=[], limit_error=None, create_reason='the held key(s) I are Inactive')),
    ('held key too old: create, rotated_from', [key('H', create_date=OLD)], ['H'], 90, 'fail',
     dict(candidates=[], rotated_from='H', delete=[], create_reason='the held key H is older than 90 days')),
    ('too old and young held: keep the young one', [key('O', create_date=OLD), key('Y')], ['O', 'Y'], 90, 'fail',
     dict(candidates=['Y'], rotated_from='O')),
    ('orphan only: create, orphan reported', [key('X')], [], None, 'fail',
     dict(candidates=[], keep=None, create=True, orphans=['X'], delete=[], limit_error=None)),
    ('held kept, unheld active key is an orphan', [key('X', create_date=OLD), key('H')], ['H'], None, 'fail',
     dict(candidates=['H'], orphans=['X'])),
    ('two orphans at the limit: error even with delete_inactive', [key('X1', create_date=OLD), key('X2')], [], None,
     'delete_inactive', dict(candidates=[], delete=[], limit_error=True)),
    ('limit, fail: error', [key('I', 'Inactive', OLD), key('X')], [], None, 'fail',
     dict(delete=[], limit_error=True)),
    ('limit, delete_inactive: the unheld inactive key goes before an older held one',
     [key('HI', 'Inactive', OLD), key('UI', 'Inactive', YOUNG)], ['HI'], None, 'delete_inactive',
     dict(delete=['UI'], limit_error=None, inactive_held=['HI'])),
    ('limit, delete_inactive: oldest of the unheld inactive keys',
     [key('U2', 'Inactive', NEWER), key('U1', 'Inactive', OLD)], [], None, 'delete_inactive',
     dict(delete=['U1'])),
    ('limit, delete_inactive: a held inactive key goes when it is the only inactive one',
     [key('HI', 'Inactive', OLD), key('X')], ['HI'], None, 'delete_inactive',
     dict(delete=['HI'], limit_error=None, orphans=['X'])),
    ('limit with a too-old held active key and an orphan: error', [key('H', create_date=OLD), key('X')], ['H'], 90,
     'delete_inactive', dict(candidates=[], rotated_from='H', limit_error=True)),
]


@pytest.mark.parametrize('keys, held, max_age, on_limit, expected', [row[1:] for row in RECONCILE_ROWS],
                         ids=[row[0] for row in RECONCILE_ROWS])
def test_reconcile_plan(keys, held, max_age, on_limit, expected):
    check(plan_keys(keys, held, reconcile_policy(max_age, on_limit), NOW), expected)


def test_reconcile_limit_error_lists_the_keys():
    plan = plan_keys([key('A'), key('B')], [], reconcile_policy(), NOW)
    assert 'A (Active, 12 days old)' in plan['limit_error'] and 'on_limit=fail' in plan['limit_error']
    plan = plan_keys([key('A'), key('B')], [], reconcile_policy(on_limit='delete_inactive'), NOW)
    assert 'active keys are never deleted' in plan['limit_error']


def test_replaced_keys_are_rotated_by_the_plan():
    plan = plan_keys([key('A')], ['A'], reconcile_policy(), NOW, replace_ids=['A'])
    assert plan['candidates'] == [] and plan['rotated_from'] == 'A'
    assert plan['create_reason'] == 'the held key A is rotated' and plan['limit_error'] is None
    # at the limit with an inactive key: make room with delete_inactive, never the active one
    plan = plan_keys([key('I', 'Inactive', OLD), key('A')], ['A'], reconcile_policy(on_limit='delete_inactive'), NOW,
                     replace_ids=['A'])
    assert plan['delete'] == ['I'] and plan['limit_error'] is None
    plan = plan_keys([key('O', create_date=OLD), key('A')], ['A'], reconcile_policy(on_limit='delete_inactive'), NOW,
                     replace_ids=['A'])
    assert plan['delete'] == [] and plan['limit_error']


# --- the policy, explicitly: the same keys under every combination -------------------------------------------
# (id, keys, held ids, status, max_age_days, {(unheld_active, held_inactive): (keep, create, reason)})
POLICY_ROWS = [
    ('nothing held, an active key nobody holds', [key('A')], [], None, None, {
        (KEEP, KEEP): ('A', False, 'the user already has an active key (A)'),
        (KEEP, REPLACE): ('A', False, 'the user already has an active key (A)'),
        (REPLACE, KEEP): (None, True, 'no host holds the active key(s) A'),
        (REPLACE, REPLACE): (None, True, 'no host holds the active key(s) A')}),
    ('nothing held, the active key nobody holds is too old: kept only with a warning', [key('A', create_date=OLD)], [],
     None, 90, {
         (KEEP, KEEP): ('A', False, 'the user already has an active key (A)'),
         (REPLACE, REPLACE): (None, True, 'no host holds the active key(s) A')}),
    ('a held key is gone, an active key nobody holds: unheld_active does not apply', [key('A')], ['GONE'], None, None, {
        (KEEP, KEEP): (None, True, 'the held key(s) GONE no longer exist'),
        (REPLACE, REPLACE): (None, True, 'the held key(s) GONE no longer exist')}),
    ('the held key is Inactive', [key('H', 'Inactive')], ['H'], None, None, {
        (KEEP, KEEP): ('H', False, 'the held key H exists'),
        (REPLACE, KEEP): ('H', False, 'the held key H exists'),
        (KEEP, REPLACE): (None, True, 'the held key(s) H are Inactive'),
        (REPLACE, REPLACE): (None, True, 'the held key(s) H are Inactive')}),
    ('the held key is Inactive and must be Active', [key('H', 'Inactive')], ['H'], 'Active', None, {
        (KEEP, KEEP): ('H', False, 'the held key H exists'),
        (KEEP, REPLACE): (None, True, 'the held key(s) H are Inactive')}),
    ('a held Active key and one nobody holds: the held one, always', [key('A', create_date=OLD), key('H')], ['H'], None,
     None, {(KEEP, KEEP): ('H', False, 'the held key H exists'), (REPLACE, REPLACE): ('H', False, 'the held key H exists')}),
    ('no key at all', [], [], None, None, {
        (KEEP, KEEP): (None, True, 'the user has no key'), (REPLACE, REPLACE): (None, True, 'the user has no key')}),
]


@pytest.mark.parametrize('keys, held, status, max_age, outcomes', [row[1:] for row in POLICY_ROWS],
                         ids=[row[0] for row in POLICY_ROWS])
def test_policy(keys, held, status, max_age, outcomes):
    for (unheld_active, held_inactive), (keep, create, reason) in outcomes.items():
        policy = KeyPolicy(max_age, 'fail', unheld_active=unheld_active, held_inactive=held_inactive, status=status)
        plan = plan_keys(keys, held, policy, NOW)
        label = (unheld_active, held_inactive)
        assert (plan['keep'], plan['create']) == (keep, create), label
        assert plan['reason'].startswith(reason), (label, plan['reason'])
        if keep and status:
            assert plan['update_status'] == {'access_key_id': keep, 'status': status}
        if max_age and keep:
            assert 'older than 90 days' in plan['warnings'][0]


def test_the_two_modules_policies():
    single, reconcile = single_key_policy(), reconcile_policy()
    assert (single.unheld_active, single.held_inactive) == (KEEP, KEEP)
    assert (reconcile.unheld_active, reconcile.held_inactive) == (REPLACE, REPLACE)
    with pytest.raises(ValueError):
        KeyPolicy(unheld_active='ignore')


def test_plan_is_pure():
    keys = [key('H', create_date=OLD), key('I', 'Inactive'), key('A')]
    snapshot = copy.deepcopy(keys)
    for policy in (single_key_policy(90, 'delete_inactive'), reconcile_policy(90, 'delete_inactive')):
        assert plan_keys(keys, ['H'], policy, NOW) == plan_keys(keys, ['H'], policy, NOW)
    assert keys == snapshot


# --- room under the limit -------------------------------------------------------------------------------------
# (id, keys, held ids, on_limit, spare, limit, expected delete, error expected)
ROOM_ROWS = [
    ('under the limit: nothing', [key('A')], [], 'fail', (), 2, [], False),
    ('at the limit, fail', [key('A'), key('I', 'Inactive')], [], 'fail', (), 2, [], True),
    ('at the limit, an inactive key goes', [key('A'), key('I', 'Inactive')], [], 'delete_inactive', (), 2, ['I'], False),
    ('unheld inactive keys before held ones', [key('H', 'Inactive', OLD), key('U', 'Inactive')], ['H'], 'delete_inactive',
     (), 2, ['U'], False),
    ('the spared key never goes', [key('S', 'Inactive', OLD), key('A')], [], 'delete_inactive', ['S'], 2, [], True),
    ('two over the limit: the two oldest inactive keys', [key('I3', 'Inactive', NEWER), key('I1', 'Inactive', OLD),
                                                          key('I2', 'Inactive', MID)], [], 'delete_inactive', (), 2,
     ['I1', 'I2'], False),
]


@pytest.mark.parametrize('keys, held, on_limit, spare, limit, delete, error', [row[1:] for row in ROOM_ROWS],
                         ids=[row[0] for row in ROOM_ROWS])
def test_make_room(keys, held, on_limit, spare, limit, delete, error):
    deleted, message = make_room(keys, held, on_limit, NOW, limit=limit, spare=spare)
    assert deleted == delete and bool(message) is error


def test_make_room_names_the_spared_key():
    dummy, message = make_room([key('S', 'Inactive', OLD), key('A')], [], 'delete_inactive', NOW, spare=['S'])
    assert 'no inactive key to delete' in message and 'nor the held key S' in message


# --- held copies, statuses, identities ------------------------------------------------------------------------

def test_held_copies_one_per_distinct_secret_and_holders():
    held = [
        {'user_name': 'u', 'access_key_id': 'K', 'access_key_secret': 's1', 'host': 'h1'},
        {'user_name': 'u', 'access_key_id': 'K', 'access_key_secret': 's1', 'host': 'h2'},
        {'user_name': 'v', 'access_key_id': 'K', 'access_key_secret': 's3', 'host': 'h4'},
        {'user_name': 'u', 'access_key_id': 'K', 'access_key_secret': None, 'host': 'h5'},
        {'user_name': 'u', 'access_key_id': 'K', 'access_key_secret': 's2', 'host': 'h3'},
    ]
    assert held_copies(held, 'u', 'K') == [(0, 's1'), (4, 's2')]
    assert holders_of(held, 'u', 'K') == ['h1', 'h2', 'h5', 'h3']


def test_held_active_newest_first():
    keys = [key('N', create_date=NEWER), key('O', create_date=OLD), key('I', 'Inactive', TODAY), key('U')]
    assert held_active_newest_first(keys, ['O', 'I', 'N', 'GONE']) == ['N', 'O']


@pytest.mark.parametrize('current, wanted, update', [
    ('Active', None, None), ('Active', 'Active', None), ('Active', 'Inactive', 'Inactive'), ('Inactive', 'Active', 'Active')])
def test_status_update(current, wanted, update):
    change = status_update(key('K', current), wanted)
    assert change == ({'access_key_id': 'K', 'status': update} if update else None)


@pytest.mark.parametrize('identity, root, is_alice', [
    ({'identity_type': 'Account', 'arn': 'acs:ram::1:root', 'user_id': '1'}, True, False),
    ({'identity_type': None, 'arn': 'acs:ram::1:root', 'user_id': None}, True, False),
    ({'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/alice', 'user_id': '2001'}, False, True),
    # the service may spell the name in another case: the id decides, not the ARN
    ({'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/ALICE', 'user_id': '2001'}, False, True),
    ({'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/alice', 'user_id': '2002'}, False, False),
    ({'identity_type': 'RAMUser', 'arn': 'acs:ram::1:user/malice', 'user_id': '2003'}, False, False),
    ({'identity_type': 'AssumedRoleUser', 'arn': 'acs:ram::1:assumed-role/alice', 'user_id': None}, False, False),
    ({'identity_type': None, 'arn': None, 'user_id': None}, False, False),
])
def test_identities(identity, root, is_alice):
    """alice's UserId is 2001. Fails if identities are compared by the name in the ARN (the ALICE and the 2002 rows)."""
    assert is_root_identity(identity) is root
    assert identity_is_user(identity, '2001') is is_alice
    assert identity_is_user(identity, None) is False


# --- rotation, retirement, revocation -------------------------------------------------------------------------
# (id, keys, held ids, older_than_days, expected decision, expected replace)
SELECT_ROWS = [
    ('one held active key: rotate it', [key('A', create_date=MID)], ['A'], None, 'rotate', ['A']),
    ('held twice (host and store): rotate once', [key('A', create_date=MID)], ['A', 'A'], None, 'rotate', ['A']),
    ('two active, the newer held: resume', [key('O', create_date=OLD), key('N', create_date=NEWER)], ['N'], None, 'resume', []),
    ('two active, both held (half deployed): resume', [key('O', create_date=OLD), key('N', create_date=NEWER)], ['O', 'N'],
     None, 'resume', []),
    ('two active, only the older held (new secret lost): rotate, the limit decides',
     [key('O', create_date=OLD), key('N', create_date=NEWER)], ['O'], None, 'rotate', ['O']),
    ('inactive key of an earlier rotation: not again by name', [key('O', 'Inactive', OLD), key('N', create_date=NEWER)],
     ['N'], None, 'recently_rotated', []),
    ('by age, inactive key does not hold it back', [key('I', 'Inactive', OLD), key('A', create_date=OLD)], ['A'], 90,
     'rotate', ['A']),
    ('by age, young key stays', [key('A', create_date=NEWER)], ['A'], 30, 'too_young', []),
    ('by age, old key rotates', [key('A', create_date=MID)], ['A'], 30, 'rotate', ['A']),
    ('nothing held: no_held_key (provision creates one)', [key('X', create_date=MID)], [], None, 'no_held_key', []),
    ('no key at all: no_held_key', [], [], None, 'no_held_key', []),
    ('held key inactive only: no_held_key', [key('I', 'Inactive', MID)], ['I'], None, 'no_held_key', []),
]


@pytest.mark.parametrize('keys, held, older, decision, replace', [row[1:] for row in SELECT_ROWS],
                         ids=[row[0] for row in SELECT_ROWS])
def test_select_rotation(keys, held, older, decision, replace):
    result = select_rotation(keys, held, older, NOW)
    assert result['decision'] == decision
    assert result['replace'] == replace
    assert result['message']


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
    ('grace 7 days, Inactive key, new key 7 days old: deleted', [key('O', 'Inactive', OLD), key('N', create_date=NEWER)],
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
    ('single key: nothing to do', [key('N', create_date=MID)], ['N'], 'N', 0, dict(deactivate=[], delete=[], pending=[], newer=[])),
]


@pytest.mark.parametrize('keys, held, target, days, expected', [row[1:] for row in RETIRE_ROWS], ids=[row[0] for row in RETIRE_ROWS])
def test_plan_retire(keys, held, target, days, expected):
    plan = plan_retire(keys, held, target, days, NOW)
    for name, value in expected.items():
        assert plan[name] == value, name
    assert target not in plan['deactivate'] + plan['delete']


def test_lifecycle_planners_are_pure():
    keys = [key('O', create_date=OLD), key('N', create_date=TODAY)]
    before = copy.deepcopy(keys)
    select_rotation(keys, ['O'], None, NOW)
    plan_retire(keys, ['N'], 'N', 0, NOW)
    plan_revoke(keys, ['O'])
    assert keys == before


@pytest.mark.parametrize('created, days, over', [
    (TODAY, None, False), (TODAY, 0, True), (NEWER, 7, True), (NEWER, 8, False), (None, 0, False)])
def test_grace_over(created, days, over):
    assert grace_over(created, days, NOW) is over


REVOKE_ROWS = [
    ('every key goes', [key('A', create_date=MID), key('I', 'Inactive', MID)], [], dict(delete=['A', 'I'], kept=[])),
    ('a key held elsewhere stays', [key('A', create_date=OLD), key('B', create_date=MID)], ['A'], dict(delete=['B'], kept=['A'])),
    ('no key', [], ['A'], dict(delete=[], kept=[])),
]


@pytest.mark.parametrize('keys, held, expected', [row[1:] for row in REVOKE_ROWS], ids=[row[0] for row in REVOKE_ROWS])
def test_plan_revoke(keys, held, expected):
    plan = plan_revoke(keys, held)
    assert sorted(plan['delete']) == sorted(expected['delete']) and plan['kept'] == expected['kept']
