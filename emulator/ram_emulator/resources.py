"""The resources (ARNs) each call acts on: what the ``Resource`` element of a policy is matched against.

RAM and STS follow RAM's authorization tables (README "Policies"): ``acs:ram:*:<account>:user/<UserName>`` for the
actions on one user, ``acs:ram:*:<account>:user/*`` for CreateUser and ListUsers, the same for groups, roles,
policies (system ones are ``acs:ram:*:system:policy/<name>``) and MFA devices. An action on two entities
(AddUserToGroup, AttachPolicyToUser, ...) acts on both. Other modules register their products' rules (kms.py).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional, Tuple

from ram_emulator.auth import Principal

# (version, action) -> rule(params, principal, account_id) -> ARNs
Rule = Callable[[Mapping[str, str], Principal, str], List[str]]
RULES: Dict[Tuple[str, str], Rule] = {}

RAM_VERSION = "2015-05-01"
STS_VERSION = "2015-04-01"


def register(version: str, name: str, rule: Rule) -> None:
    RULES[(version, name)] = rule


def for_action(version: str, name: str, params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    """The ARNs the call acts on; ``*`` for an action without a rule (only ``Resource: "*"`` allows it)."""
    rule = RULES.get((version, name))
    return rule(params, principal, account_id) if rule else ["*"]


def ram_arn(account_id: str, kind: str, name: str) -> str:
    return f"acs:ram:*:{account_id}:{kind}/{name}"


def _named(kind: str, param: str) -> Rule:
    return lambda params, principal, account_id: [ram_arn(account_id, kind, params.get(param) or "*")]


def _all(kind: str) -> Rule:
    return lambda params, principal, account_id: [ram_arn(account_id, kind, "*")]


def _caller_user(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    """AccessKey actions act on the caller when UserName is omitted."""
    name: Optional[str] = params.get("UserName") or (principal.user_name if principal.kind == "RAMUser" else None)
    return [ram_arn(account_id, "user", name or "*")]


def _policy(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    owner = "system" if (params.get("PolicyType") or "").lower() == "system" else account_id
    return [f"acs:ram:*:{owner}:policy/{params.get('PolicyName') or '*'}"]


def _both(first: Rule, second: Rule) -> Rule:
    def rule(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
        return first(params, principal, account_id) + second(params, principal, account_id)
    return rule


def _serial(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    return [params.get("SerialNumber") or ram_arn(account_id, "mfa", "*")]


def _role_arn(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    return [params.get("RoleArn") or ram_arn(account_id, "role", "*")]


_USER = _named("user", "UserName")
_GROUP = _named("group", "GroupName")
_ROLE = _named("role", "RoleName")

for _name in ("GetUser", "UpdateUser", "DeleteUser", "CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile",
              "DeleteLoginProfile", "BindMFADevice", "UnbindMFADevice", "GetUserMFAInfo", "ListGroupsForUser",
              "ListPoliciesForUser"):
    register(RAM_VERSION, _name, _USER)
for _name in ("CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "GetAccessKeyLastUsed"):
    register(RAM_VERSION, _name, _caller_user)
for _name in ("GetGroup", "UpdateGroup", "DeleteGroup", "ListUsersForGroup", "ListPoliciesForGroup"):
    register(RAM_VERSION, _name, _GROUP)
for _name in ("GetRole", "DeleteRole", "ListPoliciesForRole"):
    register(RAM_VERSION, _name, _ROLE)
for _name, _kind in (("CreateUser", "user"), ("ListUsers", "user"), ("CreateGroup", "group"), ("ListGroups", "group"),
                     ("CreateRole", "role"), ("ListRoles", "role"), ("CreatePolicy", "policy"),
                     ("ListPolicies", "policy"), ("CreateVirtualMFADevice", "mfa"), ("ListVirtualMFADevices", "mfa")):
    register(RAM_VERSION, _name, _all(_kind))
for _name in ("GetPolicy", "DeletePolicy"):
    register(RAM_VERSION, _name, _policy)
for _name in ("AddUserToGroup", "RemoveUserFromGroup"):
    register(RAM_VERSION, _name, _both(_USER, _GROUP))
for _name, _holder in (("AttachPolicyToUser", _USER), ("DetachPolicyFromUser", _USER), ("AttachPolicyToGroup", _GROUP),
                       ("DetachPolicyFromGroup", _GROUP), ("AttachPolicyToRole", _ROLE), ("DetachPolicyFromRole", _ROLE)):
    register(RAM_VERSION, _name, _both(_holder, _policy))
register(RAM_VERSION, "DeleteVirtualMFADevice", _serial)
register(STS_VERSION, "AssumeRole", _role_arn)
