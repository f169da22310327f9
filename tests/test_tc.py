"""Tests of bpcore.tc: T_c of a dilute bipolaron liquid from mass and size."""
import math

import numpy as np
import pandas as pd
import pytest

from bpcore import tc


def test_coefficients():
    # ideal-gas BEC: T_c = 2 pi n^{2/3} / (zeta(3/2)^{2/3} m) = 3.3125 n^{2/3}/m
    assert tc.C_BEC_3D == pytest.approx(3.3125, abs=1e-4)
    assert tc.C_BKT_2D == 1.84


def test_2d_formula_and_cap():
    # review Eq. 8: T_c = (1.84/pi) / (m R^2) for R^2 >= 1, saturating at (1.84/pi)/m
    r = tc.tc_from_values(2.0, 3.0, 2, radius="relative")
    assert r["tc"] == pytest.approx(1.84 / math.pi / (2.0 * 3.0), rel=1e-12)
    assert r["n"] == pytest.approx(1 / (3 * math.pi))
    assert not r["saturated"]
    small = tc.tc_from_values(2.0, 0.4, 2, radius="relative")
    assert small["saturated"] and small["tc"] == pytest.approx(1.84 / math.pi / 2.0, rel=1e-12)
    assert 1.84 / math.pi == pytest.approx(0.5, abs=0.09)  # the review's rounding


def test_3d_formula_matches_review_coefficient():
    # our 3D touching density n = 1/((4/3) pi R^3) gives T_c = 1.275/(m R^2): the review's ~1.2
    r = tc.tc_from_values(1.0, 4.0, 3, radius="relative")
    coeff = r["tc"] * 1.0 * 4.0
    assert coeff == pytest.approx(3.3125 * (3 / (4 * math.pi)) ** (2 / 3), rel=1e-4)
    assert coeff == pytest.approx(1.2, abs=0.1)
    assert r["n"] == pytest.approx(1 / (4 / 3 * math.pi * 8.0))


def test_radius_conventions_factor_four():
    # the default is the centre reading (R^2/4 of the measured relative separation; see the module docstring)
    assert tc.tc_from_values(1.5, 8.0, 2)["tc"] == tc.tc_from_values(1.5, 8.0, 2, radius="centre")["tc"]
    rel = tc.tc_from_values(1.5, 8.0, 2, radius="relative")
    cen = tc.tc_from_values(1.5, 8.0, 2, radius="centre")
    assert cen["tc"] == pytest.approx(4 * rel["tc"], rel=1e-12)
    assert cen["r2_used"] == pytest.approx(2.0)
    # at R^2_rel = 2 the centre convention hits the cap (1/2 < 1): only a factor 2 apart
    a = tc.tc_from_values(1.0, 2.0, 2, radius="relative")["tc"]
    b = tc.tc_from_values(1.0, 2.0, 2, radius="centre")["tc"]
    assert b / a == pytest.approx(2.0)


def test_binding_flag_and_error_propagation():
    r = tc.tc_from_values(2.0, 3.0, 2, radius="relative", binding=0.01)
    assert r["tc_below_binding"] is False
    r = tc.tc_from_values(2.0, 3.0, 2, radius="relative", binding=1.0, mass_err=0.2, r2_err=0.3)
    assert r["tc_below_binding"] is True
    assert r["tc_err"] == pytest.approx(r["tc"] * math.hypot(0.1, 0.1))
    assert tc.tc_from_values(2.0, 3.0, 2)["tc_below_binding"] is None


def _synthetic_bins(n, beta, dim, w2_true, r2_true, seed, rho=0.0):
    """Bins with Gaussian noise (AR(1) correlated with coefficient rho)."""
    rng = np.random.default_rng(seed)
    e = np.zeros((n, 2))
    z = rng.normal(size=(n, 2))
    for i in range(n):
        e[i] = (rho * e[i - 1] if i else 0) + z[i]
    return pd.DataFrame({"winding2": w2_true * (1 + 0.05 * e[:, 0]), "r2": r2_true * (1 + 0.03 * e[:, 1]),
                         "energy": -5.0 + 0.01 * rng.normal(size=n), "count": np.full(n, 100)})


