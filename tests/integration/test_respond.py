# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/respond.yml end to end, as an operator runs it during an incident, on local pseudo-hosts against the
emulator: both modes, an unreachable host that comes back, a key already contained, and the cases where nothing can
be done safely. Every run's output, log and leftover files are scanned for every secret the emulator issued (the
runner's leak guard), and the reports are scanned too.

A pseudo-host is made unreachable by pointing it at SSH on a closed local port: the connection is refused at once."""

from __future__ import annotations

import json
import socket

import pytest
import yaml

from tests.support.emulator import deployed_keys, key_statuses, read_env_file
from tests.support.fixtures import fresh
from tests.support.playbook import REPO_ROOT

APP, BATCH = 'ir-app', 'ir-batch'
HOSTS = {'ir1': [APP, BATCH], 'ir2': [APP], 'ir3': [APP]}


def closed_port():
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_inventory(tmp_path, hosts=None, unreachable=(), extra_users=(), extra_credentials=None):
    files = tmp_path / 'files'
    hosts = hosts or HOSTS
    port = closed_port()
    inventory = {'all': {
        'vars': {'ansible_connection': 'local',
                 'provision_users': [{'name': user} for user in [APP, BATCH] + list(extra_users)]},
        'hosts': {},
    }}
    for host, users in hosts.items():
        entry = {'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': str(files / host / ('%s.env' % user))}]} for user in users]
            + list((extra_credentials or {}).get(host, []))}
        if host in unreachable:
            entry.update(ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=port,
                         ansible_ssh_common_args='-o ConnectTimeout=3 -o BatchMode=yes')
        inventory['all']['hosts'][host] = entry
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    return path, files


def run_playbook(runner, name, playbook, inventory, extra_vars=None, returncode=0, check=False, env=None):
    plays = [{'ansible.builtin.import_playbook': str(REPO_ROOT / 'playbooks' / playbook)}]
    run = runner.run(name, plays, inventory=str(inventory), extra_vars=extra_vars, save_results=False, check=check,
                     env=dict({'ANSIBLE_SHOW_CUSTOM_STATS': '1'}, **(env or {})))
    assert run.returncode == returncode, runner.failure_text(run, 8000)
    return run


def respond(runner, name, inventory, tmp_path, key_ids, returncode=0, check=False, env=None, **extra):
    out = tmp_path / name
    extra_vars = dict({'leaked_access_key_ids': key_ids, 'respond_output_dir': str(out)}, **extra)
    run = run_playbook(runner, name, 'respond.yml', inventory, extra_vars=extra_vars, returncode=returncode, check=check,
                       env=env)
    report = json.loads((out / 'respond.json').read_text()) if (out / 'respond.json').exists() else None
    return run, report, out


def deployed(files, hosts=None):
    return deployed_keys(files, hosts or HOSTS)


def comments_of(emulator, user):
    return emulator.state()['users'][user].get('Comments') or ''


def custom_stats(run):
    line = next(line for line in run.output.splitlines() if line.strip().startswith('RUN: {'))
    return json.loads(line.strip()[len('RUN: '):])


def assert_no_secret_in(emulator, out):
    """The reports carry key ids, never a secret the emulator issued."""
    secrets = [s for s in emulator.all_secrets() if s]
    for path in out.iterdir():
        text = path.read_text()
        leaked = [s for s in secrets if s in text]
        assert not leaked, '%s contains a secret' % path.name


def use_key(emulator, env_file):
    """What the attacker does with the leaked pair: a call signed with it."""
    from alibabacloud_sts20150401.client import Client  # pylint: disable=import-outside-toplevel
    from alibabacloud_tea_openapi.utils_models import Config  # pylint: disable=import-outside-toplevel
    pair = read_env_file(str(env_file))
    Client(Config(access_key_id=pair['ALIBABA_CLOUD_ACCESS_KEY_ID'], access_key_secret=pair['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                  endpoint=emulator.endpoint, protocol='http')).get_caller_identity()


def test_replace_first_with_a_host_down_then_the_rerun_finishes_and_a_third_run_changes_nothing(runner, emulator, tmp_path):
    fresh(emulator)
    inventory, files = write_inventory(tmp_path)
    run_playbook(runner, 'provision', 'provision.yml', inventory)
    leaked = deployed(files)[('ir1', APP)]
    batch_key = deployed(files)[('ir1', BATCH)]
    use_key(emulator, files / 'ir1' / ('%s.env' % APP))
    emulator.admin('POST', 'propagation/flush')

    # ir3 is down during the incident
    inventory, files = write_inventory(tmp_path, unreachable=('ir3',))
    run, report, out = respond(runner, 'respond', inventory, tmp_path, leaked, returncode=2)
    now = deployed(files)
    replacement = now[('ir1', APP)]
    assert replacement != leaked and now[('ir2', APP)] == replacement and now[('ir3', APP)] == leaked
    # deactivated after the reachable hosts were done (respond_max_exposure_minutes 0), never deleted
    assert key_statuses(emulator, APP) == {leaked: 'Inactive', replacement: 'Active'}
    assert comments_of(emulator, APP).startswith('[compromised AccessKey: %s]' % leaked)
    # the other user of ir1 is untouched
    assert now[('ir1', BATCH)] == batch_key and key_statuses(emulator, BATCH) == {batch_key: 'Active'}

    incident, = report['incidents']
    assert (incident['decision'], incident['user_name'], incident['status_before'], incident['status_after']) == (
        'contain', APP, 'Active', 'Inactive')
    assert incident['holders'] == ['ir1', 'ir2'] and incident['unknown_hosts'] == ['ir3']
    assert sorted(h['host'] for h in incident['updated_hosts']) == ['ir1', 'ir2']
    assert incident['not_updated_hosts'] == ['ir3']
    assert 'aliyun.ram.respond' in incident['finish_command'] and incident['finish_command'].endswith('--limit ir3')
    assert 'leaked_access_key_ids=%s' % leaked in incident['finish_command']
    assert incident['replacement']['access_key_id'] == replacement and incident['replacement']['created_in_this_run']
    assert incident['proven'] is True
    assert incident['event_count'] >= 1 and 'GetCallerIdentity' in [e['event_name'] for e in incident['events']]
    whats = [entry['what'] for entry in incident['timeline']]
    for expected in ('created', 'last used (GetAccessKeyLastUsed)', 'contained (deactivated)', 'host ir1 updated',
                     'host ir2 updated', 'replaced by %s' % replacement):
        assert expected in whats, whats
    assert any(w.startswith('first ActionTrail event: ') for w in whats)
    stats = custom_stats(run)['aliyun_ram_respond']
    assert stats['decisions'] == {leaked: 'contain'} and stats['hosts_not_updated'] == ['ir3']
    assert stats['unfinished'] == [leaked] and stats['paths']['html'].endswith('respond.html')
    # the run fails, saying how to finish
    assert 'not finished for %s: hosts not updated ir3' % leaked in run.output
    markdown = (out / 'respond.md').read_text()
    assert '## %s' % leaked in markdown and '--limit ir3' in markdown
    assert_no_secret_in(emulator, out)

    # provision does not bring the leaked key back: ir3 (still down) is left, the others keep the replacement
    run_playbook(runner, 'provision-after', 'provision.yml', inventory, returncode=4)
    assert key_statuses(emulator, APP) == {leaked: 'Inactive', replacement: 'Active'}

    # ir3 is back: the re-run deploys the replacement there and changes nothing else
    inventory, files = write_inventory(tmp_path)
    emulator.reset_counters()
    # limited to the hosts not updated, as the report's finish command is (aliyun_ram_hosts narrows the play as
    # --limit does): the hosts updated before are neither read nor reported as not updated
    run, report, out = respond(runner, 'respond-again', inventory, tmp_path, leaked, aliyun_ram_hosts='ir3')
    assert deployed(files)[('ir3', APP)] == replacement
    assert key_statuses(emulator, APP) == {leaked: 'Inactive', replacement: 'Active'}
    incident, = report['incidents']
    assert incident['decision'] == 'finish' and incident['holders'] == ['ir3']
    assert [h['host'] for h in incident['updated_hosts']] == ['ir3'] and incident['not_updated_hosts'] == []
    assert not incident['replacement']['created_in_this_run'] and incident['finish_command'] is None
    assert report['summary']['unfinished'] == []

    # and once more: already contained, nothing changes in RAM or on the hosts
    emulator.reset_counters()
    before = deployed(files)
    run, report, out = respond(runner, 'respond-contained', inventory, tmp_path, leaked)
    assert emulator.counters()['writes'] == 0
    assert deployed(files) == before
    incident, = report['incidents']
    assert incident['decision'] == 'already_contained' and 'already contained' in incident['message']
    assert 'nothing was changed' in incident['message']
    assert_no_secret_in(emulator, out)


def test_deactivate_first_stops_the_key_before_the_replacement_exists(runner, emulator, tmp_path):
    fresh(emulator)
    hosts = {'ir1': [BATCH]}
    inventory, files = write_inventory(tmp_path, hosts=hosts)
    run_playbook(runner, 'provision', 'provision.yml', inventory)
    leaked = deployed(files, hosts)[('ir1', BATCH)]

    # a dry run changes nothing in RAM or on the host, and its report says what would be done
    emulator.reset_counters()
    dry, report, out = respond(runner, 'respond-check', inventory, tmp_path, [leaked], check=True,
                               respond_mode='deactivate_first')
    assert emulator.counters()['writes'] == 0 and deployed(files, hosts)[('ir1', BATCH)] == leaked
    assert key_statuses(emulator, BATCH) == {leaked: 'Active'} and comments_of(emulator, BATCH) == ''
    assert report['check_mode'] and report['incidents'][0]['decision'] == 'contain'
    emulator.admin('DELETE', 'events')

    run, report, out = respond(runner, 'respond-deactivate-first', inventory, tmp_path, [leaked],
                               respond_mode='deactivate_first')
    replacement = deployed(files, hosts)[('ir1', BATCH)]
    assert replacement != leaked and key_statuses(emulator, BATCH) == {leaked: 'Inactive', replacement: 'Active'}
    # the order RAM saw: the leaked key deactivated, then the new key created
    writes = [(e['eventName'], e.get('requestParameters') or {}) for e in emulator.admin('GET', 'events')['events']
              if e['eventName'] in ('UpdateAccessKey', 'CreateAccessKey', 'DeleteAccessKey')]
    assert [name for name, dummy in writes] == ['UpdateAccessKey', 'CreateAccessKey'], writes
    incident, = report['incidents']
    assert incident['decision'] == 'contain' and report['mode'] == 'deactivate_first'
    assert incident['contained_at'] <= incident['replacement']['create_date']
    assert [h['host'] for h in incident['updated_hosts']] == ['ir1'] and incident['proven'] is True
    assert_no_secret_in(emulator, out)


def store_options(store):
    """The secret_store option of the store that the provision role's variables ``store`` configure."""
    return ({'path': store['provision_secret_store']} if 'provision_secret_store' in store else
            {'backend': 'kms', 'name_prefix': store['provision_secret_store_name_prefix']})


