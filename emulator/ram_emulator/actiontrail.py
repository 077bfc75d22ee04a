"""ActionTrail 2020-07-06: the record of the calls the emulator serves, and LookupEvents over it.

Every authenticated call of a known action (RAM, STS and LookupEvents itself, as real ActionTrail records its own
LookupEvents) becomes an event in the shape of ActionTrail's management events: who signed it (the AccessKey ID and
the identity behind it), from where (the client address of the connection), when (the emulator's clock, UTC), with
which user agent and request id, and how it ended (success, or the error code and message). Never a secret, a
signature, a token or a request parameter value other than the names of the RAM entities it refers to.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import copy
import ipaddress
import json
import re
import time
import uuid
from typing import Callable, Dict, List, Mapping, Optional

from ram_emulator import errors
from ram_emulator.actions import ACTIONS, ACTIONTRAIL_VERSION, RAM_VERSION, STS_VERSION, Context, action
from ram_emulator.auth import Principal
from ram_emulator.store import Store, format_date

VERSION = ACTIONTRAIL_VERSION
REGION = "cn-hangzhou"
HOST = f"actiontrail.{REGION}.aliyuncs.com"
# serviceName and eventSource of each API version's events (ActionTrail's sample events of RAM, STS and itself).
SERVICES = {RAM_VERSION: ("Ram", "ram.aliyuncs.com"), STS_VERSION: ("Sts", "sts.aliyuncs.com"), VERSION: ("Actiontrail", HOST),
            "2016-01-20": ("Kms", "kms.cn-hangzhou.aliyuncs.com")}

# LookupEvents 2020-07-06 (ActionTrail API reference): StartTime and EndTime together or neither (then the last 7 days);
# at most 30 days between them; events of the last 90 days; MaxResults 1-50; Direction BACKWARD (default) or FORWARD.
DEFAULT_WINDOW_SECONDS = 7 * 86400
MAX_WINDOW_SECONDS = 30 * 86400
RETENTION_SECONDS = 90 * 86400
DEFAULT_MAX_RESULTS = 20
MAX_RESULTS = 50
DIRECTIONS = ("BACKWARD", "FORWARD")
MAX_ATTRIBUTES = 2
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
ATTRIBUTE_RE = re.compile(r"LookupAttribute\.([1-9][0-9]{0,3})\.(Key|Value)")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_USER_AGENT = 1024
# Request parameters naming RAM entities, recorded as the event's referencedResources (names and ids only).
RESOURCE_PARAMS = (("UserName", "ACS::RAM::User"), ("GroupName", "ACS::RAM::Group"), ("RoleName", "ACS::RAM::Role"),
                   ("PolicyName", "ACS::RAM::Policy"), ("UserAccessKeyId", "ACS::RAM::AccessKey"))


def _resources(event: dict) -> List[tuple]:
    return [(kind, name) for kind, names in (event.get("referencedResources") or {}).items() for name in names]


def _role_name(event: dict) -> List[str]:
    identity = event["userIdentity"]
    return [identity.get("userName", "").partition(":")[0]] if identity.get("type") == "assumed-role" else []


# LookupAttribute keys of LookupEvents ("How do I configure the LookupAttribute parameter"), each with the values an
# event offers for it. Matching is exact and case-sensitive. The emulator marks no action sensitive.
LOOKUP_KEYS: Dict[str, Callable[[dict], List[str]]] = {
    "ServiceName": lambda e: [e["serviceName"]],
    "EventName": lambda e: [e["eventName"]],
    "User": lambda e: [e["userIdentity"].get("userName", "")],
    "EventId": lambda e: [e["eventId"]],
    "ResourceType": lambda e: [kind for kind, _name in _resources(e)],
    "ResourceName": lambda e: [name for _kind, name in _resources(e)],
    "EventRW": lambda e: [e["eventRW"]],
    "EventAccessKeyId": lambda e: [e["userIdentity"].get("accessKeyId", "")],
    "SensitiveAction": lambda e: ["false"],
    "SourceIpAddress": lambda e: [e["sourceIpAddress"]],
    "EventType": lambda e: [e["eventType"]],
    "RoleName": _role_name,
}
IDENTITY_TYPES = ("root-account", "ram-user", "assumed-role")


# -- recording --------------------------------------------------------------------------------------------------

def client_ip(address: str) -> str:
    """The client address as ActionTrail shows it: an IPv4-mapped IPv6 address as IPv4, no zone."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return str(parsed)


