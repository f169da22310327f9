"""Sign-free continuous-time path-integral QMC for one or two electrons coupled to phonons.

Public API::

    from bpcore import qmc
    res = qmc.run("bond-peierls", dim=2, L=0, electrons=2, beta=20, omega=1, lam=1, U=8, seed=1, sweeps=2000)
    res.energy, res.mass, res.r2          # Estimate objects (mean, err, tau, n_bins, n_eff)
    res.bins                              # one row per bin: count, energy, r2, winding2, nph, ...
    res.to_dict()                         # JSON-able (what the CLI prints)
    qmc.cached_run("fig06_tc_2d", model=..., ...)   # same, looked up in / saved to bpcore.store

Conventions: t = 1 (energy unit), hbar = k_B = lattice constant = 1. lambda_bP = alpha^2/(d t Omega),
lambda_H = g^2/(2 d t Omega). Masses are absolute (units of 1/t): a free electron has m = 1/(2t), a free
pair 1/t. ``mass`` = d beta / <|Delta R|^2> with Delta R the (common) end-to-end displacement of the
worldlines under twisted boundary conditions (projection on total momentum K = 0); ``r2`` =
<|r_up - r_down|^2> averaged over imaginary time (minimum image on finite lattices); ``energy`` =
-d ln Z / d beta. All are ground-state quantities up to thermal corrections exp(-beta * gap): choose
beta large enough (the residual thermal error is the user's to check, e.g. by comparing two betas).
See ``book/qmc.md`` for the method and its validation.
"""
from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bpcore.profiles import check_number
from bpcore.qmc.model import MODELS, coupling, lam_from_coupling, validate
from bpcore.stats import Estimate, estimate, jackknife

__all__ = ["run", "cached_run", "Result", "MODELS", "coupling", "lam_from_coupling", "validate",
           "binding_energy", "RUN_FIELDS", "NotEquilibratedWarning", "PAIR_L0_ETA", "PAIR_L0_ETA_BOND_PEIERLS",
           "PAIR_L0_MOVES_BOND_PEIERLS", "PAIR_L0_MOVES_BOND_PEIERLS_V1", "PAIR_L0_CUT_WIDTH_BOND_PEIERLS",
           "PAIR_L0_THERM_R_MAX"]

# |drift_sigma| above which run() warns that the run has not equilibrated
DRIFT_WARN = 3.0


class NotEquilibratedWarning(UserWarning):
    """A QMC run whose bins still drift (see ``Result.info["drift_sigma"]``)."""


# how the phonons are treated: "lines" (sampled as phonon lines, bpcore.qmc.engine) or "retarded"
# (integrated out exactly, Holstein only, bpcore.qmc.retarded)
ACTIONS = ("lines", "retarded")
# run-length fields: not part of a stored result's key
RUN_FIELDS = ("sweeps", "time_limit", "checkpoint", "progress")
ALGO_DEFAULTS = dict(n_bins=64, eta=None, therm=None, n_steps=None, capacity=None, block_sweeps=None,
                     move_probs=None, cut_width=None, r_max=12, clone=1, pre_therm=0, relative_winding=True,
                     therm_r_max=None, action="lines", window=None)


