"""Validation of bpcore.qmc: free limits, exact diagonalisation, published values, input checks,
determinism and checkpoint/resume.

Every run here uses n_walkers=1024 and capacity=256 so that the Taichi kernels compile once per
test session. Tolerances are k-sigma with fixed seeds (k = 3.5 unless stated); nothing is widened
to make a test pass.
"""
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bpcore import qmc

W = 1024
CAP = 256
K = 3.5


def within(est, ref, k=K, abs_floor=0.0):
    return abs(est.mean - ref) <= k * est.err + abs_floor


def run(*args, **kw):
    kw.setdefault("n_walkers", W)
    kw.setdefault("capacity", CAP)
    kw.setdefault("progress", False)
    return qmc.run(*args, **kw)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, name", [
    (dict(lam=-0.1), "lam"), (dict(omega=0.0), "omega"), (dict(beta=-1.0), "beta"), (dict(L=1), "L"),
    (dict(dim=4), "dim"), (dict(electrons=3), "electrons"), (dict(model="ssh"), "model"),
    (dict(lam=float("nan")), "lam"), (dict(U=-1.0), "U"), (dict(t=0.0), "t"), (dict(seed=-1), "seed"),
    (dict(move_probs=[1.0, 1.0]), "move_probs"), (dict(move_probs=[1.0] * 7 + [-1.0]), "move_probs"),
])
def test_bad_input_names_parameter(kw, name):
    args = dict(model="bond-peierls", dim=1, L=0, electrons=1, beta=5.0, omega=1.0, lam=0.5)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        qmc.run(**args, sweeps=10)


def test_relative_winding_flag_checked_and_kept_out_of_default_key():
    with pytest.raises(ValueError, match="relative_winding"):
        qmc.run("holstein", 1, 4, 2, 5.0, 1.0, 0.5, sweeps=10, relative_winding="no")
    from bpcore.qmc import resolve_params

    base = dict(model="holstein", dim=1, L=4, electrons=2, beta=5.0, omega=1.0, lam=0.5)
    assert "relative_winding" not in resolve_params(**base)  # default: stored hashes unchanged
    assert resolve_params(**base, relative_winding=False)["relative_winding"] is False


def test_pair_defaults_on_unbounded_lattice_only():
    """The unbounded-lattice pair gets its own eta and (bond-Peierls) move mix; rings and single
    electrons keep the settings validated against ED there (and the keys of the stored runs)."""
    from bpcore.qmc import (PAIR_L0_CUT_WIDTH_BOND_PEIERLS, PAIR_L0_ETA, PAIR_L0_ETA_BOND_PEIERLS,
                            PAIR_L0_MOVES_BOND_PEIERLS, resolve_params)

    def res(**kw):
        base = dict(model="bond-peierls", dim=2, L=0, electrons=2, beta=5.0, omega=1.0, lam=0.5)
        return resolve_params(**{**base, **kw})

    p = res()
    assert p["eta"] == PAIR_L0_ETA_BOND_PEIERLS and p["move_probs"] == list(PAIR_L0_MOVES_BOND_PEIERLS)
    assert p["cut_width"] == PAIR_L0_CUT_WIDTH_BOND_PEIERLS
    assert res(dim=1)["move_probs"][3] == 0.0  # no swap move in 1D
    assert res(L=4)["eta"] == 0.5 and res(L=4)["move_probs"][0] == 0.3 and res(L=4)["cut_width"] == 0.5
    assert res(electrons=1)["eta"] == 0.5 and res(electrons=1)["cut_width"] == 0.5
    h = res(model="holstein")
    assert h["eta"] == PAIR_L0_ETA and h["move_probs"][:2] == [0.3, 0.25] and h["cut_width"] == 0.5
    assert res(cut_width=0.7)["cut_width"] == 0.7
    with pytest.raises(ValueError, match="cut_width"):
        res(cut_width=-1.0)
    assert res(eta=0.3)["eta"] == 0.3
    with pytest.raises(ValueError, match="eta"):
        res(eta=1.5)


def test_thermalisation_wall_defaults_and_errors():
    """therm_r_max: on by default (PAIR_L0_THERM_R_MAX) for a bond-Peierls pair on L = 0 only; off it
    stays out of the store key; impossible settings are refused naming the parameter."""
    from bpcore.qmc import PAIR_L0_THERM_R_MAX, resolve_params

    def res(**kw):
        base = dict(model="bond-peierls", dim=2, L=0, electrons=2, beta=5.0, omega=1.0, lam=0.5)
        return resolve_params(**{**base, **kw})

    assert res()["therm_r_max"] == PAIR_L0_THERM_R_MAX
    for kw in (dict(model="holstein"), dict(L=4), dict(electrons=1), dict(therm_r_max=0)):
        assert "therm_r_max" not in res(**kw), kw
    with pytest.raises(ValueError, match="therm_r_max"):
        res(therm_r_max=-1)
    with pytest.raises(ValueError, match="therm_r_max"):
        res(therm_r_max=13)  # wider than r_max = 12
    with pytest.raises(ValueError, match="therm_r_max"):
        res(L=4, therm_r_max=2)