def clean_text(value: Optional[str], limit: int) -> str:
    return CONTROL_RE.sub("", value or "")[:limit]


def user_identity(state: dict, principal: Principal) -> dict:
    """ActionTrail's userIdentity of a caller: root-account, ram-user or assumed-role."""
    account = state["account_id"]
    if principal.kind == "Account":
        return {"type": "root-account", "principalId": account, "accountId": account,
                "accessKeyId": principal.access_key_id, "userName": "root"}
    if principal.kind == "RAMUser":
        identity = {"type": "ram-user", "accountId": account, "accessKeyId": principal.access_key_id,
                    "userName": principal.user_name}
        user = state["users"].get(principal.user_name)
        if user is not None:
            identity["principalId"] = user["UserId"]
        return identity
    session = principal.session
    attributes = {"mfaAuthenticated": "false"}
    if session.get("created") is not None:
        attributes["creationDate"] = format_date(session["created"])
    return {"type": "assumed-role", "principalId": f"{session['role_id']}:{session['session_name']}",
            "accountId": account, "accessKeyId": principal.access_key_id,
            "userName": f"{session['role_name']}:{session['session_name']}",
            "sessionContext": {"attributes": attributes}}


def referenced_resources(params: Mapping[str, str]) -> dict:
    resources = {}
    for param, kind in RESOURCE_PARAMS:
        value = params.get(param)
        if value and len(value) <= 256 and not CONTROL_RE.search(value):
            resources[kind] = [value]
    return resources


def new_event(state: dict, when: float, *, name: str, version: Optional[str], service: str, source: str, write: bool,
              identity: dict, request_id: str, source_ip: str, user_agent: str, resources: Optional[dict] = None,
              error_code: Optional[str] = None, error_message: Optional[str] = None) -> dict:
    event = {"eventId": str(uuid.uuid4()).upper(), "eventVersion": "1", "eventType": "ApiCall",
             "eventCategory": "Management", "eventName": name, "eventRW": "Write" if write else "Read",
             "eventSource": source, "serviceName": service, "acsRegion": REGION, "eventTime": format_date(when),
             "requestId": request_id, "sourceIpAddress": source_ip, "userAgent": user_agent, "userIdentity": identity,
             "recipientAccountId": state["account_id"], "additionalEventData": {"Scheme": "http"}}
    if version:
        event["apiVersion"] = version
    if resources:
        event["referencedResources"] = resources
    if error_code:
        event["errorCode"] = error_code
        event["errorMessage"] = error_message or ""
    return event


def record_call(store: Store, principal: Principal, act, *, request_id: str, client_address: str,
                user_agent: Optional[str], params: Mapping[str, str], error: Optional[errors.ApiError] = None) -> dict:
    """Record one authenticated call of ``act`` (RAM, STS or ActionTrail) as an event; returns the stored record."""
    service, source = SERVICES[act.version]
    with store.lock:
        when = store.now()
        event = new_event(store.state, when, name=act.name, version=act.version, service=service, source=source,
                          write=act.write, identity=user_identity(store.state, principal), request_id=request_id,
                          source_ip=client_ip(client_address), user_agent=clean_text(user_agent, MAX_USER_AGENT),
                          resources=referenced_resources(params), error_code=error.code if error else None,
                          error_message=error.message if error else None)
        return store.record_event(when, event)


# -- synthetic events (admin API) ------------------------------------------------------------------------------

INJECT_FIELDS = {"access_key_id", "source_ip", "event_time", "event_name", "service_name", "event_rw", "api_version",
                 "user_agent", "request_id", "error_code", "error_message", "identity_type", "user_name", "principal_id"}


def _text(spec: dict, name: str, limit: int = 256, default: Optional[str] = None, required: bool = False) -> Optional[str]:
    value = spec.get(name, default)
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not isinstance(value, str) or not value or len(value) > limit or CONTROL_RE.search(value):
        raise ValueError(f"{name} must be a non-empty string of at most {limit} characters without control characters")
    return value


def _known_action(name: str):
    for version in (RAM_VERSION, STS_VERSION, VERSION):
        found = ACTIONS[version].get(name)
        if found is not None:
            return found
    return None


def _identity_for_key(store: Store, key_id: str) -> Optional[dict]:
    state = store.state
    if key_id.startswith("STS."):
        session = state["sessions"].get(key_id)
        return user_identity(state, Principal("AssumedRoleUser", key_id, session=session)) if session else None
    key = state["access_keys"].get(key_id)
    if key is None:
        return None
    if key["owner"] == "root":
        return user_identity(state, Principal("Account", key_id))
    return user_identity(state, Principal("RAMUser", key_id, user_name=key["owner"]))


