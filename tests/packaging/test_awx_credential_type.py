# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential type (extensions/awx): its inputs, and its injectors rendered the way AWX renders them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import REPO_ROOT, run, tool

AWX_DIR = REPO_ROOT / 'extensions' / 'awx'
EXPECTED_ENV = {
    'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN',
    'ALIBABA_CLOUD_RAM_ENDPOINT', 'ALIBABA_CLOUD_STS_ENDPOINT', 'ALIBABA_CLOUD_ROLE_ARN',
    'ALIBABA_CLOUD_ROLE_SESSION_NAME', 'ALIBABA_CLOUD_ECS_METADATA', 'ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT',
}
SECRET_FIELDS = {'secret_key', 'security_token'}


class Unsafe(str):
    """A string that was tagged !unsafe in the YAML (Ansible must not template it)."""


class UnsafeAwareLoader(yaml.SafeLoader):
    pass


UnsafeAwareLoader.add_constructor('!unsafe', lambda loader, node: Unsafe(loader.construct_scalar(node)))


@pytest.fixture(scope='module')
def credential_type():
    return yaml.load((AWX_DIR / 'credential_type.yml').read_text(), Loader=UnsafeAwareLoader)  # nosec: safe loader


def render_injectors(credential_type, inputs):
    """AWX's CredentialType.inject_credential: returns (env, safe_env, extra_vars).

    Inputs that are empty are left out of the template namespace (so they render as ''), and secret fields
    are '**********' in the namespace of the environment that AWX records with the job.
    """
    secret = {f['id'] for f in credential_type['inputs']['fields'] if f.get('secret')}
    namespace, safe_namespace = {}, {}
    for name, value in inputs.items():
        if value:
            namespace[name] = value
            safe_namespace[name] = '**********' if name in secret else value
    sandbox = ImmutableSandboxedEnvironment()
    injectors = credential_type['injectors']
    env = {k: sandbox.from_string(t).render(**namespace) for k, t in injectors.get('env', {}).items()}
    safe_env = {k: sandbox.from_string(t).render(**safe_namespace) for k, t in injectors.get('env', {}).items()}
    extra_vars = {k: sandbox.from_string(t).render(**namespace) for k, t in injectors.get('extra_vars', {}).items()}
    return env, safe_env, extra_vars


FULL_INPUTS = {
    'access_key': 'LTAI5tExampleKeyId',
    'secret_key': 'example-secret-value',
    'security_token': 'example-sts-token',
    'assume_role_arn': 'acs:ram::1234567890123456:role/ram-admin',
    'role_session_name': 'awx-job-42',
    'ecs_role_name': 'EcsOps',
    'ram_endpoint': '127.0.0.1:18080',
    'sts_endpoint': 'http://127.0.0.1:18080',
    'actiontrail_endpoint': 'http://127.0.0.1:18081',
}


def test_fields_and_secrets(credential_type):
    fields = {f['id']: f for f in credential_type['inputs']['fields']}
    assert set(fields) == set(FULL_INPUTS)
    assert {name for name, f in fields.items() if f.get('secret') is True} == SECRET_FIELDS
    # A credential gives an AccessKey or an ECS instance role: AWX cannot require one of two, so neither is required.
    assert credential_type['inputs']['required'] == []
    assert all(f['type'] == 'string' and f['label'] for f in fields.values())
    assert credential_type['kind'] == 'cloud'


def test_every_injector_template_is_unsafe(credential_type):
    templates = [t for section in credential_type['injectors'].values() for t in section.values()]
    assert templates and all(isinstance(t, Unsafe) for t in templates)


def test_no_forbidden_injector_names(credential_type):
    # AWX refuses ANSIBLE_* and its own variables; the file injector is not used.
    assert set(credential_type['injectors']) <= {'env', 'extra_vars'}
    assert not [k for k in credential_type['injectors']['env'] if k.startswith('ANSIBLE_')]


def test_full_credential_injects_every_value(credential_type):
    env, safe_env, extra_vars = render_injectors(credential_type, FULL_INPUTS)
    assert set(env) == EXPECTED_ENV
    assert env == {
        'ALIBABA_CLOUD_ACCESS_KEY_ID': FULL_INPUTS['access_key'],
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET': FULL_INPUTS['secret_key'],
        'ALIBABA_CLOUD_SECURITY_TOKEN': FULL_INPUTS['security_token'],
        'ALIBABA_CLOUD_RAM_ENDPOINT': FULL_INPUTS['ram_endpoint'],
        'ALIBABA_CLOUD_STS_ENDPOINT': FULL_INPUTS['sts_endpoint'],
        'ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT': FULL_INPUTS['actiontrail_endpoint'],
        'ALIBABA_CLOUD_ROLE_ARN': FULL_INPUTS['assume_role_arn'],
        'ALIBABA_CLOUD_ROLE_SESSION_NAME': FULL_INPUTS['role_session_name'],
        'ALIBABA_CLOUD_ECS_METADATA': FULL_INPUTS['ecs_role_name'],
    }
    assert not extra_vars
    # The environment AWX stores with the job shows no secret.
    assert safe_env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] == '**********'
    assert safe_env['ALIBABA_CLOUD_SECURITY_TOKEN'] == '**********'
    assert not {FULL_INPUTS['secret_key'], FULL_INPUTS['security_token']} & set(safe_env.values())


