# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys recorded as compromised (playbooks/respond.yml): the record in the user's Comments, and provision, rotate and
retire never keeping, reactivating or deleting them."""

from __future__ import annotations

import pytest

from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import reconcile_keys, retire_user
from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import (
    COMMENTS_LIMIT, compromised_ids, mark_compromised, plan_keys, plan_retire, reconcile_policy, refuse_compromised,
    single_key_policy,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_plan import NEWER, NOW, OLD, YOUNG, key
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_keys_reconcile import (
    KeyAwareFakeRam, holding, options,
)
from ansible_collections.aliyun.ram.tests.unit.plugins.module_utils.test_ram_fake_api import make_api

LEAKED = 'LTAI5tLeakedKey000000000'
OTHER = 'LTAI5tOtherKey0000000000'


@pytest.mark.parametrize('comments, expected', [
    (None, []),
    ('', []),
    ('the web tier', []),
    ('[compromised AccessKey: %s]' % LEAKED, [LEAKED]),
    ('[compromised AccessKeys: %s, %s] the web tier' % (LEAKED, OTHER), [LEAKED, OTHER]),
    # only a record at the start counts: a person's text that mentions the words is not a record
    ('see [compromised AccessKey: %s]' % LEAKED, []),
])
def test_compromised_ids_reads_the_record_at_the_start_of_the_comments(comments, expected):
    assert compromised_ids(comments) == expected


def test_mark_compromised_puts_the_record_first_and_keeps_the_text():
    comments, error = mark_compromised('the web tier', LEAKED)
    assert error is None and comments == '[compromised AccessKey: %s] the web tier' % LEAKED
    comments, error = mark_compromised(comments, OTHER)
    assert error is None and comments == '[compromised AccessKeys: %s, %s] the web tier' % (LEAKED, OTHER)
    assert compromised_ids(comments) == [LEAKED, OTHER]


def test_mark_compromised_twice_changes_nothing():
    comments, dummy = mark_compromised(None, LEAKED)
    assert comments == '[compromised AccessKey: %s]' % LEAKED
    assert mark_compromised(comments, LEAKED) == (None, None)


def test_mark_compromised_shortens_the_text_to_fit_ram_limit_never_the_record():
    comments, error = mark_compromised('x' * COMMENTS_LIMIT, LEAKED)
    assert error is None and len(comments) == COMMENTS_LIMIT
    assert compromised_ids(comments) == [LEAKED] and comments.endswith('x...')


def test_mark_compromised_refuses_when_the_record_itself_does_not_fit():
    ids = ['LTAI5t%018d' % number for number in range(5)]
    comments = None
    for key_id in ids[:4]:
        comments, error = mark_compromised(comments, key_id)
        assert error is None
    assert mark_compromised(comments, ids[4])[0] is None
    assert 'do not fit in the 128 characters' in mark_compromised(comments, ids[4])[1]


def test_refuse_compromised_names_the_held_key():
    assert refuse_compromised('app', [OTHER], [LEAKED]) is None
    message = refuse_compromised('app', [LEAKED, OTHER, LEAKED], [LEAKED])
    assert LEAKED in message and OTHER not in message and 'user app' in message and 'never kept' in message


def test_plan_keys_never_keeps_a_held_compromised_key():
    plan = plan_keys([key(LEAKED)], [LEAKED], reconcile_policy(), NOW, compromised=[LEAKED])
    assert plan['keep'] is None and plan['create'] and plan['candidates'] == []
    assert plan['create_reason'] == 'the held key(s) %s are recorded as compromised' % LEAKED
    assert plan['compromised_held'] == [LEAKED]
    # without the record the same key is kept
    assert plan_keys([key(LEAKED)], [LEAKED], reconcile_policy(), NOW)['keep'] == LEAKED


def test_plan_keys_keeps_the_replacement_when_hosts_hold_both():
    plan = plan_keys([key(LEAKED, 'Inactive', OLD), key(OTHER, create_date=NEWER)], [LEAKED, OTHER], reconcile_policy(),
                     NOW, compromised=[LEAKED])
    assert plan['keep'] == OTHER and not plan['create'] and plan['update_status'] is None


def test_plan_keys_never_reactivates_a_compromised_key_for_a_single_key_owner():
    plan = plan_keys([key(LEAKED, 'Inactive')], [LEAKED], single_key_policy(status='Active'), NOW, compromised=[LEAKED])
    assert plan['keep'] is None and plan['update_status'] is None and plan['create']


def test_plan_keys_never_deletes_a_compromised_key_to_make_room():
    keys = [key(LEAKED, 'Inactive', OLD), key(OTHER, 'Inactive', YOUNG)]
    plan = plan_keys(keys, [], reconcile_policy(on_limit='delete_inactive'), NOW, compromised=[LEAKED])
    assert plan['delete'] == [OTHER]
    plan = plan_keys([key(LEAKED, 'Inactive', OLD), key(OTHER, create_date=YOUNG)], [LEAKED],
                     reconcile_policy(on_limit='delete_inactive'), NOW, compromised=[LEAKED])
    assert plan['delete'] == [] and plan['limit_error'] and plan['keep'] is None


def test_plan_retire_deactivates_but_never_deletes_a_compromised_key():
    keys = [key(LEAKED, 'Active', OLD), key(OTHER, create_date=NEWER)]
    plan = plan_retire(keys, [OTHER], OTHER, 0, NOW, compromised=[LEAKED])
    assert plan['deactivate'] == [LEAKED] and plan['delete'] == [] and plan['kept_compromised'] == [LEAKED]
    keys = [key(LEAKED, 'Inactive', OLD), key(OTHER, create_date=NEWER)]
    assert plan_retire(keys, [OTHER], OTHER, None, NOW, compromised=[LEAKED])['delete'] == []
    # the same keys without the record: the Inactive key goes
    assert plan_retire(keys, [OTHER], OTHER, None, NOW)['delete'] == [LEAKED]


def _fake_with_leaked_key(status='Active'):
    fake = KeyAwareFakeRam()
    fake.add_user('app', Comments='[compromised AccessKey: %s] web' % LEAKED)
    fake.add_key('app', LEAKED, status=status, create_date=OLD)
    api, dummy = make_api(fake)
    return api, fake


def test_reconcile_replaces_a_held_compromised_key_and_says_why_naming_it():
    api, fake = _fake_with_leaked_key()
    result = reconcile_keys(api, options(['app'], [holding(fake, 'app', LEAKED)]), False, now=NOW)
    entry = result['access_keys']['app']
    assert entry['created'] and entry['access_key_id'] != LEAKED
    assert entry['reason'] == 'the held key(s) %s are recorded as compromised' % LEAKED
    assert any(LEAKED in warning and 'recorded as compromised' in warning for warning in result['warnings'])
    # the leaked key is left as it was: respond.yml deactivates it, a person deletes it
    assert [k['Status'] for k in fake.users['app']['keys'] if k['AccessKeyId'] == LEAKED] == ['Active']


def test_reconcile_refuses_a_key_the_secret_store_records_as_compromised_though_the_comments_do_not():
    fake = KeyAwareFakeRam()
    fake.add_user('app', Comments='web')
    fake.add_key('app', LEAKED, create_date=OLD)
    api, dummy = make_api(fake)
    recorded = [{'user_name': 'app', 'access_key_id': LEAKED}]
    result = reconcile_keys(api, options(['app'], [holding(fake, 'app', LEAKED)], compromised_access_keys=recorded),
                            False, now=NOW)
    entry = result['access_keys']['app']
    assert entry['created'] and entry['access_key_id'] != LEAKED
    assert entry['reason'] == 'the held key(s) %s are recorded as compromised' % LEAKED
    # the same held key without the record is kept
    again = reconcile_keys(api, options(['app'], [holding(fake, 'app', LEAKED)]), True, now=NOW)
    assert again['access_keys']['app']['access_key_id'] == LEAKED and not again['access_keys']['app']['created']


def test_retire_never_keeps_a_key_the_secret_store_records_as_compromised():
    fake = KeyAwareFakeRam()
    fake.add_user('app')
    fake.add_key('app', LEAKED, create_date=NEWER)
    fake.add_key('app', OTHER, create_date=OLD)
    api, dummy = make_api(fake)
    held = [holding(fake, 'app', LEAKED), holding(fake, 'app', OTHER)]
    retire = {'verify': True, 'delete_after_days': 0, 'compromised': {'app': [LEAKED]}}
    result, dummy = retire_user(api, held, 'app', retire, NOW, False)
    assert result['access_key_id'] == OTHER and LEAKED not in result['deleted_access_key_ids']


def test_retire_keeps_the_compromised_key_as_evidence():
    api, fake = _fake_with_leaked_key(status='Inactive')
    fake.add_key('app', OTHER, create_date=NEWER)
    held = [holding(fake, 'app', OTHER)]
    result, dummy = retire_user(api, held, 'app', {'verify': True, 'delete_after_days': 0, 'compromised': {}}, NOW, False)
    assert result['access_key_id'] == OTHER and result['deleted_access_key_ids'] == []
    assert result['compromised_access_key_ids'] == [LEAKED]
    assert LEAKED in [k['AccessKeyId'] for k in fake.users['app']['keys']]


def test_declared_comments_keep_the_compromised_record():
    from ansible_collections.aliyun.ram.plugins.module_utils._users.plan import diff_user_attributes
    current = {'comments': '[compromised AccessKey: %s] web' % LEAKED}
    assert diff_user_attributes(current, {'comments': 'web'}) == {}
    assert diff_user_attributes(current, {'comments': 'api'}) == {'comments': '[compromised AccessKey: %s] api' % LEAKED}
    assert diff_user_attributes({'comments': 'web'}, {'comments': 'api'}) == {'comments': 'api'}


def test_ram_access_key_refuses_to_keep_or_reactivate_a_compromised_key_and_may_deactivate_it():
    from ansible_collections.aliyun.ram.plugins.module_utils._keys.apply import ensure_access_key
    from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ConflictError
    api, fake = _fake_with_leaked_key(status='Inactive')
    for status in (None, 'active'):
        with pytest.raises(ConflictError) as caught:
            ensure_access_key(api, {'user_name': 'app', 'id': LEAKED, 'status': status}, False, now=NOW)
        assert LEAKED in str(caught.value) and 'recorded as compromised' in str(caught.value)
    assert fake.writes() == []
    result = ensure_access_key(api, {'user_name': 'app', 'id': LEAKED, 'status': 'inactive'}, False, now=NOW)
    assert not result['changed'] and result['access_key']['status'] == 'Inactive'