def store_contents(runner, name, store, env, users):
    """What the secret store holds for ``users``: ({user: stored key id}, [(user, compromised key id)])."""
    run = runner.tasks(name, [{'name': 'List the store',
                               'aliyun.ram.secret_store': {'secret_store': store_options(store), 'users': users},
                               'register': 'listed'}], env=env)
    listed = run.results['listed']
    assert not listed.get('failed'), runner.failure_text(run)
    return (dict((entry['user_name'], entry['access_key_id']) for entry in listed['stored']),
            sorted((record['user_name'], record['access_key_id']) for record in listed['compromised']))


@pytest.mark.parametrize('backend', ['vault_file', 'kms'])
def test_the_secret_store_records_the_key_as_compromised_and_never_takes_it_back(runner, emulator, tmp_path, backend):
    """With a secret store the leaked key is recorded there too: the store drops its copy, keeps the replacement, and
    refuses the leaked key from then on; provision treats it as compromised even once the RAM record is gone."""
    fresh(emulator)
    hosts = {'ir1': [APP], 'ir2': [APP]}
    inventory, files = write_inventory(tmp_path, hosts=hosts)
    password_file = tmp_path / 'vault-pass'
    password_file.write_text('respond-store-vault-password\n')
    password_file.chmod(0o600)
    env = {'ANSIBLE_VAULT_PASSWORD_FILE': str(password_file)}
    store = ({'provision_secret_store': str(tmp_path / 'ram-keys.vault.yml')} if backend == 'vault_file' else
             {'provision_secret_store_backend': 'kms', 'provision_secret_store_name_prefix': 'respond/'})
    run_playbook(runner, 'provision', 'provision.yml', inventory, extra_vars=store, env=env)
    leaked = deployed(files, hosts)[('ir1', APP)]
    assert store_contents(runner, 'store-before', store, env, [APP]) == ({APP: leaked}, [])
    leaked_env = (files / 'ir1' / ('%s.env' % APP)).read_bytes()

    dummy, report, out = respond(runner, 'respond', inventory, tmp_path, leaked, env=env, **store)
    replacement = deployed(files, hosts)[('ir1', APP)]
    assert replacement != leaked and report['incidents'][0]['decision'] == 'contain'
    assert_no_secret_in(emulator, out)
    assert store_contents(runner, 'store-after', store, env, [APP]) == ({APP: replacement}, [(APP, leaked)])

    # someone clears the user's Comments (the RAM record is gone) and puts the leaked pair back on a host: provision
    # with the store still refuses it, and the host gets the replacement again
    from alibabacloud_ram20150501 import models as ram  # pylint: disable=import-outside-toplevel
    emulator.ram_client('root').update_user(ram.UpdateUserRequest(user_name=APP, new_comments='web tier'))
    assert comments_of(emulator, APP) == 'web tier'
    (files / 'ir1' / ('%s.env' % APP)).write_bytes(leaked_env)
    again = run_playbook(runner, 'provision-after', 'provision.yml', inventory, extra_vars=store, env=env)
    assert deployed(files, hosts) == {('ir1', APP): replacement, ('ir2', APP): replacement}
    assert key_statuses(emulator, APP) == {leaked: 'Inactive', replacement: 'Active'}
    assert 'AccessKey %s of user %s is recorded as compromised' % (leaked, APP) in again.output

    # and the store never takes the leaked key back
    refused = runner.tasks('store-import', [{
        'name': 'Import the leaked key', 'aliyun.ram.secret_store': {
            'secret_store': store_options(store),
            'access_keys': [{'user_name': APP, 'access_key_id': leaked, 'access_key_secret': 'not-the-real-secret'}]},
        'register': 'imported'}], env=env)
    assert refused.results['imported'].get('failed')
    assert 'AccessKey %s of user %s is recorded as compromised in the secret store' % (leaked, APP) in \
        refused.results['imported']['msg']


