"""Validation of bpcore.semiclassical (classical Omega -> 0 bipolarons, instantons, two-path hopping).

References used here are analytic (derived in the docstrings of each test): the two-site dimer
(singlet with U: E = U/2 - sqrt(U^2/4 + 4 tau^2); Holstein polaron self-trapping at 2 d lambda = 1),
the three-site star (rank-one degenerate manifold), and the WKB action of a double well.
"""
import numpy as np
import pytest
import scipy.optimize

from bpcore.semiclassical.classical import ClassicalModel
from bpcore.semiclassical.geometry import TwoPathModel
from bpcore.semiclassical.instanton import (PathNotConverged, lattice_instanton, minimum_energy_path,
                                            optimise_action)
from bpcore.semiclassical.lattice import Lattice


# ----------------------------------------------------------------------------------- lattices
@pytest.mark.parametrize("lat", [Lattice.chain(7), Lattice.square(4), Lattice.square(5)])
def test_translations_map_bonds_onto_bonds(lat):
    p = lat.site_shift((1, 0))
    q = lat.bond_shift((1, 0))
    assert sorted(p) == list(range(lat.n_sites)) and sorted(q) == list(range(lat.n_bonds))
    # the translated bond joins the translated sites
    assert np.array_equal(lat.bonds[q], p[lat.bonds])
    assert lat.n_bonds == lat.d * lat.n_sites  # z/2 bonds per site
    assert len({tuple(sorted(b)) for b in lat.bonds}) == lat.n_bonds  # no bond twice


# ----------------------------------------------------------------------------------- forces
@pytest.mark.parametrize("coupling,n_el,U,lat", [
    ("bond", 2, 0.0, Lattice.square(4)), ("bond", 1, 0.0, Lattice.chain(8)),
    ("holstein", 2, 0.0, Lattice.square(4)), ("holstein", 1, 0.0, Lattice.chain(8)),
    ("bond", 2, 3.0, Lattice.square(3)), ("holstein", 2, 2.0, Lattice.chain(6)),
])
def test_hellmann_feynman_forces_match_finite_differences(coupling, n_el, U, lat):
    m = ClassicalModel(lat, coupling, lam=1.3, U=U, n_el=n_el)
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.8, m.n_dof)
    _, g = m.energy_grad(x)
    h = 1e-5
    fd = np.array([(m.energy(x + h * e) - m.energy(x - h * e)) / (2 * h) for e in np.eye(m.n_dof)])
    assert np.max(np.abs(fd - g)) < 1e-6 * max(1.0, np.max(np.abs(g)))
    # density sums to the number of electrons
    assert m.density(x).sum() == pytest.approx(n_el, abs=1e-10)


def test_batched_energies_equal_single_evaluations():
    m = ClassicalModel(Lattice.square(4), "bond", lam=0.7)
    X = np.random.default_rng(2).normal(size=(5, m.n_dof))
    V, G = m.energies_grads(X)
    for k in range(5):
        v, g = m.energy_grad(X[k])
        assert V[k] == pytest.approx(v, abs=1e-12) and np.allclose(G[k], g, atol=1e-12)


# ----------------------------------------------------------------------------------- analytic clusters
@pytest.mark.parametrize("U", [0.0, 0.5, 4.0])
def test_dimer_singlet_energy_with_U(U):
    """Two electrons on a bond of hopping tau = 1 + u: E_el = U/2 - sqrt(U^2/4 + 4 tau^2)."""
    m = ClassicalModel(Lattice.cluster(2, [(0, 1)], d=1), "bond", lam=0.9, U=U)
    for u in (-0.3, 0.0, 1.7):
        tau = 1 + u
        expected = U / 2 - np.sqrt(U**2 / 4 + 4 * tau**2) + u**2 / (4 * 0.9)
        assert m.energy(np.array([u])) == pytest.approx(expected, abs=1e-12)


def test_dimer_bond_peierls_minimum():
    """U = 0: V = -2(1+u) + u^2/(4 d lam) -> u* = 4 d lam, V* = -2 - 4 d lam (d = 1)."""
    lam = 1.7
    m = ClassicalModel(Lattice.cluster(2, [(0, 1)], d=1), "bond", lam=lam)
    best = m.minimise(np.array([0.1]))
    assert best.x[0] == pytest.approx(4 * lam, abs=1e-6)
    assert best.energy == pytest.approx(-2 - 4 * lam, abs=1e-10)