# Defaults for a pair on the unbounded lattice (L = 0), chosen with bench/qmc_mixing.py at the reference
# point (2D bond-Peierls, t/Omega = 1, lambda = 1, U = 8, beta = 20; numbers in book/qmc_performance.md). Only
# m = D_0 - D_1 = 0 is physical there: eta = 0.5 leaves ~2/3 of the sweeps unmeasured, eta = 0.1 ~1/4
# and eta = 0.02 (bond-Peierls) ~1/12. The mass comes from the pair's displacement Delta R, which only the
# cut moves change, and only at times not covered by a phonon line (~2 % of [0, beta) at the reference
# point); the bond-Peierls mix therefore spends its attempts on the cheap kink-pair and shift moves that
# reshape the phonon cloud and on the pair cut (cut2), whose window |tc_1 - tc_0| < cut_width = 1
# (0.5 before) is accepted more often. Against the previous mix (0.5, 0.1, 0.3, 0.05, 0.03, 0.02, 0.02),
# eta = 0.1, cut_width = 0.5 this cuts the CPU time to 1 % on m* from ~800-930 to ~290-320 CPU-s. Rings keep
# eta = 0.5 and the general mix (the settings validated against ED there, and the keys of the stored ring
# runs); the Holstein pair on L = 0 keeps eta = 0.1 and the general mix (not tuned).
PAIR_L0_ETA = 0.1
PAIR_L0_ETA_BOND_PEIERLS = 0.02
# The link share was then doubled (0.1 -> 0.2, taken from the shift move): the line-free windows in which
# Delta R moves renew as the link move joins and splits phonon lines, so tau_int of Delta R^2 drops from
# ~58 to ~37 sweeps for ~20 % more CPU per sweep; end to end (bench/qmc_throughput.py, 3 seeds) the CPU
# time to 1 % on m* falls from 430-520 to 270-385 CPU-s.
PAIR_L0_MOVES_BOND_PEIERLS = (0.5, 0.2, 0.2, 0.05, 0.02, 0.08, 0.02)
# The previous mix, kept for comparisons (bench/qmc_throughput.py --move-probs); the stored runs of
# Figs. 6-8 were first computed with it and then again with the present default.
PAIR_L0_MOVES_BOND_PEIERLS_V1 = (0.5, 0.1, 0.3, 0.05, 0.02, 0.08, 0.02)
PAIR_L0_CUT_WIDTH_BOND_PEIERLS = 1.0
CUT_WIDTH = 0.5
# Thermalisation of a bond-Peierls pair on L = 0 starts with a tighter wall |r_up - r_dn|_inf <= 2 for
# the first quarter of the thermalisation sweeps, so that the two electrons build their shared phonon
# cloud instead of first wandering apart (empty worldlines feel only U). Measured at the reference point
# (book/qmc.md): equilibrium after ~4500 sweeps instead of ~10^4. Sampling always uses r_max.
PAIR_L0_THERM_R_MAX = 2


def _default_walkers(arch: str) -> int:
    return 2048 if arch == "cpu" else 16384


