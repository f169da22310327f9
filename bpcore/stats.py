"""Error analysis for Monte Carlo time series: binning, tau_int, jackknife.

Conventions
-----------
For a stationary series ``x_1..x_N`` with variance ``s^2`` the error of the mean
is ``sqrt(2 tau_int s^2 / N)`` with the integrated autocorrelation time

    tau_int = 1/2 + sum_{k>=1} rho(k)          (tau_int = 1/2 for independent data)

so that the effective number of independent samples is ``n_eff = N / (2 tau_int)``.
For an AR(1) chain ``x_t = rho x_{t-1} + noise``, ``tau_int = (1+rho) / (2 (1-rho))``.

:func:`binning` computes the naive error of the mean of blocks of size
``2^k`` (log-binning); the error grows with ``k`` and saturates once the blocks
are longer than the autocorrelation time. :func:`estimate` takes the error from
the plateau, checks that it saturated (``Estimate.saturated``) and reports
``tau_int = (err_sat / err_naive)^2 / 2``.

:func:`jackknife` propagates errors to derived (non-linear) quantities such as a
mass ``m* = d beta / <W^2>`` or a critical temperature computed from several
binned observables.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

MIN_BINS = 16  # never take an error from fewer than this many blocks


@dataclass
class Estimate:
    """A Monte Carlo estimate: ``mean ± err``.

    ``tau``: integrated autocorrelation time of the input series in units of its
    entries (1/2 = uncorrelated); ``n_bins``: number of entries (or blocks) the
    error is based on; ``n_eff``: effective number of independent samples;
    ``saturated``: whether the binning error reached a plateau (False = the
    error bar may be underestimated: run longer).
    """

    mean: float
    err: float
    tau: float = 0.5
    n_bins: int = 0
    n_eff: float = float("nan")
    saturated: bool = True
    levels: list = field(default_factory=list, repr=False)

    def __str__(self) -> str:  # value ± err [τ, n_bins]
        flag = "" if self.saturated else ", NOT saturated"
        return f"{_fmt(self.mean, self.err)} [τ={self.tau:.3g}, n_bins={self.n_bins}{flag}]"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(self.mean, spec)

    @property
    def rel_err(self) -> float:
        return abs(self.err / self.mean) if self.mean else float("inf")

    def to_dict(self) -> dict:
        return {"mean": _f(self.mean), "err": _f(self.err), "tau": _f(self.tau), "n_bins": int(self.n_bins),
                "n_eff": _f(self.n_eff), "saturated": bool(self.saturated)}


def _f(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _fmt(mean: float, err: float) -> str:
    if not (math.isfinite(err) and err > 0):
        return f"{mean:.8g} ± {err:.2g}"
    digits = max(0, -int(math.floor(math.log10(err))) + 1)
    return f"{mean:.{digits}f} ± {err:.{digits}f}"


def binning(x: Sequence[float], min_bins: int = MIN_BINS) -> list[tuple[int, float, int]]:
    """Log-binning: ``[(block_size, err_of_mean, n_blocks), ...]`` for block sizes 1, 2, 4, ...

    Stops when fewer than ``min_bins`` blocks would remain. A trailing partial
    block is dropped.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError("binning needs a 1-D series")
    out = []
    size = 1
    while len(x) // size >= max(min_bins, 2):
        n = len(x) // size
        blocks = x[: n * size].reshape(n, size).mean(axis=1)
        out.append((size, float(blocks.std(ddof=1) / math.sqrt(n)), n))
        size *= 2
    return out


