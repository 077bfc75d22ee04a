# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""RAM/STS/ActionTrail/KMS clients: endpoints, credential resolution, and one retrying call path for every API action.

``RamApi`` is what the rest of the collection talks to: ``read``/``write``/``paginate`` with CamelCase
wire parameter names, returning the response body as a plain dict.  It is thread-safe (a batch module
may share one between worker threads).  The SDK sits behind ``SdkTransport``; unit tests swap in a fake.

A service is a name in ``SERVICES`` (its pip package, the option naming its endpoint, its default endpoint); the
SDK of each is loaded by ``sdk_for``.  RAM and STS are imported with this file (every module uses them); ActionTrail
and KMS (the ``kms`` backend of the secret store) only when a call needs them, so the tasks that never call them do
not pay for importing their SDKs.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import traceback

from ansible_collections.aliyun.ram.plugins.module_utils._ram_errors import (
    ApiError,
    ValidationError,
    is_sdk_exception,
    translate,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_retry import (
    FAIL,
    RECONCILE,
    RETRY,
    RetryPolicy,
    read_disposition,
    write_disposition,
)
from ansible_collections.aliyun.ram.plugins.module_utils._ram_transform import unwrap_list

try:
    from alibabacloud_tea_openapi.utils_models import Config as SdkConfig
    from darabonba.runtime import RuntimeOptions
    from alibabacloud_credentials.client import Client as CredentialClient
    from alibabacloud_credentials.provider import (
        CLIProfileCredentialsProvider,
        EcsRamRoleCredentialsProvider,
        ProfileCredentialsProvider,
    )
except ImportError:
    HAS_OPENAPI_SDK = False
    OPENAPI_SDK_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_OPENAPI_SDK = True
    OPENAPI_SDK_IMPORT_ERROR = None

try:
    from alibabacloud_ram20150501.client import Client as RamSdkClient
    from alibabacloud_ram20150501 import models as ram_sdk_models
except ImportError:
    HAS_RAM_SDK = False
    RAM_SDK_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_RAM_SDK = True
    RAM_SDK_IMPORT_ERROR = None

try:
    from alibabacloud_sts20150401.client import Client as StsSdkClient
    from alibabacloud_sts20150401 import models as sts_sdk_models
except ImportError:
    HAS_STS_SDK = False
    STS_SDK_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_STS_SDK = True
    STS_SDK_IMPORT_ERROR = None

DEFAULT_ENDPOINTS = {'ram': 'ram.aliyuncs.com', 'sts': 'sts.aliyuncs.com'}
# ActionTrail and KMS are regional: the endpoint names the region whose events or secrets the calls see.
ACTIONTRAIL_DEFAULT_REGION = 'cn-hangzhou'
KMS_DEFAULT_REGION = 'cn-hangzhou'
DEFAULT_ROLE_SESSION_NAME = 'ansible-aliyun-ram'
ROLE_SESSION_SECONDS = 3600
USER_AGENT = 'AnsibleCollection/aliyun.ram'

# pip package names, for missing_required_lib()
SERVICE_PACKAGES = {'ram': 'alibabacloud-ram20150501', 'sts': 'alibabacloud-sts20150401',
                    'actiontrail': 'alibabacloud-actiontrail20200706', 'kms': 'alibabacloud-kms20160120'}
# the option that names each service's endpoint (and its environment variable, see _ram_module.auth_argument_spec)
ENDPOINT_OPTIONS = {'ram': 'endpoint', 'sts': 'sts_endpoint', 'actiontrail': 'actiontrail_endpoint', 'kms': 'kms_endpoint'}
SERVICES = tuple(SERVICE_PACKAGES)


def default_endpoint(service, region=None):
    """The public endpoint of ``service`` (host name, reached over HTTPS)."""
    if service == 'actiontrail':
        return 'actiontrail.%s.aliyuncs.com' % (region or ACTIONTRAIL_DEFAULT_REGION)
    if service == 'kms':
        return 'kms.%s.aliyuncs.com' % (region or KMS_DEFAULT_REGION)
    return DEFAULT_ENDPOINTS[service]


def _load_actiontrail_sdk():
    from alibabacloud_actiontrail20200706.client import Client as TrailSdkClient  # pylint: disable=import-outside-toplevel
    from alibabacloud_actiontrail20200706 import models as trail_sdk_models  # pylint: disable=import-outside-toplevel
    return TrailSdkClient, trail_sdk_models


def _load_kms_sdk():
    from alibabacloud_kms20160120.client import Client as KmsSdkClient  # pylint: disable=import-outside-toplevel
    from alibabacloud_kms20160120 import models as kms_sdk_models  # pylint: disable=import-outside-toplevel
    return KmsSdkClient, kms_sdk_models


# service -> loader of (client class, models module), for the SDKs imported on first use
_LAZY_SDKS = {'actiontrail': _load_actiontrail_sdk, 'kms': _load_kms_sdk}
_lazy_loaded = {}
_lazy_lock = threading.Lock()


def _lazy_sdk(service):
    """(client class, models, None) or (None, None, import traceback); loaded once."""
    with _lazy_lock:
        if service not in _lazy_loaded:
            try:
                client_class, models = _LAZY_SDKS[service]()
            except ImportError:
                _lazy_loaded[service] = (None, None, traceback.format_exc())
            else:
                _lazy_loaded[service] = (client_class, models, None)
        return _lazy_loaded[service]


def sdk_for(service):
    """(SDK client class, SDK models module) of ``service``; the SDK must be importable (see ``missing_sdk``)."""
    if service == 'ram':
        return RamSdkClient, ram_sdk_models
    if service == 'sts':
        return StsSdkClient, sts_sdk_models
    client_class, models, import_error = _lazy_sdk(service)
    if client_class is None:
        raise ImportError('%s is not importable: %s' % (SERVICE_PACKAGES[service], import_error))
    return client_class, models


def missing_sdk(services):
    """(package name, import traceback) of the first SDK the given services need that is not importable."""
    if not HAS_OPENAPI_SDK:
        return 'alibabacloud-tea-openapi', OPENAPI_SDK_IMPORT_ERROR
    if 'ram' in services and not HAS_RAM_SDK:
        return SERVICE_PACKAGES['ram'], RAM_SDK_IMPORT_ERROR
    if 'sts' in services and not HAS_STS_SDK:
        return SERVICE_PACKAGES['sts'], STS_SDK_IMPORT_ERROR
    for service in services:
        if service in _LAZY_SDKS:
            import_error = _lazy_sdk(service)[2]
            if import_error:
                return SERVICE_PACKAGES[service], import_error
    return None, None


# All used with fullmatch: with match, '$' also matches before a trailing newline.
_HOST_PORT = re.compile(r'(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?')
_ROLE_SESSION_NAME = re.compile(r'[A-Za-z0-9._@-]{2,64}')
_ROLE_ARN = re.compile(r'acs:ram::[0-9]+:role/[A-Za-z0-9._-]{1,64}')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def _is_local_address(host):
    if host.lower() == 'localhost':
        return True
    try:
        ipaddress.ip_address(host.strip('[]'))
    except ValueError:
        return False
    return True


def parse_endpoint(value, option):
    """``host[:port]`` or ``http(s)://host[:port]`` -> (``host[:port]``, protocol).

    The SDK signs the Host header literally, so the scheme must never reach it.  Without a scheme a host
    name means https (every Alibaba Cloud endpoint); an IP address or localhost means http, which is what
    a local emulator speaks.
    """
    if _CONTROL.search(value or ''):
        # checked before strip(), which would silently drop a trailing newline
        raise ValidationError('%s must not contain control characters' % option)
    text = (value or '').strip()
    scheme = None
    if '://' in text:
        scheme, text = text.split('://', 1)
        scheme = scheme.lower()
        if scheme not in ('http', 'https'):
            raise ValidationError('%s: unsupported scheme %r (use http or https)' % (option, scheme))
    text = text.rstrip('/')
    match = _HOST_PORT.fullmatch(text)
    if not match:
        raise ValidationError('%s must be host[:port] or http(s)://host[:port], got %r' % (option, value))
    port = match.group('port')
    if port is not None and not 0 < int(port) < 65536:
        raise ValidationError('%s: port %s is out of range' % (option, port))
    if scheme is None:
        scheme = 'http' if _is_local_address(match.group('host')) else 'https'
    return text, scheme


class Connection(object):
    """Where to send requests and how long to wait."""

    def __init__(self, endpoint=None, sts_endpoint=None, region=None, timeout=10.0, actiontrail_endpoint=None,
                 kms_endpoint=None):
        given = {'ram': endpoint, 'sts': sts_endpoint, 'actiontrail': actiontrail_endpoint, 'kms': kms_endpoint}
        self.endpoints = dict(
            (service, parse_endpoint(given[service], ENDPOINT_OPTIONS[service]) if given[service]
             else (default_endpoint(service, region), 'https'))
            for service in SERVICES)
        self.region = region
        if timeout is None or timeout <= 0:
            raise ValidationError('timeout must be a positive number of seconds, got %r' % (timeout,))
        self.timeout_ms = int(float(timeout) * 1000)

    def describe(self, service):
        host, protocol = self.endpoints[service]
        return '%s://%s' % (protocol, host)


class Auth(object):
    """Which credentials to use.  Explicit keys win; then profile, ECS role, and the SDK's default chain."""

    def __init__(self, access_key_id=None, access_key_secret=None, security_token=None, profile=None,
                 assume_role_arn=None, role_session_name=None, ecs_role_name=None):
        self.access_key_id = access_key_id or None
        self.access_key_secret = access_key_secret or None
        self.security_token = security_token or None
        self.profile = profile or None
        self.assume_role_arn = assume_role_arn or None
        self.role_session_name = role_session_name or DEFAULT_ROLE_SESSION_NAME
        self.ecs_role_name = ecs_role_name or None

    def validate(self):
        # The messages name the module options (access_key, secret_key, security_token) the values come from.
        if self.access_key_id and not self.access_key_secret:
            raise ValidationError('access_key is set but secret_key is not: give both or neither')
        if self.access_key_secret and not self.access_key_id:
            raise ValidationError('secret_key is set but access_key is not: give both or neither')
        if self.security_token and not self.access_key_id:
            raise ValidationError('security_token needs access_key and secret_key')
        if self.role_session_name and not _ROLE_SESSION_NAME.fullmatch(self.role_session_name):
            raise ValidationError('role_session_name must be 2-64 characters of letters, digits and . _ @ -')
        if self.assume_role_arn and not _ROLE_ARN.fullmatch(self.assume_role_arn):
            raise ValidationError('assume_role_arn must look like acs:ram::<account id>:role/<role name>')

    def secrets(self):
        return [s for s in (self.access_key_secret, self.security_token) if s]

    def source_kind(self):
        if self.access_key_id:
            return 'static'
        if self.profile:
            return 'profile'
        if self.ecs_role_name:
            return 'ecs_role'
        return 'default_chain'


class CredentialSourceError(ValueError):
    """No provider could supply credentials (the name matters: the error translation keys on 'Credential')."""


class _FirstAvailableProvider(object):
    """Try credential providers in order (a profile may live in the CLI config.json or the INI file)."""

    def __init__(self, providers, name):
        self._providers = providers
        self._name = name

    def get_credentials(self):
        problems = []
        for provider in self._providers:
            try:
                credentials = provider.get_credentials()
            except Exception as exc:  # pylint: disable=broad-exception-caught
                problems.append('%s: %s' % (type(provider).__name__, exc))
                continue
            if credentials is not None:
                return credentials
        raise CredentialSourceError('%s could not be loaded: %s' % (self._name, '; '.join(problems)))

    async def get_credentials_async(self):
        return self.get_credentials()

    def get_provider_name(self):
        return self._name


def credential_config(auth):
    """Keyword arguments for the SDK Config carrying the credentials ``auth`` describes (no network)."""
    kind = auth.source_kind()
    if kind == 'static':
        return {'access_key_id': auth.access_key_id, 'access_key_secret': auth.access_key_secret,
                'security_token': auth.security_token}
    if kind == 'profile':
        provider = _FirstAvailableProvider(
            [CLIProfileCredentialsProvider(profile_name=auth.profile), ProfileCredentialsProvider(profile_name=auth.profile)],
            'profile %s' % auth.profile)
        return {'credential': CredentialClient(provider=provider)}
    if kind == 'ecs_role':
        # wrapped so that a failure names the role (the SDK's own message names only the metadata service)
        provider = _FirstAvailableProvider([EcsRamRoleCredentialsProvider(role_name=auth.ecs_role_name)],
                                           'ECS instance role %s' % auth.ecs_role_name)
        return {'credential': CredentialClient(provider=provider)}
    return {'credential': CredentialClient()}


def _snake_action(action):
    """The SDK's method name of an action: words split where a capital follows a small letter or digit, so that a run
    of capitals stays one word (UnbindMFADevice -> unbind_mfadevice, as the SDK names it)."""
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', action).lower()


class SdkTransport(object):
    """Sends one request through the official SDK and returns the body as a CamelCase dict."""

    def __init__(self, connection, credentials):
        self.connection = connection
        self._credentials = credentials
        self._clients = {}
        self._lock = threading.Lock()

    def with_credentials(self, credentials):
        return SdkTransport(self.connection, credentials)

    def endpoint(self, service):
        return self.connection.describe(service)

    def _client(self, service):
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                host, protocol = self.connection.endpoints[service]
                config = SdkConfig(endpoint=host, protocol=protocol, region_id=self.connection.region,
                                   read_timeout=self.connection.timeout_ms, connect_timeout=self.connection.timeout_ms,
                                   user_agent=USER_AGENT, **self._credentials)
                client = sdk_for(service)[0](config)
                self._clients[service] = client
            return client

    def invoke(self, service, action, params):
        client = self._client(service)
        models = sdk_for(service)[1]
        method = getattr(client, _snake_action(action) + '_with_options')
        runtime = RuntimeOptions(read_timeout=self.connection.timeout_ms, connect_timeout=self.connection.timeout_ms)
        request_class = getattr(models, action + 'Request', None)
        if request_class is None:
            response = method(runtime)
        else:
            response = method(request_class().from_map(dict((k, v) for k, v in params.items() if v is not None)), runtime)
        body = getattr(response, 'body', None)
        return body.to_map() if body is not None else {}


class RamApi(object):
    """Every RAM/STS/ActionTrail/KMS call goes through here: error translation, retries, reconciliation, paging."""

    def __init__(self, transport, policy=None, secrets=()):
        self.transport = transport
        self.policy = policy or RetryPolicy()
        self._secrets = set(s for s in secrets if s)
        self._lock = threading.Lock()
        self.retries = 0
        self._retry_owner = None

    def with_access_key(self, access_key_id, access_key_secret):
        """A RamApi signing with another AccessKey (to prove that key works); it shares this one's retry
        policy, and its retries count here."""
        with self._lock:
            secrets = list(self._secrets) + [access_key_secret]
        credentials = {'access_key_id': access_key_id, 'access_key_secret': access_key_secret, 'security_token': None}
        derived = RamApi(self.transport.with_credentials(credentials), policy=self.policy, secrets=secrets)
        derived._retry_owner = self  # pylint: disable=protected-access
        return derived

    def remember_secret(self, secret):
        """Secrets obtained at run time (STS credentials) are scrubbed from error texts too."""
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def count_retry(self):
        """Count a retry made outside read/write (e.g. waiting for a new key to reach STS)."""
        self._count_retry()

    def _count_retry(self):
        if self._retry_owner is not None:
            self._retry_owner._count_retry()  # pylint: disable=protected-access
            return
        with self._lock:
            self.retries += 1

    def _invoke(self, service, action, params, write):
        try:
            return self.transport.invoke(service, action, params)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if not is_sdk_exception(exc):
                raise
            with self._lock:
                secrets = list(self._secrets)
            raise translate(exc, action, endpoint=self.transport.endpoint(service), write=write, secrets=secrets) from None

    def read(self, action, service='ram', **params):
        """A call without side effects: retried on every transient failure, up to max_retries."""
        retry_number = 0
        while True:
            try:
                return self._invoke(service, action, params, write=False)
            except ApiError as err:
                if retry_number >= self.policy.max_retries or read_disposition(err) != RETRY:
                    err.retries = retry_number
                    raise
                self.policy.pause(retry_number, err)
                retry_number += 1
                self._count_retry()

    def read_optional(self, action, missing, service='ram', **params):
        """A read whose 'does not exist' error codes (``missing``) mean None rather than failure."""
        try:
            return self.read(action, service=service, **params)
        except ApiError as err:
            if err.code in missing:
                return None
            raise

    def write(self, action, verify=None, service='ram', visible=None, reconcile=None, **params):
        """A call that changes state.

        Resent only when the failure proves it was not applied.  After an ambiguous failure ``verify()`` (a read: the
        result to use when the change is in place, None when it is not) is asked until it says so, for up to the
        consistency window (``poll``: a change made a moment ago may not read back yet); None then means resend,
        within max_retries.  ``reconcile()`` instead of ``verify`` is asked once and does its own reading and
        cleaning up (CreateAccessKey deletes the key the lost answer made).
        ``visible()`` (not None once reads show the change) is waited for after the write, so that what runs next,
        in this task or the next one, reads the state this write made; the write stands when the window passes.
        """
        body = self._write(action, verify, reconcile, service, params)
        if visible is not None:
            self.poll(visible)
        return body

    def _write(self, action, verify, reconcile, service, params):
        retry_number = 0
        while True:
            try:
                return self._invoke(service, action, params, write=True)
            except ApiError as err:
                disposition = write_disposition(err)
                if disposition == RECONCILE and (verify is not None or reconcile is not None):
                    outcome = reconcile() if reconcile is not None else self.poll(verify)
                    if outcome is not None:
                        return outcome
                elif disposition in (RECONCILE, FAIL):
                    err.retries = retry_number
                    raise
                if retry_number >= self.policy.max_retries:
                    err.retries = retry_number
                    raise
                self.policy.pause(retry_number, err)
                retry_number += 1
                self._count_retry()

    def poll(self, read, window=None):
        """RAM is eventually consistent: a read right after a write may not show it yet.  Calls ``read()`` until it
        returns something other than None, pausing in between for up to the consistency window in total (or
        ``window`` seconds); returns that value, or None when the window has passed.  These reads are not retries (no
        request failed), and are not counted as such."""
        value = read()
        for pause in self.policy.poll_pauses(window):
            if value is not None:
                break
            self.policy.sleep(pause)
            value = read()
        return value

    def paginate(self, action, outer, inner, page_size=100, **params):
        """All items of a Marker/IsTruncated list action."""
        items = []
        seen_markers = set()
        marker = None
        while True:
            query = dict(params, MaxItems=page_size)
            if marker:
                query['Marker'] = marker
            body = self.read(action, **query)
            items.extend(unwrap_list(body, outer, inner))
            truncated = body.get('IsTruncated') in (True, 'true', 'True')
            marker = body.get('Marker')
            if not truncated or not marker:
                return items
            if marker in seen_markers:
                raise ApiError(action, code='UnexpectedResponse', message='the service returned the same Marker twice')
            seen_markers.add(marker)


def connect(auth, connection, policy=None):
    """A RamApi for ``auth``; with assume_role_arn the role is assumed once, here."""
    auth.validate()
    api = RamApi(SdkTransport(connection, credential_config(auth)), policy=policy, secrets=auth.secrets())
    if auth.assume_role_arn:
        body = api.read('AssumeRole', service='sts', RoleArn=auth.assume_role_arn,
                        RoleSessionName=auth.role_session_name, DurationSeconds=ROLE_SESSION_SECONDS)
        creds = body.get('Credentials') or {}
        if not creds.get('AccessKeyId') or not creds.get('AccessKeySecret'):
            raise ApiError('AssumeRole', code='UnexpectedResponse', message='the response carries no credentials')
        api.remember_secret(creds.get('AccessKeySecret'))
        api.remember_secret(creds.get('SecurityToken'))
        api.transport = api.transport.with_credentials({
            'access_key_id': creds['AccessKeyId'], 'access_key_secret': creds['AccessKeySecret'],
            'security_token': creds.get('SecurityToken')})
    return api
