"""Compute functions behind Figures 2, 5 and 9 (called by the notebooks through the Store).

Each function returns ``(results DataFrame, {name: extra DataFrame})`` ready for
:meth:`bpcore.store.Store.get_or_compute`. No plotting here (see :mod:`.plots`).
"""
from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from bpcore.profiles import check_number
from bpcore.semiclassical.classical import ClassicalModel
from bpcore.semiclassical.geometry import TwoPathModel
from bpcore.semiclassical.instanton import lattice_instanton, minimum_energy_path
from bpcore.semiclassical.lattice import Lattice


def make_lattice(dim: int, L: int) -> Lattice:
    check_number("dim", dim, minimum=1, maximum=2, integer=True)
    return Lattice.chain(L) if int(dim) == 1 else Lattice.square(L)


# ----------------------------------------------------------------------------------------- Fig. 9
def instanton_point(coupling: str, lam: float, U: float = 0.0, dim: int = 2, L: int = 8, n_images: int = 16,
                    n_random: int = 8, seed: int = 0, inits=("linear", "arc")):
    """One instanton (bipolaron, singlet) between the optimum and its translate by one lattice spacing.

    Returns (one-row DataFrame with the stable columns ``model, lam, U, s_inst_omega_over_t_lam,
    barrier_over_t, n_images, L`` and more; {"path": dV along the path, "configuration": optimum}).
    """
    t0 = time.perf_counter()
    model = ClassicalModel(make_lattice(dim, L), coupling, lam, U=U, n_el=2)
    try:
        res = lattice_instanton(model, n_images=n_images, inits=inits, n_random=n_random, seed=seed, strict=False)
    except ValueError as exc:  # L too small for this coupling: a flagged row, never a number
        if "too small" not in str(exc):
            raise
        row = {"model": coupling, "lattice": model.lattice.name, "d": dim, "L": L, "lam": lam, "U": U, "n_el": 2,
               "n_images": n_images, "s_inst_omega_over_t": np.nan, "s_inst_omega_over_t_lam": np.nan,
               "barrier_over_t": np.nan, "converged": False, "error": str(exc)}
        return pd.DataFrame([row]), {}
    row = res.row()
    row["error"] = "" if res.path.converged else "path not converged: " + res.path.message
    row["inits"] = ";".join(f"{k}:{v[0]:.8g}:{int(v[1])}" for k, v in res.inits_tried.items())
    row["e_free_over_t"] = -4.0 * dim  # two electrons at the band bottom, no distortion
    row["binding_over_t"] = row["e_free_over_t"] - row["e_min_over_t"]
    row["wall_s"] = time.perf_counter() - t0
    p = res.path
    path = pd.DataFrame({"image": np.arange(len(p.energies)), "arc": p.arc, "arc_fraction": p.arc / p.arc[-1],
                         "dV_over_t": p.energies - p.v_star})
    return pd.DataFrame([row]), {"path": path, "configuration": configuration_table(model, res.minimum.x)}


def configuration_table(model: ClassicalModel, x: np.ndarray) -> pd.DataFrame:
    """Displacements and densities of a configuration: one row per bond (bond model) or site."""
    lat = model.lattice
    dens = model.density(x)
    if model.coupling == "bond":
        i, j = lat.bonds[:, 0], lat.bonds[:, 1]
        mid = lat.bond_midpoints()
        df = pd.DataFrame({"kind": "bond", "index": np.arange(lat.n_bonds), "i": i, "j": j,
                           "x": mid[:, 0], "y": mid[:, 1] if lat.d == 2 else 0.0, "displacement": x,
                           "density": 0.5 * (dens[i] + dens[j])})
    else:
        df = pd.DataFrame({"kind": "site", "index": np.arange(lat.n_sites), "i": np.arange(lat.n_sites),
                           "j": np.arange(lat.n_sites), "x": lat.coords[:, 0],
                           "y": lat.coords[:, 1] if lat.d == 2 else 0.0, "displacement": x, "density": dens})
    sites = pd.DataFrame({"kind": "site_density", "index": np.arange(lat.n_sites), "i": np.arange(lat.n_sites),
                          "j": np.arange(lat.n_sites), "x": lat.coords[:, 0],
                          "y": lat.coords[:, 1] if lat.d == 2 else 0.0, "displacement": np.nan, "density": dens})
    return pd.concat([df, sites], ignore_index=True)


