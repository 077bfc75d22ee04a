# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The controller-side secret store: an ansible-vault encrypted YAML file, used by the ``secret_store`` option of the
aliyun.ram.ram_access_keys action and by the aliyun.ram.secret_store action.

This is the ``vault_file`` backend (the default of ``secret_store.backend``); the ``kms`` backend, KMS Secrets
Manager shared by runs on any node, is module_utils/_kms_store.py, wired to the actions by plugin_utils/_kms_backend.py.
Both take the one ``secret_store`` option spec below.

Plain text never touches the disk: the file is read and decrypted in memory, and written as vault text to
a 0600 temporary file in the same directory that replaces the store atomically.  ``StoreLock`` (an
exclusive ``flock`` on ``<path>.lock``) serialises the read-reconcile-write of concurrent runs on one
controller.  The file functions take encryption as two callables; ``store_vault`` builds them from the
``secret_store`` options with the public ``ansible.parsing.vault`` API only (an explicit password, a password file
or script, or the configured ``ANSIBLE_VAULT_PASSWORD_FILE``), and ``OpenStore`` ties path, vault, lock and
entries together for one task.

Neither the store nor its lock file is ever reached through a symbolic link (``O_NOFOLLOW``): a link planted on
the lock path cannot make a run create, open or lock its target, and a store that is a link is refused rather
than silently replaced by a regular file.  Content that is not a store (not UTF-8 or not YAML once decrypted)
is refused with a message that names the file and never quotes the content.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import os
import stat
import time

import yaml

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_bytes
from ansible.parsing.vault import VaultLib, VaultSecret, get_file_vault_secret, is_encrypted

from ansible_collections.aliyun.ram.plugins.module_utils._atomic_write import atomic_write
from ansible_collections.aliyun.ram.plugins.module_utils._kms_store import DEFAULT_LEASE_SECONDS, DEFAULT_NAME_PREFIX, StoreError

FORMAT_VERSION = 1
STORE_HOLDER = 'secret store'
_ENTRY_FIELDS = ('user_name', 'access_key_id', 'access_key_secret', 'create_date')
# A key recorded as compromised (playbooks/respond.yml): its id only; its secret has left the store for good.
_COMPROMISED_FIELDS = ('user_name', 'access_key_id', 'recorded_at')
LOCK_POLL_SECONDS = 0.1

VAULT_FILE = 'vault_file'
KMS = 'kms'
BACKENDS = (VAULT_FILE, KMS)
# The suboptions of the secret_store option (documented in the aliyun.ram.secret_store doc fragment).
STORE_OPTIONS = dict(
    backend=dict(type='str', default=VAULT_FILE, choices=list(BACKENDS)),
    path=dict(type='path'),
    vault_id=dict(type='str'),
    vault_password_file=dict(type='path'),
    vault_password=dict(type='str', no_log=True),
    lock_timeout=dict(type='int', default=300),
    name_prefix=dict(type='str', default=DEFAULT_NAME_PREFIX),
    region=dict(type='str'),
    kms_endpoint=dict(type='str', fallback=(env_fallback, ['ALIBABA_CLOUD_KMS_ENDPOINT'])),
    lease_seconds=dict(type='int', default=DEFAULT_LEASE_SECONDS),
)
# vault_password and vault_password_file exclude each other when set (not merely given as null: a role passes both);
# path is required by the vault_file backend only (checked by store_options_problem, after the control characters)
STORE_OPTION_SPEC = dict(type='dict', options=STORE_OPTIONS)


def store_options_problem(options):
    """What the validated ``secret_store`` options lack for their backend, or None."""
    if options.get('backend', VAULT_FILE) == VAULT_FILE and not options.get('path'):
        return 'secret_store.path is required with secret_store.backend=vault_file (the default)'
    return None


NO_VAULT_SECRET = ('the secret store needs a vault secret to encrypt with: set secret_store.vault_password_file, '
                   'secret_store.vault_password (for example from a vaulted variable) or ANSIBLE_VAULT_PASSWORD_FILE')


# O_NOFOLLOW: a symbolic link planted on the lock path must not make us create or open its target; no O_TRUNC: the
# lock file's content is never touched. O_NONBLOCK: a fifo planted there must not hang the open (refused after it).
_LOCK_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0)


