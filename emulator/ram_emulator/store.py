"""Emulator state: one JSON-serialisable dict, one lock, atomic persistence, eventual consistency.

Every mutation runs under ``Store.lock`` and is followed by ``save()``, which replaces
the state file atomically (temp file in the same directory + os.replace). The file holds
secrets and is created with mode 0600.

Eventual consistency (README "Consistency"): writes change ``state`` (the latest data, which later writes check
against) inside a write transaction. Each entity a write changes is ``touch()``-ed first; at commit, when the write
propagates after a delay, the entity's value before and after the write go into ``state["pending"]``. Reads use
``view()``: the latest state with every entity that has not propagated yet shown as it was. A write that
propagates at once drops the entity's pending history, since the newest write wins. The pending history is part
of the state, so it is persisted and survives a restart.

Event records (what ActionTrail's LookupEvents answers) are kept apart from ``state``: the newest ``MAX_EVENTS`` in
memory, and with a state file also in ``<state file>.events``, one JSON object a line, appended as each call is
recorded. Rewriting them with the state at every change would cost tens of milliseconds per write once there are
thousands; an append costs one small write.
"""

from __future__ import annotations

import collections
import copy
import json
import os
import secrets
import string
import sys
import tempfile
import threading
import time
from typing import Optional

from ram_emulator.modes import Modes

STATE_FORMAT = 1
# Entities that reads see only once a write has propagated (STS sessions are not among them: their credentials
# are self-contained and work at once).
ENTITY_COLLECTIONS = ("users", "access_keys", "groups", "custom_policies", "roles", "mfa_devices")
MAX_TRACKED_USES = 10000
# Event records kept (the newest, injected ones included); the events file is compacted when it holds twice as many.
MAX_EVENTS = 10000
EVENTS_SUFFIX = ".events"
ALNUM = string.ascii_letters + string.digits
ADMIN_USER = "ram-admin"


def random_alnum(length: int) -> str:
    return "".join(secrets.choice(ALNUM) for _i in range(length))


def random_digits(length: int) -> str:
    return str(secrets.choice("123456789")) + "".join(secrets.choice(string.digits) for _i in range(length - 1))