def synthetic_event(store: Store, spec) -> tuple:
    """(time, event) for an admin-injected call; raises ValueError with a readable message. Under ``store.lock``."""
    if not isinstance(spec, dict):
        raise ValueError("each event must be a JSON object")
    unknown = sorted(set(spec) - INJECT_FIELDS)
    if unknown:
        raise ValueError(f"unknown event fields: {', '.join(unknown)} (known: {', '.join(sorted(INJECT_FIELDS))})")
    key_id = _text(spec, "access_key_id", 128, required=True)
    address = _text(spec, "source_ip", 64, required=True)
    try:
        source_ip = client_ip(str(ipaddress.ip_address(address)))
    except ValueError:
        raise ValueError("source_ip must be an IPv4 or IPv6 address") from None
    when = store.now()
    if spec.get("event_time") is not None:
        when = parse_time(_text(spec, "event_time", 32), ValueError("event_time must be YYYY-MM-DDThh:mm:ssZ (UTC)"))
    name = _text(spec, "event_name", 128, default="GetCallerIdentity")
    known = _known_action(name)
    service_name = _text(spec, "service_name", 64)
    if service_name is None:
        if known is None:
            raise ValueError(f"service_name is required for {name}, which the emulator does not serve")
        service_name = SERVICES[known.version][0]
    by_service = {service: (version, source) for version, (service, source) in SERVICES.items()}
    version, source = by_service.get(service_name, (None, f"{service_name.lower()}.aliyuncs.com"))
    if known is not None and version != known.version:
        known = None            # a name the emulator serves, but of another service: nothing to derive from it
    version = _text(spec, "api_version", 32, default=version)
    rw = _text(spec, "event_rw", 8, default="Write" if known is not None and known.write else "Read")
    if rw not in ("Read", "Write"):
        raise ValueError("event_rw must be Read or Write")
    identity_type = _text(spec, "identity_type", 32)
    if identity_type is None:
        identity = _identity_for_key(store, key_id)
        if identity is None:
            raise ValueError(f"access_key_id {key_id} is not a key of the account: give identity_type and user_name")
    else:
        if identity_type not in IDENTITY_TYPES:
            raise ValueError(f"identity_type must be one of {', '.join(IDENTITY_TYPES)}")
        account = store.state["account_id"]
        identity = {"type": identity_type, "accountId": account, "accessKeyId": key_id,
                    "userName": _text(spec, "user_name", 128, default="root" if identity_type == "root-account" else None,
                                      required=True)}
        principal_id = _text(spec, "principal_id", 128, default=account if identity_type == "root-account" else None)
        if principal_id:
            identity["principalId"] = principal_id
    error_code = _text(spec, "error_code", 128)
    event = new_event(store.state, when, name=name, version=version, service=service_name, source=source,
                      write=rw == "Write", identity=identity,
                      request_id=_text(spec, "request_id", 64, default=str(uuid.uuid4()).upper()), source_ip=source_ip,
                      user_agent=_text(spec, "user_agent", MAX_USER_AGENT, default="ram-emulator-admin"),
                      error_code=error_code, error_message=_text(spec, "error_message", 1024) if error_code else None)
    return when, event


def inject(store: Store, payload) -> dict:
    """``POST /_emulator/events``: one event spec, or ``{"events": [specs]}``; all are checked before any is kept."""
    specs = payload.get("events") if isinstance(payload, dict) and set(payload) == {"events"} else [payload]
    if not isinstance(specs, list) or not specs or len(specs) > store.events.maxlen:
        raise ValueError(f"events must be a list of 1 to {store.events.maxlen} event objects")
    with store.lock:
        made = [synthetic_event(store, spec) for spec in specs]
        records = [store.record_event(when, event) for when, event in made]
    return {"added": len(records), "events": [record["event"] for record in records]}


def listing(store: Store) -> dict:
    """``GET /_emulator/events``: every kept event, in the order recorded."""
    with store.lock:
        events = [record["event"] for record in store.events]
    return {"max_events": store.events.maxlen, "count": len(events), "events": copy.deepcopy(events)}


# -- LookupEvents -----------------------------------------------------------------------------------------------

