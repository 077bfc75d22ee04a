"""One function per API action. Each runs under the store lock and returns the body (without RequestId)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional

from ram_emulator import errors, policies, resources, totp
from ram_emulator import validation as v
from ram_emulator.auth import Principal
from ram_emulator.store import Store, format_date, new_user_record

RAM_VERSION = "2015-05-01"
STS_VERSION = "2015-04-01"
ACTIONTRAIL_VERSION = "2020-07-06"


@dataclass
class Context:
    """One call: read handlers get the propagated view as ``state``, write handlers the latest state."""

    store: Store
    principal: Principal
    params: Mapping[str, str]
    view: Optional[dict] = None

    @property
    def state(self) -> dict:
        return self.store.state if self.view is None else self.view

    def touch(self, collection: str, key: str) -> None:
        """Before changing an entity in a write: remember it for the propagation delay."""
        self.store.touch(collection, key)


@dataclass(frozen=True)
class Action:
    name: str
    version: str
    write: bool
    handler: Callable[[Context], dict]
    needs_permission: bool = True

    @property
    def product(self) -> str:
        return PRODUCTS[self.version]

    @property
    def permission(self) -> str:
        return f"{self.product}:{self.name}"


# API version -> the product's RAM code (the prefix of its actions in policies); other modules add theirs (kms.py).
PRODUCTS: Dict[str, str] = {RAM_VERSION: "ram", STS_VERSION: "sts", ACTIONTRAIL_VERSION: "actiontrail"}
ACTIONS: Dict[str, Dict[str, Action]] = {version: {} for version in PRODUCTS}
# product -> the error for a call its policies do not allow, given the AccessDeniedDetail; RAM's NoPermission otherwise.
NO_PERMISSION: Dict[str, Callable[[dict], errors.ApiError]] = {}


def action(name: str, write: bool, version: str = RAM_VERSION, needs_permission: bool = True):
    def register(handler):
        ACTIONS.setdefault(version, {})[name] = Action(name, version, write, handler, needs_permission)
        return handler
    return register


def find_action(version: Optional[str], name: Optional[str]) -> Action:
    table = ACTIONS.get(version or "")
    if table is None:
        raise errors.invalid_version()
    found = table.get(name or "")
    if found is None:
        raise errors.action_not_found()
    return found


def is_write(name: str) -> bool:
    return any(table[name].write for table in ACTIONS.values() if name in table)


# -- identities and authorization ----------------------------------------------------------------

def account_arn(state: dict) -> str:
    return f"acs:ram::{state['account_id']}:root"


def user_arn(state: dict, user_name: str, lowercase: bool = False) -> str:
    return f"acs:ram::{state['account_id']}:user/{user_name.lower() if lowercase else user_name}"


def role_arn(state: dict, role_name: str) -> str:
    return f"acs:ram::{state['account_id']}:role/{role_name.lower()}"


def policy_document(state: dict, key: str) -> Optional[str]:
    policy_type, _sep, name = key.partition(":")
    if policy_type == "System":
        entry = policies.SYSTEM_POLICIES.get(name)
        return entry[1] if entry else None
    custom = state["custom_policies"].get(name)
    return custom["PolicyDocument"] if custom else None


def principal_documents(state: dict, principal: Principal) -> list:
    if principal.kind == "RAMUser":
        user = state["users"].get(principal.user_name)
        if user is None:
            return []
        keys = list(user["policies"])
        for group_name in user["groups"]:
            group = state["groups"].get(group_name)
            if group:
                keys.extend(group["policies"])
    else:
        role = state["roles"].get(principal.session["role_name"])
        keys = list(role["policies"]) if role else []
    return [d for d in (policy_document(state, k) for k in keys) if d]


def authorize(store: Store, principal: Principal, act: Action, params: Optional[Mapping[str, str]] = None) -> None:
    """Policies are read as propagated (lagged_auth): RAM's FAQ says permission changes take a while to apply.

    The policies' Action and Resource must both match: the call's resources come from resources.py.
    """
    if principal.kind == "Account" or not act.needs_permission:
        return
    with store.lock:
        state = store.auth_view()
        documents = principal_documents(state, principal)
        account_id = state["account_id"]
    targets = resources.for_action(act.version, act.name, params or {}, principal, account_id)
    allowed, denied = policies.evaluate(documents, act.permission, targets)
    policy_type = "AccountLevelIdentityBasedPolicy"
    inline = principal.session.get("policy") if principal.session else None
    if allowed and inline:
        allowed, denied = policies.evaluate([inline], act.permission, targets)
        policy_type = "SessionPolicy"
    if not allowed:
        detail = access_denied_detail(principal, account_id, act.permission, policy_type, denied)
        factory = NO_PERMISSION.get(act.product)
        raise factory(detail) if factory else errors.no_permission(detail=detail)


def access_denied_detail(principal: Principal, account_id: str, permission: str, policy_type: str,
                         explicit: bool) -> dict:
    """The gateway's AccessDeniedDetail (tea-openapi exposes it as ``access_denied_detail``): AuthAction names the
    refused action; NoPermissionType tells an explicit Deny from no Allow at all."""
    if principal.kind == "RAMUser":
        kind, name = "SubUser", principal.user_name
    else:
        kind, name = "AssumedRoleUser", f"{principal.session['role_name']}:{principal.session['session_name']}"
    return {"PolicyType": policy_type, "AuthPrincipalOwnerId": account_id, "AuthPrincipalType": kind,
            "AuthPrincipalDisplayName": name, "NoPermissionType": "ExplicitDeny" if explicit else "ImplicitDeny",
            "AuthAction": permission}


# -- shared helpers ------------------------------------------------------------------------------

def _pick(record: dict, *fields: str) -> dict:
    return {f: record[f] for f in fields if record.get(f) is not None}


USER_FIELDS = ("UserId", "UserName", "DisplayName", "MobilePhone", "Email", "Comments", "CreateDate")


def get_user_record(state: dict, user_name: str) -> dict:
    user = state["users"].get(user_name)
    if user is None:
        raise errors.not_exist("User", "The user does not exist.")
    return user


def user_param(ctx: Context, param: str = "UserName") -> dict:
    return get_user_record(ctx.state, v.user_name(v.required(ctx.params, param), param))


def encode_marker(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode("utf-8")).decode("ascii")


def paginate(items: list, sort_key: Callable[[dict], str], params: Mapping[str, str]) -> dict:
    """Return {"page", "IsTruncated", ["Marker"]}; the marker names the first item of the next page."""
    max_items = v.integer(params, "MaxItems", 100, 1, 1000)
    marker = v.optional(params, "Marker")
    ordered = sorted(items, key=sort_key)
    if marker is not None:
        try:
            start_key = base64.b64decode(marker.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            raise errors.invalid_value("Marker") from None
        if not start_key:
            raise errors.invalid_value("Marker")
        ordered = [item for item in ordered if sort_key(item) >= start_key]
    page = ordered[:max_items]
    result = {"page": page, "IsTruncated": len(ordered) > max_items}
    if result["IsTruncated"]:
        result["Marker"] = encode_marker(sort_key(ordered[max_items]))
    return result


def paged_list(items: list, sort_key: Callable[[dict], str], params: Mapping[str, str],
               outer: str, inner: str, render: Callable[[dict], dict]) -> dict:
    """The body of a Marker/MaxItems list action: {"IsTruncated", outer: {inner: [...]}, ["Marker"]}."""
    result = paginate(items, sort_key, params)
    body = {"IsTruncated": result["IsTruncated"], outer: {inner: [render(item) for item in result["page"]]}}
    if "Marker" in result:
        body["Marker"] = result["Marker"]
    return body


def caller_user_name(ctx: Context) -> Optional[str]:
    """UserName or, when omitted, the caller itself (None meaning the root account)."""
    given = v.optional(ctx.params, "UserName")
    if given is not None:
        get_user_record(ctx.state, v.user_name(given))
        return given
    if ctx.principal.kind == "Account":
        return None
    if ctx.principal.kind == "RAMUser":
        return ctx.principal.user_name
    raise errors.missing_parameter("UserName")


def owner_of(user_name: Optional[str]) -> str:
    return "root" if user_name is None else user_name


def owned_key(ctx: Context) -> dict:
    owner = owner_of(caller_user_name(ctx))
    key_id = v.access_key_id(v.required(ctx.params, "UserAccessKeyId"))
    key = ctx.state["access_keys"].get(key_id)
    if key is None or key["owner"] != owner:
        raise errors.not_exist("User.AccessKey", "The user access key does not exist.")
    return key


# -- users ---------------------------------------------------------------------------------------

def _user_profile_params(params: Mapping[str, str], prefix: str = "") -> dict:
    fields = {}
    display = params.get(prefix + "DisplayName")
    if display is not None and (display != "" or prefix):
        fields["DisplayName"] = v.text(display, prefix + "DisplayName", 128)
    for name, check in (("Comments", lambda x, p: v.text(x, p, 128, 0)), ("Email", v.email),
                        ("MobilePhone", v.mobile_phone)):
        value = params.get(prefix + name)
        if value is not None:
            # An empty New* value clears the field on update; on create it means "not given".
            fields[name] = check(value, prefix + name) if value != "" else None
    return fields


@action("CreateUser", write=True)
def create_user(ctx: Context) -> dict:
    name = v.user_name(v.required(ctx.params, "UserName"))
    fields = _user_profile_params(ctx.params)
    if name in ctx.state["users"]:
        raise errors.already_exists("User", "The user does already EXIST.")
    if len(ctx.state["users"]) >= v.MAX_USERS:
        raise errors.limit_exceeded("User", "The count of users beyond the current limits.")
    now = ctx.store.now_str()
    user = new_user_record(ctx.store.new_numeric_id(16), name, now, **fields)
    ctx.touch("users", name)
    ctx.state["users"][name] = user
    return {"User": _pick(user, *USER_FIELDS)}


@action("GetUser", write=False)
def get_user(ctx: Context) -> dict:
    return {"User": _pick(user_param(ctx), *USER_FIELDS, "UpdateDate", "LastLoginDate")}


@action("UpdateUser", write=True)
def update_user(ctx: Context) -> dict:
    user = user_param(ctx)
    fields = _user_profile_params(ctx.params, prefix="New")
    new_name = ctx.params.get("NewUserName")
    ctx.touch("users", user["UserName"])
    if new_name is not None and new_name != user["UserName"]:
        if not new_name:
            raise errors.too_long("NewUserName")
        v.user_name(new_name, "NewUserName")
        if new_name in ctx.state["users"]:
            raise errors.already_exists("User", "The user does already EXIST.")
        _rename_user(ctx, user, new_name)
    user.update(fields)
    user["UpdateDate"] = ctx.store.now_str()
    return {"User": _pick(user, *USER_FIELDS, "UpdateDate")}


def _rename_user(ctx: Context, user: dict, new_name: str) -> None:
    state = ctx.state
    old_name = user["UserName"]
    ctx.touch("users", new_name)
    del state["users"][old_name]
    user["UserName"] = new_name
    state["users"][new_name] = user
    for key in state["access_keys"].values():
        if key["owner"] == old_name:
            ctx.touch("access_keys", key["AccessKeyId"])
            key["owner"] = new_name


@action("DeleteUser", write=True)
def delete_user(ctx: Context) -> dict:
    user = user_param(ctx)
    name = user["UserName"]
    if any(k["owner"] == name for k in ctx.state["access_keys"].values()):
        raise errors.delete_conflict("User.AccessKey", "The user CAN NOT has any access key while deleting the user.")
    if user["policies"]:
        raise errors.delete_conflict("User.Policy", "The user CAN NOT be attached with any policy while deleting the user.")
    if user["groups"]:
        raise errors.delete_conflict("User.Group", "The user CAN NOT belong to any group while deleting the user.")
    if user["login_profile"]:
        raise errors.delete_conflict("User.LoginProfile", "The user CAN NOT has login profile while deleting the user.")
    if bound_device(ctx.state, user) is not None:
        raise errors.delete_conflict("User.MFADevice", "The user CAN NOT has any mfa device while deleting the user.")
    ctx.touch("users", name)
    del ctx.state["users"][name]
    return {}


@action("ListUsers", write=False)
def list_users(ctx: Context) -> dict:
    return paged_list(list(ctx.state["users"].values()), lambda u: u["UserName"], ctx.params,
                      "Users", "User", lambda u: _pick(u, *USER_FIELDS, "UpdateDate"))


# -- access keys ---------------------------------------------------------------------------------

@action("CreateAccessKey", write=True)
def create_access_key(ctx: Context) -> dict:
    owner = owner_of(caller_user_name(ctx))
    if sum(1 for k in ctx.state["access_keys"].values() if k["owner"] == owner) >= v.MAX_KEYS_PER_PRINCIPAL:
        raise errors.limit_exceeded("User.AccessKey",
                                    "The access key count of the user access keys beyond the current limits.")
    key = ctx.store.new_access_key(owner)
    return {"AccessKey": {"AccessKeyId": key["AccessKeyId"], "AccessKeySecret": key["secret"],
                          "Status": key["Status"], "CreateDate": key["CreateDate"]}}


@action("ListAccessKeys", write=False)
def list_access_keys(ctx: Context) -> dict:
    owner = owner_of(caller_user_name(ctx))
    keys = [_pick(k, "AccessKeyId", "Status", "CreateDate")
            for k in ctx.state["access_keys"].values() if k["owner"] == owner]
    return {"AccessKeys": {"AccessKey": keys}}


@action("UpdateAccessKey", write=True)
def update_access_key(ctx: Context) -> dict:
    status = v.choice(v.required(ctx.params, "Status"), "Status", ("Active", "Inactive"))
    key = owned_key(ctx)
    ctx.touch("access_keys", key["AccessKeyId"])
    key["Status"] = status
    return {}


@action("DeleteAccessKey", write=True)
def delete_access_key(ctx: Context) -> dict:
    key = owned_key(ctx)
    ctx.touch("access_keys", key["AccessKeyId"])
    del ctx.state["access_keys"][key["AccessKeyId"]]
    return {}


@action("GetAccessKeyLastUsed", write=False)
def get_access_key_last_used(ctx: Context) -> dict:
    key = owned_key(ctx)
    # Uses are recorded on the latest record as they happen and reported after last_used_lag (real RAM: <= 2 h).
    last_used = ctx.store.last_used_reported(key["AccessKeyId"])
    return {"AccessKeyLastUsed": {"LastUsedDate": last_used} if last_used else {}}


# -- login profiles -------------------------------------------------------------------------------

def _login_profile_view(user: dict) -> dict:
    profile = user["login_profile"]
    return {"UserName": user["UserName"], "PasswordResetRequired": profile["PasswordResetRequired"],
            "MFABindRequired": profile["MFABindRequired"], "CreateDate": profile["CreateDate"]}


def _existing_profile(user: dict) -> dict:
    if not user["login_profile"]:
        raise errors.not_exist("User.LoginProfile", "The login profile of the user does not exist.")
    return user["login_profile"]


def _password_hash(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


@action("CreateLoginProfile", write=True)
def create_login_profile(ctx: Context) -> dict:
    user = user_param(ctx)
    password = v.password(v.required(ctx.params, "Password"))
    reset = v.boolean(ctx.params, "PasswordResetRequired")
    mfa = v.boolean(ctx.params, "MFABindRequired")
    if user["login_profile"]:
        raise errors.already_exists("User.LoginProfile", "The login profile of the user does already EXIST.")
    ctx.touch("users", user["UserName"])
    user["login_profile"] = {"PasswordResetRequired": reset, "MFABindRequired": mfa,
                             "CreateDate": ctx.store.now_str(), "password_sha256": _password_hash(password)}
    return {"LoginProfile": _login_profile_view(user)}


@action("GetLoginProfile", write=False)
def get_login_profile(ctx: Context) -> dict:
    user = user_param(ctx)
    _existing_profile(user)
    return {"LoginProfile": _login_profile_view(user)}


@action("UpdateLoginProfile", write=True)
def update_login_profile(ctx: Context) -> dict:
    user = user_param(ctx)
    password = v.optional(ctx.params, "Password")
    if password is not None:
        v.password(password)
    profile = _existing_profile(user)
    ctx.touch("users", user["UserName"])
    for flag in ("PasswordResetRequired", "MFABindRequired"):
        if v.optional(ctx.params, flag) is not None:
            profile[flag] = v.boolean(ctx.params, flag)
    if password is not None:
        profile["password_sha256"] = _password_hash(password)
    return {}


@action("DeleteLoginProfile", write=True)
def delete_login_profile(ctx: Context) -> dict:
    user = user_param(ctx)
    _existing_profile(user)
    ctx.touch("users", user["UserName"])
    user["login_profile"] = None
    return {}


# -- virtual MFA devices -------------------------------------------------------------------------
# A device belongs to the account (serial acs:ram::<account>:mfa/<name>) and is bound to at most one user, a user to
# at most one device; the binding is kept on the device (by UserId, which survives renames).

def bound_device(state: dict, user: dict) -> Optional[dict]:
    return next((d for d in state["mfa_devices"].values() if d.get("user_id") == user["UserId"]), None)


def device_param(ctx: Context) -> dict:
    serial = v.required(ctx.params, "SerialNumber")
    if v.CONTROL_CHARS_RE.search(serial):
        raise errors.invalid_chars("SerialNumber")
    device = ctx.state["mfa_devices"].get(serial)
    if device is None:
        raise errors.not_exist("VirtualMFADevice", "The virtual mfa device does not exist.")
    return device


def _no_device() -> errors.ApiError:
    return errors.not_exist("User.MFADevice", "The user has not bound any MFA device.")


@action("CreateVirtualMFADevice", write=True)
def create_virtual_mfa_device(ctx: Context) -> dict:
    name = v.mfa_device_name(v.required(ctx.params, "VirtualMFADeviceName"))
    serial = f"acs:ram::{ctx.state['account_id']}:mfa/{name}"
    devices = ctx.state["mfa_devices"]
    if serial in devices:
        raise errors.already_exists("VirtualMFADevice", "The virtual mfa device does already EXIST.")
    if len(devices) >= v.MAX_MFA_DEVICES:
        raise errors.limit_exceeded("VirtualMFADevice", "The count of virtual mfa devices beyond the current limits.")
    seed = totp.new_seed()
    ctx.touch("mfa_devices", serial)
    devices[serial] = {"SerialNumber": serial, "seed": seed, "CreateDate": ctx.store.now_str(), "user_id": None,
                       "ActivateDate": None}
    ctx.state["issued_secrets"].append(seed)
    png = totp.qr_code_png_base64(totp.otpauth_uri(name, ctx.state["account_id"], seed))
    return {"VirtualMFADevice": {"SerialNumber": serial, "Base32StringSeed": seed, "QRCodePNG": png}}


@action("BindMFADevice", write=True)
def bind_mfa_device(ctx: Context) -> dict:
    user = user_param(ctx)
    device = device_param(ctx)
    code1 = v.authentication_code(v.required(ctx.params, "AuthenticationCode1"), "AuthenticationCode1")
    code2 = v.authentication_code(v.required(ctx.params, "AuthenticationCode2"), "AuthenticationCode2")
    if bound_device(ctx.state, user) is not None:
        raise errors.already_exists("User.MFADevice", "The user has already bound a MFA device.")
    if device["user_id"] is not None:
        raise errors.already_exists("VirtualMFADevice.User", "The virtual mfa device does already been bound to a user.")
    if not totp.consecutive_codes_match(device["seed"], ctx.store.now(), code1, code2):
        raise errors.check_code_failed()
    ctx.touch("mfa_devices", device["SerialNumber"])
    device["user_id"] = user["UserId"]
    device["ActivateDate"] = ctx.store.now_str()
    return {}


@action("UnbindMFADevice", write=True)
def unbind_mfa_device(ctx: Context) -> dict:
    device = bound_device(ctx.state, user_param(ctx))
    if device is None:
        raise _no_device()
    ctx.touch("mfa_devices", device["SerialNumber"])
    device["user_id"] = device["ActivateDate"] = None
    return {"MFADevice": {"SerialNumber": device["SerialNumber"]}}


@action("GetUserMFAInfo", write=False)
def get_user_mfa_info(ctx: Context) -> dict:
    device = bound_device(ctx.state, user_param(ctx))
    if device is None:
        raise _no_device()
    return {"MFADevice": {"SerialNumber": device["SerialNumber"], "Type": "VMFA"}}


@action("DeleteVirtualMFADevice", write=True)
def delete_virtual_mfa_device(ctx: Context) -> dict:
    device = device_param(ctx)
    if device["user_id"] is not None:
        raise errors.delete_conflict("VirtualMFADevice.User",
                                     "The virtual mfa device CAN NOT been bound to any user while deleting it.")
    ctx.touch("mfa_devices", device["SerialNumber"])
    del ctx.state["mfa_devices"][device["SerialNumber"]]
    return {}


@action("ListVirtualMFADevices", write=False)
def list_virtual_mfa_devices(ctx: Context) -> dict:
    users_by_id = {u["UserId"]: u for u in ctx.state["users"].values()}
    devices = []
    for serial, device in sorted(ctx.state["mfa_devices"].items()):
        entry = {"SerialNumber": serial}
        if device["user_id"] is not None:
            user = users_by_id.get(device["user_id"], {"UserId": device["user_id"]})
            entry["ActivateDate"] = device["ActivateDate"]
            entry["User"] = _pick(user, "UserId", "UserName", "DisplayName")
        devices.append(entry)
    return {"VirtualMFADevices": {"VirtualMFADevice": devices}}


# -- groups --------------------------------------------------------------------------------------

GROUP_FIELDS = ("GroupId", "GroupName", "Comments", "CreateDate")


def group_param(ctx: Context) -> dict:
    group = ctx.state["groups"].get(v.group_name(v.required(ctx.params, "GroupName")))
    if group is None:
        raise errors.not_exist("Group", "The group does not exist.")
    return group


@action("CreateGroup", write=True)
def create_group(ctx: Context) -> dict:
    name = v.group_name(v.required(ctx.params, "GroupName"))
    comments = ctx.params.get("Comments")
    if comments:
        v.text(comments, "Comments", 128)
    if name in ctx.state["groups"]:
        raise errors.already_exists("Group", "The group does already EXIST.")
    if len(ctx.state["groups"]) >= v.MAX_GROUPS:
        raise errors.limit_exceeded("Group", "The count of groups beyond the current limits.")
    now = ctx.store.now_str()
    group = {"GroupId": ctx.store.new_numeric_id(16), "GroupName": name, "Comments": comments or None,
             "CreateDate": now, "UpdateDate": now, "policies": {}}
    ctx.touch("groups", name)
    ctx.state["groups"][name] = group
    return {"Group": _pick(group, *GROUP_FIELDS)}


@action("GetGroup", write=False)
def get_group(ctx: Context) -> dict:
    return {"Group": _pick(group_param(ctx), *GROUP_FIELDS, "UpdateDate")}


@action("UpdateGroup", write=True)
def update_group(ctx: Context) -> dict:
    group = group_param(ctx)
    comments = ctx.params.get("NewComments")
    comments_given = comments is not None
    if comments_given:
        comments = v.text(comments, "NewComments", 128, 0) or None
    new_name = v.optional(ctx.params, "NewGroupName")
    renamed = new_name is not None and new_name != group["GroupName"]
    if renamed:
        v.group_name(new_name, "NewGroupName")
        if new_name in ctx.state["groups"]:
            raise errors.already_exists("Group", "The group does already EXIST.")
    ctx.touch("groups", group["GroupName"])
    if comments_given:
        group["Comments"] = comments
    if renamed:
        old_name = group["GroupName"]
        ctx.touch("groups", new_name)
        del ctx.state["groups"][old_name]
        group["GroupName"] = new_name
        ctx.state["groups"][new_name] = group
        for user in ctx.state["users"].values():
            if old_name in user["groups"]:
                ctx.touch("users", user["UserName"])
                user["groups"][new_name] = user["groups"].pop(old_name)
    group["UpdateDate"] = ctx.store.now_str()
    return {"Group": _pick(group, *GROUP_FIELDS, "UpdateDate")}


@action("DeleteGroup", write=True)
def delete_group(ctx: Context) -> dict:
    group = group_param(ctx)
    if any(group["GroupName"] in u["groups"] for u in ctx.state["users"].values()):
        raise errors.delete_conflict("Group.User", "The group CAN NOT has any user while deleting the group.")
    if group["policies"]:
        raise errors.delete_conflict("Group.Policy",
                                     "The group CAN NOT be attached with any policy while deleting the group.")
    ctx.touch("groups", group["GroupName"])
    del ctx.state["groups"][group["GroupName"]]
    return {}


@action("ListGroups", write=False)
def list_groups(ctx: Context) -> dict:
    return paged_list(list(ctx.state["groups"].values()), lambda g: g["GroupName"], ctx.params,
                      "Groups", "Group", lambda g: _pick(g, *GROUP_FIELDS, "UpdateDate"))


@action("AddUserToGroup", write=True)
def add_user_to_group(ctx: Context) -> dict:
    group = group_param(ctx)
    user = user_param(ctx)
    if group["GroupName"] in user["groups"]:
        raise errors.already_exists("User.Group", "The user has already joined the group.")
    if len(user["groups"]) >= v.MAX_GROUPS_PER_USER:
        raise errors.limit_exceeded("User.Group", "The count of groups the target user joined beyond the current limits.")
    ctx.touch("users", user["UserName"])
    user["groups"][group["GroupName"]] = ctx.store.now_str()
    return {}


@action("RemoveUserFromGroup", write=True)
def remove_user_from_group(ctx: Context) -> dict:
    group = group_param(ctx)
    user = user_param(ctx)
    if group["GroupName"] not in user["groups"]:
        raise errors.not_exist("User.Group", "The user has not joined the group.")
    ctx.touch("users", user["UserName"])
    del user["groups"][group["GroupName"]]
    return {}


@action("ListGroupsForUser", write=False)
def list_groups_for_user(ctx: Context) -> dict:
    user = user_param(ctx)
    groups = []
    for name, joined in user["groups"].items():
        group = ctx.state["groups"].get(name)
        if group:
            groups.append(dict(_pick(group, "GroupName", "GroupId", "Comments"), JoinDate=joined))
    return {"Groups": {"Group": groups}}


@action("ListUsersForGroup", write=False)
def list_users_for_group(ctx: Context) -> dict:
    name = group_param(ctx)["GroupName"]
    members = [u for u in ctx.state["users"].values() if name in u["groups"]]
    return paged_list(members, lambda u: u["UserName"], ctx.params, "Users", "User",
                      lambda u: dict(_pick(u, "UserName", "DisplayName"), JoinDate=u["groups"][name]))


# -- policies ------------------------------------------------------------------------------------

def _attachment_holders(state: dict):
    yield from state["users"].values()
    yield from state["groups"].values()
    yield from state["roles"].values()


def policy_record(state: dict, policy_type: str, name: str) -> dict:
    """A uniform view of a system or custom policy, or EntityNotExist.Policy.

    System policy names match case-insensitively and come back in the catalog's spelling.
    """
    if policy_type == "System":
        name = policies.canonical_system_name(name) or name
        entry = policies.SYSTEM_POLICIES.get(name)
        if entry:
            return {"PolicyName": name, "PolicyType": "System", "Description": entry[0], "PolicyDocument": entry[1],
                    "DefaultVersion": "v1", "CreateDate": policies.CATALOG_DATE, "UpdateDate": policies.CATALOG_DATE}
    else:
        custom = state["custom_policies"].get(name)
        if custom:
            return dict(custom, PolicyType="Custom", DefaultVersion="v1")
    raise errors.not_exist("Policy", "The policy does not exist.")


def attachment_count(state: dict, key: str) -> int:
    return sum(1 for holder in _attachment_holders(state) if key in holder["policies"])


def policy_params(ctx: Context) -> dict:
    policy_type = v.choice(v.required(ctx.params, "PolicyType"), "PolicyType", ("System", "Custom"))
    name = v.policy_name(v.required(ctx.params, "PolicyName"))
    return policy_record(ctx.state, policy_type, name)


@action("CreatePolicy", write=True)
def create_policy(ctx: Context) -> dict:
    name = v.policy_name(v.required(ctx.params, "PolicyName"))
    document = v.required(ctx.params, "PolicyDocument")
    v.policy_document(document)
    description = ctx.params.get("Description") or None
    if description:
        v.text(description, "Description", 1024)
    if name in ctx.state["custom_policies"] or policies.canonical_system_name(name):
        raise errors.already_exists("Policy", "The policy does already EXIST.")
    if len(ctx.state["custom_policies"]) >= v.MAX_CUSTOM_POLICIES:
        raise errors.limit_exceeded("Policy", "The count of policies beyond the current limits.")
    now = ctx.store.now_str()
    ctx.touch("custom_policies", name)
    ctx.state["custom_policies"][name] = {"PolicyName": name, "Description": description, "PolicyDocument": document,
                                          "CreateDate": now, "UpdateDate": now}
    record = policy_record(ctx.state, "Custom", name)
    return {"Policy": _pick(record, "PolicyName", "PolicyType", "Description", "DefaultVersion", "CreateDate")}


@action("GetPolicy", write=False)
def get_policy(ctx: Context) -> dict:
    record = policy_params(ctx)
    key = f"{record['PolicyType']}:{record['PolicyName']}"
    policy = _pick(record, "PolicyName", "PolicyType", "Description", "DefaultVersion", "CreateDate", "UpdateDate")
    policy["AttachmentCount"] = attachment_count(ctx.state, key)
    return {"Policy": policy,
            "DefaultPolicyVersion": {"VersionId": "v1", "IsDefaultVersion": True, "CreateDate": record["CreateDate"],
                                     "PolicyDocument": record["PolicyDocument"]}}


@action("ListPolicies", write=False)
def list_policies(ctx: Context) -> dict:
    wanted = v.optional(ctx.params, "PolicyType")
    if wanted is not None:
        v.choice(wanted, "PolicyType", ("System", "Custom"))
    records = []
    if wanted in (None, "System"):
        records.extend(policy_record(ctx.state, "System", n) for n in policies.SYSTEM_POLICIES)
    if wanted in (None, "Custom"):
        records.extend(policy_record(ctx.state, "Custom", n) for n in ctx.state["custom_policies"])

    def render(record: dict) -> dict:
        entry = _pick(record, "PolicyName", "PolicyType", "Description", "DefaultVersion", "CreateDate", "UpdateDate")
        entry["AttachmentCount"] = attachment_count(ctx.state, f"{record['PolicyType']}:{record['PolicyName']}")
        return entry

    return paged_list(records, lambda p: f"{p['PolicyType']}:{p['PolicyName']}", ctx.params, "Policies", "Policy", render)


@action("DeletePolicy", write=True)
def delete_policy(ctx: Context) -> dict:
    name = v.policy_name(v.required(ctx.params, "PolicyName"))
    policy_record(ctx.state, "Custom", name)
    key = f"Custom:{name}"
    cascade = v.boolean(ctx.params, "CascadingDelete")
    kinds = (("User", "users"), ("Group", "groups"), ("Role", "roles"))
    holders = [(kind, collection, holder) for kind, collection in kinds
               for holder in ctx.state[collection].values() if key in holder["policies"]]
    if holders and not cascade:
        kind = holders[0][0]
        raise errors.delete_conflict(f"Policy.{kind}", f"The policy CAN NOT be attached to any {kind.lower()} "
                                     "while deleting the policy.")
    for kind, collection, holder in holders:
        ctx.touch(collection, holder[HOLDER_NAME[collection]])
        del holder["policies"][key]
    ctx.touch("custom_policies", name)
    del ctx.state["custom_policies"][name]
    return {}


HOLDER_NAME = {"users": "UserName", "groups": "GroupName", "roles": "RoleName"}
HOLDER_COLLECTION = {"User": "users", "Group": "groups", "Role": "roles"}


def _attach(ctx: Context, holder: dict, entity: str) -> dict:
    record = policy_params(ctx)
    key = f"{record['PolicyType']}:{record['PolicyName']}"      # System names in the catalog's spelling
    if key in holder["policies"]:
        raise errors.already_exists(f"{entity}.Policy", f"The {entity.lower()} has already been attached this policy.")
    same_type = sum(1 for k in holder["policies"] if k.startswith(record["PolicyType"] + ":"))
    limit = v.MAX_SYSTEM_POLICIES_PER_ENTITY if record["PolicyType"] == "System" else v.MAX_CUSTOM_POLICIES_PER_ENTITY
    if same_type >= limit:
        raise errors.limit_exceeded(f"{entity}.Policy",
                                    f"The count of {record['PolicyType'].lower()} policies attached to the "
                                    f"{entity.lower()} beyond the current limits.")
    collection = HOLDER_COLLECTION[entity]
    ctx.touch(collection, holder[HOLDER_NAME[collection]])
    holder["policies"][key] = ctx.store.now_str()
    return {}


def _detach(ctx: Context, holder: dict, entity: str) -> dict:
    policy_type = v.choice(v.required(ctx.params, "PolicyType"), "PolicyType", ("System", "Custom"))
    name = v.policy_name(v.required(ctx.params, "PolicyName"))
    if policy_type == "System":
        name = policies.canonical_system_name(name) or name
    key = f"{policy_type}:{name}"
    if key not in holder["policies"]:
        policy_record(ctx.state, policy_type, name)
        raise errors.not_exist(f"{entity}.Policy", f"The indicate policy of the {entity.lower()} does not exist.")
    collection = HOLDER_COLLECTION[entity]
    ctx.touch(collection, holder[HOLDER_NAME[collection]])
    del holder["policies"][key]
    return {}


def _attached(ctx: Context, holder: dict) -> dict:
    result = []
    for key, attached in holder["policies"].items():
        policy_type, _sep, name = key.partition(":")
        try:
            record = policy_record(ctx.state, policy_type, name)
        except errors.ApiError:
            continue
        entry = _pick(record, "PolicyName", "PolicyType", "Description", "DefaultVersion")
        entry["AttachDate"] = attached
        result.append(entry)
    return {"Policies": {"Policy": result}}


@action("AttachPolicyToUser", write=True)
def attach_policy_to_user(ctx: Context) -> dict:
    return _attach(ctx, user_param(ctx), "User")


@action("DetachPolicyFromUser", write=True)
def detach_policy_from_user(ctx: Context) -> dict:
    return _detach(ctx, user_param(ctx), "User")


@action("ListPoliciesForUser", write=False)
def list_policies_for_user(ctx: Context) -> dict:
    return _attached(ctx, user_param(ctx))


@action("AttachPolicyToGroup", write=True)
def attach_policy_to_group(ctx: Context) -> dict:
    return _attach(ctx, group_param(ctx), "Group")


@action("DetachPolicyFromGroup", write=True)
def detach_policy_from_group(ctx: Context) -> dict:
    return _detach(ctx, group_param(ctx), "Group")


@action("ListPoliciesForGroup", write=False)
def list_policies_for_group(ctx: Context) -> dict:
    return _attached(ctx, group_param(ctx))


# -- roles ---------------------------------------------------------------------------------------

ROLE_FIELDS = ("RoleId", "RoleName", "Arn", "Description", "AssumeRolePolicyDocument", "CreateDate",
               "MaxSessionDuration")


def role_param(ctx: Context) -> dict:
    role = ctx.state["roles"].get(v.role_name(v.required(ctx.params, "RoleName")))
    if role is None:
        raise errors.not_exist("Role", "The role does not exist.")
    return role


@action("CreateRole", write=True)
def create_role(ctx: Context) -> dict:
    name = v.role_name(v.required(ctx.params, "RoleName"))
    trust = v.required(ctx.params, "AssumeRolePolicyDocument")
    v.policy_document(trust, "AssumeRolePolicyDocument")
    description = ctx.params.get("Description") or None
    if description:
        v.text(description, "Description", 1024)
    max_session = v.integer(ctx.params, "MaxSessionDuration", 3600, 3600, 43200)
    if any(r.lower() == name.lower() for r in ctx.state["roles"]):
        raise errors.already_exists("Role", "The role does already EXIST.")
    if len(ctx.state["roles"]) >= v.MAX_ROLES:
        raise errors.limit_exceeded("Role", "The count of roles beyond the current limits.")
    now = ctx.store.now_str()
    role = {"RoleId": ctx.store.new_numeric_id(19), "RoleName": name, "Arn": role_arn(ctx.state, name),
            "Description": description, "AssumeRolePolicyDocument": trust, "MaxSessionDuration": max_session,
            "CreateDate": now, "UpdateDate": now, "policies": {}}
    ctx.touch("roles", name)
    ctx.state["roles"][name] = role
    return {"Role": _pick(role, *ROLE_FIELDS)}


@action("GetRole", write=False)
def get_role(ctx: Context) -> dict:
    role = role_param(ctx)
    view = _pick(role, *ROLE_FIELDS, "UpdateDate")
    view["RolePrincipalName"] = f"{role['RoleName']}@role.{ctx.state['account_id']}.onaliyunservice.com"
    view["IsServiceLinkedRole"] = False
    return {"Role": view}


@action("ListRoles", write=False)
def list_roles(ctx: Context) -> dict:
    fields = ("RoleId", "RoleName", "Arn", "Description", "CreateDate", "UpdateDate", "MaxSessionDuration")
    return paged_list(list(ctx.state["roles"].values()), lambda r: r["RoleName"], ctx.params,
                      "Roles", "Role", lambda r: _pick(r, *fields))


@action("DeleteRole", write=True)
def delete_role(ctx: Context) -> dict:
    role = role_param(ctx)
    if role["policies"]:
        raise errors.delete_conflict("Role.Policy", "The role CAN NOT be attached with any policy while deleting the role.")
    ctx.touch("roles", role["RoleName"])
    del ctx.state["roles"][role["RoleName"]]
    return {}


@action("AttachPolicyToRole", write=True)
def attach_policy_to_role(ctx: Context) -> dict:
    return _attach(ctx, role_param(ctx), "Role")


@action("DetachPolicyFromRole", write=True)
def detach_policy_from_role(ctx: Context) -> dict:
    return _detach(ctx, role_param(ctx), "Role")


@action("ListPoliciesForRole", write=False)
def list_policies_for_role(ctx: Context) -> dict:
    return _attached(ctx, role_param(ctx))


# -- STS -----------------------------------------------------------------------------------------

ROLE_ARN_RE = re.compile(r"acs:ram::([0-9]+):role/([^\x00-\x20\x7f-\x9f]+)")  # fullmatch


def caller_arn(state: dict, principal: Principal, lowercase_users: bool = False) -> str:
    if principal.kind == "Account":
        return account_arn(state)
    if principal.kind == "RAMUser":
        return user_arn(state, principal.user_name, lowercase_users)
    session = principal.session
    return f"acs:ram::{state['account_id']}:assumed-role/{session['role_name'].lower()}/{session['session_name']}"


def trusts(state: dict, role: dict, principal: Principal, lowercase_users: bool = False) -> bool:
    """Whether the role's trust policy names the caller's account (``:root``) or the caller itself."""
    wanted = {account_arn(state), caller_arn(state, principal, lowercase_users)}
    for effect, principals in _trust_statements(role["AssumeRolePolicyDocument"]):
        if effect == "Allow" and wanted & principals:
            return True
    return False


def _trust_statements(document: str):
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return
    for statement in statements:
        ram = (statement.get("Principal") or {}).get("RAM", [])
        ram = [ram] if isinstance(ram, str) else ram
        yield statement.get("Effect"), {p for p in ram if isinstance(p, str)}


@action("AssumeRole", write=True, version=STS_VERSION)
def assume_role(ctx: Context) -> dict:
    arn = v.required(ctx.params, "RoleArn")
    session_name = v.session_name(v.required(ctx.params, "RoleSessionName"))
    inline = v.optional(ctx.params, "Policy")
    if inline is not None:
        v.session_policy(inline)
    match = ROLE_ARN_RE.fullmatch(arn)
    if not match:
        raise errors.invalid_value("RoleArn")
    if ctx.principal.kind == "Account":
        raise errors.no_permission("Roles may not be assumed by root accounts.")
    role = None
    if match.group(1) == ctx.state["account_id"]:
        role = next((r for r in ctx.state["roles"].values() if r["RoleName"].lower() == match.group(2).lower()), None)
    if role is None:
        raise errors.not_exist("Role", f"The role not exists: {arn}.")
    duration = v.integer(ctx.params, "DurationSeconds", min(3600, role["MaxSessionDuration"]), 900,
                         role["MaxSessionDuration"])
    if not trusts(ctx.state, role, ctx.principal, ctx.store.modes.user_arn_lowercase):
        raise errors.no_permission()
    session = ctx.store.new_session(role, session_name, duration)
    if inline is not None:
        session["policy"] = inline
    return {"Credentials": {"AccessKeyId": session["AccessKeyId"], "AccessKeySecret": session["secret"],
                            "SecurityToken": session["token"], "Expiration": format_date(session["expiration"])},
            "AssumedRoleUser": {"Arn": f"acs:ram::{ctx.state['account_id']}:assumed-role/{role['RoleName'].lower()}"
                                       f"/{session_name}",
                                "AssumedRoleId": f"{role['RoleId']}:{session_name}"}}


@action("GetCallerIdentity", write=False, version=STS_VERSION, needs_permission=False)
def get_caller_identity(ctx: Context) -> dict:
    """UserId only for the account and RAM users, RoleId only for assumed roles (the GetCallerIdentity doc)."""
    state, principal = ctx.state, ctx.principal
    body = {"AccountId": state["account_id"], "IdentityType": principal.kind,
            "Arn": caller_arn(state, principal, ctx.store.modes.user_arn_lowercase)}
    if principal.kind == "Account":
        body.update(UserId=state["account_id"], PrincipalId=state["account_id"])
    elif principal.kind == "RAMUser":
        user = state["users"].get(principal.user_name) or ctx.store.state["users"].get(principal.user_name)
        if user is not None:
            body.update(UserId=user["UserId"], PrincipalId=user["UserId"])
    else:
        session = principal.session
        body.update(PrincipalId=f"{session['role_id']}:{session['session_name']}", RoleId=session["role_id"])
    return body
