"""The official KMS SDK client bound to the test emulator, and helpers the KMS and policy tests share."""

from __future__ import annotations

import json

from alibabacloud_kms20160120 import models as kms
from alibabacloud_kms20160120.client import Client as KmsClient

from conftest import ram

__all__ = ["kms", "kms_client", "policy_user", "document"]


def kms_client(emu, key_id=None, secret=None, token=None, v4=False, region=None) -> KmsClient:
    """A KMS client for the emulator (root key by default). ``v4``: the ACS4 signature of the SDK's POP gateway
    signer, whose credential scope carries ``region`` (the SDK's default V3 signature carries none)."""
    if key_id is None:
        key_id, secret = emu.key("root")
    config = emu.config(key_id, secret, token)
    config.region_id = region
    if v4:
        config.signature_version = "v4"
    return KmsClient(config)


def document(*statements) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def policy_user(emu, user_name, policy_name, *statements):
    """A RAM user with one custom policy made of ``statements`` and an AccessKey; returns (key_id, secret)."""
    root = emu.ram()
    root.create_policy(ram.CreatePolicyRequest(policy_name=policy_name, policy_document=document(*statements)))
    key_id, secret = emu.user_with_key(user_name)
    root.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name=policy_name,
                                                             user_name=user_name))
    return key_id, secret
