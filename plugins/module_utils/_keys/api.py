# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""AccessKey and identity I/O through a RamApi: list, create, update and delete keys, ask STS who a key is.

* ``GONE`` is the one table of "already gone" answers: every read that may find nothing and every delete goes
  through ``read_unless_gone`` / ``write_unless_gone`` with it (users and login profiles too, see ``_users``).
* ``parse_identity`` is the one reading of a GetCallerIdentity body; ``caller_identity`` (the configured credentials)
  and ``identity_of_key`` (a key pair) both use it.
* ``create_access_key`` never leaves an orphan: after a lost response, a key that appeared meanwhile (its secret is
  gone) is deleted before creating again.
Every function is safe to call from several threads at once.
"""

from __future__ import annotations

from ansible_collections.aliyun.ram.plugins.module_utils._keys.plan import (
    ACTIVE,
    compromised_ids,
    describe_keys,
    held_copies,
    identity_is_user,
    is_root_identity,
    sort_keys,
    where_held,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import ApiError
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import to_snake, unwrap_list, utc_now

# What each call answers when its object is already gone: nothing to read, nothing left to delete.
GONE = {
    'GetUser': ('EntityNotExist.User',),
    'ListAccessKeys': ('EntityNotExist.User',),
    'DeleteUser': ('EntityNotExist.User',),
    'DeleteAccessKey': ('EntityNotExist.User.AccessKey',),
    'GetAccessKeyLastUsed': ('EntityNotExist.User.AccessKey',),
    'GetLoginProfile': ('EntityNotExist.User.LoginProfile',),
    'DeleteLoginProfile': ('EntityNotExist.User.LoginProfile',),
    # a policy or group about to be attached or joined
    'GetPolicy': ('EntityNotExist.Policy',),
    'GetGroup': ('EntityNotExist.Group',),
    # a user's MFA device: none bound
    'GetUserMFAInfo': ('EntityNotExist.User.MFADevice',),
    'UnbindMFADevice': ('EntityNotExist.User.MFADevice',),
    # a policy or group already detached or left
    'DetachPolicyFromUser': ('EntityNotExist.User.Policy',),
    'RemoveUserFromGroup': ('EntityNotExist.User.Group',),
}
# What a write answers when what it asks for already holds (on an eventually consistent service a read may not have
# shown it yet, or an earlier attempt whose answer was lost did it): the desired state is there.
ALREADY_DONE = {
    'AttachPolicyToUser': ('EntityAlreadyExists.User.Policy',),
    'AddUserToGroup': ('EntityAlreadyExists.User.Group',),
}
# the secret does not belong to the id
WRONG_SECRET_CODES = ('IncompleteSignature', 'SignatureDoesNotMatch')
KEY_LIMIT_CODE = 'LimitExceeded.User.AccessKey'
_IDENTITY_FIELDS = (('account_id', 'AccountId'), ('identity_type', 'IdentityType'), ('arn', 'Arn'), ('user_id', 'UserId'),
                    ('principal_id', 'PrincipalId'), ('role_id', 'RoleId'))


def is_gone(err, action):
    return err.code in GONE[action]


def read_unless_gone(api, action, **params):
    """The response body, or None when the object is gone (``GONE``)."""
    return api.read_optional(action, GONE[action], **params)


def write_unless_gone(api, action, verify=None, **params):
    """A delete that is done when the object is already gone (``GONE``), or a write that is done when what it asks
    for already holds (``ALREADY_DONE``): returns False then, True otherwise.  Either way ``verify`` (the change is
    visible) is then waited for, as ``RamApi.write`` does with ``visible``."""
    try:
        api.write(action, verify=verify, visible=verify, **params)
    except ApiError as err:
        if err.code not in GONE.get(action, ()) + ALREADY_DONE.get(action, ()):
            raise
        if verify is not None:
            api.poll(verify)
        return False
    return True


# ---------------------------------------------------------------- keys

def normalize_keys(raw_keys):
    """API AccessKey objects -> ``[{access_key_id, status, create_date}]``, oldest first."""
    keys = []
    for raw in raw_keys or []:
        key = to_snake(raw)
        keys.append({'access_key_id': key.get('access_key_id'), 'status': key.get('status'),
                     'create_date': key.get('create_date')})
    return sort_keys(keys)


def _listed_keys(api, user_name):
    return normalize_keys(unwrap_list(api.read('ListAccessKeys', UserName=user_name), 'AccessKeys', 'AccessKey'))


def list_access_keys(api, user_name, expect_ids=()):
    """The user's keys, oldest first; raises ApiError EntityNotExist.User for a missing user.

    RAM is eventually consistent: a user created a moment ago may not be listed yet, nor a key that somebody holds
    (``expect_ids``) and that was created a moment ago.  Before deciding that either does not exist, the list is
    read again for up to the consistency window (``RamApi.poll``)."""
    expected = set(expect_ids)
    last = {}

    def attempt():
        try:
            keys = _listed_keys(api, user_name)
        except ApiError as err:
            if not is_gone(err, 'ListAccessKeys'):
                raise
            last.update(error=err, keys=None)
            return None
        last.update(error=None, keys=keys)
        return keys if expected <= set(key['access_key_id'] for key in keys) else None

    keys = api.poll(attempt)
    if keys is not None:
        return keys
    if last['error'] is not None:
        raise last['error']
    return last['keys']


def list_access_keys_if_user(api, user_name):
    """The user's keys, or None when the user does not exist."""
    body = read_unless_gone(api, 'ListAccessKeys', UserName=user_name)
    return None if body is None else normalize_keys(unwrap_list(body, 'AccessKeys', 'AccessKey'))


