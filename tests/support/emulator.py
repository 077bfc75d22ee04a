# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the RAM/STS emulator as a subprocess and drive its admin API (tests and benchmarks).

The admin API (/_emulator/...) needs the token the emulator writes to its admin token file at start, in the
X-Emulator-Token header: Emulator.admin() sends it; Emulator.admin_headers() gives it to other clients
(ansible.builtin.uri tasks, for example).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def read_env_file(path):
    """Parse the KEY=value lines of the emulator's key files (optionally prefixed by `export`)."""
    values = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith('#') or '=' not in line:
                continue
            if line.startswith('export '):
                line = line[len('export '):]
            key, value = line.split('=', 1)
            values[key.strip()] = shlex.split(value)[0] if value.strip() else ''
    return values


def deployed_keys(files, hosts):
    """{(host, user): key id} of the env files ``files/<host>/<user>.env`` that hold a key (``hosts``: {host: [user]};
    revoke removes our lines, not the file)."""
    found = {}
    for host, users in hosts.items():
        for user in users:
            path = files / host / ('%s.env' % user)
            key_id = read_env_file(str(path)).get('ALIBABA_CLOUD_ACCESS_KEY_ID') if path.exists() else None
            if key_id:
                found[(host, user)] = key_id
    return found


def key_statuses(emulator, user):
    """{key id: status} of the user's keys in the emulator's latest state."""
    keys = emulator.state()['access_keys']
    return dict((key['AccessKeyId'], key['Status']) for key in (keys.values() if isinstance(keys, dict) else keys)
                if key['owner'] == user)


# RAM is eventually consistent, so the test suite's emulators show a write to reads (and a new key to STS) only this
# many seconds later; ALIYUN_RAM_TEST_PROPAGATION_DELAY overrides it (0: at once). Benchmarks run without it.
SUITE_PROPAGATION_DELAY = float(os.environ.get('ALIYUN_RAM_TEST_PROPAGATION_DELAY', '0.2'))


class Emulator:
    """One `ram-emulator` process on a free port, with its state and key files in a private directory."""

    def __init__(self, host='127.0.0.1', extra_args=(), state_dir=None, prefix=(), verbose=False, propagation_delay=0.0):
        self.host = host
        # verbose (--verbose): one log line per request, for the leak scans of the tests (benchmarks go without)
        self.extra_args = (['--verbose'] if verbose else []) + list(extra_args)
        if propagation_delay:
            self.extra_args += ['--propagation-delay', str(propagation_delay)]
        self.prefix = list(prefix)      # e.g. ip netns exec NAME: run it in a network namespace
        self.state_dir = state_dir or tempfile.mkdtemp(prefix='ram-emulator-')
        self.process = None
        self.port = None
        self.root_env = {}
        self.admin_env = {}
        self._admin_token = None

    @property
    def endpoint(self):
        return '%s:%d' % (self.host, self.port)

    @property
    def admin_url(self):
        return 'http://%s/_emulator' % self.endpoint

    @property
    def admin_token_file(self):
        return os.path.join(self.state_dir, 'admin.token')

    def start(self, timeout=30.0):
        port_file = os.path.join(self.state_dir, 'port')
        if os.path.exists(port_file):
            os.unlink(port_file)
        self._admin_token = None
        cmd = [sys.executable, '-m', 'ram_emulator', '--host', self.host, '--port', '0', '--port-file', port_file,
               '--state', os.path.join(self.state_dir, 'state.json'),
               '--root-key-file', os.path.join(self.state_dir, 'root.env'),
               '--admin-key-file', os.path.join(self.state_dir, 'admin.env'),
               '--admin-token-file', self.admin_token_file] + self.extra_args
        cmd = self.prefix + cmd
        log = open(os.path.join(self.state_dir, 'emulator.log'), 'ab')  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # pylint: disable=consider-using-with
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('ram-emulator exited with %s; log: %s' % (self.process.returncode, self.log_text()[-4000:]))
            try:
                with open(port_file, encoding='utf-8') as handle:
                    text = handle.read().strip()
                if text:
                    self.port = int(text)
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError('ram-emulator did not start within %ss; log: %s' % (timeout, self.log_text()[-4000:]))
        self.root_env = read_env_file(os.path.join(self.state_dir, 'root.env'))
        self.admin_env = read_env_file(os.path.join(self.state_dir, 'admin.env'))
        return self

    @property
    def log_path(self):
        return os.path.join(self.state_dir, 'emulator.log')

    def log_text(self):
        """The emulator's whole log (the leak scans read all of it; failure messages take their own tail)."""
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except FileNotFoundError:
            return ''

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Admin API -------------------------------------------------------------------------------
    @property
    def admin_token(self):
        """The admin API token of the running emulator (a new one at every start), read from its token file."""
        if self._admin_token is None:
            with open(self.admin_token_file, encoding='utf-8') as handle:
                self._admin_token = handle.read().strip()
        return self._admin_token

    def admin_headers(self):
        """The headers every admin API request needs (a secret of the test run: keep it out of reports)."""
        return {'X-Emulator-Token': self.admin_token}

    def admin(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        headers = dict(self.admin_headers(), **{'Content-Type': 'application/json'})
        request = urllib.request.Request('%s/%s' % (self.admin_url, path), data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def counters(self):
        return self.admin('GET', 'counters')

    def reset_counters(self):
        return self.admin('POST', 'counters/reset', {})

    def reset(self):
        return self.admin('POST', 'reset', {})

    def set_faults(self, **faults):
        return self.admin('POST', 'faults', faults)

    def clear_faults(self):
        return self.admin('DELETE', 'faults')

    def secrets(self):
        """Every AccessKey secret, STS secret and token, and ECS metadata token the emulator ever issued."""
        return self.admin('GET', 'secrets')['secrets']

    def all_secrets(self):
        """What a leak scan looks for: every secret the emulator issued, and its admin API token."""
        return self.secrets() + [self.admin_token]

    def state(self):
        return self.admin('GET', 'state')

    def ram_client(self, identity='admin'):
        """An official SDK RAM client signing with the identity's key (admin: ram-admin, else the root key)."""
        from alibabacloud_ram20150501.client import Client  # pylint: disable=import-outside-toplevel
        from alibabacloud_tea_openapi.utils_models import Config  # pylint: disable=import-outside-toplevel
        env = self.env_for(identity)
        return Client(Config(access_key_id=env['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                             access_key_secret=env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                             endpoint=self.endpoint, protocol='http'))

    def env_for(self, identity='admin'):
        """Environment variables that point the collection's modules at this emulator."""
        source = self.admin_env if identity == 'admin' else self.root_env
        return {
            'ALIBABA_CLOUD_ACCESS_KEY_ID': source['ALIBABA_CLOUD_ACCESS_KEY_ID'],
            'ALIBABA_CLOUD_ACCESS_KEY_SECRET': source['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
            'ALIBABA_CLOUD_RAM_ENDPOINT': 'http://' + self.endpoint,
            'ALIBABA_CLOUD_STS_ENDPOINT': 'http://' + self.endpoint,
            'ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT': 'http://' + self.endpoint,
            'ALIBABA_CLOUD_KMS_ENDPOINT': 'http://' + self.endpoint,
        }