def test_keys_that_cannot_be_contained_safely_are_refused_with_what_to_do_and_nothing_changes(runner, emulator, tmp_path):
    """In one run: the account root key (used lately), a key of no user, a key of a user with two Active keys, and a
    key whose user's other key is held by a host."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    fresh(emulator)
    client = emulator.ram_client('admin')
    root_id = emulator.env_for('root')['ALIBABA_CLOUD_ACCESS_KEY_ID']
    emulator.ram_client('root').list_users(models.ListUsersRequest())
    client.create_user(models.CreateUserRequest(user_name='ir-two'))
    two_leaked = client.create_access_key(models.CreateAccessKeyRequest(user_name='ir-two')).body.access_key.access_key_id
    client.create_access_key(models.CreateAccessKeyRequest(user_name='ir-two'))
    client.create_user(models.CreateUserRequest(user_name='ir-held'))
    held_other = client.create_access_key(models.CreateAccessKeyRequest(user_name='ir-held')).body.access_key
    client.update_access_key(models.UpdateAccessKeyRequest(user_name='ir-held', user_access_key_id=held_other.access_key_id,
                                                           status='Inactive'))
    held_leaked = client.create_access_key(models.CreateAccessKeyRequest(user_name='ir-held')).body.access_key.access_key_id
    hosts = {'ir1': ['ir-held']}
    inventory, files = write_inventory(tmp_path, hosts=hosts, extra_users=['ir-held'])
    env_file = files / 'ir1' / 'ir-held.env'
    env_file.parent.mkdir(parents=True)
    env_file.write_text('ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' % (
        held_other.access_key_id, held_other.access_key_secret))
    env_file.chmod(0o600)
    unknown = 'LTAI' + 'Unknown' + '0' * 13
    emulator.admin('POST', 'propagation/flush')
    before = dict((user, key_statuses(emulator, user)) for user in ('ir-two', 'ir-held'))
    emulator.reset_counters()

    run, report, out = respond(runner, 'respond-refused', inventory, tmp_path,
                               ','.join([root_id, unknown, two_leaked, held_leaked]), returncode=2)
    assert emulator.counters()['writes'] == 0
    assert dict((user, key_statuses(emulator, user)) for user in ('ir-two', 'ir-held')) == before
    assert env_file.read_text().startswith('ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n' % held_other.access_key_id)
    decisions = dict((i['access_key_id'], i) for i in report['incidents'])
    assert [decisions[k]['decision'] for k in (root_id, unknown, two_leaked, held_leaked)] == [
        'root_key', 'unknown_key', 'two_active_keys', 'other_key_held']
    root = decisions[root_id]
    assert 'root AccessKey of the Alibaba Cloud account' in root['message'] and 'nothing was changed' in root['message']
    assert len(root['console_steps']) == 4 and any('disable it' in step for step in root['console_steps'])
    assert 'belongs to no RAM user of this account' in decisions[unknown]['message']
    assert 'has two Active AccessKeys' in decisions[two_leaked]['message']
    assert 'UpdateAccessKey --UserName ir-two --UserAccessKeyId %s --Status Inactive' % two_leaked in decisions[two_leaked]['message']
    assert decisions[held_leaked]['message'].startswith('hosts ir1 hold %s, another AccessKey of user ir-held' % held_other.access_key_id)
    assert report['summary']['refused'] == 4
    # the failure says why, per key
    assert 'is the root AccessKey of the Alibaba Cloud account' in run.output and 'has two Active AccessKeys' in run.output
    html = (out / 'respond.html').read_text()
    assert html.count('class="console-steps"') == 1 and 'data-decision="other_key_held"' in html
    assert_no_secret_in(emulator, out)


def test_a_typo_fails_before_any_call(runner, emulator, tmp_path):
    fresh(emulator)
    inventory, dummy = write_inventory(tmp_path, hosts={'ir1': [APP]})
    emulator.reset_counters()
    run, report, dummy = respond(runner, 'respond-typo', inventory, tmp_path, 'LTAI5tGoodKey00000000000, LTAl5t-typo',
                                 returncode=2)
    assert report is None
    assert "'LTAl5t-typo' is not an AccessKey ID" in run.output and 'nothing was read or changed' in run.output
    assert emulator.counters()['reads'] == 0 and emulator.counters()['writes'] == 0
