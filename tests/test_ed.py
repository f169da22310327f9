"""Tests of the exact-diagonalisation reference bpcore.ed (independent of the QMC)."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from bpcore import ed

MODELS = ed.MODELS


# ----------------------------------------------------------------------------- free limits
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("N", [2, 3, 4, 5, 6])
def test_one_free_electron(model, N):
    # lowest Bloch level of a ring: -2t cos(0) = -2t (for N = 2 the two bonds both connect 0 and 1)
    r = ed.ground_state(model, N, 1, t=1.3, lam=0.0, n_ph_max=2)
    assert r["energy"] == pytest.approx(-2 * 1.3, abs=1e-12)
    assert r["r2"] == 0.0 and r["n_ph"] == pytest.approx(0.0, abs=1e-14)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("N", [3, 4, 5, 6])
def test_two_free_electrons(model, N):
    # U = V = 0: both electrons in k = 0, E = 2 * (-2t); pair distance uniform over the ring
    r = ed.ground_state(model, N, 2, lam=0.0, n_ph_max=1)
    assert r["energy"] == pytest.approx(-4.0, abs=1e-12)
    d = np.minimum(np.arange(N), N - np.arange(N))
    assert r["r2"] == pytest.approx(np.mean(d ** 2), abs=1e-12)


def test_two_electrons_hubbard_dimer_analytic():
    # open dimer, no phonons: singlet E = (U - sqrt(U^2 + 16 t^2)) / 2 (two-site Hubbard model)
    for U in (0.0, 2.0, 8.0):
        r = ed.ground_state("holstein", 2, 2, U=U, n_ph_max=0, boundary="open")
        assert r["energy"] == pytest.approx((U - math.sqrt(U * U + 16)) / 2, abs=1e-12)


def test_long_range_coulomb_minimum_image():
    # t = 0: two electrons sit at the largest minimum-image distance N//2 -> E = V/(N//2)
    for N in (4, 5, 6):
        r = ed.ground_state("holstein", N, 2, t=0.0, U=10.0, V=1.0, n_ph_max=0, momentum=None)
        assert r["energy"] == pytest.approx(1.0 / (N // 2), abs=1e-12)
        assert r["r2"] == pytest.approx((N // 2) ** 2, abs=1e-10)


# ----------------------------------------------------------------------------- atomic limits
@pytest.mark.parametrize("N", [2, 3])
def test_holstein_atomic_limit(N):
    # independent-boson limit: E_P = -g^2/W; on-site pair -4g^2/W + U, bound while U < 2g^2/W
    g, w = 0.8, 1.3
    one = ed.ground_state("holstein", N, 1, t=0.0, g=g, omega=w, n_ph_max=18)
    assert one["energy"] == pytest.approx(-g * g / w, abs=1e-9)
    assert one["n_ph"] == pytest.approx(g * g / w ** 2, abs=1e-7)  # displaced oscillator
    two = ed.ground_state("holstein", N, 2, t=0.0, g=g, omega=w, U=0.5, n_ph_max=18)
    assert two["energy"] == pytest.approx(-4 * g * g / w + 0.5, abs=1e-9)
    assert two["r2"] == pytest.approx(0.0, abs=1e-12)
    apart = ed.ground_state("holstein", N, 2, t=0.0, g=g, omega=w, U=1.1, n_ph_max=18)
    assert apart["energy"] == pytest.approx(-2 * g * g / w, abs=1e-9)  # U > 2g^2/W: unbound
    assert apart["r2"] >= 1.0 - 1e-9


# ----------------------------------------------------------------------------- bond-Peierls, two sites
def test_bond_peierls_dimer_analytic():
    # open dimer: K_b = sigma_x commutes with H, the oscillator is simply displaced.
    # one electron: -t - a^2/W; two electrons (U = 0): both bonding, K = 2: -2t - 4 a^2/W
    a, w = 0.7, 1.2
    one = ed.ground_state("bond-peierls", 2, 1, g=a, omega=w, n_ph_max=30, boundary="open")
    assert one["energy"] == pytest.approx(-1 - a * a / w, abs=1e-10)
    two = ed.ground_state("bond-peierls", 2, 2, g=a, omega=w, n_ph_max=40, boundary="open")
    assert two["energy"] == pytest.approx(-2 - 4 * a * a / w, abs=1e-10)
    # periodic N = 2: two bonds, only their symmetric mode couples (with sqrt(2) a): -2t - 2 a^2/W
    ring = ed.ground_state("bond-peierls", 2, 1, g=a, omega=w, n_ph_max=30)
    assert ring["energy"] == pytest.approx(-2 - 2 * a * a / w, abs=1e-10)


def _dimer_bp_two_electrons_by_hand(t, a, w, U, nmax):
    """Independent construction: singlet/triplet-free basis of two distinguishable
    electrons on 2 sites, states |uu>, |ud>, |du>, |dd> (site of up, site of down),
    one bond oscillator with nmax quanta."""
    el = np.zeros((4, 4))
    # up hops: (0,x) <-> (1,x); down hops: (x,0) <-> (x,1); basis order (iu,id): 00,01,10,11
    for iu in range(2):
        for idn in range(2):
            s = 2 * iu + idn
            el[2 * (1 - iu) + idn, s] = 1
            el[2 * iu + (1 - idn), s] = 1
    b = np.diag(np.sqrt(np.arange(1, nmax + 1)), -1)  # b^dagger
    X = b + b.T
    Nph = np.diag(np.arange(nmax + 1.0))
    Ud = np.diag([U, 0, 0, U])
    H = np.kron(-t * el + Ud, np.eye(nmax + 1)) + w * np.kron(np.eye(4), Nph) + a * np.kron(el, X)
    return np.linalg.eigvalsh(H)[0]


@pytest.mark.parametrize("U", [0.0, 3.0, 8.0])
def test_bond_peierls_dimer_vs_hand_built(U):
    a, w = 0.9, 1.0
    ref = _dimer_bp_two_electrons_by_hand(1.0, a, w, U, 40)
    r = ed.ground_state("bond-peierls", 2, 2, g=a, omega=w, U=U, n_ph_max=40, boundary="open")
    assert r["energy"] == pytest.approx(ref, abs=1e-10)


def test_holstein_dimer_vs_rabi_model():
    # one electron on the open Holstein dimer: the symmetric mode (b1+b2)/sqrt2 decouples
    # (shift -g^2/(2W)); the antisymmetric one gives the Rabi model
    # -t sx + (g/sqrt2) sz (a + a^dagger) + W a^dagger a, built here independently.
    g, w, t, n = 1.1, 1.0, 1.0, 60
    b = np.diag(np.sqrt(np.arange(1, n + 1)), -1)
    sx, sz = np.array([[0, 1], [1, 0.0]]), np.diag([1.0, -1.0])
    H = -t * np.kron(sx, np.eye(n + 1)) + g / math.sqrt(2) * np.kron(sz, b + b.T) \
        + w * np.kron(np.eye(2), np.diag(np.arange(n + 1.0)))
    ref = np.linalg.eigvalsh(H)[0] - g * g / (2 * w)
    r = ed.converged_ground_state("holstein", 2, 1, g=g, omega=w, boundary="open", tol=1e-11, n_start=10)
    assert r["energy"] == pytest.approx(ref, abs=1e-9)


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("flux", [0.0, 0.37])
@pytest.mark.parametrize("momentum", [None, 0, 1])
def test_hermitian(model, flux, momentum):
    g = ed.bare_coupling(model, 0.8)
    H, _ = ed.build_hamiltonian(model, 4, 2, 1.0, 1.0, g, 2.0, 0.5, 4, flux, "periodic", momentum)
    diff = H - H.conj().T
    assert abs(diff).max() < 1e-13
    assert sp.issparse(H)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("ne", [1, 2])
def test_momentum_sectors_cover_full_space(model, ne):
    # the lowest level of the full space equals the lowest over the K sectors, and the
    # zero-flux ground state lies in K = 0 (Perron-Frobenius)
    kw = dict(lam=0.7, U=2.0, V=0.5, n_ph_max=3)
    for flux in (0.0, 0.3):
        full = ed.ground_state(model, 4, ne, flux=flux, momentum=None, **kw)
        sectors = [ed.ground_state(model, 4, ne, flux=flux, momentum=k, **kw) for k in range(4)]
        assert full["energy"] == pytest.approx(min(s["energy"] for s in sectors), abs=1e-10)
        assert sum(s["dim"] for s in sectors) == full["dim"]
    k0 = ed.ground_state(model, 4, ne, **kw)
    full = ed.ground_state(model, 4, ne, momentum=None, **kw)
    for key in ("energy", "r2", "n_ph"):
        assert k0[key] == pytest.approx(full[key], abs=1e-9)


@pytest.mark.parametrize("model", MODELS)
def test_flux_symmetry_and_periodicity(model):
    kw = dict(lam=0.6, U=4.0, n_ph_max=3, momentum=None)
    N = 4
    for ne in (1, 2):
        e = lambda th: ed.ground_state(model, N, ne, flux=th, **kw)["energy"]
        th = 0.41
        assert e(th) == pytest.approx(e(-th), abs=1e-10)
        # gauge c_j -> e^{2 pi i j/N} c_j: the full spectrum is periodic in theta with 2 pi/N
        assert e(th + 2 * math.pi / N) == pytest.approx(e(th), abs=1e-10)
        assert e(0.0) < e(th)


def test_flux_curvature_free_masses():
    # free electron: E(theta) = -2t cos(theta) -> m = 1/(2t); free pair: m = 1/t
    one = ed.flux_curvature("holstein", 4, 1, t=1.0, lam=0.0, n_ph_max=0)
    assert one["curvature"] == pytest.approx(2.0, rel=1e-7)  # E = -2t cos(theta), O(h^4) Richardson
    assert one["mass"] == pytest.approx(0.5, rel=1e-5)
    two = ed.flux_curvature("bond-peierls", 5, 2, t=1.0, lam=0.0, n_ph_max=0)
    assert two["mass"] == pytest.approx(1.0, rel=1e-5)
    # a polaron is heavier than the bare electron
    pol = ed.flux_curvature("holstein", 6, 1, lam=0.5, n_ph_max=8)
    assert pol["mass"] > 0.55


# ----------------------------------------------------------------------------- cutoff convergence
@pytest.mark.parametrize("model", MODELS)
def test_cutoff_convergence(model):
    r = ed.converged_ground_state(model, 4, 2, lam=0.5, U=8.0, tol=1e-7)
    hist = np.array(r["history"])
    steps = np.abs(np.diff(hist[:, 1]))
    assert steps[-1] < 1e-7
    assert np.all(np.diff(hist[:, 1]) <= 1e-12)  # variational: energy never rises with the cutoff
    assert steps[-1] < steps[0] * 1e-3
    assert r["w_top"] < 1e-6
    assert r["n_ph_max"] == hist[-1, 0]


# ----------------------------------------------------------------------------- published value
def test_holstein_polaron_rings_approach_bonca_value():
    """1D Holstein polaron, t = Omega = g = 1 (lambda_H = 0.5): infinite-chain ground-state
    energy -2.46968472393287 (J. Bonca, S. A. Trugman, I. Batistic, PRB 60, 1633 (1999),
    variational ED). Our rings converge to it geometrically in N; a three-point geometric
    extrapolation from N = 6, 7, 8 must agree to 1e-5."""
    ref = -2.46968472393287
    e = [ed.converged_ground_state("holstein", N, 1, lam=0.5, tol=1e-9, n_start=9)["energy"] for N in (6, 7, 8)]
    d1, d2 = e[1] - e[0], e[2] - e[1]
    assert d1 > 0 and d2 > 0 and d2 < 0.5 * d1  # monotone, geometric approach from below
    r = d2 / d1
    extrap = e[2] + d2 * r / (1 - r)
    assert abs(e[2] - ref) < 3e-4
    assert extrap == pytest.approx(ref, abs=1e-5)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, name", [
    (dict(model="hubbard"), "model"),
    (dict(N=1), "N"),
    (dict(N=3.5), "N"),
    (dict(electrons=3), "electrons"),
    (dict(lam=-0.1), "lam"),
    (dict(lam=float("nan")), "lam"),
    (dict(omega=0.0), "omega"),
    (dict(U=float("inf")), "U"),
    (dict(n_ph_max=-1), "n_ph_max"),
    (dict(t=-1.0), "t"),
    (dict(flux=float("nan")), "flux"),
])
def test_bad_input(kw, name):
    args = dict(model="holstein", N=4, electrons=2)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        ed.ground_state(**args)


def test_memory_budget_refused_before_building():
    with pytest.raises(ValueError, match="n_ph_max"):
        ed.ground_state("bond-peierls", 6, 2, lam=1.0, n_ph_max=40)
    with pytest.raises(ValueError, match="n_ph_max"):
        ed.ground_state("holstein", 4, 2, n_ph_max=10, max_bytes=1e5)


def test_converged_reports_failure():
    with pytest.raises(ValueError, match="tol"):
        ed.converged_ground_state("bond-peierls", 4, 2, lam=1.0, tol=1e-9, max_bytes=2e7)


def test_holstein_polaron_ring_masses_approach_bonca_value():
    """Same published point (t = Omega = g = 1): m*/m_e = 1.35063 on the infinite chain
    (Bonca, Trugman, Batistic, PRB 60, 1633 (1999)), i.e. m* = 0.675315/t in absolute units.
    Ring masses from the flux curvature grow monotonically with N; their geometric
    extrapolation from N = 6, 7, 8 must agree within 0.5% (the ratio of successive
    differences drifts slowly, which limits the extrapolation to ~0.2%)."""
    ref = 1.35063 * 0.5
    m = [ed.flux_curvature("holstein", N, 1, lam=0.5, n_ph_max=11)["mass"] for N in (6, 7, 8)]
    d1, d2 = m[1] - m[0], m[2] - m[1]
    assert 0 < d2 < d1 and m[2] < ref
    r = d2 / d1
    extrap = m[2] + d2 * r / (1 - r)
    assert extrap == pytest.approx(ref, rel=5e-3)


def test_low_spectrum_free_pair_and_thermal_energy():
    # K = 0 pairs (k, -k) of free electrons on a 4-ring: -2cos k - 2cos(-k) = -4, 0, 0, 4
    lev = ed.low_spectrum("holstein", 4, 2, lam=0.0, n_ph_max=0, k=4)
    assert lev == pytest.approx([-4.0, 0.0, 0.0, 4.0], abs=1e-12)
    e = ed.thermal_energy(lev, 1.0)
    w = np.exp(-np.array([-4.0, 0.0, 0.0, 4.0]))
    assert e == pytest.approx(np.sum(np.array([-4.0, 0, 0, 4]) * w) / w.sum())
    assert ed.thermal_energy(lev, 50.0) == pytest.approx(-4.0, abs=1e-12)
    # with phonons the lowest level equals ground_state()
    r = ed.ground_state("bond-peierls", 4, 2, lam=0.5, U=8.0, n_ph_max=6)
    lev = ed.low_spectrum("bond-peierls", 4, 2, lam=0.5, U=8.0, n_ph_max=6, k=3)
    assert lev[0] == pytest.approx(r["energy"], abs=1e-9) and np.all(np.diff(lev) >= -1e-12)


def test_pair_distance_distribution():
    # free pair on a 5-ring: separation uniform over the relative coordinate -> P(0)=1/5, P(1)=P(2)=2/5
    r = ed.ground_state("holstein", 5, 2, n_ph_max=0)
    assert r["p_dist"] == pytest.approx([0.2, 0.4, 0.4], abs=1e-12)
    # U = 8, no phonons, 4-ring: relative-coordinate problem -2t(ring of 4) + U delta_{r,0}
    H = np.zeros((4, 4))
    for k in range(4):
        H[k, (k + 1) % 4] = H[(k + 1) % 4, k] = -2.0
    H[0, 0] = 8.0
    w, v = np.linalg.eigh(H)
    p = v[:, 0] ** 2
    r = ed.ground_state("bond-peierls", 4, 2, U=8.0, n_ph_max=0)
    assert r["energy"] == pytest.approx(w[0], abs=1e-12)
    assert r["p_dist"] == pytest.approx([p[0], p[1] + p[3], p[2]], abs=1e-12)
    assert sum(r["p_dist"]) == pytest.approx(1.0)
    assert r["r2"] == pytest.approx(sum(d * d * q for d, q in enumerate(r["p_dist"])), abs=1e-12)


# ----------------------------------------------------------------------------- relative winding sectors
@pytest.mark.parametrize("N, beta", [(3, 1.0), (4, 2.0), (6, 1.5)])
def test_winding_sector_free_pair_bessel(N, beta):
    """Two free electrons (opposite spins) on an N-ring, K = 0: the relative-winding sector n has
    Z_n = N I_{nN}(4 beta t) (a free pair's K = 0 states have E = -4t cos(k + phi/N); the Fourier
    integral over the relative flux phi gives the modified Bessel function). Hence
    E_0(beta) = -4t I_1(4 beta t)/I_0(4 beta t) and Z_0/Z = I_0/sum_n I_{nN}."""
    from scipy.special import iv

    r = ed.winding_sector_thermal("holstein", N, beta, lam=0.0, U=0.0, n_ph_max=0, k=N * N)
    x = 4.0 * beta
    ns = np.arange(-30, 31)
    z = sum(iv(n * N, x) for n in ns)
    dz = sum(2.0 * (iv(n * N - 1, x) + iv(n * N + 1, x)) for n in ns)  # -dZ/dbeta
    assert r["e_beta"] == pytest.approx(-4.0 * iv(1, x) / iv(0, x), abs=1e-10)
    assert r["e_beta_all"] == pytest.approx(-dz / z, abs=1e-10)
    assert r["p_winding0"] == pytest.approx(iv(0, x) / z, abs=1e-10)


def test_winding_sector_all_windings_match_low_spectrum():
    """phi = 0 alone is the ordinary K = 0 trace: its thermal energy equals thermal_energy(low_spectrum);
    the zero-winding sector of a repulsive pair lies above it (the exchange around the ring lowers E)."""
    kw = dict(lam=0.5, U=8.0, n_ph_max=6)
    r = ed.winding_sector_thermal("holstein", 4, 4.0, **kw, k=12)
    lev = ed.low_spectrum("holstein", 4, 2, 1.0, 1.0, kw["lam"], kw["U"], 0.0, kw["n_ph_max"], k=12)
    assert r["e_beta_all"] == pytest.approx(ed.thermal_energy(lev, 4.0), abs=1e-9)
    assert r["e_beta"] > r["e_beta_all"]
    assert 0.0 < r["p_winding0"] < 1.0
    assert r["alias"] < 1e-6


def test_winding_sector_bad_input():
    with pytest.raises(ValueError, match="n_flux"):
        ed.winding_sector_thermal("holstein", 4, 2.0, n_ph_max=0, n_flux=6)
    with pytest.raises(ValueError, match="beta"):
        ed.winding_sector_thermal("holstein", 4, -2.0, n_ph_max=0)
