# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/provision.yml, rotate.yml, audit.yml and revoke.yml end to end, as an operator runs them, on two
pseudo-hosts (local connection, env files under the test's directory) against the emulator.

The matrix stage runs this module with the oldest supported ansible-core too (scripts/matrix.sh): before 2.19 a
templated null reaches a module as an empty string, which failed ``rotate_older_than_days`` and
``delete_after_days`` there (checked: with the role passing ``none`` instead of ``omit``, the rotate step failed on
ansible-core 2.16 with "cannot be converted to an int"). The molecule scenarios run the same playbooks on real test
hosts, on the newest ansible-core only.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from ansible.release import __version__ as ansible_core_version

from tests.support import policies
from tests.support.emulator import deployed_keys, key_statuses, read_env_file
from tests.support.fixtures import fresh
from tests.support.playbook import REPO_ROOT, user_keys

APP, BATCH = 'flow-app', 'flow-batch'
HOSTS = {'flow1': [APP, BATCH], 'flow2': [APP]}


def write_inventory(tmp_path):
    files = tmp_path / 'files'
    inventory = {'all': {
        'vars': {'ansible_connection': 'local', 'provision_users': [{'name': APP}, {'name': BATCH}]},
        'hosts': dict((host, {'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': str(files / host / ('%s.env' % user))}]} for user in users]})
            for host, users in HOSTS.items()),
    }}
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    return path, files


def run_playbook(runner, name, playbook, inventory, extra_vars=None, check=False, diff=False, returncode=0, env=None):
    plays = [{'ansible.builtin.import_playbook': str(REPO_ROOT / 'playbooks' / playbook)}]
    run = runner.run(name, plays, inventory=str(inventory), extra_vars=extra_vars, check=check, diff=diff,
                     save_results=False, env=env)
    assert run.returncode == returncode, runner.failure_text(run, 8000)
    return run


def summary_lines(run):
    """The lines of the run's closing summary, as the operator reads them."""
    lines = [line.strip().strip('",') for line in run.output.splitlines()]
    start = next(index for index, line in enumerate(lines) if line.endswith(' summary') or ' summary (check mode' in line)
    end = next(index for index in range(start, len(lines)) if lines[index].startswith('Hosts failed or unreachable'))
    return lines[start:end + 1]


def deployed(files):
    return deployed_keys(files, HOSTS)


CORE_BEFORE_2_19 = tuple(int(part) for part in ansible_core_version.split('.')[:2]) < (2, 19)


def recap_changed(run):
    """{host: changed count} from the play recap."""
    changed = {}
    for line in run.output.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[1] == ':' and parts[3].startswith('changed='):
            changed[parts[0]] = int(parts[3].split('=')[1])
    return changed


def host_round_trips(run):
    """{host: module runs on it}. With pipelining each module run on a host is one connection exec (one SSH round trip
    on a real host); the RAM modules run inside Ansible's own process on the controller and do not count."""
    trips = {}
    for line in run.output.splitlines():
        match = re.match(r'<(flow\d+)> EXEC ', line)
        if match:
            trips[match.group(1)] = trips.get(match.group(1), 0) + 1
    return trips


def hosts_by_task(run):
    """{task name: hosts it ran or was skipped on}, from the task banners and the result lines under them."""
    hosts, task = {}, None
    for line in run.output.splitlines():
        banner = re.match(r'(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$', line)
        if banner:
            task = banner.group(1)
            hosts.setdefault(task, set())
            continue
        result = re.match(r'(?:ok|changed|skipping|failed|fatal): \[([^\] ]+)', line) or re.match(r'included: \S+ for (.+)$', line)
        if task and result:
            hosts[task].update(name.strip() for name in result.group(1).split(','))
    return hosts


