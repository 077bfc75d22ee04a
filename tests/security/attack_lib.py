# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Machinery of the attack suite: real users, privilege drop, filesystem snapshots, the attack cases and
the playbook that runs them.

The rule the cases check (what credential_file must do when root writes for an unprivileged owner):

- A symbolic link is followed only when the link is owned by root and the directory holding it is owned
  by root (system layout such as /bin -> usr/bin, /etc/alternatives). Any other link anywhere in the path,
  including the file itself, stops the module before any change, with an error naming the link and its owner.
- Ownership along the path may pass from root to one user (the file's owner-to-be), never from one user to
  another or from a user back to root; directories writable by group or others are refused unless sticky
  (like /tmp). An existing file must be a regular file with one link (no hard links) owned by root or the
  owner-to-be.
- Missing parent directories are created through their parent's directory fd, mode 0700, owned by the
  owner; if the write then fails they are removed again.
- The aliyun.ram.credentials role writes its template:/dest: entries through credential_file too, so the
  same rule holds for them.

Everything is judged on the filesystem (content, owner, group, mode, inode and link count of every victim,
and every entry under the victim directories and the attacker's home); the module's error is secondary.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import pwd
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
COLLECTIONS_DIR = REPO_ROOT / '.cache' / 'collections'
MODULE_FILE = REPO_ROOT / 'plugins' / 'modules' / 'credential_file.py'
BIN_DIR = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN_DIR, 'ansible-playbook')
PROXY_VARS = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy')

FORMATS = ('aliyun_cli', 'sdk', 'ossutil', 'ossfs', 'env', 'template')
REGION = 'cn-hangzhou'
OSSFS_BUCKET = 'mybucket'

# Where each format's file lives in a home: the default path (no `path` option) for the formats that have one
# there, otherwise the explicit path the task passes.
HOME_FILES = {
    'aliyun_cli': ['.aliyun/config.json'],
    'sdk': ['.alibabacloud/credentials.ini', '.alibabacloud/credentials'],
    'ossutil': ['.ossutilconfig'],
    'ossfs': ['.passwd-ossfs'],
    'env': ['app.env'],
    'template': ['app.conf'],
}
DEFAULT_PATH_FORMATS = ('aliyun_cli', 'sdk', 'ossutil')
BASENAME = {'aliyun_cli': 'config.json', 'sdk': 'credentials.ini', 'ossutil': '.ossutilconfig',
            'ossfs': 'passwd-ossfs', 'env': 'app.env', 'template': 'app.conf'}

# Root-owned files that are not credential files but that each format's parser accepts (so today's code
# really merges into them instead of stopping at a parse error).
ROOT_CONFIG = {
    'aliyun_cli': '{\n\t"service": "billing",\n\t"db_password": "%s"\n}\n',
    'sdk': '[database]\npassword = %s\n',
    'ossutil': '[database]\npassword = %s\n',
    'ossfs': 'root:$y$j9T$%s:19000:0:99999:7:::\n',
    'env': 'DB_PASSWORD=%s\n',
    'template': 'root:$y$j9T$%s:19000:0:99999:7:::\n',
}


def cred_text(fmt, key_id, secret):
    """A credential file of the format holding the profile the tasks write (default / bucket mybucket)."""
    if fmt == 'aliyun_cli':
        return json.dumps({'current': 'default', 'profiles': [
            {'name': 'default', 'mode': 'AK', 'access_key_id': key_id, 'access_key_secret': secret,
             'region_id': REGION, 'output_format': 'json', 'language': 'en'}], 'meta_path': ''}, indent='\t') + '\n'
    return {
        'sdk': '[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n',
        'ossutil': '[Credentials]\nlanguage=EN\nendpoint=oss-%s.aliyuncs.com\naccessKeyID=%%s\naccessKeySecret=%%s\n' % REGION,
        'ossfs': OSSFS_BUCKET + ':%s:%s\n',
        'env': 'ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n',
        'template': '[default]\naccess_key_id = %s\naccess_key_secret = %s\n',
    }[fmt] % (key_id, secret)


TEMPLATE_J2 = ('# rendered by aliyun.ram.credentials\n[default]\naccess_key_id = {{ credentials_access_key_id }}\n'
               'access_key_secret = {{ credentials_access_key_secret }}\n')


def new_key():
    """A unique key pair: the secret is valid for every format and unique per run (for the leak scan)."""
    return 'LTAI5t' + secrets.token_hex(8), 'SeC' + secrets.token_hex(14)


def marker():
    return 'rootmark' + secrets.token_hex(8)


# ---------------------------------------------------------------- users and privilege drop

class User:
    def __init__(self, name):
        entry = pwd.getpwnam(name)
        self.name = name
        self.uid = entry.pw_uid
        self.gid = entry.pw_gid
        self.home = entry.pw_dir
        self.skeleton = set(os.listdir(self.home))

    def __repr__(self):
        return '<User %s uid=%d>' % (self.name, self.uid)


def create_user(prefix):
    name = prefix + secrets.token_hex(4)
    subprocess.run(['useradd', '-m', '-U', '-s', '/bin/sh', name], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return User(name)


def delete_user(name):
    """Remove the user, its group and its home; never fails (finalizer)."""
    try:
        home = pwd.getpwnam(name).pw_dir
    except KeyError:
        return
    subprocess.run(['userdel', '-r', '-f', name], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if home and home not in ('/', '') and os.path.lexists(home):
        remove_entry(home)


def run_as(user, func, *args):
    """Run func(*args) in a forked child that has dropped to the user (no supplementary groups); its JSON result."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)
            os.umask(0o077)
            payload = {'result': func(*args)}
        except BaseException:  # pylint: disable=broad-except
            payload = {'error': traceback.format_exc()}
            code = 1
        try:
            os.write(write_fd, json.dumps(payload).encode())
        finally:
            os._exit(code)  # pylint: disable=protected-access
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    payload = json.loads(b''.join(chunks) or b'{"error": "child died"}')
    if 'error' in payload:
        raise RuntimeError('as %s: %s' % (user.name, payload['error']))
    return payload['result']


def _user_ops(ops):
    """Filesystem operations done by the attacker himself: ('mkdir', path) ('symlink', target, link) ('write',
    path, text) ('hardlink', src, dst) -> list of None / error strings (only hardlink may fail)."""
    results = []
    for op in ops:
        kind = op[0]
        if kind == 'mkdir':
            os.makedirs(op[1], 0o700, exist_ok=True)
            results.append(None)
        elif kind == 'symlink':
            os.symlink(op[1], op[2])
            results.append(None)
        elif kind == 'write':
            fd = os.open(op[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write(op[2])
            results.append(None)
        elif kind == 'hardlink':
            try:
                os.link(op[1], op[2])
                results.append(None)
            except OSError as exc:
                results.append(exc.strerror)
        else:
            raise ValueError(kind)
    return results


# ---------------------------------------------------------------- filesystem snapshots

def entry_of(path):
    """lstat-based description of one entry (never follows a link): type, owner, mode, inode, links, content."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    entry = {'uid': status.st_uid, 'gid': status.st_gid, 'mode': '%04o' % stat.S_IMODE(status.st_mode),
             'ino': status.st_ino, 'nlink': status.st_nlink}
    if stat.S_ISLNK(status.st_mode):
        entry['type'] = 'link'
        entry['target'] = os.readlink(path)
    elif stat.S_ISDIR(status.st_mode):
        entry['type'] = 'dir'
        entry.pop('nlink')  # changes with subdirectories, which the tree shows anyway
    elif stat.S_ISREG(status.st_mode):
        entry['type'] = 'file'
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, 'rb') as handle:
            entry['data'] = handle.read()
    else:
        entry['type'] = 'other'
    return entry


def tree(root):
    """{relative path: entry} for root and, when it is a real directory, everything below it (links not followed)."""
    root = str(root)
    result = {'.': entry_of(root)}
    if result['.'] is None or result['.']['type'] != 'dir':
        return result
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            result[os.path.relpath(path, root)] = entry_of(path)
    return result


def _describe(entry):
    if entry is None:
        return 'absent'
    text = '%s uid=%d gid=%d mode=%s ino=%d' % (entry['type'], entry['uid'], entry['gid'], entry['mode'], entry['ino'])
    if 'nlink' in entry:
        text += ' nlink=%d' % entry['nlink']
    if 'data' in entry:
        text += ' %d bytes sha256:%s' % (len(entry['data']), hashlib.sha256(entry['data']).hexdigest()[:12])
    if 'target' in entry:
        text += ' -> %s' % entry['target']
    return text


def diff_trees(before, after, prefix=''):
    """Human-readable differences (never the content itself) between two tree() results."""
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            lines.append('%s: %s  =>  %s' % (os.path.normpath(os.path.join(prefix, key)),
                                             _describe(before.get(key)), _describe(after.get(key))))
    return lines


def subtree(snapshot, names):
    """The entries of a home snapshot whose first path component is one of names."""
    return {k: v for k, v in snapshot.items() if k.split('/')[0] in names}


def outside(snapshot, names):
    return {k: v for k, v in snapshot.items() if k == '.' or k.split('/')[0] not in names}


def remove_entry(path):
    """Remove a file, link or directory tree without ever following a link."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(status.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def reset_home(user):
    """Back to the skeleton useradd created: everything else in the home goes (links are removed, not followed)."""
    os.chown(user.home, user.uid, user.gid)
    for name in os.listdir(user.home):
        if name not in user.skeleton:
            remove_entry(os.path.join(user.home, name))


def root_dir(path, mode=0o755):
    os.makedirs(path, exist_ok=True)
    os.chown(path, 0, 0)
    os.chmod(path, mode)
    return str(path)


def root_file(path, text, mode=0o640, uid=0, gid=0):
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return str(path)


def owned_by(snapshot, uid):
    return sorted(k for k, v in snapshot.items() if v is not None and v['uid'] == uid)


# ---------------------------------------------------------------- the world the cases run in

class World:
    """The two users, the root-owned victim area and a root-only directory for playbooks and results."""

    def __init__(self, attacker, victim, base, hardlink_base, run_dir):
        self.atk = attacker
        self.vic = victim
        self.base = base                    # root-owned 0755 under /var/tmp: victim files and directories
        self.hardlink_base = hardlink_base  # root-owned, on the attacker home's filesystem
        self.run_dir = run_dir              # root-only: playbooks, templates, results
        self.vic_key = new_key()            # the victim user's own key pair (must never leak)

    def route_dir(self, route):
        return root_dir(os.path.join(self.base, route))

    def home(self, rel):
        return os.path.join(self.atk.home, rel)

    def vic_home(self, rel):
        return os.path.join(self.vic.home, rel)

    def attacker_does(self, ops):
        return run_as(self.atk, _user_ops, ops)

    def victim_does(self, ops):
        return run_as(self.vic, _user_ops, ops)

    def attacker_parents(self, path):
        """mkdir ops for the directories between the attacker's home and path (made by the attacker)."""
        rel = os.path.relpath(os.path.dirname(path), self.atk.home)
        return [] if rel == '.' else [('mkdir', os.path.join(self.atk.home, rel))]

    def give_victim_file(self, fmt, rel=None):
        """The victim user's own credential file of the format (at his default location), holding his key."""
        path = self.vic_home(rel or HOME_FILES[fmt][0])
        ops = []
        if os.path.dirname(path) != self.vic.home and not os.path.isdir(os.path.dirname(path)):
            ops.append(('mkdir', os.path.dirname(path)))
        ops.append(('write', path, cred_text(fmt, *self.vic_key)))
        self.victim_does(ops)
        return path


class Case:
    """One attack (expect='refused') or positive control (expect='allowed') in one playbook."""

    def __init__(self, case_id, route, fmt, expect='refused', **kw):
        self.id = case_id
        self.route = route
        self.fmt = fmt
        self.expect = expect
        self.path = kw.get('path')            # explicit path / dest, or None for the default path
        self.owner = kw.get('owner', True)    # pass owner=<attacker>
        self.state = kw.get('state', 'present')
        self.areas = kw.get('areas', [])      # top-level names in the attacker's home this case uses
        self.victims = kw.get('victims', [])  # files and directories that must stay identical
        self.link = kw.get('link')            # what the error should name (secondary)
        self.markers = kw.get('markers', [])  # victim content that must not turn up in the attacker's home
        self.setup = kw.get('setup', lambda: None)
        self.expect_files = kw.get('expect_files', [])  # allowed: (path, uid, mode)
        self.expect_dirs = kw.get('expect_dirs', [])    # allowed: (path, uid, mode) created by the module

    def __repr__(self):
        return '<Case %s>' % self.id


def module_args(world, case, key):
    args = {'format': case.fmt}
    if case.path:
        args['path'] = case.path
    if case.owner:
        args['owner'] = world.atk.name
    if case.fmt == 'ossfs':
        args['profile'] = OSSFS_BUCKET
    if case.state == 'present':
        args.update(access_key_id=key[0], access_key_secret=key[1])
        if case.fmt == 'aliyun_cli':
            args['region'] = REGION
    else:
        args['state'] = 'absent'
    return args


def role_vars(world, case, key, template_path):
    spec = {'template': template_path, 'dest': case.path}
    if case.owner:
        spec['owner'] = world.atk.name
    result = {'credentials_state': case.state, 'credentials_files': [spec]}
    if case.state == 'present':
        result.update(credentials_access_key_id=key[0], credentials_access_key_secret=key[1])
    return result


def playbook(world, cases, key, template_path, results_path):
    tasks = []
    for index, case in enumerate(cases):
        var = 'r_%d' % index
        if case.fmt == 'template':
            tasks.append({'name': case.id, 'block': [
                {'name': 'apply aliyun.ram.credentials', 'ansible.builtin.include_role': {'name': 'aliyun.ram.credentials'},
                 'vars': role_vars(world, case, key, template_path)},
                {'name': 'record success', 'ansible.builtin.set_fact': {var: {'failed': False}}},
            ], 'rescue': [
                {'name': 'record failure', 'ansible.builtin.set_fact': {
                    # a loop's own msg is "One or more items failed": the items' messages name the file
                    var: {'failed': True, 'msg': "{{ ([ansible_failed_result.msg | default('')] + ansible_failed_result.results"
                                                 " | default([]) | map(attribute='msg', default='') | list) | join(' | ') }}"}}},
            ]})
        else:
            tasks.append({'name': case.id, 'aliyun.ram.credential_file': module_args(world, case, key),
                          'register': var, 'ignore_errors': True})
    collected = ', '.join("'%d': %s | default({'missing': true})" % (i, 'r_%d' % i) for i in range(len(cases)))
    tasks.append({'name': 'save the registered results', 'ansible.builtin.copy': {
        'dest': str(results_path), 'mode': '0600', 'content': '{{ {%s} | to_json }}' % collected}})
    return [{'name': 'attack suite', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'tasks': tasks}]


def ansible_env():
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': str(COLLECTIONS_DIR),
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_PIPELINING': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
    })
    return env