@dataclass
class Result:
    """Outcome of a QMC run. ``energy``, ``mass``, ``r2``, ``n_phonons`` are :class:`~bpcore.stats.Estimate`."""

    energy: Estimate
    mass: Estimate
    r2: Estimate | None
    n_phonons: Estimate
    winding2: Estimate
    acceptance: dict
    params: dict
    backend: str | None
    bins: pd.DataFrame = field(repr=False)
    info: dict = field(default_factory=dict)
    group_bins: pd.DataFrame | None = field(default=None, repr=False)  # per-bin means of each chain group

    @classmethod
    def from_bins(cls, params: dict, bins: pd.DataFrame, acceptance: dict | None = None,
                  backend: str | None = None, info: dict | None = None,
                  group_bins: pd.DataFrame | None = None) -> "Result":
        """Rebuild all estimates from the stored bins (used after loading from the store). With
        ``group_bins`` (:func:`group_bins_frame`) the thermalisation check ``info["drift_sigma"]``
        compares independent chain groups (:func:`_drift_groups`), else bin means (:func:`_drift`);
        ``info["drift_method"]`` says which."""
        b = bins[bins["count"] > 0]
        if len(b) < 2:
            raise RuntimeError("fewer than 2 bins with measurements: run longer")
        wts = b["count"].to_numpy(float)
        nblk = min(len(b), 32)

        def est(col):
            j = jackknife(lambda x: x, b[col].to_numpy(float), weights=wts, n_blocks=nblk)
            e = estimate(b[col].to_numpy(float))
            return Estimate(j.mean, max(j.err, e.err), e.tau, len(b), e.n_eff, e.saturated)

        d = params["dim"]
        beta = params["beta"]
        w2 = est("winding2")
        mj = jackknife(lambda x: d * beta / x if x > 0 else float("inf"), b["winding2"].to_numpy(float),
                       weights=wts, n_blocks=nblk)
        rel = w2.err / w2.mean if w2.mean > 0 else float("inf")
        mass = Estimate(mj.mean, max(mj.err, abs(mj.mean) * rel), w2.tau, len(b), w2.n_eff, w2.saturated)
        r2 = est("r2") if params["electrons"] == 2 else None
        info = dict(info or {})
        cols = ["energy", "r2", "winding2", "nph"] if params["electrons"] == 2 else ["energy", "winding2", "nph"]
        drift = _drift_groups(group_bins, cols) if group_bins is not None and len(group_bins) else {}
        info["drift_method"] = "chain groups" if drift else "bins"
        info["drift_sigma"] = drift or _drift(b, cols)
        res = cls(energy=est("energy"), mass=mass, r2=r2, n_phonons=est("nph"), winding2=w2,
                  acceptance=dict(acceptance or {}), params=dict(params), backend=backend, bins=bins,
                  info=info, group_bins=group_bins)
        if group_bins is not None and len(group_bins):  # errors over independent chain groups, also on reload
            res.widen_errors(_group_errors(group_bins, cols))
        return res

    def widen_errors(self, chain_err: dict) -> None:
        """Use the larger of the time-bin error and the error over independent chain groups
        (``Driver.chain_errors``) for energy, r2, n_phonons and winding2 (and mass via winding2)."""
        from dataclasses import replace

        for attr, col in (("energy", "energy"), ("r2", "r2"), ("n_phonons", "nph"), ("winding2", "winding2")):
            e = getattr(self, attr)
            if e is not None and col in chain_err and chain_err[col] > e.err:
                setattr(self, attr, replace(e, err=chain_err[col]))
        if "winding2" in chain_err and self.winding2.mean > 0:
            rel = self.winding2.err / self.winding2.mean
            self.mass = replace(self.mass, err=max(self.mass.err, abs(self.mass.mean) * rel))

    def to_dict(self) -> dict:
        out = {"energy": self.energy.to_dict(), "mass": self.mass.to_dict(),
               "r2": self.r2.to_dict() if self.r2 is not None else None,
               "n_phonons": self.n_phonons.to_dict(), "winding2": self.winding2.to_dict(),
               "acceptance": self.acceptance, "params": self.params, "backend": self.backend,
               "n_bins": int(len(self.bins))}
        out.update({k: v for k, v in self.info.items() if isinstance(v, (int, float, str, bool, type(None)))})
        out["drift_sigma"] = self.info.get("drift_sigma", {})
        return out

    def summary_frame(self) -> pd.DataFrame:
        """One row: mean/err of each observable plus acceptance rates (the store's results.csv)."""
        row: dict[str, Any] = {}
        for name in ("energy", "mass", "r2", "n_phonons", "winding2"):
            e = getattr(self, name)
            row[f"{name}_mean"] = e.mean if e is not None else np.nan
            row[f"{name}_err"] = e.err if e is not None else np.nan
            row[f"{name}_tau"] = e.tau if e is not None else np.nan
        for k, v in self.acceptance.items():
            row[f"acc_{k}"] = v
        row["backend"] = self.backend
        row["n_bins"] = len(self.bins)
        row["measurements"] = float(self.bins["count"].sum())
        return pd.DataFrame([row])

    def __str__(self) -> str:
        p = self.params
        lines = [f"QMC {p['model']} d={p['dim']} L={p['L']} electrons={p['electrons']} beta={p['beta']} "
                 f"Omega={p['omega']} lam={p['lam']} U={p['U']} V={p['V']}",
                 f"  energy   {self.energy}", f"  mass     {self.mass}"]
        if self.r2 is not None:
            lines.append(f"  r2       {self.r2}")
        lines.append(f"  n_ph     {self.n_phonons}")
        return "\n".join(lines)


GROUP_COLS = ("count", "energy", "r2", "winding2", "nph")  # what group_bins keeps (the drift check's inputs)