def open_lock_file(lock_path):
    """A descriptor of the regular file ``lock_path``, created 0600 if missing; never through a symbolic link."""
    try:
        fd = os.open(lock_path, _LOCK_OPEN_FLAGS, 0o600)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise StoreError('the lock file %s of the secret store is a symbolic link: refusing to follow it '
                             '(remove the link)' % lock_path) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise StoreError('the lock file %s of the secret store is not a regular file (remove it)' % lock_path)
    return fd


class StoreLock(object):
    """Exclusive lock of one store for the duration of a ``with`` block (``<path>.lock``, mode 0600)."""

    def __init__(self, path, timeout, clock=time.monotonic, sleep=time.sleep):
        self.lock_path = path + '.lock'
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._fd = None

    def __enter__(self):
        directory = os.path.dirname(os.path.abspath(self.lock_path))
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700)
        fd = open_lock_file(self.lock_path)
        deadline = self._clock() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if self._clock() >= deadline:
                    os.close(fd)
                    raise StoreError('another run has held the lock %s for more than %s seconds' % (self.lock_path, self.timeout))
                self._sleep(LOCK_POLL_SECONDS)
        self._fd = fd
        return self

    def __exit__(self, *exc_info):
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        return False


def parse_store(plaintext, path):
    """(entries, compromised) of a decrypted store: ``[{user_name, access_key_id, access_key_secret, create_date}]``
    and the keys recorded as compromised, ``[{user_name, access_key_id, recorded_at}]``."""
    if not plaintext.strip():
        return [], []
    try:
        data = yaml.safe_load(plaintext)
    except (yaml.YAMLError, RecursionError):
        raise StoreError('the secret store %s is not valid YAML once decrypted' % path) from None
    if not isinstance(data, dict) or data.get('aliyun_ram_secret_store') != FORMAT_VERSION:
        raise StoreError('%s is not an aliyun.ram secret store (format version %d)' % (path, FORMAT_VERSION))
    entries = []
    for index, entry in enumerate(data.get('access_keys') or []):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(name), str) and entry.get(name)
                                                  for name in _ENTRY_FIELDS[:3]):
            raise StoreError('entry %d of the secret store %s lacks user_name, access_key_id or access_key_secret' % (index, path))
        entries.append(dict((name, entry.get(name)) for name in _ENTRY_FIELDS))
    compromised = []
    for index, record in enumerate(data.get('compromised_access_keys') or []):
        if not isinstance(record, dict) or not all(isinstance(record.get(name), str) and record.get(name)
                                                   for name in _COMPROMISED_FIELDS[:2]):
            raise StoreError('compromised record %d of the secret store %s lacks user_name or access_key_id' % (index, path))
        compromised.append(dict((name, record.get(name)) for name in _COMPROMISED_FIELDS))
    return entries, compromised


def _plain(value):
    # Values from a play may be AnsibleUnsafeText (ansible-core < 2.19), which safe_dump refuses.
    # (its __str__ returns itself, so build a new plain string from its characters).
    return ''.join(value) if isinstance(value, str) else value


def render_store(entries, compromised=()):
    data = {'aliyun_ram_secret_store': FORMAT_VERSION,
            'access_keys': sorted((dict((name, _plain(e.get(name))) for name in _ENTRY_FIELDS) for e in entries),
                                  key=lambda e: (e['user_name'], e['create_date'] or '', e['access_key_id']))}
    if compromised:
        data['compromised_access_keys'] = sorted(
            (dict((name, _plain(r.get(name))) for name in _COMPROMISED_FIELDS) for r in compromised),
            key=lambda r: (r['user_name'], r['access_key_id']))
    return '# aliyun.ram secret store: the AccessKeys the collection created, by RAM user\n' + yaml.safe_dump(
        data, default_flow_style=False, sort_keys=False)


def put_entries(entries, new_entries, compromised=()):
    """(entries, ids added or changed): each new entry replaces the one with the same user and key id. A key
    recorded as ``compromised`` is refused (StoreError): the store never holds its secret again."""
    result = [dict(e) for e in entries]
    changed = []
    refused = compromised_ids_of(compromised)
    for new in new_entries:
        new = dict((name, new.get(name)) for name in _ENTRY_FIELDS)
        if new['access_key_id'] in refused:
            raise StoreError('AccessKey %s of user %s is recorded as compromised in the secret store: it is never stored '
                             'again' % (new['access_key_id'], new['user_name']))
        match = [e for e in result if e['user_name'] == new['user_name'] and e['access_key_id'] == new['access_key_id']]
        if match and match[0]['access_key_secret'] == new['access_key_secret'] and (
                match[0]['create_date'] == new['create_date'] or not new['create_date']):
            continue
        result = [e for e in result if e not in match] + [new]
        changed.append(new['access_key_id'])
    return result, changed


