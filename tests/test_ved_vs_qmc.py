"""Cross-check of two independent methods: VED (bpcore.ved, infinite chain, K = 0 ground state) and the
path-integral QMC (bpcore.qmc, L = 0 = infinite lattice, finite β) for 1D bipolarons.

Opt-in (QMC runs of minutes on 2 cores): set BPCORE_SLOW_TESTS=1. Tolerance: 4σ of the QMC plus
the change of the VED value under the last basis enlargement. The QMC is a finite-temperature
method; β is chosen so that exp(−β·binding) is negligible, but the two-polaron continuum of an
infinite lattice can still contribute; a failure is a finding to investigate, not to tune away.

Observed on 2026-11-25 (Holstein, Ω = t, λ_H = 0.5, U = 0): VED E = −5.424645, m* = 2.6613/t,
R² = 1.430 (14 generations, 130 843 states); a 25 s QMC at β = 20 gave E = −5.4112 ± 0.0016,
m* = 2.39 ± 0.06, R² = 1.86 ± 0.03 with only 2 bins (errors not saturated): not yet consistent.
"""
import os

import pytest

from bpcore import ved

pytestmark = pytest.mark.skipif(os.environ.get("BPCORE_SLOW_TESTS") != "1",
                                reason="slow cross-check: set BPCORE_SLOW_TESTS=1")

POINTS = [  # model, omega, lam, U, beta, VED generations (last two compared)
    ("holstein", 1.0, 0.5, 0.0, 40.0, (12, 14)),
    ("holstein", 3.0, 1.0, 0.0, 20.0, (12, 14)),
    ("bond-peierls", 1.0, 0.5, 0.0, 40.0, (9, 10)),
    ("bond-peierls", 3.0, 1.0, 0.0, 20.0, (8, 9)),
]


@pytest.mark.parametrize("model, omega, lam, U, beta, gens", POINTS)
def test_bipolaron_ved_vs_qmc(model, omega, lam, U, beta, gens):
    from bpcore import qmc

    a, b = (ved.solve(model, 2, omega, lam, U=U, generations=G) for G in gens)
    q = qmc.run(model, 1, 0, 2, beta, omega, lam, U=U, seed=7, time_limit=120, progress=False)
    dE, dm = abs(b["energy"] - a["energy"]), abs(b["mass"] - a["mass"])
    assert abs(q.energy.mean - b["energy"]) < 4 * q.energy.err + dE
    assert abs(q.mass.mean - b["mass"]) < 4 * q.mass.err + dm
