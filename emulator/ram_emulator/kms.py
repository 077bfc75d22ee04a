"""KMS 2016-01-20 Secrets Manager: generic secrets, their versions and stage labels (README "KMS secrets").

Importing this module registers the actions (API version 2016-01-20, RAM code ``kms``), their resources and KMS's
own NoPermission error. The secrets live in ``state["kms_secrets"]``, persisted with the rest of the state; the
values are issued secrets (``/_emulator/secrets`` lists them for leak scans) and never appear in
``/_emulator/state`` or in any log.

Writes are not delayed by ``propagation_delay``: KMS documents no propagation, so a secret is readable as soon as
CreateSecret returns. The actions run under the store lock, so CreateSecret of a new name is atomic: of concurrent
creators exactly one succeeds, the others get ``Rejected.ResourceExist``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import List, Mapping, Optional

from ram_emulator import actions, errors, resources
from ram_emulator import validation as v
from ram_emulator.actions import Context, action
from ram_emulator.auth import Principal
from ram_emulator.store import format_date

KMS_VERSION = "2016-01-20"
DEFAULT_REGION = "cn-hangzhou"
REGION_RE = re.compile(r"[a-z]{2,}(?:-[a-z0-9]+)+")
# KMS's CreateSecret: up to 192 characters of letters, digits and _ / + = . @ -
SECRET_NAME_RE = re.compile(r"[A-Za-z0-9_/+=.@-]{1,192}")
MAX_VERSION_ID = 64
MAX_STAGE = 64
MAX_SECRET_DATA_BYTES = 30720
MAX_DESCRIPTION = 1024
MAX_TAGS = 20
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 128
MAX_VERSIONS = 10           # PutSecretValue: a generic secret keeps up to 10 versions, the oldest go first
MIN_RECOVERY_DAYS, MAX_RECOVERY_DAYS, DEFAULT_RECOVERY_DAYS = 7, 30, 30
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 100, 10
FILTER_KEYS = ("SecretName", "Description", "TagKey", "TagValue")
CURRENT, PREVIOUS = "ACSCurrent", "ACSPrevious"
COLLECTION = "kms_secrets"

actions.PRODUCTS[KMS_VERSION] = "kms"


# -- errors (the KMS API reference's codes; README "KMS secrets") -------------------------------------------------

def invalid_parameter() -> errors.ApiError:
    return errors.ApiError(400, "InvalidParameter", "The specified parameter is not valid.")


def not_found() -> errors.ApiError:
    return errors.ApiError(404, "Forbidden.ResourceNotFound", "Resource not found")


def already_exists() -> errors.ApiError:
    return errors.ApiError(409, "Rejected.ResourceExist", "The resource already exists.")


def in_delete_window() -> errors.ApiError:
    return errors.ApiError(409, "Rejected.ResourceInDeleteWindow", "The secret is planned to be deleted.")


def not_deleted() -> errors.ApiError:
    return errors.ApiError(409, "Rejected.ResourceInUse", "restore normal secret")


def no_permission(detail: dict) -> errors.ApiError:
    return errors.ApiError(403, "Forbidden.NoPermission", "This operation is forbidden by permission system",
                           extra={"AccessDeniedDetail": detail})


actions.NO_PERMISSION["kms"] = no_permission


# -- names, regions, resources --------------------------------------------------------------------------------------

def region_of(principal: Principal, params: Mapping[str, str]) -> str:
    """The region of the call: the ACS4 credential scope's (the KMS SDK signs with one), else RegionId, else the
    default. An endpoint without a region in its name gives the scope region ``center``, which is no region."""
    for candidate in (principal.region, params.get("RegionId")):
        if candidate and REGION_RE.fullmatch(candidate):
            return candidate
    return DEFAULT_REGION


def secret_arn(region: str, account_id: str, name: str) -> str:
    return f"acs:kms:{region}:{account_id}:secret/{name}"


def _container(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    """CreateSecret and ListSecrets act on the secret container (KMS's RAM authorization table)."""
    return [f"acs:kms:{region_of(principal, params)}:{account_id}:secret"]


def _secret_resource(params: Mapping[str, str], principal: Principal, account_id: str) -> List[str]:
    given = params.get("SecretName") or "*"
    if given.startswith("acs:kms:"):
        return [given]
    return [secret_arn(region_of(principal, params), account_id, given)]


def secret_name(ctx: Context) -> str:
    """SecretName, or the name in a secret ARN of this account (another account's secrets do not exist here)."""
    given = v.required(ctx.params, "SecretName")
    if given.startswith("acs:kms:"):
        parts = given.split(":", 4)
        if len(parts) != 5 or parts[3] != ctx.state["account_id"] or not parts[4].startswith("secret/"):
            raise not_found()
        given = parts[4][len("secret/"):]
    if not SECRET_NAME_RE.fullmatch(given):
        raise invalid_parameter()
    return given


# -- parameters -----------------------------------------------------------------------------------------------------

def _text(params: Mapping[str, str], name: str, max_len: int, required: bool = False) -> Optional[str]:
    value = v.required(params, name) if required else v.optional(params, name)
    if value is not None and (len(value) > max_len or v.CONTROL_CHARS_RE.search(value)):
        raise invalid_parameter()
    return value


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return False
    if value.lower() not in ("true", "false"):
        raise invalid_parameter()
    return value.lower() == "true"


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        return v.integer(params, name, default, low, high)
    except errors.ApiError:
        raise invalid_parameter() from None


def _json(params: Mapping[str, str], name: str):
    value = v.optional(params, name)
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise invalid_parameter() from None


def _secret_data(params: Mapping[str, str]) -> tuple:
    data = v.required(params, "SecretData")
    data_type = v.optional(params, "SecretDataType") or "text"
    if data_type not in ("text", "binary") or len(data.encode("utf-8")) > MAX_SECRET_DATA_BYTES:
        raise invalid_parameter()
    if data_type == "binary":
        try:
            base64.b64decode(data.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeError, ValueError):
            raise invalid_parameter() from None
    return data, data_type


def _tags(params: Mapping[str, str]) -> list:
    """Tags: a JSON list of {"TagKey", "TagValue"} objects, as CreateSecret takes them."""
    tags = _json(params, "Tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise invalid_parameter()
    result, keys = [], set()
    for tag in tags:
        if not isinstance(tag, dict):
            raise invalid_parameter()
        key, value = tag.get("TagKey"), tag.get("TagValue", "")
        if (not isinstance(key, str) or not isinstance(value, str) or not 1 <= len(key) <= MAX_TAG_KEY
                or len(value) > MAX_TAG_VALUE or key.lower().startswith(("aliyun", "acs:")) or key in keys
                or v.CONTROL_CHARS_RE.search(key + value)):
            raise invalid_parameter()
        keys.add(key)
        result.append({"TagKey": key, "TagValue": value})
    return result


def _stages(params: Mapping[str, str]) -> list:
    """PutSecretValue's VersionStages: a JSON list of labels (``["ACSCurrent"]``) or ``{"VersionStage": [...]}``."""
    stages = _json(params, "VersionStages")
    if stages is None:
        return [CURRENT]
    if isinstance(stages, dict):
        stages = stages.get("VersionStage")
    if isinstance(stages, str):
        stages = [stages]
    if (not isinstance(stages, list) or not stages or len(stages) > MAX_VERSIONS
            or not all(isinstance(s, str) and 1 <= len(s) <= MAX_STAGE and not v.CONTROL_CHARS_RE.search(s)
                       for s in stages)):
        raise invalid_parameter()
    return list(dict.fromkeys(stages))


# -- state ----------------------------------------------------------------------------------------------------------

def _secrets(ctx: Context) -> dict:
    return ctx.state[COLLECTION]


def _expired(ctx: Context, secret: dict) -> bool:
    planned = secret.get("planned_delete")
    return planned is not None and planned <= ctx.store.now()


def _purge(ctx: Context) -> None:
    """A write first forgets the secrets whose recovery window has passed (their names are free again)."""
    secrets = _secrets(ctx)
    for name in [n for n, s in secrets.items() if _expired(ctx, s)]:
        del secrets[name]


def _lookup(ctx: Context, name: str, pending_ok: bool = False) -> dict:
    secret = _secrets(ctx).get(name)
    if secret is None or _expired(ctx, secret):
        raise not_found()
    if secret.get("planned_delete") is not None and not pending_ok:
        raise in_delete_window()
    return secret


def _remember(ctx: Context, data: str) -> None:
    issued = ctx.store.state["issued_secrets"]
    if data not in issued:
        issued.append(data)


def _stage_view(version: dict) -> dict:
    return {"VersionStage": list(version["stages"])}


def _label(secret: dict, target: dict, stages: list) -> None:
    """Give ``target`` the stages, taking each from the version that has it; ACSCurrent's old holder becomes
    ACSPrevious (PutSecretValue's documented default)."""
    versions = secret["versions"].values()
    if CURRENT in stages:
        old = next((ver for ver in versions if ver is not target and CURRENT in ver["stages"]), None)
        if old is not None:
            for ver in versions:
                if PREVIOUS in ver["stages"]:
                    ver["stages"].remove(PREVIOUS)
            old["stages"].remove(CURRENT)
            old["stages"].append(PREVIOUS)
    for stage in stages:
        for ver in versions:
            if ver is not target and stage in ver["stages"]:
                ver["stages"].remove(stage)
        if stage not in target["stages"]:
            target["stages"].append(stage)


def _trim_versions(secret: dict) -> None:
    """More than MAX_VERSIONS: the oldest versions without a stage label go first."""
    versions = secret["versions"]
    for version_id in [vid for vid, ver in versions.items() if not ver["stages"]]:
        if len(versions) <= MAX_VERSIONS:
            break
        del versions[version_id]


def _tag_list(secret: dict) -> dict:
    return {"Tag": [dict(tag) for tag in secret["tags"]]}


# -- actions --------------------------------------------------------------------------------------------------------

@action("CreateSecret", write=True, version=KMS_VERSION)
def create_secret(ctx: Context) -> dict:
    name = secret_name(ctx)
    version_id = _text(ctx.params, "VersionId", MAX_VERSION_ID, required=True)
    data, data_type = _secret_data(ctx.params)
    if (v.optional(ctx.params, "SecretType") or "Generic") != "Generic":
        raise invalid_parameter()               # only generic secrets are emulated
    description = _text(ctx.params, "Description", MAX_DESCRIPTION)
    tags = _tags(ctx.params)
    _purge(ctx)
    existing = _secrets(ctx).get(name)
    if existing is not None:
        raise in_delete_window() if existing.get("planned_delete") is not None else already_exists()
    now = ctx.store.now_str()
    secret = {"SecretName": name, "SecretType": "Generic", "Description": description, "CreateTime": now,
              "UpdateTime": now, "EncryptionKeyId": v.optional(ctx.params, "EncryptionKeyId"),
              "DKMSInstanceId": v.optional(ctx.params, "DKMSInstanceId"), "tags": tags, "planned_delete": None,
              "versions": {version_id: {"VersionId": version_id, "SecretData": data, "SecretDataType": data_type,
                                        "CreateTime": now, "stages": [CURRENT]}}}
    _secrets(ctx)[name] = secret
    _remember(ctx, data)
    body = {"Arn": secret_arn(region_of(ctx.principal, ctx.params), ctx.state["account_id"], name),
            "SecretName": name, "VersionId": version_id, "SecretType": "Generic"}
    if secret["DKMSInstanceId"]:
        body["DKMSInstanceId"] = secret["DKMSInstanceId"]
    return body


@action("GetSecretValue", write=False, version=KMS_VERSION)
def get_secret_value(ctx: Context) -> dict:
    secret = _lookup(ctx, secret_name(ctx))
    version_id = v.optional(ctx.params, "VersionId")
    stage = v.optional(ctx.params, "VersionStage")
    versions = secret["versions"]
    if version_id is not None:
        version = versions.get(version_id)
        if version is None and stage is None:
            raise not_found()
        if version is None or (stage is not None and stage not in version["stages"]):
            raise invalid_parameter()   # both given and they do not name one version: a parameter error
    else:
        stage = stage or CURRENT
        version = next((ver for ver in versions.values() if stage in ver["stages"]), None)
        if version is None:
            raise not_found()
    return {"SecretName": secret["SecretName"], "SecretType": secret["SecretType"], "VersionId": version["VersionId"],
            "SecretData": version["SecretData"], "SecretDataType": version["SecretDataType"],
            "VersionStages": _stage_view(version), "CreateTime": version["CreateTime"]}


@action("PutSecretValue", write=True, version=KMS_VERSION)
def put_secret_value(ctx: Context) -> dict:
    name = secret_name(ctx)
    version_id = _text(ctx.params, "VersionId", MAX_VERSION_ID, required=True)
    data, data_type = _secret_data(ctx.params)
    stages = _stages(ctx.params)
    secret = _lookup(ctx, name)
    existing = secret["versions"].get(version_id)
    if existing is not None:
        # The same version with the same value: the request is idempotent. Another value: refused.
        if existing["SecretData"] != data or existing["SecretDataType"] != data_type:
            raise already_exists()
        return {"SecretName": name, "VersionId": version_id, "VersionStages": _stage_view(existing)}
    now = ctx.store.now_str()
    version = {"VersionId": version_id, "SecretData": data, "SecretDataType": data_type, "CreateTime": now,
               "stages": []}
    secret["versions"][version_id] = version
    _label(secret, version, stages)
    _trim_versions(secret)
    secret["UpdateTime"] = now
    _remember(ctx, data)
    return {"SecretName": name, "VersionId": version_id, "VersionStages": _stage_view(version)}


@action("DescribeSecret", write=False, version=KMS_VERSION)
def describe_secret(ctx: Context) -> dict:
    fetch_tags = _flag(ctx.params, "FetchTags")
    secret = _lookup(ctx, secret_name(ctx), pending_ok=True)
    body = {"Arn": secret_arn(region_of(ctx.principal, ctx.params), ctx.state["account_id"], secret["SecretName"]),
            "SecretName": secret["SecretName"], "SecretType": secret["SecretType"],
            "CreateTime": secret["CreateTime"], "UpdateTime": secret["UpdateTime"]}
    for field in ("Description", "EncryptionKeyId", "DKMSInstanceId"):
        if secret.get(field):
            body[field] = secret[field]
    if secret.get("planned_delete") is not None:
        body["PlannedDeleteTime"] = format_date(secret["planned_delete"])
    if fetch_tags:
        body["Tags"] = _tag_list(secret)
    return body


def _filter(params: Mapping[str, str]):
    """ListSecrets' Filters: at most one {"Key", "Values"}; the values are ORed and matched exactly."""
    filters = _json(params, "Filters")
    if filters is None or filters == []:
        return lambda secret: True
    if not isinstance(filters, list) or len(filters) > 1 or not isinstance(filters[0], dict):
        raise invalid_parameter()
    key, values = filters[0].get("Key"), filters[0].get("Values", [])
    if key not in FILTER_KEYS or not isinstance(values, list) or len(values) > 10 \
            or not all(isinstance(value, str) for value in values):
        raise invalid_parameter()
    wanted = set(values)
    if not wanted:
        return lambda secret: True
    if key == "TagKey":
        return lambda secret: any(tag["TagKey"] in wanted for tag in secret["tags"])
    if key == "TagValue":
        return lambda secret: any(tag["TagValue"] in wanted for tag in secret["tags"])
    return lambda secret: secret.get(key) in wanted


@action("ListSecrets", write=False, version=KMS_VERSION)
def list_secrets(ctx: Context) -> dict:
    fetch_tags = _flag(ctx.params, "FetchTags")
    page_number = _integer(ctx.params, "PageNumber", 1, 1, 10 ** 9)
    page_size = _integer(ctx.params, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    wanted = _filter(ctx.params)
    found = sorted((s for s in _secrets(ctx).values() if not _expired(ctx, s) and wanted(s)),
                   key=lambda s: s["SecretName"])
    page = found[(page_number - 1) * page_size:page_number * page_size]
    listed = []
    for secret in page:
        entry = {"SecretName": secret["SecretName"], "SecretType": secret["SecretType"],
                 "CreateTime": secret["CreateTime"], "UpdateTime": secret["UpdateTime"]}
        if secret.get("planned_delete") is not None:
            entry["PlannedDeleteTime"] = format_date(secret["planned_delete"])
        if fetch_tags:
            entry["Tags"] = _tag_list(secret)
        listed.append(entry)
    return {"PageNumber": page_number, "PageSize": page_size, "TotalCount": len(found),
            "SecretList": {"Secret": listed}}


@action("ListSecretVersionIds", write=False, version=KMS_VERSION)
def list_secret_version_ids(ctx: Context) -> dict:
    include_deprecated = _flag(ctx.params, "IncludeDeprecated")
    page_number = _integer(ctx.params, "PageNumber", 1, 1, 10 ** 9)
    page_size = _integer(ctx.params, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    secret = _lookup(ctx, secret_name(ctx), pending_ok=True)
    found = [ver for ver in secret["versions"].values() if include_deprecated or ver["stages"]]
    page = found[(page_number - 1) * page_size:page_number * page_size]
    return {"SecretName": secret["SecretName"], "PageNumber": page_number, "PageSize": page_size,
            "TotalCount": len(found),
            "VersionIds": {"VersionId": [{"VersionId": ver["VersionId"], "CreateTime": ver["CreateTime"],
                                          "VersionStages": _stage_view(ver)} for ver in page]}}


@action("UpdateSecret", write=True, version=KMS_VERSION)
def update_secret(ctx: Context) -> dict:
    name = secret_name(ctx)
    description = ctx.params.get("Description")
    if description is not None and (len(description) > MAX_DESCRIPTION or v.CONTROL_CHARS_RE.search(description)):
        raise invalid_parameter()
    secret = _lookup(ctx, name)
    if description is not None:
        secret["Description"] = description or None
    secret["UpdateTime"] = ctx.store.now_str()
    return {"SecretName": name}


@action("DeleteSecret", write=True, version=KMS_VERSION)
def delete_secret(ctx: Context) -> dict:
    name = secret_name(ctx)
    force = _flag(ctx.params, "ForceDeleteWithoutRecovery")
    days = _integer(ctx.params, "RecoveryWindowInDays", DEFAULT_RECOVERY_DAYS, MIN_RECOVERY_DAYS, MAX_RECOVERY_DAYS)
    _lookup(ctx, name)                          # a secret already scheduled for deletion: Rejected.ResourceInDeleteWindow
    now = ctx.store.now()
    if force:
        del _secrets(ctx)[name]
        return {"SecretName": name, "PlannedDeleteTime": format_date(now)}
    secret = _secrets(ctx)[name]
    secret["planned_delete"] = float(int(now) + days * 86400)
    return {"SecretName": name, "PlannedDeleteTime": format_date(secret["planned_delete"])}


@action("RestoreSecret", write=True, version=KMS_VERSION)
def restore_secret(ctx: Context) -> dict:
    name = secret_name(ctx)
    secret = _lookup(ctx, name, pending_ok=True)
    if secret.get("planned_delete") is None:
        raise not_deleted()
    secret["planned_delete"] = None
    return {"SecretName": name}


for _name in ("CreateSecret", "ListSecrets"):
    resources.register(KMS_VERSION, _name, _container)
for _name in ("GetSecretValue", "PutSecretValue", "DescribeSecret", "ListSecretVersionIds", "UpdateSecret",
              "DeleteSecret", "RestoreSecret"):
    resources.register(KMS_VERSION, _name, _secret_resource)