def estimate(x: Sequence[float], min_bins: int = MIN_BINS, rtol: float = 0.15) -> Estimate:
    """Mean and error of a correlated series via log-binning with a saturation check.

    The error is the largest binning error among the levels that still have
    at least ``4*min_bins`` blocks (or the last level if there is none); the
    series is called saturated when the errors of the last three available levels
    agree within ``rtol`` plus their own statistical uncertainty.
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError("estimate of an empty series")
    mean = float(x.mean())
    if x.size < 2:
        return Estimate(mean, float("nan"), float("nan"), int(x.size), float("nan"), False)
    if np.all(x == x[0]):
        return Estimate(mean, 0.0, 0.5, int(x.size), float(x.size), True)
    levels = binning(x, min_bins)
    if not levels:  # too short for binning: naive error, flagged
        err = float(x.std(ddof=1) / math.sqrt(x.size))
        return Estimate(mean, err, 0.5, int(x.size), float(x.size) / 1.0, False)
    naive = levels[0][1]
    usable = [lv for lv in levels if lv[2] >= 4 * min_bins] or levels[:1]
    best = max(usable, key=lambda lv: lv[1])
    err = best[1]
    # saturation: the last 3 levels (fewest blocks) agree with the chosen one
    tail = levels[-3:]
    sat = True
    for size, e, n in tail:
        stat = math.sqrt(2.0 / max(n - 1, 1))  # relative uncertainty of an error estimate
        if e > err * (1 + rtol + 2 * stat):
            sat = False
            err = max(err, e)
    tau = 0.5 * (err / naive) ** 2 if naive > 0 else 0.5
    tau = max(tau, 0.5) if sat else tau
    n_eff = x.size / (2 * tau) if tau > 0 else float(x.size)
    return Estimate(mean, err, tau, int(x.size), n_eff, sat, levels)


def tau_int(x: Sequence[float], c: float = 6.0) -> float:
    """Integrated autocorrelation time from the autocorrelation function with
    Sokal's automatic window (smallest W with W >= c * tau(W))."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    n = x.size
    if n < 4 or not np.any(x):
        return 0.5
    f = np.fft.rfft(x, n=2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n].real
    return sokal_tau(acf / acf[0], c)


def sokal_tau(rho: np.ndarray, c: float = 6.0) -> float:
    """tau_int = 1/2 + sum_{k=1}^{W} rho(k) of a normalised autocorrelation function ``rho``
    (rho[0] = 1), with Sokal's automatic window: the smallest W with W >= c * tau(W)."""
    tau = 0.5
    for w in range(1, len(rho)):
        tau += rho[w]
        if w >= c * tau:
            break
    return float(max(tau, 0.5))


def rebin(x: np.ndarray, n_blocks: int) -> np.ndarray:
    """Average consecutive rows of ``x`` into ``n_blocks`` blocks (drops the remainder at the end)."""
    x = np.asarray(x, dtype=float)
    if n_blocks < 2 or n_blocks > len(x):
        raise ValueError(f"n_blocks must be in [2, {len(x)}], got {n_blocks}")
    size = len(x) // n_blocks
    return x[: size * n_blocks].reshape((n_blocks, size) + x.shape[1:]).mean(axis=1)


def jackknife(func: Callable[..., float], *columns: Sequence[float], weights: Sequence[float] | None = None,
              n_blocks: int | None = None) -> Estimate:
    """Jackknife estimate of ``func(mean(col1), mean(col2), ...)``.

    ``columns`` are per-bin averages (equal length). ``weights`` (e.g. number of
    measurements per bin) make the means weighted. ``n_blocks`` first rebins the
    bins into that many blocks (use it when consecutive bins are correlated).
    Returns the full-sample value with the jackknife error; ``tau`` is not
    defined (nan) and ``n_bins`` is the number of blocks used.
    """
    cols = np.array([np.asarray(c, dtype=float) for c in columns])  # (k, n)
    if cols.ndim != 2 or cols.shape[1] < 2:
        raise ValueError("jackknife needs at least 2 bins per column")
    w = np.ones(cols.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (cols.shape[1],) or np.any(w < 0) or not np.any(w > 0):
        raise ValueError("weights must be non-negative, one per bin, not all zero")
    if n_blocks is not None and n_blocks < cols.shape[1]:
        sums = rebin((cols * w).T, n_blocks).T
        w = rebin(w, n_blocks)
        cols = sums / np.where(w > 0, w, 1)
    n = cols.shape[1]
    tot_w = w.sum()
    tot = (cols * w).sum(axis=1)
    full = float(func(*(tot / tot_w)))
    reps = np.empty(n)
    for i in range(n):
        wi = tot_w - w[i]
        reps[i] = func(*((tot - cols[:, i] * w[i]) / wi))
    if not np.all(np.isfinite(reps)):  # e.g. a mass d*beta/<W^2> with <W^2> = 0: no error to give
        return Estimate(full, float("nan"), float("nan"), n, float(n), False)
    err = float(math.sqrt((n - 1) / n * np.sum((reps - reps.mean()) ** 2)))
    return Estimate(full, err, float("nan"), n, float(n), True)