def test_jackknife_recovers_known_tc_and_error():
    # true: m = d beta / <W^2> = 2*20/25 = 1.6, r2 = 3 -> T_c = (1.84/pi)/(1.6*3)
    beta, dim, w2, r2 = 20.0, 2, 25.0, 3.0
    true = 1.84 / math.pi / (dim * beta / w2 * r2)
    pulls, errs = [], []
    for seed in range(40):
        res = tc.tc_from_bins(_synthetic_bins(64, beta, dim, w2, r2, seed), beta, dim, n_blocks=None, radius="relative")
        pulls.append((res["tc"] - true) / res["tc_err"])
        errs.append(res["tc_err"])
    pulls = np.array(pulls)
    # expected error: T_c ∝ W^2 / r2, relative noise per bin 5% and 3% -> sqrt(.05^2+.03^2)/sqrt(64)
    expected = true * math.hypot(0.05, 0.03) / 8
    assert np.mean(errs) == pytest.approx(expected, rel=0.15)
    assert abs(np.mean(pulls)) < 3 / math.sqrt(len(pulls))
    assert np.std(pulls) == pytest.approx(1.0, abs=0.3)


def test_jackknife_blocks_absorb_correlation():
    # strongly correlated bins: the per-bin jackknife underestimates, 8 blocks do much better
    beta, dim, w2, r2 = 20.0, 2, 25.0, 3.0
    true = 1.84 / math.pi / (dim * beta / w2 * r2)
    one, blk = [], []
    for seed in range(30):
        b = _synthetic_bins(256, beta, dim, w2, r2, 100 + seed, rho=0.9)
        one.append(tc.tc_from_bins(b, beta, dim, n_blocks=None, radius="relative"))
        blk.append(tc.tc_from_bins(b, beta, dim, n_blocks=8, radius="relative"))
    spread = np.std([r["tc"] for r in blk])
    assert np.mean([r["tc_err"] for r in one]) < 0.6 * spread
    assert np.mean([r["tc_err"] for r in blk]) == pytest.approx(spread, rel=0.4)
    assert abs(np.mean([r["tc"] for r in blk]) - true) < 3 * spread / math.sqrt(30)


def _synthetic_group_bins(nb, G, w2_true, r2_true, seed, rho):
    """Per-chain-group bins: each group an independent AR(1) series (coefficient rho) of bin means."""
    rng = np.random.default_rng(seed)
    e = np.zeros((nb, G, 2))
    e[0] = rng.normal(size=(G, 2))
    for b in range(1, nb):
        e[b] = rho * e[b - 1] + math.sqrt(1 - rho ** 2) * rng.normal(size=(G, 2))
    gb = pd.DataFrame({"bin": np.repeat(np.arange(nb), G), "group": np.tile(np.arange(G), nb),
                       "count": np.full(nb * G, 10.0), "winding2": (w2_true * (1 + 0.2 * e[:, :, 0])).ravel(),
                       "r2": (r2_true * (1 + 0.1 * e[:, :, 1])).ravel()})
    bins = gb.groupby("bin").agg(count=("count", "sum"), winding2=("winding2", "mean"), r2=("r2", "mean"))
    return gb, bins.reset_index()


def test_chain_group_jackknife_is_honest_for_correlated_bins():
    """Chains whose autocorrelation time (~40 bins here) exceeds what 32 jackknife blocks absorb: the
    bin jackknife underestimates T_c's error, the jackknife over 16 independent chain groups
    (group_bins) matches the replica spread, and tc_err takes the larger one."""
    beta, dim, w2, r2 = 20.0, 2, 25.0, 3.0
    res = []
    for seed in range(40):
        gb, bins = _synthetic_group_bins(64, 16, w2, r2, 300 + seed, rho=0.95)
        res.append(tc.tc_from_bins(bins, beta, dim, group_bins=gb, radius="relative"))
    spread = np.std([r["tc"] for r in res])
    bin_err = np.mean([r["tc_err"] for r in (tc.tc_from_bins(_synthetic_group_bins(64, 16, w2, r2, 300 + s, 0.95)[1],
                                                                beta, dim, radius="relative") for s in range(40))])
    assert bin_err < 0.6 * spread
    assert np.mean([r["tc_err_chains"] for r in res]) == pytest.approx(spread, rel=0.35)
    assert all(r["tc_err"] == max(r["tc_err"], r["tc_err_chains"]) for r in res)
    assert all(r["mass_err"] >= r["mass_err_chains"] for r in res)


