# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/docsite/rst/guide_quickstart.rst, followed step by step, so that the quickstart cannot drift from what works.

The guide's code blocks are read in order: console blocks give the commands (after ``$``), YAML blocks the files
named by their first line (``# hosts.yml``, ``# group_vars/web.yml``), written into ``inventory/`` of a working
directory. The commands run in that directory through bash, one after the other, with the environment each one
leaves (``set -a; . ./admin.env``, ``export``), on the three test hosts the guide's ``hosts.yml`` names (network
namespaces with sshd, ``tests/hosts/hostctl``; needs root, skipped visibly otherwise). Run it under the machine's
test-host lock, like every user of the test hosts.

What is not run literally, and why:

- ``./scripts/demo.sh`` (the first step) is not run: it builds the same hosts and runs ``provision.yml`` with the
  same inventory twice, which the next step does here (the YAML the guide shows must be the demo inventory, data for
  data). No other test runs the script itself.
- The web servers' files belong to the user ``app``: it is created on them before the first run, as demo.sh does.
  The test hosts' SSH key and options come from the environment (ANSIBLE_PRIVATE_KEY_FILE), as in demo.sh.
- "Use it with a real account" runs against a second emulator standing in for Alibaba Cloud: the ``...`` of the
  ``export`` are its RAM user's key, and ``unset ALIBABA_CLOUD_RAM_ENDPOINT ALIBABA_CLOUD_STS_ENDPOINT`` is replaced
  by its endpoints. ``ansible-galaxy collection install aliyun.ram`` installs the artifact built from this checkout
  (Galaxy is not reachable), into the ``~/.ansible/collections`` of a temporary HOME; ``pip install -r`` runs with
  ``--dry-run`` and no index (it must find every requirement installed, and never changes the virtualenv).
- Step 5's "add a host to a group later" is an edit of ``hosts.yml``: web3 joins group web.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.support.emulator import Emulator, read_env_file
from tests.support.fixtures import fresh
from tests.support.playbook import REPO_ROOT, PlaybookRunner, user_keys

GUIDE = REPO_ROOT / 'docs' / 'docsite' / 'rst' / 'guide_quickstart.rst'
DEMO_INVENTORY = REPO_ROOT / 'playbooks' / 'inventory' / 'demo'
HOSTCTL = REPO_ROOT / 'tests' / 'hosts' / 'hostctl'
NEW_HOST, NEW_HOST_IP = 'web3', '10.99.7.14'
SSH_OPTIONS = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
               '-o', 'BatchMode=yes']

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which('ip') is None,
                                reason='the quickstart runs on test hosts: needs root and iproute2 (tests/hosts/hostctl)')


# The guide ------------------------------------------------------------------------------------------------------

def guide_sections(text):
    """[(section title, [(kind, body)])] of the guide's code blocks, in order."""
    lines = text.splitlines()
    sections, title = [], None
    index = 0
    while index < len(lines):
        line = lines[index]
        if index + 1 < len(lines) and re.match(r'^-{3,}$', lines[index + 1]) and line.strip():
            title = line.strip()
            sections.append((title, []))
        match = re.match(r'^(\s*)\.\. code-block:: (\w+)\s*$', line)
        if match:
            indent, body = len(match.group(1)), []
            index += 1
            while index < len(lines) and (not lines[index].strip() or
                                          len(lines[index]) - len(lines[index].lstrip()) > indent):
                body.append(lines[index])
                index += 1
            body_lines = [item for item in body if item.strip()]
            margin = min(len(item) - len(item.lstrip()) for item in body_lines)
            sections[-1][1].append((match.group(2), '\n'.join(item[margin:] for item in body).strip('\n') + '\n'))
            continue
        index += 1
    return sections


def commands(body):
    """The commands of a console block: the lines after ``$ ``, continuation lines joined."""
    found, current = [], None
    for line in body.splitlines():
        if line.startswith('$ '):
            current = line[2:]
            found.append(current)
        elif current is not None and found[-1].rstrip().endswith('\\'):
            found[-1] = found[-1].rstrip()[:-1].rstrip() + ' ' + line.strip()
    return found


