"""System policy catalog and a small policy evaluator.

Evaluation honours Statement Effect (Deny wins) and Action with ``*``/``?`` wildcards,
case-insensitively. Resource and Condition are ignored (documented in README.md).
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache
from typing import Iterable

CATALOG_DATE = "2015-04-28T16:00:00Z"


def _document(*actions: str) -> str:
    action = actions[0] if len(actions) == 1 else list(actions)
    return json.dumps({"Version": "1", "Statement": [{"Action": action, "Resource": "*", "Effect": "Allow"}]},
                      separators=(",", ":"))


SYSTEM_POLICIES = {
    "AdministratorAccess": ("Provides full access to Alibaba Cloud services and resources.", _document("*")),
    "ReadOnlyAccess": ("Provides read-only access to Alibaba Cloud services and resources.",
                       _document("*:Get*", "*:List*", "*:Describe*", "*:Query*", "*:BatchGet*")),
    "AliyunRAMFullAccess": ("Provides full access to Resource Access Management (RAM).", _document("ram:*")),
    "AliyunRAMReadOnlyAccess": ("Provides read-only access to Resource Access Management (RAM).",
                                _document("ram:Get*", "ram:List*")),
    "AliyunSTSAssumeRoleAccess": ("Provides access to the AssumeRole operation of STS.", _document("sts:AssumeRole")),
    "AliyunOSSFullAccess": ("Provides full access to Object Storage Service (OSS).", _document("oss:*")),
    "AliyunOSSReadOnlyAccess": ("Provides read-only access to Object Storage Service (OSS).",
                                _document("oss:Get*", "oss:List*")),
    "AliyunECSFullAccess": ("Provides full access to Elastic Compute Service (ECS).", _document("ecs:*")),
    "AliyunECSReadOnlyAccess": ("Provides read-only access to Elastic Compute Service (ECS).",
                                _document("ecs:Describe*", "ecs:List*")),
    "AliyunLogFullAccess": ("Provides full access to Log Service (SLS).", _document("log:*")),
    "AliyunKMSFullAccess": ("Provides full access to Key Management Service (KMS).", _document("kms:*")),
    "AliyunActionTrailFullAccess": ("Provides full access to ActionTrail.", _document("actiontrail:*")),
    # ActionTrail's read-only example policy (ActionTrail docs, "custom policies"): LookupEvents, Describe*, Get*.
    "AliyunActionTrailReadOnlyAccess": ("Provides read-only access to ActionTrail.",
                                        _document("actiontrail:LookupEvents", "actiontrail:Describe*",
                                                  "actiontrail:Get*", "actiontrail:List*")),
}


@lru_cache(maxsize=512)
def _pattern(action_pattern: str) -> re.Pattern:
    return re.compile(fnmatch.translate(action_pattern.lower()))


@lru_cache(maxsize=512)
def _statements(document: str) -> tuple:
    try:
        parsed = json.loads(document)
    except ValueError:
        return ()
    result = []
    for statement in parsed.get("Statement", []) if isinstance(parsed, dict) else []:
        if not isinstance(statement, dict):
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else [a for a in actions if isinstance(a, str)]
        result.append((statement.get("Effect"), tuple(actions)))
    return tuple(result)


def is_allowed(documents: Iterable[str], action: str) -> bool:
    """``action`` like ``ram:CreateUser``; documents are JSON policy documents."""
    wanted = action.lower()
    allowed = False
    for document in documents:
        for effect, actions in _statements(document):
            if any(_pattern(a).match(wanted) for a in actions):
                if effect == "Deny":
                    return False
                if effect == "Allow":
                    allowed = True
    return allowed


_SYSTEM_BY_LOWER = {name.lower(): name for name in SYSTEM_POLICIES}


def canonical_system_name(name: str):
    """The catalog spelling of a system policy name matched case-insensitively (``AliyunOssFullAccess`` ->
    ``AliyunOSSFullAccess``), or None. Real RAM stores and reports the canonical name (aliyun/fun issues 507, 508)."""
    return _SYSTEM_BY_LOWER.get(name.lower())