def ensure_collection_link():
    link = COLLECTIONS_DIR / 'ansible_collections' / 'aliyun' / 'ram'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO_ROOT, target_is_directory=True)


class RouteRun:
    """One playbook for all the cases of a route, with snapshots before and after it."""

    def __init__(self, world, route, cases):
        self.world = world
        self.route = route
        self.cases = cases
        self.results = {}
        self.output = ''
        self.returncode = None
        self.secrets = []
        self.key_id = None
        self.elapsed = 0.0
        self.before = {}
        self.after = {}
        self.work = None
        self.process = None
        self.started = None


def snapshot(world, route, cases):
    snap = {'home': tree(world.atk.home), 'vic_home': tree(world.vic.home),
            'route_dir': tree(os.path.join(world.base, route)),
            'hardlink_dir': tree(os.path.join(world.hardlink_base, route)),
            'victims': {}}
    for case in cases:
        for victim in case.victims:
            snap['victims'][victim] = tree(victim)
    return snap


def prepare_route(world, route):
    """Reset both homes, build every case of the route (victims, the attacker's links), snapshot, write the playbook."""
    cases = build_cases(world, route)
    reset_home(world.atk)
    reset_home(world.vic)
    for directory in (os.path.join(world.base, route), os.path.join(world.hardlink_base, route)):
        remove_entry(directory)
        root_dir(directory)
    for case in cases:
        case.setup()
    run = RouteRun(world, route, cases)
    run.before = snapshot(world, route, cases)
    key = new_key()
    run.secrets = [key[1], world.vic_key[1]]
    run.key_id = key[0]
    run.work = Path(tempfile.mkdtemp(prefix='%s.' % route, dir=world.run_dir))
    template_path = run.work / 'credentials.j2'
    template_path.write_text(TEMPLATE_J2)
    (run.work / 'playbook.yml').write_text(yaml.safe_dump(
        playbook(world, cases, key, str(template_path), run.work / 'results.json'), sort_keys=False))
    return run