def test_tc_from_bins_mass_convention():
    b = pd.DataFrame({"winding2": [10.0, 10.0, 10.0], "r2": [2.0, 2.0, 2.0]})
    r = tc.tc_from_bins(b, 5.0, 2, radius="relative")
    assert r["mass"] == pytest.approx(1.0) and r["mass_err"] == pytest.approx(0.0, abs=1e-12)
    assert r["tc"] == pytest.approx(1.84 / math.pi / 2.0)
    r3 = tc.tc_from_bins(b, 5.0, 3, radius="relative")
    assert r3["mass"] == pytest.approx(1.5)


@pytest.mark.parametrize("kw, name", [
    (dict(dim=1), "dim"), (dict(mass=0.0), "mass"), (dict(mass=float("nan")), "mass"),
    (dict(r2=-1.0), "r2"), (dict(radius="diameter"), "radius"),
])
def test_bad_input(kw, name):
    args = dict(mass=1.0, r2=2.0, dim=2)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        tc.tc_from_values(**args)


def test_bad_bins():
    with pytest.raises(ValueError, match="r2"):
        tc.tc_from_bins(pd.DataFrame({"winding2": [1.0, 2.0]}), 1.0, 2)
    with pytest.raises(ValueError, match="beta"):
        tc.tc_from_bins(pd.DataFrame({"winding2": [1.0, 2.0], "r2": [1.0, 1.0]}), -1.0, 2)


def test_me_estimate():
    # identity mapping; ME T_c grows with lambda and stays below the ~0.1 Omega scale at lambda ~ 1
    assert tc.me_lambda("holstein", 0.7) == 0.7
    a, b = tc.tc_me("bond-peierls", 0.6), tc.tc_me("bond-peierls", 1.0)
    assert 0 < a < b < 0.1
    with pytest.raises(ValueError, match="model"):
        tc.me_lambda("fröhlich", 0.5)


def test_qmc_pipeline_plumbing(monkeypatch, tmp_path):
    """qmc_tc_point with a stand-in for bpcore.qmc.cached_run: checks the wiring (units T_c/Omega,
    binding sign, shared U = V = 0 polaron run, load-only mode), not the QMC itself."""
    from types import SimpleNamespace

    from bpcore import qmc
    from bpcore.stats import Estimate
    from bpcore.store import Store

    calls = []

    def fake_cached_run(topic, store=None, **kw):
        calls.append(kw)
        if isinstance(store, tc._LoadOnlyStore):
            raise LookupError("missing")
        ne = kw["electrons"]
        w2 = 2 * kw["beta"] / (2.0 if ne == 2 else 0.7)  # m* = 2 (pair), 0.7 (polaron)
        bins = pd.DataFrame({"winding2": [w2] * 4, "r2": [3.0 if ne == 2 else 0.0] * 4, "count": [10] * 4})
        return SimpleNamespace(energy=Estimate(-9.0 if ne == 2 else -4.0, 0.01), mass=Estimate(2.0, 0.0),
                               r2=Estimate(3.0, 0.0), bins=bins, backend="cpu",
                               params={"model": kw["model"]},
                               info={"drift_sigma": {"energy": 0.5, "r2": -1.2 if ne == 2 else 0.1}})

    monkeypatch.setattr(qmc, "cached_run", fake_cached_run)
    row = tc.qmc_tc_point("x", "bond-peierls", 2, 0.5, 1.0, U=8.0, beta=32.0, store=Store(tmp_path))
    assert row["t_over_omega"] == 2.0
    # default centre reading: R^2/4 = 0.75 < 1 sits on the cap, T_c = (1.84/pi)/m*
    assert row["tc_over_omega"] == pytest.approx(1.84 / math.pi / 2.0 / 0.5)
    assert row["binding"] == pytest.approx(1.0) and row["bound"]
    assert row["tc_below_binding"] is True
    assert row["max_drift_sigma"] == pytest.approx(1.2) and row["equilibrated"]
    assert row["mass_resolved"]  # m* = 2.0 +- 0.0
    assert calls[1]["electrons"] == 1 and calls[1]["U"] == 0.0 and calls[1]["V"] == 0.0
    assert "move_probs" not in calls[0] and "move_probs" not in calls[1]
    # a pinned pair mix reaches the bond-Peierls bipolaron run only (not the polaron, not Holstein)
    mix = [0.5, 0.1, 0.3, 0.05, 0.02, 0.08, 0.02]
    calls.clear()
    tc.qmc_tc_point("x", "bond-peierls", 2, 0.5, 1.0, U=8.0, beta=32.0, store=Store(tmp_path), pair_move_probs=mix)
    assert calls[0]["electrons"] == 2 and calls[0]["move_probs"] == mix and "move_probs" not in calls[1]
    calls.clear()
    tc.qmc_tc_point("x", "holstein", 2, 0.5, 1.0, U=8.0, beta=32.0, store=Store(tmp_path), pair_move_probs=mix)
    assert all("move_probs" not in c for c in calls)
    df = tc.qmc_tc_scan("x", [dict(lam=1.0)], model="bond-peierls", dim=2, omega=1.0, beta=16.0,
                        compute=False, skip_missing=True, store=Store(tmp_path))
    assert len(df) == 0
    with pytest.raises(LookupError):
        tc.qmc_tc_scan("x", [dict(lam=1.0)], model="bond-peierls", dim=2, omega=1.0, beta=16.0,
                       compute=False, store=Store(tmp_path))


