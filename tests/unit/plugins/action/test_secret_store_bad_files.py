# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""aliyun.ram.secret_store through ansible-playbook with a store or lock file that is not what it should be: the
task fails with a message naming the file, without a traceback, without store content, and touching nothing.

No RAM call is made (the store is opened, not reconciled), so no emulator is needed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

from ansible.parsing.vault import VaultLib, VaultSecret

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
VAULT_PASSWORD = 'unit-test-vault-password'
SECRET = 'storeSecretNotUtf8Secret0001'

PLAYBOOK = textwrap.dedent('''\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Open the store
          aliyun.ram.secret_store:
            secret_store:
              path: "{{ store }}"
          register: opened
          ignore_errors: true

        - name: Report what the task said
          ansible.builtin.copy:
            dest: "{{ report }}"
            mode: "0600"
            content: "{{ {'failed': opened.failed | default(false), 'msg': opened.msg | default('')} | to_json }}"
''')


def run_playbook(tmp_path):
    (tmp_path / 'playbook.yml').write_text(PLAYBOOK)
    (tmp_path / 'vault-password').write_text(VAULT_PASSWORD + '\n')
    report = tmp_path / 'report.json'
    env = dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(tmp_path / 'vault-password'), ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
    extra = json.dumps({'store': str(tmp_path / 'store.vault.yml'), 'report': str(report),
                        'ansible_python_interpreter': sys.executable})
    process = subprocess.run([ANSIBLE_PLAYBOOK, '-vvv', '-i', 'localhost,', '-c', 'local', str(tmp_path / 'playbook.yml'),
                              '-e', extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=120, check=False)
    assert process.returncode == 0, process.stdout
    return json.loads(report.read_text()), process.stdout


def test_store_not_utf8_after_decryption_fails_naming_the_store(tmp_path):
    """Breaks when the decrypted store is decoded unchecked: the task then dies with an unexpected UnicodeDecodeError
    (a traceback at -vvv, a message naming neither the store nor the problem)."""
    plaintext = ('aliyun_ram_secret_store: 1\naccess_keys:\n- user_name: u\n  access_key_id: LTAI5tK1\n'
                 '  access_key_secret: %s\n' % SECRET).encode() + b'  create_date: \xff\xfe\x80\n'
    secret = VaultSecret(VAULT_PASSWORD.encode())
    store = tmp_path / 'store.vault.yml'
    store.write_bytes(VaultLib([('default', secret)]).encrypt(plaintext, secret=secret))
    before = store.read_bytes()

    result, output = run_playbook(tmp_path)

    assert result['failed'], output
    assert str(store) in result['msg'] and 'not UTF-8' in result['msg'], result['msg']
    assert 'Traceback' not in output and 'UnicodeDecodeError' not in output
    assert SECRET not in output and 'LTAI5tK1' not in output
    assert store.read_bytes() == before


def test_symlink_at_the_lock_path_fails_and_leaves_its_target_alone(tmp_path):
    """Breaks when the lock file is opened following symbolic links: the task then opens and flocks the link's
    target and carries on instead of failing."""
    victim = tmp_path / 'victim'
    victim.write_bytes(b'somebody else\'s file\n')
    victim.chmod(0o640)
    status = victim.stat()
    os.symlink(str(victim), str(tmp_path / 'store.vault.yml.lock'))

    result, output = run_playbook(tmp_path)

    assert result['failed'], output
    assert str(tmp_path / 'store.vault.yml.lock') in result['msg'] and 'symbolic link' in result['msg'], result['msg']
    after = victim.stat()
    assert victim.read_bytes() == b'somebody else\'s file\n'
    assert (stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid, after.st_ino, after.st_mtime_ns) == (
        stat.S_IMODE(status.st_mode), status.st_uid, status.st_gid, status.st_ino, status.st_mtime_ns)
    assert os.readlink(str(tmp_path / 'store.vault.yml.lock')) == str(victim)
    assert not (tmp_path / 'store.vault.yml').exists()


USERS_PLAYBOOK = textwrap.dedent('''\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Put two users' keys
          aliyun.ram.secret_store:
            secret_store: {path: "{{ store }}"}
            access_keys:
              - {user_name: u1, access_key_id: LTAIusersfilter000000001, access_key_secret: "{{ 'a' * 30 }}"}
              - {user_name: u2, access_key_id: LTAIusersfilter000000002, access_key_secret: "{{ 'b' * 30 }}"}
        - name: List one user, as a play reads its users' keys from either backend
          aliyun.ram.secret_store:
            secret_store: {path: "{{ store }}"}
            users: [u2]
          register: listed
        - name: Report
          ansible.builtin.copy:
            dest: "{{ report }}"
            mode: "0600"
            content: "{{ listed.stored | to_json }}"
''')


def test_users_filters_what_the_vault_file_store_lists(tmp_path):
    (tmp_path / 'playbook.yml').write_text(USERS_PLAYBOOK)
    (tmp_path / 'vault-password').write_text(VAULT_PASSWORD + '\n')
    report = tmp_path / 'report.json'
    env = dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(tmp_path / 'vault-password'), ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
    extra = json.dumps({'store': str(tmp_path / 'store.vault.yml'), 'report': str(report),
                        'ansible_python_interpreter': sys.executable})
    process = subprocess.run([ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', str(tmp_path / 'playbook.yml'),
                              '-e', extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=120, check=False)
    assert process.returncode == 0, process.stdout
    assert json.loads(report.read_text()) == [{'user_name': 'u2', 'access_key_id': 'LTAIusersfilter000000002',
                                               'create_date': None}]