def group_bins_frame(g: np.ndarray) -> pd.DataFrame:
    """Long table of the per-bin, per-chain-group measurements: ``g[b, k, o]`` is the sum of observable
    ``OBS[o]`` over the measurements of group k in bin b (``o = 0``: their number). Returns columns
    ``bin, group, count`` and the group's bin *means* of :data:`GROUP_COLS` (NaN without measurements)."""
    from bpcore.qmc.engine import OBS

    g = np.asarray(g, float)
    nb, G = g.shape[:2]
    cnt = g[:, :, 0]
    out = {"bin": np.repeat(np.arange(nb), G), "group": np.tile(np.arange(G), nb), "count": cnt.ravel()}
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in GROUP_COLS[1:]:
            out[c] = np.where(cnt > 0, g[:, :, OBS.index(c)] / np.where(cnt > 0, cnt, 1), np.nan).ravel()
    return compact_group_bins(pd.DataFrame(out))


def compact_group_bins(df: pd.DataFrame) -> pd.DataFrame:
    """Integer counts and means rounded to 9 significant digits (half the size of ``group_bins.csv``;
    the table only feeds the drift test and the chain-group jackknife)."""
    df = df.copy()
    df["count"] = df["count"].round().astype(np.int64)
    for c in GROUP_COLS[1:]:
        if c in df.columns:
            df[c] = [float(f"{v:.9g}") for v in df[c].to_numpy(float)]
    return df


def group_totals(group_bins: pd.DataFrame, cols) -> pd.DataFrame:
    """One row per chain group with measurements: their number (``count``) and, per column of ``cols``,
    the sum of the observable over them (bin means of :func:`group_bins_frame` weighted by counts)."""
    gb = group_bins[group_bins["count"] > 0]
    w = gb["count"].to_numpy(float)
    return gb.assign(**{c: gb[c].to_numpy(float) * w for c in cols}).groupby("group")[["count", *cols]].sum()


def _group_errors(group_bins: pd.DataFrame, cols) -> dict:
    """Jackknife errors over the chain groups of :func:`group_bins_frame` (``Driver.chain_errors`` from
    the stored per-bin table, so that a reloaded result keeps them)."""
    from bpcore.qmc.driver import Driver
    from bpcore.qmc.engine import OBS

    tab = group_totals(group_bins, cols)
    g = np.zeros((len(tab), len(OBS)))
    g[:, 0] = tab["count"].to_numpy(float)
    for c in cols:
        g[:, OBS.index(c)] = tab[c].to_numpy(float)
    return {k: v for k, v in Driver.chain_errors(g).items() if k in cols}


def _drift_groups(group_bins: pd.DataFrame, cols) -> dict:
    """Thermalisation check from independent chain groups: for each group k the difference d_k of its
    mean over the 2nd and the 1st half of the bins; returns mean(d)/(std(d)/sqrt(G)) per observable.
    The groups are statistically independent, so, unlike :func:`_drift`, this stays a fair test when a
    chain's autocorrelation time is longer than a bin (consecutive bins correlated). Groups without a
    measurement in one half are left out; empty when fewer than 8 bins or fewer than 4 groups remain."""
    gb = group_bins
    nb = int(gb["bin"].max()) + 1 if len(gb) else 0
    h = nb // 2
    G = int(gb["group"].max()) + 1 if len(gb) else 0
    if h < 4 or G < 4:
        return {}
    half = np.where(gb["bin"].to_numpy() < h, 0, np.where(gb["bin"].to_numpy() < 2 * h, 1, -1))
    grp = gb["group"].to_numpy(int)
    w = gb["count"].to_numpy(float)
    out = {}
    for c in cols:
        x = np.nan_to_num(gb[c].to_numpy(float)) * w
        s = np.zeros((2, G))
        n = np.zeros((2, G))
        sel = half >= 0
        np.add.at(s, (half[sel], grp[sel]), x[sel])
        np.add.at(n, (half[sel], grp[sel]), w[sel])
        live = np.all(n > 0, axis=0)  # groups with measurements in both halves
        if live.sum() < 4:
            return {}
        d = s[1, live] / n[1, live] - s[0, live] / n[0, live]
        sd = d.std(ddof=1)
        out[c] = float(d.mean() / (sd / math.sqrt(live.sum()))) if sd > 0 else 0.0
    return out


