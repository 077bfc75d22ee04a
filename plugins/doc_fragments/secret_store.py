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
      - The secret store that keeps the secrets of the AccessKeys the collection created, by RAM user. Alibaba Cloud
        returns a secret only when the key is created, so whatever holds it decides whether a key can be reused; with
        the store, a rebuilt host (or a new host of a shared user) gets the existing key even when no host holds it.
      - Two backends (O(secret_store.backend)). V(vault_file), the default, is an ansible-vault encrypted YAML file on
        the controller. V(kms) is KMS Secrets Manager, for runs on separate nodes (AWX job slices, several
        controllers) that share nothing but the cloud account.
      - "The V(kms) backend keeps one generic secret per RAM user, named O(secret_store.name_prefix) followed by the user
        name, whose value is JSON with the key id and secret; the key id is also in the secret's description (and the
        user in its tags), so an audit sees which key is stored without reading the value. Runs on different nodes take
        turns per user with a claim, the secret O(secret_store.name_prefix)C(claims/)I(user): a run that must create a
        key for a user first claims the user (KMS lets exactly one of concurrent writers succeed, the others get
        C(Rejected.ResourceExist)); the winner creates and stores the key and releases the claim, the others wait
        (bounded, with jittered backoff) and then read the stored key. A claim records its holder and its lease; a claim
        whose lease passed without a release (its run died) is taken over by the next run, which first deletes the
        keys of that user that the dead run created and never stored (keys that neither the store nor any
        O(aliyun.ram.ram_access_keys#module:held) entry names,
        created after the claim was taken). Claims are compared with the controllers' clocks: keep them synchronised
        (NTP). Keys recorded as compromised (M(aliyun.ram.secret_store), O(aliyun.ram.secret_store#module:compromised_access_keys))
        are listed, without secrets, in the secret O(secret_store.name_prefix)C(compromised/)I(user)."
      - The V(kms) backend signs with the task's own credentials (the auth options and their environment variables, as
        the RAM calls do); M(aliyun.ram.secret_store) takes them from the environment only.
        Its calls are retried on throttling and on lost answers as RAM's are.
      - The V(vault_file) backend is handled on the controller by the action plugin; it never reaches a module. The file is never written in plain
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
      backend:
        description:
          - Where the secrets are kept. V(vault_file) an ansible-vault encrypted file on the controller (O(secret_store.path));
            V(kms) KMS Secrets Manager, shared by runs on any node.
        type: str
        choices: [vault_file, kms]
        default: vault_file
      path:
        description:
          - The store file on the controller. A relative path is relative to the playbook's directory. The file and its
            directory are created on the first write.
          - Neither the file nor its lock file is ever reached through a symbolic link.
          - Required with O(secret_store.backend=vault_file).
        type: path
      name_prefix:
        description:
          - With O(secret_store.backend=kms), the beginning of the names of the store's secrets (letters, digits and
            C(_ / + = . @ -)), at most 116 characters. A least-privilege policy grants the KMS secret actions on
            C(acs:kms:*:*:secret/<name_prefix>*).
        type: str
        default: aliyun-ram/
      region:
        description:
          - With O(secret_store.backend=kms), the region of the KMS instance that keeps the secrets. Defaults to the task's
            O(aliyun.ram.ram_access_keys#module:region), else V(cn-hangzhou).
        type: str
      kms_endpoint:
        description:
          - With O(secret_store.backend=kms), the KMS endpoint, V(host[:port]) or V(http(s\)://host[:port]); defaults to
            C(kms.<region>.aliyuncs.com) over HTTPS.
          - If not set, the environment variable E(ALIBABA_CLOUD_KMS_ENDPOINT) is used.
        type: str
      lease_seconds:
        description:
          - With O(secret_store.backend=kms), how long a claim holds a user before another run may take it over. It
            must be longer than creating the keys of one task takes (with retries under throttling); a run that waits
            for another run's claim gives up after twice this time.
        type: int
        default: 300
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
        description: With O(secret_store.backend=vault_file), seconds to wait for another run's lock on the store before failing.
        type: int
        default: 300
'''
