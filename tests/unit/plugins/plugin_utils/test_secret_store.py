# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret store file: format, merge rules, encryption boundary, atomic 0600 writes and the exclusive lock."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from ansible_collections.aliyun.ram.plugins.plugin_utils._secret_store import (
    STORE_HOLDER,
    OpenStore,
    StoreError,
    StoreLock,
    compromised_ids_of,
    created_entries,
    deleted_ids,
    held_from_store,
    parse_store,
    put_entries,
    record_compromised,
    read_store,
    remove_entries,
    render_store,
    store_vault,
    vault_secret,
    with_held_secrets,
    write_store,
)

SECRET = 'store-secret-value-0001'


def entry(user='u', key_id='K1', secret=SECRET, create_date='2026-05-01T00:00:00Z'):
    return {'user_name': user, 'access_key_id': key_id, 'access_key_secret': secret, 'create_date': create_date}


# A reversible stand-in for vault: what matters here is that only its output reaches the disk.
def fake_encrypt(plaintext):
    return b'$ANSIBLE_VAULT;1.1;AES256\n' + plaintext[::-1].hex().encode()


def fake_decrypt(vaulttext):
    return bytes.fromhex(vaulttext.split(b'\n', 1)[1].decode())[::-1]


def fake_is_encrypted(data):
    return data.startswith(b'$ANSIBLE_VAULT;')


def test_render_and_parse_round_trip_sorted_by_user_and_date():
    entries = [entry('v', 'K3'), entry('u', 'K2', create_date='2026-06-01T00:00:00Z'), entry('u', 'K1')]
    parsed, dummy = parse_store(render_store(entries), 'p')
    assert [(e['user_name'], e['access_key_id']) for e in parsed] == [('u', 'K1'), ('u', 'K2'), ('v', 'K3')]


class TaggedText(str):
    """Like AnsibleUnsafeText before ansible-core 2.19: a str subclass whose __str__ returns itself."""

    def __str__(self):  # pylint: disable=invalid-str-returned
        return self


def test_render_takes_strings_tagged_by_the_play():
    tagged = dict((name, TaggedText(value)) for name, value in entry().items())
    assert parse_store(render_store([tagged]), 'p') == ([entry()], [])


@pytest.mark.parametrize('text, message', [
    ('[1, 2', 'not valid YAML'),
    ('just: a dict', 'is not an aliyun.ram secret store'),
    ('aliyun_ram_secret_store: 1\naccess_keys: [{user_name: u, access_key_id: K}]', 'entry 0 of the secret store'),
])
def test_bad_stores_are_refused_without_echoing_content(text, message):
    with pytest.raises(StoreError) as err:
        parse_store(text, 'the/path')
    assert message in str(err.value) and 'access_key_id: K' not in str(err.value)


def test_put_replaces_same_user_and_id_and_reports_only_real_changes():
    entries, changed = put_entries([entry()], [entry()])
    assert changed == [] and entries == [entry()]
    entries, changed = put_entries(entries, [entry(secret='other'), entry(key_id='K2')])
    assert changed == ['K1', 'K2'] and sorted(e['access_key_id'] for e in entries) == ['K1', 'K2']
    assert [e['access_key_secret'] for e in entries if e['access_key_id'] == 'K1'] == ['other']


def test_remove_by_id_and_by_user():
    entries = [entry('u', 'K1'), entry('u', 'K2'), entry('v', 'K3')]
    kept, removed = remove_entries(entries, access_key_ids=['K2'])
    assert removed == ['K2'] and len(kept) == 2
    kept, removed = remove_entries(entries, user_names=['u'])
    assert removed == ['K1', 'K2'] and kept == [entry('v', 'K3')]


