# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's credential file holds Jinja, binary garbage or something unparseable: that host fails alone.

The provision role reads the key ids and secrets the hosts hold and uses them on the controller. What a host
holds is data: a Jinja expression in it is never evaluated (each one here would run a `pipe` lookup that
creates a marker file), and a value that cannot be a key fails only the host holding it, with a message naming
the host and the file, while every other host of the play converges.

Pseudo-hosts with a local connection, one directory per host (as in test_90_concurrent_provision).
"""

from __future__ import annotations

import json
import re

import yaml

from tests.support.playbook import REPO_ROOT, user_keys
from tests.support.faults import failure_text

USER = 'hostile-user'
GOOD = 'hostile-good'
ID_VAR, SECRET_VAR = 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'


def pipe_touch(marker):
    return "{{ lookup('pipe', 'touch %s') }}" % marker


def hostile_files(markers):
    """{host: bytes of its env file}: each value would do harm if templated, or cannot be a key at all."""
    return {
        # Jinja in the key id and in the secret
        'hostile-jinja': ('%s=%s\n%s=%s\n' % (ID_VAR, pipe_touch(markers[0]), SECRET_VAR, pipe_touch(markers[1]))).encode(),
        # a well-formed key id, and a secret that opens a raw block and calls a lookup: templating it would either
        # break with a syntax error (for every host, in a run_once task) or run the lookup
        'hostile-raw': ('%s=LTAI5tHostileRawRawRaw00\n%s={%% raw %%}%s\n'
                        % (ID_VAR, SECRET_VAR, pipe_touch(markers[2]))).encode(),
        # a Jinja statement as the key id, a plausible secret
        'hostile-statement': ("%s={%% set x = lookup('pipe', 'touch %s') %%}\n%s=hostileSecretHostileSecret00\n"
                              % (ID_VAR, markers[3], SECRET_VAR)).encode(),
        # not UTF-8
        'hostile-binary': b'\x00\xff\xfe\x80garbage\x9c\n' + SECRET_VAR.encode() + b'=\xc3\x28\n',
        # UTF-8 that parses as NAME=value, with control characters in both values
        'hostile-control': ('%s=LTAI\x1b[31m\x07x\n%s=sec\x00ret\n' % (ID_VAR, SECRET_VAR)).encode(),
        # not an env file at all
        'hostile-unparseable': b'this line is neither NAME=value nor a comment\n',
    }


def read_env(path):
    return dict(line.split('=', 1) for line in path.read_text().splitlines() if '=' in line)


def failure_messages(output, host):
    """The msg of every `fatal: [host]: FAILED! => {...}` result of ``host`` (the JSON block of -vvvv)."""
    messages = []
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith('fatal: [%s]: FAILED! => {' % host):
            block = ['{']
            for following in lines[index + 1:]:
                block.append(following)
                if following == '}':
                    break
            messages.append(json.loads('\n'.join(block)).get('msg', ''))
    return messages


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    found = {}
    for host, counters in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', output, re.M):
        found[host] = dict((name, int(value)) for name, value in re.findall(r'(\w+)=(\d+)', counters))
    return found


class Hosts:
    """One good host with no credential file yet, and one host per hostile file; all use the same RAM user."""

    def __init__(self, tmp_path):
        self.markers = [tmp_path / ('evaluated-%d' % index) for index in range(4)]
        self.files = hostile_files(self.markers)
        self.dirs = {host: tmp_path / host for host in [GOOD] + sorted(self.files)}
        for host, directory in self.dirs.items():
            directory.mkdir()
            if host in self.files:
                path = directory / 'app.env'
                path.write_bytes(self.files[host])
                path.chmod(0o600)
        inventory = {'all': {
            'vars': {'ansible_connection': 'local', 'provision_users': [{'name': USER}]},
            'hosts': {host: {'provision_credentials': [
                {'user': USER, 'files': [{'format': 'env', 'path': str(directory / 'app.env')}]}]}
                for host, directory in self.dirs.items()},
        }}
        self.inventory = tmp_path / 'inventory.yml'
        self.inventory.write_text(yaml.safe_dump(inventory))

    def path(self, host):
        return self.dirs[host] / 'app.env'

    def assert_nothing_evaluated_and_good_host_converged(self, run, emu):
        assert [marker.name for marker in self.markers if marker.exists()] == [], \
            'a Jinja expression read from a host was evaluated'
        assert recap(run.output).get(GOOD, {}).get('failed') == 0, failure_text(run, emu)
        deployed = read_env(self.path(GOOD))
        assert user_keys(emu.state()).get(USER) == [deployed[ID_VAR]], 'the good host did not converge on the one key'
        assert deployed[SECRET_VAR] in emu.secrets()
        for host, content in self.files.items():
            assert self.path(host).read_bytes() == content, 'the file of %s was changed' % host


def create_user(emu, name):
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    emu.ram_client().create_user(models.CreateUserRequest(user_name=name))


def provision_plays():
    return yaml.safe_load((REPO_ROOT / 'playbooks' / 'provision.yml').read_text())


def test_hostile_files_of_a_user_created_now_are_written_over_or_fail_their_host_and_are_never_evaluated(ansible, emu, tmp_path):
    """A user that this run creates has no key, so its files are not read: they are written. What they held is never
    evaluated; a file that parses gets the new key, one that cannot be merged fails its host alone, naming the file."""
    hosts = Hosts(tmp_path)

    run = ansible.run('hostile-file-new-user', provision_plays(), inventory=str(hosts.inventory))

    assert [marker.name for marker in hosts.markers if marker.exists()] == [], 'a Jinja expression from a host was evaluated'
    counters = recap(run.output)
    key_ids = user_keys(emu.state()).get(USER)
    assert len(key_ids) == 1, key_ids
    outcome = {}
    for host in [GOOD] + sorted(hosts.files):
        if counters.get(host, {}).get('failed'):
            messages = failure_messages(run.output, host)
            assert any(str(hosts.path(host)) in message for message in messages), (host, messages)
            assert hosts.path(host).read_bytes() == hosts.files[host], 'the file of %s was changed' % host
            outcome[host] = 'failed'
        else:
            assert read_env(hosts.path(host))[ID_VAR] == key_ids[0], host
            outcome[host] = 'written'
    assert outcome == {GOOD: 'written', 'hostile-jinja': 'written', 'hostile-raw': 'written', 'hostile-statement': 'written',
                       'hostile-control': 'written', 'hostile-binary': 'failed', 'hostile-unparseable': 'failed'}, \
        (outcome, failure_text(run, emu))


def test_hostile_held_file_fails_only_its_host_and_is_never_evaluated(ansible, emu, tmp_path):
    """Fails without the fix because a key id or secret read from a host went on unchecked to the controller step:
    ram_access_keys (run once for the whole play) refused the hostile value and the play stopped for every host, so
    the good host never got its key; and an unparseable file failed its host with the message hidden by no_log (no
    host, no file). The marker files guard against any path that evaluates a value read from a host."""
    hosts = Hosts(tmp_path)
    # the user exists (without a key), so what the hosts hold could be its key and is read
    create_user(emu, USER)

    run = ansible.run('hostile-held-file', provision_plays(), inventory=str(hosts.inventory))

    hosts.assert_nothing_evaluated_and_good_host_converged(run, emu)
    counters = recap(run.output)
    for host in hosts.files:
        assert counters.get(host, {}).get('failed') == 1, '%s did not fail: %s' % (host, failure_text(run, emu))
        messages = failure_messages(run.output, host)
        assert any(host in message and str(hosts.path(host)) in message for message in messages), \
            'no failure of %s names the host and its file: %r\n%s' % (host, messages, failure_text(run, emu))


def test_hostile_held_file_outside_the_play_is_reported_and_not_used(ansible, emu, tmp_path):
    """The play runs on the good host only (as with --limit); the hostile hosts' files are read by delegation.
    Fails without the fix because those reads went unchecked into the held keys of the controller step, which then
    refused them and failed the run; with it, each unusable file is reported by host and file, and not used."""
    hosts = Hosts(tmp_path)
    create_user(emu, USER)

    run = ansible.run('hostile-held-file-outside', provision_plays(), inventory=str(hosts.inventory),
                      extra_vars={'aliyun_ram_hosts': GOOD})

    assert run.returncode == 0, failure_text(run, emu)
    hosts.assert_nothing_evaluated_and_good_host_converged(run, emu)
    for host in hosts.files:
        assert re.search(r'host %s, credential file %s \(user %s\): ' % (host, re.escape(str(hosts.path(host))), USER),
                         run.output), 'the unusable file of %s is not reported: %s' % (host, failure_text(run, emu))
