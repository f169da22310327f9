"""Variational exact diagonalisation (VED) of one or two electrons with phonons on the infinite 1D chain.

Method (Bonča, Trugman & Batistić, PRB 60, 1633 (1999); Bonča, Katrašnik &
Trugman, PRL 84, 3153 (2000) for bipolarons)
--------------------------------------------------------------------------
The variational space is grown from a seed state (electron(s) at the origin,
no phonons) by applying the off-diagonal part of H repeatedly: generation
``n`` holds every state first reached after ``n`` applications. Translation
invariance is used exactly: a basis state ``c`` stands for the Bloch sum

    |c, K⟩ = N^{-1/2} Σ_R e^{iKR} T_R |c⟩ ,

where ``c`` is a *canonical* configuration with the (spin-up) electron at site
0: ``c = (d, phonons)`` with ``d = x↓ − x↑`` the relative coordinate (0 for one
electron) and ``phonons`` a sorted tuple of ``(site − x↑, n)``. If ``H|c⟩``
contains ``h · T_a|c'⟩`` then ``H_K[c', c] += h e^{-iKa}``; since a single term
of H moves an electron by at most one site, ``a ∈ {−1, 0, +1}`` and

    H(K) = M_0 + e^{-iK} M_+ + e^{+iK} M_- ,    M_- = M_+ᵀ .

The same basis serves every K, so E(K), its derivatives and the mass come from
one basis. The basis of ``G`` generations is variational (energies are upper
bounds that decrease with ``G``); convergence in ``G`` is checked explicitly
(:func:`convergence`).

Model (units t = 1 unless ``t`` is given; ħ = k_B = 1; lattice constant 1)
-----------------------------------------------------------------------
    H = −t Σ_{iσ} (c†_{i+1σ} c_{iσ} + h.c.) + U Σ_i n_{i↑} n_{i↓} + Ω Σ_m b†_m b_m + V

    holstein      V = g Σ_i n_i X_i ,                                  λ_H  = g²/(2tΩ)
    site-peierls  V = g Σ_{iσ} (c†_{iσ}c_{i+1σ} + h.c.)(X_i − X_{i+1}),  λ_sP = 2g²/(tΩ)
    bond-peierls  V = α Σ_{iσ} (c†_{iσ}c_{i+1σ} + h.c.) X_{i+1/2},       λ_bP = α²/(tΩ)

with ``X = b + b†``. The site-Peierls convention (and its λ) is that of
Marchand et al., PRL 105, 266605 (2010) and Sous et al., PRL 121, 247001
(2018); bond-Peierls is review Eq. (5) in d = 1 (bond oscillator ``i+1/2`` is
stored under its left site ``i``). The signs of g and α are gauge choices
(X → −X). ``g`` in the API is the bare coupling (g or α).

Two electrons are one ↑ and one ↓ (distinguishable, no fermion signs). H is
symmetric under exchanging the spin labels and its ground state is the
exchange-symmetric (singlet) state, so the bipolaron is the lowest eigenstate.

Mass
----
``mass`` is ``[∂²E/∂K²]^{-1}`` in units of 1/t (a free electron has 1/(2t),
a free pair 1/t), computed at the requested K *analytically* for the given
basis by second-order perturbation theory in δK,

    ∂²E/∂K² = ⟨ψ|H''|ψ⟩ − 2 ⟨H'ψ| Q (H − E)^{-1} Q |H'ψ⟩ ,

(Q projects out ψ; solved by conjugate gradients), which stays accurate for
very heavy particles where finite differences of E(K) would lose all digits.
:func:`mass_finite_difference` is the independent check. Whether K = 0 is the
band minimum is checked by :func:`band_minimum` (site-Peierls polarons move
their minimum away from K = 0 beyond λ_c ≈ 0.5–0.6 in the antiadiabatic regime).

Observables: ``energy``; ``mass``; ``z`` (weight of the zero-phonon states: the
quasiparticle residue for one electron); ``n_ph`` (mean phonon number); ``r2``
= ⟨(x↑ − x↓)²⟩ (two electrons; 0 for one).

Basis sizes (states after G generations; building costs ~30 µs per state in pure Python, one
eigenpair + mass of the largest ones below ~1 min on one core):

    Holstein, 1 electron     G = 12: 10 391     G = 14: 43 310   (E of Bonča et al. to 3e-12)
    Holstein, 2 electrons    G = 12: 31 064     G = 14: 130 843     G = 16: 542 591
    site-Peierls, 2 el.      G = 8: 42 608      G = 9: 129 408      G = 10: 386 818   G = 11: ~1.16 M
    bond-Peierls, 2 el.      G = 11: 129 569

Memory: each basis state costs roughly ``BYTES_PER_STATE`` bytes while the
Hamiltonian is built (Python dictionary + sparse matrices + Lanczos vectors).
Before a generation is built its size is projected from the growth of the
previous ones; a projection above ``max_states`` (default from a 3 GB budget)
raises ``ValueError`` naming ``generations``.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from bpcore.profiles import check_number

MODELS = ("holstein", "site-peierls", "bond-peierls")
BYTES_PER_STATE = 1000
MEMORY_BUDGET_BYTES = 3 * 1024**3
MAX_STATES = MEMORY_BUDGET_BYTES // BYTES_PER_STATE
DEFAULT_GENERATIONS = {1: 16, 2: 14}


# --------------------------------------------------------------------------- parameters
def coupling(model: str, lam: float, t: float = 1.0, omega: float = 1.0) -> float:
    """Bare coupling (g or α) from the dimensionless λ of ``model`` (conventions above)."""
    _check_model(model)
    check_number("lam", lam, minimum=0.0)
    if model == "holstein":
        return math.sqrt(2.0 * t * omega * lam)
    if model == "site-peierls":
        return math.sqrt(lam * t * omega / 2.0)
    return math.sqrt(lam * t * omega)


def lam_from_coupling(model: str, g: float, t: float = 1.0, omega: float = 1.0) -> float:
    """Inverse of :func:`coupling` (NaN for t = 0)."""
    _check_model(model)
    if t == 0:
        return float("nan")
    return {"holstein": g * g / (2 * t * omega), "site-peierls": 2 * g * g / (t * omega),
            "bond-peierls": g * g / (t * omega)}[model]


def _check_model(model):
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")


def _check_common(model, electrons, t, omega, U, K, generations, max_states):
    _check_model(model)
    if electrons not in (1, 2) or isinstance(electrons, bool):
        raise ValueError(f"electrons must be 1 or 2, got {electrons!r}")
    check_number("t", t, minimum=0.0)
    check_number("omega", omega, minimum=0.0, strict_min=True)
    check_number("U", U)
    check_number("K", K, minimum=-math.pi - 1e-12, maximum=math.pi + 1e-12)
    check_number("generations", generations, minimum=0, integer=True)
    check_number("max_states", max_states, minimum=1, integer=True)


# --------------------------------------------------------------------------- basis
@dataclass
class Basis:
    """Topology of a VED basis: canonical states and the coupling-free pieces of H.

    H(K) = t·T(K) + g·V(K) + Ω·diag(n_ph) + U·diag(d == 0), with T(K) = Σ_a e^{-iKa} T_a and
    likewise V. The set of states reached from the seed does not depend on the (non-zero)
    values of t, g, Ω, U, so one basis serves a whole scan of couplings, frequencies and U
    (it is built with t = g = 1 and cached by :func:`get_basis`).
    """
    model: str
    electrons: int
    generations: int
    states: list
    generation: np.ndarray
    T: dict
    V: dict
    nph: np.ndarray
    docc: np.ndarray
    d: np.ndarray
    build_seconds: float = 0.0

    @property
    def size(self) -> int:
        return len(self.states)

    def matrices(self, t: float, g: float, omega: float, U: float = 0.0) -> dict:
        """M_a (a = −1, 0, +1) of H(K) = Σ_a e^{-iKa} M_a for the given parameters."""
        diag = omega * self.nph + (U * self.docc if self.electrons == 2 else 0.0)
        M = {}
        for a in (-1, 0, 1):
            m = self.T[a] * t + self.V[a] * g
            if a == 0:
                m = m + sp.diags(diag)
            M[a] = m.tocsr()
        return M


def _combine(M, K, deriv=0):
    """Σ_a (−ia)^deriv e^{-iKa} M_a (the K-derivatives of H(K)); real when every coefficient is."""
    coef = {a: complex(math.cos(K * a), -math.sin(K * a)) * (-1j * a) ** deriv for a in M}
    if all(abs(c.imag) < 1e-15 for c in coef.values()):
        coef = {a: c.real for a, c in coef.items()}
    out = None
    for a, m in M.items():
        if coef[a] == 0:
            continue
        term = m * coef[a]
        out = term if out is None else out + term
    if out is None:
        n = next(iter(M.values())).shape[0]
        return sp.csr_matrix((n, n))
    return out.tocsr()


_SQRT = [math.sqrt(n) for n in range(2048)]


def _x_terms(ph, site, amp):
    """amp·X_site applied to the sorted phonon tuple ph: list of (new_ph, amplitude)."""
    for k, (s, n) in enumerate(ph):
        if s == site:
            up = ph[:k] + ((s, n + 1),) + ph[k + 1:]
            dn = ph[:k] + ((s, n - 1),) + ph[k + 1:] if n > 1 else ph[:k] + ph[k + 1:]
            return [(up, amp * _SQRT[n + 1]), (dn, amp * _SQRT[n])]
        if s > site:
            return [(ph[:k] + ((site, 1),) + ph[k:], amp)]
    return [(ph + ((site, 1),), amp)]


def _neighbours(model, electrons, c, hopping=True, phonons=True):
    """Off-diagonal terms of H|c⟩ at t = g = 1: list of (c', amp, shift a, kind) with kind 0 = hopping
    (coefficient t) and 1 = electron–phonon (coefficient g); H|c⟩ ⊃ amp·T_a|c'⟩."""
    d, ph = c
    out = []
    positions = (0,) if electrons == 1 else (0, d)
    for e, x in enumerate(positions):
        if model == "holstein" and phonons:
            for p, amp in _x_terms(ph, x, 1.0):
                out.append(((d, p), amp, 0, 1))
        for delta in (1, -1):
            tmp = [(ph, -1.0, 0)] if hopping else []
            if not phonons:
                pass
            elif model == "site-peierls":  # g·δ·(X_x − X_{x+δ}) with the hop x → x+δ
                tmp += [(p, a, 1) for p, a in _x_terms(ph, x, float(delta))]
                tmp += [(p, a, 1) for p, a in _x_terms(ph, x + delta, -float(delta))]
            elif model == "bond-peierls":  # α·X_{bond} with the hop across that bond
                tmp += [(p, a, 1) for p, a in _x_terms(ph, min(x, x + delta), 1.0)]
            if e == 0:  # the reference (↑) electron moves: re-centre on it
                nd = d - delta if electrons == 2 else 0
                for p, amp, kind in tmp:
                    out.append(((nd, tuple((s - delta, n) for s, n in p)), amp, delta, kind))
            else:
                for p, amp, kind in tmp:
                    out.append(((d + delta, p), amp, 0, kind))
    return out


def seed_state(electrons: int):
    """Electron(s) at the origin (d = 0), no phonons."""
    return (0, ())


def build_basis(model: str, electrons: int, generations: int | None = None, max_states: int = MAX_STATES,
                seeds=None, progress: bool = False, hopping: bool = True, phonons: bool = True) -> Basis:
    """Grow the VED basis for ``generations`` generations and assemble T_a, V_a (module docstring).

    ``hopping=False`` / ``phonons=False`` leave the bare hopping / the electron–phonon term out of
    the growth (for the exact limits t = 0 and g = 0, whose bases are then much smaller).
    ``seeds``: canonical configurations to start from (default: :func:`seed_state`). Before each
    generation (from the 4th on) the final size is projected from the last growth ratio; a
    projection above ``max_states`` raises ValueError naming ``generations``.
    """
    _check_model(model)
    if generations is None:
        generations = DEFAULT_GENERATIONS.get(electrons, 14)
    _check_common(model, electrons, 1.0, 1.0, 0.0, 0.0, generations, max_states)
    generations = int(generations)
    t0 = time.perf_counter()
    seeds = list(seeds) if seeds else [seed_state(electrons)]
    index, states, gen = {}, [], []
    for s in seeds:
        if s not in index:
            index[s] = len(states)
            states.append(s)
            gen.append(0)
    rows, cols, vals, shifts, kinds = [], [], [], [], []
    frontier = list(states)
    sizes = [len(states)]

    def visit(s, grow, g_now, new):
        i = index[s]
        for s2, amp, sh, kind in _neighbours(model, electrons, s, hopping, phonons):
            j = index.get(s2)
            if j is None:
                if not grow:
                    continue
                j = len(states)
                index[s2] = j
                states.append(s2)
                gen.append(g_now)
                new.append(s2)
            rows.append(j)
            cols.append(i)
            vals.append(amp)
            shifts.append(sh)
            kinds.append(kind)

    it = range(1, generations + 1)
    if progress:
        from bpcore.progress import progress as _p
        it = _p(it, desc=f"VED {model} {electrons}e basis")
    for gnow in it:
        if len(sizes) >= 5 and sizes[-2] > 0:  # early ratios are erratic; project from gen. 4 on
            r = max(sizes[-1] / sizes[-2], 1.0)
            remaining = generations - gnow + 1
            proj = len(states) + sizes[-1] * sum(r**k for k in range(1, remaining + 1))
            if proj > max_states:
                raise ValueError(
                    f"generations={generations} would need about {proj:.3g} basis states "
                    f"(> max_states={max_states}, ~{BYTES_PER_STATE} bytes each); lower generations")
        new = []
        for s in frontier:
            visit(s, True, gnow, new)
        frontier = new
        sizes.append(len(new))
        if len(states) > max_states:
            raise ValueError(f"generations={generations}: basis exceeded max_states={max_states}")
    for s in frontier:  # the last generation: matrix elements inside the basis only
        visit(s, False, generations, None)
    n = len(states)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    vals = np.asarray(vals, dtype=float)
    shifts = np.asarray(shifts, dtype=np.int8)
    kinds = np.asarray(kinds, dtype=np.int8)
    del index
    T, V = {}, {}
    for a in (-1, 0, 1):
        for kind, store in ((0, T), (1, V)):
            sel = (shifts == a) & (kinds == kind)
            m = sp.coo_matrix((vals[sel], (rows[sel], cols[sel])), shape=(n, n)).tocsr()
            m.sum_duplicates()
            store[a] = m
    d = np.fromiter((s[0] for s in states), dtype=float, count=n)
    nph = np.fromiter((sum(k for _, k in s[1]) for s in states), dtype=float, count=n)
    return Basis(model, electrons, generations, states, np.asarray(gen, dtype=np.int16), T, V, nph,
                 (d == 0).astype(float), d, time.perf_counter() - t0)


_CACHE: dict = {}


def get_basis(model: str, electrons: int, generations: int, max_states: int = MAX_STATES) -> Basis:
    """:func:`build_basis` with a small in-process cache (the last few bases are kept)."""
    key = (model, int(electrons), int(generations))
    if key not in _CACHE:
        b = build_basis(model, electrons, generations, max_states=max_states)
        while len(_CACHE) >= 6:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = b
    return _CACHE[key]


# --------------------------------------------------------------------------- solving
def ground_state(M: dict, K: float = 0.0, tol: float = 1e-12):
    """Lowest eigenpair (E, ψ) of H(K) = Σ_a e^{-iKa} M_a."""
    H = _combine(M, K)
    n = H.shape[0]
    if n <= 400:
        w, v = np.linalg.eigh(H.toarray())
        return float(w[0]), v[:, 0]
    v0 = np.ones(n, dtype=H.dtype) * 1e-3
    v0[0] = 1.0
    w, v = spla.eigsh(H, k=1, which="SA", v0=v0, tol=tol, ncv=min(n, 40), maxiter=100000)
    return float(w[0]), v[:, 0]


def curvature(M: dict, psi: np.ndarray, E0: float, K: float = 0.0, rtol: float = 1e-10) -> float:
    """∂²E/∂K² of the (non-degenerate) eigenvalue E0, eigenvector ψ, of H(K) = Σ_a e^{-iKa} M_a:
    ⟨ψ|H''|ψ⟩ − 2⟨H'ψ|Q(H − E0)^{-1}Q|H'ψ⟩, the linear system solved by conjugate gradients
    on (H − E0 + |ψ⟩⟨ψ|), which is positive definite when E0 is the lowest eigenvalue."""
    H = _combine(M, K)
    H1 = _combine(M, K, deriv=1)
    H2 = _combine(M, K, deriv=2)
    psi = np.asarray(psi)
    psi = psi / np.linalg.norm(psi)
    first = float(np.real(np.vdot(psi, H2 @ psi)))
    w = H1 @ psi
    w = w - psi * np.vdot(psi, w)
    if np.linalg.norm(w) < 1e-14:
        return first
    n = H.shape[0]
    if n <= 400:
        A = H.toarray() - E0 * np.eye(n) + np.outer(psi, psi.conj())
        x = np.linalg.solve(A, w)
    else:
        dtype = np.result_type(H.dtype, w.dtype, psi.dtype)
        op = spla.LinearOperator(H.shape, matvec=lambda x: H @ x - E0 * x + psi * np.vdot(psi, x),
                                 dtype=dtype)
        x, info = spla.cg(op, w, rtol=rtol, atol=0.0, maxiter=50 * n)
        if info != 0:
            raise RuntimeError(f"curvature: conjugate gradients did not converge (info={info})")
    return first - 2.0 * float(np.real(np.vdot(w, x)))


def observables(basis: Basis, psi: np.ndarray) -> dict:
    """z (zero-phonon weight), n_ph, r2 = ⟨d²⟩ and the weight on the last generation."""
    p = np.abs(psi) ** 2
    p = p / p.sum()
    return {"z": float(p[basis.nph == 0].sum()), "n_ph": float(p @ basis.nph),
            "r2": float(p @ (basis.d * basis.d)) if basis.electrons == 2 else 0.0,
            "w_last_generation": float(p[basis.generation == basis.generations].sum())}


def mass_finite_difference(M: dict, K: float = 0.0, dK: float = 1e-2) -> float:
    """Independent check of the mass: dK² / [E(K+dK) − 2E(K) + E(K−dK)]."""
    e = [ground_state(M, K + s * dK)[0] for s in (-1, 0, 1)]
    return dK**2 / (e[0] - 2 * e[1] + e[2])


def _resolve_g(model, lam, g, t, omega):
    if g is None:
        if lam is None:
            raise ValueError("lam (or the bare coupling g) must be given")
        check_number("lam", lam, minimum=0.0)
        return coupling(model, lam, t, omega), float(lam)
    check_number("g", g, minimum=0.0)
    return float(g), lam_from_coupling(model, g, t, omega)


def solve(model: str, electrons: int, omega: float, lam: float | None = None, *, t: float = 1.0,
          U: float = 0.0, K: float = 0.0, generations: int | None = None, g: float | None = None,
          mass: bool = True, max_states: int = MAX_STATES, basis: Basis | None = None) -> dict:
    """One VED point at total momentum K: energy, mass (1/t units; ∞ when flat), curvature,
    z, n_ph, r2, basis size and timings, as a flat JSON-serialisable dict.

    Give the coupling as ``lam`` (project conventions) or as the bare ``g`` (needed when t = 0).
    """
    _check_model(model)
    if generations is None:
        generations = DEFAULT_GENERATIONS.get(electrons, 14)
    _check_common(model, electrons, t, omega, U, K, generations, max_states)
    gg, lam = _resolve_g(model, lam, g, t, omega)
    if basis is None:
        basis = get_basis(model, electrons, generations, max_states=max_states)
    elif (basis.model, basis.electrons) != (model, electrons):
        raise ValueError("basis was built for another model or electron number")
    t0 = time.perf_counter()
    M = basis.matrices(t, gg, omega, U)
    E, psi = ground_state(M, K)
    out = {"model": model, "electrons": electrons, "t": float(t), "omega": float(omega), "lam": lam,
           "g": gg, "U": float(U), "K": float(K), "generations": int(basis.generations),
           "n_states": basis.size, "energy": E}
    if mass:
        c = curvature(M, psi, E, K)
        out["curvature"] = c
        out["mass"] = 1.0 / c if abs(c) > 1e-300 else float("inf")
    out.update(observables(basis, psi))
    out["build_seconds"] = basis.build_seconds
    out["solve_seconds"] = time.perf_counter() - t0
    return out


def dispersion(M: dict, Ks) -> np.ndarray:
    """Lowest eigenvalue E(K) for each K."""
    return np.array([ground_state(M, float(k))[0] for k in Ks])


def band_minimum(M: dict, n_k: int = 9, refine: bool = True) -> tuple[float, float]:
    """(K_min, E_min) of the lowest band over [0, π] (E(K) = E(−K)): a grid of ``n_k`` points,
    refined by a bounded scalar minimisation around the best grid point."""
    ks = np.linspace(0.0, math.pi, n_k)
    es = dispersion(M, ks)
    i = int(np.argmin(es))
    if not refine or i == 0 or i == n_k - 1:  # K = 0, π are extrema by symmetry (E(K) = E(−K))
        return float(ks[i]), float(es[i])
    from scipy.optimize import minimize_scalar

    lo, hi = ks[max(i - 1, 0)], ks[min(i + 1, n_k - 1)]
    r = minimize_scalar(lambda k: ground_state(M, float(k))[0], bounds=(lo, hi), method="bounded",
                        options={"xatol": 1e-5})
    if r.fun < es[i] - 1e-11 * (1 + abs(es[i])):
        return float(r.x), float(r.fun)
    return float(ks[i]), float(es[i])


def convergence(model: str, electrons: int, omega: float, lam: float | None = None, *,
                generations_list=(6, 8, 10, 12), t: float = 1.0, U: float = 0.0, K: float = 0.0,
                g: float | None = None, mass: bool = True, max_states: int = MAX_STATES) -> list[dict]:
    """:func:`solve` for increasing generation counts (the convergence table)."""
    return [solve(model, electrons, omega, lam, t=t, U=U, K=K, generations=G, g=g, mass=mass,
                  max_states=max_states) for G in generations_list]


# --------------------------------------------------------------------------- figure points
def point_params(model: str, omega: float, lam: float, U: float = 0.0, generations=(8, 9, 10),
                 polaron_generations: int = 12, t: float = 1.0, n_k: int = 3) -> dict:
    """Canonical Store key of one :func:`bipolaron_point` (physical + algorithmic parameters)."""
    _check_model(model)
    gens = sorted(int(check_number("generations", G, minimum=1, integer=True)) for G in generations)
    if len(gens) < 2:
        raise ValueError("generations must list at least two values (convergence check)")
    check_number("lam", lam, minimum=0.0)
    check_number("omega", omega, minimum=0.0, strict_min=True)
    check_number("U", U)
    check_number("polaron_generations", polaron_generations, minimum=1, integer=True)
    check_number("n_k", n_k, minimum=2, integer=True)
    return {"model": model, "omega": float(omega), "lam": float(lam), "U": float(U), "t": float(t),
            "generations": gens, "polaron_generations": int(polaron_generations), "n_k": int(n_k)}


def bipolaron_point(model: str, omega: float, lam: float, U: float = 0.0, generations=(8, 9, 10),
                    polaron_generations: int = 12, t: float = 1.0, n_k: int = 3, mass_tol: float = 0.02):
    """Bipolaron (K = 0) and polaron (band minimum) at one (model, Ω, λ, U), with its convergence table.

    Returns ``(row, {"convergence": table})`` as pandas DataFrames (the Store's format):

    * ``row``: energy ``E_BP``, ``mass_BP`` (1/t units), ``m_ratio`` = m*_BP/(2 m_e) = t·m*_BP,
      ``r2``, ``n_ph``, ``z`` of the largest basis; polaron ``E_P`` (minimum over K, at ``k_P``)
      and ``mass_P`` (at K = 0); binding ``Delta`` = 2E_P − E_BP; ``bound`` = Δ larger than twice
      the last change of E_BP and E_P with the basis; ``mass_change`` = relative change of the mass
      between the last two generation counts and ``converged`` = mass_change < ``mass_tol``;
      ``min_at_zero``: E_BP(K) > E_BP(0) on ``n_k − 1`` further K in (0, π] (smallest basis) and
      positive curvature at K = 0.
    * ``convergence``: one line per generation count (E, mass, r2, n_ph, z, weight on the last
      generation, basis size, seconds).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # small dense problems: BLAS threads only contend
        return _bipolaron_point(model, omega, lam, U, generations, polaron_generations, t, n_k, mass_tol)


def _bipolaron_point(model, omega, lam, U, generations, polaron_generations, t, n_k, mass_tol):
    import pandas as pd

    p = point_params(model, omega, lam, U, generations, polaron_generations, t, n_k)
    g = coupling(model, lam, t, omega)
    conv = []
    for G in p["generations"]:
        r = solve(model, 2, omega, lam, t=t, U=U, generations=G)
        conv.append({"kind": "bipolaron", **{k: r[k] for k in ("generations", "n_states", "energy", "mass",
                     "r2", "n_ph", "z", "w_last_generation", "build_seconds", "solve_seconds")}})
    pol = []
    for G in (p["polaron_generations"] - 2, p["polaron_generations"]):
        bp = get_basis(model, 1, G)
        Mp = bp.matrices(t, g, omega)
        kP, EP = band_minimum(Mp, n_k=9)
        rp = solve(model, 1, omega, lam, t=t, basis=bp)
        pol.append((kP, EP, rp))
        conv.append({"kind": "polaron", "generations": G, "n_states": bp.size, "energy": EP,
                     "mass": rp["mass"], "r2": 0.0, "n_ph": rp["n_ph"], "z": rp["z"],
                     "w_last_generation": rp["w_last_generation"], "build_seconds": bp.build_seconds,
                     "solve_seconds": rp["solve_seconds"], "k_min": kP})
    b0 = get_basis(model, 2, p["generations"][0])
    M0 = b0.matrices(t, g, omega, U)
    e_k = dispersion(M0, np.linspace(0.0, math.pi, n_k)[1:])
    last, prev = conv[len(p["generations"]) - 1], conv[len(p["generations"]) - 2]
    kP, EP, rp = pol[-1]
    dEP = abs(pol[-1][1] - pol[0][1])
    delta = 2 * EP - last["energy"]
    mass_change = abs(last["mass"] - prev["mass"]) / abs(last["mass"])
    row = {"model": model, "omega": float(omega), "lam": float(lam), "U": float(U), "t": float(t),
           "g": g, "generations": last["generations"], "n_states": last["n_states"],
           "E_BP": last["energy"], "mass_BP": last["mass"], "m_ratio": last["mass"] * t,
           "r2": last["r2"], "n_ph": last["n_ph"], "z": last["z"],
           "E_P": EP, "k_P": kP, "mass_P": rp["mass"], "Delta": delta,
           "dE_BP": abs(last["energy"] - prev["energy"]), "dE_P": dEP,
           "bound": bool(delta > 2 * (abs(last["energy"] - prev["energy"]) + 2 * dEP) + 1e-9),
           "mass_change": mass_change, "converged": bool(mass_change < mass_tol),
           "min_at_zero": bool(np.all(e_k > conv[0]["energy"] - 1e-9) and last["mass"] > 0)}
    return pd.DataFrame([row]), {"convergence": pd.DataFrame(conv)}


# --------------------------------------------------------------------------- CLI
def register_cli(subparsers) -> None:
    s = subparsers.add_parser("ved", help="variational exact diagonalisation, 1D polaron/bipolaron")
    s.add_argument("--model", required=True, choices=MODELS)
    s.add_argument("--electrons", type=int, required=True, choices=(1, 2))
    s.add_argument("--t", type=float, default=1.0, help="hopping (energy unit)")
    s.add_argument("--omega", type=float, required=True, help="phonon frequency Ω")
    s.add_argument("--lam", type=float, default=None, help="dimensionless coupling λ (model convention)")
    s.add_argument("--g", type=float, default=None, help="bare coupling g or α instead of λ")
    s.add_argument("--U", type=float, default=0.0, help="Hubbard U")
    s.add_argument("--K", type=float, default=0.0, help="total momentum in [-π, π]")
    s.add_argument("--generations", type=int, default=None, help="number of VED generations")
    s.add_argument("--max-states", type=int, default=MAX_STATES, help="refuse bases larger than this")
    s.add_argument("--no-mass", action="store_true", help="skip the mass computation")
    s.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    s.set_defaults(func=_cmd_ved)


def _cmd_ved(args) -> int:
    res = solve(args.model, args.electrons, args.omega, args.lam, t=args.t, U=args.U, K=args.K,
                generations=args.generations, g=args.g, mass=not args.no_mass,
                max_states=args.max_states)
    print(json.dumps(res, indent=1, default=float))
    return 0