def test_a_key_recorded_as_compromised_leaves_the_store_for_good():
    entries = [entry('u', 'K1'), entry('u', 'K2'), entry('v', 'K3')]
    kept, records, added = record_compromised(entries, [], [{'user_name': 'u', 'access_key_id': 'K1'}], 'T1')
    assert added == ['K1'] and [e['access_key_id'] for e in kept] == ['K2', 'K3']
    assert records == [{'user_name': 'u', 'access_key_id': 'K1', 'recorded_at': 'T1'}]
    # recorded once, at the first time
    again, records, added = record_compromised(kept, records, [{'user_name': 'u', 'access_key_id': 'K1'}], 'T2')
    assert added == [] and again == kept and records[0]['recorded_at'] == 'T1'
    # the record survives a render and a parse, without any secret
    text = render_store(kept, records)
    assert parse_store(text, 'p') == (kept, records)
    assert compromised_ids_of(records, ['u']) == ['K1'] and compromised_ids_of(records, ['v']) == []
    with pytest.raises(StoreError, match='AccessKey K1 of user u is recorded as compromised in the secret store'):
        put_entries(kept, [entry('u', 'K1')], records)


def test_open_store_records_compromised_keys_and_reports_them(tmp_path):
    options = store_options(tmp_path / 'store.vault.yml', vault_password='pw')
    with OpenStore(options, _loader(), check_mode=False) as store:
        store.update(put=[entry('u', 'K1'), entry('u', 'K2')])
    leaked = [{'user_name': 'u', 'access_key_id': 'K1'}]
    with OpenStore(options, _loader(), check_mode=True) as store:
        report = store.update(compromised=leaked)
        assert report['compromised_access_key_ids'] == ['K1'] and report['removed_access_key_ids'] == ['K1']
    with OpenStore(options, _loader(), check_mode=False) as store:
        assert store.compromised == [], 'check mode wrote the store'
        assert store.update(compromised=leaked, now='T')['changed']
    with OpenStore(options, _loader(), check_mode=False) as store:
        assert [e['access_key_id'] for e in store.entries] == ['K2']
        assert store.compromised == [{'user_name': 'u', 'access_key_id': 'K1', 'recorded_at': 'T'}]
        assert store.update(compromised=leaked) == {
            'path': str(tmp_path / 'store.vault.yml'), 'added_access_key_ids': [], 'removed_access_key_ids': [],
            'compromised_access_key_ids': [], 'changed': False}


def test_held_from_store_only_for_listed_users():
    held = held_from_store([entry('u', 'K1'), entry('v', 'K3')], ['u'])
    assert held == [{'user_name': 'u', 'access_key_id': 'K1', 'access_key_secret': SECRET, 'host': STORE_HOLDER}]


def test_write_is_encrypted_0600_atomic_and_reads_back(tmp_path):
    path = str(tmp_path / 'store.yml')
    write_store(path, [entry()], fake_encrypt)
    with open(path, 'rb') as handle:
        data = handle.read()
    assert SECRET.encode() not in data and fake_is_encrypted(data)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(str(tmp_path)) == ['store.yml']
    assert read_store(path, fake_decrypt, fake_is_encrypted) == ([entry()], [])


def test_failed_encryption_leaves_the_old_store_and_no_temp_file(tmp_path):
    path = str(tmp_path / 'store.yml')
    write_store(path, [entry()], fake_encrypt)

    def broken(plaintext):
        raise RuntimeError('no vault')

    with pytest.raises(RuntimeError):
        write_store(path, [entry(key_id='K2')], broken)
    assert read_store(path, fake_decrypt, fake_is_encrypted) == ([entry()], [])
    assert os.listdir(str(tmp_path)) == ['store.yml']


def test_missing_or_empty_store_is_empty_and_plain_text_is_refused(tmp_path):
    path = str(tmp_path / 'store.yml')
    assert read_store(path, fake_decrypt, fake_is_encrypted) == ([], [])
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(render_store([entry()]))
    with pytest.raises(StoreError) as err:
        read_store(path, fake_decrypt, fake_is_encrypted)
    assert 'not ansible-vault encrypted' in str(err.value) and SECRET not in str(err.value)


def _hold_lock(path, acquired, release):
    with StoreLock(path, timeout=30):
        acquired.set()
        release.wait(30)


