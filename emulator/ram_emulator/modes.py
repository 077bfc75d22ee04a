"""Run-time modes: how strict the emulated account is (propagation delay, last-use lag, error styles).

Modes are settings of the service itself, not injected faults: ``DELETE /_emulator/faults`` leaves them alone.
They start from the command line flags and change at run time through ``/_emulator/modes``.
"""

from __future__ import annotations

import copy
import threading

ACCESS_KEY_ERROR_STYLES = ("specific", "bare")
MAX_SECONDS = 7 * 86400

DEFAULT_MODES = {
    # Seconds before a committed write is seen by reads (List*/Get*, authentication, authorization).
    "propagation_delay": 0.0,
    # Whether authentication and authorization read the propagated state too (a new key cannot sign at once,
    # a deleted or disabled key keeps working until the change has propagated).
    "lagged_auth": True,
    # Seconds before a use of a key shows in GetAccessKeyLastUsed (real RAM: up to about 2 hours).
    "last_used_lag": 0.0,
    # "specific": InvalidAccessKeyId.NotFound / InvalidAccessKeyId.Inactive; "bare": InvalidAccessKeyId for both.
    "access_key_error": "specific",
    # Spell RAM user ARNs in lower case (a test aid for identity checks that compare spelled names).
    "user_arn_lowercase": False,
}


def _seconds(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_SECONDS:
        raise ValueError(f"{name} must be a number of seconds in [0, {MAX_SECONDS}]")
    return float(value)


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def validate(patch) -> dict:
    """Check a JSON merge patch for the modes; raises ValueError with a readable message."""
    if not isinstance(patch, dict):
        raise ValueError("modes must be a JSON object")
    clean = {}
    for name, value in patch.items():
        if name in ("propagation_delay", "last_used_lag"):
            clean[name] = _seconds(name, value)
        elif name in ("lagged_auth", "user_arn_lowercase"):
            clean[name] = _flag(name, value)
        elif name == "access_key_error":
            if value not in ACCESS_KEY_ERROR_STYLES:
                raise ValueError(f"access_key_error must be one of {', '.join(ACCESS_KEY_ERROR_STYLES)}")
            clean[name] = value
        else:
            raise ValueError(f"unknown mode {name!r}")
    return clean


class Modes:
    """Thread-safe mode settings; ``reset()`` returns to the values given at start."""

    def __init__(self, **initial):
        self._lock = threading.Lock()
        self._initial = copy.deepcopy(DEFAULT_MODES)
        self._initial.update(validate(initial))
        self._values = copy.deepcopy(self._initial)

    def __getattr__(self, name):
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._values)

    def merge(self, patch) -> dict:
        clean = validate(patch)
        with self._lock:
            self._values.update(clean)
            return dict(self._values)

    def reset(self) -> dict:
        with self._lock:
            self._values = copy.deepcopy(self._initial)
            return dict(self._values)