def test_provision_rotate_audit_revoke(runner, emulator, tmp_path):
    fresh(emulator)
    inventory, files = write_inventory(tmp_path)

    # a dry run on a fresh account: no write, no file, exit 0
    emulator.reset_counters()
    dry = run_playbook(runner, 'provision-check', 'provision.yml', inventory, check=True, diff=True)
    assert emulator.counters()['writes'] == 0 and deployed(files) == {}
    app_env, batch_env = files / 'flow1' / ('%s.env' % APP), files / 'flow1' / ('%s.env' % BATCH)
    assert summary_lines(dry) == [
        'Provision summary (check mode: nothing was changed; this is what a real run would do)',
        'Users that would be created: %s, %s' % (APP, BATCH),
        'AccessKeys that would be created: %s (new key), %s (new key)' % (APP, BATCH),
        'Files that would change: flow1 (%s, %s), flow2 (%s)' % (app_env, batch_env, files / 'flow2' / ('%s.env' % APP)),
        'Hosts failed or unreachable: none']
    # per host and file, the would-be change, with the key that does not exist yet as a placeholder
    assert '+++ after: %s' % (files / 'flow2' / ('%s.env' % APP)) in dry.output
    assert '+ALIBABA_CLOUD_ACCESS_KEY_ID=NewAccessKeyWouldBeCreated' in dry.output

    run = run_playbook(runner, 'provision', 'provision.yml', inventory, diff=True)
    keys = deployed(files)
    assert set(keys) == {('flow1', APP), ('flow1', BATCH), ('flow2', APP)}
    assert keys[('flow1', APP)] == keys[('flow2', APP)]
    ours = dict((user, ids) for user, ids in user_keys(emulator.state()).items() if user in (APP, BATCH))
    assert ours == {APP: [keys[('flow1', APP)]], BATCH: [keys[('flow1', BATCH)]]}
    # which file changed on which host, with a diff that names the key id and masks the secret
    assert '+++ after: %s' % app_env in run.output and '+++ after: %s' % batch_env in run.output
    assert '+++ after: %s' % (files / 'flow2' / ('%s.env' % APP)) in run.output
    # the users are new, so nothing the hosts hold is read: one module run per host writes all its files (flow1 has two)
    assert host_round_trips(run) == {'flow1': 1, 'flow2': 1}
    assert '+ALIBABA_CLOUD_ACCESS_KEY_ID=%s' % keys[('flow1', APP)] in run.output
    assert '+ALIBABA_CLOUD_ACCESS_KEY_SECRET=********' in run.output
    assert 'AccessKeys created: %s %s, %s %s' % (APP, keys[('flow1', APP)], BATCH, keys[('flow1', BATCH)]) in summary_lines(run)

    emulator.reset_counters()
    again = run_playbook(runner, 'provision-again', 'provision.yml', inventory)
    assert emulator.counters()['writes'] == 0
    assert set(recap_changed(again).values()) == {0}, recap_changed(again)
    assert summary_lines(again) == [
        'Provision summary',
        'AccessKeys kept: %s %s, %s %s' % (APP, keys[('flow1', APP)], BATCH, keys[('flow1', BATCH)]),
        'Users unchanged: 2',
        'Files changed: none',
        'Hosts with nothing changed: flow1, flow2',
        'Hosts failed or unreachable: none']
    # converged: each host is read once (all its files in one module run) and not contacted again
    assert host_round_trips(again) == {'flow1': 1, 'flow2': 1}
    assert hosts_by_task(again)['aliyun.ram.provision : Write the credential files of this host (one module run for all its files)'] <= {'flow1'}
    # and only the read runs on each host: a task on each host costs a worker process per host even when every host
    # skips it (benchmarks/README.md, "Fleet"), the others run once (the role's options too: playbooks/provision.yml
    # imports it with rolespec_validate false, and its first task checks every host's options at once)
    per_host = sorted(task.split(' : ', 1)[-1][:24] for task, names in hosts_by_task(again).items() if len(names) > 1)
    # before ansible-core 2.19 the render of users' templates runs on each host too (roles/provision/tasks/write_files.yml)
    expected = ['Read the key id and secr'] + (["Render the user's own te"] if CORE_BEFORE_2_19 else [])
    assert per_host == expected, hosts_by_task(again)

    # one file of one host no longer what a write would leave (its mode): that host alone is written, that file alone
    flow2_env = files / 'flow2' / ('%s.env' % APP)
    flow2_env.chmod(0o644)
    touched = run_playbook(runner, 'provision-one-host-changed', 'provision.yml', inventory)
    assert host_round_trips(touched) == {'flow1': 1, 'flow2': 2}
    assert recap_changed(touched)['flow1'] == 0 and recap_changed(touched)['flow2'] > 0 and oct(flow2_env.stat().st_mode & 0o777) == '0o600'
    assert 'Files changed: flow2 (%s)' % flow2_env in summary_lines(touched)

    # dry runs on a converged account: provision and rotate say what they would do and write nothing
    converged_check = run_playbook(runner, 'provision-check-converged', 'provision.yml', inventory, check=True)
    assert 'Files that would change: none' in summary_lines(converged_check)
    # the users as a list here, as one string in the real rotation below
    rotate_check = run_playbook(runner, 'rotate-check', 'rotate.yml', inventory, check=True,
                                extra_vars={'provision_rotate_users': [APP]})
    assert 'AccessKeys that would be replaced: %s %s -> (new key)' % (APP, keys[('flow1', APP)]) in summary_lines(rotate_check)
    assert emulator.counters()['writes'] == 0 and deployed(files) == keys

    # the users as one string, as -e gives them; only flow-app is rotated
    old_app = keys[('flow1', APP)]
    run_playbook(runner, 'rotate', 'rotate.yml', inventory, extra_vars={'provision_rotate_users': APP})
    rotated = deployed(files)
    new_app = rotated[('flow1', APP)]
    assert new_app != old_app and rotated[('flow2', APP)] == new_app and rotated[('flow1', BATCH)] == keys[('flow1', BATCH)]
    assert key_statuses(emulator, APP) == {old_app: 'Inactive', new_app: 'Active'}

    # no user is old enough to rotate; the grace period of 0 days deletes the Inactive key
    run_playbook(runner, 'rotate-retire', 'rotate.yml', inventory,
                 extra_vars={'provision_rotate_older_than_days': 30, 'provision_delete_after_days': 0})
    assert key_statuses(emulator, APP) == {new_app: 'Active'} and deployed(files) == rotated

    reports = tmp_path / 'audit'
    emulator.reset_counters()
    run_playbook(runner, 'audit', 'audit.yml', inventory, check=True,
                 extra_vars={'audit_output_dir': str(reports), 'audit_users': '%s,%s' % (APP, BATCH)})
    assert emulator.counters()['writes'] == 0
    report = json.loads((reports / 'audit.json').read_text())
    assert report['summary']['users'] == 2 and report['summary']['hosts_read'] == 2

    # revoke refuses a run with no target, and a real run without the confirmation, before any change
    emulator.reset_counters()
    unscoped = run_playbook(runner, 'revoke-unscoped', 'revoke.yml', inventory, check=True, returncode=2)
    assert 'needs an explicit target' in unscoped.output
    unconfirmed = run_playbook(runner, 'revoke-unconfirmed', 'revoke.yml', inventory, returncode=2,
                               extra_vars={'provision_revoke_users': BATCH})
    assert 'provision_revoke_confirm=true' in unconfirmed.output
    counters = emulator.counters()
    assert counters['reads'] + counters['writes'] == 0 and deployed(files) == rotated

    # one user, as a string: the dry run names exactly what would go, the real run removes only that
    only_batch = {'provision_revoke_users': BATCH}
    look = run_playbook(runner, 'revoke-check', 'revoke.yml', inventory, check=True, diff=True, extra_vars=only_batch)
    assert emulator.counters()['writes'] == 0 and deployed(files) == rotated
    assert summary_lines(look)[1:] == [
        'AccessKeys that would be deleted: %s' % keys[('flow1', BATCH)],
        'Files that would change: flow1 (%s)' % batch_env,
        'Hosts with nothing to change: flow2',
        'Hosts failed or unreachable: none']
    run_playbook(runner, 'revoke-batch', 'revoke.yml', inventory,
                 extra_vars=dict(only_batch, provision_revoke_confirm=True))
    assert deployed(files) == dict((where, key_id) for where, key_id in rotated.items() if where[1] != BATCH)
    assert key_statuses(emulator, BATCH) == {}

    # half provisioned (flow-batch exists without a key): the dry run would create its key and write its file only
    emulator.reset_counters()
    partial = run_playbook(runner, 'provision-check-partial', 'provision.yml', inventory, check=True)
    assert emulator.counters()['writes'] == 0
    assert summary_lines(partial)[1:] == [
        'AccessKeys that would be created: %s (new key)' % BATCH,
        'AccessKeys kept: %s %s' % (APP, new_app),
        'Users unchanged: 2',
        'Files that would change: flow1 (%s)' % batch_env,
        'Hosts with nothing to change: flow2',
        'Hosts failed or unreachable: none']

    run_playbook(runner, 'revoke', 'revoke.yml', inventory, extra_vars={
        'provision_revoke_delete_users': True, 'provision_revoke_users': [APP, BATCH], 'provision_revoke_confirm': 'true'})
    state = emulator.state()
    assert not {APP, BATCH} & set(state['users']) and deployed(files) == {}


