"""System policy catalog and a small policy evaluator.

Evaluation reads each statement's Effect, Action and Resource (README "Policies"):

- ``Action`` and ``Resource`` are a string or a list; ``*`` matches any run of characters (``/`` and ``:`` included)
  and ``?`` one character. Actions match case-insensitively, resources case-sensitively, an ARN segment by segment
  (``acs:<service>:<region>:<account>:<resource>``): an empty region on either side matches any region, because RAM's
  own ARNs leave it empty (``acs:ram::<account>:user/<name>``) where its authorization uses ``*``.
- A statement without ``Resource`` applies to every resource, as before resources were evaluated.
- An action on several resources (AddUserToGroup: the user and the group) needs every one allowed.
- An explicit Deny wins over any Allow.
- ``Condition`` is not evaluated; a statement with a condition takes the strict side: an Allow with a condition grants
  nothing, a Deny with a condition always applies. ``NotAction``/``NotResource`` are not evaluated either (such a
  statement matches nothing).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Iterable, Sequence, Tuple

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


@lru_cache(maxsize=2048)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    """``*`` any run of characters, ``?`` one character, everything else literal (no fnmatch ``[...]`` sets)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """``pattern`` from a policy, ``resource`` the ARN a request acts on (see the module docstring)."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 4), resource.split(":", 4)
    if len(wanted) < 5 or len(given) < 5:
        return _wildcard(pattern, False).fullmatch(resource) is not None
    for index, (want, have) in enumerate(zip(wanted, given)):
        if index == 2 and (want == "" or have == ""):
            continue                                    # region: RAM's ARNs have none
        if _wildcard(want, index < 3).fullmatch(have) is None:
            return False
    return True


def _strings(value) -> tuple:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


@lru_cache(maxsize=512)
def _statements(document: str) -> tuple:
    """(effect, actions, resources, conditional) per statement of a JSON policy document."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return ()
    result = []
    for statement in parsed.get("Statement", []) if isinstance(parsed, dict) else []:
        if not isinstance(statement, dict):
            continue
        resources = _strings(statement["Resource"]) if "Resource" in statement else ("*",)
        result.append((statement.get("Effect"), _strings(statement.get("Action", [])), resources,
                       bool(statement.get("Condition"))))
    return tuple(result)


def evaluate(documents: Iterable[str], action: str, resources: Sequence[str]) -> Tuple[bool, bool]:
    """(allowed, explicitly denied) for ``action`` (``ram:CreateUser``) on every one of ``resources`` (ARNs)."""
    allowed = {resource: False for resource in resources}
    denied = False
    for document in documents:
        for effect, actions, patterns, conditional in _statements(document):
            if effect not in ("Allow", "Deny") or not any(action_matches(a, action) for a in actions):
                continue
            for resource in resources:
                if not any(resource_matches(p, resource) for p in patterns):
                    continue
                if effect == "Deny":
                    denied = True               # a condition we cannot evaluate counts as met
                elif not conditional:
                    allowed[resource] = True    # a condition we cannot evaluate counts as unmet
    return (not denied and all(allowed.values()), denied)


def is_allowed(documents: Iterable[str], action: str, resources: Sequence[str] = ("*",)) -> bool:
    """``action`` like ``ram:CreateUser``; documents are JSON policy documents; resources are ARNs."""
    return evaluate(documents, action, resources)[0]


_SYSTEM_BY_LOWER = {name.lower(): name for name in SYSTEM_POLICIES}


def canonical_system_name(name: str):
    """The catalog spelling of a system policy name matched case-insensitively (``AliyunOssFullAccess`` ->
    ``AliyunOSSFullAccess``), or None. Real RAM stores and reports the canonical name (aliyun/fun issues 507, 508)."""
    return _SYSTEM_BY_LOWER.get(name.lower())
