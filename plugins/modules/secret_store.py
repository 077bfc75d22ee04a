# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: secret_store
short_description: Keep the secrets of the AccessKeys the collection created in an ansible-vault encrypted file
version_added: 1.0.0
description:
  - A controller-side store of AccessKey secrets, by RAM user, in a YAML file encrypted with ansible-vault. Alibaba Cloud
    returns a secret only when the key is created, so whatever holds it decides whether a key can be reused. With
    the store, a rebuilt host (or a new host of a shared user) gets the existing key even when no other host holds it,
    and a job that creates or rotates keys can be separate from the job that deploys them.
  - The file is read and written with the play's vault secrets (C(--vault-id), C(--vault-password-file),
    C(ANSIBLE_VAULT_PASSWORD_FILE)), never in plain text. The task fails, before any other work, when there is no
    vault secret, when the file cannot be decrypted, or when it exists and is not vault encrypted.
  - Writes are atomic (a temporary file in the same directory, mode 0600, replaces the store) and every operation
    holds an exclusive lock (C(flock) on C(<path>.lock)), so concurrent runs on one controller take turns.
  - With O(reconcile), the action runs M(aliyun.ram.ram_access_keys) itself while holding the lock. For
    C(state=present) the store's keys of the listed users are added to C(held); every key the
    module creates is written to the store before the task returns (also when the module fails for other users), so
    the secret of a new key is never only in memory; keys the module deletes are removed from the store. Two runs
    reconciling the same user at the same time therefore create at most one key.
  - Deactivated keys stay in the store until they are deleted, so a rollback to them stays possible during their grace
    period.
  - This is an action plugin; it runs on the controller. Run the task with C(delegate_to) V(localhost) when it uses
    O(reconcile), so that the module runs on the controller too.
author:
  - aliyun.ram contributors (@aliyun-ram)
options:
  path:
    description:
      - The store file on the controller. A relative path is relative to the playbook's directory. The file and its
        directory are created on the first write.
    type: path
    required: true
  vault_id:
    description:
      - The vault identity to encrypt with. Defaults to C(DEFAULT_VAULT_ENCRYPT_IDENTITY), otherwise the first vault
        secret of the run. Reading tries every vault secret of the run.
    type: str
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
  reconcile:
    description:
      - Options of M(aliyun.ram.ram_access_keys) (C(users), C(held), C(state), ...), run under the store's lock as
        described above. C(module_defaults) of C(group/aliyun.ram.ram) and of the module apply.
      - The result is the module's, with RV(access_keys.access_key_secret) set for every kept key (from the host or
        the store copy that verified), so that it can be deployed. Register it with C(no_log).
    type: dict
  return_secrets:
    description: Without O(reconcile), also return the secrets in RV(stored).
    type: bool
    default: false
  lock_timeout:
    description: Seconds to wait for another run's lock before failing.
    type: int
    default: 300
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The store is not written; O(reconcile) runs the module in check mode. RV(secret_store) reports what would change.
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
- name: One usable key per user; new keys go to the store before any host gets them
  aliyun.ram.secret_store:
    path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
    reconcile:
      users: [app-web]
      held: "{{ keys_read_from_hosts }}"
  delegate_to: localhost
  run_once: true
  no_log: true
  register: reconciled

- name: The key to deploy for app-web (created now, or held by a host or the store)
  ansible.builtin.set_fact:
    app_web_key:
      access_key_id: "{{ reconciled.access_keys['app-web'].access_key_id }}"
      access_key_secret: "{{ reconciled.access_keys['app-web'].access_key_secret }}"
  no_log: true

- name: List what the store holds (no secrets)
  aliyun.ram.secret_store:
    path: "{{ inventory_dir }}/secrets/ram-keys.vault.yml"
  delegate_to: localhost
  run_once: true
  register: store

- name: Forget the keys of a deleted user
  aliyun.ram.secret_store:
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
      description: The store file.
      type: str
    added_access_key_ids:
      description: Keys written to the store.
      type: list
      elements: str
    removed_access_key_ids:
      description: Keys removed from the store.
      type: list
      elements: str
    changed:
      description: Whether the store changed.
      type: bool
stored:
  description: The store's keys after the operation; secrets only with O(return_secrets=true).
  returned: without O(reconcile)
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
access_keys:
  description: With O(reconcile), the module's result per user (see M(aliyun.ram.ram_access_keys)), plus the secret.
  returned: with O(reconcile)
  type: dict
  contains:
    access_key_secret:
      description: The secret of the key to deploy, created in this run or held by a host or the store.
      type: str
'''