def readme_first_playbook():
    text = (REPO_ROOT / 'README.md').read_text()
    section = text[text.index('## First playbook'):]
    return section[section.index('```yaml') + len('```yaml'):section.index('```', section.index('```yaml') + 7)]


def test_the_readmes_first_playbook_runs_and_then_says_ok(runner, emulator, tmp_path):
    """The README's "First playbook", as written except that /etc/ is this test's directory: the first run creates
    the user, one key and the file on both web hosts; the second changes nothing and makes no write call."""
    fresh(emulator)
    playbook = readme_first_playbook().replace('/etc/', '%s/etc/' % tmp_path)
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'web': {'vars': {'ansible_connection': 'local'},
                                                 'hosts': {'web1': None, 'web2': None}}}))
    plays = yaml.safe_load(playbook)
    first = runner.run('readme', plays, inventory=str(inventory), diff=False, save_results=False)
    assert first.returncode == 0, runner.failure_text(first, 8000)
    key_ids = set(read_env_file(str(tmp_path / 'etc' / 'app-web' / 'aliyun.env')).values()) & set(
        user_keys(emulator.state()).get('app-web', []))
    assert len(key_ids) == 1
    emulator.reset_counters()
    second = runner.run('readme-again', plays, inventory=str(inventory), diff=False, save_results=False)
    assert second.returncode == 0, runner.failure_text(second, 8000)
    assert emulator.counters()['writes'] == 0 and set(recap_changed(second).values()) == {0}