def _drift(bins: pd.DataFrame, cols) -> dict:
    """(mean of 2nd half - mean of 1st half) / combined error, per observable: a thermalisation check.
    |drift| > 3 means the run has not equilibrated (or the error bars are too small): run longer.
    Naive bin errors: over-flags when a chain's autocorrelation time exceeds a bin; runs that keep
    their chain-group bins use :func:`_drift_groups` instead."""
    out = {}
    h = len(bins) // 2
    if h < 4:
        return out
    for c in cols:
        a = bins[c].to_numpy(float)[:h]
        z = bins[c].to_numpy(float)[h:2 * h]
        ea = a.std(ddof=1) / math.sqrt(len(a))
        ez = z.std(ddof=1) / math.sqrt(len(z))
        den = math.hypot(ea, ez)
        out[c] = float((z.mean() - a.mean()) / den) if den > 0 else 0.0
    return out


def binding_energy(bipolaron: Result, polaron: Result) -> Estimate:
    """Delta_BP = 2 E_P - E_BP (positive when bound); independent runs, errors added in quadrature."""
    m = 2 * polaron.energy.mean - bipolaron.energy.mean
    e = math.hypot(2 * polaron.energy.err, bipolaron.energy.err)
    return Estimate(m, e, float("nan"), min(len(bipolaron.bins), len(polaron.bins)), float("nan"), True)