def start_route(run):
    output = open(run.work / 'output.txt', 'wb')  # pylint: disable=consider-using-with
    run.started = time.monotonic()
    run.process = subprocess.Popen(  # pylint: disable=consider-using-with
        [ANSIBLE_PLAYBOOK, '-vvv', '--diff', '-i', 'localhost,', str(run.work / 'playbook.yml')],
        env=ansible_env(), cwd=str(run.work), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    output.close()


def finish_route(run):
    """Called once the playbook exited: snapshot again, read the results, remove the work directory."""
    run.returncode = run.process.returncode
    run.elapsed = time.monotonic() - run.started
    run.after = snapshot(run.world, run.route, run.cases)
    run.output = (run.work / 'output.txt').read_text(errors='replace')
    results_path = run.work / 'results.json'
    if results_path.exists():
        raw = json.loads(results_path.read_text())
        run.results = {run.cases[int(k)].id: v for k, v in raw.items()}
    shutil.rmtree(run.work)
    run.process = None


def run_routes(worlds, routes, parallel, timeout=600):
    """Run the routes' playbooks, `parallel` at a time (each route has its own users and directories)."""
    pending = [prepare_route(worlds(route), route) for route in routes]
    running = []
    done = {}
    deadline = time.monotonic() + timeout
    try:
        while pending or running:
            while pending and len(running) < parallel:
                run = pending.pop(0)
                start_route(run)
                running.append(run)
            time.sleep(0.05)
            for run in list(running):
                if run.process.poll() is not None:
                    running.remove(run)
                    finish_route(run)
                    done[run.route] = run
            if time.monotonic() > deadline:
                raise TimeoutError('playbooks still running after %d s: %s' % (timeout, [r.route for r in running]))
    finally:
        for run in running:
            run.process.kill()
            run.process.wait()
    return done


# ---------------------------------------------------------------- the cases of each route

ROUTES = ('controls', 'r1_link_to_root_file', 'r2_dangling_link', 'r3_parent_link', 'r4_link_to_other_user',
          'r5_absent_through_link', 'r6_hard_link', 'r7_no_owner')


def _area(fmt):
    """The top-level name in a home under which the format's file lies (.aliyun, .ossutilconfig, ...)."""
    return HOME_FILES[fmt][0].split('/', 1)[0]


def _home_target(world, fmt):
    """(path option or None for the default path, the files it writes)."""
    files = [world.home(rel) for rel in HOME_FILES[fmt]]
    return (None if fmt in DEFAULT_PATH_FORMATS else files[0]), files


def _victim_file(world, route, case_id, fmt, text, mode=0o640, base=None):
    directory = root_dir(os.path.join(base or world.base, route, case_id))
    return root_file(os.path.join(directory, BASENAME[fmt]), text, mode)


def _victim_dir(world, route, case_id, extra=None):
    """A root-owned directory holding a root-only file (and extra {name: text} files)."""
    directory = root_dir(os.path.join(world.base, route, case_id))
    root_file(os.path.join(directory, 'shadow'), ROOT_CONFIG['template'] % marker(), 0o640)
    for name, text in (extra or {}).items():
        root_file(os.path.join(directory, name), text, 0o640)
    return directory


def build_cases(world, route):
    builder = globals()['_cases_' + route]
    return builder(world, route)


def _cases_controls(world, route):
    """Positive controls: normal writes for the attacker, a rewrite of his existing file, writes through
    root-owned system links (like /bin -> usr/bin) and the role's template path."""
    cases = []
    atk = world.atk
    for fmt in FORMATS:
        path, files = _home_target(world, fmt)
        dirs = [(world.home(rel), atk.uid, '0700') for rel in ('.aliyun', '.alibabacloud') if files[0].startswith(world.home(rel) + '/')]
        cases.append(Case('controls-%s-home' % fmt, route, fmt, 'allowed', path=path,
                          areas=[_area(fmt)],
                          expect_files=[(f, atk.uid, '0600') for f in files], expect_dirs=dirs))
    for fmt in FORMATS:
        existing = world.home('pre-%s/%s' % (fmt, BASENAME[fmt]))

        def setup(fmt=fmt, existing=existing):
            world.attacker_does(world.attacker_parents(existing) + [('write', existing, cred_text(fmt, 'LTAIold', 'oldSecret'))])
        cases.append(Case('controls-%s-existing' % fmt, route, fmt, 'allowed', path=existing, setup=setup,
                          areas=['pre-%s' % fmt], expect_files=[(existing, atk.uid, '0600')]))
    # /bin -> usr/bin style: root-owned links in root-owned directories, relative targets.
    system = os.path.join(world.base, route, 'system')

    def system_setup():
        root_dir(system)
        root_dir(os.path.join(system, 'usr'))
        root_dir(os.path.join(system, 'usr', 'bin'))
        root_dir(os.path.join(system, 'usr', 'home'))
        home = os.path.join(system, 'usr', 'home', atk.name)
        os.makedirs(home, 0o700)
        os.chown(home, atk.uid, atk.gid)
        for name in ('bin', 'home'):
            os.symlink(os.path.join('usr', name), os.path.join(system, name))
    for fmt in FORMATS:
        name = '%s-%s' % (fmt, BASENAME[fmt].lstrip('.'))
        through_home = os.path.join(system, 'home', atk.name, name)
        cases.append(Case('controls-%s-system-link-owner' % fmt, route, fmt, 'allowed', path=through_home,
                          setup=system_setup if fmt == FORMATS[0] else (lambda: None),
                          expect_files=[(os.path.join(system, 'usr', 'home', atk.name, name), atk.uid, '0600')]))
        through_bin = os.path.join(system, 'bin', name)
        cases.append(Case('controls-%s-system-link-root' % fmt, route, fmt, 'allowed', path=through_bin, owner=False,
                          expect_files=[(os.path.join(system, 'usr', 'bin', name), 0, '0600')]))
    return cases


def _cases_r1_link_to_root_file(world, route):
    """The file itself is the attacker's symlink to a root-owned 0640 file (a shadow-like config)."""
    cases = []
    for fmt in FORMATS:
        case_id = 'r1-%s' % fmt
        path, files = _home_target(world, fmt)
        mark = marker()
        victim = victim_path(world, route, case_id, fmt)

        def setup(fmt=fmt, case_id=case_id, link=files[0], mark=mark, victim=victim):
            _victim_file(world, route, case_id, fmt, ROOT_CONFIG[fmt] % mark)
            world.attacker_does(world.attacker_parents(link) + [('symlink', victim, link)])
        cases.append(Case(case_id, route, fmt, path=path, setup=setup, areas=[_area(fmt)],
                          victims=[os.path.dirname(victim)], link=files[0], markers=[mark]))
    return cases


def victim_path(world, route, case_id, fmt):
    return os.path.join(world.base, route, case_id, BASENAME[fmt])


def _cases_r2_dangling_link(world, route):
    """The file is the attacker's dangling symlink into a root-owned directory (target and its parent missing)."""
    cases = []
    for fmt in FORMATS:
        case_id = 'r2-%s' % fmt
        path, files = _home_target(world, fmt)
        directory = os.path.join(world.base, route, case_id)

        def setup(case_id=case_id, link=files[0], directory=directory, fmt=fmt):
            _victim_dir(world, route, case_id)
            world.attacker_does(world.attacker_parents(link) + [('symlink', os.path.join(directory, 'made', BASENAME[fmt]), link)])
        cases.append(Case(case_id, route, fmt, path=path, setup=setup, areas=[_area(fmt)],
                          victims=[directory], link=files[0]))
    return cases


def _cases_r3_parent_link(world, route):
    """A directory on the path is the attacker's symlink: ~/.aliyun or ~/.alibabacloud (default paths) or
    ~/conf-FORMAT (explicit paths) -> a root-owned directory; also ~/vicdir -> the victim user's ~/.aliyun."""
    cases = []
    for fmt in FORMATS:
        case_id = 'r3-%s' % fmt
        directory = os.path.join(world.base, route, case_id)
        if fmt in ('aliyun_cli', 'sdk'):
            path, files = _home_target(world, fmt)
            link = os.path.dirname(files[0])
        else:
            link = world.home('conf-%s' % fmt)
            path = os.path.join(link, BASENAME[fmt])

        def setup(case_id=case_id, link=link, directory=directory):
            _victim_dir(world, route, case_id)
            world.attacker_does([('symlink', directory, link)])
        cases.append(Case(case_id, route, fmt, path=path, setup=setup, areas=[os.path.basename(link)],
                          victims=[directory], link=link))
    link = world.home('vicdir')
    victim_dir = world.vic_home('.aliyun')

    def setup_victim_user():
        world.give_victim_file('aliyun_cli')
        world.attacker_does([('symlink', victim_dir, link)])
    cases.append(Case('r3-aliyun_cli-victim-user-dir', route, 'aliyun_cli', path=os.path.join(link, 'config.json'),
                      setup=setup_victim_user, areas=['vicdir'], victims=[victim_dir], link=link,
                      markers=[world.vic_key[1]]))
    return cases


def _cases_r4_link_to_other_user(world, route):
    """The file is the attacker's symlink to the victim user's own credential file (holding his secret)."""
    cases = []
    for fmt in FORMATS:
        case_id = 'r4-%s' % fmt
        path, files = _home_target(world, fmt)

        def setup(fmt=fmt, files=files):
            ops = world.attacker_parents(files[0])
            for index, link in enumerate(files):
                ops.append(('symlink', world.vic_home(HOME_FILES[fmt][index]), link))
            for rel in HOME_FILES[fmt]:
                world.give_victim_file(fmt, rel)
            world.attacker_does(ops)
        cases.append(Case(case_id, route, fmt, path=path, setup=setup, areas=[_area(fmt)],
                          victims=[world.vic_home(rel) for rel in HOME_FILES[fmt]], link=files[0],
                          markers=[world.vic_key[1]]))
    return cases


def _cases_r5_absent_through_link(world, route):
    """state=absent through the attacker's symlink to the victim user's file, and through ~/conf-FORMAT -> a
    root-owned directory holding root's own credential file of that name."""
    cases = []
    for fmt in FORMATS:
        path, files = _home_target(world, fmt)

        def setup_link(fmt=fmt, files=files):
            ops = world.attacker_parents(files[0])
            for index, link in enumerate(files):
                ops.append(('symlink', world.vic_home(HOME_FILES[fmt][index]), link))
            for rel in HOME_FILES[fmt]:
                world.give_victim_file(fmt, rel)
            world.attacker_does(ops)
        cases.append(Case('r5-%s-link' % fmt, route, fmt, path=path, state='absent', setup=setup_link,
                          areas=[_area(fmt)], victims=[world.vic_home(rel) for rel in HOME_FILES[fmt]],
                          link=files[0], markers=[world.vic_key[1]]))
        case_id = 'r5-%s-parent' % fmt
        directory = os.path.join(world.base, route, case_id)
        link = world.home('conf-%s' % fmt)
        mark = marker()

        def setup_parent(fmt=fmt, case_id=case_id, link=link, directory=directory, mark=mark):
            _victim_dir(world, route, case_id, {BASENAME[fmt]: cred_text(fmt, 'LTAIroot', mark)})
            world.attacker_does([('symlink', directory, link)])
        cases.append(Case(case_id, route, fmt, path=os.path.join(link, BASENAME[fmt]), state='absent', setup=setup_parent,
                          areas=[os.path.basename(link)], victims=[directory], link=link, markers=[mark]))
    return cases


def _cases_r6_hard_link(world, route):
    """The file is a hard link (nlink 2) to a root-owned 0640 file on the same filesystem (made by root when
    protected_hardlinks stops the attacker); also one to the victim user's credential file."""
    cases = []
    for fmt in FORMATS:
        case_id = 'r6-%s' % fmt
        path, files = _home_target(world, fmt)
        mark = marker()
        victim = os.path.join(world.hardlink_base, route, case_id, BASENAME[fmt])

        def setup(fmt=fmt, case_id=case_id, link=files[0], mark=mark, victim=victim):
            _victim_file(world, route, case_id, fmt, ROOT_CONFIG[fmt] % mark, base=world.hardlink_base)
            _hard_link(world, victim, link)
        cases.append(Case(case_id, route, fmt, path=path, setup=setup, areas=[_area(fmt)],
                          victims=[os.path.dirname(victim)], link=files[0], markers=[mark]))
    link = world.home('vic.env')
    victim = world.vic_home('app.env')

    def setup_victim_user():
        world.give_victim_file('env')
        _hard_link(world, victim, link)
    cases.append(Case('r6-env-victim-user', route, 'env', path=link, setup=setup_victim_user, areas=['vic.env'],
                      victims=[victim], link=link, markers=[world.vic_key[1]]))
    return cases


def _hard_link(world, victim, link):
    """The attacker links himself if the kernel lets him; otherwise root does (the point is nlink 2 at the target)."""
    error = world.attacker_does(world.attacker_parents(link) + [('hardlink', victim, link)])[-1]
    if error is not None:
        os.link(victim, link)
    assert os.lstat(link).st_nlink == 2


def _cases_r7_no_owner(world, route):
    """No owner option (explicit paths): the file is the attacker's symlink to a root-owned 0640 file."""
    cases = []
    for fmt in FORMATS:
        case_id = 'r7-%s' % fmt
        files = _home_target(world, fmt)[1]
        mark = marker()
        victim = victim_path(world, route, case_id, fmt)

        def setup(fmt=fmt, case_id=case_id, link=files[0], mark=mark, victim=victim):
            _victim_file(world, route, case_id, fmt, ROOT_CONFIG[fmt] % mark)
            world.attacker_does(world.attacker_parents(link) + [('symlink', victim, link)])
        cases.append(Case(case_id, route, fmt, path=files[0], owner=False, setup=setup,
                          areas=[_area(fmt)], victims=[os.path.dirname(victim)], link=files[0],
                          markers=[mark]))
    return cases


def dummy_world():
    """Placeholder world, only to list the case ids at collection time."""
    world = World.__new__(World)
    fake = User.__new__(User)
    fake.name, fake.uid, fake.gid, fake.home, fake.skeleton = 'atk', 1, 1, '/nonexistent/atk', set()
    vic = User.__new__(User)
    vic.name, vic.uid, vic.gid, vic.home, vic.skeleton = 'vic', 2, 2, '/nonexistent/vic', set()
    world.atk, world.vic, world.base, world.hardlink_base, world.run_dir = fake, vic, '/nonexistent', '/nonexistent', '/nonexistent'
    world.vic_key = ('LTAIx', 'x')
    return world


# ---------------------------------------------------------------- the race against parent-directory creation

def _inotify_watch(directory):
    """An inotify fd reporting entries created in directory, or None where inotify is not available.

    ctypes is imported at the top: after the privilege drop the interpreter's own files may be unreadable.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            return None
        if libc.inotify_add_watch(fd, os.fsencode(directory), 0x00000100 | 0x00000080) < 0:  # IN_CREATE | IN_MOVED_TO
            os.close(fd)
            return None
        return fd
    except (OSError, AttributeError):
        return None


def _attacker_swap(ready_fd, swap, victim, seconds):
    """In the attacker's process: rename the directory root just created away and put a symlink in its place.

    Woken by inotify the moment an entry appears in the parent directory (so the attacker does not steal the
    CPU the module needs); busy-polls where inotify is missing. Exit code 0 once it has swapped.
    """
    watch = _inotify_watch(os.path.dirname(swap))
    os.write(ready_fd, b'r')
    os.close(ready_fd)
    moved = swap + '.moved'
    end = time.monotonic() + seconds
    rename = os.rename
    while True:
        try:
            rename(swap, moved)
        except OSError:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return 1
            if watch is not None and select.select([watch], [], [], remaining)[0]:
                os.read(watch, 65536)
            continue
        try:
            os.symlink(victim, swap)
        except OSError:
            return 2
        return 0


def start_attacker(user, swap, victim, seconds):
    """Fork the attacker (dropped to the user); returns its pid once it spins."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)
            code = _attacker_swap(write_fd, swap, victim, seconds)
        finally:
            os._exit(code)  # pylint: disable=protected-access
    os.close(write_fd)
    os.read(read_fd, 1)
    os.close(read_fd)
    return pid


def stop_attacker(pid, grace=0.05):
    """The attacker's exit code (0: it swapped the directory), killing it if it still spins after grace."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.002)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    status = os.waitpid(pid, 0)[1]
    return os.waitstatus_to_exitcode(status)


def run_module(args, work):
    """credential_file executed directly (no ansible): python credential_file.py ARGS.json."""
    args_path = os.path.join(work, 'args.json')
    fd = os.open(args_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env['PYTHONPATH'] = str(COLLECTIONS_DIR)
    proc = subprocess.run([sys.executable, str(MODULE_FILE), args_path], env=env, cwd=work,
                          capture_output=True, text=True, timeout=60, check=False)
    os.unlink(args_path)
    output = proc.stdout + proc.stderr
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = {'failed': True, 'msg': 'no JSON from the module (rc %d)' % proc.returncode}
    return proc.returncode, result, output