def write_group_inventory(tmp_path, conflict=False):
    """flow1 is in groups web and batch, flow2 in web only; each group declares its user and file in its own
    provision_users__<group> / provision_credentials__<group> variables. With ``conflict``, batch's file is web's
    file (one env file, two users) and flow1 is the only host."""
    files = tmp_path / 'files'
    path = str(files) + '/{{ inventory_hostname }}/%s.env'

    def group(user, file_name):
        return {'provision_users__' + user.split('-')[1]: [{'name': user}],
                'provision_credentials__' + user.split('-')[1]: [{'user': user, 'files': [
                    {'format': 'env', 'path': path % file_name}]}]}

    inventory = {'all': {'vars': {'ansible_connection': 'local'}, 'children': {
        'web': {'vars': group(APP, APP), 'hosts': {'flow1': None} if conflict else {'flow1': None, 'flow2': None}},
        'batch': {'vars': group(BATCH, APP if conflict else BATCH), 'hosts': {'flow1': None}},
    }}}
    inventory_path = tmp_path / 'inventory.yml'
    inventory_path.write_text(yaml.safe_dump(inventory))
    return inventory_path, files


def test_declarations_of_two_groups_both_reach_a_host_in_both(runner, emulator, tmp_path):
    """provision_credentials__web and provision_credentials__batch are merged on flow1 (a plain
    provision_credentials in each group would leave it one group's list only)."""
    fresh(emulator)
    inventory, files = write_group_inventory(tmp_path)
    run_playbook(runner, 'provision-groups', 'provision.yml', inventory)
    keys = deployed(files)
    assert set(keys) == {('flow1', APP), ('flow1', BATCH), ('flow2', APP)}
    assert keys[('flow1', APP)] == keys[('flow2', APP)] != keys[('flow1', BATCH)]
    ours = dict((user, ids) for user, ids in user_keys(emulator.state()).items() if user in (APP, BATCH))
    assert ours == {APP: [keys[('flow1', APP)]], BATCH: [keys[('flow1', BATCH)]]}


def test_a_first_host_without_declarations_leaves_the_others_theirs(runner, emulator, tmp_path):
    """The play's first host (whose view of the play's variables the role reads them through) declares nothing: the
    other hosts still get their own files (a role default must not pass for a value the play sets for every host)."""
    fresh(emulator)
    files = tmp_path / 'files'
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local'},
        'hosts': {'aaa-bare': {},
                  'flow1': {'provision_users': [{'name': APP}], 'provision_credentials': [
                      {'user': APP, 'files': [{'format': 'env', 'path': str(files / 'flow1' / ('%s.env' % APP))}]}]}}}}))
    run_playbook(runner, 'provision-bare-first', 'provision.yml', inventory)
    assert deployed(files) == {('flow1', APP): user_keys(emulator.state())[APP][0]}