@pytest.mark.parametrize("lam", [0.2, 0.8, 1.5])
def test_holstein_dimer_polaron_self_trapping(lam):
    """One electron, two sites, d = 1: with s = v1 + v2, q = v1 - v2,
    V = -s/2 - sqrt(q^2/4 + 1) + (s^2 + q^2)/(16 lam): s* = 4 lam; q* = 0 for 2 lam <= 1,
    else q*^2 = 4 (4 lam^2 - 1) (self-trapping transition at 2 d lam = 1)."""
    m = ClassicalModel(Lattice.cluster(2, [(0, 1)], d=1), "holstein", lam=lam, n_el=1)
    best = m.minimise(np.array([0.3, 0.1]))
    q2 = max(0.0, 4 * (4 * lam**2 - 1))
    s = 4 * lam
    V = -s / 2 - np.sqrt(q2 / 4 + 1) + (s**2 + q2) / (16 * lam)
    assert best.energy == pytest.approx(V, abs=1e-9)
    assert abs(best.x[0] - best.x[1]) == pytest.approx(np.sqrt(q2), abs=1e-4)


def test_three_site_star_degenerate_circle():
    """Star 1-0-2, two electrons, U = 0: with tau_k = 1 + u_k, E_el = -2 sqrt(tau_1^2 + tau_2^2) depends only on
    the radius (the rank-one 'degenerate manifold'); the minimum is symmetric with
    rho = |tau| = 4 d lam + sqrt 2 and V* = -2 rho + (rho^2 - 2 sqrt2 rho + 2)/(4 d lam)."""
    lam = 2.5
    m = ClassicalModel(Lattice.cluster(3, [(0, 1), (0, 2)], d=1), "bond", lam=lam)
    rho = 4 * lam + np.sqrt(2)
    best = m.minimise(np.array([3.0, 0.5]))
    assert best.energy == pytest.approx(-2 * rho + (rho**2 - 2 * np.sqrt(2) * rho + 2) / (4 * lam), abs=1e-9)
    assert best.x == pytest.approx(np.full(2, rho / np.sqrt(2) - 1), abs=1e-5)
    # electronic energy constant on the circle |tau| = R
    R = 7.0
    E = [m.energy(np.array([R * np.cos(p) - 1, R * np.sin(p) - 1])) - ((R * np.cos(p) - 1) ** 2 + (R * np.sin(p) - 1) ** 2) / (4 * lam)
         for p in np.linspace(0, np.pi / 2, 5)]
    assert np.ptp(E) < 1e-10


# ----------------------------------------------------------------------------------- lambda scaling
def _physical_energy(lat, coupling, t, alpha_p, g_p, K, X, U=0.0):
    """Independent implementation in physical units: hoppings t + alpha' X_b or site energies -g' X_i."""
    N = lat.n_sites
    h = np.zeros((N, N))
    for b, (i, j) in enumerate(lat.bonds):
        amp = -(t + alpha_p * X[b]) if coupling == "bond" else -t
        h[i, j] += amp
        h[j, i] += amp
    if coupling == "holstein":
        h[np.diag_indices(N)] = -g_p * X
    return 2 * np.linalg.eigvalsh(h)[0] + 0.5 * K * np.sum(X**2)


@pytest.mark.parametrize("coupling", ["bond", "holstein"])
def test_energy_and_action_depend_on_lambda_only(coupling):
    """Same lambda from two different (t, Omega, M, alpha') sets: same V/t at the minimum and same S Omega / t."""
    lat = Lattice.chain(8)
    lam, d = 1.2, 1
    m = ClassicalModel(lat, coupling, lam)
    best, _ = m.ground_configuration(n_random=2, seed=0)
    path = np.linspace(0, 1, 9)[:, None] * (m.translate(best.x) - best.x) + best.x
    V_scaled = m.energies_grads(path)[0]
    ds = np.linalg.norm(np.diff(path, axis=0), axis=1)
    S_scaled = np.sum(0.5 * (np.sqrt(np.maximum(V_scaled[:-1] - V_scaled[0], 0)) + np.sqrt(np.maximum(V_scaled[1:] - V_scaled[0], 0))) * ds) * np.sqrt(2 * m.stiffness)
    for t, Omega, M in [(1.0, 0.3, 2.0), (2.5, 1.7, 0.4)]:
        K = M * Omega**2
        if coupling == "bond":
            alpha = np.sqrt(lam * d * t * Omega)
            coup = alpha * np.sqrt(2 * M * Omega)  # alpha'
            X = path * t / coup
            E = np.array([_physical_energy(lat, coupling, t, coup, 0, K, x) for x in X])
        else:
            g = np.sqrt(lam * 2 * d * t * Omega)
            coup = g * np.sqrt(2 * M * Omega)  # g'
            X = path * t / coup
            E = np.array([_physical_energy(lat, coupling, t, 0, coup, K, x) for x in X])
        assert E / t == pytest.approx(V_scaled, abs=1e-9)
        dX = np.linalg.norm(np.diff(X, axis=0), axis=1)
        S = np.sum(0.5 * (np.sqrt(np.maximum(E[:-1] - E[0], 0)) + np.sqrt(np.maximum(E[1:] - E[0], 0))) * dX) * np.sqrt(2 * M)
        assert S * Omega / t == pytest.approx(S_scaled, rel=1e-7)  # sqrt amplifies round-off near the ends


