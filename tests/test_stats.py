"""Error analysis (bpcore.stats) on synthetic series with known answers."""
import math

import numpy as np
import pytest

from bpcore.stats import Estimate, binning, estimate, jackknife, rebin, tau_int


def ar1(rho, n, seed=0, sigma=1.0):
    """AR(1) chain x_t = rho x_{t-1} + sqrt(1-rho^2) sigma eps_t (stationary variance sigma^2)."""
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(n) * sigma * math.sqrt(1 - rho * rho)
    x = np.empty(n)
    x[0] = rng.standard_normal() * sigma
    for i in range(1, n):
        x[i] = rho * x[i - 1] + eps[i]
    return x


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ar1_tau_and_error(rho):
    n = 2 ** 17
    x = ar1(rho, n, seed=1)
    tau_true = (1 + rho) / (2 * (1 - rho))
    err_true = math.sqrt(2 * tau_true / n)  # sigma = 1
    est = estimate(x)
    assert est.saturated
    # the binning error of an error has relative uncertainty ~ sqrt(2/n_blocks); allow 25 %
    assert est.err == pytest.approx(err_true, rel=0.25)
    assert est.tau == pytest.approx(tau_true, rel=0.35)
    assert abs(est.mean) < 4 * err_true
    assert est.n_eff == pytest.approx(n / (2 * est.tau))
    assert tau_int(x) == pytest.approx(tau_true, rel=0.2)


def test_unsaturated_is_flagged():
    # a random walk never saturates: the error estimate must say so
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.standard_normal(4096))
    assert not estimate(x).saturated


def test_binning_levels():
    x = np.arange(64, dtype=float)
    lv = binning(x, min_bins=4)
    assert [s for s, _, _ in lv] == [1, 2, 4, 8, 16]
    assert [n for _, _, n in lv] == [64, 32, 16, 8, 4]


def test_jackknife_linear_and_ratio():
    rng = np.random.default_rng(5)
    a = 2.0 + 0.1 * rng.standard_normal(400)
    b = 4.0 + 0.1 * rng.standard_normal(400)
    lin = jackknife(lambda x: x, a)
    assert lin.mean == pytest.approx(a.mean())
    assert lin.err == pytest.approx(a.std(ddof=1) / math.sqrt(len(a)), rel=1e-9)
    rat = jackknife(lambda x, y: x / y, a, b)
    # linear error propagation for independent a, b
    expect = (a.mean() / b.mean()) * math.hypot(a.std(ddof=1) / a.mean(), b.std(ddof=1) / b.mean()) / math.sqrt(400)
    assert rat.err == pytest.approx(expect, rel=0.1)
    # weighted means and rebinning
    w = rng.integers(1, 5, 400).astype(float)
    wj = jackknife(lambda x: x, a, weights=w, n_blocks=40)
    assert wj.mean == pytest.approx(np.average(a, weights=w))
    assert wj.n_bins == 40


def test_rebin_and_format():
    x = np.arange(10.0)
    assert rebin(x, 5).tolist() == [0.5, 2.5, 4.5, 6.5, 8.5]
    with pytest.raises(ValueError):
        rebin(x, 1)
    s = str(Estimate(1.23456, 0.0123, 2.5, 64, 100.0))
    assert s.startswith("1.235 ± 0.012") and "τ=2.5" in s and "n_bins=64" in s
    d = Estimate(1.0, 0.1, 0.5, 8, 8.0).to_dict()
    assert d["mean"] == 1.0 and d["err"] == 0.1


def test_bad_input():
    with pytest.raises(ValueError):
        estimate([])
    with pytest.raises(ValueError):
        jackknife(lambda x: x, [1.0])
    with pytest.raises(ValueError):
        jackknife(lambda x: x, [1.0, 2.0], weights=[1.0, -1.0])