def resolve_params(model, dim, L, electrons, beta, omega, lam, t=1.0, U=0.0, V=0.0, seed=0,
                   n_walkers=None, **algorithmic) -> dict:
    """Validated physical + algorithmic parameters (the store key, without run-length fields)."""
    p = validate(model, dim, L, electrons, beta, omega, lam, t, U, V)
    check_number("seed", seed, minimum=0, integer=True)
    p["seed"] = int(seed)
    unknown = set(algorithmic) - set(ALGO_DEFAULTS) - {"_max_blocks"}
    if unknown:
        raise ValueError(f"unknown QMC option(s): {sorted(unknown)}")
    a = {k: algorithmic.get(k, v) for k, v in ALGO_DEFAULTS.items()}
    check_number("n_bins", a["n_bins"], minimum=2, integer=True)
    pair_l0 = p["electrons"] == 2 and p["L"] == 0
    bp_pair_l0 = pair_l0 and p["model"] == "bond-peierls"
    if a["eta"] is None:
        a["eta"] = (PAIR_L0_ETA_BOND_PEIERLS if bp_pair_l0 else PAIR_L0_ETA) if pair_l0 else 0.5
    check_number("eta", a["eta"], minimum=0, maximum=1, strict_min=True, strict_max=True)
    if n_walkers is not None:
        check_number("n_walkers", n_walkers, minimum=1, integer=True)
    for k in ("therm", "n_steps", "capacity", "block_sweeps"):
        if a[k] is not None:
            check_number(k, a[k], minimum=1 if k != "therm" else 0, integer=True)
    d, b = p["dim"], p["beta"]
    cpl = coupling(p["model"], p["lam"], d, p["t"], p["omega"])
    if a["action"] not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, got {a['action']!r}")
    retarded = a["action"] == "retarded"
    if retarded and p["model"] != "holstein":
        raise ValueError("action='retarded' (phonons integrated out exactly) exists for the Holstein model "
                         f"only, got model={p['model']!r}")
    if a["window"] is not None and not retarded:
        raise ValueError("window (the kink-pair window of action='retarded') needs action='retarded'")
    if retarded:
        from bpcore.qmc.retarded import default_window

        if a["window"] is None:
            a["window"] = default_window(p["omega"], b)
        check_number("window", a["window"], minimum=0, strict_min=True)
        a["window"] = float(a["window"])
    else:
        del a["action"], a["window"]  # the line engine: stays out of the store key (keeps existing hashes)
    # expected number of events per electron (free kinks + phonon-line ends), for sizing
    est_events = b * (2 * d * p["t"] + (0.0 if retarded else 2 * cpl * cpl / p["omega"]
                                       if p["model"] == "holstein" else 2 * d * cpl * 1.5))
    if a["n_steps"] is None:
        a["n_steps"] = int(max(8, min(4096, 0.5 * p["electrons"] * est_events)))
    if a["capacity"] is None:
        a["capacity"] = int(2 ** math.ceil(math.log2(max(64, 3 * est_events + 48))))
    check_number("clone", a["clone"], minimum=1, integer=True)
    check_number("pre_therm", a["pre_therm"], minimum=0, integer=True)
    a["clone"], a["pre_therm"] = int(a["clone"]), int(a["pre_therm"])
    if a["cut_width"] is None:
        a["cut_width"] = PAIR_L0_CUT_WIDTH_BOND_PEIERLS if bp_pair_l0 else CUT_WIDTH
    check_number("cut_width", a["cut_width"], minimum=0, strict_min=True)
    check_number("r_max", a["r_max"], minimum=0, integer=True)
    a["r_max"] = int(a["r_max"])
    if a["therm_r_max"] is None:
        a["therm_r_max"] = PAIR_L0_THERM_R_MAX if bp_pair_l0 else 0
    check_number("therm_r_max", a["therm_r_max"], minimum=0, integer=True)
    a["therm_r_max"] = int(a["therm_r_max"])
    if a["therm_r_max"] and not pair_l0:
        raise ValueError("therm_r_max (a wall on the pair's size during thermalisation) needs two electrons "
                         f"on the unbounded lattice (L = 0); got electrons={p['electrons']}, L={p['L']}")
    if a["therm_r_max"] and a["r_max"] and a["therm_r_max"] > a["r_max"]:
        raise ValueError(f"therm_r_max={a['therm_r_max']} must not exceed r_max={a['r_max']}")
    if not a["therm_r_max"]:
        del a["therm_r_max"]  # off: stays out of the store key (keeps existing hashes)
    a["cut_width"] = float(a["cut_width"])
    if a["move_probs"] is None and bp_pair_l0:
        a["move_probs"] = list(PAIR_L0_MOVES_BOND_PEIERLS)
        if d == 1:
            a["move_probs"][3] = 0.0  # no swap move in 1D
    if a["move_probs"] is None and retarded:
        two = p["electrons"] == 2
        a["move_probs"] = [0.4, 0.0, 0.25, 0.0, 0.2, 0.1 if two else 0.0, 0.05 if two else 0.0]
    if a["move_probs"] is None:
        two = p["electrons"] == 2
        a["move_probs"] = [0.3, 0.25, 0.2, 0.1 if d > 1 else 0.0, 0.15, 0.15 if two else 0.0, 0.05 if two else 0.0]
    if len(a["move_probs"]) == 6:
        a["move_probs"] = list(a["move_probs"]) + [0.0]
    if len(a["move_probs"]) == 8 and a["move_probs"][7] == 0:
        a["move_probs"] = list(a["move_probs"])[:7]  # no bubble move: same key as before it existed
    if len(a["move_probs"]) not in (7, 8) or any(x < 0 for x in a["move_probs"]) or sum(a["move_probs"]) <= 0:
        raise ValueError("move_probs must be 7 or 8 non-negative weights (pair, line, shift, swap, end, cut2, "
                         "translate[, bubble])")
    a["move_probs"] = [float(x) for x in a["move_probs"]]
    if retarded and any(a["move_probs"][k] for k in range(len(a["move_probs"])) if k in (1, 3, 7)):
        raise ValueError("move_probs: the phonon-line updates (line, swap, bubble; positions 2, 4, 8) do not "
                         "exist with action='retarded'; give them weight 0")
    if not isinstance(a["relative_winding"], (bool, np.bool_)):
        raise ValueError(f"relative_winding must be True or False, got {a['relative_winding']!r}")
    a["relative_winding"] = bool(a["relative_winding"])
    if a["relative_winding"]:
        del a["relative_winding"]  # the default stays out of the store key (keeps existing hashes)
    p.update({k: v for k, v in a.items()})
    p["n_walkers"] = None if n_walkers is None else int(n_walkers)
    p["coupling"] = cpl
    return p