def delete_access_key(api, user_name, access_key_id):
    def verify():
        gone = access_key_id not in [k['access_key_id'] for k in _listed_keys(api, user_name)]
        return {} if gone else None

    write_unless_gone(api, 'DeleteAccessKey', verify=verify, UserName=user_name, UserAccessKeyId=access_key_id)


def update_access_key_status(api, user_name, access_key_id, status):
    def verify():
        for key in _listed_keys(api, user_name):
            if key['access_key_id'] == access_key_id and key['status'] == status:
                return {}
        return None

    api.write('UpdateAccessKey', verify=verify, visible=verify, UserName=user_name, UserAccessKeyId=access_key_id,
              Status=status)


def create_access_key(api, user_name, known_access_key_ids, discarded):
    """CreateAccessKey that never leaves an orphan and never makes a second key because the first is not listed yet.

    After a lost answer the key it may have made is waited for (``RamApi.poll``, up to the consistency window) and
    deleted (its secret is gone) before creating again; deleted ids are appended to ``discarded``.  If the resent
    request then meets the key limit, the lost key counts towards it without being listed yet: it is waited for again
    and deleted, and the key created once more."""
    known = set(known_access_key_ids)
    lost = []

    def new_keys():
        listed = list_access_keys_if_user(api, user_name) or []
        return [key for key in listed if key['access_key_id'] not in known] or None

    def discard_new_keys():
        for key in api.poll(new_keys) or []:
            delete_access_key(api, user_name, key['access_key_id'])
            discarded.append(key['access_key_id'])
            known.add(key['access_key_id'])

    def reconcile():
        lost.append(True)
        discard_new_keys()
        return None

    try:
        body = api.write('CreateAccessKey', reconcile=reconcile, UserName=user_name)
    except ApiError as err:
        if not (lost and err.code == KEY_LIMIT_CODE):
            raise
        discard_new_keys()
        body = api.write('CreateAccessKey', reconcile=reconcile, UserName=user_name)
    key = (body or {}).get('AccessKey') or {}
    if not key.get('AccessKeyId') or not key.get('AccessKeySecret'):
        raise ApiError('CreateAccessKey', code='UnexpectedResponse', message='the response carries no AccessKey')
    api.remember_secret(key['AccessKeySecret'])
    api.poll(lambda: {} if key['AccessKeyId'] in [k['access_key_id'] for k in _listed_keys(api, user_name)] else None)
    return {'access_key_id': key['AccessKeyId'], 'access_key_secret': key['AccessKeySecret'],
            'status': key.get('Status') or ACTIVE, 'create_date': key.get('CreateDate')}


def access_key_info(api, user_name, include_last_used=False, now=None):
    """The user's keys with age_days (and last_used_date on request); None when the user does not exist."""
    keys = list_access_keys_if_user(api, user_name)
    if keys is None:
        return None
    keys = describe_keys(keys, now or utc_now())
    if include_last_used:
        for key in keys:
            body = read_unless_gone(api, 'GetAccessKeyLastUsed', UserName=user_name, UserAccessKeyId=key['access_key_id'])
            key['last_used_date'] = ((body or {}).get('AccessKeyLastUsed') or {}).get('LastUsedDate') or None
    return keys


# ---------------------------------------------------------------- identities

class RootKeyError(Exception):
    """A held or created key is an Alibaba Cloud account root key (never deployed)."""


def parse_identity(body):
    """A GetCallerIdentity body -> ``{account_id, identity_type, arn, user_id, principal_id, role_id, is_root}``."""
    identity = dict((option, (body or {}).get(field) or None) for option, field in _IDENTITY_FIELDS)
    identity['is_root'] = is_root_identity(identity)
    return identity


