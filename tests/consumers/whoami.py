# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real consumer of the files the collection writes: the official credentials chain, then STS GetCallerIdentity.

Runs on a test host with the consumer virtualenv baked into its image. The credentials come only from
what alibabacloud-credentials finds itself (environment, ~/.aliyun/config.json, ~/.alibabacloud/credentials.ini,
selected by ALIBABA_CLOUD_PROFILE); the STS endpoint from ALIBABA_CLOUD_STS_ENDPOINT. Prints one JSON line
without any secret.
"""

from __future__ import annotations

import json
import os
import sys


def main():
    # Never reach for the ECS metadata service on a test host.
    os.environ.setdefault('ALIBABA_CLOUD_ECS_METADATA_DISABLED', 'true')
    from alibabacloud_credentials.client import Client as CredentialClient  # pylint: disable=import-outside-toplevel
    from alibabacloud_sts20150401.client import Client as StsClient  # pylint: disable=import-outside-toplevel
    from alibabacloud_tea_openapi.models import Config  # pylint: disable=import-outside-toplevel

    endpoint = os.environ['ALIBABA_CLOUD_STS_ENDPOINT']
    protocol = 'https'
    for scheme in ('http://', 'https://'):
        if endpoint.startswith(scheme):
            protocol, endpoint = scheme[:-3], endpoint[len(scheme):]
    credential = CredentialClient()
    loaded = credential.get_credential()
    client = StsClient(Config(credential=credential, endpoint=endpoint, protocol=protocol))
    body = client.get_caller_identity().body
    print(json.dumps({
        'provider': loaded.get_provider_name(),
        'access_key_id': loaded.get_access_key_id(),
        'identity_type': body.identity_type,
        'arn': body.arn,
        'account_id': body.account_id,
        'user_id': body.user_id,
    }, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