def run(model, dim, L, electrons, beta, omega, lam, t=1.0, U=0.0, V=0.0, seed=0, sweeps=None,
        time_limit=None, n_walkers=None, checkpoint=None, progress=True, **algorithmic) -> Result:
    """Run the QMC; return a :class:`Result`.

    Parameters: ``model`` in {"bond-peierls", "holstein"}; ``dim`` 1..3; ``L`` = 0 (unbounded) or >= 2
    (periodic L^d); ``electrons`` 1 or 2 (opposite spins); ``beta`` inverse temperature; ``omega``
    phonon frequency; ``lam`` dimensionless coupling (see :func:`coupling`); ``t`` hopping; ``U`` on-site
    repulsion; ``V`` long-range Coulomb V/|r| (minimum image on a finite lattice). ``sweeps`` = measured
    sweeps per chain (a sweep is ``n_steps`` proposed updates followed by one measurement) and/or
    ``time_limit`` seconds of sampling (whichever ends first; at least one is required). ``n_walkers``
    independent chains (default 2048 on CPU). ``checkpoint``: path of a ``.npz`` file written atomically
    after blocks; an existing checkpoint with the same parameters is resumed (same seed -> same bins as
    an uninterrupted run). Algorithmic options: ``n_bins`` (target number of bins, 64), ``eta``
    (extended-ensemble factor: for a pair on ``L = 0`` 0.02 (bond-Peierls) or 0.1 (Holstein), else 0.5),
    ``cut_width`` (window of the pair cut move: 1 for a bond-Peierls pair on ``L = 0``, else 0.5), ``relative_winding`` (True: sum over the relative winding of the
    two worldlines around a ring, the full K = 0 trace; False: only the sector of zero relative
    winding, compared with :func:`bpcore.ed.winding_sector_thermal`; no effect on ``L = 0``),
    ``therm`` (thermalisation sweeps), ``therm_r_max`` (a tighter wall on the pair's size during the
    first quarter of the thermalisation; default ``PAIR_L0_THERM_R_MAX`` for a bond-Peierls pair on
    ``L = 0``, 0 = off otherwise), ``n_steps``, ``capacity``,
    ``block_sweeps``, ``move_probs`` (relative attempt weights of pair, line, shift, swap, end, cut2,
    translate and, optionally, an 8th: the bond-Peierls "bubble" move, off by default; a bond-Peierls
    pair on ``L = 0`` defaults to ``PAIR_L0_MOVES_BOND_PEIERLS``), and the warm start ``pre_therm``/``clone``: thermalise
    n_walkers/clone chains for ``pre_therm`` sweeps, copy each ``clone`` times, then ``therm``
    sweeps on all chains (cheaper than thermalising every chain from empty worldlines). ``action``:
    "lines" (default: the phonons sampled as lines, :mod:`bpcore.qmc.engine`) or, for Holstein only,
    "retarded" (the phonons integrated out exactly, :mod:`bpcore.qmc.retarded`: the worldlines carry only
    hop kinks and the retarded action, so the moves that change the displacement need no line-free time
    and strongly bound Holstein pairs mix; updates pair, shift, end, cut2, translate; ``window`` is the
    length of its kink-antikink window, default min(2/Omega, beta)).
    """
    from bpcore import backend

    max_blocks = algorithmic.pop("_max_blocks", None)
    p = resolve_params(model, dim, L, electrons, beta, omega, lam, t, U, V, seed, n_walkers, **algorithmic)
    if sweeps is None and time_limit is None:
        raise ValueError("give sweeps or time_limit (or both)")
    if sweeps is not None:
        check_number("sweeps", sweeps, minimum=1, integer=True)
    if time_limit is not None:
        check_number("time_limit", time_limit, minimum=0, strict_min=True)
    arch = backend.init()
    W = p["n_walkers"] or _default_walkers(arch)
    from bpcore.qmc.driver import Driver

    drv = Driver(p, W, checkpoint=checkpoint)
    res = drv.run(sweeps=sweeps, time_limit=time_limit, max_blocks=max_blocks, show_progress=progress)
    bad = {k: round(v, 1) for k, v in res.info.get("drift_sigma", {}).items() if abs(v) > DRIFT_WARN}
    if bad:
        how = res.info.get("drift_method", "bins")
        warnings.warn(f"QMC run not equilibrated: second-half minus first-half means (compared over {how}) "
                      f"of {bad} standard errors (|drift| > {DRIFT_WARN}); thermalise and run longer "
                      f"(Result.info['drift_sigma'])", NotEquilibratedWarning, stacklevel=2)
    return res


