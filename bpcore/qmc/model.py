"""Models, coupling conventions and input validation for :mod:`bpcore.qmc`.

Units: t = 1 sets the energy scale (but ``t`` may be given), hbar = k_B = 1,
lattice constant 1. Hypercubic lattices in d = 1, 2, 3; ``L = 0`` means the
unbounded lattice, ``L >= 2`` a periodic L^d lattice (interactions then use the
minimum-image distance).

Coupling conventions (settled for the whole project):

* bond-Peierls  H_e-ph = alpha sum_<ij>,s (c+_is c_js + h.c.)(b+_<ij> + b_<ij>),
  lambda_bP = alpha^2 / (d t Omega)   (the review's alpha^2/(2 Omega t) on the square lattice;
  the 1D convention of GGCE; the 3D form is our extension of the same rule)
* Holstein      H_e-ph = g sum_i n_i (b+_i + b_i),
  lambda_H = g^2 / (2 d t Omega)
"""
from __future__ import annotations

import math

from bpcore.profiles import check_number

MODELS = ("bond-peierls", "holstein")


def coupling(model: str, lam: float, dim: int, t: float = 1.0, omega: float = 1.0) -> float:
    """Bare coupling constant (alpha for bond-Peierls, g for Holstein) from lambda."""
    model = check_model(model)
    if model == "bond-peierls":
        return math.sqrt(lam * dim * t * omega)
    return math.sqrt(2.0 * lam * dim * t * omega)


def lam_from_coupling(model: str, c: float, dim: int, t: float = 1.0, omega: float = 1.0) -> float:
    """Inverse of :func:`coupling`."""
    model = check_model(model)
    if model == "bond-peierls":
        return c * c / (dim * t * omega)
    return c * c / (2.0 * dim * t * omega)


def check_model(model) -> str:
    if not isinstance(model, str) or model.lower() not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return model.lower()


def validate(model, dim, L, electrons, beta, omega, lam, t=1.0, U=0.0, V=0.0) -> dict:
    """Check every physical parameter; raise ValueError naming the first bad one.

    Returns the canonical parameter dict (floats/ints, model lower-case).
    """
    model = check_model(model)
    check_number("dim", dim, minimum=1, maximum=3, integer=True)
    check_number("L", L, minimum=0, integer=True)
    if int(L) == 1:
        raise ValueError("L must be 0 (unbounded lattice) or >= 2, got 1")
    check_number("electrons", electrons, minimum=1, maximum=2, integer=True)
    check_number("beta", beta, minimum=0, strict_min=True)
    check_number("omega", omega, minimum=0, strict_min=True)
    check_number("lam", lam, minimum=0)
    check_number("t", t, minimum=0, strict_min=True)
    check_number("U", U)
    check_number("V", V, minimum=0)
    if float(U) < 0:
        raise ValueError(f"U must be >= 0 (attractive U is not supported by this sign-free scheme), got {U!r}")
    return dict(model=model, dim=int(dim), L=int(L), electrons=int(electrons), beta=float(beta),
                omega=float(omega), lam=float(lam), t=float(t), U=float(U), V=float(V))