def yaml_file(body):
    """(file name, text) of a YAML block whose first line names its file."""
    first, dummy, rest = body.partition('\n')
    match = re.match(r'^# ([\w./-]+\.yml)$', first.strip())
    assert match, 'a YAML block of the quickstart does not start with "# <file>.yml": %r' % first
    return match.group(1), rest


# The working directory, its shell and the test hosts --------------------------------------------------------------

class Shell:
    """Commands run one after the other by bash in ``cwd``, each with the environment the previous one left."""

    def __init__(self, cwd, env, guard):
        self.cwd, self.env, self.guard = cwd, dict(env), guard
        self.env_file = cwd.parent / 'shell.env'

    def run(self, command, expect=0):
        script = 'set -e\n%s\nenv -0 > "$QUICKSTART_ENV_FILE"\n' % command
        proc = subprocess.run(['bash', '-c', script], cwd=str(self.cwd), env=dict(self.env, QUICKSTART_ENV_FILE=str(
            self.env_file)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        self.guard.assert_clean(proc.stdout, 'the output of %r' % command)
        assert proc.returncode == expect, '%r exited %d:\n%s' % (command, proc.returncode, self.guard.mask(proc.stdout[-6000:]))
        if proc.returncode == 0:
            pairs = [item.split('=', 1) for item in self.env_file.read_text().split('\0') if '=' in item]
            self.env = dict((key, value) for key, value in pairs if key != 'QUICKSTART_ENV_FILE')
        return proc.stdout


def hostctl(*args):
    subprocess.run([str(HOSTCTL)] + list(args), check=True, stdout=subprocess.DEVNULL)


def fresh_hosts(hosts):
    """The hosts rebuilt from the image (nothing left from an earlier run), with the user ``app`` on the web servers."""
    for name, address in hosts.items():
        hostctl('down', name)
        hostctl('up', name, address)


def on_host(address, command):
    key = subprocess.run([str(HOSTCTL), 'key'], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    proc = subprocess.run(['ssh', '-i', key] + SSH_OPTIONS + ['root@%s' % address, command], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return proc.stdout


def key_ids_on(address):
    """The AccessKey IDs in the demo's files on a host (the lines with the id only: never a secret)."""
    text = on_host(address, "grep -h -e '^ALIBABA_CLOUD_ACCESS_KEY_ID=' -e '^accessKeyID' /etc/demo-app/aliyun.env "
                            "/root/.ossutilconfig 2>/dev/null || true")
    return set(line.split('=', 1)[1].strip() for line in text.splitlines() if '=' in line)


def recap_changed(output):
    return dict((parts[0], int(parts[3].split('=')[1])) for parts in (line.split() for line in output.splitlines())
                if len(parts) > 3 and parts[1] == ':' and parts[3].startswith('changed='))


class RunningEmulator(Emulator):
    """The emulator the guide's command started (its admin API: endpoint from admin.env, token next to root.env)."""

    def __init__(self, directory):
        super().__init__(state_dir=str(directory))
        endpoint = read_env_file(str(directory / 'admin.env'))['ALIBABA_CLOUD_RAM_ENDPOINT']
        self.host, port = endpoint.split('//')[-1].rsplit(':', 1)
        self.port = int(port)


# The test ---------------------------------------------------------------------------------------------------------

def test_the_quickstart_as_written(emulator, leak_guard, tmp_path):
    sections = guide_sections(GUIDE.read_text())
    titles = [title for title, blocks in sections]
    assert titles == ['Try it without an account (the demo)', 'Test your own playbooks against the emulator',
                      'Use it with a real account'], titles
    demo, own, real = (blocks for title, blocks in sections)
    work = tmp_path / 'work'
    (work / 'inventory').mkdir(parents=True)
    runner = PlaybookRunner(tmp_path, leak_guard)
    env = runner.env({'ANSIBLE_PRIVATE_KEY_FILE': subprocess.run(
        [str(HOSTCTL), 'key'], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout.strip(),
        'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=60s ' + ' '.join(SSH_OPTIONS),
        'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH']})
    env.pop('ANSIBLE_PYTHON_INTERPRETER')    # the inventory names the hosts' Python; the controller's is ansible's own
    shell = Shell(work, env, leak_guard)

    # 1. The demo: its command (not run, see above), and the inventory it shows, which must be the demo's
    assert [commands(body) for kind, body in demo if kind == 'console'] == [['./scripts/demo.sh']]
    shown = dict(yaml_file(body) for kind, body in demo if kind == 'yaml')
    demo_files = sorted(str(path.relative_to(DEMO_INVENTORY)) for path in DEMO_INVENTORY.rglob('*.yml'))
    assert sorted(shown) == demo_files
    for name, text in shown.items():
        assert yaml.safe_load(text) == yaml.safe_load((DEMO_INVENTORY / name).read_text()), name
        (work / 'inventory' / name).parent.mkdir(parents=True, exist_ok=True)
        (work / 'inventory' / name).write_text(text)
    hosts = dict((name, spec['ansible_host']) for group in yaml.safe_load(shown['hosts.yml'])['all']['children'].values()
                 for name, spec in group['hosts'].items())
    assert sorted(hosts) == ['batch1', 'web1', 'web2']
    prepare = 'ansible web -i inventory -m ansible.builtin.user -a name=app'

    # 2. Your own playbooks against the emulator: started by its command, the job run with its key
    assert [kind for kind, body in own] == ['console', 'console']
    start, run_it = (commands(body) for kind, body in own)
    assert len(start) == 1 and start[0].startswith('ram-emulator ') and not start[0].endswith('&')
    fresh_hosts(hosts)
    shell.run(prepare)
    process = subprocess.Popen(['bash', '-c', 'exec ' + start[0]], cwd=str(work), env=shell.env,  # pylint: disable=consider-using-with
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    try:
        banner = []
        for line in process.stdout:     # the key files are written before the banner ends with the token file
            banner.append(line)
            if 'admin API token file' in line:
                break
        assert process.poll() is None, ''.join(banner)
        own_emulator = RunningEmulator(work)
        leak_guard.add(*own_emulator.all_secrets())
        assert run_it == ['set -a; . ./admin.env; set +a      # a RAM user\'s key (ram-admin) and the emulator\'s endpoints',
                          'ansible-playbook -i inventory aliyun.ram.provision']
        for command in run_it:
            shell.run(command)
        users = dict((user, keys) for user, keys in user_keys(own_emulator.state()).items() if user.startswith('demo-'))
        # declared where they are used: no demo-batch-web1/web2 for the web servers
        assert sorted(users) == ['demo-batch-batch1', 'demo-web'] and all(len(keys) == 1 for keys in users.values())
        assert key_ids_on(hosts['web1']) == key_ids_on(hosts['web2']) == set(users['demo-web'])
        assert key_ids_on(hosts['batch1']) == set(users['demo-batch-batch1'])
        leak_guard.add(*own_emulator.all_secrets())
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()

    # 3. A real account (the session's emulator stands in for it), with the collection as an operator installs it
    fresh(emulator)
    fresh_hosts(hosts)
    shell.run(prepare)
    install, credentials, first, again, limited = (commands(body) for kind, body in real)
    artifacts = tmp_path / 'dist'
    subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy'), 'collection', 'build',
                    '--output-path', str(artifacts), str(REPO_ROOT)], check=True, stdout=subprocess.DEVNULL)
    tarball = str(next(artifacts.glob('aliyun-ram-*.tar.gz')))
    home = tmp_path / 'home'
    home.mkdir()
    shell.env['HOME'] = str(home)
    shell.env.pop('ANSIBLE_COLLECTIONS_PATH')   # from now on the installed copy, in ~/.ansible/collections
    assert install == ['ansible-galaxy collection install aliyun.ram',
                       'pip install -r ~/.ansible/collections/ansible_collections/aliyun/ram/meta/ee-requirements.txt']
    shell.run(install[0].replace('aliyun.ram', tarball))
    assert (home / '.ansible' / 'collections' / 'ansible_collections' / 'aliyun' / 'ram' / 'MANIFEST.json').is_file()
    shell.env['PIP_NO_INDEX'] = '1'
    assert 'Would install' not in shell.run(install[1] + ' --dry-run')
    del shell.env['PIP_NO_INDEX']

    assert credentials == ['export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...',
                           'unset ALIBABA_CLOUD_RAM_ENDPOINT ALIBABA_CLOUD_STS_ENDPOINT']
    stand_in = emulator.env_for('admin')
    shell.env.update(QUICKSTART_KEY_ID=stand_in['ALIBABA_CLOUD_ACCESS_KEY_ID'],
                     QUICKSTART_KEY_SECRET=stand_in['ALIBABA_CLOUD_ACCESS_KEY_SECRET'])
    shell.run(credentials[0].replace('ALIBABA_CLOUD_ACCESS_KEY_ID=...', 'ALIBABA_CLOUD_ACCESS_KEY_ID="$QUICKSTART_KEY_ID"')
              .replace('ALIBABA_CLOUD_ACCESS_KEY_SECRET=...', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET="$QUICKSTART_KEY_SECRET"'))
    assert shell.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] == stand_in['ALIBABA_CLOUD_ACCESS_KEY_ID']
    shell.env.update((name, stand_in[name]) for name in ('ALIBABA_CLOUD_RAM_ENDPOINT', 'ALIBABA_CLOUD_STS_ENDPOINT'))

    assert first == ['ansible-playbook -i inventory aliyun.ram.provision --check --diff',
                     'ansible-playbook -i inventory aliyun.ram.provision']
    emulator.reset_counters()
    shell.run(first[0])
    assert emulator.counters()['writes'] == 0 and key_ids_on(hosts['web1']) == set()
    assert not [user for user in user_keys(emulator.state()) if user.startswith('demo-')]
    shell.run(first[1])
    users = dict((user, keys) for user, keys in user_keys(emulator.state()).items() if user.startswith('demo-'))
    assert sorted(users) == ['demo-batch-batch1', 'demo-web']
    assert key_ids_on(hosts['web1']) == key_ids_on(hosts['web2']) == set(users['demo-web'])

    # 4. again: nothing changes, no write call
    assert again == ['ansible-playbook -i inventory aliyun.ram.provision']
    emulator.reset_counters()
    assert set(recap_changed(shell.run(again[0])).values()) == {0}
    assert emulator.counters()['writes'] == 0

    # 5. web3 joins group web: it gets the key web1 and web2 hold, and no key is made
    assert limited == ['ansible-playbook -i inventory aliyun.ram.provision --limit %s' % NEW_HOST]
    inventory = yaml.safe_load((work / 'inventory' / 'hosts.yml').read_text())
    inventory['all']['children']['web']['hosts'][NEW_HOST] = {'ansible_host': NEW_HOST_IP}
    (work / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    fresh_hosts({NEW_HOST: NEW_HOST_IP})
    shell.run(prepare + ' --limit %s' % NEW_HOST)
    emulator.reset_counters()
    shell.run(limited[0])
    assert emulator.counters()['writes'] == 0
    assert key_ids_on(NEW_HOST_IP) == set(users['demo-web'])
    assert dict((user, keys) for user, keys in user_keys(emulator.state()).items() if user.startswith('demo-')) == users


@pytest.fixture(autouse=True)
def _hosts_down():
    """Stop the test hosts this test started, whatever happened (and the bridge, unless other hosts use it)."""
    yield
    for args in [('down', name) for name in ('web1', 'web2', 'batch1', NEW_HOST)] + [('bridge-down',)]:
        subprocess.run([str(HOSTCTL)] + list(args), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
