"""Cross-check of two independent methods: VED (bpcore.ved, infinite chain, K = 0 ground state) and the
path-integral QMC (bpcore.qmc, L = 0 = infinite lattice, finite β) for 1D bipolarons.

Opt-in (QMC runs of minutes on 2 cores): set BPCORE_SLOW_TESTS=1. Tolerance: 4σ of the QMC plus
the change of the VED value under the last basis enlargement. The QMC is a finite-temperature
method; β is chosen so that exp(−β·binding) is negligible, but the two-polaron continuum of an
infinite lattice can still contribute; a failure is a finding to investigate, not to tune away.

Observed on 2026-11-25 with bpcore.qmc at commit 5fe1f90 (r_max = 12 hard wall), seed 3, 90 s runs
on a loaded 2-core machine — NOT consistent yet (reported to the lead):

  model, Ω, λ, β          VED (converged)                       QMC
  Holstein 1, 0.5, 20     E −5.424645  m* 2.6613  R² 1.430      E −5.4191(22)  m* 2.564(21)  R² 1.737(29)
  Holstein 1, 0.5, 40     (same)                                E −5.4084(27)  m* 2.375(19)  R² 2.288(34)
  Holstein 3, 1.0, 20     E −8.769740  m* 5.2719  R² 0.2204     E −8.6747(89)  m* 4.031(71)  R² 0.834(32)
  bond-P.  3, 1.0, 20     E −8.503996  m* 0.9350  R² 1.4247     E −8.204(21)   m* 0.931(12)  R² 2.641(34)
  bond-P.  1, 0.5, 40     E −5.822317  m* 1.6503  R² 2.321      E −5.7272(14)  m* 1.491(26)  R² 4.580(26)

The VED side is confirmed independently by exact diagonalisation on rings (tests/test_ved.py::
test_bipolaron_vs_ring_ed: Holstein N = 8 gives −8.76939, bond-Peierls N = 10 gives −8.50497), so the
disagreement (QMC energies too high, R² too large and growing with β) points at the two-electron
sector of the QMC on the unbounded lattice.

Re-run on 2026-12-04 (after the line-free cut moves, η = 0.1 and, for bond-Peierls, the
thermalisation wall of a pair on L = 0), seed 7, 256 chains, 4000 thermalisation + 4000 measured
sweeps, 32 bins (the settings below; 3-8 minutes per point on 2 cores) — consistent now:

  model, Ω, λ, β          QMC E           m*           R²             (deviation from VED in σ)
  Holstein 1, 0.5, 40     −5.4252(21)     2.667(12)    1.414(13)      −0.3, +0.5, −1.2
  Holstein 3, 1.0, 20     −8.7662(43)     5.231(22)    0.2239(15)     +0.8, −1.9, +2.3
  bond-P.  1, 0.5, 40     −5.8209(29)     1.655(22)    2.313(16)      +0.2, +0.3, +0.2
  bond-P.  3, 1.0, 20     −8.5221(59)     0.9416(100)  1.4187(42)     −3.1, +0.7, −1.2

The −3.1σ of the last energy is below the VED value of the largest basis (generation 9); VED is
variational, its energy falls as the basis grows (the test allows the last change), so this is where
the VED side is least converged.

Re-run of the two bond-Peierls points on 2026-12-04 with the new bond-Peierls pair defaults (η = 0.02,
move mix (0.5, 0.1, 0.3, 0, 0.02, 0.08, 0.02) in 1D, cut_width 1), same seed and settings:

  bond-P.  1, 0.5, 40     −5.8166(28)     1.6555(80)   2.343(13)      +1.7, +0.9, +2.5
  bond-P.  3, 1.0, 20     −8.5081(74)     0.9303(78)   1.4195(36)     −0.6, −0.6, −1.2

(The earlier version of this test ran for a 120 s time limit with 2048 chains, i.e. 1000
thermalisation and only 20 measured sweeps in 2 bins; it passed too, but with errors from 2 bins.)
"""
import os

import pytest

from bpcore import ved

pytestmark = pytest.mark.skipif(os.environ.get("BPCORE_SLOW_TESTS") != "1",
                                reason="slow cross-check: set BPCORE_SLOW_TESTS=1")

RUN = dict(n_walkers=256, therm=4000, sweeps=4000, n_bins=32)
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
    q = qmc.run(model, 1, 0, 2, beta, omega, lam, U=U, seed=7, progress=False, **RUN)
    dE, dm = abs(b["energy"] - a["energy"]), abs(b["mass"] - a["mass"])
    assert abs(q.energy.mean - b["energy"]) < 4 * q.energy.err + dE
    assert abs(q.mass.mean - b["mass"]) < 4 * q.mass.err + dm
