r"""Linearised isotropic Migdal–Eliashberg equations for an Einstein phonon.

Imaginary (Matsubara) axis, :math:`\omega_n = \pi T (2n+1)`, Einstein spectrum
:math:`\alpha^2F(\nu) = (\lambda\Omega/2)\,\delta(\nu-\Omega)`, so that

.. math::  \lambda(n-m) = \lambda\,\frac{\Omega^2}{\Omega^2 + (\omega_n-\omega_m)^2}.

For even-frequency singlet pairing only :math:`\omega_n > 0` is needed
(:math:`\Delta_{-n-1} = \Delta_n`). The renormalisation function is exact in closed form,

.. math::  \omega_n Z_n = \omega_n + \pi T\Big[\lambda(0) + 2\sum_{k=1}^{n}\lambda(k)\Big],

and the linearised gap equation reads

.. math::  Z_n \Delta_n = \pi T \sum_{m=0}^{N-1}
           \big[\lambda(n-m) + \lambda(n+m+1) - 2\mu^*\theta(\omega_c-\omega_m)\big]\frac{\Delta_m}{\omega_m}.

:math:`T_c` is the temperature at which the largest eigenvalue :math:`\rho(T)` of
:math:`K_{nm}/Z_n` equals one (found by Brent's method in :math:`\ln T`).

Cutoffs (stated, and converged in tests):

* the Matsubara sum runs over :math:`N = \max(N_{\min}, \lceil \omega_{\max}/(2\pi T)\rceil)`
  positive frequencies with :math:`\omega_{\max} = w_{\max}\,\max(\Omega, 2\pi T)` and ``wmax = 20`` by default;
* the Coulomb pseudopotential acts below :math:`\omega_c = 10\,\Omega` (``wc``), the usual
  convention in which :math:`\mu^*` is quoted relative to a cutoff of several phonon frequencies.

All energies are in units of :math:`\Omega`: :func:`tc_einstein` returns :math:`T_c/\Omega`.

Closed-form references plotted beside the solution: McMillan (PRB 167, 331 (1968)),
Allen & Dynes (PRB 12, 905 (1975)), whose strong-coupling limit is
:math:`T_c \to 0.1827\,\Omega\sqrt{\lambda}`, and the weak-coupling form
:math:`1.13\,\Omega\,e^{-(1+\lambda)/(\lambda-\mu^*)}`.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from bpcore.profiles import check_number

TC_MIN = 1e-3  # smallest T_c/Omega the solver resolves (Matsubara matrix size ~ wmax/(2 pi T))
AD_STRONG = 0.1827  # Allen & Dynes 1975: Tc -> 0.1827 sqrt(lambda <omega^2>) for lambda -> infinity


def _check(lam, mu_star):
    check_number("lam", lam, minimum=0.0, strict_min=True)
    check_number("mu_star", mu_star, minimum=0.0, maximum=0.5, strict_max=True)


def _kernel(T: float, lam: float, mu_star: float, wmax: float, wc: float, n_min: int) -> np.ndarray:
    wscale = max(1.0, 2 * math.pi * T)
    N = max(n_min, int(math.ceil(wmax * wscale / (2 * math.pi * T))))
    n = np.arange(N)
    w = math.pi * T * (2 * n + 1)
    lam_k = lambda k: lam / (1.0 + (2 * math.pi * T * k) ** 2)  # noqa: E731  lambda(n-m), k = n-m
    diff = n[:, None] - n[None, :]
    summ = n[:, None] + n[None, :] + 1
    K = lam_k(diff) + lam_k(summ)
    K -= 2.0 * mu_star * (w[None, :] < wc)
    K *= math.pi * T / w[None, :]
    cum = np.concatenate(([0.0], np.cumsum(lam_k(np.arange(1, N)))))
    Z = 1.0 + math.pi * T * (lam_k(0) + 2.0 * cum) / w
    return K / Z[:, None]


def leading_eigenvalue(T: float, lam: float, mu_star: float = 0.0, wmax: float = 20.0, wc: float = 10.0,
                       n_min: int = 32) -> float:
    """Largest real eigenvalue of the linearised Eliashberg kernel at temperature ``T`` (units of Ω)."""
    M = _kernel(T, lam, mu_star, wmax, wc, n_min)
    if M.shape[0] <= 400:
        ev = np.linalg.eigvals(M)
        return float(np.max(ev.real))
    from scipy.sparse.linalg import eigs

    ev = eigs(M, k=1, which="LR", return_eigenvectors=False, tol=1e-12)
    return float(ev.real[0])


def tc_einstein(lam: float, mu_star: float = 0.0, *, wmax: float = 20.0, wc: float = 10.0, n_min: int = 32,
                rtol: float = 1e-7) -> float:
    """T_c/Ω of the linearised isotropic Eliashberg equations for an Einstein phonon.

    Parameters
    ----------
    lam : electron–phonon coupling λ > 0.
    mu_star : Coulomb pseudopotential μ* in [0, 0.5), acting below ω_c = ``wc``·Ω.
    wmax : Matsubara cutoff in units of max(Ω, 2πT).
    The solver covers T_c/Ω ≥ ``TC_MIN`` (= 1e-3, i.e. λ ≳ 0.2 at μ* = 0); below that
    it raises ``ValueError`` rather than returning a number it cannot converge.
    """
    _check(lam, mu_star)
    f = lambda logT: leading_eigenvalue(math.exp(logT), lam, mu_star, wmax, wc, n_min) - 1.0  # noqa: E731
    lo, hi = math.log(TC_MIN), math.log(max(2.0, 0.5 * math.sqrt(lam)))
    if f(lo) < 0:
        raise ValueError(f"lam={lam} (mu_star={mu_star}) gives T_c/Omega < {TC_MIN}: below the solver's range")
    while f(hi) > 0:
        hi += 1.0
    return math.exp(optimize.brentq(f, lo, hi, xtol=rtol, rtol=rtol))


def mcmillan(lam, mu_star: float = 0.0):
    """McMillan's formula with ω_D → Ω (Einstein): T_c/Ω = (1/1.45) exp[-1.04(1+λ)/(λ-μ*(1+0.62λ))]."""
    lam = np.asarray(lam, float)
    den = lam - mu_star * (1 + 0.62 * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, np.exp(-1.04 * (1 + lam) / den) / 1.45, 0.0)
    return out