# ----------------------------------------------------------------------------------- instanton machinery
def _rotated_double_well(h=0.7, theta=np.deg2rad(30)):
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])

    def eg(X):
        Y = np.atleast_2d(X) @ R
        xi, eta = Y[:, 0], Y[:, 1]
        V = h * (xi**2 - 1) ** 2 + 5 * eta**2
        return V, np.stack([4 * h * xi * (xi**2 - 1), 10 * eta], 1) @ R.T

    return eg, np.array([-1.0, 0.0]) @ R.T, np.array([1.0, 0.0]) @ R.T


def test_double_well_wkb_action():
    """V = h (xi^2 - 1)^2 + 5 eta^2 in rotated axes: the instanton is the straight xi line and
    S Omega = sqrt(2 k h) * 4/3 (WKB). Start from a bent path; trapezoid error ~ 1/n^2."""
    h, k = 0.7, 1.3
    eg, xa, xb = _rotated_double_well(h)
    exact = np.sqrt(2 * k * h) * 4 / 3
    acts = {}
    for n in (8, 16):
        s = np.linspace(0, 1, n + 1)
        init = (1 - s)[:, None] * xa + s[:, None] * xb
        init[1:-1] += np.sin(np.pi * s[1:-1])[:, None] * np.array([0.5, -0.8])
        r = optimise_action(eg, xa, xb, k, n, init=init, strict=True)
        acts[n] = r.action
        assert r.converged and abs(r.action / exact - 1) < 1.1 / n**2
        assert r.barrier == pytest.approx(h, rel=0.02)
        # the path is straight: no component along eta
        assert np.max(np.abs((r.path @ np.array([[np.cos(0.5236), -np.sin(0.5236)], [np.sin(0.5236), np.cos(0.5236)]]))[:, 1])) < 1e-3
    richardson = (4 * acts[16] - acts[8]) / 3
    assert abs(richardson / exact - 1) < 1e-4


def test_mep_barrier_of_double_well():
    eg, xa, xb = _rotated_double_well(0.7)
    s = np.linspace(0, 1, 13)
    init = (1 - s)[:, None] * xa + s[:, None] * xb
    init[1:-1] += np.sin(np.pi * s[1:-1])[:, None] * np.array([0.3, 0.3])
    r = minimum_energy_path(eg, xa, xb, 12, step=0.02, init=init, strict=True)
    assert r.barrier == pytest.approx(0.7, rel=1e-3)


def test_non_converged_path_is_flagged_or_raises():
    eg, xa, xb = _rotated_double_well(0.7)
    r = optimise_action(eg, xa, xb, 1.0, 16, init="arc", max_iter=2)
    assert not r.converged and "residual" in r.message
    with pytest.raises(PathNotConverged):
        optimise_action(eg, xa, xb, 1.0, 16, init="arc", max_iter=2, strict=True)


