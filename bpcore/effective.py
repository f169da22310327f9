r"""Antiadiabatic (Ω ≫ t) second-order effective model of one or two electrons, solved exactly.

Derivation
----------
Write the electron–phonon coupling of every model as V = Σ_l B_l (b_l + b†_l) with a
Hermitian electronic operator B_l attached to oscillator l:

    holstein      B_l = g n_l
    site-peierls  B_l = g (K_{l,l+1} − K_{l−1,l})          K_{ij} = Σ_σ (c†_{iσ}c_{jσ} + h.c.)
    bond-peierls  B_{l+1/2} = α K_{l,l+1}

Second-order (Schrieffer–Wolff) elimination of the one-phonon states, with the on-site
Hubbard energy E = U·[double occupancy] kept in the denominators and the bandwidth
neglected there (leading order in t/Ω), gives in the zero-phonon sector

    H_eff = H_el − Σ_l Σ_{i,m,f} |f⟩⟨f|B_l|m⟩⟨m|B_l|i⟩⟨i| · ½ [1/(Ω + E_m − E_i) + 1/(Ω + E_m − E_f)].

:func:`effective_terms` evaluates this sum numerically, process by process; the closed
forms below are what it produces (checked in tests/test_effective.py).

Site-Peierls (B_l² expanded; the cross terms 2(K^↑_{l,l+1} − K^↑_{l−1,l})(K^↓_{l,l+1} − K^↓_{l−1,l}) are
the interaction; shifts and hops quoted at U = 0 unless U appears):

* one electron: ε(k) = −4g²/Ω − 2t cos k + (2g²/Ω) cos 2k, i.e. an energy shift −4g²/Ω and a
  next-nearest-neighbour hopping of amplitude +g²/Ω (opposite sign to the bare −t). With
  λ = 2g²/(tΩ): ε(k) = −2λt − 2t cos k + λt cos 2k, whose minimum leaves k = 0 at λ = 1/2;
* two electrons (↑↓): besides the single-particle terms,
  - pair hopping   −(4g²/(Ω − U)) Σ_j (c†_{j+1↑}c†_{j+1↓}c_{j↓}c_{j↑} + h.c.): the pair on site j
    moves to j+1 when one electron emits a phonon on site j or j+1 while hopping across the
    bond and the other reabsorbs it while crossing the *same* bond (2 oscillators × 2 orders);
  - exchange of a nearest-neighbour pair across its bond, (j↑, j+1↓) → (j+1↑, j↓): −4g²/(Ω + U)
    (the intermediate state has both electrons on one site);
  - correlated hop of a nearest-neighbour pair in the same direction, (j, j+1) → (j+1, j+2):
    +g²[1/Ω + 1/(Ω + U)];
  - splitting of an on-site pair onto the two neighbours, (j, j) → (j−1, j+1) and back:
    +g²[1/Ω + 1/(Ω − U)];
  - U-modified single-particle terms (shift and second-neighbour hop) for an electron that leaves
    or joins a doubly occupied site;
  - the Hubbard U enters through the denominators Ω − U of every process that starts or ends
    with both electrons on one site.
  The review's Eq. (4) writes the pair hopping as −2g²/(Ω − U); counting both oscillators that
  modulate the bond (sites j and j+1) gives twice that, 4g²/(Ω − U) = 2λt·Ω/(Ω − U).

Holstein: B_l = g n_l moves no electron, so every denominator is Ω and
H_eff = H_el − (g²/Ω) N − (2g²/Ω) Σ_l n_l↑ n_l↓: the Hubbard U is simply reduced to
U − 2g²/Ω, and there is no pair hopping at this order. The on-site attraction is 2g²/Ω = 4λ_H t, twice the −g²/Ω quoted in the review; it is
the Lang–Firsov result (pair on one site: −(2g)²/Ω; two separate polarons: −2g²/Ω). The pair
then moves only at second order in t through the broken-pair state, t_pair ~ 2t²/|U_eff|, and
—beyond this order— with the exponential Lang–Firsov reduction: heavy.

Solution
--------
Two electrons on the infinite chain at total momentum K: basis |d⟩ = |x↑ = 0, x↓ = d⟩, |d| ≤ D,
H_eff(K) = Σ_a e^{−iKa} M_a (a = shift of the ↑ electron, |a| ≤ 2), diagonalised exactly for a
relative-coordinate cut-off D (bound states converge exponentially in D; :func:`solve` checks
it by doubling D). Masses from :func:`bpcore.ved.curvature` (same formula as the VED). Units:
t = 1, masses in 1/t (free pair: 1/t).
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from bpcore import ved
from bpcore.profiles import check_number

MODELS = ved.MODELS


def _b_terms(model, g, l, x):
    """B_l acting on one electron at x: list of (new_x, amplitude)."""
    if model == "holstein":
        return [(x, g)] if x == l else []
    if model == "site-peierls":  # g (K_{l,l+1} − K_{l−1,l})
        out = []
        if x == l:
            out += [(l + 1, g), (l - 1, -g)]
        elif x == l + 1:
            out.append((l, g))
        elif x == l - 1:
            out.append((l, -g))
        return out
    # bond-peierls, oscillator l on bond (l, l+1)
    if x == l:
        return [(l + 1, g)]
    if x == l + 1:
        return [(l, g)]
    return []


def _apply_b(model, g, l, pos):
    """B_l on a configuration (tuple of electron positions)."""
    out = []
    for e, x in enumerate(pos):
        for nx, amp in _b_terms(model, g, l, x):
            new = list(pos)
            new[e] = nx
            out.append((tuple(new), amp))
    return out


def _energy(pos, U):
    return U if len(pos) == 2 and pos[0] == pos[1] else 0.0


def effective_terms(model: str, electrons: int, omega: float, g: float, t: float = 1.0,
                    U: float = 0.0, d: int = 0) -> dict:
    """Matrix elements of H_eff out of the configuration (x↑ = 0, x↓ = d):
    {((x↑', x↓'),): amplitude}, keyed by the final positions (not re-centred)."""
    pos = (0,) if electrons == 1 else (0, d)
    Ei = _energy(pos, U)
    out = defaultdict(float)
    # bare hopping and U
    for e, x in enumerate(pos):
        for delta in (1, -1):
            new = list(pos)
            new[e] = x + delta
            out[tuple(new)] += -t
    out[pos] += Ei
    lo, hi = min(pos) - 2, max(pos) + 2
    for l in range(lo, hi + 1):
        for m, a1 in _apply_b(model, g, l, pos):
            Em = _energy(m, U)
            for f, a2 in _apply_b(model, g, l, m):
                Ef = _energy(f, U)
                den = 0.5 * (1.0 / (omega + Em - Ei) + 1.0 / (omega + Em - Ef))
                out[f] += -a1 * a2 * den
    return {k: v for k, v in out.items() if v != 0.0}


def matrices(model: str, electrons: int, omega: float, g: float, t: float = 1.0, U: float = 0.0,
             D: int = 200) -> tuple[dict, np.ndarray]:
    """M_a of H_eff(K) = Σ_a e^{−iKa} M_a on |d| ≤ D (one state for one electron); returns (M, d)."""
    if electrons == 1:
        ds = np.array([0])
    else:
        ds = np.arange(-D, D + 1)
    index = {int(v): i for i, v in enumerate(ds)}
    trip = defaultdict(lambda: ([], [], []))
    for i, d0 in enumerate(ds):
        for f, amp in effective_terms(model, electrons, omega, g, t, U, int(d0)).items():
            a = f[0]  # shift of the ↑ electron
            nd = (f[1] - f[0]) if electrons == 2 else 0
            j = index.get(nd)
            if j is None:
                continue
            r, c, v = trip[a]
            r.append(j)
            c.append(i)
            v.append(amp)
    n = len(ds)
    M = {a: sp.csr_matrix((v, (r, c)), shape=(n, n)) for a, (r, c, v) in trip.items()}
    return M, ds


def polaron_dispersion(model: str, omega: float, g: float, t: float, k) -> np.ndarray:
    """ε(k) of one electron in the effective model."""
    M, _ = matrices(model, 1, omega, g, t, 0.0)
    k = np.asarray(k, dtype=float)
    return sum(m.toarray()[0, 0] * np.cos(k * a) for a, m in M.items()) + 0.0 * k


def polaron_minimum(model: str, omega: float, g: float, t: float = 1.0) -> tuple[float, float]:
    """(k_min, ε_min) of the effective one-electron band on [0, π]."""
    ks = np.linspace(0.0, math.pi, 20001)
    e = polaron_dispersion(model, omega, g, t, ks)
    i = int(np.argmin(e))
    return float(ks[i]), float(e[i])


def solve(model: str, omega: float, lam: float | None = None, *, t: float = 1.0, U: float = 0.0,
          K: float = 0.0, g: float | None = None, D: int = 200, check_D: bool = True) -> dict:
    """Bipolaron of the effective model at total momentum K: energy, mass (1/t units), binding
    Δ = 2ε_min − E (> 0: bound), r2 = ⟨d²⟩, and the change of E under D → 2D (``dE_D``)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    check_number("omega", omega, minimum=0.0, strict_min=True)
    check_number("t", t, minimum=0.0)
    check_number("U", U)
    check_number("K", K, minimum=-math.pi - 1e-12, maximum=math.pi + 1e-12)
    check_number("D", D, minimum=2, integer=True)
    if g is None:
        if lam is None:
            raise ValueError("lam (or the bare coupling g) must be given")
        check_number("lam", lam, minimum=0.0)
        g = ved.coupling(model, lam, t, omega)
    else:
        check_number("g", g, minimum=0.0)
        lam = ved.lam_from_coupling(model, g, t, omega)
    if abs(omega - U) < 1e-9:
        raise ValueError(f"U={U} equals omega={omega}: the second-order denominators Ω − U vanish")

    def one(DD):
        M, ds = matrices(model, 2, omega, g, t, U, int(DD))
        E, psi = ved.ground_state(M, K)
        c = ved.curvature(M, psi, E, K)
        p = np.abs(psi) ** 2
        return E, c, float(p @ (ds * ds)), float(p[np.abs(ds) > 0.9 * DD].sum())

    E, c, r2, tail = one(D)
    dE = abs(one(2 * D)[0] - E) if check_D else float("nan")
    kmin, emin = polaron_minimum(model, omega, g, t)
    return {"model": model, "omega": float(omega), "lam": lam, "g": float(g), "t": float(t),
            "U": float(U), "K": float(K), "D": int(D), "energy": E, "curvature": c,
            "mass": 1.0 / c if c != 0 else float("inf"), "r2": r2, "binding": 2 * emin - E,
            "polaron_energy": emin, "polaron_kmin": kmin, "dE_D": dE, "w_edge": tail}