def test_lock_is_exclusive_across_processes_and_times_out(tmp_path):
    path = str(tmp_path / 'sub' / 'store.yml')
    context = multiprocessing.get_context('fork')
    acquired, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(path, acquired, release))
    holder.start()
    try:
        assert acquired.wait(30)
        ticks = iter(range(100))
        with pytest.raises(StoreError) as err:
            with StoreLock(path, timeout=3, clock=lambda: next(ticks), sleep=lambda seconds: None):
                pass
        assert 'held the lock' in str(err.value)
    finally:
        release.set()
        holder.join(30)
    with StoreLock(path, timeout=3):
        pass
    assert stat.S_IMODE(os.stat(path + '.lock').st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def test_store_that_is_not_utf8_once_decrypted_is_refused_naming_the_file(tmp_path):
    """Breaks when the decrypted bytes are decoded unchecked: a UnicodeDecodeError escapes as a traceback that names
    neither the store nor the problem (and quotes a byte of the plain text)."""
    path = str(tmp_path / 'store.yml')
    plaintext = ('aliyun_ram_secret_store: 1\naccess_keys: [{user_name: u, access_key_id: K1, access_key_secret: %s'
                 % SECRET).encode() + b'\xff\xfe\x80}]\n'
    with open(path, 'wb') as handle:
        handle.write(fake_encrypt(plaintext))
    with pytest.raises(StoreError) as err:
        read_store(path, fake_decrypt, fake_is_encrypted)
    message = str(err.value)
    assert path in message and 'not UTF-8' in message
    assert SECRET not in message and '\\xff' not in message and 'K1' not in message


def test_deeply_nested_store_is_refused_as_not_yaml():
    """Breaks when only yaml.YAMLError is caught: a deeply nested document raises RecursionError (a traceback)."""
    with pytest.raises(StoreError) as err:
        parse_store('[' * 100000, 'the/path')
    assert 'the/path is not valid YAML' in str(err.value)


def file_identity(path):
    status = os.stat(path)
    with open(path, 'rb') as handle:
        content = handle.read()
    return content, stat.S_IMODE(status.st_mode), status.st_uid, status.st_gid, status.st_ino, status.st_mtime_ns


@pytest.fixture
def victim(tmp_path):
    """A file somebody else cares about, outside the store's directory."""
    path = tmp_path / 'elsewhere' / 'victim'
    path.parent.mkdir()
    path.write_bytes(b'do not touch\n')
    path.chmod(0o644)
    return str(path)


def test_symlink_at_the_lock_path_is_refused_and_its_target_untouched(tmp_path, victim):
    """Breaks when the lock file is opened following symbolic links: the run then opens and locks the link's target
    (any file the link names) instead of refusing."""
    store = str(tmp_path / 'store.yml')
    os.symlink(victim, store + '.lock')
    before = file_identity(victim)
    with pytest.raises(StoreError) as err:
        with StoreLock(store, timeout=1):
            pytest.fail('the lock was taken through a symbolic link')
    assert store + '.lock' in str(err.value) and 'symbolic link' in str(err.value)
    assert file_identity(victim) == before
    assert os.readlink(store + '.lock') == victim


def test_dangling_symlink_at_the_lock_path_creates_nothing(tmp_path):
    """Breaks when the lock file is opened with O_CREAT following symbolic links: the link's target (a path of the
    attacker's choice) is then created as an empty file."""
    store = str(tmp_path / 'store.yml')
    target = str(tmp_path / 'created-through-the-link')
    os.symlink(target, store + '.lock')
    with pytest.raises(StoreError):
        with StoreLock(store, timeout=1):
            pass
    assert not os.path.lexists(target)


def test_fifo_at_the_lock_path_is_refused_without_hanging(tmp_path):
    """Breaks when whatever stands on the lock path is locked without checking it is a regular file."""
    store = str(tmp_path / 'store.yml')
    os.mkfifo(store + '.lock', 0o600)
    with pytest.raises(StoreError) as err:
        with StoreLock(store, timeout=1):
            pass
    assert 'not a regular file' in str(err.value)


def test_existing_lock_file_is_neither_truncated_nor_replaced(tmp_path):
    """Breaks when the lock file is opened with O_TRUNC or recreated: its content or inode would change."""
    store = str(tmp_path / 'store.yml')
    with open(store + '.lock', 'wb') as handle:
        handle.write(b'left by an earlier run\n')
    before = file_identity(store + '.lock')
    with StoreLock(store, timeout=1):
        pass
    assert file_identity(store + '.lock') == before


def test_symlink_at_the_store_path_is_refused_and_never_written_through(tmp_path, victim):
    """Breaks when the store is opened following a symbolic link: the run would read the link's target as the store,
    and the next write would replace the link with a regular file, leaving the target stale."""
    store = str(tmp_path / 'store.yml')
    os.symlink(victim, store)
    before = file_identity(victim)
    with pytest.raises(StoreError) as err:
        read_store(store, fake_decrypt, fake_is_encrypted)
    assert store in str(err.value) and 'symbolic link' in str(err.value)
    assert file_identity(victim) == before and os.readlink(store) == victim


def test_write_replaces_a_symlink_at_the_store_path_never_its_target(tmp_path, victim):
    """Breaks when the store is written through a symbolic link planted between the read and the write (the
    atomic write must rename over the link, never open its target)."""
    store = str(tmp_path / 'store.yml')
    os.symlink(victim, store)
    before = file_identity(victim)
    write_store(store, [entry()], fake_encrypt)
    assert file_identity(victim) == before
    assert not os.path.islink(store) and read_store(store, fake_decrypt, fake_is_encrypted) == ([entry()], [])


# The secret_store option: where the vault secret comes from, and the glue between the store and ram_access_keys.

def _loader():
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    return DataLoader()


def _decrypts_with(vaulttext, password):
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel
    return VaultLib([('default', VaultSecret(password.encode()))]).decrypt(vaulttext)


def store_options(path, **options):
    return dict({'path': str(path), 'vault_id': None, 'vault_password_file': None, 'vault_password': None,
                 'lock_timeout': 5}, **options)


@pytest.mark.parametrize('source', ['password', 'file', 'script', 'default_file'])
def test_vault_secret_sources(tmp_path, source):
    """Breaks when a source of the vault password is ignored, or when another one wins over it."""
    (tmp_path / 'pw').write_text('from-file\n')
    (tmp_path / 'pw-script').write_text('#!/bin/sh\necho from-script\n')
    (tmp_path / 'pw-script').chmod(0o700)
    (tmp_path / 'default-pw').write_text('from-default\n')
    options = {
        'password': store_options(tmp_path / 's', vault_password='from-option'),
        'file': store_options(tmp_path / 's', vault_password_file=str(tmp_path / 'pw')),
        'script': store_options(tmp_path / 's', vault_password_file=str(tmp_path / 'pw-script')),
        'default_file': store_options(tmp_path / 's'),
    }[source]
    decrypt, encrypt = store_vault(options, _loader(), default_password_file=str(tmp_path / 'default-pw'))
    vaulttext = encrypt(b'plain')
    expected = {'password': 'from-option', 'file': 'from-file', 'script': 'from-script', 'default_file': 'from-default'}[source]
    assert _decrypts_with(vaulttext, expected) == b'plain' and decrypt(vaulttext) == b'plain'
    assert vaulttext.startswith(b'$ANSIBLE_VAULT;1.1;AES256\n')


def test_vault_id_labels_the_store(tmp_path):
    decrypt, encrypt = store_vault(store_options(tmp_path / 's', vault_password='pw', vault_id='ram'), _loader())
    vaulttext = encrypt(b'plain')
    assert vaulttext.startswith(b'$ANSIBLE_VAULT;1.2;AES256;ram\n') and decrypt(vaulttext) == b'plain'


def test_no_vault_secret_and_a_missing_password_file_fail_before_anything_else(tmp_path):
    with pytest.raises(StoreError, match='needs a vault secret'):
        vault_secret(store_options(tmp_path / 's'), _loader(), default_password_file=None)
    with pytest.raises(StoreError, match='vault_password and vault_password_file are mutually exclusive'):
        vault_secret(store_options(tmp_path / 's', vault_password='x', vault_password_file=str(tmp_path / 'pw')), _loader())
    with pytest.raises(StoreError, match='cannot load the vault secret of the secret store: .*was not found'):
        vault_secret(store_options(tmp_path / 's', vault_password_file=str(tmp_path / 'missing')), _loader())


def test_open_store_locks_reads_and_writes_only_changes(tmp_path):
    options = store_options(tmp_path / 'store.vault.yml', vault_password='pw')
    with OpenStore(options, _loader(), check_mode=False) as store:
        assert store.entries == [] and os.path.exists(str(tmp_path / 'store.vault.yml.lock'))
        assert store.update() == {'path': str(tmp_path / 'store.vault.yml'), 'added_access_key_ids': [],
                                  'removed_access_key_ids': [], 'compromised_access_key_ids': [], 'changed': False}
        assert not (tmp_path / 'store.vault.yml').exists()
        assert store.update(put=[entry('u', 'K1')])['added_access_key_ids'] == ['K1']
    assert SECRET.encode() not in (tmp_path / 'store.vault.yml').read_bytes()
    with OpenStore(options, _loader(), check_mode=True) as store:
        assert [e['access_key_id'] for e in store.entries] == ['K1']
        assert store.update(remove_users=['u'])['removed_access_key_ids'] == ['K1']
    with OpenStore(options, _loader(), check_mode=False) as store:
        assert [e['access_key_id'] for e in store.entries] == ['K1'], 'check mode wrote the store'


def test_open_store_with_the_wrong_password_fails_naming_the_store_and_releases_the_lock(tmp_path):
    path = tmp_path / 'store.vault.yml'
    with OpenStore(store_options(path, vault_password='right'), _loader(), check_mode=False) as store:
        store.update(put=[entry('u', 'K1')])
    with pytest.raises(StoreError, match='cannot decrypt the secret store %s' % path):
        with OpenStore(store_options(path, vault_password='wrong'), _loader(), check_mode=False):
            pass
    with OpenStore(store_options(path, vault_password='right', lock_timeout=0), _loader(), check_mode=False) as store:
        assert len(store.entries) == 1


MODULE_RESULT = {'changed': True, 'access_keys': {
    'new': {'access_key_id': 'N1', 'access_key_secret': 'n-secret', 'created': True, 'create_date': 'd1',
            'held_index': None, 'deleted_access_key_ids': ['I1']},
    'kept': {'access_key_id': 'K1', 'created': False, 'held_index': 1, 'deleted_access_key_ids': []},
    'would': {'access_key_id': None, 'created': True, 'held_index': None},
    'unheld': {'access_key_id': 'U1', 'created': False, 'held_index': 7},
}}


def test_created_and_deleted_keys_of_a_module_result():
    assert created_entries(MODULE_RESULT) == [
        {'user_name': 'new', 'access_key_id': 'N1', 'access_key_secret': 'n-secret', 'create_date': 'd1'}]
    assert deleted_ids(MODULE_RESULT) == ['I1'] and created_entries({'failed': True}) == []


def test_held_secrets_are_put_back_from_the_entry_the_module_names():
    """Breaks when the key to deploy has no secret unless it was created now, or gets the secret of another entry."""
    held = [{'user_name': 'kept', 'access_key_id': 'K1', 'access_key_secret': None},
            {'user_name': 'kept', 'access_key_id': 'K1', 'access_key_secret': 'k-secret'}]
    import copy  # pylint: disable=import-outside-toplevel
    result = with_held_secrets(copy.deepcopy(MODULE_RESULT), held)
    assert result['access_keys']['kept']['access_key_secret'] == 'k-secret'
    assert result['access_keys']['new']['access_key_secret'] == 'n-secret'
    assert 'access_key_secret' not in result['access_keys']['would']
    assert 'access_key_secret' not in result['access_keys']['unheld']