def test_a_wrong_role_option_fails_its_host_alone_before_any_call_and_a_wrong_play_value_every_host(runner, emulator, tmp_path):
    """playbooks/provision.yml imports the role with rolespec_validate false; the role checks every host's options at
    once. A wrong value in one host's inventory fails that host alone, before any API call; the others converge. The
    same value given to the whole run (-e) fails every host, naming the option, and calls nothing."""
    fresh(emulator)
    files = tmp_path / 'files'
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local', 'provision_users': [{'name': APP}]},
        'hosts': dict((host, dict({'provision_credentials': [
            {'user': APP, 'files': [{'format': 'env', 'path': str(files / host / ('%s.env' % APP))}]}]},
            **({'provision_on_limit': 'bogus'} if host == 'flow2' else {}))) for host in ('flow1', 'flow2'))}}))
    plays = [{'ansible.builtin.import_playbook': str(REPO_ROOT / 'playbooks' / 'provision.yml')}]
    run = runner.run('provision-bad-option', plays, inventory=str(inventory), diff=False, save_results=False)
    assert run.returncode == 2, runner.failure_text(run, 8000)
    assert 'host flow2: value of provision_on_limit must be one of: fail, delete_inactive, got: bogus' in run.output
    assert recap_changed(run)['flow1'] >= 1 and recap_changed(run)['flow2'] == 0 and set(deployed(files)) == {('flow1', APP)}

    emulator.reset_counters()
    inventory.write_text(inventory.read_text().replace('bogus', 'fail'))
    run = runner.run('provision-bad-play-option', plays, inventory=str(inventory), diff=False, save_results=False,
                     extra_vars={'provision_max_age_days': 'soon'})
    assert run.returncode == 2, runner.failure_text(run, 8000)
    for host in ('flow1', 'flow2'):
        assert re.search(r"host %s: argument 'provision_max_age_days' is of type" % host, run.output), run.output[-3000:]
    assert emulator.counters()['writes'] == 0 and emulator.counters()['reads'] == 0


def test_one_file_declared_for_two_users_fails_before_any_call_or_change(runner, emulator, tmp_path):
    fresh(emulator)
    inventory, files = write_group_inventory(tmp_path, conflict=True)
    plays = [{'ansible.builtin.import_playbook': str(REPO_ROOT / 'playbooks' / 'provision.yml')}]
    run = runner.run('provision-conflict', plays, inventory=str(inventory), diff=False, save_results=False)
    assert run.returncode != 0
    message = ('host flow1: the env file %s/flow1/%s.env, profile default is declared for two users, user %s (in '
               'provision_credentials__app) and user %s (in provision_credentials__batch)' % (files, APP, APP, BATCH))
    assert message in run.output, runner.failure_text(run, 8000)
    assert emulator.counters()['writes'] == 0 and emulator.counters()['reads'] == 0
    assert not files.exists()


# ---------------------------------------------------------------- the audit's unused keys, honestly measured

IDLE, OTHER = 'flow-idle', 'flow-other'
AUDIT_HOSTS = {'flow1': [APP, BATCH], 'flow2': [APP, IDLE, OTHER]}
DAY = 86400


def write_audit_inventory(tmp_path):
    files = tmp_path / 'files'
    inventory = {'all': {
        'vars': {'ansible_connection': 'local', 'provision_users': [{'name': user} for user in (APP, BATCH, IDLE, OTHER)]},
        'hosts': dict((host, {'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': str(files / host / ('%s.env' % user))}]} for user in users]})
            for host, users in AUDIT_HOSTS.items()),
    }}
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    return path, files


def last_used(emulator, key_ids):
    """{key id: last use} of the keys in the emulator's latest state (every use, without the last-use lag)."""
    keys = emulator.state()['access_keys']
    return dict((key['AccessKeyId'], key['last_used']) for key in (keys.values() if isinstance(keys, dict) else keys)
                if key['AccessKeyId'] in key_ids)


def signing_key_ids(emulator):
    """The AccessKey ids that signed the calls recorded since the events were last cleared, by action."""
    signed = {}
    for event in emulator.admin('GET', 'events')['events']:
        signed.setdefault(event['eventName'], set()).add(event['userIdentity'].get('accessKeyId'))
    return signed