# ----------------------------------------------------------------------------------- lattice instantons
def test_strong_coupling_asymptotics_bond_vs_holstein():
    """The measured contrast behind review Eqs. 10-11 (1D chain, L = 12, U = 0):
    bond-Peierls: the barrier along the instanton relative to the binding scale t*lambda falls with 1/lambda
    (the pair slides along a nearly flat valley) and S Omega/(t lambda) decreases between lambda = 16 and 64;
    Holstein: barrier/(t lambda) and S Omega/(t lambda) tend to constants (self-trapping well ~ lambda)."""
    out = {}
    for coupling in ("bond", "holstein"):
        for lam in (16.0, 64.0):
            r = lattice_instanton(ClassicalModel(Lattice.chain(12), coupling, lam), n_images=12,
                                  inits=("linear",), n_random=2)
            out[coupling, lam] = r.row()
            assert r.path.converged
    b16, b64 = out["bond", 16.0], out["bond", 64.0]
    h16, h64 = out["holstein", 16.0], out["holstein", 64.0]
    assert b64["barrier_over_t"] / 64 < 0.5 * b16["barrier_over_t"] / 16
    assert b64["s_inst_omega_over_t_lam"] < 0.8 * b16["s_inst_omega_over_t_lam"]
    assert h64["barrier_over_t"] / 64 == pytest.approx(h16["barrier_over_t"] / 16, rel=0.05)
    assert h64["s_inst_omega_over_t_lam"] == pytest.approx(h16["s_inst_omega_over_t_lam"], rel=0.05)
    # Holstein atomic limit: both electrons on one site, V* -> -8 d lam t (d = 1)
    assert h64["e_min_over_t"] / 64 == pytest.approx(-8.0, rel=0.01)


def test_instanton_is_reproducible():
    m1 = ClassicalModel(Lattice.chain(8), "holstein", 2.0)
    m2 = ClassicalModel(Lattice.chain(8), "holstein", 2.0)
    r1 = lattice_instanton(m1, 8, inits=("linear",), n_random=3, seed=5)
    r2 = lattice_instanton(m2, 8, inits=("linear",), n_random=3, seed=5)
    assert r1.path.action == r2.path.action and np.array_equal(r1.path.path, r2.path.path)


def test_mep_barrier_not_above_instanton_path_barrier():
    m = ClassicalModel(Lattice.chain(8), "holstein", 2.0)
    r = lattice_instanton(m, 12, inits=("linear",), n_random=2)
    mep = minimum_energy_path(m.energies_grads, r.path.path[0], r.path.path[-1], 12, step=1.0, strict=True)
    assert mep.barrier <= r.path.barrier + 1e-6
    assert mep.barrier > 0.5 * r.path.barrier


