"""Two-path hopping model of the pnictide geometry (illustrative; review Sec. 5.1, Fig. 5 right).

Two Fe sites a distance ``a`` apart in the plane; a pnictogen/chalcogen atom sits at height ``z``
above the plane at in-plane distance ``rho`` from each Fe (``rho = a / sqrt(2)`` for the
anti-PbO structure of FeSe, where it sits above the centre of an Fe square). The net Fe-Fe hopping is
the direct d-d amplitude minus a second-order path through the pnictogen p orbital:

    t(z) = t_dd - V(r)^2 * l(r)^2 / Delta,   r = sqrt(rho^2 + z^2),   l = (a/2) / r,
    V(r) = V0 (r0 / r)^eta      (Harrison-type power law, eta = 7/2 for p-d bonds),

where ``l`` is the direction cosine of the Fe-Pn bond along the Fe-Fe direction (the p_x lobe that
links the two Fe atoms; its two overlaps have opposite signs, so the indirect term has the sign
opposite to the direct one, the interference stated in the review). The fractional modulation

    (dt/dz) / t,   dt/dz = (2 eta + 2) z / r^2 * V(r)^2 l(r)^2 / Delta,

is what a bond-Peierls coupling alpha' = dt/dz measures relative to the hopping itself; it diverges
at the cancellation height z_c where t(z_c) = 0.

All parameters are inputs; the defaults (Angstrom and eV) are of the right order for FeSe
(a = 2.66, Fe-Se bond ~ 2.39 at z ~ 1.46) but are **illustrative, not fitted** to any band structure.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from bpcore.profiles import check_number


@dataclass(frozen=True)
class TwoPathModel:
    """Parameters of :func:`hopping` (lengths in Angstrom, energies in eV; illustrative)."""

    a: float = 2.66        # Fe-Fe distance
    rho: float | None = None  # in-plane Fe-Pn distance (default a/sqrt(2))
    t_dd: float = 0.30     # direct d-d hopping (positive convention)
    v0: float = 1.20       # p-d overlap at r0
    r0: float = 2.40       # reference Fe-Pn distance
    delta: float = 2.00    # p-d charge-transfer energy
    eta: float = 3.5       # power law of V(r)

    def __post_init__(self):
        for name in ("a", "t_dd", "v0", "r0", "delta", "eta"):
            check_number(name, getattr(self, name), minimum=0.0, strict_min=True)
        if self.rho is not None:
            check_number("rho", self.rho, minimum=0.0, strict_min=True)

    @property
    def rho_(self) -> float:
        return self.a / np.sqrt(2.0) if self.rho is None else self.rho

    def indirect(self, z):
        """Magnitude of the indirect (through-pnictogen) amplitude at height ``z``."""
        z = np.asarray(z, dtype=float)
        r2 = self.rho_**2 + z**2
        return self.v0**2 * (self.r0**2 / r2) ** self.eta * (0.25 * self.a**2 / r2) / self.delta

    def hopping(self, z):
        """Net hopping ``t(z) = t_dd - indirect(z)``."""
        return self.t_dd - self.indirect(z)

    def dhopping_dz(self, z):
        """Analytic ``dt/dz``."""
        z = np.asarray(z, dtype=float)
        r2 = self.rho_**2 + z**2
        return (2 * self.eta + 2) * z / r2 * self.indirect(z)

    def fractional_modulation(self, z):
        """``(dt/dz)/t`` in 1/length; diverges at the cancellation height."""
        return self.dhopping_dz(z) / self.hopping(z)

    def cancellation_height(self, z_max: float = 10.0) -> float:
        """Height ``z_c > 0`` with ``t(z_c) = 0``; ``ValueError`` if the paths never cancel."""
        f = lambda z: float(self.hopping(z))  # noqa: E731  (t increases with z)
        if f(0.0) >= 0 or f(z_max) <= 0:
            raise ValueError("the direct and indirect paths do not cancel for 0 < z < z_max with these parameters")
        return float(scipy.optimize.brentq(f, 0.0, z_max, xtol=1e-14))

    def table(self, z):
        """Columns z, t, dt/dz, (dt/dz)/t, direct, indirect for an array of heights."""
        import pandas as pd

        z = np.asarray(z, dtype=float)
        if np.any(z < 0) or not np.all(np.isfinite(z)):
            raise ValueError("heights z must be finite and >= 0")
        return pd.DataFrame({"z": z, "t": self.hopping(z), "dt_dz": self.dhopping_dz(z),
                             "dt_dz_over_t": self.fractional_modulation(z),
                             "t_direct": np.full_like(z, self.t_dd), "t_indirect": -self.indirect(z)})