def test_peak_table_picks_the_largest_valid_point():
    """Fig. 6-8 summary: per curve, the largest T_c/Omega among bound, T_c < Delta, equilibrated points;
    the other R^2 reading is recomputed from m* and R^2 (tc_from_values)."""
    rows = []
    for r, lam, t, ok in [(1.0, 0.5, 0.03, True), (1.0, 1.0, 0.05, True), (1.0, 1.5, 0.09, False),
                          (2.0, 1.0, 0.02, False)]:
        rows.append(dict(model="bond-peierls", t_over_omega=r, omega=1 / r, lam=lam, dim=2, radius="relative",
                         tc_over_omega=t, tc_over_omega_err=0.001, mass=4.0, r2=3.0, bound=True,
                         tc_below_binding=True, equilibrated=ok))
    df = pd.DataFrame(rows)
    df["mass_resolved"] = True
    pk = tc.peak_table(df, ["model", "t_over_omega"])
    assert len(pk) == 1  # the t/Omega = 2 curve has no valid point
    # a point whose m* is not resolved to 10 % is not drawn filled
    df.loc[1, "mass_resolved"] = False
    assert tc.peak_table(df, ["model", "t_over_omega"]).iloc[0].lam_at_peak == 0.5
    df["mass_resolved"] = True
    row = pk.iloc[0]
    assert row.lam_at_peak == 1.0 and row.tc_over_omega == 0.05  # the larger 0.09 point failed the drift check
    assert row.valid_points == 2 and row.points == 3
    assert row.tc_over_omega_centre == pytest.approx(tc.tc_from_values(4.0, 3.0, 2, radius="centre")["tc"] / 1.0)


def test_tc_from_bins_pair_that_never_moved():
    """A pair whose displacement stays zero over the whole run (a very heavy Holstein bipolaron):
    m* = infinity as far as sampled, so T_c = 0, with no error estimate (the point counts as
    unresolved), not infinity."""
    b = pd.DataFrame({"count": np.ones(40), "winding2": np.zeros(40), "r2": np.full(40, 0.08)})
    out = tc.tc_from_bins(b, 32.0, 2, binding=1.0)
    assert out["tc"] == 0.0 and math.isinf(out["mass"]) and math.isnan(out["tc_err"])
    assert out["tc_below_binding"] is True
    v = tc.tc_from_values(math.inf, 0.08, 3, binding=1.0)
    assert v["tc"] == 0.0 and math.isnan(v["tc_err"]) and v["tc_below_binding"] is True
    with pytest.raises(ValueError, match="mass"):
        tc.tc_from_values(-math.inf, 0.08, 2)
    # one bin with a displacement: the mass is not resolved (infinite error), but finite and positive
    b.loc[3, "winding2"] = 0.5
    out = tc.tc_from_bins(b, 32.0, 2, binding=1.0)
    assert math.isfinite(out["mass"]) and out["mass"] > 0 and out["tc"] > 0
    assert math.isinf(out["mass_err"])
    # three such bins: the bias-corrected jackknife would give a negative mass; still unresolved, positive
    b.loc[[20, 37], "winding2"] = [0.01, 0.002]
    out = tc.tc_from_bins(b, 32.0, 2, binding=1.0)
    assert out["mass"] > 0 and out["tc"] > 0 and not math.isfinite(out["mass_err"])
