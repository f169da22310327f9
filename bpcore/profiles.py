"""Run profiles shared by every figure notebook.

``smoke``  seconds per notebook; used by the test-suite.
``quick``  real figures at reduced statistics/resolution; the ``make book`` default.
``paper``  publication statistics.

A notebook declares its own table and resolves it with :func:`resolve`::

    P = resolve(profile, {"smoke": {"n_lam": 6}, "quick": {"n_lam": 40}, "paper": {"n_lam": 120}},
                overrides={"n_lam": n_lam})
"""
from __future__ import annotations

import math
from typing import Any, Mapping

PROFILES = ("smoke", "quick", "paper")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    return profile


def resolve(profile: str, table: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, Any] | None = None) -> dict:
    """Settings of ``profile`` from ``table``; non-None ``overrides`` win."""
    check_profile(profile)
    missing = [p for p in PROFILES if p not in table]
    if missing:
        raise ValueError(f"profile table lacks {missing}")
    out = dict(table[profile])
    for k, v in (overrides or {}).items():
        if v is not None:
            out[k] = v
    return out


def check_number(name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None,
                 strict_min: bool = False, strict_max: bool = False, integer: bool = False) -> float:
    """Validate a scalar parameter; raise ValueError naming it. Returns the value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if integer and v != int(v):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and (v < minimum or (strict_min and v == minimum)):
        raise ValueError(f"{name} must be {'>' if strict_min else '>='} {minimum}, got {value!r}")
    if maximum is not None and (v > maximum or (strict_max and v == maximum)):
        raise ValueError(f"{name} must be {'<' if strict_max else '<='} {maximum}, got {value!r}")
    return value
