"""Emulator state: one JSON-serialisable dict, one lock, atomic persistence.

Every mutation runs under ``Store.lock`` and is followed by ``save()``, which replaces
the state file atomically (temp file in the same directory + os.replace). The file holds
secrets and is created with mode 0600.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import string
import tempfile
import threading
import time
from typing import Optional

STATE_FORMAT = 1
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
    def __init__(self, path: Optional[str] = None, seed_admin: bool = False):
        self.path = path
        self.lock = threading.RLock()
        # Tests move time forward (STS expiry) without sleeping; signature windows use the wall clock.
        self.clock_offset = 0.0
        self.state = self._load() if path and os.path.exists(path) else self._fresh_state()
        with self.lock:
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
               "CreateDate": self.now_str(), "owner": owner, "last_used": None}
        self.state["access_keys"][key_id] = key
        self.state["issued_secrets"].append(key["secret"])
        return key

    def new_session(self, role: dict, session_name: str, duration: int) -> dict:
        key_id = "STS." + random_alnum(24)
        session = {"AccessKeyId": key_id, "secret": random_alnum(30),
                   "token": "CAIS" + random_alnum(200), "expiration": int(self.now()) + duration,
                   "role_name": role["RoleName"], "role_id": role["RoleId"], "session_name": session_name}
        self._prune_sessions()
        self.state["sessions"][key_id] = session
        self.state["issued_secrets"].extend([session["secret"], session["token"]])
        return session

    def _prune_sessions(self) -> None:
        horizon = self.now() - 86400
        expired = [k for k, s in self.state["sessions"].items() if s["expiration"] < horizon]
        for key_id in expired:
            del self.state["sessions"][key_id]

    # -- lifecycle ---------------------------------------------------------------------------
    def _fresh_state(self, account_id: Optional[str] = None, issued: Optional[list] = None) -> dict:
        return {"format": STATE_FORMAT, "account_id": account_id or random_digits(16), "seed": {},
                "access_keys": {}, "users": {}, "groups": {}, "custom_policies": {}, "roles": {},
                "sessions": {}, "issued_secrets": issued if issued is not None else []}

    def _load(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as handle:
                state = json.load(handle)
        except (OSError, ValueError) as exc:
            raise StateFileError(f"cannot read state file {self.path}: {exc.__class__.__name__}") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise StateFileError(f"state file {self.path} has an unknown format")
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
            root = dict(old["access_keys"][seed["root_key_id"]], Status="Active", last_used=None)
            self.state["access_keys"][root["AccessKeyId"]] = root
            self.state["seed"]["root_key_id"] = root["AccessKeyId"]
            admin_key = old["access_keys"].get(seed.get("admin_key_id") or "")
            if seed.get("admin_key_id"):
                if admin_key is None:
                    self._seed_admin()
                else:
                    self._seed_admin(dict(admin_key, Status="Active", last_used=None, owner=ADMIN_USER))
            self.save()

    def save(self) -> None:
        if not self.path:
            return
        write_private_file(self.path, json.dumps(self.state, separators=(",", ":")))

    # -- views -------------------------------------------------------------------------------
    def seed_key(self, which: str) -> Optional[dict]:
        key_id = self.state["seed"].get(f"{which}_key_id")
        return self.state["access_keys"].get(key_id) if key_id else None

    def dump(self) -> dict:
        """State for assertions, without secrets or tokens."""
        with self.lock:
            state = copy.deepcopy(self.state)
        state.pop("issued_secrets")
        for key in state["access_keys"].values():
            key.pop("secret")
        for session in state["sessions"].values():
            session.pop("secret")
            session.pop("token")
        for user in state["users"].values():
            if user.get("login_profile"):
                user["login_profile"].pop("password_sha256", None)
        return state

    def issued_secrets(self) -> list:
        with self.lock:
            return list(self.state["issued_secrets"])


def new_user_record(user_id: str, user_name: str, now: str, **fields) -> dict:
    record = {"UserId": user_id, "UserName": user_name, "DisplayName": user_name, "MobilePhone": None,
              "Email": None, "Comments": None, "CreateDate": now, "UpdateDate": now, "LastLoginDate": None,
              "groups": {}, "policies": {}, "login_profile": None}
    record.update({k: v for k, v in fields.items() if v is not None})
    return record
