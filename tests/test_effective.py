"""Tests of bpcore.effective: the antiadiabatic (Ω ≫ t) second-order effective two-electron model.

Closed forms checked (derived in the module docstring): site-Peierls one-electron band
ε(k) = −4g²/Ω − 2t cos k + (2g²/Ω) cos 2k; pair hopping −4g²/(Ω − U); Holstein: on-site
attraction −2g²/Ω, no pair hopping, exact 1D two-body bound state
E = −2g²/Ω − sqrt(U_eff² + 16t²), U_eff = U − 2g²/Ω, mass sqrt(U_eff² + 16t²)/(4t²).
The decisive test is independent: the VED of the full electron–phonon model approaches the
effective model as Ω/t grows at fixed λ, with corrections O(t/Ω).
"""
import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bpcore import effective as ef
from bpcore import ved


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Small dense eigenproblems: extra BLAS threads only contend on a loaded 2-core machine."""
    with threadpool_limits(limits=1):
        yield


@pytest.mark.parametrize("g, om", [(1.0, 10.0), (0.3, 2.5)])
def test_site_peierls_one_electron_band(g, om):
    k = np.linspace(-math.pi, math.pi, 13)
    want = -4 * g * g / om - 2 * np.cos(k) + 2 * g * g / om * np.cos(2 * k)
    assert np.allclose(ef.polaron_dispersion("site-peierls", om, g, 1.0, k), want, atol=1e-13)
    # minimum leaves k = 0 at λ = 2g²/(tΩ) = 1/2
    assert ef.polaron_minimum("site-peierls", 100.0, math.sqrt(0.49 * 100 / 2))[0] == 0.0
    assert ef.polaron_minimum("site-peierls", 100.0, math.sqrt(0.6 * 100 / 2))[0] > 0.1


@pytest.mark.parametrize("U", [0.0, 2.0, -1.0])
def test_pair_hopping_amplitude(U):
    g, om = 0.7, 9.0
    assert abs(ef.pair_hopping("site-peierls", om, g, U) + 4 * g * g / (om - U)) < 1e-14
    assert ef.pair_hopping("holstein", om, g, U) == 0.0
    pair = ef.effective_terms("site-peierls", 2, om, g, 1.0, U, d=0)
    assert abs(pair[(1, -1)] - g * g * (1 / om + 1 / (om - U))) < 1e-14  # split onto both neighbours
    nn = ef.effective_terms("site-peierls", 2, om, g, 1.0, U, d=1)  # ↑ at 0, ↓ at 1
    assert abs(nn[(1, 0)] + 4 * g * g / (om + U)) < 1e-14  # exchange, via a doubly occupied site
    assert abs(nn[(1, 2)] - g * g * (1 / om + 1 / (om + U))) < 1e-14  # correlated hop


@pytest.mark.parametrize("lam, U", [(0.5, 0.0), (1.0, 1.0)])
def test_holstein_effective_is_attractive_hubbard(lam, U):
    om = 50.0
    g = ved.coupling("holstein", lam, 1.0, om)
    r = ef.solve("holstein", om, lam, U=U)
    ueff = U - 2 * g * g / om
    assert abs(r["energy"] - (-2 * g * g / om - math.sqrt(ueff**2 + 16))) < 1e-10
    assert abs(r["mass"] - math.sqrt(ueff**2 + 16) / 4) < 1e-8
    assert r["dE_D"] < 1e-12


@pytest.mark.parametrize("model", ef.MODELS)
def test_effective_hamiltonian_hermitian(model):
    M, _ = ef.matrices(model, 2, 7.0, 0.8, 1.0, 1.5, D=20)
    H = ved._combine(M, 0.37)
    assert abs(H - H.conj().T).max() < 1e-14


def test_ved_approaches_effective_model_as_omega_grows():
    """Site-Peierls bipolaron at λ = 1, U = 0: VED (6 generations, converged to < 1e-3 here)
    minus the effective model halves when Ω doubles (corrections O(t/Ω))."""
    eff = ef.solve("site-peierls", 1.0, 1.0)  # Ω-independent at U = 0 (λ fixed)
    b = ved.get_basis("site-peierls", 2, 6)
    dm, de = [], []
    for om in (12.0, 24.0, 48.0):
        r = ved.solve("site-peierls", 2, om, 1.0, basis=b)
        dm.append(r["mass"] - eff["mass"])
        de.append(r["energy"] - eff["energy"])
    assert all(x > 0 for x in dm + de)
    for seq in (dm, de):
        for a, b_ in zip(seq, seq[1:]):
            assert 0.4 < b_ / a < 0.6
    assert dm[-1] < 0.04 and de[-1] < 0.3


def test_bound_pair_converged_in_cutoff():
    r = ef.solve("site-peierls", 20.0, 1.0, U=4.0, D=60)
    assert r["binding"] > 0 and r["dE_D"] < 1e-10


@pytest.mark.parametrize("kwargs, name", [(dict(omega=0.0), "omega"), (dict(lam=-1.0), "lam"),
                                          (dict(U=5.0, omega=5.0), "U"), (dict(K=4.0), "K"),
                                          (dict(D=1), "D")])
def test_bad_input(kwargs, name):
    args = dict(omega=5.0, lam=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        ef.solve("site-peierls", args.pop("omega"), args.pop("lam"), **args)