def remove_entries(entries, access_key_ids=(), user_names=()):
    """(entries, ids removed): entries of the given key ids or users go."""
    ids, users = set(access_key_ids), set(user_names)
    kept = [e for e in entries if e['access_key_id'] not in ids and e['user_name'] not in users]
    return kept, [e['access_key_id'] for e in entries if e not in kept]


def compromised_ids_of(compromised, user_names=None):
    """The ids of the compromised records (of ``user_names`` when given)."""
    return [r['access_key_id'] for r in compromised if user_names is None or r['user_name'] in user_names]


def record_compromised(entries, compromised, keys, now):
    """(entries, compromised, ids newly recorded): each of ``keys`` (``{user_name, access_key_id}``) recorded as
    compromised at ``now``, and its entry, secret and all, out of the store."""
    known = set((r['user_name'], r['access_key_id']) for r in compromised)
    records = [dict(r) for r in compromised]
    added = []
    for key in keys:
        pair = (key['user_name'], key['access_key_id'])
        if pair not in known:
            known.add(pair)
            records.append({'user_name': pair[0], 'access_key_id': pair[1], 'recorded_at': now})
            added.append(pair[1])
    ids = set(key['access_key_id'] for key in keys)
    return [e for e in entries if e['access_key_id'] not in ids], records, added


def held_from_store(entries, user_names):
    """The store's keys of ``user_names`` as ram_access_keys ``held`` entries."""
    wanted = set(user_names)
    return [{'user_name': e['user_name'], 'access_key_id': e['access_key_id'], 'access_key_secret': e['access_key_secret'],
             'host': STORE_HOLDER} for e in entries if e['user_name'] in wanted]


