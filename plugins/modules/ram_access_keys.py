#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ram_access_keys
short_description: Reconcile one usable AccessKey per RAM user with the keys hosts already hold
version_added: 1.0.0
description:
  - For each user in O(users), makes sure there is exactly one AccessKey whose secret is known and that works, in one
    module invocation for any number of users, with a bounded number of parallel API calls.
  - O(held) lists the keys that hosts (or a secret store) already hold. Per user, the newest held key that RAM lists as
    V(Active), and that is not older than O(max_age_days) when set, is kept. When its held copies disagree (two
    secrets for one id), one of them must pass STS C(GetCallerIdentity) as that RAM user (with O(verify=true)); copies
    whose secret does not verify are not used, and the next held key is tried. Copies that agree are trusted without a
    call signed with the key, unless O(prove_held_keys=true).
  - Otherwise one key is created for the user (once per user per invocation, a lost C(CreateAccessKey) response never
    leaves an extra key). At the limit of 2 keys per user, O(on_limit) decides; an active key is never deleted.
  - A user whose only active key is held by no host (its secret cannot be recovered) gets a new key, and the unheld
    key is reported in RV(access_keys.orphan_access_key_ids) and in a warning.
  - An Alibaba Cloud account root key found among the held keys (with O(verify=true)) fails the whole task before any
    key is created or deleted; the module never deploys a root key.
  - Every user is read and every held copy verified first, without any write. If that fails for any user, nothing is
    created or deleted for any user. Keys are created only afterwards.
  - When every user already holds an active, young enough key whose copies agree, the task makes no write call and, per
    user, exactly one C(ListAccessKeys) call. No call is signed with a held key, so RAM's last-use date of the key
    (C(GetAccessKeyLastUsed)) keeps showing what the applications did, not the last run of this module.
  - O(operation=retire) and O(operation=revoke) are the later steps of a key's life (see O(operation)).
  - With O(secret_store), the action plugin of the same name keeps the secrets of the created keys in an encrypted store
    on the controller, or in KMS Secrets Manager (O(secret_store.backend=kms), for runs on several nodes), and adds the
    store's copies to O(held).
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  users:
    description:
      - Names of the RAM users that each need one usable AccessKey. The users must exist (see M(aliyun.ram.ram_users));
        a missing user fails with C(EntityNotExist.User) naming it.
    type: list
    elements: str
    required: true
  held:
    description:
      - The keys that hosts hold, possibly several per user, possibly the same key several times (one entry per copy).
      - Held secrets are never returned; RV(access_keys.held_index) points at the entry whose secret to use.
    type: list
    elements: dict
    default: []
    suboptions:
      user_name:
        description:
          - The RAM user the key is held for.
        type: str
        required: true
      access_key_id:
        description:
          - ID of the held key.
        type: str
        required: true
      access_key_secret:
        description:
          - The held secret. A copy without a secret can not be kept (nothing could be deployed from it), but still
            counts as holding the key.
        type: str
      host:
        description:
          - Where the copy is held, reported in RV(access_keys.holders) and in messages.
        type: str
  compromised_access_keys:
    description:
      - Keys to treat as compromised, besides those recorded in their users' C(Comments) by
        M(aliyun.ram.ram_access_key_compromised). Such a key is never kept, deployed, reactivated or deleted.
      - With O(secret_store), the keys the store records as compromised (see
        O(aliyun.ram.secret_store#module:compromised_access_keys)) are added here.
    type: list
    elements: dict
    default: []
    version_added: 1.0.0
    suboptions:
      user_name:
        description: The RAM user the key belongs to.
        type: str
        required: true
      access_key_id:
        description: The AccessKey ID.
        type: str
        required: true
  max_age_days:
    description:
      - Replace a held key older than this many days with a new one (the old key is left as it is; see
        RV(access_keys.rotated_from)).
    type: int
  on_limit:
    description:
      - What to do when a user needs a new key and already has 2 (inactive keys count).
      - V(fail) fails, listing the user's keys.
      - V(delete_inactive) deletes the oldest V(Inactive) keys to make room, keys that no host holds first. Active keys are
        never deleted; if only active keys are in the way, the task fails.
    type: str
    choices: [fail, delete_inactive]
    default: fail
  verify:
    description:
      - Prove keys with STS C(GetCallerIdentity) signed with the key itself when it matters - the identity must be the
        RAM user the key is for. Proven are a key created in this run (a few seconds of propagation delay are
        tolerated), a held key whose copies disagree, with O(operation=retire) the key the hosts now hold, and held
        ids that RAM does not list for the user, which detects account root keys among the held keys and refuses them.
      - V(false) makes no call signed with a held or created key at all.
    type: bool
    default: true
  prove_held_keys:
    description:
      - Also prove, on every run, a held key whose copies all carry the same secret (with O(verify=true)).
      - Off by default because each proof is a call signed with the key, which RAM records as the key's last use
        (C(GetAccessKeyLastUsed)); an unused key held by hosts would then never look unused.
    type: bool
    default: false
  parallelism:
    description:
      - How many users are handled at the same time (parallel API calls), 1-32.
    type: int
    default: 8
  operation:
    description:
      - V(reconcile) ensures one usable key per user, as described above.
      - V(retire) is the last step of a rotation, run once the new key is on every host and O(held) lists what the
        hosts hold now. Per user, the kept key is the newest V(Active) key that a host holds (proven with STS when
        O(verify=true)); no key is created. Older V(Active) keys that no O(held) entry holds are deactivated (held
        ones stay V(Active) and are reported), keys newer than the kept key are never touched, and V(Inactive) keys
        that nothing holds are deleted when their grace period is over (O(delete_after_days)).
      - V(revoke) deletes every key of each user except the keys that O(held) lists, which are reported as still in use
        elsewhere (pass only the keys of hosts outside the run; pass none to delete every key). A missing user is not
        an error.
    type: str
    choices: [reconcile, retire, revoke]
    default: reconcile
  rotate_users:
    description:
      - With O(operation=reconcile), the users (from O(users)) whose held key is replaced by a new one in this run, as if
        it were too old. The old key is left as it is, for O(operation=retire) to deactivate once the new key is
        deployed.
      - Safe to repeat after a failure at any step. A user with two V(Active) keys of which a held one is the newer is
        in the middle of a rotation, which is finished (the newer key kept), not started again. A user that still
        has an V(Inactive) key, left by an earlier rotation for rollback, is not rotated again until that key is
        deleted (unless O(rotate_older_than_days) is set).
      - RV(access_keys.rotation) tells what was decided for each of these users.
    type: list
    elements: str
    default: []
  rotate_older_than_days:
    description:
      - With O(rotate_users), rotate a user only when its newest held V(Active) key is older than this many days.
    type: int
  delete_after_days:
    description:
      - With O(operation=retire), the grace period of deactivated keys, during which a rollback to them stays possible.
      - RAM does not record when a key was deactivated, so the grace period is counted from the creation of the kept
        key (which replaced them). V(0) deletes them right away.
      - When not set, keys are deleted by the first run after the one that deactivated them - keys found
        V(Inactive) are deleted, keys deactivated in this run are kept.
    type: int
extends_documentation_fragment:
  - aliyun.ram.auth
  - aliyun.ram.secret_store
  - aliyun.ram.attributes
  - aliyun.ram.attributes.action_group
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the
      controller.
    support: full
    details: The O(secret_store) option and the secrets of kept keys (RV(access_keys.access_key_secret)) are handled by
      the action plugin on the controller.
  check_mode:
    support: full
    details:
      - Never creates, deactivates or deletes a key. A user that would get a new key has RV(access_keys.created=true)
        and RV(access_keys.access_key_id=null); keys that would be deactivated or deleted are reported as if they
        were. STS verification of held keys still runs (it is read-only).
  diff_mode:
    support: none
notes:
  - Register the result with C(no_log) set to V(true) - the secret of every key created in this run is returned.
  - Ansible hides the values of C(no_log) options in a module's output, so the module cannot return a held secret; the
    action plugin puts it back into RV(access_keys.access_key_secret) from the O(held) entry that
    RV(access_keys.held_index) names (or from the O(secret_store)), so the key to deploy is always
    RV(access_keys.access_key_secret).
seealso:
  - module: aliyun.ram.ram_users
  - module: aliyun.ram.ram_access_key
  - module: aliyun.ram.sts_caller_info
'''

EXAMPLES = r'''
- name: One usable key per user, reusing what the hosts hold; new secrets are kept in a vault-encrypted store
  aliyun.ram.ram_access_keys:
    users: [app-web, app-worker]
    secret_store:
      path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
    held: "{{ keys_read_from_hosts }}"
    max_age_days: 90
    on_limit: delete_inactive
  delegate_to: localhost
  run_once: true
  no_log: true
  register: reconciled

- name: Say which users got a new key
  ansible.builtin.debug:
    msg: >-
      {{ reconciled.access_keys | dict2items | selectattr('value.created') | map(attribute='key') | list }}
      ({{ reconciled.created_count }} new)

- name: The secret to deploy for app-web - created in this run, held by a host or kept in the store
  ansible.builtin.set_fact:
    app_web_secret: "{{ reconciled.access_keys['app-web'].access_key_secret }}"
  no_log: true

- name: Rotate app-web now (a new key; the old one stays Active until the new one is deployed)
  aliyun.ram.ram_access_keys:
    users: [app-web]
    held: "{{ keys_read_from_hosts }}"
    rotate_users: [app-web]
    on_limit: delete_inactive
  delegate_to: localhost
  run_once: true
  no_log: true
  register: rotated

- name: Once every host has the new key, deactivate the old one; delete deactivated keys after a week
  aliyun.ram.ram_access_keys:
    users: [app-web]
    held: "{{ keys_read_back_from_hosts }}"
    operation: retire
    delete_after_days: 7
  delegate_to: localhost
  run_once: true
  no_log: true

- name: Revoke - delete every key of app-worker (no host outside this run holds one)
  aliyun.ram.ram_access_keys:
    users: [app-worker]
    operation: revoke
  delegate_to: localhost
  run_once: true

- name: The same across AWX job slices on separate nodes, through KMS Secrets Manager (one key per user over all slices)
  aliyun.ram.ram_access_keys:
    users: [app-web]
    held: "{{ keys_read_back_from_hosts }}"
    secret_store:
      backend: kms
      name_prefix: aliyun-ram/
  delegate_to: localhost
  run_once: true
  no_log: true
  register: reconciled
'''

RETURN = r'''
access_keys:
  description: The key to use for each user in O(users), by user name.
  returned: success, and on a failure while creating keys (the keys of the users that did not fail)
  type: dict
  contains:
    access_key_id:
      description: ID of the key to use; V(null) for a key that would be created (check mode) or that failed.
      type: str
      sample: LTAI5tExampleKeyId00000
    access_key_secret:
      description:
        - The secret of the key to use - created in this run, or (put back by the action plugin) the secret of the
          O(held) entry that RV(access_keys.held_index) names or of the O(secret_store).
      type: str
    created:
      description: Whether the key was created in this run (would be, in check mode).
      type: bool
    status:
      description: Status of the key (V(Active)).
      type: str
      sample: Active
    create_date:
      description: Creation time of the key (UTC); V(null) in check mode for a key that would be created.
      type: str
      sample: "2026-01-23T12:33:18Z"
    held_index:
      description:
        - Index in O(held) of the entry whose secret to use (with O(verify=true) one that verified, otherwise the first
          entry with a secret); V(null) when the key was created.
      type: int
      sample: 0
    holders:
      description: The hosts (O(held[].host)) that hold the kept key.
      type: list
      elements: str
      sample: [web1, web2]
    rotated_from:
      description: The held key that was too old (O(max_age_days)) and is replaced by the new key; it is left as it is.
      type: str
    deleted_access_key_ids:
      description: Inactive keys deleted (would be, in check mode) to make room for the new key (O(on_limit)).
      type: list
      elements: str
    orphan_access_key_ids:
      description: Active keys of the user that no host holds (besides the kept key).
      type: list
      elements: str
    reason:
      description: Why a key was created.
      type: str
      sample: the held key(s) LTAI5tExampleKeyId00000 no longer exist
    identity:
      description: Who STS says the key is (with O(verify=true)).
      type: dict
      contains:
        identity_type:
          description: V(RAMUser).
          type: str
        arn:
          description: ARN of the RAM user.
          type: str
          sample: acs:ram::123456789012****:user/app-web
    error:
      description: Why creating this user's key failed (only on failure).
      type: dict
    rotation:
      description: For a user in O(rotate_users), what was decided and why.
      returned: with O(rotate_users)
      type: dict
      contains:
        decision:
          description:
            - V(rotate) (a new key replaces the held one), V(resume) (a rotation under way is finished),
              V(recently_rotated) (an Inactive key of an earlier rotation is still there), V(too_young)
              (O(rotate_older_than_days)), or V(no_held_key) (nothing held, so a key is created as with provisioning).
          type: str
          sample: rotate
        message:
          description: The reason, in words.
          type: str
    deactivated_access_key_ids:
      description: With O(operation=retire), the older keys that were deactivated (would be, in check mode).
      returned: with O(operation=retire)
      type: list
      elements: str
    still_held_access_key_ids:
      description: With O(operation=retire), older keys left as they are because a host in O(held) still holds them.
      returned: with O(operation=retire)
      type: list
      elements: str
    pending_access_key_ids:
      description: With O(operation=retire), Inactive keys kept until their grace period is over (O(delete_after_days)).
      returned: with O(operation=retire)
      type: list
      elements: str
    newer_access_key_ids:
      description: With O(operation=retire), Active keys newer than the kept key; never touched.
      returned: with O(operation=retire)
      type: list
      elements: str
    kept_access_key_ids:
      description: With O(operation=revoke), keys not deleted because O(held) lists them (in use elsewhere).
      returned: with O(operation=revoke)
      type: list
      elements: str
    user_exists:
      description: With O(operation=revoke), whether the user exists.
      returned: with O(operation=revoke)
      type: bool
created_count:
  description: How many keys were created (would be, in check mode).
  returned: with O(operation=reconcile)
  type: int
  sample: 1
deactivated_count:
  description: How many keys were deactivated (would be, in check mode).
  returned: with O(operation=retire) or O(operation=revoke)
  type: int
  sample: 1
deleted_count:
  description: How many keys were deleted (would be, in check mode).
  returned: with O(operation=retire) or O(operation=revoke)
  type: int
  sample: 1
errors:
  description: Per failed user, the failed call (C(code), C(status), C(request_id), C(action), C(message)).
  returned: on failure of one or more users
  type: dict
secret_store:
  description:
    - What the action plugin changed in the O(secret_store) (would change, in check mode), as the RV(aliyun.ram.secret_store#module:secret_store)
      result of M(aliyun.ram.secret_store) - the keys created by this task are added, the keys it deleted removed.
  returned: with O(secret_store)
  type: dict
  contains:
    backend:
      description: V(kms) with O(secret_store.backend=kms).
      type: str
    orphan_access_key_ids_deleted:
      description:
        - With O(secret_store.backend=kms), the keys deleted because a run that died after claiming their user created
          them and never stored them.
      type: list
      elements: str
    claims_taken_over:
      description: With O(secret_store.backend=kms), the expired claims of other runs this task took over (user, holder, lease).
      type: list
      elements: dict
    waited_for:
      description: With O(secret_store.backend=kms), the users whose keys another run was creating, which this task waited for.
      type: list
      elements: str
root_key_refused:
  description: Set when a held key is an Alibaba Cloud account root key.
  returned: when a root key was found
  type: bool
retries:
  description: How many API requests were retried in total (throttling, transient errors, waiting for a new key).
  returned: always
  type: int
  sample: 0
error:
  description: The failed API call, when the task fails outside any single user.
  returned: on such a failure
  type: dict
'''

from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import ON_LIMIT_CHOICES
from ansible_collections.aliyun.ram.plugins.module_utils._keys.run import OPERATIONS, RECONCILE, run_ram_access_keys
from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import run_module


def main():
    run_module(
        run_ram_access_keys,
        argument_spec=dict(
            users=dict(type='list', elements='str', required=True),
            held=dict(type='list', elements='dict', default=[], options=dict(
                user_name=dict(type='str', required=True),
                access_key_id=dict(type='str', required=True, no_log=False),
                access_key_secret=dict(type='str', no_log=True),
                host=dict(type='str'),
            )),
            compromised_access_keys=dict(type='list', elements='dict', default=[], no_log=False, options=dict(
                user_name=dict(type='str', required=True),
                access_key_id=dict(type='str', required=True, no_log=False),
            )),
            max_age_days=dict(type='int'),
            on_limit=dict(type='str', default='fail', choices=list(ON_LIMIT_CHOICES)),
            verify=dict(type='bool', default=True),
            prove_held_keys=dict(type='bool', default=False),
            parallelism=dict(type='int', default=8),
            operation=dict(type='str', default=RECONCILE, choices=list(OPERATIONS)),
            rotate_users=dict(type='list', elements='str', default=[]),
            rotate_older_than_days=dict(type='int'),
            delete_after_days=dict(type='int'),
            # handled (and removed) by the action plugin; the module fails if it ever gets it
            secret_store=dict(type='dict', no_log=True),
        ),
        services=('ram', 'sts'),
        supports_check_mode=True,
    )


if __name__ == '__main__':
    main()