def allen_dynes(lam, mu_star: float = 0.0):
    """Allen–Dynes (1975) with strong-coupling factor f1 (f2 = 1 for an Einstein spectrum, ω_log = Ω)."""
    lam = np.asarray(lam, float)
    Lam1 = 2.46 * (1 + 3.8 * mu_star)
    f1 = (1 + (lam / Lam1) ** 1.5) ** (1.0 / 3.0)
    den = lam - mu_star * (1 + 0.62 * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, f1 * np.exp(-1.04 * (1 + lam) / den) / 1.2, 0.0)
    return out


def weak_coupling(lam, mu_star: float = 0.0):
    """BCS form with the Eliashberg mass renormalisation: 1.13 exp[-(1+λ)/(λ-μ*)] (units of Ω)."""
    lam = np.asarray(lam, float)
    den = lam - mu_star
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, 1.13 * np.exp(-(1 + lam) / den), 0.0)


def tc_curve(lams, mu_star: float = 0.0, progress_desc: str | None = None, **kw):
    """T_c/Ω on a grid of λ (a pandas DataFrame with the closed-form references beside it)."""
    import pandas as pd

    from bpcore.progress import progress

    lams = np.asarray(lams, float)
    tc = [tc_einstein(l, mu_star, **kw) for l in progress(lams, desc=progress_desc or f"Eliashberg mu*={mu_star}")]
    return pd.DataFrame({"lam": lams, "mu_star": mu_star, "tc_over_omega": tc,
                         "mcmillan": mcmillan(lams, mu_star), "allen_dynes": allen_dynes(lams, mu_star),
                         "weak_coupling": weak_coupling(lams, mu_star)})