class UserId(object):
    """The stable UserId of a RAM user (GetUser), read once, the first time an identity is compared with it.

    STS identities are compared by id, never by the spelling of a name in an ARN."""

    def __init__(self, api, user_name, also_compromised=()):
        self.api = api
        self.user_name = user_name
        self._user = None
        self._also_compromised = list(also_compromised)

    def _read(self):
        if self._user is None:
            def attempt():
                body = read_unless_gone(self.api, 'GetUser', UserName=self.user_name)
                user = (body or {}).get('User') or {}
                return user if user.get('UserId') else None
            self._user = self.api.poll(attempt)
            if self._user is None:
                raise ApiError('GetUser', code='EntityNotExist.User', message='RAM has no user %s' % self.user_name)
        return self._user

    def __call__(self):
        return self._read()['UserId']

    def compromised(self):
        """The user's key ids recorded as compromised (its Comments, read with the UserId: one GetUser), and those
        recorded elsewhere (the secret store, ``also_compromised``)."""
        recorded = compromised_ids(self._read().get('Comments'))
        return recorded + [key_id for key_id in self._also_compromised if key_id not in recorded]


def caller_identity(api):
    """Who the credentials of ``api`` are."""
    return parse_identity(api.read('GetCallerIdentity', service='sts'))


def identity_of_key(api, access_key_id, secret):
    """Who a key pair is, asked with STS signed by the key itself (raises ApiError)."""
    return caller_identity(api.with_access_key(access_key_id, secret))


def _root_message(user_name, access_key_id, identity, where):
    return ('%s for user %s is the root AccessKey %s of Alibaba Cloud account %s: refusing to deploy an account root key. '
            'Alibaba Cloud recommends never using the root key; remove it from the host and delete it in the console, '
            'and let this module create a RAM user key' % (where, user_name, access_key_id, identity['account_id'] or '?'))


def _identify_copies(api, held, user_name, access_key_id):
    """Yield ``(held index, identity)`` for each distinct held copy of the key that STS accepts.

    A copy with a wrong secret is skipped; an unknown or inactive id ends the search (no copy can work);
    an account root key raises RootKeyError; other failures raise ApiError."""
    for index, secret in held_copies(held, user_name, access_key_id):
        try:
            identity = identity_of_key(api, access_key_id, secret)
        except ApiError as err:
            code = err.code or ''
            if code in WRONG_SECRET_CODES:
                continue
            if code.startswith('InvalidAccessKeyId'):
                return
            raise
        if identity['is_root']:
            raise RootKeyError(_root_message(user_name, access_key_id, identity, where_held(held, index)))
        yield index, identity


def verify_held(api, held, user_name, access_key_id, user_id):
    """(held index, identity) of the first copy whose secret proves it is ``user_name``'s key, else (None, None).
    ``user_id``: a ``UserId`` of the user."""
    for index, identity in _identify_copies(api, held, user_name, access_key_id):
        if identity_is_user(identity, user_id()):
            return index, identity
    return None, None


def check_stale_copies(api, held, user_name, access_key_ids):
    """Held ids RAM does not list for the user may be anything, including a root key: ask STS who they are.

    Returns warnings; raises RootKeyError for a root key."""
    warnings = []
    for access_key_id in access_key_ids:
        for index, identity in _identify_copies(api, held, user_name, access_key_id):
            warnings.append('%s holds AccessKey %s for user %s, but it belongs to %s' % (
                where_held(held, index), access_key_id, user_name, identity['arn']))
    return warnings


def verify_created(api, user_name, key, user_id):
    """Identity of a key created in this run: STS may not know it yet, so it is asked again for up to the consistency
    window (``RamApi.poll``) while it answers InvalidAccessKeyId."""
    def attempt():
        try:
            return identity_of_key(api, key['access_key_id'], key['access_key_secret'])
        except ApiError as err:
            if (err.code or '').startswith('InvalidAccessKeyId'):
                return None
            raise

    identity = api.poll(attempt)
    if identity is None:
        raise ApiError('GetCallerIdentity', code='InvalidAccessKeyId.NotFound',
                       message='the new key %s of user %s did not authenticate on STS within the consistency window (%s s)'
                       % (key['access_key_id'], user_name, api.policy.consistency_window))
    if not identity_is_user(identity, user_id()):
        raise ApiError('GetCallerIdentity', code='UnexpectedIdentity',
                       message='the new key of user %s identifies as %s (%s)' % (user_name, identity['arn'], identity['identity_type']))
    return identity