def test_thermalisation_wall_is_released_for_sampling():
    """A nearly free 1D pair (lambda = 0.1, U = 8) thermalised with the wall |r| <= 1 for the first
    quarter of its thermalisation must be measured without it: with the wall still in place R^2 could
    not exceed 1, while the released pair spreads over the r_max = 12 box (R^2 of several tens)."""
    kw = dict(model="bond-peierls", dim=1, L=0, electrons=2, beta=4.0, omega=1.0, lam=0.1, U=8.0, seed=2,
              sweeps=200, therm=400, n_bins=8, n_walkers=64, progress=False)
    r = run(**kw, therm_r_max=1)
    assert r.params["therm_r_max"] == 1 and r.r2.mean > 5.0
    off = run(**kw, therm_r_max=0)
    assert "therm_r_max" not in off.params
    # same ensemble once released (seed 2: 47.5(16) against 46.6(10))
    assert abs(r.r2.mean - off.r2.mean) < 4 * math.hypot(r.r2.err, off.r2.err)


def test_needs_run_length_and_known_options():
    with pytest.raises(ValueError, match="sweeps"):
        qmc.run("holstein", 1, 0, 1, 5.0, 1.0, 0.5)
    with pytest.raises(ValueError, match="unknown"):
        qmc.run("holstein", 1, 0, 1, 5.0, 1.0, 0.5, sweeps=10, bogus=1)


def test_coupling_conventions():
    # lambda_bP = alpha^2/(d t Omega), lambda_H = g^2/(2 d t Omega)
    assert qmc.coupling("bond-peierls", 1.0, 2, 1.0, 0.5) == pytest.approx(1.0)
    assert qmc.coupling("holstein", 0.5, 1, 1.0, 1.0) == pytest.approx(1.0)
    assert qmc.lam_from_coupling("holstein", 1.0, 3, 2.0, 0.5) == pytest.approx(1.0 / 6.0)


# ----------------------------------------------------------------------------- free limits
def test_free_electron_unbounded_1d():
    # lambda = 0: E = -2 d t exactly (K = 0 projection) and m* = 1/(2t) exactly at any beta
    r = run("bond-peierls", 1, 0, 1, 8.0, 1.0, 0.0, seed=1, sweeps=300)
    assert within(r.energy, -2.0)
    assert within(r.mass, 0.5)
    assert r.mass.err < 0.02


def test_free_electron_2d_t2():
    # t = 2: E = -2 d t = -8, m* = 1/(2t) = 0.25
    r = run("holstein", 2, 0, 1, 4.0, 1.0, 0.0, t=2.0, seed=2, sweeps=300)
    assert within(r.energy, -8.0)
    assert within(r.mass, 0.25)


def test_free_pair_ring():
    # two free electrons on a 4-site ring, K = 0: E = 2 * (-2t) = -4, R^2 = <r^2> over the ring = 1.5
    r = run("bond-peierls", 1, 4, 2, 10.0, 1.0, 0.0, seed=3, sweeps=300)
    assert within(r.energy, -4.0)
    assert within(r.r2, 1.5)


# ----------------------------------------------------------------------------- exact diagonalisation
@pytest.mark.parametrize("model", ["bond-peierls", "holstein"])
def test_polaron_ring_vs_ed(model):
    ed = pytest.importorskip("bpcore.ed")
    ref = ed.converged_ground_state(model, 4, 1, 1.0, 1.0, 0.5, 0.0, tol=1e-8)
    r = run(model, 1, 4, 1, 14.0, 1.0, 0.5, seed=4, sweeps=1600)
    # beta = 14: the lowest K=0 excitation of the ring lies ~Omega above, thermal error ~e^-14
    assert r.energy.err < 1e-3 * abs(ref["energy"])
    assert within(r.energy, ref["energy"])
    assert within(r.n_phonons, ref["n_ph"])


# default weights of (pair, line, shift, swap, end, cut2, translate) in 1D plus the bubble move
MOVES_WITH_BUBBLE = [0.25, 0.2, 0.2, 0.0, 0.15, 0.15, 0.05, 0.15]


def test_bubble_move_polaron_ring_vs_ed():
    """The assisted out-and-back ("bubble") move, mixed with the other moves: the bond-Peierls
    polaron on a 4-site ring at beta = 14 against the ED ground state (as test_polaron_ring_vs_ed)."""
    ed = pytest.importorskip("bpcore.ed")
    ref = ed.converged_ground_state("bond-peierls", 4, 1, 1.0, 1.0, 0.5, 0.0, tol=1e-8)
    r = run("bond-peierls", 1, 4, 1, 14.0, 1.0, 0.5, seed=6, sweeps=1600, move_probs=MOVES_WITH_BUBBLE)
    assert r.acceptance["bubble_add"] > 0.05 and r.acceptance["bubble_remove"] > 0.05
    assert r.energy.err < 1e-3 * abs(ref["energy"])
    assert within(r.energy, ref["energy"])
    assert within(r.n_phonons, ref["n_ph"])


