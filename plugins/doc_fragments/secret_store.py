# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The O(secret_store) option of ram_access_keys and of the secret_store action."""

    DOCUMENTATION = r'''
options:
  secret_store:
    description:
      - The secret store, an ansible-vault encrypted YAML file on the controller that keeps the secrets of the
        AccessKeys the collection created, by RAM user. Alibaba Cloud returns a secret only when the key is created,
        so whatever holds it decides whether a key can be reused; with the store, a rebuilt host (or a new host of a
        shared user) gets the existing key even when no host holds it.
      - Handled on the controller by the action plugin; it never reaches a module. The file is never written in plain
        text, every change replaces it atomically (a temporary file in the same directory, mode C(0600)), and every
        use holds an exclusive lock (C(flock) on C(<path>.lock)), so concurrent runs on one controller take turns.
      - The vault secret comes from O(secret_store.vault_password), otherwise O(secret_store.vault_password_file),
        otherwise the configured C(ANSIBLE_VAULT_PASSWORD_FILE) (environment or C(ansible.cfg)). The vault secrets
        given to C(ansible-playbook) on its command line are not seen here; to use the play's vault, pass a vaulted
        variable as O(secret_store.vault_password). Without a vault secret, or with one that cannot decrypt the
        file, the task fails before any other work.
      - The same dictionary can be given to M(aliyun.ram.ram_access_keys) and M(aliyun.ram.secret_store), for example
        through one variable or C(module_defaults).
    type: dict
    suboptions:
      path:
        description:
          - The store file on the controller. A relative path is relative to the playbook's directory. The file and its
            directory are created on the first write.
          - Neither the file nor its lock file is ever reached through a symbolic link.
        type: path
        required: true
      vault_id:
        description:
          - The vault identity (label) of the vault secret; new content is encrypted with it (C($ANSIBLE_VAULT;1.2)
            header). When not set, the store is encrypted without a label.
        type: str
      vault_password_file:
        description:
          - A file holding the vault password, or an executable script that prints it (as C(--vault-password-file)).
          - Mutually exclusive with O(secret_store.vault_password).
        type: path
      vault_password:
        description:
          - The vault password itself, for example a variable encrypted with ansible-vault (that is how the play's vault
            secrets reach the store).
          - Mutually exclusive with O(secret_store.vault_password_file).
        type: str
      lock_timeout:
        description: Seconds to wait for another run's lock on the store before failing.
        type: int
        default: 300
'''
