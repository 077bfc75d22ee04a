"""Fault injection (throttling, 5xx, latency, one-shot errors, commit-then-drop, slow propagation) and call counters."""

from __future__ import annotations

import collections
import copy
import random
import threading
import time

from ram_emulator import errors

THROTTLE_CODES = tuple(errors.THROTTLING_MESSAGES)
DEFAULT_FAULTS = {"throttle_rate": 0.0, "error_rate": 0.0, "latency_ms": 0, "qps_limit": 0,
                  "throttle_retry_after_ms": 0, "throttle_code": "Throttling.User", "one_shot": [],
                  "drop_after_commit": [], "propagation": []}
LISTS = ("one_shot", "drop_after_commit", "propagation")
MAX_PROPAGATION_SECONDS = 7 * 86400
_NUMBERS = {"throttle_rate": (float, 0.0, 1.0), "error_rate": (float, 0.0, 1.0), "latency_ms": (int, 0, 600000),
            "qps_limit": (int, 0, 10 ** 9), "throttle_retry_after_ms": (int, 0, 600000)}


def _number(name: str, value):
    kind, low, high = _NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}]")
    if kind is int and value != int(value):
        raise ValueError(f"{name} must be an integer")
    return kind(value)


def _one_shot(entry) -> dict:
    if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
        raise ValueError("one_shot entries need an 'action' string")
    result = {"action": entry["action"], "count": int(entry.get("count", 1)),
              "code": str(entry.get("code", "ServiceUnavailable")), "status": int(entry.get("status", 503)),
              "retry_after_ms": int(entry.get("retry_after_ms", 0)),
              "message": str(entry.get("message", "Injected fault."))}
    if result["count"] < 1 or not 400 <= result["status"] <= 599 or result["retry_after_ms"] < 0:
        raise ValueError("one_shot needs count >= 1, status 400-599, retry_after_ms >= 0")
    return result


def _drop(entry) -> dict:
    if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
        raise ValueError("drop_after_commit entries need an 'action' string")
    count = int(entry.get("count", 1))
    if count < 1:
        raise ValueError("drop_after_commit needs count >= 1")
    return {"action": entry["action"], "count": count}


def _propagation(entry) -> dict:
    if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
        raise ValueError("propagation entries need an 'action' string")
    count = int(entry.get("count", 1))
    delay = entry.get("delay_seconds")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_PROPAGATION_SECONDS:
        raise ValueError(f"propagation needs delay_seconds in [0, {MAX_PROPAGATION_SECONDS}]")
    if count < 1:
        raise ValueError("propagation needs count >= 1")
    return {"action": entry["action"], "count": count, "delay_seconds": float(delay)}


_ENTRY = {"one_shot": _one_shot, "drop_after_commit": _drop, "propagation": _propagation}


def validate(patch) -> dict:
    """Check a JSON merge patch for the fault settings; raises ValueError with a readable message."""
    if not isinstance(patch, dict):
        raise ValueError("faults must be a JSON object")
    clean = {}
    for name, value in patch.items():
        if name in _NUMBERS:
            clean[name] = _number(name, value)
        elif name in LISTS:
            if not isinstance(value, list):
                raise ValueError(f"{name} must be a list")
            clean[name] = [_ENTRY[name](e) for e in value]
        elif name == "throttle_code":
            if value not in THROTTLE_CODES:
                raise ValueError(f"throttle_code must be one of {', '.join(THROTTLE_CODES)}")
            clean[name] = value
        else:
            raise ValueError(f"unknown fault setting {name!r}")
    return clean


# Products whose throttling and 5xx have codes of their own (KMS's API reference and common error codes).
PRODUCT_THROTTLING = {"kms": (429, "Rejected.Throttling", "The QPS upper limit is exceeded.")}
PRODUCT_UNAVAILABLE = {"kms": (503, "ServiceUnavailableTemporary", "Service Unavailable Temporary.")}


