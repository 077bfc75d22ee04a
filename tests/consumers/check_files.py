# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read credential files the way tools without a Python consumer on the test hosts read them.

Stdlib only (runs with the host's /usr/bin/python3). Prints one JSON line and never a secret: secrets are
reported as their SHA-256, so a caller compares them with the hash of the key it deployed.

    check_files.py ossutil FILE --version 1|2 [--profile NAME]
        ossutil: INI, keys case-insensitive with '-'/'_' ignored (accessKeyID = access_key_id = access-key-id);
        1.x reads [Credentials]; 2.0 reads [default] (= [profile default]) or [profile NAME] and needs region.
    check_files.py ossfs --bucket NAME [--passwd-file FILE]
        ossfs 1.x (s3fs rules): -opasswd_file, else $HOME/.passwd-ossfs, else /etc/passwd-ossfs; refuses a
        file with "others" permissions, group permissions (except group read on /etc/passwd-ossfs) or
        execute bits; lines bucket:AccessKeyId:AccessKeySecret or a bare AccessKeyId:AccessKeySecret default.
    check_files.py others [--exact NAME ...] < FILES.json
        FILES.json lists {"name", "path", "kind": ini|json|ossfs|env, "ours": [...], "content"}: the file at
        path against its original content. Whether everything except our own sections/profiles/lines is
        unchanged: byte-for-byte per INI section (blank lines ending a section aside: a section appended after
        it brings one), per ossfs and env line; by value for the aliyun CLI JSON, which the CLI itself rewrites.
        Files named by --exact must equal their original byte for byte. Prints only names of what differs.

    check_files.py ossutil|ossfs ... --exec PROGRAM [ARGS...]
        read the key with that tool's rules, then run PROGRAM with it in ALIBABA_CLOUD_ACCESS_KEY_ID and
        ALIBABA_CLOUD_ACCESS_KEY_SECRET (and nothing printed): ossutil and ossfs are in no package registry, so a real
        consumer (whoami.py: the official SDK signing STS GetCallerIdentity) proves the secret those rules find.

Exit status 0 when the file is usable (or unchanged), 1 with {"error": ...} otherwise.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import json
import os
import stat
import sys

OSSFS_SYSTEM_FILE = '/etc/passwd-ossfs'
SECRET = '_secret'   # kept for --exec only, never printed


class CheckError(Exception):
    pass


def _sha256(value):
    return hashlib.sha256(value.encode('utf-8')).hexdigest() if value is not None else None


def _read(path):
    with open(path, encoding='utf-8', newline='') as handle:
        return handle.read()


# ---------------------------------------------------------------- ossutil

def _ossutil_key(key):
    return key.lower().replace('-', '').replace('_', '')


def check_ossutil(path, version, profile):
    parser = configparser.RawConfigParser(strict=True, interpolation=None, default_section='\x00none')
    parser.optionxform = _ossutil_key
    try:
        parser.read_string(_read(path), source=path)
    except configparser.Error as exc:
        raise CheckError('ossutil cannot parse %s: %s' % (path, type(exc).__name__))
    if version == 1:
        candidates = ['Credentials']
    elif profile in (None, 'default'):
        candidates = ['default', 'profile default']
    else:
        candidates = ['profile ' + profile]
    found = [name for name in candidates if parser.has_section(name)]
    if len(found) != 1:
        raise CheckError('ossutil %d finds %s section %s in %s' % (version, 'no' if not found else 'more than one', ' or '.join(candidates), path))
    section = parser[found[0]]
    result = {
        'section': found[0],
        'access_key_id': section.get('accesskeyid'),
        'access_key_secret_sha256': _sha256(section.get('accesskeysecret')),
        SECRET: section.get('accesskeysecret'),
        'sts_token': any(section.get(key) for key in ('ststoken', 'sessiontoken', 'securitytoken')),
        'endpoint': section.get('endpoint'),
    }
    if not result['access_key_id'] or not result['access_key_secret_sha256']:
        raise CheckError('ossutil %d finds no AccessKey in [%s] of %s' % (version, found[0], path))
    if version == 1:
        result['language'] = section.get('language')
    else:
        result['region'] = section.get('region')
        if not result['region']:
            raise CheckError('ossutil 2.0 signs with V4 and needs region in [%s] of %s' % (found[0], path))
    return result


# ---------------------------------------------------------------- ossfs

def _ossfs_passwd_file(explicit):
    if explicit:
        return explicit
    home = os.environ.get('HOME')
    if home and os.path.exists(os.path.join(home, '.passwd-ossfs')):
        return os.path.join(home, '.passwd-ossfs')
    if os.path.exists(OSSFS_SYSTEM_FILE):
        return OSSFS_SYSTEM_FILE
    raise CheckError('ossfs finds no passwd file ($HOME/.passwd-ossfs, %s)' % OSSFS_SYSTEM_FILE)


def _ossfs_permission_problem(path, mode):
    if mode & stat.S_IRWXO:
        return 'credentials file %s should not have others permissions' % path
    if path != OSSFS_SYSTEM_FILE and mode & stat.S_IRWXG:
        return 'credentials file %s should not have group permissions' % path
    if path == OSSFS_SYSTEM_FILE and mode & stat.S_IWGRP:
        return 'credentials file %s should not have group writable permissions' % path
    if mode & (stat.S_IXUSR | stat.S_IXGRP):
        return 'credentials file %s should not have executable permissions' % path
    return None


def _ossfs_entries(path):
    """{bucket or '' for the default line: (AccessKeyId, AccessKeySecret)}, with the reader's errors."""
    entries = {}
    for number, raw in enumerate(_read(path).split('\n'), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if any(c in line for c in ' \t'):
            raise CheckError('ossfs: invalid line %d in %s, found whitespace character' % (number, path))
        if line.startswith('['):
            raise CheckError('ossfs: invalid line %d in %s, found a bracket' % (number, path))
        first, last = line.find(':'), line.rfind(':')
        if first < 0:
            raise CheckError("ossfs: invalid line %d in %s, found no ':'" % (number, path))
        if first == last:
            bucket, key_id, secret = '', line[:first], line[first + 1:]
        else:
            bucket, key_id, secret = line[:first], line[first + 1:last], line[last + 1:]
        if bucket in entries:
            raise CheckError('ossfs: multiple entries for the same bucket in %s' % path)
        entries[bucket] = (key_id, secret)
    return entries


def check_ossfs(bucket, explicit):
    path = _ossfs_passwd_file(explicit)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    problem = _ossfs_permission_problem(path, mode)
    if problem:
        raise CheckError('ossfs refuses to mount: ' + problem)
    entries = _ossfs_entries(path)
    chosen = bucket if bucket in entries else ''
    if chosen not in entries:
        raise CheckError('ossfs finds no key for bucket %s (nor a default line) in %s' % (bucket, path))
    key_id, secret = entries[chosen]
    return {'passwd_file': path, 'mode': '%04o' % mode, 'line': chosen or '(default)',
            'access_key_id': key_id, 'access_key_secret_sha256': _sha256(secret), SECRET: secret}


# ---------------------------------------------------------------- others unchanged

def _lines(text):
    return text.splitlines(True)


def _ini_chunks(text):
    """[(section name or None for the preamble, text of the header and its lines)]."""
    chunks = [[None, '']]
    for line in _lines(text):
        stripped = line.strip()
        if stripped.startswith('[') and stripped.endswith(']'):
            chunks.append([stripped[1:-1].strip(), ''])
        chunks[-1][1] += line
    return [(name, body) for name, body in chunks if name is not None or body]


def _ini_others(text, ours):
    kept = []
    for name, body in _ini_chunks(text):
        if name in ours:
            continue
        lines = _lines(body)
        while lines and not lines[-1].strip():
            lines.pop()
        kept.append((name or '(before the first section)', ''.join(lines)))
    return kept


def _json_others(text, ours):
    data = json.loads(text)
    kept = [('profile ' + str(p.get('name')), p) for p in data.get('profiles', []) if p.get('name') not in ours]
    kept += [(key, value) for key, value in sorted(data.items()) if key not in ('profiles', 'current')]
    return kept


def _ossfs_others(text, ours):
    kept = []
    for line in _lines(text):
        fields = line.strip().split(':')
        bucket = fields[0] if len(fields) > 2 else ('' if len(fields) == 2 else None)
        if bucket is None or bucket not in ours:
            kept.append(('bucket ' + bucket if bucket else 'comment or default line', line))
    return _numbered(kept)


def _env_others(text, ours):
    kept = []
    for line in _lines(text):
        body = line.strip()
        if body.startswith('export '):
            body = body[len('export '):].lstrip()
        name = body.split('=', 1)[0] if '=' in body and not body.startswith('#') else None
        if name not in ours:
            kept.append(('variable ' + name if name else 'comment or blank line', line))
    return _numbered(kept)


def _numbered(kept):
    """Name kept lines by their position among the kept ones, so that our own lines never shift the names."""
    return [('kept line %d (%s)' % (number, what), line) for number, (what, line) in enumerate(kept, 1)]


OTHERS = {'ini': _ini_others, 'json': _json_others, 'ossfs': _ossfs_others, 'env': _env_others}


def _compare_others(kind, ours, original, current, label):
    extract = OTHERS[kind]
    before = extract(original, ours)
    after = extract(current, ours)
    differing = sorted({name for name, value in before if (name, value) not in after}
                       | {name for name, value in after if (name, value) not in before})
    if not differing and [name for name, dummy in before] != [name for name, dummy in after]:
        differing = ['(order)']
    if differing:
        raise CheckError('%s changed outside %s: %s' % (label, ', '.join(ours), ', '.join(differing)))
    if not after:
        raise CheckError('%s: nothing to compare outside %s' % (label, ', '.join(ours)))
    return [name for name, dummy in after]


def check_others(files, exact):
    results = {}
    problems = []
    for spec in files:
        try:
            current = _read(spec['path'])
            results[spec['name']] = _compare_others(spec['kind'], spec['ours'], spec['content'], current, spec['path'])
            if spec['name'] in exact and current != spec['content']:
                raise CheckError('%s differs from its original' % spec['path'])
        except (CheckError, OSError) as exc:
            problems.append(str(exc))
    if problems:
        raise CheckError('; '.join(problems))
    missing = sorted(set(exact) - set(results))
    if missing:
        raise CheckError('no file named %s' % ', '.join(missing))
    return {'unchanged': results}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    ossutil = commands.add_parser('ossutil')
    ossutil.add_argument('path')
    ossutil.add_argument('--version', type=int, choices=[1, 2], required=True)
    ossutil.add_argument('--profile')
    ossfs = commands.add_parser('ossfs')
    ossfs.add_argument('--bucket', required=True)
    ossfs.add_argument('--passwd-file')
    for command in (ossutil, ossfs):
        command.add_argument('--exec', nargs=argparse.REMAINDER, dest='program',
                             help='run PROGRAM [ARGS] with the key found in ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET instead')
    others = commands.add_parser('others')
    others.add_argument('--exact', action='append', default=[])
    args = parser.parse_args(argv)
    try:
        if args.command == 'ossutil':
            result = check_ossutil(args.path, args.version, args.profile)
        elif args.command == 'ossfs':
            result = check_ossfs(args.bucket, args.passwd_file)
        else:
            result = check_others(json.load(sys.stdin), args.exact)
    except (CheckError, OSError) as exc:
        print(json.dumps({'error': str(exc)}))
        return 1
    secret = result.pop(SECRET, None)
    if getattr(args, 'program', None):
        # the key exactly as the tool's rules read it, handed to a real consumer (whoami.py signs an STS call)
        env = dict(os.environ, ALIBABA_CLOUD_ACCESS_KEY_ID=result['access_key_id'], ALIBABA_CLOUD_ACCESS_KEY_SECRET=secret)
        os.execvpe(args.program[0], args.program, env)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
