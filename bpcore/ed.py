"""Exact diagonalisation of one or two electrons coupled to Einstein phonons on small rings.

This is the independent reference against which :mod:`bpcore.qmc` is validated
(issue 3). It uses nothing but NumPy/SciPy sparse matrices and ARPACK
(:func:`scipy.sparse.linalg.eigsh`); no code is shared with the QMC.

Conventions (units t = 1 unless ``t`` is given, ħ = k_B = 1, lattice constant 1)
-----------------------------------------------------------------------------
Ring of ``N`` sites (``boundary="periodic"``, bonds (i, i+1 mod N), N bonds; for
N = 2 the two bonds 0→1 and 1→0 are distinct, each with its own oscillator) or
an open chain (``boundary="open"``, N − 1 bonds; N = 2 is the textbook dimer).

    H = −t Σ_b K_b + Ω Σ_m b†_m b_m + U n↑n↓ (same site) + V/d (different sites)
        + bond-Peierls:  α Σ_b K_b (b†_b + b_b)      one oscillator per bond
        + Holstein:      g Σ_i n_i (b†_i + b_i)      one oscillator per site

with ``K_b = Σ_σ (e^{iθ} c†_{i+1,σ} c_{iσ} + h.c.)`` for bond b = (i, i+1) and
flux θ per bond (twisted boundary condition; θ = 0 gives a real symmetric
matrix, otherwise a complex Hermitian one). The long-range Coulomb term is the
two-electron value of (1/2) Σ_{i≠j} V n_i n_j/|r_i − r_j|, i.e. V/d with d the
minimum-image distance on the ring (plain |i − j| on an open chain).

Couplings are given as the dimensionless λ of the project (GUIDE, issue 3) with
d = 1 here: λ_bP = α²/(t Ω) and λ_H = g²/(2 t Ω); alternatively the bare
coupling (α or g) can be given as ``g=`` (needed for t = 0).

Sectors: one electron, or two electrons of opposite spin. The two electrons are
treated as distinguishable particles (basis (i↑, i↓), no fermionic signs are
needed since each spin species has a single particle). H is symmetric under
exchanging the spin labels, and its ground state is the nodeless, exchange-
symmetric state: a spatially symmetric wave function, i.e. the spin singlet.
The singlet bipolaron is therefore obtained automatically as the ground state.

Phonons: Fock states of all modes with a cutoff on the *total* phonon number,
Σ_m n_m ≤ ``n_ph_max``. :func:`converged_ground_state` raises the cutoff until the
energy changes by less than ``tol`` and reports the cutoff used.

Observables: ``energy``; ``r2`` = ⟨|r↑ − r↓|²⟩ with the minimum-image distance
(0 for one electron); ``n_ph`` = mean total phonon number; ``dim``; ``w_top`` =
weight of the states at the cutoff (a convergence diagnostic).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from bpcore.profiles import check_number

MODELS = ("bond-peierls", "holstein")
BOUNDARIES = ("periodic", "open")
#: default memory budget for the sparse Hamiltonian, in bytes
MAX_BYTES = 3.0e9

__all__ = ["ground_state", "converged_ground_state", "flux_curvature", "hilbert_dim", "low_spectrum",
           "thermal_energy", "winding_sector_thermal",
           "bare_coupling", "MODELS", "reference_table"]


# --------------------------------------------------------------------------- input checks
def _check_model(model):
    if not isinstance(model, str):
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    m = model.lower().replace("_", "-")
    aliases = {"bp": "bond-peierls", "bondpeierls": "bond-peierls", "bond-peierls": "bond-peierls",
               "h": "holstein", "holstein": "holstein"}
    if m not in aliases:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return aliases[m]


def _check_int(name, value, minimum, maximum=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        rng = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be {rng}, got {value!r}")
    return int(value)


def bare_coupling(model: str, lam: float, t: float = 1.0, omega: float = 1.0, dim: int = 1) -> float:
    """Bare coupling from λ: α = sqrt(λ d t Ω) (bond-Peierls), g = sqrt(2 λ d t Ω) (Holstein)."""
    model = _check_model(model)
    check_number("lam", lam, minimum=0.0)
    check_number("t", t, minimum=0.0)
    check_number("omega", omega, minimum=0.0, strict_min=True)
    if model == "bond-peierls":
        return math.sqrt(lam * dim * t * omega)
    return math.sqrt(2.0 * lam * dim * t * omega)


def _n_modes(model, N, boundary):
    if model == "holstein":
        return N
    return N if boundary == "periodic" else N - 1


def hilbert_dim(model: str, N: int, electrons: int, n_ph_max: int, boundary: str = "periodic") -> int:
    """Size of the Hilbert space: N^electrons × C(M + n_ph_max, n_ph_max), M phonon modes."""
    model = _check_model(model)
    M = _n_modes(model, N, boundary)
    return N ** electrons * math.comb(M + n_ph_max, n_ph_max)


def _estimate_bytes(model, N, electrons, n_ph_max, boundary, complex_):
    """Rough upper bound on the memory of the assembled sparse H (plus eigsh work space)."""
    dim = hilbert_dim(model, N, electrons, n_ph_max, boundary)
    M = _n_modes(model, N, boundary)
    nbonds = N if boundary == "periodic" else N - 1
    if model == "holstein":
        nnz_row = 1 + 2 * nbonds * electrons + 2 * M
    else:
        nnz_row = 1 + 2 * nbonds * electrons * 3
    item = (16 if complex_ else 8) + 4
    # assembled matrix, kron temporaries (~2x), ARPACK vectors (~25 vectors)
    return dim * (3 * nnz_row * item + 25 * (16 if complex_ else 8)), dim


# --------------------------------------------------------------------------- building blocks
@lru_cache(maxsize=32)
def _phonon_basis(M: int, n_max: int):
    """All occupation vectors of M modes with total ≤ n_max, their sorted integer keys,
    and the creation operators b†_m as sparse matrices."""
    states = np.zeros((1, M), dtype=np.int64)
    for m in range(M):
        blocks = []
        tot = states.sum(axis=1)
        for k in range(n_max + 1):
            ok = tot + k <= n_max
            if not ok.any():
                break
            s = states[ok].copy()
            s[:, m] = k
            blocks.append(s)
        states = np.concatenate(blocks)
    radix = (n_max + 1) ** np.arange(M, dtype=np.int64)
    keys = states @ radix
    order = np.argsort(keys)
    states, keys = states[order], keys[order]
    P = len(keys)
    total = states.sum(axis=1)
    bdag = []
    for m in range(M):
        src = np.nonzero(total < n_max)[0]
        dst = np.searchsorted(keys, keys[src] + radix[m])
        val = np.sqrt(states[src, m] + 1.0)
        bdag.append(sp.csr_matrix((val, (dst, src)), shape=(P, P)))
    return states, keys, bdag


def _bonds(N, boundary):
    if boundary == "periodic":
        return [(i, (i + 1) % N) for i in range(N)]
    return [(i, i + 1) for i in range(N - 1)]


def _distance(N, boundary):
    i = np.arange(N)
    d = np.abs(i[:, None] - i[None, :])
    if boundary == "periodic":
        d = np.minimum(d, N - d)
    return d


def _one_body_hop(N, bond, flux):
    """K_b for one particle: e^{iθ}|j⟩⟨i| + e^{-iθ}|i⟩⟨j| for bond b = (i → j)."""
    i, j = bond
    ph = np.exp(1j * flux) if flux else 1.0
    K = np.zeros((N, N), dtype=complex if flux else float)
    K[j, i] += ph
    K[i, j] += np.conj(ph)
    return K


def _electron_ops(model, N, electrons, boundary, flux, rel_flux=0.0):
    """Electronic operators: list of K_b (per bond), list of n_i (per site), distance table.
    ``flux`` θ per bond acts on every electron; ``rel_flux`` θ_r per bond acts as +θ_r on ↑ and
    −θ_r on ↓, so a closed path picks up e^{iθ_r (D↑ − D↓)}: it counts the relative winding."""
    I = np.eye(N)
    Ks = []
    for b in _bonds(N, boundary):
        k1 = _one_body_hop(N, b, flux + rel_flux)
        if electrons == 1:
            Ks.append(sp.csr_matrix(k1))
        else:
            k2 = _one_body_hop(N, b, flux - rel_flux)
            Ks.append(sp.csr_matrix(np.kron(k1, I) + np.kron(I, k2)))
    ns = []
    for i in range(N):
        e = np.zeros(N)
        e[i] = 1.0
        occ = e if electrons == 1 else (np.kron(e, np.ones(N)) + np.kron(np.ones(N), e))
        ns.append(occ)
    dist = _distance(N, boundary)
    return Ks, ns, dist


def _shift_perms(model, N, M, n_max, boundary):
    """perm[j][p] = index of the phonon state p translated by −j sites (mode m → m − j)."""
    states, keys, _ = _phonon_basis(M, n_max)
    radix = (n_max + 1) ** np.arange(M, dtype=np.int64)
    perms = []
    for j in range(N):
        shifted = np.roll(states, -j, axis=1)  # new[m] = old[m + j]: occupation moved from m+j to m
        perms.append(np.searchsorted(keys, shifted @ radix))
    return perms


def build_hamiltonian(model, N, electrons, t=1.0, omega=1.0, coupling=0.0, U=0.0, V=0.0,
                      n_ph_max=8, flux=0.0, boundary="periodic", momentum=0, rel_flux=0.0):
    """Sparse H (CSR) and the diagonal tables needed for observables. No input checking
    (see :func:`ground_state`).

    ``momentum=None``: full basis |electrons⟩ ⊗ |phonons⟩ (electron index major).
    ``momentum=k`` (periodic rings): the total-momentum sector K = 2πk/N, with basis
    |r⟩ = N^{-1/2} Σ_j e^{-iKj} T^j |↑ at site 0, rest⟩ (T translates electrons and
    phonons by one site; every orbit has N elements because the ↑ electron moves), so
    H_K[r', r] = Σ_{s'} ⟨s'|H|s_r⟩ e^{iK j(s')} with j(s') the ↑ position of s'.
    """
    M = _n_modes(model, N, boundary)
    states, _, bdag = _phonon_basis(M, n_ph_max)
    P = states.shape[0]
    Ks, ns, dist = _electron_ops(model, N, electrons, boundary, flux, rel_flux)
    E = N ** electrons
    cflux = bool(flux) or bool(rel_flux)
    cplx = cflux or (momentum is not None and (2 * momentum) % N != 0)
    dtype = complex if cplx else float
    # electronic part
    Hel = sp.csr_matrix((E, E), dtype=complex if cflux else float)
    for K in Ks:
        Hel = Hel - t * K
    if electrons == 2:
        d = dist.reshape(-1)  # index iu*N + id
        diag = np.where(d == 0, U, V / np.where(d == 0, 1, d))
        Hel = Hel + sp.diags(diag)
    nph = states.sum(axis=1).astype(float)
    # columns kept: all (full basis) or the representatives (↑ electron on site 0)
    cols = np.arange(E) if momentum is None else np.arange(E // N)  # iu = 0 <-> index < N^(ne-1)
    terms = [(Hel[:, cols], sp.identity(P)), (sp.identity(E, format="csr")[:, cols], sp.diags(omega * nph))]
    if coupling:
        for m in range(M):
            X = (bdag[m] + bdag[m].T).tocsr()
            C = coupling * Ks[m] if model == "bond-peierls" else sp.diags(coupling * ns[m])
            terms.append((sp.csr_matrix(C)[:, cols], X))
    H = None
    for A, B in terms:
        term = sp.kron(A, B, format="coo")
        H = term if H is None else H + term
    H = H.tocoo()
    r2_full = (dist.reshape(-1) ** 2).astype(float) if electrons == 2 else np.zeros(E)
    if momentum is None:
        H = H.tocsr()
        return H, {"nph": nph, "r2": r2_full, "top": (nph == n_ph_max).astype(float), "E": E, "P": P}
    # map each row state s' = (e', p') to its representative (e_r, p_r) and translation j
    perms = _shift_perms(model, N, M, n_ph_max, boundary)
    e_idx, p_idx = np.divmod(H.row, P)
    j = e_idx // (E // N)                       # ↑ position
    rest = e_idx % (E // N)                     # ↓ position (two electrons) or 0
    rest_r = (rest - j) % N if electrons == 2 else rest
    p_r = np.empty_like(p_idx)
    for jj in range(N):
        sel = j == jj
        p_r[sel] = perms[jj][p_idx[sel]]
    rows = rest_r * P + p_r
    data = H.data.astype(dtype)
    if momentum % N:
        data = data * np.exp(1j * 2 * np.pi * momentum / N * j)
        if not cplx:
            data = data.real
    Ek = E // N
    Hk = sp.csr_matrix((data, (rows, H.col)), shape=(Ek * P, Ek * P))
    Hk.sum_duplicates()
    r2 = r2_full[:Ek]  # representatives: ↑ at 0, ↓ at rest
    return Hk, {"nph": nph, "r2": r2, "top": (nph == n_ph_max).astype(float), "E": Ek, "P": P}


def _single_thread_blas():
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - optional
        import contextlib

        return contextlib.nullcontext()


def _lowest(H, k: int, vectors: bool = False, tol: float = 1e-12):
    """The ``k`` lowest eigenvalues (ascending) of the sparse Hermitian ``H``, with the eigenvectors
    as columns when ``vectors``: dense LAPACK for small matrices, ARPACK (fixed start vector) otherwise."""
    dim = H.shape[0]
    with _single_thread_blas():  # threaded BLAS on small matrices only spins on a shared machine
        if dim <= 600 or k >= dim - 1:
            if not vectors:
                return np.linalg.eigvalsh(H.toarray())[:k]
            w, v = np.linalg.eigh(H.toarray())
            return w[:k], v[:, :k]
        v0 = (np.ones(dim) + 0.1 * np.random.default_rng(12345).random(dim)).astype(H.dtype)
        out = eigsh(H, k=k, which="SA", v0=v0, tol=tol, ncv=min(dim, max(40, 3 * k)), maxiter=100000,
                    return_eigenvectors=vectors)
    if not vectors:
        return np.sort(out)
    w, v = out
    order = np.argsort(w)
    return w[order], v[:, order]


# --------------------------------------------------------------------------- public API
def _validate(model, N, electrons, t, omega, lam, U, V, n_ph_max, flux, g, boundary):
    model = _check_model(model)
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    N = _check_int("N", N, 2)
    electrons = _check_int("electrons", electrons, 1, 2)
    n_ph_max = _check_int("n_ph_max", n_ph_max, 0)
    check_number("t", t, minimum=0.0)
    check_number("omega", omega, minimum=0.0, strict_min=True)
    check_number("lam", lam, minimum=0.0)
    check_number("U", U)
    check_number("V", V)
    check_number("flux", flux)
    if g is not None:
        check_number("g", g, minimum=0.0)
        if lam:
            raise ValueError("give either lam or the bare coupling g, not both")
        coupling = float(g)
    else:
        if lam and t == 0:
            raise ValueError("lam is defined relative to t; with t = 0 give the bare coupling g")
        coupling = bare_coupling(model, lam, t, omega) if lam else 0.0
    return model, N, electrons, float(t), float(omega), float(U), float(V), n_ph_max, float(flux), coupling


def ground_state(model: str, N: int, electrons: int, t: float = 1.0, omega: float = 1.0, lam: float = 0.0,
                 U: float = 0.0, V: float = 0.0, n_ph_max: int = 8, flux: float = 0.0, *,
                 g: float | None = None, boundary: str = "periodic", momentum: int | None = 0,
                 max_bytes: float = MAX_BYTES) -> dict:
    """Ground state of one electron or a singlet pair on an N-site ring with phonons.

    Parameters
    ----------
    model : "bond-peierls" or "holstein".
    N : number of sites (≥ 2).
    electrons : 1 (polaron) or 2 (one ↑, one ↓: the singlet bipolaron).
    t, omega : hopping and phonon frequency Ω (> 0).
    lam : dimensionless coupling, λ_bP = α²/(tΩ), λ_H = g²/(2tΩ) (d = 1).
    U, V : on-site Hubbard and long-range Coulomb V/d (minimum-image distance d).
    n_ph_max : cutoff on the total phonon number.
    flux : phase θ per bond (twisted boundary condition).
    g : bare coupling (α or g) instead of ``lam``; required when t = 0.
    boundary : "periodic" (ring) or "open" (chain; N = 2 is the dimer).
    momentum : total-momentum sector K = 2π·momentum/N (periodic rings; default 0), or
        None for the full Hilbert space (always used for open chains). At zero flux the
        ground state lies in K = 0: in the gauge b → −b every off-diagonal element of H
        is ≤ 0, so the ground state is nodeless and unique (Perron–Frobenius) and hence
        translation invariant. The K sector divides the dimension by N.
    max_bytes : refuse (ValueError naming ``n_ph_max``) when the estimated memory exceeds it.

    Returns
    -------
    dict with ``energy``, ``r2`` (⟨|r↑ − r↓|²⟩, 0 for one electron), ``n_ph`` (mean
    total phonon number), ``dim`` (Hilbert-space size), ``w_top`` (weight at the cutoff),
    ``p_dist`` (two electrons: probability of each separation d = 0, 1, … in the
    minimum-image / chain distance, a detailed check of a QMC's pair sampling),
    ``n_ph_max``, ``coupling`` (bare α or g used), ``momentum``.
    """
    model, N, electrons, t, omega, U, V, n_ph_max, flux, coupling = _validate(
        model, N, electrons, t, omega, lam, U, V, n_ph_max, flux, g, boundary)
    momentum, flux, dim = _sector(model, N, electrons, n_ph_max, flux, boundary, momentum, max_bytes)
    H, tab = build_hamiltonian(model, N, electrons, t, omega, coupling, U, V, n_ph_max, flux, boundary,
                               momentum)
    assert H.shape[0] == dim
    w, v = _lowest(H, 1, vectors=True, tol=1e-13)
    e0, psi = w[0], v[:, 0]
    prob = np.abs(psi) ** 2
    prob = prob / prob.sum()
    prob2 = prob.reshape(tab["E"], tab["P"])
    pe, pp = prob2.sum(axis=1), prob2.sum(axis=0)
    out = {"energy": float(e0), "r2": float(pe @ tab["r2"]), "n_ph": float(pp @ tab["nph"]),
           "dim": int(dim), "w_top": float(pp @ tab["top"]), "n_ph_max": n_ph_max,
           "coupling": coupling, "momentum": momentum}
    if electrons == 2:  # distribution of the (minimum-image) separation d = 0 .. max
        d = np.rint(np.sqrt(tab["r2"])).astype(int)
        out["p_dist"] = np.bincount(d, weights=pe, minlength=d.max() + 1).tolist()
    return out


def converged_ground_state(model: str, N: int, electrons: int, t: float = 1.0, omega: float = 1.0,
                           lam: float = 0.0, U: float = 0.0, V: float = 0.0, flux: float = 0.0, *,
                           tol: float = 1e-8, n_start: int = 4, n_step: int = 1, n_limit: int = 40,
                           g: float | None = None, boundary: str = "periodic", momentum: int | None = 0,
                           max_bytes: float = MAX_BYTES) -> dict:
    """:func:`ground_state` with the phonon cutoff raised (from ``n_start`` in steps of
    ``n_step``) until |E(n) − E(n − n_step)| < ``tol``.

    Returns the ground-state dict of the last cutoff, plus ``n_ph_max`` (cutoff used),
    ``delta_e`` (last energy change) and ``history`` (list of (n_ph_max, energy)). The energy
    decreases monotonically with the cutoff (variational) and roughly geometrically, with ratio
    r = ΔE(n)/ΔE(n−1) typically 0.2–0.6 here, so the remaining truncation error is about
    ``delta_e``·r/(1 − r), i.e. of order ``tol``.
    Raises ValueError (naming ``tol``) if the memory budget or ``n_limit`` is reached first.
    """
    check_number("tol", tol, minimum=0.0, strict_min=True)
    _check_int("n_start", n_start, 0)
    _check_int("n_step", n_step, 1)
    history = []
    prev = None
    n = n_start
    while True:
        if n > n_limit:
            raise ValueError(f"tol={tol} not reached with n_ph_max <= n_limit={n_limit}: {history[-3:]}")
        try:
            res = ground_state(model, N, electrons, t, omega, lam, U, V, n, flux, g=g,
                               boundary=boundary, momentum=momentum, max_bytes=max_bytes)
        except ValueError as exc:
            if prev is not None and "n_ph_max" in str(exc):
                raise ValueError(f"tol={tol} not reached before the memory budget: last cutoffs "
                                 f"{history[-3:]}; {exc}") from exc
            raise
        history.append((n, res["energy"]))
        if prev is not None and abs(res["energy"] - prev) < tol:
            res["delta_e"] = abs(res["energy"] - prev)
            res["history"] = history
            return res
        prev = res["energy"]
        n += n_step


def flux_curvature(model: str, N: int, electrons: int, t: float = 1.0, omega: float = 1.0, lam: float = 0.0,
                   U: float = 0.0, V: float = 0.0, n_ph_max: int = 8, *, h: float = 0.01,
                   g: float | None = None, max_bytes: float = MAX_BYTES) -> dict:
    """Curvature D = ∂²E/∂θ² at θ = 0 (flux θ per bond, felt by every electron).

    E(θ) = E(−θ), so D follows from E(0), E(h), E(2h): the two central differences
    D(h) = 2[E(h) − E(0)]/h² and D(2h) are combined by Richardson extrapolation,
    D = [4 D(h) − D(2h)]/3 (error O(h⁴)).

    With θ per bond each electron's momentum shifts by θ, the pair's total momentum by
    n_e θ, so ``mass`` = n_e² / D: the band mass m* = (∂²E/∂K²)⁻¹ of the ring's ground
    state in the total-momentum sector K = 0 (exact for a free particle: 1/(2t) per
    electron, 1/t for a free pair). On a finite ring this is the finite-size mass that a
    path-integral QMC measures on the same ring at large β from the unwrapped end-to-end
    displacement of the worldlines, m* = d β/⟨ΔR²⟩ with ΔR the centre-of-mass displacement.
    """
    kw = dict(g=g, max_bytes=max_bytes)
    e = [ground_state(model, N, electrons, t, omega, lam, U, V, n_ph_max, th, **kw)["energy"]
         for th in (0.0, h, 2 * h)]
    d1 = 2.0 * (e[1] - e[0]) / h ** 2
    d2 = 2.0 * (e[2] - e[0]) / (2 * h) ** 2
    D = (4.0 * d1 - d2) / 3.0
    return {"curvature": D, "mass": electrons ** 2 / D if D > 0 else math.inf, "energy": e[0],
            "richardson_change": abs(D - d1)}


def _sector(model, N, electrons, n_ph_max, flux, boundary, momentum, max_bytes):
    """Normalised (momentum, flux) and the dimension of the requested sector; refuses, naming
    ``n_ph_max``, a space over the memory budget *before* anything is built."""
    if boundary == "open":
        if momentum not in (None, 0):
            raise ValueError(f"momentum sectors need boundary='periodic', got momentum={momentum!r}")
        momentum = None  # no translation symmetry: full basis
    if momentum is not None:
        momentum = _check_int("momentum", momentum, -10**9) % N
    flux = math.remainder(flux, 2 * math.pi)
    nbytes, dim = _estimate_bytes(model, N, electrons, n_ph_max, boundary, bool(flux) or bool(momentum))
    if momentum is not None:
        nbytes, dim = nbytes / N, dim // N
    if nbytes > max_bytes:
        raise ValueError(f"n_ph_max={n_ph_max} gives a Hilbert space of dimension {dim} for N={N}, "
                         f"electrons={electrons} (~{nbytes / 1e9:.1f} GB > budget {max_bytes / 1e9:.1f} GB); "
                         "lower n_ph_max or N")
    return momentum, flux, dim


def low_spectrum(model: str, N: int, electrons: int, t: float = 1.0, omega: float = 1.0, lam: float = 0.0,
                 U: float = 0.0, V: float = 0.0, n_ph_max: int = 8, flux: float = 0.0, *, k: int = 6,
                 g: float | None = None, boundary: str = "periodic", momentum: int | None = 0,
                 max_bytes: float = MAX_BYTES) -> np.ndarray:
    """The ``k`` lowest eigenvalues (ascending) in the chosen sector (same arguments as
    :func:`ground_state`). Used to bound the thermal error of a finite-β QMC energy: with the
    twisted-boundary projection on K = 0 the QMC samples exp(−βH) within that sector, see
    :func:`thermal_energy`."""
    model, N, electrons, t, omega, U, V, n_ph_max, flux, coupling = _validate(
        model, N, electrons, t, omega, lam, U, V, n_ph_max, flux, g, boundary)
    _check_int("k", k, 1)
    momentum, flux, dim = _sector(model, N, electrons, n_ph_max, flux, boundary, momentum, max_bytes)
    H, _ = build_hamiltonian(model, N, electrons, t, omega, coupling, U, V, n_ph_max, flux, boundary, momentum)
    return _lowest(H, k)


def thermal_energy(levels, beta: float) -> float:
    """⟨E⟩ = Σ E_n e^{−βE_n} / Σ e^{−βE_n} over the given (lowest) levels: a lower bound on
    the thermal energy of the sector; E(β) − E_0 estimates a QMC run's residual thermal error."""
    check_number("beta", beta, minimum=0.0, strict_min=True)
    e = np.asarray(levels, float)
    w = np.exp(-beta * (e - e.min()))
    return float(np.sum(e * w) / np.sum(w))


def winding_sector_thermal(model: str, N: int, beta: float, t: float = 1.0, omega: float = 1.0,
                           lam: float = 0.0, U: float = 0.0, V: float = 0.0, n_ph_max: int = 8, *,
                           k: int = 16, n_flux: int = 32, max_bytes: float = MAX_BYTES) -> dict:
    """Thermal K = 0 averages of a two-electron ring resolved by the *relative winding* of the
    two worldlines, n = (D↑ − D↓)/N (the number of times the electrons pass each other around
    the ring in imaginary time).

    A relative flux θ_r per bond (+θ_r for ↑, −θ_r for ↓; translation invariant, so the K = 0
    sector survives) weights a path by e^{i n φ} with φ = N θ_r, so that
    Z(φ) = Tr_{K=0} e^{−βH(φ)} = Σ_n Z_n e^{inφ}. The n = 0 part follows from the discrete
    Fourier sum over φ_j = 2πj/M (M = ``n_flux``), Z_0 = M⁻¹ Σ_j Z(φ_j), exact up to the aliased
    sectors n = ±M, ±2M, …; the same sum over Tr[O e^{−βH(φ_j)}] gives ⟨O⟩ in the n = 0 sector for
    every O diagonal in the positions (energy via −∂ ln Z_0/∂β, R², phonon number). H(−φ) = H(φ)*
    has the same spectrum, so only 0 ≤ φ ≤ π is diagonalised. Each trace keeps the ``k`` lowest
    levels.

    This is the reference for a QMC run whose relative winding is frozen (``relative_winding=False``
    in :func:`bpcore.qmc.run`). Returns ``e_beta``, ``r2``, ``n_ph`` (n = 0 sector),
    ``e_beta_all``, ``r2_all``, ``n_ph_all`` (all windings: φ = 0 alone), ``p_winding0`` = Z_0/Z,
    ``alias`` = |E_0(M) − E_0(M/2)| (a bound on the aliasing error when it is small), and
    ``top_weight`` (largest Boltzmann weight of a highest kept level, relative to the lowest level).
    """
    model, N, _, t, omega, U, V, n_ph_max, _, coupling = _validate(
        model, N, 2, t, omega, lam, U, V, n_ph_max, 0.0, None, "periodic")
    check_number("beta", beta, minimum=0.0, strict_min=True)
    _check_int("k", k, 1)
    n_flux = _check_int("n_flux", n_flux, 2)
    if n_flux % 4:
        raise ValueError(f"n_flux must be a multiple of 4 (the alias check halves it), got {n_flux}")
    _, _, dim = _sector(model, N, 2, n_ph_max, 1.0, "periodic", 0, max_bytes)
    rows = []  # (j, weight of phi_j in the half-range sum, energies, r2, nph)
    for j in range(n_flux // 2 + 1):
        phi = 2 * math.pi * j / n_flux
        H, tab = build_hamiltonian(model, N, 2, t, omega, coupling, U, V, n_ph_max, 0.0, "periodic", 0,
                                   rel_flux=phi / N)
        w, v = _lowest(H, k, vectors=True)
        prob = (np.abs(v) ** 2).reshape(tab["E"], tab["P"], -1)
        prob = prob / prob.sum(axis=(0, 1))
        r2 = np.einsum("epk,e->k", prob, tab["r2"])
        nph = np.einsum("epk,p->k", prob, tab["nph"])
        mult = 1 if j in (0, n_flux // 2) else 2
        rows.append((j, mult, w, r2, nph))
    e_min = min(r[2][0] for r in rows)

    def sector_avg(step):
        """Averages over phi_j with j a multiple of ``step`` (grid of n_flux/step points)."""
        z = e = r = n = 0.0
        for j, mult, w, r2, nph in rows:
            if j % step:
                continue
            b = mult * np.exp(-beta * (w - e_min))
            z, e, r, n = z + b.sum(), e + b @ w, r + b @ r2, n + b @ nph
        return z, e / z, r / z, n / z

    z0, e0, r0, n0 = sector_avg(1)
    _, e0_half, _, _ = sector_avg(2)
    _, _, w, r2, nph = rows[0]
    b = np.exp(-beta * (w - e_min))
    z_all = b.sum()
    top = max(float(np.exp(-beta * (r[2][-1] - e_min))) for r in rows)
    return {"e_beta": float(e0), "r2": float(r0), "n_ph": float(n0),
            "e_beta_all": float(b @ w / z_all), "r2_all": float(b @ r2 / z_all), "n_ph_all": float(b @ nph / z_all),
            "p_winding0": float(z0 / n_flux / z_all), "alias": float(abs(e0 - e0_half)), "top_weight": top,
            "n_ph_max": n_ph_max, "n_flux": n_flux, "k": k, "dim": int(dim)}


# --------------------------------------------------------------------------- reference table
REFERENCE_POINTS = [
    # (model, N, electrons, t/Ω (Ω = 1), λ, U)
    *[("bond-peierls", N, 2, 1.0, lam, U) for N in (4, 6) for lam in (0.5, 1.0) for U in (0.0, 8.0)],
    *[("holstein", 4, 2, 1.0, lam, U) for lam in (0.5, 1.0) for U in (0.0, 8.0)],
    # N = 6 Holstein at λ = 1, U = 0 is a deep on-site bipolaron (~8 phonons): not converged to 1e-6
    # within the memory budget, so it is left out
    *[("holstein", 6, 2, 1.0, lam, U) for lam, U in ((0.25, 0.0), (0.5, 0.0), (0.5, 8.0), (1.0, 8.0))],
    *[(m, N, 1, 1.0, lam, 0.0) for m in MODELS for N in (4, 6) for lam in (0.5, 1.0)],
]


def reference_table(points=None, tol: float = 1e-6, store=None, topic: str = "ed_reference",
                    force: bool = False, mass_max_dim: int = 200_000):
    """Compute (or load) converged ED reference values and store each under ``data/<topic>/``.

    Returns a pandas DataFrame with one row per point: model, N, electrons, t, omega, lam,
    U, V, energy, r2, n_ph, n_ph_max (converged cutoff), delta_e, dim, w_top, and ``mass``
    (ring mass n_e²/(∂²E/∂θ²) from :func:`flux_curvature` at the converged cutoff; NaN where
    the K = 0 space exceeds ``mass_max_dim``).
    """
    import pandas as pd

    from bpcore.progress import progress
    from bpcore.store import Store

    store = store or Store()
    rows = []
    for model, N, ne, t, lam, U in progress(points or REFERENCE_POINTS, desc="ED reference"):
        params = {"model": model, "N": N, "electrons": ne, "t": t, "omega": 1.0, "lam": lam, "U": U,
                  "V": 0.0, "flux": 0.0, "tol": tol, "boundary": "periodic", "method": "ed"}

        def compute(model=model, N=N, ne=ne, t=t, lam=lam, U=U):
            r = converged_ground_state(model, N, ne, t, 1.0, lam, U, tol=tol, n_start=4)
            hist = pd.DataFrame(r["history"], columns=["n_ph_max", "energy"])
            row = {k: r[k] for k in ("energy", "r2", "n_ph", "n_ph_max", "delta_e", "dim", "w_top")}
            # ring mass from the flux curvature at the same cutoff (skipped for the largest spaces)
            row["mass"] = math.nan
            if r["dim"] <= mass_max_dim:
                row["mass"] = flux_curvature(model, N, ne, t, 1.0, lam, U, 0.0, r["n_ph_max"])["mass"]
            return pd.DataFrame([row]), {"convergence": hist}

        try:
            df = store.get_or_compute(topic, params, compute, force=force)
        except ValueError as exc:  # not converged within the memory budget: report, do not store
            import warnings

            warnings.warn(f"ED reference point {params} skipped: {exc}")
            continue
        rows.append({**{k: params[k] for k in ("model", "N", "electrons", "t", "omega", "lam", "U", "V")},
                     **df.iloc[0].to_dict()})
    return pd.DataFrame(rows)