# ----------------------------------------------------------------------------- determinism / checkpoint
@pytest.mark.parametrize("W, threads", [(1, 2), (7, 2), (128, 2), (300, 4), (1024, 2), (2048, 2), (128, 1), (64, None)])
def test_walker_loop_serves_every_chain_once(W, threads):
    """The CPU loop remap (engine.walker_loop / Engine.walker): every chain is updated by exactly one
    iteration, and small chain counts are spread over at least two 512-iteration chunks per thread."""
    from bpcore.qmc.engine import CPU_CHUNK, walker_loop

    R, per = walker_loop(W, threads)
    if per == 0:
        assert R == W
        return
    j = np.arange(R)
    r = j % CPU_CHUNK
    w = (j // CPU_CHUNK) * per + r
    served = w[(r < per) & (w < W)]
    assert np.array_equal(np.sort(served), np.arange(W))
    chunks = {int(c) for c in j[(r < per) & (w < W)] // CPU_CHUNK}
    assert len(chunks) >= min(W, 2 * threads)


def test_same_seed_same_bins(tmp_path):
    kw = dict(model="bond-peierls", dim=2, L=0, electrons=2, beta=4.0, omega=1.0, lam=0.5, U=8.0, seed=9,
              sweeps=40, n_bins=8, therm=40)  # determinism only: a short thermalisation is enough
    a = run(**kw)
    b = run(**kw)
    assert a.bins.equals(b.bins)
    c = run(**{**kw, "seed": 10})
    assert not a.bins.equals(c.bins)
    # interrupted after 3 bins, then resumed from the checkpoint: identical bins
    ck = tmp_path / "ck.npz"
    part = run(**kw, checkpoint=ck, _max_blocks=3)
    assert len(part.bins) == 3 and ck.is_file()
    full = run(**kw, checkpoint=ck)
    assert full.bins.equals(a.bins)
    assert full.group_bins.equals(a.group_bins)  # the chain-group bins survive the checkpoint too
    # the group bins are the bins split over independent chain groups: their weighted means are the bins
    g = a.group_bins.assign(e=a.group_bins.energy * a.group_bins["count"]).groupby("bin")[["count", "e"]].sum()
    assert np.allclose(g["count"], a.bins["count"]) and np.allclose(g.e / g["count"], a.bins.energy)


@pytest.mark.parametrize("kw", [
    # ring: keys reduced mod L; every update type, the bubble move included
    dict(dim=2, L=4, beta=5.0, omega=1.0, lam=0.8, U=1.0, move_probs=[0.4, 0.2, 0.2, 0.05, 0.03, 0.05, 0.02, 0.05]),
    # unbounded 3D lattice with V: every axis, the cut and translate updates shift whole path pieces
    dict(dim=3, L=0, beta=4.0, omega=2.0, lam=1.0, U=4.0, V=1.0),
])
def test_derived_data_follow_every_update(kw):
    """Derived per-chain data that the updates keep in step instead of recomputing:

    * bond keys: the link move finds a kink's partner candidates by comparing them, and every update
      edits them with the positions and directions. After a run, the keys of all chains equal keys
      recomputed from the worldlines (an update that edits a path and forgets a key fails here; the
      link move would then miss candidates and bias the line statistics).
    * line-free stretches: built once per sweep, then kept by the cut moves, which shift their event
      counts. After a run and 20 more attempts of each cut move, the kept stretches equal ones rebuilt
      from the worldlines (a missed count would make the cut moves walk the wrong events)."""
    from bpcore.qmc.driver import get_engine

    run(model="bond-peierls", electrons=2, seed=5, sweeps=40, n_bins=4, therm=40, **kw)
    eng = get_engine(W, CAP)
    kept, nev = eng.bkey.to_numpy(), eng.nev.to_numpy()
    eng.k_rekey()
    fresh = eng.bkey.to_numpy()
    live = np.arange(CAP)[None, None, :] < nev[:, :, None]
    assert live.sum() > 10 * W  # the chains hold events
    assert np.array_equal(kept[live], fresh[live])
    assert (fresh[live] >= 0).all() and len(np.unique(fresh[live])) > 20  # hops only; many bonds

    eng.k_zero()
    eng.k_move(4, 20, 0)  # cut moves: the first attempt rebuilds the stretches, the others keep them
    eng.k_move(5, 20, 0)
    nfree, free_t, free_j = eng.nfree.to_numpy(), eng.free_t.to_numpy(), eng.free_j.to_numpy()
    acc = eng.ok.to_numpy()
    assert acc[:, 8:12].sum() > W  # many cuts accepted
    eng.k_free_cache()
    assert (nfree > 0).all() and np.array_equal(eng.nfree.to_numpy(), nfree)
    n_str = nfree - 1  # stretches per chain
    assert n_str.sum() > W  # lines and free time coexist
    used = np.arange(CAP + 1)[None, :] < n_str[:, None]
    assert np.array_equal(eng.free_t.to_numpy()[used], free_t[used])
    assert np.array_equal(eng.free_j.to_numpy()[used], free_j[used])
    assert (free_j[used] > 0).any()  # event counts that the cut moves had to shift


def test_warm_start_clone_is_deterministic_and_checked():
    """pre_therm/clone: W/clone chains are thermalised, copied, then all W chains run on. Same seed ->
    same bins; a clone factor that would split a family of copies across chain groups is refused."""
    kw = dict(model="bond-peierls", dim=1, L=4, electrons=2, beta=3.0, omega=1.0, lam=0.5, seed=4, sweeps=20,
              n_bins=4, therm=5, pre_therm=10, clone=4)
    a = run(**kw)
    b = run(**kw)
    assert a.bins.equals(b.bins)
    assert not a.bins.equals(run(**{**kw, "pre_therm": 11}).bins)
    with pytest.raises(ValueError, match="clone"):
        run(**{**kw, "clone": 3})


def test_cached_run_roundtrip(tmp_path):
    from bpcore.store import Store

    st = Store(tmp_path)
    kw = dict(model="holstein", dim=1, L=0, electrons=1, beta=4.0, omega=1.0, lam=0.5, seed=1, sweeps=40,
              n_walkers=W, capacity=CAP, progress=False)
    with pytest.raises(LookupError):
        qmc.cached_run("qmc_test", store=st, only_stored=True, **kw)
    r1 = qmc.cached_run("qmc_test", store=st, **kw)
    r2 = qmc.cached_run("qmc_test", store=st, **{**kw, "sweeps": 80})  # run length is not in the key
    assert r2.info.get("cached")
    assert r2.energy.mean == pytest.approx(r1.energy.mean)
    assert r2.mass.mean == pytest.approx(r1.mass.mean)
    for name in ("energy", "mass", "n_phonons"):  # reloaded errors keep the chain-group estimate
        assert getattr(r2, name).err == pytest.approx(getattr(r1, name).err)
    assert list(r2.bins.columns) == list(r1.bins.columns)
    assert r2.group_bins is not None and np.allclose(r2.group_bins.to_numpy(float), r1.group_bins.to_numpy(float),
                                                     equal_nan=True)
    assert r2.info["drift_method"] == r1.info["drift_method"] == "chain groups"
    assert r2.info["drift_sigma"] == pytest.approx(r1.info["drift_sigma"])
    df = st.results("qmc_test")
    assert {"energy_mean", "energy_err", "mass_mean", "mass_err"} <= set(df.columns)


def test_unequilibrated_run_warns():
    """A run measured straight from empty worldlines (therm=0) still relaxes during its bins: run()
    must say so (NotEquilibratedWarning, from the drift check) instead of returning quietly."""
    with pytest.warns(qmc.NotEquilibratedWarning, match="drift"):
        r = run("holstein", 1, 4, 2, 8.0, 1.0, 1.0, seed=3, sweeps=64, therm=0, n_bins=16, n_walkers=64,
                progress=False)
    assert max(abs(v) for v in r.info["drift_sigma"].values()) > qmc.DRIFT_WARN


def _ar1_group_bins(rng, G=16, nb=64, rho=0.95, trend=0.0):
    """Synthetic chain-group bins: each group an independent stationary AR(1) series of bin means
    (autocorrelation time (1 + rho)/(2 (1 - rho)) bins), plus an optional linear trend."""
    x = np.zeros((nb, G))
    x[0] = rng.normal(size=G)
    for b in range(1, nb):
        x[b] = rho * x[b - 1] + math.sqrt(1 - rho ** 2) * rng.normal(size=G)
    x += trend * np.arange(nb)[:, None] / nb
    gb = pd.DataFrame({"bin": np.repeat(np.arange(nb), G), "group": np.tile(np.arange(G), nb),
                       "count": np.full(nb * G, 10.0), "energy": x.ravel()})
    bins = gb.groupby("bin").agg(count=("count", "sum"), energy=("energy", "mean")).reset_index()
    return gb, bins


def test_chain_group_drift_is_fair_for_correlated_bins():
    """The thermalisation check. With bins much shorter than the autocorrelation time (AR(1), tau ~ 20
    bins) but stationary, the naive bin-mean drift (qmc._drift) flags > 3 sigma in most replicas,
    while the chain-group test (qmc._drift_groups, a t-statistic over 16 independent groups) keeps
    close to its nominal rate (P(|t_15| > 3) = 0.9 %); a real trend is still caught."""
    rng = np.random.default_rng(11)
    naive, groups = [], []
    for _ in range(200):
        gb, bins = _ar1_group_bins(rng)
        naive.append(abs(qmc._drift(bins, ["energy"])["energy"]))
        groups.append(abs(qmc._drift_groups(gb, ["energy"])["energy"]))
    assert np.mean(np.array(naive) > 3) > 0.3
    assert np.mean(np.array(groups) > 3) < 0.05
    caught = [abs(qmc._drift_groups(_ar1_group_bins(rng, trend=3.0)[0], ["energy"])["energy"]) > 3 for _ in range(50)]
    assert np.mean(caught) > 0.9
    # too few bins or groups: no verdict (the caller falls back to the bin test)
    assert qmc._drift_groups(_ar1_group_bins(rng, nb=6)[0], ["energy"]) == {}
    assert qmc._drift_groups(_ar1_group_bins(rng, G=3)[0], ["energy"]) == {}


def test_frozen_chains_get_the_error_of_their_spread():
    """Chains whose displacement never moves (a heavy pair) give constant bins, hence a zero bin error;
    the chain groups differ, and Result.from_bins with group_bins reports their spread (jackknife over
    groups = std/sqrt(G) for equal weights), also for a group without any physical measurement (left out)."""
    G, nb = 16, 64
    w2 = np.random.default_rng(5).uniform(1.0, 13.0, size=G)  # each group's <|dR|^2>, frozen
    count = np.full(G, 10.0)
    count[10] = 0.0  # both chains of group 10 stuck outside the physical sector
    gb = pd.DataFrame({"bin": np.repeat(np.arange(nb), G), "group": np.tile(np.arange(G), nb),
                       "count": np.tile(count, nb), "energy": -5.0, "r2": 2.0,
                       "winding2": np.tile(np.where(count > 0, w2, np.nan), nb), "nph": 3.0})
    live = w2[count > 0]
    bins = pd.DataFrame({"bin": np.arange(nb), "count": count.sum(), "energy": -5.0, "r2": 2.0,
                         "winding2": live.mean(), "nph": 3.0})
    params = {"dim": 3, "beta": 32.0, "electrons": 2}
    assert qmc.Result.from_bins(params, bins).winding2.err == 0.0
    res = qmc.Result.from_bins(params, bins, group_bins=gb)
    assert res.winding2.err == pytest.approx(live.std(ddof=1) / math.sqrt(len(live)), rel=1e-9)
    assert res.mass.err / res.mass.mean == pytest.approx(res.winding2.err / res.winding2.mean, rel=1e-9)
    assert res.info["drift_method"] == "chain groups"  # the empty group is left out, not a reason to give up


def test_result_interface():
    r = run("bond-peierls", 2, 0, 2, 3.0, 1.0, 1.0, U=8.0, seed=5, sweeps=40, n_bins=8, therm=40)
    for col in ("count", "energy", "r2", "winding2", "nph"):
        assert col in r.bins.columns
    d = json.loads(json.dumps(r.to_dict()))
    assert set(d) >= {"energy", "mass", "r2", "params", "backend", "acceptance"}
    assert d["params"]["coupling"] == pytest.approx(math.sqrt(1.0 * 2 * 1.0 * 1.0))
    assert r.backend in ("cpu", "cuda")
    assert set(r.info["drift_sigma"]) >= {"energy", "r2"}
    # the unbounded lattice carries a hard wall |r|_inf <= r_max on the relative coordinate
    assert r.params["r_max"] == 12 and r.r2.mean <= 2 * 12 ** 2
    # mass from the bins: m* = d beta / <winding2>
    w2 = np.average(r.bins["winding2"], weights=r.bins["count"])
    assert r.mass.mean == pytest.approx(2 * 3.0 / w2)


def test_cli_json():
    out = subprocess.run([sys.executable, "-m", "bpcore", "qmc", "--model", "holstein", "--dim", "1", "--L", "0",
                          "--omega", "1", "--lam", "0", "--electrons", "1", "--beta", "2", "--seed", "1",
                          "--sweeps", "20", "--walkers", "64", "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"energy", "mass", "r2"} <= set(d)
    assert set(d["energy"]) >= {"mean", "err"}
    assert d["params"]["model"] == "holstein"
    bad = subprocess.run([sys.executable, "-m", "bpcore", "qmc", "--model", "holstein", "--omega", "-1", "--lam", "0",
                          "--beta", "2", "--sweeps", "5"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "omega" in bad.stderr


def test_cli_run_killed_with_sigkill_resumes_bit_for_bit(tmp_path):
    """The checkpoint promise taken literally: a CLI run killed with SIGKILL in the middle of its
    sampling (no handler runs, no file is closed) is resumed by the same command from its last
    checkpoint, which is replaced atomically after every block, and ends with the bins of an
    uninterrupted run with the same seed, to the last bit."""
    import signal
    import time

    cmd = [sys.executable, "-m", "bpcore", "qmc", "--model", "bond-peierls", "--dim", "2", "--L", "0",
           "--omega", "1", "--lam", "1", "--U", "8", "--electrons", "2", "--beta", "4", "--seed", "5",
           "--sweeps", "3200", "--walkers", "64", "--json", "--checkpoint"]
    ref_ck, ck = tmp_path / "ref.npz", tmp_path / "killed.npz"
    ref = subprocess.run(cmd + [str(ref_ck)], capture_output=True, text=True, timeout=600)
    assert ref.returncode == 0, ref.stderr
    n_bins = json.loads(ref.stdout)["n_bins"]

    proc = subprocess.Popen(cmd + [str(ck)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done_at_kill = None
    t_end = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < t_end:
        if ck.is_file():
            with np.load(ck) as z:  # a complete file: every checkpoint is written atomically
                nb = len(z["bins"])
            if nb >= 2:
                proc.send_signal(signal.SIGKILL)
                done_at_kill = nb
                break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert done_at_kill is not None, "the run ended before it could be killed: make it longer"
    assert proc.returncode == -signal.SIGKILL
    with np.load(ck) as z:
        assert 2 <= len(z["bins"]) < n_bins  # killed mid-sampling: the resumed run has work left

    res = subprocess.run(cmd + [str(ck)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    with np.load(ref_ck) as a, np.load(ck) as b:
        assert len(b["bins"]) == n_bins
        for k in ("bins", "group_bins", "att", "ok"):
            assert np.array_equal(a[k], b[k], equal_nan=True), k
    d_ref, d_res = json.loads(ref.stdout), json.loads(res.stdout)
    for k in ("energy", "mass", "r2"):
        assert d_res[k] == d_ref[k], k


def test_cuda_gives_the_cpu_statistics():
    """``BPCORE_ARCH=cuda`` runs the same kernels with the same counter-based random streams; the
    estimates must agree with the CPU ones within their joint error (bitwise equality is not
    required: the GPU's exp/sqrt may differ in the last bit and the chains then diverge). Runs only
    where a CUDA device is present (skipped on the CI machine)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "BPCORE_ARCH"}
    probe = subprocess.run([sys.executable, "-c", "from bpcore.backend import _cuda_available; "
                            "print(_cuda_available())"], capture_output=True, text=True, env=env, timeout=120)
    if "True" not in probe.stdout:
        pytest.skip("no CUDA device")
    cmd = [sys.executable, "-m", "bpcore", "qmc", "--model", "bond-peierls", "--dim", "2", "--L", "0",
           "--omega", "1", "--lam", "1", "--U", "8", "--electrons", "2", "--beta", "6", "--seed", "3",
           "--sweeps", "4000", "--walkers", "1024", "--json"]
    out = {}
    for arch in ("cpu", "cuda"):
        r = subprocess.run(cmd, capture_output=True, text=True, env={**env, "BPCORE_ARCH": arch}, timeout=1800)
        assert r.returncode == 0, r.stderr
        out[arch] = json.loads(r.stdout)
        assert out[arch]["backend"] == arch
    for k in ("energy", "mass", "r2"):
        a, b = out["cpu"][k], out["cuda"][k]
        assert abs(a["mean"] - b["mean"]) <= K * math.hypot(a["err"], b["err"]), (k, a, b)


def test_holstein_polaron_bonca_trugman_batistic():
    """1D Holstein polaron on the infinite chain at t = Omega = g = 1 (lambda_H = g^2/(2 t Omega) = 0.5):
    E = -2.46968472393287, m*/m_e = 1.35063 (Bonca, Trugman, Batistic, PRB 60, 1633 (1999), Table I,
    variational ED). Reduced statistics here; the full-precision run (E = -2.46947(37),
    m*/m_e = 1.3517(20)) is stored in data/qmc_validation and quoted in book/qmc.md."""
    r = run("holstein", 1, 0, 1, 16.0, 1.0, 0.5, seed=17, sweeps=600)
    assert r.energy.err < 1e-3 * 2.4697
    assert within(r.energy, -2.46968472393287)
    m_ratio = r.mass.mean / 0.5
    assert r.mass.err / 0.5 < 0.03
    assert abs(m_ratio - 1.35063) <= K * r.mass.err / 0.5


def test_bond_peierls_polaron_vs_ggce():
    """1D bond-Peierls polaron on the infinite chain, t = Omega = 1, lambda = 0.5 (alpha = 1/sqrt 2),
    against GGCE (Carbone, Berciu, Sous et al., `pip install ggce`, model "BondPeierls" with
    g = alpha), converged in cluster size and phonon number: E0 = -2.59628898(25), m* = 0.685879
    (data/ggce_reference/, made by scripts/ggce_reference.py; our VED gives the same to 1e-7)."""
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "ggce_reference" / "bond_peierls_1d.csv"
    ref = next(r for r in csv.DictReader(path.open()) if float(r["omega"]) == 1.0 and float(r["lam"]) == 0.5)
    e_ref, m_ref = float(ref["E0"]), float(ref["mass"])
    r = run("bond-peierls", 1, 0, 1, 20.0, 1.0, 0.5, seed=23, sweeps=600)
    assert r.energy.err < 1e-3 * abs(e_ref)
    assert within(r.energy, e_ref)
    assert r.mass.err < 0.02 * m_ref
    assert within(r.mass, m_ref)


# ----------------------------------------------------------------------------- two electrons vs thermal ED
@pytest.mark.parametrize("model, N, beta, kw", [
    ("holstein", 3, 2.0, dict(sweeps=1000)),
    ("bond-peierls", 3, 3.0, dict(sweeps=2000, therm=4000, n_walkers=512)),
])
def test_two_electron_thermal_vs_ed(model, N, beta, kw):
    """Two-electron weights (lines joining vertices of different electrons, twisted boundary
    conditions, relative winding on the ring) against exact diagonalisation at the SAME finite beta:
    Tr[P_{K=0} e^{-beta H}] from the full spectrum of the K = 0 sector of bpcore.ed (independent code).
    Omega = 5t keeps chains fast-mixing and makes the dropped line images O(e^{-Omega beta}) < 1e-4.
    bond-Peierls needs a long thermalisation (slow end-point/winding mode, see book/qmc.md)."""
    ed = pytest.importorskip("bpcore.ed")
    g = ed.bare_coupling(model, 1.0, omega=5.0)
    H, tab = ed.build_hamiltonian(model, N, 2, 1.0, 5.0, g, 0.0, 0.0, 8, momentum=0)
    w, v = np.linalg.eigh(H.toarray())
    p = np.exp(-beta * (w - w[0]))
    p /= p.sum()
    e_ref = float(p @ w)
    nph_ref = float(p @ (np.tile(tab["nph"], tab["E"]) @ (np.abs(v) ** 2)))
    r = run(model, 1, N, 2, beta, 5.0, 1.0, seed=11, **kw)
    assert r.energy.err < 5e-3 * abs(e_ref)
    assert within(r.energy, e_ref)
    assert within(r.n_phonons, nph_ref)


def test_free_pair_zero_winding_sector_bessel():
    """relative_winding=False on a 4-site ring, no phonons, U = 0: the zero-winding sector of the free
    pair has E_0(beta) = -4t I_1(4 beta t)/I_0(4 beta t) exactly (see test_ed), against -4t I_1/I_0
    summed over all windings. At beta = 2 the two differ by 0.26 t, about 40 error bars."""
    from scipy.special import iv

    r = run("holstein", 1, 4, 2, 2.0, 1.0, 0.0, seed=5, sweeps=300, therm=300, relative_winding=False)
    assert r.energy.err < 5e-3 * 3.74
    assert within(r.energy, -4.0 * iv(1, 8.0) / iv(0, 8.0))


@pytest.mark.parametrize("model, beta, kw", [
    ("holstein", 2.0, dict(sweeps=600)),
    ("bond-peierls", 3.0, dict(sweeps=1500, therm=1500)),
    ("bond-peierls", 3.0, dict(sweeps=1500, therm=1500, move_probs=MOVES_WITH_BUBBLE)),
    # the settings used for a pair on the unbounded lattice, where likewise only m = 0 is physical
    ("bond-peierls", 3.0, dict(sweeps=1500, therm=3000, move_probs=list(qmc.PAIR_L0_MOVES_BOND_PEIERLS),
                               eta=qmc.PAIR_L0_ETA_BOND_PEIERLS, cut_width=qmc.PAIR_L0_CUT_WIDTH_BOND_PEIERLS)),
])
def test_zero_winding_sector_with_phonons_and_u_vs_ed(model, beta, kw):
    """Two electrons with phonons AND on-site U in the sector of zero relative winding (relative_winding
    =False) against the same sector of the exact K = 0 trace at the same beta
    (bpcore.ed.winding_sector_thermal: relative-flux Fourier projection, all levels of a 3-site ring with
    a phonon cutoff of 10; 8 gives the same E within 1e-4). Omega = 5t (fast mixing; dropped line
    images e^{-Omega beta} < 1e-4), lambda = 1, U = 4t. Exact values in this sector / over all windings:
    Holstein beta = 2: -6.82570 / -7.09413; bond-Peierls beta = 3: -8.36963 / -8.55385."""
    ed = pytest.importorskip("bpcore.ed")
    ref = ed.winding_sector_thermal(model, 3, beta, 1.0, 5.0, 1.0, 4.0, 0.0, 10, k=858)
    assert ref["e_beta_all"] < ref["e_beta"] - 0.05  # the restriction matters at this beta
    r = run(model, 1, 3, 2, beta, 5.0, 1.0, U=4.0, seed=12, relative_winding=False, **kw)
    assert r.energy.err < 5e-3 * abs(ref["e_beta"])
    assert within(r.energy, ref["e_beta"])
    assert within(r.n_phonons, ref["n_ph"])
    assert within(r.r2, ref["r2"])


# ----------------------------------------------------------------------------- stored ring validation
# Under-relaxed stored runs: bond-Peierls lambda = 1, U = 8, Omega = t with the "warm" setting (with and
# without the bubble move). The kink number of this dense pair relaxes over ~10^4 sweeps, longer than
# the warm schedule; the "long" run of the same case agrees with ED (book/qmc.md). Kept as a strict
# xfail: they document that the warm schedule is too short for this case.
UNDER_RELAXED = {("bond-peierls", 4, 1.0, 8.0, False, False, "warm"),
                 ("bond-peierls", 4, 1.0, 8.0, False, True, "warm")}
# Stored rows that agree with ED but do not reach the precision (sigma <= 0.1 % of |E|): the
# long bond-Peierls lambda = 1 run (0.16 %; 128 chains x 30000 sweeps). Their agreement is asserted;
# the "longer" run of the same case (four times the sweeps, another seed) is held to the precision.
BELOW_PRECISION = {("bond-peierls", 4, 1.0, 8.0, False, False, "long")}
LONGER = ("bond-peierls", 4, 1.0, 8.0, False, False, "longer")


def _ring_rows():
    from bpcore.qmc.validation import ring_table

    df = ring_table(compute=False)
    df["case"] = list(zip(df.model, df.N, df.lam, df.U, df.relative_winding, df.bubble, df.run))
    return df


RING_K = 3.0  # the "within 3 sigma": the stored rows are fixed data, so no seed luck is involved


def _check_ring_row(r, precision=True):
    case = f"{r.model} N={r.N} lam={r.lam} U={r.U} relative_winding={r.relative_winding} bubble={r.bubble} run={r.run}"
    assert abs(r.dev_sigma) <= RING_K, f"{case}: QMC {r.e_qmc:.5f}({r.e_err:.5f}) vs ED {r.e_ed_beta:.5f}"
    assert abs(r.r2_qmc - r.r2_ed) <= RING_K * r.r2_err, case
    assert abs(r.nph_qmc - r.nph_ed) <= RING_K * r.nph_err, case
    if precision:
        assert r.rel_err <= 1e-3, case  # the precision requirement (sigma <= 0.1 % of |E|)
    assert r.drift_max < 3.0, case


def test_stored_ring_runs_agree_with_ed():
    """The long two-electron ring runs stored in data/qmc_ring_validation (computed by
    bpcore.qmc.validation.ring_table; beta = 16, t = Omega = 1; run settings RING_RUNS) against exact
    diagonalisation in the same ensemble: all relative windings (ED ground state at a converged phonon
    cutoff plus the thermal shift; R^2 and N_ph of the ground state, whose thermal shift is ~1e-7) or
    zero relative winding (bpcore.ed.winding_sector_thermal at the converged cutoff). Reads stored
    results only. Asserted: every zero-winding row and the all-windings rows at U = 0, at the issue's
    precision (sigma <= 0.1 % of |E|) except the BELOW_PRECISION rows. Shown in the book but not
    asserted: all-windings rows with U > 0 (the winding sector mixes too slowly on a small ring with U;
    it does not exist on the unbounded lattice of production runs)."""
    df = _ring_rows()
    asserted = df[(~df.relative_winding | (df.U == 0)) & ~df.case.isin(UNDER_RELAXED)]
    precise = asserted[~asserted.case.isin(BELOW_PRECISION)]
    assert len(precise) >= 4, "stored ring validation runs are missing"
    # both models, with and without U, on both ring sizes of the issue (N = 4 and 6), at the required
    # precision; the dense bond-Peierls lambda = 1, U = 8 pair too
    for model in ("bond-peierls", "holstein"):
        for N in (4, 6):
            m = precise[(precise.model == model) & (precise.N == N)]
            assert (m.U > 0).any() and (m.U == 0).any(), (model, N)
    assert LONGER in set(precise.case), "the longer bond-Peierls lambda = 1 run is missing"
    assert BELOW_PRECISION <= set(asserted.case), "the long bond-Peierls lambda = 1 run is missing"
    for _, r in asserted.iterrows():
        _check_ring_row(r, precision=r.case not in BELOW_PRECISION)


@pytest.mark.xfail(strict=True, reason="warm-start runs of the bond-Peierls lambda = 1, U = 8, Omega = t ring "
                                       "are under-relaxed (4 sigma high; the long run agrees, see book/qmc.md)")
def test_stored_ring_under_relaxed():
    df = _ring_rows()
    rows = df[df.case.isin(UNDER_RELAXED)]
    assert len(rows) == len(UNDER_RELAXED)
    for _, r in rows.iterrows():
        _check_ring_row(r)


def test_stored_production_run_is_reproduced_bit_for_bit(tmp_path):
    """Same seed + same backend -> same numbers, against the committed data: the cheapest stored run of
    the Figs. 6-8 campaign (Fig. 6 polaron, bond-Peierls, 2D, Omega = 2t, lambda = 0.25, beta = 8,
    32 chains x (8000 + 4000) sweeps, ~10 s) recomputed into a scratch store gives the same key and
    bit-identical bins. If an engine change alters the random stream on purpose, the stored campaign
    must be recomputed (scripts/qmc_campaign_quick.py --store DIR, from a clean checkout)."""
    from bpcore.store import REPO_DATA, Store

    kw = dict(model="bond-peierls", dim=2, L=0, beta=8.0, omega=2.0, lam=0.25, seed=0, electrons=1, U=0.0,
              V=0.0, n_walkers=32, therm=8000)
    stored = qmc.cached_run("fig06_tc_2d", store=Store(REPO_DATA), only_stored=True, **kw)
    scratch = Store(tmp_path, fallbacks=[])
    qmc.cached_run("fig06_tc_2d", store=scratch, sweeps=4000, progress=False, **kw)
    fresh = qmc.cached_run("fig06_tc_2d", store=scratch, only_stored=True, **kw)  # as written to disk
    a, b = fresh.bins.to_numpy(), stored.bins.to_numpy()
    assert a.shape == b.shape and np.array_equal(a, b)


# Short two-electron runs stored in data/qmc_validation by the code of commit 2d9b429 (their
# provenance.json), before the bond keys, the key-list partner sums, the line-free scan along the line
# ends and the compile-time generator constants, all meant to leave the random stream alone.
PAIR_GOLDEN = [
    # unbounded 2D lattice, U and V, every update type including the bubble
    dict(model="bond-peierls", dim=2, L=0, electrons=2, beta=8.0, omega=1.0, lam=1.0, U=8.0, V=0.5, seed=1,
         n_walkers=32, therm=1000, move_probs=[0.4, 0.2, 0.2, 0.05, 0.03, 0.05, 0.02, 0.05]),
    # 6-site ring with U: bond keys reduced mod L, windings through the ring
    dict(model="bond-peierls", dim=1, L=6, electrons=2, beta=6.0, omega=1.0, lam=1.0, U=2.0, V=0.0, seed=2,
         n_walkers=32, therm=1000),
]


@pytest.mark.parametrize("kw", PAIR_GOLDEN)
def test_stored_pair_run_is_reproduced_bit_for_bit(tmp_path, kw):
    """The two-electron updates (link, cuts, translate, bubble) keep the random stream of the stored
    runs: 32 chains x (1000 + 1000) sweeps recomputed into a scratch store give bit-identical bins."""
    from bpcore.store import REPO_DATA, Store

    stored = qmc.cached_run("qmc_validation", store=Store(REPO_DATA), only_stored=True, **kw)
    scratch = Store(tmp_path, fallbacks=[])
    qmc.cached_run("qmc_validation", store=scratch, sweeps=1000, progress=False, **kw)
    fresh = qmc.cached_run("qmc_validation", store=scratch, only_stored=True, **kw)
    a, b = fresh.bins.to_numpy(), stored.bins.to_numpy()
    assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
