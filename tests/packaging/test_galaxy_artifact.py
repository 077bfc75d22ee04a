# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Galaxy artifact: built from a clean copy, it carries the content and none of the working tree's debris,
and the installed copy works on its own (ansible-doc, the playbook by FQCN)."""

from __future__ import annotations

import json
import tarfile

import pytest

from conftest import STRAY_FILES, run, tool

REQUIRED_MEMBERS = [
    'MANIFEST.json',
    'FILES.json',
    'meta/runtime.yml',
    'meta/execution-environment.yml',
    'meta/ee-requirements.txt',
    'meta/ee-bindep.txt',
    'plugins/modules/ram_user.py',
    'plugins/modules/ram_access_key.py',
    'plugins/module_utils/_ram_module.py',
    'plugins/doc_fragments/auth.py',
    'roles/credentials/meta/argument_specs.yml',
    'roles/provision/meta/argument_specs.yml',
    'playbooks/provision.yml',
    'playbooks/inventory/demo/hosts.yml',
    'docs/docsite/extra-docs.yml',
    'docs/docsite/rst/guide_awx.rst',
    'docs/execution-environment.yml',
    'extensions/awx/credential_type.yml',
    'extensions/eda/plugins/event_source/access_keys.py',
    'extensions/eda/rulebooks/rotate_old_keys.yml',
    'meta/extensions.yml',
    'emulator/pyproject.toml',
    'emulator/ram_emulator/__init__.py',
    'changelogs/config.yaml',
    'README.md',
    # Galaxy's importer refuses a role without a README
    'roles/provision/README.md',
    'roles/credentials/README.md',
    'LICENSE',
]


def test_artifact_carries_the_collection(collection_tarball):
    names = collection_tarball.names
    missing = [name for name in REQUIRED_MEMBERS if name not in names]
    assert not missing, missing


@pytest.mark.parametrize('stray', STRAY_FILES)
def test_artifact_leaves_out_working_tree_debris(collection_tarball, stray):
    names = collection_tarball.names
    assert stray not in names
    # Nor the directory that holds only debris (the first path component that is not real content).
    debris_dir = stray.split('/')[0] if stray.startswith('.') else None
    if debris_dir:
        assert not [name for name in names if name == debris_dir or name.startswith(debris_dir + '/')]


def test_artifact_has_no_debris_directories(collection_tarball):
    names = collection_tarball.names
    debris = [name for name in names
              if any(part in ('.venv', '.cache', '.ci', '.git', '.pytest_cache', '__pycache__', 'output', 'results',
                              'state') or part.startswith('.venv-') or part.endswith(('.egg-info', '.pyc', '.env'))
                     for part in name.split('/'))]
    assert not debris, debris


def test_manifest_names_the_collection(collection_tarball):
    path = collection_tarball.path
    with tarfile.open(str(path)) as tar:
        manifest = json.load(tar.extractfile('MANIFEST.json'))
    info = manifest['collection_info']
    assert (info['namespace'], info['name']) == ('aliyun', 'ram')
    assert path.name == 'aliyun-ram-%s.tar.gz' % info['version']


@pytest.fixture(scope='module')
def installed(collection_tarball, tmp_path_factory):
    """The artifact installed offline into an empty collections path; env for ansible using only that path."""
    path = collection_tarball.path
    dest = tmp_path_factory.mktemp('installed')
    run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '--no-deps', '-p', str(dest), str(path)],
        env={'ANSIBLE_COLLECTIONS_PATH': str(dest)})
    root = dest / 'ansible_collections' / 'aliyun' / 'ram'
    assert (root / 'MANIFEST.json').is_file()
    env = {'ANSIBLE_COLLECTIONS_PATH': str(dest), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false'}
    return root, env


def test_installed_copy_documents_its_modules(installed):
    root, env = installed
    out = run([tool('ansible-doc'), '--json', 'aliyun.ram.ram_user'], cwd=str(root.parent), env=env)
    doc = json.loads(out)['aliyun.ram.ram_user']['doc']
    assert doc['collection'] == 'aliyun.ram'
    assert doc['filename'].startswith(str(root))
    assert 'secret_key' in doc['options'] and 'access_key_secret' not in doc['options']


def test_installed_copy_documents_its_roles(installed):
    root, env = installed
    out = run([tool('ansible-doc'), '--json', '-t', 'role', 'aliyun.ram.provision'], cwd=str(root.parent), env=env)
    assert 'provision_users' in json.loads(out)['aliyun.ram.provision']['entry_points']['main']['options']


@pytest.mark.parametrize('playbook', ['{root}/playbooks/provision.yml', 'aliyun.ram.provision'])
def test_installed_playbook_passes_syntax_check(installed, playbook):
    root, env = installed
    out = run([tool('ansible-playbook'), '--syntax-check', '-i', str(root / 'playbooks' / 'inventory' / 'demo'),
               playbook.format(root=root)], cwd=str(root.parent), env=env)
    assert 'playbook:' in out