def _key_params(params: dict) -> dict:
    return {k: v for k, v in params.items() if k not in RUN_FIELDS}


def cached_run(topic: str, force: bool = False, store=None, only_stored: bool = False, **kwargs) -> Result:
    """:func:`run` through :class:`bpcore.store.Store`: key = physical + algorithmic parameters
    (not sweeps/time_limit/checkpoint); computes only if missing (or ``force``). Stores
    ``results.csv`` (one row of mean/err) and ``bins.csv``; a stored result is rebuilt from its bins.
    ``only_stored=True``: never compute; raise LookupError when the result is not stored."""
    from bpcore.store import Store

    st = store or Store()
    kw = dict(kwargs)
    run_fields = {k: kw.pop(k) for k in list(kw) if k in RUN_FIELDS}
    base = {k: kw.pop(k) for k in ("model", "dim", "L", "electrons", "beta", "omega", "lam")}
    phys = dict(t=kw.pop("t", 1.0), U=kw.pop("U", 0.0), V=kw.pop("V", 0.0), seed=kw.pop("seed", 0))
    n_walkers = kw.pop("n_walkers", None)
    key = resolve_params(**base, **phys, n_walkers=n_walkers, **kw)
    if n_walkers is None:
        from bpcore import backend

        key["n_walkers"] = _default_walkers(backend.arch() or (os.environ.get("BPCORE_ARCH") or "cpu"))
        n_walkers = key["n_walkers"]
    if only_stored and (force or not st.exists(topic, key)):
        raise LookupError(f"no stored QMC result in topic {topic!r} for these parameters")
    holder: dict = {}

    def compute():
        res = run(**base, **phys, n_walkers=n_walkers, **run_fields, **kw)
        holder["res"] = res
        tables = {"bins": res.bins}
        if res.group_bins is not None:
            tables["group_bins"] = res.group_bins
        return res.summary_frame(), tables

    df = st.get_or_compute(topic, key, compute, force=force, run=run_fields, seeds=key["seed"])
    if "res" in holder:
        return holder["res"]
    bins = st.load(topic, key, "bins")
    acc = {c[4:]: float(df[c].iloc[0]) for c in df.columns if c.startswith("acc_")}
    be = str(df["backend"].iloc[0]) if "backend" in df.columns else None
    res = Result.from_bins(key, bins, acceptance=acc, backend=be, info={"cached": True},
                           group_bins=st.load(topic, key, "group_bins"))
    # the stored errors include the independent-chain-group estimate, which the bins alone cannot
    # reproduce: never report a smaller error for a reloaded result than for the original run
    from dataclasses import replace

    for name in ("energy", "mass", "r2", "n_phonons", "winding2"):
        est, col = getattr(res, name), f"{name}_err"
        if est is not None and col in df.columns:
            stored = float(df[col].iloc[0])
            if np.isfinite(stored) and stored > est.err:
                setattr(res, name, replace(est, err=stored))
    return res