def _matches(entry: dict, action: str) -> bool:
    return entry["action"] in (action, "*")


class Faults:
    def __init__(self, **initial):
        self._lock = threading.Lock()
        self._config = copy.deepcopy(DEFAULT_FAULTS)
        self._config.update(validate(initial))
        self._random = random.Random()
        self._recent = collections.defaultdict(collections.deque)
        self.clock = time.monotonic  # replaceable in tests

    def snapshot(self) -> dict:
        with self._lock:
            return copy.deepcopy(self._config)

    def merge(self, patch) -> dict:
        clean = validate(patch)
        with self._lock:
            self._config.update(clean)
            return copy.deepcopy(self._config)

    def clear(self) -> None:
        with self._lock:
            self._config = copy.deepcopy(DEFAULT_FAULTS)
            self._recent.clear()

    def latency_seconds(self) -> float:
        return self._config["latency_ms"] / 1000.0

    def check(self, action: str, access_key_id: str, product: str = "ram") -> None:
        """Raise the injected error for this call, if any (one-shot, then QPS limit, throttle rate, 5xx rate).

        KMS calls are throttled with KMS's own code (``Rejected.Throttling``, 429) whatever ``throttle_code`` says.
        """
        with self._lock:
            config = self._config
            for entry in config["one_shot"]:
                if _matches(entry, action):
                    entry["count"] -= 1
                    if entry["count"] <= 0:
                        config["one_shot"].remove(entry)
                    raise errors.ApiError(entry["status"], entry["code"], entry["message"], entry["retry_after_ms"])
            retry_after, code = config["throttle_retry_after_ms"], config["throttle_code"]
            if config["qps_limit"]:
                window = self._recent[access_key_id]
                now = self.clock()
                while window and window[0] <= now - 1.0:
                    window.popleft()
                if len(window) >= config["qps_limit"]:
                    raise _throttled(retry_after, code, product)
                window.append(now)
            if config["throttle_rate"] and self._random.random() < config["throttle_rate"]:
                raise _throttled(retry_after, code, product)
            if config["error_rate"] and self._random.random() < config["error_rate"]:
                if product in PRODUCT_UNAVAILABLE:
                    raise errors.ApiError(*PRODUCT_UNAVAILABLE[product])
                raise errors.service_unavailable()

    def take_drop(self, action: str) -> bool:
        """Whether to drop the connection after committing this call (consumes one count)."""
        with self._lock:
            for entry in self._config["drop_after_commit"]:
                if _matches(entry, action):
                    entry["count"] -= 1
                    if entry["count"] <= 0:
                        self._config["drop_after_commit"].remove(entry)
                    return True
        return False

    def take_propagation(self, action: str):
        """The delay for this committed write if a ``propagation`` fault matches it (consumes one count), else None."""
        with self._lock:
            for entry in self._config["propagation"]:
                if _matches(entry, action):
                    entry["count"] -= 1
                    if entry["count"] <= 0:
                        self._config["propagation"].remove(entry)
                    return entry["delay_seconds"]
        return None


def _throttled(retry_after_ms: int, code: str, product: str) -> errors.ApiError:
    if product in PRODUCT_THROTTLING:
        return errors.ApiError(*PRODUCT_THROTTLING[product], retry_after_ms)
    return errors.throttled(retry_after_ms, code)


class Counters:
    """Authenticated, dispatched API calls per action (including the ones answered with an error)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls = collections.Counter()
        self._write = {}

    def record(self, action: str, write: bool) -> None:
        with self._lock:
            self._calls[action] += 1
            self._write[action] = write

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def snapshot(self) -> dict:
        with self._lock:
            actions = {name: {"calls": n, "write": self._write[name]} for name, n in sorted(self._calls.items())}
        return {"reads": sum(a["calls"] for a in actions.values() if not a["write"]),
                "writes": sum(a["calls"] for a in actions.values() if a["write"]), "actions": actions}