def pair_hopping(model: str, omega: float, g: float, U: float = 0.0) -> float:
    """Amplitude of |j, j⟩ → |j+1, j+1⟩ in H_eff (site-Peierls: −4g²/(Ω − U); Holstein: 0)."""
    return effective_terms(model, 2, omega, g, 1.0, U, 0).get((1, 1), 0.0)


def fig04_point(lam: float, omega: float, U: float = 0.0, generations=(7, 8, 9), t: float = 1.0,
                model: str = "site-peierls", D: int = 200):
    """VED bipolaron (K = 0, convergence in generations) against the effective model at one
    (λ, Ω, U). Returns ``(row, {"convergence": table})`` DataFrames (the Store's format)."""
    import pandas as pd
    from threadpoolctl import threadpool_limits

    gens = sorted(int(G) for G in generations)
    with threadpool_limits(limits=1):
        return _fig04_point(lam, omega, U, gens, t, model, D, pd)


def _fig04_point(lam, omega, U, gens, t, model, D, pd):
    conv = []
    for G in gens:
        r = ved.solve(model, 2, omega, lam, t=t, U=U, generations=G)
        conv.append({k: r[k] for k in ("generations", "n_states", "energy", "mass", "r2", "n_ph", "z",
                                       "w_last_generation", "build_seconds", "solve_seconds")})
    eff = solve(model, omega, lam, t=t, U=U, D=D)
    last, prev = conv[-1], conv[-2]
    row = {"model": model, "lam": float(lam), "omega": float(omega), "U": float(U), "t": float(t),
           "generations": last["generations"], "n_states": last["n_states"],
           "E_ved": last["energy"], "mass_ved": last["mass"], "r2_ved": last["r2"], "n_ph": last["n_ph"],
           "dE_ved": abs(last["energy"] - prev["energy"]),
           "mass_change": abs(last["mass"] - prev["mass"]) / abs(last["mass"]),
           "E_eff": eff["energy"], "mass_eff": eff["mass"], "r2_eff": eff["r2"], "binding_eff": eff["binding"],
           "pair_hopping_eff": pair_hopping(model, omega, eff["g"], U)}
    return pd.DataFrame([row]), {"convergence": pd.DataFrame(conv)}