def parse_time(value: str, error: Exception) -> int:
    try:
        return calendar.timegm(time.strptime(value, TIME_FORMAT))
    except (ValueError, OverflowError):
        raise error from None


def _window(params: Mapping[str, str], now: float) -> tuple:
    start_text, end_text = params.get("StartTime") or None, params.get("EndTime") or None
    if start_text is None and end_text is None:
        end = int(now)
        return end - DEFAULT_WINDOW_SECONDS, end
    if start_text is None:
        raise errors.missing_parameter("StartTime")
    if end_text is None:
        raise errors.missing_parameter("EndTime")
    start = parse_time(start_text, errors.invalid_parameter_value("StartTime"))
    end = parse_time(end_text, errors.invalid_parameter_value("EndTime"))
    if start > end or end - start > MAX_WINDOW_SECONDS:
        raise errors.invalid_parameter_value("StartTime")
    return start, end


def _max_results(params: Mapping[str, str]) -> int:
    value = params.get("MaxResults")
    if value is None or value == "":
        return DEFAULT_MAX_RESULTS
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= MAX_RESULTS:
        raise errors.invalid_parameter_value("MaxResults")
    return int(value)


def _conditions(params: Mapping[str, str]) -> Dict[str, str]:
    """The LookupAttribute conditions in force: the first two by N; of two with the same key, the second wins."""
    given: Dict[int, Dict[str, str]] = {}
    for name, value in params.items():
        match = ATTRIBUTE_RE.fullmatch(name)
        if match:
            given.setdefault(int(match.group(1)), {})[match.group(2)] = value
        elif name.startswith("LookupAttribute"):
            raise errors.invalid_parameter_value(name)
    conditions: Dict[str, str] = {}
    for index in sorted(given)[:MAX_ATTRIBUTES]:
        item = given[index]
        if not item.get("Key"):
            raise errors.missing_parameter(f"LookupAttribute.{index}.Key")
        if item["Key"] not in LOOKUP_KEYS:
            raise errors.invalid_parameter_value(f"LookupAttribute.{index}.Key")
        if not item.get("Value"):
            raise errors.missing_parameter(f"LookupAttribute.{index}.Value")
        conditions[item["Key"]] = item["Value"]
    return conditions


def _encode_token(account: str, direction: str, record: dict) -> str:
    cursor = {"account": account, "direction": direction, "eventId": record["event"]["eventId"],
              "time": record["time"], "seq": record["seq"]}
    return base64.b64encode(json.dumps(cursor, separators=(",", ":")).encode("utf-8")).decode("ascii")


def _decode_token(value: str, account: str, direction: str) -> tuple:
    """The (time, seq) position after which the next page starts."""
    try:
        cursor = json.loads(base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError):
        raise errors.invalid_parameter_value("NextToken") from None
    if (not isinstance(cursor, dict) or cursor.get("account") != account or cursor.get("direction") != direction
            or not isinstance(cursor.get("seq"), int) or isinstance(cursor.get("time"), bool)
            or not isinstance(cursor.get("time"), (int, float))):
        raise errors.invalid_parameter_value("NextToken")
    return cursor["time"], cursor["seq"]


@action("LookupEvents", write=False, version=VERSION)
def lookup_events(ctx: Context) -> dict:
    params, store = ctx.params, ctx.store
    now = store.now()
    start, end = _window(params, now)
    max_results = _max_results(params)
    direction = params.get("Direction") or "BACKWARD"
    if direction not in DIRECTIONS:
        raise errors.invalid_parameter_value("Direction")
    conditions = _conditions(params)
    account = ctx.state["account_id"]
    token = params.get("NextToken") or None
    position = _decode_token(token, account, direction) if token else None
    horizon = now - RETENTION_SECONDS
    backward = direction == "BACKWARD"
    found = []
    for record in store.events:
        second = int(record["time"])
        if not start <= second <= end or record["time"] < horizon:
            continue
        if position is not None:
            key = (record["time"], record["seq"])
            if (key >= position) if backward else (key <= position):
                continue
        event = record["event"]
        if all(value in LOOKUP_KEYS[key](event) for key, value in conditions.items()):
            found.append(record)
    found.sort(key=lambda r: (r["time"], r["seq"]), reverse=backward)
    page = found[:max_results]
    body = {"Events": copy.deepcopy([record["event"] for record in page]),
            "StartTime": format_date(start), "EndTime": format_date(end)}
    if len(found) > max_results:
        body["NextToken"] = _encode_token(account, direction, page[-1])
    return body