def use_key(emulator, env_file):
    """What an application does: a call signed with the key pair of a deployed env file (STS GetCallerIdentity)."""
    from alibabacloud_sts20150401.client import Client  # pylint: disable=import-outside-toplevel
    from alibabacloud_tea_openapi.utils_models import Config  # pylint: disable=import-outside-toplevel
    pair = read_env_file(str(env_file))
    Client(Config(access_key_id=pair['ALIBABA_CLOUD_ACCESS_KEY_ID'], access_key_secret=pair['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
                  endpoint=emulator.endpoint, protocol='http')).get_caller_identity()


def custom_stats(run):
    """The set_stats data of the run (ANSIBLE_SHOW_CUSTOM_STATS prints it as one JSON line after RUN:)."""
    line = next(line for line in run.output.splitlines() if line.strip().startswith('RUN: {'))
    return json.loads(line.strip()[len('RUN: '):])


def test_audit_reports_unused_keys_without_using_any_held_key(runner, emulator, tmp_path):
    """Keys made 40 days ago: flow-batch's proven by provision then (last use 40 days ago), flow-idle's made outside and
    never used, flow-app's used by an application now, flow-other's (not audited) held on flow2. The audit with a
    30-day policy reports flow-batch's and flow-idle's keys unused, not flow-app's, reports flow-other's key as not
    identified, and signs no call with any held key: every last use is what it was. With audit_prove_held_keys=true it
    identifies flow-other's key with STS, which RAM records as a use of that key (the documented side effect)."""
    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel
    fresh(emulator)
    inventory, files = write_audit_inventory(tmp_path)

    emulator.admin('POST', 'clock', {'offset_seconds': -40 * DAY})
    client = emulator.ram_client('admin')
    client.create_user(models.CreateUserRequest(user_name=IDLE))
    idle = client.create_access_key(models.CreateAccessKeyRequest(user_name=IDLE)).body.access_key
    idle_env = files / 'flow2' / ('%s.env' % IDLE)
    idle_env.parent.mkdir(parents=True)
    idle_env.write_text('ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' % (
        idle.access_key_id, idle.access_key_secret))
    idle_env.chmod(0o600)
    emulator.admin('POST', 'propagation/flush')
    run_playbook(runner, 'provision-40-days-ago', 'provision.yml', inventory)
    emulator.admin('POST', 'clock', {'offset_seconds': 0})

    keys = dict((user, read_env_file(str(files / host / ('%s.env' % user)))['ALIBABA_CLOUD_ACCESS_KEY_ID'])
                for host, users in AUDIT_HOSTS.items() for user in users)
    assert keys[IDLE] == idle.access_key_id and len(set(keys.values())) == 4
    before = last_used(emulator, keys.values())
    # provision proved the keys it created (40 days ago) and kept flow-idle's held key without a call signed with it
    assert before[keys[IDLE]] is None and all(before[keys[user]] for user in (APP, BATCH, OTHER))
    use_key(emulator, files / 'flow1' / ('%s.env' % APP))
    before = last_used(emulator, keys.values())
    assert before[keys[APP]] > before[keys[BATCH]]

    audited = {'audit_users': [APP, BATCH, IDLE], 'audit_unused_days': 30}
    emulator.admin('DELETE', 'events')
    audit = run_playbook(runner, 'audit-unused', 'audit.yml', inventory, env={'ANSIBLE_SHOW_CUSTOM_STATS': '1'},
                         extra_vars=dict(audited, audit_output_dir=str(tmp_path / 'audit')))
    report = json.loads((tmp_path / 'audit' / 'audit.json').read_text())
    unused = dict((f['user_name'], f) for f in report['findings'] if f['kind'] == 'unused_key')
    assert sorted(unused) == [BATCH, IDLE], report['findings']
    assert unused[BATCH]['access_key_id'] == keys[BATCH] and 'was last used 40 days ago' in unused[BATCH]['message']
    assert unused[IDLE]['access_key_id'] == keys[IDLE] and 'has never been used in the 40 days' in unused[IDLE]['message']
    assert all("GetAccessKeyLastUsed" in f['message'] and 'up to about two hours' in f['message'] for f in unused.values())
    assert report['policy']['unused_days'] == 30 and report['summary']['unused_keys'] == 2
    # flow-other's key is no audited user's: reported, not asked of STS
    other, = [f for f in report['findings'] if f['kind'] != 'unused_key']
    assert (other['kind'], other['access_key_id'], other['hosts']) == ('key_not_verified', keys[OTHER], ['flow2'])
    assert 'was not identified' in other['message'] and 'audit_prove_held_keys=true' in other['message']
    assert report['other_keys'][0]['identity_type'] is None
    stats = custom_stats(audit)['aliyun_ram_audit']
    assert stats['unused_keys'] == 2 and sorted(stats['unused_access_key_ids']) == sorted([keys[BATCH], keys[IDLE]])

    # the audit signed no call with a held key: every held key's last use is as before, and only the controller's key signed
    assert last_used(emulator, keys.values()) == before
    signed = signing_key_ids(emulator)
    assert set().union(*signed.values()) == {emulator.env_for('admin')['ALIBABA_CLOUD_ACCESS_KEY_ID']}, signed
    assert 'GetAccessKeyLastUsed' in signed and 'GetCallerIdentity' in signed

    emulator.admin('DELETE', 'events')
    proved = run_playbook(runner, 'audit-prove', 'audit.yml', inventory, extra_vars=dict(
        audited, audit_output_dir=str(tmp_path / 'audit-proved'), audit_prove_held_keys=True))
    assert proved.returncode == 0
    report = json.loads((tmp_path / 'audit-proved' / 'audit.json').read_text())
    assert [(k['access_key_id'], k['identity_type'], k['arn'].rsplit('/', 1)[-1]) for k in report['other_keys']] == [
        (keys[OTHER], 'RAMUser', OTHER)]
    assert 'key_not_verified' not in {f['kind'] for f in report['findings']}
    # the side effect: RAM now records a use of flow-other's key, the STS call signed with it; the others are untouched
    after = last_used(emulator, keys.values())
    assert after[keys[OTHER]] > before[keys[OTHER]]
    assert dict((k, v) for k, v in after.items() if k != keys[OTHER]) == dict((k, v) for k, v in before.items() if k != keys[OTHER])
    assert signing_key_ids(emulator)['GetCallerIdentity'] == {emulator.env_for('admin')['ALIBABA_CLOUD_ACCESS_KEY_ID'], keys[OTHER]}


# ---------------------------------------------------------------- reconcile, then deploy per slice (AWX workflows)

STORE_PASSWORD = 'flows-store-vault-password'


@pytest.mark.parametrize('backend', ['vault_file', 'kms'])
def test_reconcile_then_deploy_each_slice_from_the_store(runner, emulator, tmp_path, backend):
    """The two halves of provision.yml: reconcile (controller only, keys into the store) and deploy (hosts only, keys
    from the store, nothing changed in RAM), as an AWX workflow runs them with a sliced deploy job; with the KMS store
    the jobs share nothing but the (emulated) account."""
    fresh(emulator)
    inventory, files = write_inventory(tmp_path)
    password_file = tmp_path / 'vault-pass'
    password_file.write_text(STORE_PASSWORD + '\n')
    password_file.chmod(0o600)
    env = {'ANSIBLE_VAULT_PASSWORD_FILE': str(password_file)}
    store = ({'provision_secret_store': str(tmp_path / 'ram-keys.vault.yml')} if backend == 'vault_file' else
             {'provision_secret_store_backend': 'kms', 'provision_secret_store_name_prefix': 'flows/'})

    # deploy before any reconcile: each host fails saying what to run, nothing is created, nothing written
    emulator.reset_counters()
    early = run_playbook(runner, 'deploy-early', 'deploy.yml', inventory, extra_vars=store, env=env, returncode=2)
    assert 'run the reconcile entry point (playbooks/reconcile.yml) first' in early.output
    assert emulator.counters()['writes'] == 0 and deployed(files) == {}

    # reconcile: users and keys in RAM and in the store; no host is contacted
    reconcile = run_playbook(runner, 'reconcile', 'reconcile.yml', inventory, extra_vars=store, env=env)
    assert host_round_trips(reconcile) == {} and deployed(files) == {}
    keys = dict((user, ids) for user, ids in user_keys(emulator.state()).items() if user in (APP, BATCH))
    assert sorted(keys) == [APP, BATCH] and all(len(ids) == 1 for ids in keys.values())
    assert 'Files changed' not in reconcile.output

    # deploy, one slice per job: the store's keys reach the files, and RAM sees no write
    emulator.reset_counters()
    for host in HOSTS:
        run_playbook(runner, 'deploy-%s' % host, 'deploy.yml', inventory, extra_vars=dict(store, aliyun_ram_hosts=host),
                     env=env)
    assert emulator.counters()['writes'] == 0
    assert deployed(files) == {('flow1', APP): keys[APP][0], ('flow1', BATCH): keys[BATCH][0], ('flow2', APP): keys[APP][0]}

    # converged: a second reconcile and deploy change nothing
    again = run_playbook(runner, 'reconcile-again', 'reconcile.yml', inventory, extra_vars=store, env=env)
    redeploy = run_playbook(runner, 'deploy-again', 'deploy.yml', inventory, extra_vars=store, env=env)
    assert emulator.counters()['writes'] == 0
    assert set(recap_changed(again).values()) == {0} and set(recap_changed(redeploy).values()) == {0}


def test_provision_runs_under_exactly_the_documented_least_privilege_policy(runner, emulator, tmp_path):
    """playbooks/provision.yml with the KMS store, the controller holding only the AWX guide's policy (users app-*,
    the default prefix); without ram:CreateUser the run fails naming the action, before any change."""
    fresh(emulator)
    files = tmp_path / 'files'
    users = ['app-lp-web', 'app-lp-batch']
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local', 'provision_users': [{'name': user} for user in users],
                 'provision_secret_store_backend': 'kms'},
        'hosts': {'flow1': {'provision_credentials': [
            {'user': user, 'files': [{'format': 'env', 'path': str(files / ('%s.env' % user))}]} for user in users]}}}}))
    policy = policies.documented_policy()
    env = policies.controller_with_policy(emulator, 'lp-controller', policy)
    run_playbook(runner, 'least-privilege', 'provision.yml', inventory, env=env)
    keys = user_keys(emulator.state())
    assert all(len(keys.get(user, [])) == 1 for user in users), keys
    assert dict((user, read_env_file(str(files / ('%s.env' % user)))['ALIBABA_CLOUD_ACCESS_KEY_ID']) for user in users) == \
        dict((user, keys[user][0]) for user in users)
    emulator.reset_counters()
    again = run_playbook(runner, 'least-privilege-again', 'provision.yml', inventory, env=env)
    assert emulator.counters()['writes'] == 0 and set(recap_changed(again).values()) == {0}

    # one permission less: the first write is refused, the message names the action, nothing was changed
    fresh(emulator)
    shutil.rmtree(str(files))
    narrow = policies.controller_with_policy(emulator, 'lp-narrow', policies.without_action(policy, 'ram:CreateUser'))
    emulator.reset_counters()
    failed = run_playbook(runner, 'least-privilege-narrow', 'provision.yml', inventory, env=narrow, returncode=2)
    assert 'ram:CreateUser' in failed.output and 'NoPermission' in failed.output, runner.failure_text(failed, 6000)
    # the refused calls are counted as writes; what counts is that none changed anything
    assert not set(users) & set(emulator.state()['users']) and not (files / ('%s.env' % users[0])).exists()