# ----------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,word", [
    (dict(lam=0.0), "lam"), (dict(lam=-1.0), "lam"), (dict(lam=float("nan")), "lam"),
    (dict(U=-1.0), "U"), (dict(coupling="froehlich"), "coupling"), (dict(n_el=3), "n_el"),
    (dict(n_el=1, U=1.0), "U"),
])
def test_bad_model_input(kwargs, word):
    args = dict(coupling="bond", lam=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        ClassicalModel(Lattice.chain(8), **args)


def test_lattice_too_small_is_an_error():
    with pytest.raises(ValueError, match="L"):
        Lattice.square(2)
    with pytest.raises(ValueError, match="too small"):
        lattice_instanton(ClassicalModel(Lattice.chain(4), "bond", 2.0), 8)
    # weak coupling: the classical pair is not self-trapped within L = 8
    with pytest.raises(ValueError, match="too small"):
        lattice_instanton(ClassicalModel(Lattice.chain(8), "bond", 0.1), 8, n_random=1)


def test_bad_configuration_shape():
    m = ClassicalModel(Lattice.chain(8), "bond", 1.0)
    with pytest.raises(ValueError, match="coordinates"):
        m.energy(np.zeros(3))
    with pytest.raises(ValueError, match="non-finite"):
        m.energy(np.full(8, np.nan))


# ----------------------------------------------------------------------------------- two-path geometry
def test_two_path_hopping_derivative_and_cancellation():
    m = TwoPathModel()
    z = np.linspace(0.5, 2.5, 41)
    fd = (m.hopping(z + 1e-6) - m.hopping(z - 1e-6)) / 2e-6
    assert np.allclose(fd, m.dhopping_dz(z), rtol=1e-6, atol=1e-9)
    zc = m.cancellation_height()
    assert abs(m.hopping(zc)) < 1e-12
    # fractional modulation grows without bound towards the cancellation point
    mods = [abs(m.fractional_modulation(zc + dz)) for dz in (0.4, 0.1, 0.01)]
    assert mods[0] < mods[1] < mods[2] and mods[2] > 50
    with pytest.raises(ValueError, match="t_dd"):
        TwoPathModel(t_dd=-0.1)
    with pytest.raises(ValueError, match="cancel"):
        TwoPathModel(t_dd=5.0).cancellation_height()


def test_bipolaron_at_lambda_is_twice_polaron_at_2lambda():
    """Holstein, U = 0: V_bp(x; lam) = 2 eps0(x) + x^2/(8 d lam) = 2 V_p(x; 2 lam) exactly."""
    lat = Lattice.chain(10)
    bp = ClassicalModel(lat, "holstein", 1.1, n_el=2)
    p = ClassicalModel(lat, "holstein", 2.2, n_el=1)
    x = np.random.default_rng(3).normal(0, 2, lat.n_sites)
    assert bp.energy(x) == pytest.approx(2 * p.energy(x), abs=1e-12)
    assert bp.ground_configuration(2)[0].energy == pytest.approx(2 * p.ground_configuration(2)[0].energy, abs=1e-8)


def test_two_electron_solver_reduces_to_doubly_occupied_orbital_and_U_costs_energy():
    lat = Lattice.square(3)
    x = np.random.default_rng(4).normal(0, 1, 2 * lat.n_sites)
    m0 = ClassicalModel(lat, "bond", 1.0, U=0.0)
    m_small = ClassicalModel(lat, "bond", 1.0, U=1e-9)
    v0, g0 = m0.energy_grad(x)
    v1, g1 = m_small.energy_grad(x)
    assert v1 == pytest.approx(v0, abs=1e-8) and np.allclose(g1, g0, atol=1e-7)
    assert ClassicalModel(lat, "bond", 1.0, U=4.0).energy(x) > v0
    assert m0.double_occupancy(x) > ClassicalModel(lat, "bond", 1.0, U=4.0).double_occupancy(x)


def test_instanton_with_hubbard_U_converges():
    r = lattice_instanton(ClassicalModel(Lattice.chain(8), "bond", 4.0, U=2.0), 8, inits=("linear",), n_random=2)
    r0 = lattice_instanton(ClassicalModel(Lattice.chain(8), "bond", 4.0), 8, inits=("linear",), n_random=2)
    assert r.path.converged and np.isfinite(r.path.action) and r.path.action > 0
    assert r.minimum.energy > r0.minimum.energy  # U costs energy


@pytest.mark.parametrize("coupling", ["bond", "holstein"])
def test_taichi_batched_singlet_matches_scipy_reference(coupling):
    lat = Lattice.square(4)
    ref = ClassicalModel(lat, coupling, 1.5, U=3.0)
    tai = ClassicalModel(lat, coupling, 1.5, U=3.0, solver="taichi")
    X = np.random.default_rng(6).normal(0, 1.5, (4, ref.n_dof))
    V0, G0 = ref.energies_grads(X)
    V1, G1 = tai.energies_grads(X)
    assert np.max(np.abs(V1 - V0)) < 1e-9 and np.max(np.abs(G1 - G0)) < 1e-7
    V2, G2 = tai.energies_grads(X + 1e-2)  # warm start from the previous ground states
    assert np.max(np.abs(V2 - ref.energies_grads(X + 1e-2)[0])) < 1e-9


def test_cli_prints_json_row(capsys):
    import argparse
    import json

    from bpcore.semiclassical.cli import register_cli

    p = argparse.ArgumentParser()
    register_cli(p.add_subparsers(dest="command"))
    args = p.parse_args(["instanton", "--model", "holstein", "--lam", "2", "--dim", "1", "--L", "8",
                         "--n-images", "8", "--n-random", "1"])
    assert args.func(args) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["model"] == "holstein" and row["s_inst_omega_over_t_lam"] > 0 and row["converged"]
    with pytest.raises(ValueError, match="lam"):
        args.func(p.parse_args(["instanton", "--lam", "-1"]))


def test_committed_fig09_results_have_stable_columns():
    """``python -m bpcore results fig09_instanton`` must keep these columns (issue 5)."""
    from bpcore.store import Store

    try:
        df = Store().results("fig09_instanton")
    except LookupError:
        pytest.skip("no stored fig09 results in this checkout")
    for col in ("model", "lam", "U", "s_inst_omega_over_t_lam", "barrier_over_t", "n_images", "L"):
        assert col in df.columns
    ok = df[df.converged.astype(bool)]
    assert len(ok) and set(ok.model) == {"bond", "holstein"}
    assert np.allclose(ok.s_inst_omega_over_t_lam, ok.s_inst_omega_over_t / ok.lam)
