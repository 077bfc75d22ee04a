# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Leak scans: no secret a test created or was given may appear in any output, log or file a run left behind.

A LeakGuard knows every secret of a test session: the ones the emulator issued (AccessKey secrets, STS secrets and
tokens, ECS metadata tokens, its admin API token), read fresh at every scan, and the ones the tests add themselves
(vault passwords, secrets passed to modules, a live account's key). Each run scans its own output, its ansible log,
every file left under its temporary directories and the emulator's whole log as soon as it ends, so a scan never
depends on which test ran first. Messages count leaks and name where they are; they never show a secret.
"""

from __future__ import annotations

import os
import stat

VAULT_HEADER = b'$ANSIBLE_VAULT;'
# shorter values (a test's "x" or "1") would match by accident; every real secret is far longer
MIN_SECRET_LENGTH = 8


class LeakGuard:
    """The secrets to look for, and the scans."""

    def __init__(self, *sources):
        # callables returning lists of secrets, read at every scan (the emulator issues new ones all the time)
        self._sources = list(sources)
        self._static = set()

    def add(self, *secrets):
        """Secrets a test made or was given (vault passwords, secrets it passes to modules)."""
        self._static.update(str(secret) for secret in secrets if secret)
        return self

    def add_source(self, source):
        self._sources.append(source)
        return self

    def secrets(self):
        found = set(self._static)
        for source in self._sources:
            found.update(str(secret) for secret in source() if secret)
        return sorted(secret for secret in found if len(secret) >= MIN_SECRET_LENGTH)

    def leaks_in_text(self, text, secrets=None):
        """How many of the secrets appear in ``text`` (bytes or str)."""
        secrets = self.secrets() if secrets is None else secrets
        if isinstance(text, bytes):
            return sum(1 for secret in secrets if secret.encode('utf-8') in text)
        return sum(1 for secret in secrets if secret in text)

    def assert_clean(self, text, where, secrets=None):
        leaked = self.leaks_in_text(text, secrets)
        assert not leaked, '%d secret(s) of the test session appear in %s' % (leaked, where)

    def assert_files_clean(self, *roots, secrets=None, allowed=()):
        """Every regular file under ``roots`` (recursively, symbolic links not followed), except ``allowed`` paths."""
        secrets = self.secrets() if secrets is None else secrets
        allowed = {os.path.realpath(str(path)) for path in allowed}
        problems = []
        for path in files_under(*roots):
            if os.path.realpath(path) in allowed:
                continue
            with open(path, 'rb') as handle:
                leaked = self.leaks_in_text(handle.read(), secrets)
            if leaked:
                problems.append('%s (%d)' % (path, leaked))
        assert not problems, 'secret(s) of the test session in files left on disk: %s' % ', '.join(problems)

    def mask(self, text):
        """``text`` with every known secret replaced by ********, for assertion messages."""
        for secret in self.secrets():
            text = text.replace(secret, '********')
        return text


def files_under(*roots):
    """Paths of the regular files under each root (a root that is a file is itself; a missing root has none)."""
    for root in roots:
        root = str(root)
        if os.path.isfile(root) and not os.path.islink(root):
            yield root
            continue
        for directory, dummy, names in os.walk(root):
            for name in names:
                path = os.path.join(directory, name)
                if stat.S_ISREG(os.lstat(path).st_mode):
                    yield path


def assert_vault_encrypted(path):
    """The file is ansible-vault encrypted (header line, then only the hex body) and readable by its owner only."""
    with open(str(path), 'rb') as handle:
        data = handle.read()
    lines = data.splitlines()
    assert lines and lines[0].startswith(VAULT_HEADER), '%s is not ansible-vault encrypted' % path
    assert all(line and set(line) <= set(b'0123456789abcdef') for line in lines[1:]), \
        '%s has more than the vault header and its hex body' % path
    mode = stat.S_IMODE(os.stat(str(path)).st_mode)
    assert mode & 0o077 == 0, '%s has mode %04o: readable by others than its owner' % (path, mode)
