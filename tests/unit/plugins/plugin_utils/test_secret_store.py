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
    StoreError,
    StoreLock,
    held_from_store,
    parse_store,
    put_entries,
    read_store,
    remove_entries,
    render_store,
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
    parsed = parse_store(render_store(entries), 'p')
    assert [(e['user_name'], e['access_key_id']) for e in parsed] == [('u', 'K1'), ('u', 'K2'), ('v', 'K3')]


class TaggedText(str):
    """Like AnsibleUnsafeText before ansible-core 2.19: a str subclass whose __str__ returns itself."""

    def __str__(self):  # pylint: disable=invalid-str-returned
        return self


def test_render_takes_strings_tagged_by_the_play():
    tagged = dict((name, TaggedText(value)) for name, value in entry().items())
    assert parse_store(render_store([tagged]), 'p') == [entry()]


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
    assert read_store(path, fake_decrypt, fake_is_encrypted) == [entry()]


def test_failed_encryption_leaves_the_old_store_and_no_temp_file(tmp_path):
    path = str(tmp_path / 'store.yml')
    write_store(path, [entry()], fake_encrypt)

    def broken(plaintext):
        raise RuntimeError('no vault')

    with pytest.raises(RuntimeError):
        write_store(path, [entry(key_id='K2')], broken)
    assert read_store(path, fake_decrypt, fake_is_encrypted) == [entry()]
    assert os.listdir(str(tmp_path)) == ['store.yml']


def test_missing_or_empty_store_is_empty_and_plain_text_is_refused(tmp_path):
    path = str(tmp_path / 'store.yml')
    assert read_store(path, fake_decrypt, fake_is_encrypted) == []
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