def fit_power_law(lam, S, lam_min: float | None = None) -> dict:
    """Fit ``S = A lam^p`` (least squares in log-log) over ``lam >= lam_min``.

    Returns ``p``, its standard error from the fit, and ``p_window``: the spread of p when the
    window drops its lowest or its highest point (a systematic error from the finite-lambda
    corrections); ``p_err`` combines both in quadrature. Needs >= 3 points."""
    lam, S = np.asarray(lam, float), np.asarray(S, float)
    sel = np.isfinite(S) & (S > 0) & (lam >= (lam_min if lam_min is not None else -np.inf))
    lam, S = lam[sel], S[sel]
    if len(lam) < 3:
        raise ValueError("fit_power_law needs at least 3 points in the window")
    order = np.argsort(lam)
    x, y = np.log(lam[order]), np.log(S[order])

    def fit(xx, yy):
        A = np.vstack([xx, np.ones_like(xx)]).T
        coef, res, *_ = np.linalg.lstsq(A, yy, rcond=None)
        dof = len(xx) - 2
        if dof > 0:
            s2 = float(np.sum((yy - A @ coef) ** 2) / dof)
            cov = s2 * np.linalg.inv(A.T @ A)
            err = float(np.sqrt(cov[0, 0]))
        else:
            err = 0.0
        return float(coef[0]), float(np.exp(coef[1])), err

    p, A, err = fit(x, y)
    alts = [fit(x[1:], y[1:])[0], fit(x[:-1], y[:-1])[0]]
    window = float(max(abs(a - p) for a in alts))
    return {"p": p, "A": A, "p_fit_err": err, "p_window": window, "p_err": float(np.hypot(err, window)),
            "lam_min": float(lam.min()), "lam_max": float(lam.max()), "n_points": int(len(lam))}


def fit_power_law_offset(lam, S, lam_min: float | None = None) -> dict:
    """Fit ``S = A lam^p + B`` (relative weights) over ``lam >= lam_min``: the constant ``B`` absorbs the
    leading finite-lambda correction (e.g. S = a sqrt(lam) + b). ``p_fit_err`` from the covariance
    (scaled by the residuals), ``p_window`` the largest change of p when the lowest or the highest point
    is dropped; ``p_err`` both in quadrature. Needs >= 4 points (>= 5 for the window estimate)."""
    import scipy.optimize

    lam, S = np.asarray(lam, float), np.asarray(S, float)
    sel = np.isfinite(S) & (S > 0) & (lam >= (lam_min if lam_min is not None else -np.inf))
    lam, S = lam[sel], S[sel]
    o = np.argsort(lam)
    lam, S = lam[o], S[o]
    if len(lam) < 4:
        raise ValueError("fit_power_law_offset needs at least 4 points in the window")
    f = lambda x, A, p, B: A * x**p + B  # noqa: E731

    def fit(x, y):
        p0 = fit_power_law(x, y)["p"] if len(x) >= 3 else 0.75
        popt, pcov = scipy.optimize.curve_fit(f, x, y, p0=[y[-1] / x[-1] ** p0, p0, 0.0], sigma=y, maxfev=20000)
        return popt, np.sqrt(np.diag(pcov))

    popt, perr = fit(lam, S)
    window = 0.0
    if len(lam) >= 5:
        window = max(abs(fit(lam[1:], S[1:])[0][1] - popt[1]), abs(fit(lam[:-1], S[:-1])[0][1] - popt[1]))
    return {"p": float(popt[1]), "A": float(popt[0]), "B": float(popt[2]), "p_fit_err": float(perr[1]),
            "p_window": float(window), "p_err": float(np.hypot(perr[1], window)),
            "lam_min": float(lam.min()), "lam_max": float(lam.max()), "n_points": int(len(lam))}