def test_minimal_credential_leaves_optional_values_empty(credential_type):
    inputs = {'access_key': 'LTAI5tExampleKeyId', 'secret_key': 'example-secret-value'}
    env, extra_vars = render_injectors(credential_type, inputs)[0::2]
    assert set(env) == EXPECTED_ENV
    assert env['ALIBABA_CLOUD_ACCESS_KEY_ID'] == inputs['access_key']
    assert env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] == inputs['secret_key']
    # Empty means unset for the modules (no token, default endpoints, no role).
    assert env['ALIBABA_CLOUD_SECURITY_TOKEN'] == env['ALIBABA_CLOUD_RAM_ENDPOINT'] == ''
    assert env['ALIBABA_CLOUD_STS_ENDPOINT'] == env['ALIBABA_CLOUD_ROLE_ARN'] == ''
    assert env['ALIBABA_CLOUD_ROLE_SESSION_NAME'] == env['ALIBABA_CLOUD_ECS_METADATA'] == ''
    assert env['ALIBABA_CLOUD_ACTIONTRAIL_ENDPOINT'] == ''
    assert not extra_vars


def test_ecs_role_credential_injects_no_key(credential_type):
    env = render_injectors(credential_type, {'ecs_role_name': 'EcsOps'})[0]
    assert env['ALIBABA_CLOUD_ECS_METADATA'] == 'EcsOps'
    assert env['ALIBABA_CLOUD_ACCESS_KEY_ID'] == env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] == ''


def test_empty_optional_values_mean_unset_for_the_modules(collection_copy):
    """The modules read the empty values AWX injects as not set: default endpoints, no security token."""
    check = (
        'from ansible_collections.aliyun.ram.plugins.module_utils import _ram_client as c\n'
        'assert c.Connection(endpoint="", sts_endpoint="", actiontrail_endpoint="").endpoints == c.Connection().endpoints\n'
        'assert c.Auth(access_key_id="id", access_key_secret="s", security_token="").security_token is None\n'
        'assert c.Auth(access_key_id="id", access_key_secret="s", role_session_name="").role_session_name'
        ' == c.DEFAULT_ROLE_SESSION_NAME\n'
        'assert c.Auth(access_key_id="", access_key_secret="", ecs_role_name="").source_kind() == "default_chain"\n'
        'print("ok")\n'
    )
    out = run([sys.executable, '-c', check], env={'PYTHONPATH': str(collection_copy.parents[2])})
    assert out.strip() == 'ok'


def test_each_input_feeds_the_environment_fallback_of_the_module_option(credential_type, collection_copy):
    """An input named like a module option is injected into a variable that option falls back to."""
    check = (
        'import json\n'
        'from ansible_collections.aliyun.ram.plugins.module_utils._ram_module import auth_argument_spec\n'
        'print(json.dumps({name: list(spec["fallback"][1]) for name, spec in auth_argument_spec().items()'
        ' if "fallback" in spec}))\n'
    )
    fallbacks = json.loads(run([sys.executable, '-c', check], env={'PYTHONPATH': str(collection_copy.parents[2])}))
    option_of_input = {'ram_endpoint': 'endpoint'}  # the one input whose option is named for every service
    for name, template in credential_type['injectors']['env'].items():
        field = template.strip('{} ')
        option = option_of_input.get(field, field)
        assert name in fallbacks[option], (field, name)
    for option in ('access_key', 'secret_key', 'security_token'):
        assert option in {f['id'] for f in credential_type['inputs']['fields']}


def create_playbook_tasks():
    plays = yaml.safe_load((AWX_DIR / 'create_credential_type.yml').read_text())
    assert isinstance(plays, list) and len(plays) == 1
    return plays[0]['tasks']


def test_create_playbook_applies_the_data_file(credential_type):
    tasks = create_playbook_tasks()
    load = [t['ansible.builtin.include_vars'] for t in tasks if 'ansible.builtin.include_vars' in t]
    assert load and (AWX_DIR / load[0]['file']).is_file()
    module_args = [t['awx.awx.credential_type'] for t in tasks if 'awx.awx.credential_type' in t]
    assert len(module_args) == 1
    args = module_args[0]
    var = load[0]['name']
    for key in ('name', 'kind', 'inputs', 'injectors'):
        assert args[key] == '{{ %s.%s }}' % (var, key)
        assert key in credential_type
    assert args['state'] == 'present'


@pytest.fixture(scope='module')
def awx_env():
    """ansible with awx.awx (from the package registry, see tests/support/awx_collection.py) besides this collection."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.awx_collection import awx_collections_path  # pylint: disable=import-outside-toplevel
    try:
        path = awx_collections_path()
    except subprocess.CalledProcessError as exc:
        pytest.fail('awx.awx could not be fetched from the package registry: %s' % exc.stdout.decode(errors='replace'))
    return {'ANSIBLE_COLLECTIONS_PATH': '%s:%s' % (path, REPO_ROOT / '.cache' / 'collections')}


def test_create_playbook_syntax(awx_env):
    """Fails if the playbook does not parse or names a module awx.awx does not have (checked: the task renamed to
    awx.awx.credential_types)."""
    run([tool('ansible-playbook'), '--syntax-check', str(AWX_DIR / 'create_credential_type.yml')], env=awx_env)


def test_create_playbook_uses_only_options_of_the_awx_module(awx_env):
    """--syntax-check does not look at module options: every option of the task must be one awx.awx.credential_type
    documents, and every option it requires must be given (checked: `injectors` misspelt `injector`)."""
    doc = json.loads(run([tool('ansible-doc'), '--json', 'awx.awx.credential_type'], env=awx_env))
    options = doc['awx.awx.credential_type']['doc']['options']
    args = [t['awx.awx.credential_type'] for t in create_playbook_tasks() if 'awx.awx.credential_type' in t][0]
    assert set(args) <= set(options), sorted(set(args) - set(options))
    assert {name for name, spec in options.items() if spec.get('required')} <= set(args)
