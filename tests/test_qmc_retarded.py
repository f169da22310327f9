"""The Holstein QMC with the phonons integrated out exactly (``action="retarded"``,
:mod:`bpcore.qmc.retarded`): input checks, exact diagonalisation, the variational ED at strong coupling,
the cached action against a fresh computation, determinism and checkpoint/resume.

All runs use n_walkers=256 and capacity=256 (one compilation of the kernels per session). k-sigma
tolerances with fixed seeds, k = 3.5 as in test_qmc.py.
"""
import numpy as np
import pytest

from bpcore import qmc

W = 256
CAP = 256
K = 3.5


def within(est, ref, k=K):
    return abs(est.mean - ref) <= k * est.err


def run(*args, **kw):
    kw.setdefault("n_walkers", W)
    kw.setdefault("capacity", CAP)
    kw.setdefault("progress", False)
    kw.setdefault("action", "retarded")
    return qmc.run(*args, **kw)


def test_retarded_input_checks_and_default_key():
    from bpcore.qmc import resolve_params

    base = dict(model="holstein", dim=1, L=4, electrons=2, beta=5.0, omega=1.0, lam=0.5)
    assert "action" not in resolve_params(**base) and "window" not in resolve_params(**base)  # hashes kept
    p = resolve_params(**base, action="retarded")
    assert p["action"] == "retarded" and p["window"] == 2.0 and p["move_probs"][1] == 0.0
    with pytest.raises(ValueError, match="action"):
        resolve_params(**base, action="exact")
    with pytest.raises(ValueError, match="Holstein"):
        resolve_params(**{**base, "model": "bond-peierls"}, action="retarded")
    with pytest.raises(ValueError, match="window"):
        resolve_params(**base, window=1.0)
    with pytest.raises(ValueError, match="window"):
        resolve_params(**base, action="retarded", window=-1.0)
    with pytest.raises(ValueError, match="move_probs"):
        resolve_params(**base, action="retarded", move_probs=[0.3, 0.25, 0.2, 0.0, 0.15, 0.15, 0.05])


def test_retarded_polaron_ring_vs_ed():
    """Holstein polaron, 4-site ring, t = Omega = 1, lambda = 0.5, beta = 14 (as test_polaron_ring_vs_ed
    of the line engine): ground state of bpcore.ed, thermal error ~e^-14."""
    ed = pytest.importorskip("bpcore.ed")
    ref = ed.converged_ground_state("holstein", 4, 1, 1.0, 1.0, 0.5, 0.0, tol=1e-8)
    r = run("holstein", 1, 4, 1, 14.0, 1.0, 0.5, seed=4, sweeps=800)
    assert r.energy.err < 1e-3 * abs(ref["energy"])
    assert within(r.energy, ref["energy"])
    assert within(r.n_phonons, ref["n_ph"])


def test_retarded_pair_zero_winding_sector_with_u_vs_ed():
    """Two electrons with phonons and U = 4t on a 3-site ring, sector of zero relative winding, against
    bpcore.ed.winding_sector_thermal at the same beta = 2 (Omega = 5t, lambda = 1; exact E = -6.82570),
    as the line engine's test_zero_winding_sector_with_phonons_and_u_vs_ed: E, N_ph and R^2."""
    ed = pytest.importorskip("bpcore.ed")
    ref = ed.winding_sector_thermal("holstein", 3, 2.0, 1.0, 5.0, 1.0, 4.0, 0.0, 10, k=858)
    r = run("holstein", 1, 3, 2, 2.0, 5.0, 1.0, U=4.0, seed=12, relative_winding=False, sweeps=1500)
    assert r.energy.err < 5e-3 * abs(ref["e_beta"])
    assert within(r.energy, ref["e_beta"])
    assert within(r.n_phonons, ref["n_ph"])
    assert within(r.r2, ref["r2"])


def test_retarded_strong_coupling_polaron_vs_ved():
    """1D Holstein polaron on the infinite chain at strong coupling, t = Omega = 1, lambda = 1.5
    (g^2 = 3, N_ph ~ 1.7): energy and mass against our variational ED (bpcore.ved, 14 generations;
    13 -> 14 changes E by 2e-6 and m* by 1.5e-5 relative). beta = 20: the first excitation lies
    ~Omega above the polaron band, whose width is ~1/m*."""
    from bpcore import ved

    ref = ved.solve("holstein", 1, 1.0, 1.5, generations=14)
    r = run("holstein", 1, 0, 1, 20.0, 1.0, 1.5, seed=5, sweeps=800, therm=400)
    assert r.energy.err < 1e-3 * abs(ref["energy"])
    assert within(r.energy, ref["energy"])
    assert r.mass.err < 0.03 * r.mass.mean
    assert within(r.mass, ref["mass"])
    assert within(r.n_phonons, ref["n_ph"])


def test_retarded_cached_action_is_exact_and_runs_are_reproducible(tmp_path):
    """After a block of accepted and rejected updates (each rejected one undone by its inverse; the
    kink-pair and shift updates add their local change of the action to the cache, the others
    recompute it), the cached parts of Phi and Psi equal a fresh computation from the worldlines to
    rounding (a local change that missed part of its window would show here); same seed -> same bins;
    an interrupted run resumed from its checkpoint gives the bins of an uninterrupted one (the action
    is recomputed from the restored worldlines at the start of every block)."""
    from bpcore.qmc.driver import get_engine

    kw = dict(model="holstein", dim=2, L=0, electrons=2, beta=6.0, omega=1.0, lam=1.0, U=2.0, V=0.5, seed=3,
              sweeps=40, n_bins=8, therm=40)
    a = run(**kw)
    eng = get_engine(W, CAP, "retarded")
    cached = eng.phi_now().copy()
    eng.k_refresh()
    fresh = eng.phi_now()
    assert not np.array_equal(cached, fresh)  # the cache was updated locally, not recomputed
    np.testing.assert_allclose(cached, fresh, rtol=1e-11, atol=1e-11 * np.abs(fresh).max())
    assert np.all(np.isfinite(cached)) and np.all(cached[:, :3] > 0) and np.all(cached[:, 4:] > 0)
    assert a.bins.equals(run(**kw).bins)
    ck = tmp_path / "ck.npz"
    part = run(**kw, checkpoint=ck, _max_blocks=3)
    assert len(part.bins) == 3 and ck.is_file()
    assert run(**kw, checkpoint=ck).bins.equals(a.bins)