def local_exponents(lam, S) -> pd.DataFrame:
    """``d ln S / d ln lam`` between consecutive couplings (at their geometric mean)."""
    lam, S = np.asarray(lam, float), np.asarray(S, float)
    o = np.argsort(lam)
    lam, S = lam[o], S[o]
    return pd.DataFrame({"lam": np.sqrt(lam[1:] * lam[:-1]),
                         "exponent": np.diff(np.log(S)) / np.diff(np.log(lam))})


# ----------------------------------------------------------------------------------------- Fig. 2
def holstein_surface(lam: float, n_el: int, dim: int = 1, L: int = 12, n_points: int = 41, n_images: int = 12):
    """Adiabatic surface of the Holstein polaron (n_el = 1) or bipolaron (n_el = 2) at coupling ``lam``.

    Returns (one-row summary: minimum energy, free energy -2 d n_el, well depth, barrier for moving the
    distortion by one site along the minimum-energy path; {"curve": energy along the self-trapping
    coordinate x = q x* (the optimal distortion scaled by q; ``v0`` its central-site value) and with
    only the central site displaced by v0 ("energy_frozen"), "path": dV along the MEP}).
    Energies in t; v in units of t / g' (so the optimum is v_0 ~ 4 d lambda n_el)."""
    model = ClassicalModel(make_lattice(dim, L), "holstein", lam, n_el=n_el)
    best, _ = model.ground_configuration(n_random=4, seed=0)
    loc = model.localisation(best.x)
    x0 = best.x
    c = int(np.argmax(x0))
    xb = model.translate(x0, (1, 0))
    mep = minimum_energy_path(model.energies_grads, x0, xb, n_images, step=min(1.0, 2 * dim * lam))
    # along the self-trapping coordinate: the optimal distortion scaled by q in [0, 1.3]
    qs = np.linspace(0.0, 1.3, n_points)
    Vq, _ = model.energies_grads(qs[:, None] * x0[None, :])
    curve = pd.DataFrame({"q": qs, "v0": qs * x0[c], "energy_scaled": Vq})
    # frozen: only the central site displaced, by the same v0
    frozen = []
    for v in qs * x0[c]:
        x = np.zeros(model.n_dof)
        x[c] = v
        frozen.append(model.energy(x))
    curve["energy_frozen"] = frozen
    e_free = -2.0 * dim * n_el
    summary = {"model": "holstein", "n_el": n_el, "lam": lam, "dim": dim, "L": L, "e_min_over_t": best.energy,
               "e_free_over_t": e_free, "well_depth_over_t": e_free - best.energy,
               "barrier_over_t": mep.barrier, "mep_converged": mep.converged, "v0_min": float(x0[c]),
               "edge_ratio": loc.get("edge_ratio", np.nan), "participation": loc["participation"]}
    path = pd.DataFrame({"arc_fraction": mep.arc / mep.arc[-1], "dV_over_t": mep.energies - mep.v_star})
    return pd.DataFrame([summary]), {"curve": curve, "path": path}


# ----------------------------------------------------------------------------------------- Fig. 5
def two_path_table(z_min: float = 0.6, z_max: float = 2.4, n_z: int = 400, **params):
    """t(z), dt/dz and (dt/dz)/t of :class:`TwoPathModel` on a grid, plus a one-row summary."""
    check_number("z_min", z_min, minimum=0.0)
    check_number("z_max", z_max, minimum=z_min, strict_min=True)
    check_number("n_z", n_z, minimum=3, integer=True)
    m = TwoPathModel(**params)
    tab = m.table(np.linspace(z_min, z_max, int(n_z)))
    try:
        zc = m.cancellation_height()
    except ValueError:
        zc = np.nan
    summary = pd.DataFrame([{**{k: getattr(m, k) for k in ("a", "t_dd", "v0", "r0", "delta", "eta")},
                             "rho": m.rho_, "z_cancel": zc}])
    return summary, {"curve": tab}


# ----------------------------------------------------------------------------------------- Store plumbing
TOPIC_INSTANTON = "fig09_instanton"
TOPIC_HOLSTEIN = "fig02_holstein_self_trapping"
TOPIC_GEOMETRY = "fig05_bond_peierls_geometry"