def format_date(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def write_private_file(path: str, text: str) -> None:
    """Atomically write ``text`` to ``path`` with mode 0600."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class StateFileError(Exception):
    pass


class Store:
    def __init__(self, path: Optional[str] = None, seed_admin: bool = False, modes: Optional[Modes] = None):
        self.path = path
        self.lock = threading.RLock()
        self.modes = modes or Modes()
        # Tests move time forward (STS expiry, propagation, TOTP) without sleeping; signature windows use the
        # wall clock.
        self.clock_offset = 0.0
        # Tests set this: every write must touch() each entity it changes (checked against a full copy).
        self.verify_touches = False
        self._txn: Optional[dict] = None
        self._txn_before: Optional[dict] = None
        self._next_due = 0.0        # no pending version becomes visible before this time: reads skip the scan
        self._view_cache: Optional[dict] = None     # the last view built, until a write or a propagation step
        self.events: collections.deque = collections.deque(maxlen=MAX_EVENTS)
        self._event_seq = 0
        self._event_lines = 0       # lines in the events file, compacted when it passes 2 * MAX_EVENTS
        existed = bool(path) and os.path.exists(path)
        self.state = self._load() if existed else self._fresh_state()
        with self.lock:
            self._load_events(existed)
            self._ensure_seed(seed_admin)
            self.save()

    # -- time and ids ---------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.clock_offset

    def now_str(self) -> str:
        return format_date(self.now())

    @staticmethod
    def new_numeric_id(length: int) -> str:
        return random_digits(length)

    def new_access_key(self, owner: str) -> dict:
        while True:
            key_id = "LTAI" + random_alnum(20)
            if key_id not in self.state["access_keys"]:
                break
        key = {"AccessKeyId": key_id, "secret": random_alnum(30), "Status": "Active",
               "CreateDate": self.now_str(), "owner": owner, "last_used": None, "uses": []}
        self.touch("access_keys", key_id)
        self.state["access_keys"][key_id] = key
        self.state["issued_secrets"].append(key["secret"])
        return key

    def new_session(self, role: dict, session_name: str, duration: int) -> dict:
        key_id = "STS." + random_alnum(24)
        session = {"AccessKeyId": key_id, "secret": random_alnum(30),
                   "token": "CAIS" + random_alnum(200), "created": int(self.now()), "expiration": int(self.now()) + duration,
                   "role_name": role["RoleName"], "role_id": role["RoleId"], "session_name": session_name}
        self._prune_sessions()
        self.state["sessions"][key_id] = session
        self.state["issued_secrets"].extend([session["secret"], session["token"]])
        return session

    def remember_secret(self, value: str) -> None:
        """Count a secret issued outside the API (an ECS metadata token) among the issued secrets (the leak scans')."""
        with self.lock:
            self.state["issued_secrets"].append(value)
            self.save()

    def _prune_sessions(self) -> None:
        horizon = self.now() - 86400
        expired = [k for k, s in self.state["sessions"].items() if s["expiration"] < horizon]
        for key_id in expired:
            del self.state["sessions"][key_id]

    # -- lifecycle ---------------------------------------------------------------------------
    def _fresh_state(self, account_id: Optional[str] = None, issued: Optional[list] = None) -> dict:
        return {"format": STATE_FORMAT, "account_id": account_id or random_digits(16), "seed": {},
                "access_keys": {}, "users": {}, "groups": {}, "custom_policies": {}, "roles": {},
                "mfa_devices": {}, "sessions": {}, "pending": {}, "kms_secrets": {},
                "issued_secrets": issued if issued is not None else []}

    def _load(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as handle:
                state = json.load(handle)
        except (OSError, ValueError) as exc:
            raise StateFileError(f"cannot read state file {self.path}: {exc.__class__.__name__}") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise StateFileError(f"state file {self.path} has an unknown format")
        # Files written before MFA devices and propagation existed.
        state.setdefault("mfa_devices", {})
        state.setdefault("pending", {})
        state.setdefault("kms_secrets", {})     # and before KMS secrets (kms.py)
        return state

    def _ensure_seed(self, seed_admin: bool) -> None:
        seed = self.state["seed"]
        if seed.get("root_key_id") not in self.state["access_keys"]:
            seed["root_key_id"] = self.new_access_key(owner="root")["AccessKeyId"]
        if seed_admin and not seed.get("admin_key_id"):
            self._seed_admin()

    def _seed_admin(self, key: Optional[dict] = None) -> None:
        now = self.now_str()
        self.state["users"][ADMIN_USER] = new_user_record(
            self.new_numeric_id(16), ADMIN_USER, now, DisplayName=ADMIN_USER,
            Comments="Seeded by ram-emulator with AdministratorAccess")
        self.state["users"][ADMIN_USER]["policies"]["System:AdministratorAccess"] = now
        if key is None:
            key = self.new_access_key(owner=ADMIN_USER)
        else:
            self.state["access_keys"][key["AccessKeyId"]] = key
        self.state["seed"]["admin_key_id"] = key["AccessKeyId"]

    def reset(self) -> None:
        """Back to a fresh account, keeping the account id, the seeded root key and ram-admin."""
        with self.lock:
            old = self.state
            seed = old["seed"]
            self.state = self._fresh_state(old["account_id"], old["issued_secrets"])
            self._txn = self._txn_before = None
            self._next_due = 0.0
            self._view_cache = None
            self.events.clear()
            if self.path:
                self._write_events_file()
            root = dict(old["access_keys"][seed["root_key_id"]], Status="Active", last_used=None, uses=[])
            self.state["access_keys"][root["AccessKeyId"]] = root
            self.state["seed"]["root_key_id"] = root["AccessKeyId"]
            admin_key = old["access_keys"].get(seed.get("admin_key_id") or "")
            if seed.get("admin_key_id"):
                if admin_key is None:
                    self._seed_admin()
                else:
                    self._seed_admin(dict(admin_key, Status="Active", last_used=None, uses=[], owner=ADMIN_USER))
            self.save()

    def save(self) -> None:
        if not self.path:
            return
        write_private_file(self.path, json.dumps(self.state, separators=(",", ":")))

    # -- event records (ActionTrail) ----------------------------------------------------------
    @property
    def events_path(self) -> Optional[str]:
        return self.path + EVENTS_SUFFIX if self.path else None

    def _load_events(self, state_existed: bool) -> None:
        """Read the events file of an existing state file; a new state starts without events (a stale file is emptied).

        A line that does not parse (a write cut short by a crash) is dropped, and the file rewritten without it.
        """
        path = self.events_path
        if not path:
            return
        if not state_existed:
            if os.path.exists(path):
                self._write_events_file()
            return
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise StateFileError(f"cannot read events file {path}: {exc.__class__.__name__}") from None
        dropped = 0
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if (not isinstance(record, dict) or not isinstance(record.get("seq"), int)
                    or not isinstance(record.get("time"), (int, float)) or not isinstance(record.get("event"), dict)):
                dropped += 1
                continue
            self.events.append(record)
            self._event_seq = max(self._event_seq, record["seq"])
        self._event_lines = len(lines)
        if dropped or len(lines) > len(self.events):
            self._write_events_file()

    def _write_events_file(self) -> None:
        text = "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in self.events)
        write_private_file(self.events_path, text)
        self._event_lines = len(self.events)

    def record_event(self, when: float, event: dict) -> dict:
        """Keep an event (under ``lock``): in memory, bounded, and appended to the events file. Returns the record."""
        self._event_seq += 1
        record = {"seq": self._event_seq, "time": when, "event": event}
        self.events.append(record)
        path = self.events_path
        if path:
            try:
                if self._event_lines + 1 > 2 * MAX_EVENTS:
                    self._write_events_file()
                else:
                    data = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
                    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    try:
                        while data:
                            data = data[os.write(fd, data):]
                    finally:
                        os.close(fd)
                    self._event_lines += 1
            except OSError as exc:
                sys.stderr.write(f"ram-emulator: cannot write events file: {exc.__class__.__name__}\n")
        return record

    def clear_events(self) -> int:
        """Forget every event record (under ``lock`` or not); returns how many there were."""
        with self.lock:
            count = len(self.events)
            self.events.clear()
            if self.path:
                self._write_events_file()
            return count

    # -- views -------------------------------------------------------------------------------
    def seed_key(self, which: str) -> Optional[dict]:
        key_id = self.state["seed"].get(f"{which}_key_id")
        return self.state["access_keys"].get(key_id) if key_id else None

    def dump(self) -> dict:
        """State for assertions, without secrets or tokens."""
        with self.lock:
            state = copy.deepcopy(self.state)
        state.pop("issued_secrets")
        state.pop("pending", None)          # old and new values, secrets included: see pending_summary()
        for key in state["access_keys"].values():
            key.pop("secret")
            key.pop("uses", None)
        for device in state.get("mfa_devices", {}).values():
            device.pop("seed", None)
        for session in state["sessions"].values():
            session.pop("secret")
            session.pop("token")
        for user in state["users"].values():
            if user.get("login_profile"):
                user["login_profile"].pop("password_sha256", None)
        for secret in state.get("kms_secrets", {}).values():
            for version in secret["versions"].values():
                version.pop("SecretData", None)
        return state

    def issued_secrets(self) -> list:
        with self.lock:
            return list(self.state["issued_secrets"])

    # -- eventual consistency -----------------------------------------------------------------
    def begin_write(self) -> None:
        """Start a write transaction (under ``lock``): the handler then touch()-es what it changes."""
        self._txn = {}
        self._txn_before = ({name: copy.deepcopy(self.state[name]) for name in ENTITY_COLLECTIONS}
                            if self.verify_touches else None)

    def touch(self, collection: str, key: str) -> None:
        """Remember an entity's value before the running write changes it (no-op outside a write)."""
        txn = self._txn
        if txn is None or (collection, key) in txn:
            return
        txn[(collection, key)] = copy.deepcopy(self.state[collection].get(key))

    def abort_write(self) -> None:
        self._txn = self._txn_before = None
        self._view_cache = None

    def commit_write(self, delay: float) -> None:
        """End the write: what it changed becomes visible to reads ``delay`` seconds from now."""
        txn, before_all = self._txn, self._txn_before
        self._txn = self._txn_before = None
        self._view_cache = None
        if txn is None:
            return
        if before_all is not None:
            self._check_touches(txn, before_all)
        pending = self.state["pending"]
        visible_at = self.now() + delay
        for (collection, key), before in txn.items():
            after = self.state[collection].get(key)
            entries = pending.setdefault(collection, {})
            if delay <= 0:
                entries.pop(key, None)          # the newest write wins, and it is visible now
            else:
                entry = entries.get(key)
                if entry is None:
                    if before == after:
                        continue
                    entry = entries[key] = {"base": before, "versions": []}
                entry["versions"].append([visible_at, copy.deepcopy(after)])
                self._next_due = min(self._next_due, visible_at)
            if not entries:
                del pending[collection]

    def _check_touches(self, txn: dict, before_all: dict) -> None:
        for name in ENTITY_COLLECTIONS:
            before, after = before_all[name], self.state[name]
            for key in set(before) | set(after):
                if (name, key) not in txn and before.get(key) != after.get(key):
                    raise AssertionError(f"write changed {name}/{key} without touch()")

    def _propagate(self) -> None:
        """Fold every version whose time has come into its entity's visible value; drop settled entities."""
        pending = self.state["pending"]
        now = self.now()
        if now < self._next_due:
            return
        next_due = float("inf")
        for collection in list(pending):
            entries = pending[collection]
            for key in list(entries):
                entry = entries[key]
                versions = entry["versions"]
                visible = [i for i, version in enumerate(versions) if version[0] <= now]
                if visible:
                    last = visible[-1]      # the newest write that has propagated wins, whatever its delay
                    entry["base"] = versions[last][1]
                    del versions[:last + 1]
                    self._view_cache = None
                if not versions:
                    del entries[key]        # settled: the latest state is what everyone sees
                else:
                    next_due = min(next_due, min(version[0] for version in versions))
            if not entries:
                del pending[collection]
        self._next_due = next_due

    def view(self) -> dict:
        """The state as reads see it now (under ``lock``): entities whose writes have not propagated as they were.

        With nothing pending this is ``state`` itself. Read handlers must not change what it holds.
        """
        if not self.state["pending"]:
            return self.state
        self._propagate()
        if not self.state["pending"]:
            return self.state
        if self._view_cache is not None:
            return self._view_cache
        view = dict(self.state)
        for collection, entries in self.state["pending"].items():
            visible = dict(self.state[collection])
            for key, entry in entries.items():
                if entry["base"] is None:
                    visible.pop(key, None)
                else:
                    visible[key] = entry["base"]
            view[collection] = visible
        self._view_cache = view
        return view

    def auth_view(self) -> dict:
        """What authentication and authorization read: the propagated view, or the latest state."""
        return self.view() if self.modes.lagged_auth else self.state

    def flush_pending(self) -> int:
        """Make every write visible now; returns how many entities were pending."""
        with self.lock:
            count = sum(len(entries) for entries in self.state["pending"].values())
            self.state["pending"] = {}
            self._view_cache = None
            self.save()
            return count

    def pending_summary(self) -> dict:
        """Pending entities for the admin API: names and times only, never values (they hold secrets)."""
        with self.lock:
            self._propagate()
            items = [{"collection": collection, "key": key,
                      "visible_at": [format_date(version[0]) for version in entry["versions"]],
                      "visible_in_seconds": round(max(0.0, entry["versions"][-1][0] - self.now()), 3),
                      "visible_now": "absent" if entry["base"] is None else "older version"}
                     for collection, entries in sorted(self.state["pending"].items())
                     for key, entry in sorted(entries.items())]
        return {"propagation_delay": self.modes.propagation_delay, "pending": items}

    # -- last use -----------------------------------------------------------------------------
    def record_use(self, key_id: str) -> None:
        """A request signed with this key was authenticated (under ``lock``); saved when the second changes."""
        key = self.state["access_keys"].get(key_id)
        if key is None:
            return
        now = int(self.now())
        used = format_date(now)
        if key.get("last_used") == used:
            return
        key["last_used"] = used
        uses = key.setdefault("uses", [])
        if not uses or uses[-1] != now:
            uses.append(now)
        # Keep the uses not yet reported plus the newest one that is, bounded.
        horizon = now - self.modes.last_used_lag
        reported = [i for i, use in enumerate(uses) if use <= horizon]
        if len(reported) > 1:
            del uses[:reported[-1]]
        if len(uses) > MAX_TRACKED_USES:
            del uses[1:len(uses) - MAX_TRACKED_USES + 1]
        self.save()

    def last_used_reported(self, key_id: str) -> Optional[str]:
        """LastUsedDate as GetAccessKeyLastUsed reports it: the newest use at least ``last_used_lag`` old."""
        key = self.state["access_keys"].get(key_id)
        if key is None:
            return None
        uses = key.get("uses")
        if uses is None:                    # a key from a state file written before uses were tracked
            return key.get("last_used")
        horizon = self.now() - self.modes.last_used_lag
        seen = [use for use in uses if use <= horizon]
        return format_date(seen[-1]) if seen else None


def new_user_record(user_id: str, user_name: str, now: str, **fields) -> dict:
    record = {"UserId": user_id, "UserName": user_name, "DisplayName": user_name, "MobilePhone": None,
              "Email": None, "Comments": None, "CreateDate": now, "UpdateDate": now, "LastLoginDate": None,
              "groups": {}, "policies": {}, "login_profile": None}
    record.update({k: v for k, v in fields.items() if v is not None})
    return record