def antiadiabatic_mass_curve(model: str, lams, U: float = 0.0, omega: float = 1e4, t: float = 1.0,
                             D: int = 200):
    """Effective-model bipolaron mass and binding vs λ deep in the antiadiabatic limit (Ω/t = ``omega``)."""
    import pandas as pd

    rows = []
    for lam in lams:
        r = solve(model, omega, float(lam), t=t, U=U, D=D)
        rows.append({k: r[k] for k in ("model", "lam", "U", "omega", "energy", "mass", "binding", "r2",
                                       "polaron_energy", "polaron_kmin")})
    return pd.DataFrame(rows)


def draw_pair_hopping_schematic(ax) -> None:
    """Matplotlib sketch of the second-order pair hop: ↑ hops j → i emitting a phonon, ↓ hops j → i
    absorbing it (three snapshots, top to bottom)."""
    import numpy as np

    ax.set_xlim(-0.6, 3.2)
    ax.set_ylim(-0.5, 3.3)
    ax.axis("off")
    snaps = [("1. pair on site j", ["", "ud"], False),
             ("2. virtual state: one phonon, cost Ω − U", ["u", "d"], True),
             ("3. pair on site i", ["ud", ""], False)]
    xs = [0.6, 2.0]
    for k, (title, occ, phonon) in enumerate(snaps):
        y = 2.8 - 1.25 * k
        ax.text(-0.55, y + 0.42, title, fontsize=8, va="bottom")
        ax.plot([xs[0] - 0.5, xs[1] + 0.5], [y, y], color="0.6", lw=0.8)
        for x, name, o in zip(xs, ("i", "j"), occ):
            ax.add_patch(__import__("matplotlib").patches.Circle((x, y), 0.09, color="0.3"))
            ax.text(x, y - 0.3, name, ha="center", fontsize=8)
            if "u" in o:
                ax.annotate("", xy=(x - 0.07, y + 0.38), xytext=(x - 0.07, y + 0.1),
                            arrowprops=dict(arrowstyle="-|>", color="C0", lw=1.5))
            if "d" in o:
                ax.annotate("", xy=(x + 0.07, y + 0.1), xytext=(x + 0.07, y + 0.38),
                            arrowprops=dict(arrowstyle="-|>", color="C3", lw=1.5))
        if phonon:
            s = np.linspace(0, 1, 200)
            ax.plot(xs[0] + (xs[1] - xs[0]) * s, y + 0.2 + 0.06 * np.sin(2 * np.pi * 6 * s), color="C2", lw=1.2)
            ax.text(2.55, y + 0.1, "phonon", color="C2", fontsize=7)
        if k < 2:
            ax.annotate("", xy=(1.3, y - 0.75), xytext=(1.3, y - 0.38),
                        arrowprops=dict(arrowstyle="->", color="0.2"))
            ax.text(1.4, y - 0.62, ["↑ hops j→i, emits a phonon (g)", "↓ hops j→i, absorbs it (g)"][k], fontsize=7)