def instanton_params(coupling, lam, U=0.0, dim=2, L=8, n_images=16, n_random=8, seed=0):
    """Store key of one instanton (physical + algorithmic parameters)."""
    return {"solver": "string-instanton/trapezoid+L-BFGS", "model": coupling, "lam": float(lam), "U": float(U),
            "dim": int(dim), "L": int(L), "n_images": int(n_images), "n_random": int(n_random), "seed": int(seed),
            "inits": ["linear", "arc"], "tol": 1e-5}


def stored_instantons(points, force: bool = False, store=None, desc: str = "instantons"):
    """Look up (or compute and store) every instanton in ``points`` (dicts of :func:`instanton_params`
    arguments). Returns (results, paths, configurations) DataFrames, each with the key columns."""
    from bpcore.progress import progress
    from bpcore.store import Store

    store = store or Store()
    res, paths, confs = [], [], []
    unique = {}
    for pt in points:  # one entry per key
        unique.setdefault(json.dumps(instanton_params(**pt), sort_keys=True), pt)
    for pt in progress(list(unique.values()), desc=desc):
        key = instanton_params(**pt)
        df = store.get_or_compute(TOPIC_INSTANTON, key, lambda pt=pt: instanton_point(
            pt["coupling"], pt["lam"], pt.get("U", 0.0), pt.get("dim", 2), pt.get("L", 8), pt.get("n_images", 16),
            pt.get("n_random", 8), pt.get("seed", 0)), force=force, seeds=[key["seed"]])
        res.append(df)
        for name, acc in (("path", paths), ("configuration", confs)):
            t = store.load(TOPIC_INSTANTON, key, name)
            if t is not None:
                acc.append(t.assign(model=key["model"], lam=key["lam"], U=key["U"], L=key["L"], n_images=key["n_images"]))
    cat = lambda x: pd.concat(x, ignore_index=True) if x else pd.DataFrame()  # noqa: E731
    return cat(res), cat(paths), cat(confs)


def stored_tables(topic: str, key: dict, compute, extras=(), force: bool = False, store=None):
    """``Store.get_or_compute`` plus the named extra tables (each tagged with the scalar key entries)."""
    from bpcore.store import Store

    store = store or Store()
    df = store.get_or_compute(topic, key, compute, force=force)
    tags = {k: v for k, v in key.items() if isinstance(v, (int, float, str))}
    out = {}
    for name in extras:
        t = store.load(topic, key, name)
        out[name] = t.assign(**{k: v for k, v in tags.items() if k not in t.columns}) if t is not None else None
    return df, out


def stored_holstein(lams, n_els=(1, 2), dim: int = 1, L: int = 12, n_points: int = 41, n_images: int = 12,
                    force: bool = False):
    """Fig. 2 data: :func:`holstein_surface` for every (lambda, n_el), through the Store."""
    from bpcore.progress import progress

    res, curves, paths = [], [], []
    todo = [(lam, n) for lam in lams for n in n_els]
    for lam, n in progress(todo, desc="adiabatic surfaces"):
        key = {"solver": "adiabatic-holstein/L-BFGS+string-MEP", "lam": float(lam), "n_el": int(n), "dim": int(dim),
               "L": int(L), "n_points": int(n_points), "n_images": int(n_images)}
        df, ex = stored_tables(TOPIC_HOLSTEIN, key, lambda lam=lam, n=n: holstein_surface(lam, n, dim, L, n_points, n_images),
                               extras=("curve", "path"), force=force)
        res.append(df)
        curves.append(ex["curve"])
        paths.append(ex["path"])
    return (pd.concat(res, ignore_index=True), pd.concat(curves, ignore_index=True),
            pd.concat(paths, ignore_index=True))


def stored_two_path(force: bool = False, z_min: float = 0.6, z_max: float = 2.4, n_z: int = 400, **params):
    """Fig. 5 data through the Store."""
    key = {"solver": "two-path-tight-binding", "z_min": z_min, "z_max": z_max, "n_z": n_z,
           **{k: float(v) for k, v in params.items()}}
    df, ex = stored_tables(TOPIC_GEOMETRY, key, lambda: two_path_table(z_min, z_max, n_z, **params),
                           extras=("curve",), force=force)
    return df, ex["curve"]