def _read_store_file(path):
    """The store's bytes, None when it does not exist. A symbolic link is refused: the store is replaced by a rename
    on every write, which would put a regular file in place of the link and leave its target stale."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0))
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise StoreError('the secret store %s is a symbolic link: set the path of the file itself (a link would be '
                             'replaced by a regular file at the next write)' % path) from None
        raise
    with os.fdopen(fd, 'rb') as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise StoreError('the secret store %s is not a regular file' % path)
        return handle.read()


def read_store(path, decrypt, is_encrypted):
    """(entries, compromised) of the store at ``path`` (none when it does not exist). Refuses a file that is not vault
    text."""
    data = _read_store_file(path)
    if data is None or not data.strip():
        return [], []
    if not is_encrypted(data):
        raise StoreError('%s is not ansible-vault encrypted: refusing to keep secrets in a plain-text file '
                         '(encrypt it with ansible-vault encrypt, or remove it)' % path)
    plaintext = decrypt(data)
    try:
        text = plaintext.decode('utf-8')
    except UnicodeDecodeError as err:
        raise StoreError('the secret store %s is not UTF-8 text once decrypted (invalid byte at offset %d): it was not '
                         'written by aliyun.ram; restore it from a backup or remove it' % (path, err.start)) from None
    return parse_store(text, path)


def write_store(path, entries, encrypt, compromised=()):
    """Encrypt and replace the store atomically (mode 0600, temporary file in the same directory)."""
    vaulttext = encrypt(render_store(entries, compromised).encode('utf-8'))
    atomic_write(os.path.abspath(path), vaulttext, mode=0o600)


def created_entries(module_result):
    """Store entries of the keys that ram_access_keys created (``created`` with an id and a secret), by user."""
    entries = []
    for user_name, key in sorted((module_result.get('access_keys') or {}).items()):
        if key.get('created') and key.get('access_key_id') and key.get('access_key_secret'):
            entries.append({'user_name': user_name, 'access_key_id': key['access_key_id'],
                            'access_key_secret': key['access_key_secret'], 'create_date': key.get('create_date')})
    return entries


def deleted_ids(module_result):
    """The ids of the keys that ram_access_keys deleted, whatever the operation."""
    ids = []
    for key in (module_result.get('access_keys') or {}).values():
        ids.extend(key.get('deleted_access_key_ids') or [])
    return ids


def with_held_secrets(module_result, held):
    """The module result with ``access_key_secret`` set for every kept key, from the ``held`` entry it names.

    ram_access_keys cannot return a held secret (it is a no_log value, which Ansible masks in a module's output); it
    returns ``held_index`` instead. The action, on the controller, puts the secret back, so that the key to deploy is
    always ``access_keys[user]``, whether it was created now or held by a host or the store.
    """
    for key in (module_result.get('access_keys') or {}).values():
        index = key.get('held_index')
        if not key.get('access_key_secret') and isinstance(index, int) and 0 <= index < len(held):
            secret = held[index].get('access_key_secret')
            if secret:
                key['access_key_secret'] = secret
    return module_result


def utc_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def vault_secret(options, loader, default_password_file=None):
    """The (vault id, VaultSecret) of the ``secret_store`` options: ``vault_password``, else ``vault_password_file``
    (a file, or an executable script as with ``--vault-password-file``), else ``default_password_file`` (the
    configured ``ANSIBLE_VAULT_PASSWORD_FILE``). StoreError when there is none, before any other work."""
    vault_id = options.get('vault_id') or C.DEFAULT_VAULT_IDENTITY
    if options.get('vault_password') and options.get('vault_password_file'):
        raise StoreError('secret_store: vault_password and vault_password_file are mutually exclusive')
    if options.get('vault_password'):
        return vault_id, VaultSecret(to_bytes(''.join(options['vault_password']), errors='surrogate_or_strict'))
    password_file = options.get('vault_password_file') or default_password_file
    if not password_file:
        raise StoreError(NO_VAULT_SECRET)
    try:
        secret = get_file_vault_secret(filename=password_file, vault_id=vault_id, loader=loader)
        secret.load()
    except AnsibleError as err:
        raise StoreError('cannot load the vault secret of the secret store: %s' % err.message) from None
    return vault_id, secret


def store_vault(options, loader, default_password_file=None):
    """(decrypt, encrypt) callables for the store, with the one vault secret of the ``secret_store`` options."""
    vault_id, secret = vault_secret(options, loader, default_password_file)
    vault = VaultLib([(vault_id, secret)])

    def encrypt(plaintext):
        return vault.encrypt(plaintext, secret=secret, vault_id=options.get('vault_id'))

    return vault.decrypt, encrypt


class OpenStore(object):
    """One store for the duration of a ``with`` block: vault secret loaded (before anything else), lock held,
    ``entries`` read; ``update`` changes the entries and writes them (not in check mode)."""

    def __init__(self, options, loader, check_mode, default_password_file=None):
        self.path = os.path.abspath(loader.path_dwim(options['path']))
        self.check_mode = check_mode
        self._decrypt, self._encrypt = store_vault(options, loader, default_password_file)
        self._lock = StoreLock(self.path, options['lock_timeout'])
        self.entries = []
        self.compromised = []

    def __enter__(self):
        self._lock.__enter__()
        try:
            self.entries, self.compromised = read_store(self.path, self._decrypt, is_encrypted)
        except AnsibleError as err:
            self._lock.__exit__(None, None, None)
            raise StoreError('cannot decrypt the secret store %s with its vault secret: %s' % (self.path, err.message)) from None
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        return self._lock.__exit__(*exc_info)

    def update(self, put=(), remove_access_key_ids=(), remove_users=(), compromised=(), now=None):
        """Record keys as ``compromised`` (``{user_name, access_key_id}``: their entries go), put and remove entries,
        write the store when it changed: ``{path, added_access_key_ids, removed_access_key_ids,
        compromised_access_key_ids, changed}`` (what would change, in check mode)."""
        entries, records, recorded = record_compromised(self.entries, self.compromised, compromised, now or utc_stamp())
        entries, added = put_entries(entries, put, records)
        entries, dummy = remove_entries(entries, access_key_ids=remove_access_key_ids, user_names=remove_users)
        # removed by either step: recorded as compromised, or asked for
        removed = [e['access_key_id'] for e in self.entries if e not in entries and e['access_key_id'] not in added]
        changed = bool(added or removed or recorded)
        if changed and not self.check_mode:
            write_store(self.path, entries, self._encrypt, records)
        self.entries, self.compromised = entries, records
        return {'path': self.path, 'added_access_key_ids': added, 'removed_access_key_ids': removed,
                'compromised_access_key_ids': recorded, 'changed': changed}