def test_changed_hosts_notify_the_public_topic_and_only_hosts_with_services_restart_them(runner, emulator, tmp_path):
    """One module run writes all the files of a host, a user's own template among them. A play's handler listening
    to aliyun_ram_credentials_changed runs on the hosts whose files changed; the restart handler runs only on the host
    that names services (here one that does not exist, so its restart fails, naming it) and on no other host."""
    fresh(emulator)
    files = tmp_path / 'files'
    template = tmp_path / 'app.conf.j2'
    template.write_text('host={{ inventory_hostname }}\nid={{ credentials_access_key_id }}\n'
                        'secret={{ credentials_access_key_secret }}\n')
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local', 'provision_users': [{'name': APP}]},
        'hosts': {
            'flow1': {'provision_credentials': [{'user': APP, 'files': [
                {'format': 'env', 'path': str(files / 'flow1' / 'app.env')},
                {'template': str(template), 'dest': str(files / 'flow1' / 'app.conf')}]}]},
            'flow2': {'provision_services_to_restart': ['aliyun-ram-test-no-such-service'],
                      'provision_credentials': [{'user': APP, 'files': [
                          {'format': 'env', 'path': str(files / 'flow2' / 'app.env')}]}]}}}}))
    plays = [{'hosts': 'all', 'gather_facts': False,
              'roles': [{'role': 'aliyun.ram.provision'}],
              'handlers': [{'name': 'Tell the application', 'listen': 'aliyun_ram_credentials_changed',
                            'ansible.builtin.debug': {'msg': 'credentials changed on {{ inventory_hostname }}'}}]}]
    run = runner.run('provision-handlers', plays, inventory=str(inventory), save_results=False)
    assert run.returncode == 2, runner.failure_text(run, 8000)
    key_id = user_keys(emulator.state())[APP][0]
    conf = (files / 'flow1' / 'app.conf').read_text()
    assert conf.startswith('host=flow1\nid=%s\nsecret=' % key_id) and len(conf.splitlines()[2]) > len('secret=')
    assert read_env_file(files / 'flow1' / 'app.env')['ALIBABA_CLOUD_ACCESS_KEY_ID'] == key_id
    assert read_env_file(files / 'flow2' / 'app.env')['ALIBABA_CLOUD_ACCESS_KEY_ID'] == key_id
    ran = hosts_by_task(run)
    # the role's handlers come first: flow2 fails restarting the service, and a failed host runs no further handler
    assert ran['aliyun.ram.provision : Restart the services that read the credentials'] == {'flow2'}
    assert ran['Tell the application'] == {'flow1'}
    assert 'aliyun-ram-test-no-such-service' in run.output and recap_changed(run)['flow1'] >= 1

    again = runner.run('provision-handlers-again', plays, inventory=str(inventory), save_results=False)
    assert again.returncode == 0, runner.failure_text(again, 8000)
    # templates cannot be read back: flow1's is written again (and is unchanged), flow2 is not contacted again
    assert host_round_trips(again) == {'flow1': 2, 'flow2': 1}
    assert 'Tell the application' not in hosts_by_task(again) and recap_changed(again) == {'flow1': 0, 'flow2': 0}
