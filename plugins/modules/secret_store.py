# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: secret_store
short_description: Open, list and maintain the store of AccessKey secrets (an ansible-vault file or KMS)
version_added: 1.0.0
description:
  - Maintenance of the secret store that M(aliyun.ram.ram_access_keys) keeps with its
    O(aliyun.ram.ram_access_keys#module:secret_store) option. There, under the store's lock, the store's copies of the
    users' keys are added to the held keys, every key the module creates is written to the store before the task
    returns, and keys it deletes are removed.
  - With O(secret_store.backend=kms) the store is KMS Secrets Manager; entries are read by user name (see O(users)),
    with the credentials of the environment (the C(ALIBABA_CLOUD_*) variables, a profile, the default chain).
  - This action opens the same store with the same O(secret_store) options (required here) and the same lock, to fail
    early (no vault secret, a wrong one, a file that is not a store), to list what it holds, to import keys made
    elsewhere (O(access_keys)), to forget keys or users (O(remove_access_key_ids), O(remove_users)), and to record
    leaked keys as compromised (O(compromised_access_keys)).
  - Deactivated keys stay in the store until they are deleted, so a rollback to them stays possible during their grace
    period.
  - This is an action plugin; it runs on the controller.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  access_keys:
    description:
      - Keys to put into the store (for example to import keys made elsewhere); an entry with the same user and key
        ID is replaced.
    type: list
    elements: dict
    default: []
    suboptions:
      user_name:
        description: The RAM user.
        type: str
        required: true
      access_key_id:
        description: The AccessKey ID.
        type: str
        required: true
      access_key_secret:
        description: The AccessKey secret.
        type: str
        required: true
      create_date:
        description: When the key was created (UTC, as RAM reports it).
        type: str
  compromised_access_keys:
    description:
      - Keys to record as compromised (C(playbooks/respond.yml) does, when a store is configured). The store drops its
        copy of each key, secret and all, keeps only the record (user, key ID, when), and never takes the key again
        (O(access_keys) with it fails). M(aliyun.ram.ram_access_keys) with this store treats the keys as compromised,
        as it does with the record in their users' C(Comments). They are never kept, deployed, reactivated or deleted.
      - With O(secret_store.backend=vault_file) the records are a list in the store file; with
        O(secret_store.backend=kms) one secret per user, C(<name_prefix>compromised/<user>), lists the key IDs (it
        holds no AccessKey secret).
      - Recording a key that is already recorded changes nothing.
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
  remove_access_key_ids:
    description: Keys to remove from the store.
    type: list
    elements: str
    default: []
  remove_users:
    description: Users whose keys are all removed from the store.
    type: list
    elements: str
    default: []
  users:
    description:
      - The users whose entries RV(stored) lists, with either backend (so that a play reads the keys of its users the
        same way from both).
      - With O(secret_store.backend=vault_file), an empty list lists every entry.
      - With O(secret_store.backend=kms), which reads entries by user name, RV(stored) lists the entries of these users
        and of O(access_keys), and O(remove_access_key_ids) is matched against the entries of these users.
    type: list
    elements: str
    default: []
  return_secrets:
    description: Also return the secrets in RV(stored).
    type: bool
    default: false
extends_documentation_fragment:
  - aliyun.ram.secret_store
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The store is not written; RV(secret_store) reports what would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
    details: The store is always on the controller.
notes:
  - To keep secrets in HashiCorp Vault KV instead, see the R(aliyun.ram.provision,ansible_collections.aliyun.ram.provision_role)
    role's documentation - the store is a file so that it needs nothing beyond ansible-core.
seealso:
  - module: aliyun.ram.ram_access_keys
  - name: Ansible Vault
    description: Encrypting content with Ansible Vault.
    link: https://docs.ansible.com/ansible/latest/vault_guide/index.html
'''

EXAMPLES = r'''
- name: Open the store before any change (fails without a vault secret or with a wrong one), and list it (no secrets)
  aliyun.ram.secret_store:
    secret_store:
      path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
  delegate_to: localhost
  run_once: true
  register: store

- name: One usable key per user; new keys go to the same store before any host gets them
  aliyun.ram.ram_access_keys:
    users: [app-web]
    held: "{{ keys_read_from_hosts }}"
    secret_store:
      path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
  delegate_to: localhost
  run_once: true
  no_log: true
  register: reconciled

- name: With the KMS backend, list the stored keys of two users (ids only; credentials from the environment)
  aliyun.ram.secret_store:
    secret_store:
      backend: kms
      name_prefix: aliyun-ram/
    users: [app-web, app-batch]
  delegate_to: localhost
  run_once: true
  register: kms_store

- name: Record a leaked key as compromised (its copy leaves the store, which never takes it again)
  aliyun.ram.secret_store:
    secret_store:
      path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
    compromised_access_keys:
      - user_name: app-web
        access_key_id: LTAI5tExampleLeakedKey01
  delegate_to: localhost
  run_once: true

- name: Forget the keys of a deleted user
  aliyun.ram.secret_store:
    secret_store:
      path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
    remove_users: [app-old]
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
secret_store:
  description: What changed in the store (would change, in check mode).
  returned: success
  type: dict
  contains:
    path:
      description: The store file (O(secret_store.backend=vault_file)).
      type: str
    backend:
      description: V(kms) with O(secret_store.backend=kms).
      type: str
    added_access_key_ids:
      description: Keys written to the store.
      type: list
      elements: str
    removed_access_key_ids:
      description: Keys removed from the store.
      type: list
      elements: str
    compromised_access_key_ids:
      description: Keys newly recorded as compromised (O(compromised_access_keys)).
      type: list
      elements: str
      version_added: 1.0.0
    changed:
      description: Whether the store changed.
      type: bool
stored:
  description: The store's keys after the operation; secrets only with O(return_secrets=true).
  returned: success
  type: list
  elements: dict
  contains:
    user_name:
      description: The RAM user.
      type: str
    access_key_id:
      description: The AccessKey ID.
      type: str
    create_date:
      description: When the key was created.
      type: str
    access_key_secret:
      description: The secret (only with O(return_secrets=true)).
      type: str
compromised:
  description:
    - The keys the store records as compromised (of O(users) and the users named in the task with
      O(secret_store.backend=kms); all of them with O(secret_store.backend=vault_file) and no O(users)).
  returned: success
  type: list
  elements: dict
  version_added: 1.0.0
  contains:
    user_name:
      description: The RAM user.
      type: str
    access_key_id:
      description: The AccessKey ID.
      type: str
'''
